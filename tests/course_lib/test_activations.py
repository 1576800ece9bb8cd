"""Tests of course_lib.activations [B1]-[B8], [B11], [A8].

Oracles: PyTorch in float64 (values, and gradients through autograd), central differences, and
values worked by hand from the notes. pytest turns every RuntimeWarning into an error, so the
extreme-input tests also check that nothing overflows.
"""
import dataclasses
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import activations as act

# name, course_lib function, its gradient, torch function, keyword arguments
CASES = [
    ("sigmoid", act.sigmoid, act.sigmoid_grad, torch.sigmoid, {}),
    ("tanh", act.tanh, act.tanh_grad, torch.tanh, {}),
    ("relu", act.relu, act.relu_grad, F.relu, {}),
    ("leaky_relu", act.leaky_relu, act.leaky_relu_grad, lambda t: F.leaky_relu(t, 0.01), {}),
    ("leaky_relu_0.1", act.leaky_relu, act.leaky_relu_grad,
     lambda t: F.leaky_relu(t, 0.1), {"alpha": 0.1}),
    ("elu", act.elu, act.elu_grad, lambda t: F.elu(t, 1.0), {}),
    ("elu_2", act.elu, act.elu_grad, lambda t: F.elu(t, 2.0), {"alpha": 2.0}),
    # threshold=50: torch switches to softplus(x) = x above it; course_lib never does
    ("softplus", act.softplus, act.softplus_grad, lambda t: F.softplus(t, threshold=50.0), {}),
]
CASE_IDS = [case[0] for case in CASES]
KINKED = {"relu", "leaky_relu", "leaky_relu_0.1", "elu", "elu_2"}

GRID = np.concatenate([np.linspace(-8.0, 8.0, 33), [-30.0, -1e-3, 0.0, 1e-3, 30.0]])
EXTREMES = np.array([-1000.0, -710.0, -50.0, 50.0, 710.0, 1000.0])


