"""Tests of course_lib.losses [B9], [B10], [C1]-[C5].

Oracles: PyTorch in float64 (values, and gradients through autograd), central differences, and
values worked by hand from the notes. pytest turns every RuntimeWarning into an error, so the
tests with logits of 1e3 also check that nothing overflows.
"""
import contextlib
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import losses


def numerical_gradient(f, x, h=1e-6):
    """Gradient of a scalar function ``f`` of an array, one central difference per entry."""
    x = np.array(x, dtype=np.float64, copy=True)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def torch_loss_and_grad(torch_loss, first, *rest):
    """A torch loss of ``(first, *rest)`` and its gradient with respect to ``first``."""
    t = torch.tensor(first, dtype=torch.float64, requires_grad=True)
    loss = torch_loss(t, *(torch.as_tensor(r) for r in rest))
    loss.backward()
    return loss.item(), t.grad.numpy()


@contextlib.contextmanager
def strict():
    """A context in which any warning or floating-point overflow is an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------------------------
# [B9] softmax and log-softmax
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, axis", [((5,), -1), ((4, 5), -1), ((4, 5), 0), ((2, 3, 4), 1)])
def test_softmax_and_log_softmax_match_torch(rng, shape, axis):
    z = rng.normal(scale=3.0, size=shape)
    z_t = torch.tensor(z)
    np.testing.assert_allclose(losses.softmax(z, axis=axis), torch.softmax(z_t, dim=axis).numpy(),
                               rtol=1e-12, err_msg=f"softmax along axis {axis}")
    np.testing.assert_allclose(losses.log_softmax(z, axis=axis),
                               torch.log_softmax(z_t, dim=axis).numpy(), rtol=1e-12,
                               err_msg=f"log_softmax along axis {axis}")


def test_softmax_worked_example_of_the_notes():
    p = losses.softmax(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(p, [0.0900, 0.2447, 0.6652], atol=5e-5,
                               err_msg="softmax([1, 2, 3]) = [0.0900, 0.2447, 0.6652] [B9]")
    assert p[0] > 0.05, "the notes' 0.002 for softmax([1, 2, 3])[0] is an erratum; it is 0.0900"


def test_softmax_with_a_spread_of_1000_is_stable():
    z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]])
    with strict():
        p = losses.softmax(z)
        log_p = losses.log_softmax(z)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(log_p)), "softmax overflowed at 1e3"
    np.testing.assert_allclose(p, torch.softmax(torch.tensor(z), dim=-1).numpy(), atol=1e-15,
                               err_msg="softmax with logits of 1e3")
    np.testing.assert_allclose(log_p, torch.log_softmax(torch.tensor(z), dim=-1).numpy(),
                               rtol=1e-12,
                               err_msg="log_softmax with logits of 1e3 (≈ −1000, −2000)")


logit_rows = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)),
    elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=40, deadline=None)
@given(z=logit_rows, shift=st.floats(-1000, 1000, allow_nan=False))
def test_softmax_rows_sum_to_one_and_ignore_a_shift(z, shift):
    p = losses.softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12, err_msg="rows must sum to 1")
    assert np.all(p >= 0), "probabilities must be non-negative"
    np.testing.assert_allclose(losses.softmax(z + shift), p, rtol=1e-9, atol=1e-12,
                               err_msg=f"softmax must ignore a constant shift {shift}")
    np.testing.assert_allclose(np.exp(losses.log_softmax(z)), p, rtol=1e-12, atol=1e-300,
                               err_msg="exp(log_softmax) must be softmax")


def test_softmax_bad_input():
    with pytest.raises(ValueError, match="z must be finite.*NaN"):
        losses.softmax(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="z must be finite"):
        losses.log_softmax(np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match="axis"):
        losses.softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match="axis"):
        losses.softmax(np.ones((2, 3)), axis=1.0)
    with pytest.raises(ValueError, match="z must have at least one axis"):
        losses.softmax(1.0)
    with pytest.raises(TypeError, match="z must"):
        losses.softmax(["a", "b"])


# ---------------------------------------------------------------------------------------------
# [B10] softmax Jacobian
# ---------------------------------------------------------------------------------------------
def test_softmax_jacobian_matches_torch(rng):
    z = rng.normal(size=5)
    expected = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0),
                                                  torch.tensor(z)).numpy()
    J = losses.softmax_jacobian(losses.softmax(z))
    assert J.shape == (5, 5), "the Jacobian of K probabilities is (K, K)"
    np.testing.assert_allclose(J, expected, rtol=1e-10, atol=1e-15,
                               err_msg="softmax_jacobian must be diag(p) − p pᵀ [B10]")


def test_softmax_jacobian_worked_by_hand():
    p = np.array([0.5, 0.25, 0.25])
    expected = np.array([[0.25, -0.125, -0.125], [-0.125, 0.1875, -0.0625],
                         [-0.125, -0.0625, 0.1875]])
    np.testing.assert_allclose(losses.softmax_jacobian(p), expected, atol=1e-15,
                               err_msg="diag(p) − p pᵀ for p = [1/2, 1/4, 1/4]")
    np.testing.assert_allclose(losses.softmax_jacobian([0.0900, 0.2447, 0.6652]).sum(axis=0), 0,
                               atol=1e-3, err_msg="rounded probabilities of the notes are accepted")


def test_softmax_jacobian_bad_input():
    with pytest.raises(ValueError, match="p must be one .*shape \\(K,\\)"):
        losses.softmax_jacobian(np.full((2, 2), 0.25))
    with pytest.raises(ValueError, match="p must be a probability vector.*not the logits"):
        losses.softmax_jacobian(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="p must be finite"):
        losses.softmax_jacobian(np.array([np.nan, 1.0]))


# ---------------------------------------------------------------------------------------------
# [C3], [C4] softmax cross-entropy
# ---------------------------------------------------------------------------------------------
def test_softmax_cross_entropy_matches_torch(rng):
    logits = rng.normal(scale=2.0, size=(6, 4))
    y = rng.integers(0, 4, size=6)
    loss, dlogits = losses.softmax_cross_entropy(logits, y)
    expected, expected_grad = torch_loss_and_grad(F.cross_entropy, logits, y)
    assert loss == pytest.approx(expected, rel=1e-12), "loss differs from F.cross_entropy"
    np.testing.assert_allclose(dlogits, expected_grad, rtol=1e-10, atol=1e-15,
                               err_msg="dlogits differs from torch autograd")
    # [C4] by hand: (p − onehot) / N
    p = torch.softmax(torch.tensor(logits), dim=1).numpy()
    np.testing.assert_allclose(dlogits, (p - np.eye(4)[y]) / 6, rtol=1e-10, atol=1e-15,
                               err_msg="dlogits must be (p − y) / N [C4]")


def test_softmax_cross_entropy_matches_central_differences(rng):
    logits = rng.normal(size=(3, 4))
    y = np.array([0, 3, 1])
    _, dlogits = losses.softmax_cross_entropy(logits, y)
    numeric = numerical_gradient(lambda v: losses.softmax_cross_entropy(v, y)[0], logits)
    np.testing.assert_allclose(dlogits, numeric, rtol=1e-6, atol=1e-9,
                               err_msg="dlogits vs central differences")


def test_cross_entropy_worked_examples_of_the_notes():
    # a confident right answer: p = [0.001, 0.019, 0.98] for class 2 costs −log 0.98
    loss, _ = losses.softmax_cross_entropy(np.log([[0.001, 0.019, 0.98]]), [2])
    assert loss == pytest.approx(0.0202, abs=5e-5), "−log(0.98) ≈ 0.0202 [C3]"
    loss, _ = losses.softmax_cross_entropy(np.log([[0.33, 0.33, 0.34]]), [0])
    assert loss == pytest.approx(1.109, abs=5e-4), "−log(0.33) ≈ 1.109 [C3]"
    loss, _ = losses.softmax_cross_entropy(np.zeros((2, 3)), [0, 2])
    assert loss == pytest.approx(np.log(3)), "uniform logits over 3 classes cost log 3 ≈ 1.0986"


def test_softmax_cross_entropy_with_logits_of_1000():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    y = np.array([2, 1])
    with strict():
        loss, dlogits = losses.softmax_cross_entropy(logits, y)
    expected, expected_grad = torch_loss_and_grad(F.cross_entropy, logits, y)
    assert np.isfinite(loss) and loss == pytest.approx(expected, rel=1e-12), \
        f"loss with a spread of 1000 must be finite and ≈ 1000; got {loss}, torch {expected}"
    np.testing.assert_allclose(dlogits, expected_grad, atol=1e-15,
                               err_msg="dlogits with logits of 1e3")


def test_softmax_cross_entropy_keeps_float32(rng):
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    _, dlogits = losses.softmax_cross_entropy(logits, np.array([0, 1, 2]))
    assert dlogits.dtype == np.float32, "float32 logits must give float32 dlogits"


@pytest.mark.parametrize("logits, y, error, pattern", [
    (np.ones((2, 3)), np.array([0, 3]), ValueError, "y must hold labels in 0..2"),
    (np.ones((2, 3)), np.array([-1, 0]), ValueError, "y must hold labels in 0..2"),
    (np.ones((2, 3)), np.array([0.0, 1.0]), TypeError, "y must hold integer class labels"),
    (np.ones((2, 3)), np.array([True, False]), TypeError, "y must hold integer class labels"),
    (np.ones((2, 3)), np.array([0, 1, 2]), ValueError, "y must have shape"),
    (np.ones((2, 3)), np.eye(3, dtype=int)[:2], ValueError, "y must have shape"),
    (np.ones(3), np.array([0]), ValueError, "logits must be 2-D.*logits\\[None, :\\]"),
    (np.array([[0.0, np.nan]]), np.array([0]), ValueError, "logits must be finite.*NaN"),
    (np.array([["a", "b"]]), np.array([0]), TypeError, "logits must"),
    (np.ones((0, 3)), np.array([], dtype=int), ValueError, "logits must have at least one"),
], ids=["label>=K", "label<0", "float labels", "bool labels", "y too long", "one-hot y",
        "1-D logits", "NaN logits", "str logits", "empty"])
def test_softmax_cross_entropy_bad_input(logits, y, error, pattern):
    with pytest.raises(error, match=pattern):
        losses.softmax_cross_entropy(logits, y)


# ---------------------------------------------------------------------------------------------
# [C1] mean squared error
# ---------------------------------------------------------------------------------------------
def test_mse_loss_matches_torch_and_differences(rng):
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss, dpred = losses.mse_loss(pred, target)
    expected, expected_grad = torch_loss_and_grad(F.mse_loss, pred, target)
    assert loss == pytest.approx(expected, rel=1e-12), "loss differs from F.mse_loss"
    np.testing.assert_allclose(dpred, expected_grad, rtol=1e-12, err_msg="dpred vs torch autograd")
    numeric = numerical_gradient(lambda v: losses.mse_loss(v, target)[0], pred)
    np.testing.assert_allclose(dpred, numeric, rtol=1e-6, atol=1e-9,
                               err_msg="dpred vs central differences")


def test_mse_loss_worked_by_hand():
    loss, dpred = losses.mse_loss(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert loss == pytest.approx(2.5), "mean((1, 2)^2) = (1 + 4)/2 = 2.5 [C1]"
    np.testing.assert_allclose(dpred, [1.0, 2.0], rtol=1e-15, err_msg="2 (ŷ − y) / n = (1, 2)")


def test_mse_loss_bad_input():
    with pytest.raises(ValueError, match="target must have the shape of pred.*no broadcasting"):
        losses.mse_loss(np.ones((3, 1)), np.ones(3))
    with pytest.raises(TypeError, match="pred must"):
        losses.mse_loss("abc", np.ones(3))
    with pytest.raises(ValueError, match="pred must not be empty"):
        losses.mse_loss(np.ones(0), np.ones(0))


# ---------------------------------------------------------------------------------------------
# [C2] binary cross-entropy, on probabilities and on logits
# ---------------------------------------------------------------------------------------------
def test_binary_cross_entropy_matches_torch(rng):
    p = rng.uniform(0.01, 0.99, size=(3, 4))
    y = rng.integers(0, 2, size=(3, 4)).astype(float)
    y[0, 0] = 0.3  # a soft target
    loss, dp = losses.binary_cross_entropy(p, y)
    expected, expected_grad = torch_loss_and_grad(F.binary_cross_entropy, p, y)
    assert loss == pytest.approx(expected, rel=1e-12), "loss differs from F.binary_cross_entropy"
    np.testing.assert_allclose(dp, expected_grad, rtol=1e-10, err_msg="dp vs torch autograd")
    numeric = numerical_gradient(lambda v: losses.binary_cross_entropy(v, y)[0], p)
    np.testing.assert_allclose(dp, numeric, rtol=1e-6, atol=1e-9,
                               err_msg="dp vs central differences")


def test_binary_cross_entropy_clamps_like_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    with strict():
        loss, dp = losses.binary_cross_entropy(p, y)
    expected, expected_grad = torch_loss_and_grad(F.binary_cross_entropy, p, y)
    assert loss == pytest.approx(expected, rel=1e-12), \
        "log must be clamped at −100 as in torch: (0 + 0 + 100 + 100 + log 2) / 5"
    assert loss == pytest.approx((200 + np.log(2)) / 5, rel=1e-12), "worked by hand"
    np.testing.assert_allclose(dp, expected_grad, rtol=1e-12,
                               err_msg="dp must divide by max(p (1 − p), 1e-12) as in torch")


def test_bce_with_logits_matches_torch_and_differences(rng):
    z = np.concatenate([rng.normal(scale=3.0, size=6), [-1000.0, 1000.0, -40.0, 40.0]])
    y = np.array([0, 1, 1, 0, 0.5, 1, 1, 0, 0, 1], dtype=float)
    with strict():
        loss, dz = losses.bce_with_logits(z, y)
    expected, expected_grad = torch_loss_and_grad(F.binary_cross_entropy_with_logits, z, y)
    assert loss == pytest.approx(expected, rel=1e-12), \
        "loss differs from F.binary_cross_entropy_with_logits (logits up to 1e3 included)"
    np.testing.assert_allclose(dz, expected_grad, rtol=1e-10, atol=1e-15,
                               err_msg="dz vs torch autograd")
    numeric = numerical_gradient(lambda v: losses.bce_with_logits(v, y[:6])[0], z[:6])
    np.testing.assert_allclose(losses.bce_with_logits(z[:6], y[:6])[1], numeric, rtol=1e-6,
                               atol=1e-9, err_msg="dz vs central differences")


def test_bce_with_logits_agrees_with_bce_on_probabilities(rng):
    z = rng.normal(size=5)
    y = rng.integers(0, 2, size=5).astype(float)
    p = 1 / (1 + np.exp(-z))
    assert losses.bce_with_logits(z, y)[0] == pytest.approx(losses.binary_cross_entropy(p, y)[0]), \
        "BCE on logits must equal BCE on σ(logits)"


@pytest.mark.parametrize("f", [losses.binary_cross_entropy, losses.bce_with_logits],
                         ids=lambda f: f.__name__)
def test_binary_losses_bad_input(f):
    first = "p" if f is losses.binary_cross_entropy else "z"
    with pytest.raises(ValueError, match=f"y must have the shape of {first}"):
        f(np.full((2, 2), 0.5), np.ones(2))
    with pytest.raises(ValueError, match="y must lie in \\[0, 1\\]"):
        f(np.full(2, 0.5), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match=f"{first} must"):
        f(np.array([0.5, np.nan]), np.ones(2))


def test_binary_cross_entropy_rejects_p_outside_unit_interval():
    with pytest.raises(ValueError, match="p must lie in \\[0, 1\\]"):
        losses.binary_cross_entropy(np.array([0.5, 1.5]), np.ones(2))


# ---------------------------------------------------------------------------------------------
# [C5] squared error vs cross-entropy on a sigmoid output
# ---------------------------------------------------------------------------------------------
def test_sigmoid_output_gradients_match_torch(rng):
    z = rng.normal(scale=3.0, size=7)
    y = rng.integers(0, 2, size=7).astype(float)
    dz_se, dz_ce = losses.sigmoid_output_gradients(z, y)
    _, expected_se = torch_loss_and_grad(
        lambda t, target: ((torch.sigmoid(t) - target) ** 2).sum(), z, y)
    _, expected_ce = torch_loss_and_grad(
        lambda t, target: F.binary_cross_entropy_with_logits(t, target, reduction="sum"), z, y)
    np.testing.assert_allclose(dz_se, expected_se, rtol=1e-10, atol=1e-15,
                               err_msg="squared error: 2 (a − y) σ'(z)")
    np.testing.assert_allclose(dz_ce, expected_ce, rtol=1e-10, atol=1e-15,
                               err_msg="cross-entropy: a − y")


def test_squared_error_gradient_vanishes_when_confidently_wrong():
    z = np.array([-10.0, 10.0])  # σ(z) ≈ 0 and ≈ 1
    y = np.array([1.0, 0.0])  # both wrong
    dz_se, dz_ce = losses.sigmoid_output_gradients(z, y)
    assert np.all(np.abs(dz_se) < 1e-3), \
        f"squared error should barely move a saturated unit: {dz_se}"
    np.testing.assert_allclose(np.abs(dz_ce), 1.0, atol=1e-4,
                               err_msg="cross-entropy must push a confidently wrong unit "
                               "with |a − y| ≈ 1")
    assert np.all(np.sign(dz_se) == np.sign(dz_ce)), "both point the same way"


@settings(max_examples=40, deadline=None)
@given(z=st.floats(-30, 30, allow_nan=False), y=st.sampled_from([0.0, 1.0]))
def test_squared_error_gradient_is_at_most_half_the_cross_entropy_one(z, y):
    dz_se, dz_ce = losses.sigmoid_output_gradients(np.array([z]), np.array([y]))
    assert abs(dz_se[0]) <= 0.5 * abs(dz_ce[0]) + 1e-15, \
        f"|dz_se| = 2σ'(z)|a − y| must be ≤ |a − y| / 2 at z = {z}, y = {y}"


# ---------------------------------------------------------------------------------------------
# purity
# ---------------------------------------------------------------------------------------------
def test_losses_do_not_modify_their_inputs(rng):
    logits, y = rng.normal(size=(3, 4)), np.array([0, 1, 3])
    p, t = rng.uniform(0.1, 0.9, size=5), rng.integers(0, 2, size=5).astype(float)
    arrays = (logits, y, p, t)
    copies = [a.copy() for a in arrays]
    losses.softmax(logits)
    losses.log_softmax(logits)
    losses.softmax_jacobian(losses.softmax(logits[0]))
    losses.softmax_cross_entropy(logits, y)
    losses.mse_loss(p, t)
    losses.binary_cross_entropy(p, t)
    losses.bce_with_logits(p, t)
    losses.sigmoid_output_gradients(p, t)
    for before, after in zip(copies, arrays):
        np.testing.assert_array_equal(after, before, err_msg="a loss modified its caller's array")
