"""Tests of course_lib.init: sample statistics against torch.nn.init, shapes, seeding [E6]."""

import numpy as np
import pytest
import torch

from course_lib.init import he_init, init_weight, normal_init, xavier_init

# Unequal fans, so that a swapped fan_in/fan_out shows up in the standard deviation.
FAN_IN, FAN_OUT = 400, 150


def torch_sample(fill):
    """A large sample of a torch initializer on a weight stored as PyTorch stores it."""
    torch.manual_seed(0)
    w = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    fill(w)
    return w.numpy()


@pytest.mark.parametrize(
    "ours, fill",
    [
        (xavier_init, torch.nn.init.xavier_normal_),
        (he_init, lambda w: torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")),
    ],
    ids=["xavier", "he"],
)
def test_std_matches_torch(ours, fill, rng):
    W = ours(FAN_IN, FAN_OUT, rng)
    want = torch_sample(fill)
    assert W.shape == (FAN_IN, FAN_OUT), f"batch-first (fan_in, fan_out) expected, got {W.shape}"
    # 60,000 draws each: the sample stds agree within a few tenths of a percent.
    assert W.std() == pytest.approx(
        want.std(), rel=0.03
    ), f"{ours.__name__}: std {W.std()} vs torch {want.std()}"
    assert abs(W.mean()) < 0.05 * want.std(), f"{ours.__name__}: mean {W.mean()} should be about 0"


def test_normal_init_matches_torch_normal(rng):
    w = normal_init((300, 200), rng, std=0.3)
    t = torch.empty(300, 200, dtype=torch.float64)
    torch.manual_seed(1)
    torch.nn.init.normal_(t, mean=0.0, std=0.3)
    assert w.shape == (300, 200), f"shape {w.shape}"
    assert w.std() == pytest.approx(
        t.std().item(), rel=0.03
    ), f"std {w.std()} vs torch {t.std().item()}"
    assert normal_init(5, rng).shape == (5,), "an int shape gives a 1-D array"


def test_notes_default_is_standard_normal(rng):
    w = normal_init((500, 100), rng)
    assert w.std() == pytest.approx(1.0, rel=0.03), f"[E6] w ~ N(0, 1), got std {w.std()}"


def test_same_seed_same_weights_other_seed_other_weights():
    a = xavier_init(4, 3, np.random.default_rng(7))
    b = xavier_init(4, 3, np.random.default_rng(7))
    c = xavier_init(4, 3, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b, err_msg="the same seed must give the same weights")
    assert not np.allclose(a, c), "another seed must give other weights"


@pytest.mark.parametrize("name, fn", [("xavier", xavier_init), ("he", he_init)])
def test_init_weight_dispatches_by_name(name, fn):
    got = init_weight(name, 6, 2, np.random.default_rng(3))
    want = fn(6, 2, np.random.default_rng(3))
    np.testing.assert_array_equal(
        got, want, err_msg=f"init_weight({name!r}) must call {fn.__name__}"
    )
    w = init_weight("normal", 6, 2, np.random.default_rng(3))
    assert w.shape == (6, 2), f"init_weight('normal') shape {w.shape}"


def test_bad_input_raises_with_the_argument_named(rng):
    with pytest.raises(ValueError, match="fan_in must be at least 1"):
        xavier_init(0, 3, rng)
    with pytest.raises(TypeError, match="fan_out must be an int"):
        he_init(3, 2.5, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        he_init(3, 2, np.random)
    with pytest.raises(ValueError, match="std must be"):
        normal_init((2, 2), rng, std=-1.0)
    with pytest.raises(TypeError, match="shape must be"):
        normal_init([2, 2], rng)
    with pytest.raises(ValueError, match="shape must not have negative"):
        normal_init((2, -1), rng)
    with pytest.raises(ValueError, match="init must be one of"):
        init_weight("glorot", 2, 2, rng)
