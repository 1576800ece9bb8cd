"""Tests of course_lib.vanishing: the unstable band measured on a grid, gradients vs torch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.vanishing import (
    chain_gradient,
    layer_gradient_norms,
    stack_weight_gradients,
    unstable_band_width,
)

TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


# ---- unstable band [E3] ----------------------------------------------------------------------


def measured_band_width(w, b, lo=-1.0, hi=1.0, step=1e-5):
    """Width of {a : |w σ'(w a + b)| ≥ 1}, counted on a fine grid of [lo, hi).

    The bands of the parameters below lie well inside [-1, 1] (centre −b/w, width < 0.45), and
    |w a + b| stays below 40, so the plain formula of σ does not overflow.
    """
    a = np.arange(lo, hi, step)
    s = 1.0 / (1.0 + np.exp(-(w * a + b)))
    return np.count_nonzero(np.abs(w * s * (1 - s)) >= 1) * step


@pytest.mark.parametrize("w", [3.0, 4.2, 5.0, 6.89, -8.0, 12.0, 30.0])
@pytest.mark.parametrize("b", [0.0, 1.3])
def test_band_width_matches_a_direct_measurement(w, b):
    assert unstable_band_width(w) == pytest.approx(
        measured_band_width(w, b), abs=3e-5
    ), f"[E3] band width at w={w}, b={b}: formula vs grid count"


@pytest.mark.parametrize("w", [0.0, 1.0, 3.99, 4.0, -4.0, np.inf])
def test_no_band_for_small_weights(w):
    assert unstable_band_width(w) == pytest.approx(
        0.0, abs=1e-15
    ), f"[E2] |w| ≤ 4 (or ∞) has no band, w={w}"


def test_largest_band_is_about_0_448_near_6_89():
    w = np.arange(4.0, 20.0, 1e-3)
    widths = unstable_band_width(w)
    assert widths.shape == w.shape, "unstable_band_width works elementwise on arrays"
    assert widths.max() == pytest.approx(0.448, abs=5e-4), f"[E3] largest width {widths.max()}"
    assert w[widths.argmax()] == pytest.approx(
        6.89, abs=0.01
    ), f"[E3] at |w| = {w[widths.argmax()]}"
    assert measured_band_width(6.89, 0.0) == pytest.approx(0.448, abs=5e-4), "[E3] measured at 6.89"


@settings(max_examples=30, deadline=None)
@given(st.floats(-1e6, 1e6))
def test_band_width_is_even_and_bounded(w):
    width = unstable_band_width(w)
    assert width == pytest.approx(
        unstable_band_width(-w), abs=1e-15
    ), "the width depends on |w| only"
    assert 0.0 <= width <= 0.4485, f"the width lies in [0, 0.448…], got {width} at w={w}"


# ---- chain of sigmoid neurons [E1], [E2], [E5] -----------------------------------------------


def torch_chain_grad(weights, biases, x, activation, dC_daL=1.0):
    bs = [torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in biases]
    a = torch.tensor(x, dtype=torch.float64)
    for w, b in zip(weights, bs):
        a = TORCH_ACTIVATIONS[activation](w * a + b)
    (a * dC_daL).backward()
    return bs[0].grad.item()


chains = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-6, 6), min_size=n, max_size=n),
        st.lists(st.floats(-3, 3), min_size=n, max_size=n),
        st.floats(-2, 2),
        st.floats(-2, 2),
    )
)


@settings(max_examples=40, deadline=None)
@given(chains, st.sampled_from(sorted(TORCH_ACTIVATIONS)))
def test_chain_gradient_matches_torch(chain, activation):
    weights, biases, x, dC = chain
    grad, factors = chain_gradient(weights, biases, x, activation=activation, dC_daL=dC)
    want = torch_chain_grad(weights, biases, x, activation, dC)
    # rel=1e-6: a saturated tanh has 1 − tanh² ≈ 1e-7, whose rounding (a relative 1e-16 / 1e-7)
    # differs between two correct implementations.
    assert grad == pytest.approx(
        want, rel=1e-6, abs=1e-300
    ), f"[E1] ∂C/∂b1 of {chain} ({activation})"
    assert len(factors) == 2 * len(
        weights
    ), f"factors φ'(z1), w2, φ'(z2), …, ∂C/∂aL: got {len(factors)}"
    np.testing.assert_allclose(factors[1:-1:2], weights[1:], rtol=1e-15, err_msg="the w_j factors")
    assert np.prod(factors) == pytest.approx(
        grad, rel=1e-12, abs=1e-300
    ), "grad is the product of its factors"


def test_notes_four_neuron_chain():
    weights, biases, x = [0.5, 1.5, -2.0, 0.8], [0.1, -0.3, 0.2, 0.0], 1.0
    grad, factors = chain_gradient(weights, biases, x)
    assert grad == pytest.approx(
        torch_chain_grad(weights, biases, x, "sigmoid"), rel=1e-12
    ), "[E1] L = 4"
    assert len(factors) == 8, "σ'(z1) w2 σ'(z2) w3 σ'(z3) w4 σ'(z4) ∂C/∂a4"


def test_first_order_change_of_a2_is_a_product_not_a_difference():
    # [E1] Δa2 ≈ σ'(z2) w2 σ'(z1) Δb1 (002 writes a minus sign).
    w, b, x, db = [0.7, 2.0], [0.2, -0.5], 0.4, 1e-6

    def a2(b1):
        a1 = torch.sigmoid(torch.tensor(w[0] * x + b1, dtype=torch.float64))
        return torch.sigmoid(w[1] * a1 + b[1]).item()

    measured = a2(b[0] + db) - a2(b[0] - db)
    predicted = chain_gradient(w, b, x)[0] * 2 * db
    assert measured == pytest.approx(
        predicted, rel=1e-6
    ), f"Δa2: measured {measured}, σ'(z2) w2 σ'(z1) Δb1 {predicted}"


@settings(max_examples=30, deadline=None)
@given(chains.filter(lambda c: all(abs(w) < 4 for w in c[0])))
def test_small_weights_shrink_the_gradient(chain):
    # [E2] |σ'| ≤ 1/4: every pair |w_j σ'(z_j)| < 1 when |w_j| < 4, and the product is bounded.
    weights, biases, x, dC = chain
    grad, factors = chain_gradient(weights, biases, x, dC_daL=dC)
    sig_primes = factors[0:-1:2]
    assert max(sig_primes) <= 0.25 + 1e-15, f"σ' ≤ 1/4, got {max(sig_primes)}"
    bound = 0.25 ** len(weights) * np.prod(np.abs(weights[1:])) * abs(dC)
    assert (
        abs(grad) <= bound * (1 + 1e-12) + 1e-300
    ), f"|∂C/∂b1| = {abs(grad)} exceeds (1/4)^L Π|w_j| = {bound}"


@settings(max_examples=30, deadline=None)
@given(chains)
def test_relu_factors_are_zero_or_one(chain):
    # [E5] φ' ∈ {0, 1}: a ReLU chain passes w_2 … w_L on unshrunk, or nothing at all.
    weights, biases, x, dC = chain
    grad, factors = chain_gradient(weights, biases, x, activation="relu", dC_daL=dC)
    assert set(factors[0:-1:2]) <= {0.0, 1.0}, f"ReLU derivatives must be 0 or 1: {factors[0:-1:2]}"
    if grad != 0.0:
        assert abs(grad) == pytest.approx(
            np.prod(np.abs(weights[1:])) * abs(dC), rel=1e-12
        ), "no shrinking"


# ---- deep stacks [E4] ------------------------------------------------------------------------


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_stack_weight_gradients_match_torch(activation, rng):
    sizes = [4, 5, 3, 2]
    weights = [rng.standard_normal((m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(n) for n in sizes[1:]]
    X, G = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    dWs = stack_weight_gradients(X, weights, biases, activation, G)
    tWs = [torch.tensor(W, requires_grad=True) for W in weights]
    h = torch.from_numpy(X)
    for tW, b in zip(tWs, biases):
        h = TORCH_ACTIVATIONS[activation](h @ tW + torch.from_numpy(b))
    (h * torch.from_numpy(G)).sum().backward()
    for l, (dW, tW) in enumerate(zip(dWs, tWs), start=1):
        np.testing.assert_allclose(
            dW, tW.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{activation}: dW{l}"
        )


def test_deep_sigmoid_stack_with_normal_init_vanishes(rng):
    norms = layer_gradient_norms(10, 20, "sigmoid", "normal", rng)
    assert (
        norms.shape == (10,) and np.all(np.isfinite(norms)) and np.all(norms > 0)
    ), f"norms: {norms}"
    assert (
        norms[0] < 0.2 * norms[-1]
    ), f"[E4] first layer {norms[0]:.3g} vs last {norms[-1]:.3g}: should vanish"


def test_relu_with_he_init_keeps_the_gradient_size(rng):
    norms = layer_gradient_norms(10, 20, "relu", "he", rng)
    ratio = norms[0] / norms[-1]
    assert (
        0.25 < ratio < 4.0
    ), f"[E5] ReLU + He: first/last gradient norm {ratio:.3g} should be of order 1"


def test_layer_gradient_norms_are_reproducible():
    a = layer_gradient_norms(4, 6, "tanh", "xavier", np.random.default_rng(11), num_samples=8)
    b = layer_gradient_norms(4, 6, "tanh", "xavier", np.random.default_rng(11), num_samples=8)
    np.testing.assert_array_equal(a, b, err_msg="the same seed must give the same norms")


# ---- bad input -------------------------------------------------------------------------------


def test_bad_input_raises_with_the_argument_named(rng):
    with pytest.raises(ValueError, match="w contains NaN"):
        unstable_band_width(np.nan)
    with pytest.raises(TypeError, match="w must hold real numbers"):
        unstable_band_width("5")
    with pytest.raises(ValueError, match="biases must have the length of weights"):
        chain_gradient([1.0, 2.0], [0.0], 0.5)
    with pytest.raises(ValueError, match="weights must be a non-empty"):
        chain_gradient([], [], 0.5)
    with pytest.raises(ValueError, match="activation must be one of"):
        chain_gradient([1.0], [0.0], 0.5, activation="swish")
    with pytest.raises(TypeError, match="x must be"):
        chain_gradient([1.0], [0.0], "0.5")
    with pytest.raises(ValueError, match="init must be one of"):
        layer_gradient_norms(3, 4, "relu", "glorot", rng)
    with pytest.raises(ValueError, match="depth must be at least 1"):
        layer_gradient_norms(0, 4, "relu", "he", rng)
    with pytest.raises(TypeError, match="width must be an int"):
        layer_gradient_norms(3, 4.0, "relu", "he", rng)
    with pytest.raises(TypeError, match="rng"):
        layer_gradient_norms(3, 4, "relu", "he", 42)
    with pytest.raises(ValueError, match="dout must have"):
        stack_weight_gradients(
            np.zeros((2, 3)), [np.zeros((3, 3))], [np.zeros(3)], "relu", np.zeros((2, 4))
        )
