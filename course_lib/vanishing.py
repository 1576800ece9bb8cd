"""Vanishing and exploding gradients in deep networks [E1-E5].

Backpropagation multiplies one factor per layer, so the gradient of an early layer is a long
product, and a long product of numbers below 1 vanishes while one above 1 explodes.

- [E1] A chain of sigmoid neurons, one per layer (``z_j = w_j a_{j−1} + b_j``, ``a_j = σ(z_j)``),
  has ``∂C/∂b1 = σ'(z1) w2 σ'(z2) w3 σ'(z3) w4 σ'(z4) ∂C/∂a4``: ``chain_gradient`` returns this
  product and its factors. To first order a change ``Δb1`` moves ``a2`` by
  ``Δa2 ≈ σ'(z2) w2 σ'(z1) Δb1`` (002 writes a minus sign; it is a product).
- [E2] ``|σ'| ≤ 1/4``, so every pair ``|w_j σ'(z_j)|`` is below 1 unless ``|w_j| ≥ 4``: with small
  weights the product shrinks geometrically, ``|∂C/∂b1| ≤ (1/4)^L Π_{j≥2} |w_j| · |∂C/∂a_L|``.
- [E3] Large weights do not simply cure this: ``|w σ'(w a + b)| ≥ 1`` holds only for inputs ``a``
  in a band whose width ``unstable_band_width`` computes; the band is at most about 0.448 wide.
- [E4] In a wide network the gradient of an early layer is "many ``W`` times many ``φ'``" [D6].
  With tanh or sigmoid and large weights (the notes' ``N(0, 1)`` [E6]) the units saturate and
  ``φ' ≈ 0``; with small weights the products shrink. ``layer_gradient_norms`` measures the
  gradient of every layer of a deep stack under a chosen activation and initialization.
- [E5] ReLU has ``φ' ∈ {0, 1}``: the factors that survive do not shrink the product (less
  vanishing), it needs no ``exp`` (cheaper), its zeros make the activations sparse, and it is not
  differentiable at 0 (by convention ``φ'(0) = 0``, as in PyTorch). ``chain_gradient`` with
  ``activation="relu"`` shows it: each ``φ'`` factor is exactly 0 or 1.

Contract: pure functions of their arguments; ``layer_gradient_norms`` draws only from its ``rng``.
Bad input raises ``TypeError`` or ``ValueError`` naming the argument.
"""

import math
import numbers

import numpy as np

from course_lib.activations import ACTIVATIONS, _as_float_array
from course_lib.init import INIT_SCHEMES, init_weight, normal_init
from course_lib.layers import affine_backward, affine_forward

__all__ = [
    "unstable_band_width",
    "chain_gradient",
    "stack_weight_gradients",
    "layer_gradient_norms",
]


def _check_activation(activation):
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return ACTIVATIONS[activation]


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def unstable_band_width(w):
    """Width of the band of inputs ``a`` where ``|w σ'(w a + b)| ≥ 1`` [E3].

    Parameters
    ----------
    w : float or ndarray
        The weight (any shape; the formula is applied elementwise). The bias ``b`` only shifts
        the band, so the width does not depend on it.

    Returns
    -------
    width : float or ndarray of the shape of w
        ``(2/|w|) ln(|w|(1 + sqrt(1 − 4/|w|))/2 − 1)`` for ``|w| > 4``; 0 for ``|w| ≤ 4`` (where
        ``|w σ'| ≤ |w|/4 ≤ 1`` everywhere [E2]) and for ``|w| = inf``. The largest width is about
        0.448, at ``|w| ≈ 6.89``.

    Raises
    ------
    ValueError
        If ``w`` contains NaN.

    Notes
    -----
    Derivation (the one in 002 is garbled, an erratum). Write ``u = e^{wa+b} > 0``; then
    ``σ'(wa + b) = u/(1 + u)²`` and ``|w| u/(1 + u)² ≥ 1`` is ``u² + (2 − |w|) u + 1 ≤ 0``. For
    ``|w| > 4`` the roots are ``u± = (|w| − 2 ± sqrt(|w|(|w| − 4)))/2`` with ``u+ u− = 1``, so the
    band ``ln u− ≤ wa + b ≤ ln u+`` has width ``ln u+ − ln u− = 2 ln u+`` in ``wa + b``, and
    ``2 ln(u+)/|w|`` in ``a``. Since ``u+ = |w|(1 + sqrt(1 − 4/|w|))/2 − 1``, this is the formula
    above. Setting its derivative to 0 numerically gives the maximum near ``|w| = 6.9``.
    """
    arr = _as_float_array(w, "w").astype(np.float64)
    if np.isnan(arr).any():
        raise ValueError("w contains NaN")
    m = np.abs(arr)
    width = np.zeros_like(m)
    inside = (m > 4) & np.isfinite(m)
    mi = m[inside]
    u_plus = mi * (1.0 + np.sqrt(1.0 - 4.0 / mi)) / 2.0 - 1.0
    width[inside] = (2.0 / mi) * np.log(u_plus)
    return float(width) if width.ndim == 0 else width


