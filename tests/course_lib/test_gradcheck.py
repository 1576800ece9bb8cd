"""Tests of course_lib.gradcheck against analytic gradients and torch's Jacobian."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.gradcheck import gradient_check, numerical_gradient, numerical_jacobian, rel_error

# ---- numerical_gradient ----------------------------------------------------------------------


def test_numerical_gradient_of_known_functions(rng):
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-7, atol=1e-8, err_msg="d/dx Σ x³ = 3x²")
    grad = numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    np.testing.assert_allclose(
        grad, np.cos(x) * x + np.sin(x), rtol=1e-7, atol=1e-8, err_msg="d/dx Σ x sin x"
    )


def test_numerical_gradient_of_a_closure_over_a_weight_matrix(rng):
    X = rng.standard_normal((5, 3))
    W = rng.standard_normal((3, 2))
    # L = Σ (X W)², ∂L/∂W = 2 Xᵀ X W; f reads W from the enclosing scope, as in a layer check.
    grad = numerical_gradient(lambda _: np.sum((X @ W) ** 2), W)
    np.testing.assert_allclose(grad, 2 * X.T @ X @ W, rtol=1e-7, atol=1e-7, err_msg="∂Σ(XW)²/∂W")


def test_x_is_restored(rng):
    x = rng.standard_normal(6)
    before = x.copy()
    numerical_gradient(lambda v: float(np.prod(v)), x)
    np.testing.assert_array_equal(
        x, before, err_msg="numerical_gradient must restore every entry of x"
    )
    numerical_jacobian(lambda v: v * 2, x)
    np.testing.assert_array_equal(
        x, before, err_msg="numerical_jacobian must restore every entry of x"
    )


def test_x_is_restored_when_f_raises(rng):
    x = rng.standard_normal(4)
    before = x.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 4:  # fails on the second entry, while it is shifted by −h
            raise RuntimeError("boom")
        return float(np.sum(v))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before, err_msg="x must be restored even if f raises")


def test_central_difference_error_is_second_order():
    # For exp at 0, the central difference errs by about h²/6; one order of h more accurate
    # than a forward difference, whose error is about h/2.
    x = np.zeros(1)
    errors = [
        abs(numerical_gradient(lambda v: float(np.exp(v[0])), x, h=h)[0] - 1.0)
        for h in (1e-2, 1e-3)
    ]
    assert errors[0] == pytest.approx(1e-4 / 6, rel=1e-2), f"error at h=1e-2: {errors[0]}"
    assert errors[1] < errors[0] / 50, f"error must fall like h²: {errors}"


# ---- numerical_jacobian [D5] -----------------------------------------------------------------


def test_jacobian_of_the_identity_is_the_identity_matrix(rng):
    x = rng.standard_normal(4)
    np.testing.assert_allclose(
        numerical_jacobian(lambda v: v.copy(), x), np.eye(4), atol=1e-9, err_msg="[D5] ∂x/∂x = I"
    )


def test_jacobian_of_a_linear_map_is_its_matrix(rng):
    A = rng.standard_normal((3, 5))
    x = rng.standard_normal(5)
    np.testing.assert_allclose(
        numerical_jacobian(lambda v: A @ v, x), A, atol=1e-9, err_msg="∂(Ax)/∂x = A"
    )


def test_jacobian_matches_torch(rng):
    A = rng.standard_normal((4, 6))
    x = rng.standard_normal((2, 3))

    def f_np(v):
        return np.tanh(A @ v.reshape(-1))

    def f_t(v):
        return torch.tanh(torch.from_numpy(A) @ v.reshape(-1))

    jac = numerical_jacobian(f_np, x)
    want = torch.autograd.functional.jacobian(f_t, torch.from_numpy(x.copy())).numpy()
    assert jac.shape == (4, 2, 3), f"layout must be out.shape + x.shape, got {jac.shape}"
    np.testing.assert_allclose(
        jac, want, rtol=1e-7, atol=1e-9, err_msg="Jacobian of tanh(A x) vs torch"
    )


# ---- rel_error -------------------------------------------------------------------------------


def test_rel_error_edge_cases():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0, "both zero must give 0, not 0/0"
    assert rel_error(1.0, 0.0) == pytest.approx(1.0), "|1 − 0| / (1 + 0) = 1"
    assert rel_error(1.0, -1.0) == pytest.approx(1.0), "|1 − (−1)| / (1 + 1) = 1"
    assert rel_error(1e-10, 0.0) == pytest.approx(1e-2), "the floor 1e-8 in the denominator"
    assert rel_error([1.0, 2.0], [1.0, 2.2]) == pytest.approx(
        0.2 / 4.2
    ), "the largest elementwise error"
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0, "empty arrays have no error"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8), st.floats(1e-3, 1e3))
def test_rel_error_is_symmetric_and_scale_free(values, scale):
    a = np.array(values)
    b = a * 1.01 + 1.0
    assert rel_error(a, b) == pytest.approx(
        rel_error(b, a), rel=1e-12
    ), "rel_error(a, b) = rel_error(b, a)"
    assert 0.0 <= rel_error(a, b) <= 1.0, "the relative error lies in [0, 1]"
    big_a, big_b = a * scale * 1e4, b * scale * 1e4
    if np.all(np.abs(big_a) + np.abs(big_b) > 1e-8) and np.all(np.abs(a) + np.abs(b) > 1e-8):
        assert rel_error(big_a, big_b) == pytest.approx(
            rel_error(a, b), rel=1e-9
        ), "scaling both leaves it unchanged"


# ---- gradient_check --------------------------------------------------------------------------


def test_gradient_check_passes_a_right_and_fails_a_wrong_gradient(rng):
    x = rng.standard_normal((2, 3))

    def f(v):
        return float(np.sum(np.tanh(v) ** 2))

    right = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    assert gradient_check(f, x, right) < 1e-7, "the analytic gradient of Σ tanh² must pass"
    assert gradient_check(f, x, 2 * right) > 0.1, "a gradient off by a factor 2 must fail"


# ---- bad input -------------------------------------------------------------------------------


def test_bad_input_raises_with_the_argument_named():
    with pytest.raises(TypeError, match="x must be a numpy ndarray"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        numerical_gradient(np.sum, np.arange(3))
    with pytest.raises(ValueError, match="h must be a positive"):
        numerical_gradient(np.sum, np.zeros(3), h=0.0)
    with pytest.raises(TypeError, match="f must return one real number"):
        numerical_gradient(lambda v: v * 2, np.zeros(3))
    with pytest.raises(ValueError, match="a and b must have the same shape"):
        rel_error(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="a contains NaN"):
        rel_error([np.nan], [1.0])
    with pytest.raises(TypeError, match="b must hold real numbers"):
        rel_error([1.0], ["x"])
    with pytest.raises(ValueError, match="analytic must have the shape of x"):
        gradient_check(np.sum, np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="f must return arrays of one shape"):
        numerical_jacobian(lambda v: np.zeros(int(v[0] > 0) + 1), np.zeros(1))