def torch_value_and_grad(torch_f, x):
    """Value of ``torch_f`` at ``x`` and its elementwise derivative, through autograd."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = torch_f(t)
    (grad,) = torch.autograd.grad(out.sum(), t)
    return out.detach().numpy(), grad.numpy()


def central_difference(f, x, h=1e-6):
    """Elementwise derivative of an elementwise ``f`` by central differences."""
    x = np.asarray(x, dtype=np.float64)
    return (f(x + h) - f(x - h)) / (2 * h)


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


# ---------------------------------------------------------------------------------------------
# elementwise activations against torch and finite differences
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, f, f_grad, torch_f, kw", CASES, ids=CASE_IDS)
def test_value_and_grad_match_torch(name, f, f_grad, torch_f, kw):
    expected, expected_grad = torch_value_and_grad(torch_f, GRID)
    np.testing.assert_allclose(f(GRID, **kw), expected, rtol=1e-12, atol=1e-14,
                               err_msg=f"{name} differs from torch")
    np.testing.assert_allclose(f_grad(GRID, **kw), expected_grad, rtol=1e-10, atol=1e-14,
                               err_msg=f"{name}_grad differs from torch autograd (x = 0 included)")


@pytest.mark.parametrize("name, f, f_grad, torch_f, kw", CASES, ids=CASE_IDS)
def test_grad_matches_central_differences(name, f, f_grad, torch_f, kw):
    x = GRID[np.abs(GRID) > 1e-2] if name in KINKED else GRID  # no difference across the kink
    numeric = central_difference(lambda v: f(v, **kw), x)
    np.testing.assert_allclose(f_grad(x, **kw), numeric, rtol=1e-6, atol=1e-9,
                               err_msg=f"{name}_grad is not the derivative of {name}")


@pytest.mark.parametrize("name, f, f_grad, torch_f, kw", CASES, ids=CASE_IDS)
def test_extremes_are_finite_without_warnings(name, f, f_grad, torch_f, kw):
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out, grad = f(EXTREMES, **kw), f_grad(EXTREMES, **kw)
    assert np.all(np.isfinite(out)), f"{name} is not finite at {EXTREMES}: {out}"
    assert np.all(np.isfinite(grad)), f"{name}_grad is not finite at {EXTREMES}: {grad}"
    # torch's softplus(x) is exactly x above its threshold: compare with its default here
    ref_f = (lambda t: F.softplus(t)) if name == "softplus" else torch_f
    expected, expected_grad = torch_value_and_grad(ref_f, EXTREMES)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14,
                               err_msg=f"{name} differs from torch at |x| up to 1000")
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-14,
                               err_msg=f"{name}_grad differs from torch at |x| up to 1000")


def test_kink_conventions_follow_torch():
    assert act.relu_grad(0.0) == pytest.approx(0.0, abs=1e-15), "relu_grad(0) must be 0 (torch)"
    assert act.leaky_relu_grad(0.0, alpha=0.1) == pytest.approx(0.1), \
        "leaky_relu_grad(0) must be alpha (torch)"
    assert act.elu_grad(0.0, alpha=2.0) == pytest.approx(2.0), \
        "elu_grad(0) must be alpha, the left derivative (torch's ELU backward)"
    assert act.elu_grad(1e-12, alpha=2.0) == pytest.approx(1.0), "elu_grad is 1 for x > 0"


def test_saturated_gradients_keep_relative_accuracy():
    # by hand: σ'(x) = e^{-x} / (1 + e^{-x})^2 and tanh'(x) = 4 e^{-2x} / (1 + e^{-2x})^2
    x = 30.0
    expected_sigmoid = np.exp(-x) / (1 + np.exp(-x)) ** 2
    expected_tanh = 4 * np.exp(-2 * x) / (1 + np.exp(-2 * x)) ** 2
    assert act.sigmoid_grad(x) == pytest.approx(expected_sigmoid, rel=1e-12, abs=0), \
        "sigmoid_grad(30) lost its relative accuracy (1 − σ cancels; use σ(−x))"
    assert act.tanh_grad(x) == pytest.approx(expected_tanh, rel=1e-12, abs=0), \
        "tanh_grad(30) lost its relative accuracy (1 − tanh² cancels)"


# ---------------------------------------------------------------------------------------------
# worked values from the notes
# ---------------------------------------------------------------------------------------------
def test_sigmoid_worked_values():
    assert act.sigmoid(0.0) == pytest.approx(0.5), "σ(0) = 1/2 [B1]"
    assert act.sigmoid_grad(0.0) == pytest.approx(0.25), "σ'(0) = 1/4 [B1]"
    assert act.sigmoid(2.0) == pytest.approx(0.880797, abs=1e-6), "σ(2) = 1/(1 + e^{-2})"
    grid = np.linspace(-10, 10, 2001)
    assert np.max(act.sigmoid_grad(grid)) <= 0.25 + 1e-15, "σ' must not exceed 1/4 [B1]"
    assert grid[np.argmax(act.sigmoid_grad(grid))] == pytest.approx(0.0, abs=1e-12), \
        "σ' is largest at 0"
    # the erratum of note 003, 1/(1 + e^{a}), is decreasing; the sigmoid is increasing
    assert np.all(np.diff(act.sigmoid(grid)) >= 0), "σ must be increasing (not 1/(1 + e^{x}))"


def test_tanh_and_softplus_worked_values():
    assert act.tanh_grad(0.0) == pytest.approx(1.0), "tanh'(0) = 1 [B2]"
    assert act.tanh(1.0) == pytest.approx((np.e - 1 / np.e) / (np.e + 1 / np.e)), \
        "tanh(1) = (e − 1/e)/(e + 1/e) [B2]"
    assert act.softplus(0.0) == pytest.approx(np.log(2.0)), "softplus(0) = log 2 [B7]"
    assert act.elu(-1.0) == pytest.approx(np.exp(-1) - 1), "elu(-1) = e^{-1} − 1 [B6]"
    assert act.leaky_relu(-2.0) == pytest.approx(-0.02), "leaky_relu(-2) = 0.01 · (-2) [B4]"


# ---------------------------------------------------------------------------------------------
# laws (hypothesis)
# ---------------------------------------------------------------------------------------------
finite_x = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(x=finite_x)
def test_tanh_is_a_stretched_sigmoid(x):
    assert act.tanh(x) == pytest.approx(2 * act.sigmoid(2 * x) - 1, abs=1e-12), \
        f"tanh(x) must equal 2σ(2x) − 1 [B2] at x = {x}"


@settings(max_examples=40, deadline=None)
@given(x=finite_x)
def test_softplus_derivative_is_sigmoid(x):
    numeric = (act.softplus(x + 1e-6) - act.softplus(x - 1e-6)) / 2e-6
    assert numeric == pytest.approx(act.sigmoid(x), abs=1e-7), \
        f"d/dx softplus must be σ(x) [B7] at x = {x}"
    assert act.softplus_grad(x) == pytest.approx(
        torch_value_and_grad(lambda t: F.softplus(t, threshold=100.0), np.array([x]))[1][0],
        abs=1e-12,
    ), f"softplus_grad differs from torch autograd at x = {x}"


@settings(max_examples=40, deadline=None)
@given(x=finite_x)
def test_sigmoid_symmetry(x):
    assert act.sigmoid(-x) == pytest.approx(1 - act.sigmoid(x), abs=1e-15), \
        f"σ(−x) must equal 1 − σ(x) at x = {x}"


# ---------------------------------------------------------------------------------------------
# dtypes, scalars, bad input, purity
# ---------------------------------------------------------------------------------------------
ALL_ELEMENTWISE = [
    act.sigmoid, act.sigmoid_grad, act.tanh, act.tanh_grad, act.relu, act.relu_grad,
    act.leaky_relu, act.leaky_relu_grad, act.elu, act.elu_grad, act.softplus, act.softplus_grad,
    act.identity,
]


@pytest.mark.parametrize("f", ALL_ELEMENTWISE, ids=lambda f: f.__name__)
def test_dtypes_and_scalars(f):
    x32 = np.array([-1000.0, -1.0, 0.5, 1000.0], dtype=np.float32)
    assert f(x32).dtype == np.float32, f"{f.__name__} must keep float32"
    assert f(np.array([-2, 0, 3])).dtype == np.float64, f"{f.__name__} must turn ints into float64"
    scalar = f(0.5)
    assert np.ndim(scalar) == 0, f"{f.__name__}(0.5) must be a scalar"
    assert float(scalar) == pytest.approx(float(f(np.array([0.5]))[0])), \
        f"{f.__name__} must give the same value for a scalar and a 1-element array"
    assert f([1.0, -1.0]).shape == (2,), f"{f.__name__} must accept a list"


@pytest.mark.parametrize("f", ALL_ELEMENTWISE, ids=lambda f: f.__name__)
def test_does_not_modify_input(f):
    x = np.linspace(-3, 3, 7)
    before = x.copy()
    f(x)
    np.testing.assert_array_equal(x, before, err_msg=f"{f.__name__} modified its input")


@pytest.mark.parametrize(
    "bad", ["abc", np.array([1 + 1j]), np.array([True, False]), [[1.0], [1.0, 2.0]]],
    ids=["str", "complex", "bool", "ragged"],
)
@pytest.mark.parametrize("f", [act.sigmoid, act.relu_grad, act.elu], ids=lambda f: f.__name__)
def test_bad_x_raises_type_error(f, bad):
    with pytest.raises(TypeError, match="x must"):
        f(bad)


def test_bad_alpha_raises():
    with pytest.raises(TypeError, match="alpha"):
        act.leaky_relu(np.ones(3), alpha="0.1")
    with pytest.raises(ValueError, match="alpha"):
        act.elu_grad(np.ones(3), alpha=float("nan"))
    with pytest.raises(TypeError, match="alpha"):
        act.elu(np.ones(3), alpha=np.ones(3))


# ---------------------------------------------------------------------------------------------
# [B5] PReLU
# ---------------------------------------------------------------------------------------------
PRELU_CASES = {
    "shared (N, D)": ((4, 3), 0.25),
    "shared as (1,)": ((4, 3), np.array([0.25])),
    "per feature (N, D)": ((4, 3), np.array([0.1, -0.2, 0.3])),
    "per channel (N, C, H, W)": ((2, 3, 2, 2), np.array([0.1, 0.5, 2.0])),
}


@pytest.mark.parametrize("shape, alpha", PRELU_CASES.values(), ids=PRELU_CASES.keys())
def test_prelu_matches_torch(rng, shape, alpha):
    x = rng.normal(size=shape)
    x.flat[0] = 0.0  # the convention at 0
    dout = rng.normal(size=shape)
    out, cache = act.prelu_forward(x, alpha)
    dx, dalpha = act.prelu_backward(dout, cache)

    x_t = torch.tensor(x, requires_grad=True)
    alpha_t = torch.tensor(np.atleast_1d(alpha), dtype=torch.float64, requires_grad=True)
    out_t = F.prelu(x_t, alpha_t)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, err_msg="prelu forward")
    np.testing.assert_allclose(dx, x_t.grad.numpy(), rtol=1e-12, err_msg="prelu dx")
    np.testing.assert_allclose(np.atleast_1d(dalpha), alpha_t.grad.numpy(), rtol=1e-10,
                               err_msg="prelu dalpha must be summed over all but the channel axis")
    assert np.shape(dalpha) == np.shape(alpha), "dalpha must have the shape of alpha"


@pytest.mark.parametrize("shape, alpha", PRELU_CASES.values(), ids=PRELU_CASES.keys())
def test_prelu_backward_matches_central_differences(rng, shape, alpha):
    x = rng.normal(size=shape)
    dout = rng.normal(size=shape)
    _, cache = act.prelu_forward(x, alpha)
    dx, dalpha = act.prelu_backward(dout, cache)
    num_dx = numerical_gradient(lambda v: np.sum(act.prelu_forward(v, alpha)[0] * dout), x)
    num_dalpha = numerical_gradient(lambda a: np.sum(act.prelu_forward(x, a)[0] * dout), alpha)
    np.testing.assert_allclose(dx, num_dx, rtol=1e-6, atol=1e-8, err_msg="prelu dx vs differences")
    np.testing.assert_allclose(dalpha, num_dalpha, rtol=1e-6, atol=1e-8,
                               err_msg="prelu dalpha vs differences")


def test_prelu_bad_alpha_and_dout(rng):
    x = rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="alpha"):
        act.prelu_forward(x, np.ones(4))
    with pytest.raises(ValueError, match="alpha"):
        act.prelu_forward(x, np.ones((3, 1)))
    with pytest.raises(ValueError, match="alpha"):
        act.prelu_forward(np.ones(3), np.ones(3))
    _, cache = act.prelu_forward(x, 0.1)
    with pytest.raises(ValueError, match="dout"):
        act.prelu_backward(np.ones((3, 4)), cache)


def test_prelu_keeps_float32_with_a_python_alpha(rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    out, cache = act.prelu_forward(x, 0.2)
    dx, _ = act.prelu_backward(np.ones_like(x), cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32, "prelu must keep float32"


# ---------------------------------------------------------------------------------------------
# [B8] maxout
# ---------------------------------------------------------------------------------------------
def test_maxout_matches_torch(rng):
    N, D, M, K = 5, 4, 3, 3
    x, W, b = rng.normal(size=(N, D)), rng.normal(size=(K, D, M)), rng.normal(size=(K, M))
    dout = rng.normal(size=(N, M))
    out, cache = act.maxout_forward(x, W, b)
    dx, dW, db = act.maxout_backward(dout, cache)

    x_t, W_t, b_t = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    z_t = torch.stack([x_t @ W_t[k] + b_t[k] for k in range(K)], dim=1)  # (N, K, M)
    out_t = z_t.max(dim=1).values
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12, err_msg="maxout forward")
    for name, got, t in (("dx", dx, x_t), ("dW", dW, W_t), ("db", db, b_t)):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-14,
                                   err_msg=f"maxout {name} differs from torch autograd")


def test_maxout_backward_matches_central_differences(rng):
    x, W, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 2, 4)), rng.normal(size=(2, 4))
    dout = rng.normal(size=(3, 4))
    _, cache = act.maxout_forward(x, W, b)
    dx, dW, db = act.maxout_backward(dout, cache)

    def loss(x_, W_, b_):
        return np.sum(act.maxout_forward(x_, W_, b_)[0] * dout)

    checks = {
        "dx": (dx, numerical_gradient(lambda v: loss(v, W, b), x)),
        "dW": (dW, numerical_gradient(lambda v: loss(x, v, b), W)),
        "db": (db, numerical_gradient(lambda v: loss(x, W, v), b)),
    }
    for name, (got, numeric) in checks.items():
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"maxout {name} vs central differences")


def test_maxout_with_identity_and_zero_pieces_is_relu(rng):
    # by hand: max(x I + 0, x 0 + 0) = max(x, 0)
    x = rng.normal(size=(4, 3))
    W = np.stack([np.eye(3), np.zeros((3, 3))])
    out, _ = act.maxout_forward(x, W, np.zeros((2, 3)))
    np.testing.assert_allclose(out, np.where(x > 0, x, 0.0), atol=1e-15,
                               err_msg="maxout(x, [I, 0], 0) must be ReLU")


def test_maxout_bad_shapes(rng):
    x = rng.normal(size=(4, 3))
    with pytest.raises(ValueError, match="x must be 2-D"):
        act.maxout_forward(x[0], np.ones((2, 3, 5)), np.ones((2, 5)))
    with pytest.raises(ValueError, match="W must"):
        act.maxout_forward(x, np.ones((2, 4, 5)), np.ones((2, 5)))
    with pytest.raises(ValueError, match="b must"):
        act.maxout_forward(x, np.ones((2, 3, 5)), np.ones((5,)))
    _, cache = act.maxout_forward(x, np.ones((2, 3, 5)), np.ones((2, 5)))
    with pytest.raises(ValueError, match="dout"):
        act.maxout_backward(np.ones((4, 3)), cache)


def test_layer_inputs_are_not_modified(rng):
    x, W, b = rng.normal(size=(3, 2)), rng.normal(size=(2, 2, 4)), rng.normal(size=(2, 4))
    alpha = np.array([0.1, 0.2])
    dout2, dout4 = rng.normal(size=(3, 2)), rng.normal(size=(3, 4))
    copies = [a.copy() for a in (x, W, b, alpha, dout2, dout4)]
    act.maxout_backward(dout4, act.maxout_forward(x, W, b)[1])
    act.prelu_backward(dout2, act.prelu_forward(x, alpha)[1])
    for before, after in zip(copies, (x, W, b, alpha, dout2, dout4)):
        np.testing.assert_array_equal(after, before, err_msg="a layer modified its caller's array")


# ---------------------------------------------------------------------------------------------
# [B11] the ACTIVATIONS table and the comparison of activations
# ---------------------------------------------------------------------------------------------
NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]


def test_activation_tables_cover_the_same_names():
    assert sorted(act.ACTIVATIONS) == sorted(NAMES), "ACTIVATIONS must hold the six activations"
    assert sorted(act.ACTIVATION_PROPERTIES) == sorted(NAMES), \
        "ACTIVATION_PROPERTIES must describe every entry of ACTIVATIONS"
    for name, (f, f_grad) in act.ACTIVATIONS.items():
        x = np.array([-2.0, -0.5, 0.7, 3.0])
        np.testing.assert_allclose(f_grad(x), central_difference(f, x), rtol=1e-6,
                                   err_msg=f"ACTIVATIONS[{name!r}] pairs f with a wrong f_grad")


def test_properties_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        act.ACTIVATION_PROPERTIES["relu"].can_die = False


@pytest.mark.parametrize("name", NAMES)
def test_output_range_claims(name):
    f, _ = act.ACTIVATIONS[name]
    props = act.ACTIVATION_PROPERTIES[name]
    low, high = props.output_range
    low_closed, high_closed = props.range_closed
    y = f(np.linspace(-10, 10, 401))
    assert np.all(y >= low) and np.all(y <= high), f"{name} leaves its range {props.output_range}"
    for end, closed, label in ((low, low_closed, "lower"), (high, high_closed, "upper")):
        if np.isinf(end):
            x_far = 1000.0 if end > 0 else -1000.0
            assert abs(f(x_far)) >= 10, f"{name} should be unbounded at its {label} end"
            continue
        attained = np.min(np.abs(y - end)) < 1e-12
        assert attained == closed, \
            f"{name}: {label} end {end} attained={attained}, claimed {closed}"
        x_far = -40.0 if label == "lower" else 40.0
        assert abs(f(x_far) - end) < 1e-6, f"{name} should approach its {label} end {end}"


@pytest.mark.parametrize("name", NAMES)
def test_shape_claims(name):
    f, f_grad = act.ACTIVATIONS[name]
    props = act.ACTIVATION_PROPERTIES[name]
    symmetric = np.linspace(-5, 5, 201)
    zero_mean = abs(np.mean(f(symmetric))) < 1e-12
    assert zero_mean == props.zero_centred, f"{name}: zero_centred claimed {props.zero_centred}"
    assert (f_grad(40.0) < 1e-6) == props.saturates, \
        f"{name}: saturates (f' → 0 for large x) claimed {props.saturates}"
    assert (f_grad(-40.0) < 1e-6) == props.saturates_negative, \
        f"{name}: saturates_negative claimed {props.saturates_negative}"
    negatives = np.linspace(-10, -0.1, 100)
    sparse = np.count_nonzero(f(negatives)) == 0
    assert sparse == props.sparse_output, f"{name}: sparse_output claimed {props.sparse_output}"
    dead = np.count_nonzero(f_grad(negatives)) == 0
    assert dead == props.can_die, f"{name}: can_die claimed {props.can_die}"
    # without exp an activation is piecewise linear: zero second differences away from the kink
    x = np.concatenate([np.linspace(-5, -0.5, 50), np.linspace(0.5, 5, 50)])
    curved = np.max(np.abs(np.diff(f(x), 2)[np.abs(x[1:-1]) > 0.6])) > 1e-8
    assert curved == props.uses_exp, f"{name}: uses_exp claimed {props.uses_exp}"


def test_elu_outputs_are_closer_to_zero_mean_than_relu(rng):
    x = rng.normal(size=10_000)
    mean_elu, mean_relu = np.mean(act.elu(x)), np.mean(act.relu(x))
    assert abs(mean_elu) < 0.5 * abs(mean_relu), \
        f"ELU's mean output {mean_elu:.3f} should be much closer to 0 than ReLU's {mean_relu:.3f}"


def test_advice_of_the_notes():
    props = act.ACTIVATION_PROPERTIES
    assert "baseline" in props["relu"].advice, "the notes use ReLU as the baseline"
    assert "try" in props["leaky_relu"].advice and "try" in props["elu"].advice, \
        "the notes say to try leaky ReLU and ELU"
    assert "do not expect much" in props["tanh"].advice, "the notes expect little from tanh"
    assert "hidden" in props["sigmoid"].advice and "not" in props["sigmoid"].advice, \
        "the notes say not to use sigmoid in hidden layers"
    assert "ReLU" in act.HIDDEN_LAYER_ADVICE[0] and "baseline" in act.HIDDEN_LAYER_ADVICE[0], \
        "HIDDEN_LAYER_ADVICE starts with the ReLU baseline"


# ---------------------------------------------------------------------------------------------
# [A8] output activations
# ---------------------------------------------------------------------------------------------
def test_output_activation_by_task(rng):
    z = rng.normal(size=(4, 3))
    regression = act.output_activation("regression")(z)
    np.testing.assert_allclose(regression, z, rtol=1e-15, err_msg="regression: identity")
    assert regression is not z, "the identity must return a new array"
    np.testing.assert_allclose(act.output_activation("binary")(z),
                               torch.sigmoid(torch.tensor(z)).numpy(), rtol=1e-12,
                               err_msg="binary classification: sigmoid")
    np.testing.assert_allclose(act.output_activation("multiclass")(z),
                               torch.softmax(torch.tensor(z), dim=-1).numpy(), rtol=1e-12,
                               err_msg="multiclass classification: softmax over the last axis")


def test_output_activation_bad_task():
    with pytest.raises(ValueError, match="task .*'ranking'"):
        act.output_activation("ranking")
    with pytest.raises(TypeError, match="task"):
        act.output_activation(3)