def chain_gradient(weights, biases, x, activation="sigmoid", dC_daL=1.0):
    """``∂C/∂b1`` of a chain of one-neuron layers, and its factors [E1], [E2], [E5].

    The chain is ``z_j = w_j a_{j−1} + b_j``, ``a_j = φ(z_j)`` for ``j = 1..L`` with ``a_0 = x``.

    Parameters
    ----------
    weights : sequence of float, length L
        ``w_1, …, w_L`` (``w_1`` enters only through ``z_1``).
    biases : sequence of float, length L
        ``b_1, …, b_L``.
    x : float
        The input ``a_0``.
    activation : str, optional
        A key of ``course_lib.activations.ACTIVATIONS``; default ``"sigmoid"`` as in the notes.
    dC_daL : float, optional
        ``∂C/∂a_L``, the gradient of the cost with respect to the last activation; default 1
        (then the result is ``∂a_L/∂b_1``).

    Returns
    -------
    grad : float
        ``∂C/∂b1 = φ'(z1) w2 φ'(z2) … w_L φ'(z_L) ∂C/∂a_L``.
    factors : list of float
        ``[φ'(z1), w2, φ'(z2), …, w_L, φ'(z_L), ∂C/∂a_L]``, whose product is ``grad``; length
        ``2L``.

    Raises
    ------
    ValueError
        If ``weights`` and ``biases`` differ in length or are empty, or ``activation`` is unknown.
    """
    phi, phi_grad = _check_activation(activation)
    w = _as_float_array(weights, "weights")
    b = _as_float_array(biases, "biases")
    if w.ndim != 1 or w.size == 0:
        raise ValueError(
            f"weights must be a non-empty 1-D sequence (w_1, …, w_L), got shape {w.shape}"
        )
    if b.shape != w.shape:
        raise ValueError(f"biases must have the length of weights ({w.size}), got shape {b.shape}")
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise TypeError(f"x must be a finite real number, got {x!r}")
    if isinstance(dC_daL, bool) or not isinstance(dC_daL, numbers.Real):
        raise TypeError(f"dC_daL must be a real number, got {dC_daL!r}")
    a = float(x)
    factors = []
    for j in range(w.size):
        z = w[j] * a + b[j]
        a = float(phi(z))
        if j > 0:
            factors.append(float(w[j]))  # ∂z_j/∂a_{j−1} = w_j
        factors.append(float(phi_grad(z)))  # ∂a_j/∂z_j = φ'(z_j)
    factors.append(float(dC_daL))
    return math.prod(factors), factors


def stack_weight_gradients(X, weights, biases, activation, dout):
    """Weight gradients of a stack of dense layers, each followed by the activation [E4].

    Forward ``x⁰ = X``, ``x^l = φ(x^{l−1} W_l + b_l)``; backward from ``dout = ∂L/∂x^L`` with the
    recursion of ``layers.MLP``: ``delta = dout * φ'(s)``, ``dW = xᵀ delta``, ``dout = delta Wᵀ``.

    Parameters
    ----------
    X : ndarray, shape (N, D)
        The inputs.
    weights : list of ndarray
        ``W_l`` of shape ``(D_{l−1}, D_l)``.
    biases : list of ndarray
        ``b_l`` of shape ``(D_l,)``.
    activation : str
        A key of ``course_lib.activations.ACTIVATIONS``.
    dout : ndarray, shape (N, D_L)
        The gradient of the loss with respect to the last layer's output.

    Returns
    -------
    dWs : list of ndarray
        ``∂L/∂W_l``, first layer first, each of the shape of ``W_l``.
    """
    phi, phi_grad = _check_activation(activation)
    if len(weights) != len(biases) or len(weights) == 0:
        raise ValueError(
            "weights and biases must be non-empty lists of one length, "
            f"got {len(weights)} and {len(biases)}"
        )
    caches, pre_activations = [], []
    h = X
    for W, b in zip(weights, biases):
        s, cache = affine_forward(h, W, b)
        caches.append(cache)
        pre_activations.append(s)
        h = phi(s)
    dout = _as_float_array(dout, "dout")
    if dout.shape != h.shape:
        raise ValueError(f"dout must have the output's shape {h.shape}, got {dout.shape}")
    dWs = []
    for cache, s in zip(reversed(caches), reversed(pre_activations)):
        delta = dout * phi_grad(s)  # [D6]
        dout, dW, _ = affine_backward(delta, cache)
        dWs.append(dW)
    return dWs[::-1]


def layer_gradient_norms(depth, width, activation, init, rng, num_samples=64):
    """Norm of the weight gradient of every layer of a deep, randomly initialized stack [E4].

    Builds ``depth`` dense layers of ``width`` units, each followed by ``activation``, draws a
    batch of standard-normal inputs and a standard-normal upstream gradient ``G`` (the gradient of
    the linear loss ``L = Σ G ⊙ x^L``), backpropagates and measures ``‖∂L/∂W_l‖`` per layer.

    Parameters
    ----------
    depth : int
        Number of layers ``L``.
    width : int
        Units per layer (also the input size).
    activation : str
        A key of ``course_lib.activations.ACTIVATIONS``.
    init : {"normal", "xavier", "he"}
        The initialization (``course_lib.init``). ``"normal"`` is the notes' ``w, b ~ N(0, 1)``
        [E6]; the scaled schemes start the biases at 0.
    rng : numpy.random.Generator
        The source of all random numbers: first the weights ``W_1..W_L``, then the biases, then
        the inputs, then ``G``.
    num_samples : int, optional
        The batch size ``N``, default 64.

    Returns
    -------
    norms : ndarray, shape (depth,)
        The Frobenius norm of ``∂L/∂W_l``, first layer first. A ratio
        ``norms[0] / norms[-1]`` far below 1 is a vanishing gradient; far above 1, an exploding
        one.

    Notes
    -----
    With sigmoid and ``N(0, 1)`` weights the pre-activations have a standard deviation of about
    ``sqrt(width)/2`` or more and most units saturate (``σ'`` close to 0), but the weights are
    large too: the two nearly cancel, and at depth 10, width 64 the first layer's norm is about
    a quarter of the last's (``default_rng(0)``). Small weights make the sigmoid's gradient
    vanish (Xavier or He: a ratio of about 1e-5), and ``N(0, 1)`` makes tanh's explode (about
    1e3), because ``‖W‖`` grows like ``sqrt(width)``. Xavier (tanh) and He (ReLU) scale the
    weights so that the signal keeps its size from layer to layer.
    """
    depth = _check_positive_int(depth, "depth")
    width = _check_positive_int(width, "width")
    num_samples = _check_positive_int(num_samples, "num_samples")
    _check_activation(activation)
    if not isinstance(init, str) or init not in INIT_SCHEMES:
        raise ValueError(f"init must be one of {INIT_SCHEMES}, got {init!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    weights = [init_weight(init, width, width, rng) for _ in range(depth)]
    if init == "normal":
        biases = [normal_init((width,), rng) for _ in range(depth)]
    else:
        biases = [np.zeros(width) for _ in range(depth)]
    X = rng.standard_normal((num_samples, width))
    G = rng.standard_normal((num_samples, width))
    dWs = stack_weight_gradients(X, weights, biases, activation, G)
    return np.array([np.linalg.norm(dW) for dW in dWs])
