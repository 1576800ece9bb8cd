"""Activation functions and their derivatives [B1]-[B8], their comparison [B11], output layers [A8].

Every activation ``f`` comes with ``f_grad``, its elementwise derivative evaluated at the same
input ``x``: sigmoid [B1], tanh [B2], ReLU [B3], leaky ReLU [B4], ELU [B6] and softplus [B7]. The
two activations with parameters are layers with the usual contract ``*_forward(...) -> (out,
cache)`` and ``*_backward(dout, cache) -> grads``: PReLU [B5] (the slope ``alpha`` is learned) and
maxout [B8]. ``ACTIVATIONS`` maps a name to ``(f, f_grad)``, ``ACTIVATION_PROPERTIES`` describes
each activation as the notes compare them [B11], and ``output_activation`` picks the output layer
for a task [A8].

Contract
--------
- Inputs are numpy arrays of any shape, lists or Python scalars. A float array keeps its dtype
  (float32 in, float32 out); integers become float64. A Python scalar gives a numpy scalar back.
- Every function is stable for ``|x|`` up to 1e3 and beyond: no overflow, no warning (see the
  Notes of each function for the trick).
- The derivative at a kink follows PyTorch, so that PyTorch can serve as an independent oracle:
  ``relu_grad(0) = 0``, ``leaky_relu_grad(0) = alpha``, ``elu_grad(0) = alpha``, and the PReLU
  gradients at 0 are those of leaky ReLU.
- NaN in ``x`` propagates to the activations' values, as in PyTorch.
- Nothing modifies its caller's arrays. Bad input raises ``TypeError`` or ``ValueError`` naming
  the argument.
"""
from dataclasses import dataclass
from numbers import Real

import numpy as np

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "elu",
    "elu_grad",
    "softplus",
    "softplus_grad",
    "prelu_forward",
    "prelu_backward",
    "maxout_forward",
    "maxout_backward",
    "identity",
    "output_activation",
    "ACTIVATIONS",
    "ActivationProperties",
    "ACTIVATION_PROPERTIES",
    "HIDDEN_LAYER_ADVICE",
    "OUTPUT_TASKS",
]


# ---------------------------------------------------------------------------------------------
# Input checks shared by the numerical modules (losses imports them too)
# ---------------------------------------------------------------------------------------------
def _as_float_array(x, name):
    """Return ``x`` as a float ndarray without copying a float array; ints become float64.

    Raises ``TypeError`` naming ``name`` for anything that is not real numbers (bool, complex,
    strings, objects, ragged lists).
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:  # e.g. a ragged list
        raise TypeError(
            f"{name} must be a real number or an array of real numbers; "
            f"got {type(x).__name__} that numpy cannot turn into an array"
        ) from err
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "iu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must hold real numbers (a float or integer dtype); got dtype {arr.dtype}"
    )


def _as_real_scalar(value, name):
    """Return ``value`` as a Python float; it must be a finite real number (not a bool)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    return value


def _like(out, x):
    """Cast ``out`` to the dtype of ``x`` and unwrap a 0-d result into a numpy scalar."""
    out = np.asarray(out).astype(x.dtype, copy=False)
    return out[()] if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------
# [B1] sigmoid
# ---------------------------------------------------------------------------------------------
def sigmoid(x):
    """Logistic sigmoid ``σ(x) = 1 / (1 + e^{-x}) = e^x / (1 + e^x)`` [B1].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Pre-activation.

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``
        Values in ``(0, 1)`` (in floating point they reach 0 and 1 for ``|x|`` beyond about 37).

    Notes
    -----
    Note 003 writes the sigmoid as ``1 / (1 + e^{a})``: that is ``σ(−a)``, a decreasing function,
    and an erratum [B1]; the sign in the exponent is minus.

    Numerical trick: ``e^{-x}`` overflows for ``x < −709``. With ``e = exp(−|x|) ∈ (0, 1]`` both
    forms of [B1] are safe: ``1 / (1 + e)`` for ``x ≥ 0`` and ``e / (1 + e)`` for ``x < 0``.
    """
    x = _as_float_array(x, "x")
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return _like(np.where(x >= 0, 1 / (1 + e), e / (1 + e)), x)


def sigmoid_grad(x):
    """Derivative of the sigmoid ``σ'(x) = σ(x)(1 − σ(x))`` [B1].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Point at which the derivative is evaluated (the pre-activation, not ``σ(x)``).

    Returns
    -------
    grad : ndarray, same shape and float dtype as ``x``
        Values in ``(0, 1/4]``; the maximum ``1/4`` is reached at ``x = 0``.

    Notes
    -----
    Numerical trick: ``1 − σ(x) = σ(−x)``, so ``σ'(x) = σ(x) σ(−x)``. Computing ``σ(−x)``
    directly avoids the cancellation in ``1 − σ(x)`` when ``σ(x)`` is close to 1, so the small
    derivatives of a saturated unit keep their relative accuracy.
    """
    x = _as_float_array(x, "x")
    return _like(sigmoid(x) * sigmoid(-x), x)


# ---------------------------------------------------------------------------------------------
# [B2] tanh
# ---------------------------------------------------------------------------------------------
def tanh(x):
    """Hyperbolic tangent ``tanh(x) = (e^x − e^{−x}) / (e^x + e^{−x}) = 2σ(2x) − 1`` [B2].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Pre-activation.

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``
        Values in ``(−1, 1)``; zero-centred.

    Notes
    -----
    The identity ``tanh(x) = 2σ(2x) − 1`` of note 004 shows that tanh is a sigmoid stretched to
    ``(−1, 1)``. The value comes from ``np.tanh``, which is stable for every ``x`` (the quotient
    of exponentials in the definition would overflow for ``|x| > 709``).
    """
    x = _as_float_array(x, "x")
    return _like(np.tanh(x), x)


def tanh_grad(x):
    """Derivative of tanh ``tanh'(x) = 1 − tanh(x)^2`` [B2].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Point at which the derivative is evaluated.

    Returns
    -------
    grad : ndarray, same shape and float dtype as ``x``
        Values in ``(0, 1]``; 1 at ``x = 0``.

    Notes
    -----
    Numerical trick: ``1 − tanh^2 = (1 − tanh)(1 + tanh) = 2σ(−2x) · 2σ(2x) = 4σ'(2x)`` by
    [B2]. Computed this way, no ``1 − (number close to 1)`` cancels, and the tiny derivative of
    a saturated unit keeps its relative accuracy.
    """
    x = _as_float_array(x, "x")
    return _like(4 * sigmoid_grad(2 * x), x)


# ---------------------------------------------------------------------------------------------
# [B3] ReLU
# ---------------------------------------------------------------------------------------------
def relu(x):
    """Rectified linear unit ``max(0, x)`` [B3].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Pre-activation.

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``
        Values in ``[0, ∞)``; exact zeros for ``x ≤ 0`` (sparse output).
    """
    x = _as_float_array(x, "x")
    return _like(np.maximum(x, 0), x)  # np.maximum propagates NaN, like torch.relu


def relu_grad(x):
    """Derivative of ReLU: 1 for ``x > 0``, 0 for ``x ≤ 0`` [B3].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Point at which the derivative is evaluated.

    Returns
    -------
    grad : ndarray, same shape and float dtype as ``x``
        Zeros and ones.

    Notes
    -----
    ReLU has no derivative at 0. The convention here is PyTorch's, ``relu_grad(0) = 0``; note 000
    writes ``φ'(0) = 1``. Either is a valid subgradient. A unit whose pre-activation is negative
    for every input gets zero gradient and stops learning: it is *dead* [B3].
    """
    x = _as_float_array(x, "x")
    return _like(x > 0, x)


# ---------------------------------------------------------------------------------------------
# [B4] leaky ReLU
# ---------------------------------------------------------------------------------------------
def leaky_relu(x, alpha=0.01):
    """Leaky ReLU: ``x`` for ``x > 0``, ``alpha · x`` otherwise [B4].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Pre-activation.
    alpha : float, default 0.01
        Slope for negative inputs (note 003 uses 0.01, note 004 uses 0.1).

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``

    Notes
    -----
    The notes write ``max(αx, x)``, which equals this definition for ``0 ≤ α ≤ 1``; the
    piecewise form (PyTorch's) is also right for other slopes.
    """
    x = _as_float_array(x, "x")
    alpha = _as_real_scalar(alpha, "alpha")
    return _like(np.where(x > 0, x, alpha * x), x)


def leaky_relu_grad(x, alpha=0.01):
    """Derivative of leaky ReLU: 1 for ``x > 0``, ``alpha`` for ``x ≤ 0`` [B4].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Point at which the derivative is evaluated.
    alpha : float, default 0.01
        Slope for negative inputs.

    Returns
    -------
    grad : ndarray, same shape and float dtype as ``x``

    Notes
    -----
    At the kink the convention is PyTorch's: ``leaky_relu_grad(0) = alpha``. The gradient is
    never 0 (for ``alpha ≠ 0``), so a leaky unit cannot die.
    """
    x = _as_float_array(x, "x")
    alpha = _as_real_scalar(alpha, "alpha")
    return _like(np.where(x > 0, 1.0, alpha), x)


# ---------------------------------------------------------------------------------------------
# [B5] PReLU: leaky ReLU with a learned slope
# ---------------------------------------------------------------------------------------------
def _prelu_slope(x, alpha):
    """Check ``alpha`` against ``x``; return it as an array that broadcasts against ``x``."""
    if isinstance(alpha, Real) and not isinstance(alpha, (bool, np.bool_)):
        alpha_arr = np.asarray(alpha, dtype=x.dtype)  # a Python number keeps x's dtype
    else:
        alpha_arr = _as_float_array(alpha, "alpha")
    if not np.all(np.isfinite(alpha_arr)):
        raise ValueError("alpha must be finite (no NaN or inf)")
    if alpha_arr.ndim == 0 or alpha_arr.shape == (1,):
        return alpha_arr, alpha_arr.reshape(())
    if alpha_arr.ndim != 1:
        raise ValueError(
            f"alpha must be a scalar or a 1-D array with one slope per feature/channel; "
            f"got shape {alpha_arr.shape}"
        )
    if x.ndim < 2 or x.shape[1] != alpha_arr.shape[0]:
        raise ValueError(
            f"alpha has {alpha_arr.shape[0]} slopes, so x must have that many features/channels "
            f"on axis 1 (x of shape (N, D) or (N, C, H, W)); got x of shape {x.shape}"
        )
    shape = (1, alpha_arr.shape[0]) + (1,) * (x.ndim - 2)
    return alpha_arr, alpha_arr.reshape(shape)


def prelu_forward(x, alpha):
    """Parametric ReLU ``max(αx, x)`` with a learned slope ``α`` [B5]: forward pass.

    Parameters
    ----------
    x : ndarray, shape (N, D) or (N, C, H, W) (any shape if ``alpha`` is a scalar)
        Pre-activation.
    alpha : float or ndarray, shape () or (1,), or (D,) / (C,)
        One slope shared by all units, or one slope per feature (axis 1 of ``(N, D)``) or per
        channel (axis 1 of ``(N, C, H, W)``), as ``torch.nn.PReLU(num_parameters)``.

    Returns
    -------
    out : ndarray, same shape as ``x``
        ``x`` where ``x > 0``, ``alpha · x`` elsewhere.
    cache : tuple
        ``(x, alpha)`` for ``prelu_backward``.
    """
    x = _as_float_array(x, "x")
    alpha_arr, alpha_b = _prelu_slope(x, alpha)
    out = np.where(x > 0, x, alpha_b * x)
    return out, (x, alpha_arr)


def prelu_backward(dout, cache):
    """Parametric ReLU [B5]: backward pass, including the gradient with respect to ``alpha``.

    Parameters
    ----------
    dout : ndarray, same shape as the forward's ``x``
        Upstream gradient ``∂L/∂out``.
    cache : tuple
        The cache returned by ``prelu_forward``.

    Returns
    -------
    dx : ndarray, same shape as ``x``
        ``dout`` where ``x > 0``, ``alpha · dout`` elsewhere.
    dalpha : float or ndarray, same shape as the forward's ``alpha``
        ``Σ dout · x`` over the units with ``x ≤ 0``: over all of them for a shared slope, over
        all axes but axis 1 for one slope per feature/channel.

    Notes
    -----
    ``∂out/∂α = x`` where ``x ≤ 0`` and 0 elsewhere: the slope learns only from the units on the
    negative side. At ``x = 0`` the convention is PyTorch's (``∂out/∂x = α``).
    """
    x, alpha_arr = cache
    dout = _as_float_array(dout, "dout")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x, {x.shape}; got {dout.shape}")
    _, alpha_b = _prelu_slope(x, alpha_arr)
    negative = x <= 0
    dx = np.where(negative, alpha_b * dout, dout)
    contrib = np.where(negative, x * dout, 0)
    if alpha_arr.ndim == 1 and alpha_arr.shape != (1,):
        axes = (0,) + tuple(range(2, x.ndim))
        dalpha = contrib.sum(axis=axes)
    else:
        dalpha = np.asarray(contrib.sum()).reshape(alpha_arr.shape)
        dalpha = dalpha[()] if dalpha.ndim == 0 else dalpha
    return dx, dalpha


# ---------------------------------------------------------------------------------------------
# [B6] ELU
# ---------------------------------------------------------------------------------------------
def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha (e^x − 1)`` otherwise [B6].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Pre-activation.
    alpha : float, default 1.0
        Scale of the negative part; outputs approach ``−alpha`` for ``x → −∞``.

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``

    Notes
    -----
    Numerical tricks: ``np.where`` evaluates both branches, so the exponential only ever sees
    ``min(x, 0)`` (``e^{1000}`` would overflow even though that branch is discarded); and
    ``expm1(x) = e^x − 1`` keeps its relative accuracy for small ``|x|``, where ``e^x − 1``
    cancels.
    """
    x = _as_float_array(x, "x")
    alpha = _as_real_scalar(alpha, "alpha")
    return _like(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), x)


def elu_grad(x, alpha=1.0):
    """Derivative of ELU: 1 for ``x > 0``, ``alpha · e^x`` for ``x ≤ 0`` [B6].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Point at which the derivative is evaluated.
    alpha : float, default 1.0
        Scale of the negative part.

    Returns
    -------
    grad : ndarray, same shape and float dtype as ``x``

    Notes
    -----
    At 0 the convention is PyTorch's ELU backward, ``elu_grad(0) = alpha`` (the left derivative;
    for the default ``alpha = 1`` both sides agree). As in ``elu``, the exponential sees only
    ``min(x, 0)`` so that it cannot overflow.
    """
    x = _as_float_array(x, "x")
    alpha = _as_real_scalar(alpha, "alpha")
    return _like(np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))), x)


# ---------------------------------------------------------------------------------------------
# [B7] softplus
# ---------------------------------------------------------------------------------------------
def softplus(x):
    """Softplus ``log(1 + e^x)``, a smooth ReLU [B7].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Pre-activation.

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``
        Values in ``(0, ∞)``.

    Notes
    -----
    Numerical trick: ``log(1 + e^x) = max(x, 0) + log(1 + e^{−|x|})``. The exponential sees only
    ``−|x| ≤ 0`` and cannot overflow, and ``log1p`` keeps the accuracy of ``log(1 + tiny)``.
    Unlike ``torch.nn.functional.softplus``, no threshold switches to ``x`` for large ``x``:
    the formula is exact everywhere.
    """
    x = _as_float_array(x, "x")
    return _like(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), x)


def softplus_grad(x):
    """Derivative of softplus, which is the sigmoid: ``softplus'(x) = σ(x)`` [B7].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar
        Point at which the derivative is evaluated.

    Returns
    -------
    grad : ndarray, same shape and float dtype as ``x``
        Values in ``(0, 1)``.

    Notes
    -----
    ``d/dx log(1 + e^x) = e^x / (1 + e^x) = σ(x)``; the stable sigmoid of [B1] is reused.
    """
    return sigmoid(x)


# ---------------------------------------------------------------------------------------------
# [B8] maxout
# ---------------------------------------------------------------------------------------------
def maxout_forward(x, W, b):
    """Maxout ``max_k (x W_k + b_k)`` over ``K`` affine pieces [B8]: forward pass.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Inputs.
    W : ndarray, shape (K, D, M)
        Weights of the ``K`` affine pieces (note 004 has ``K = 2``: ``max(W1 x + b1, W2 x + b2)``).
    b : ndarray, shape (K, M)
        Biases of the pieces.

    Returns
    -------
    out : ndarray, shape (N, M)
        The largest of the ``K`` pieces, unit by unit.
    cache : tuple
        ``(x, W, b, k_max)`` with ``k_max (N, M)`` the index of the winning piece.

    Notes
    -----
    The notes write ``W x`` for one column vector ``x``; with a batch in rows this is ``x W_k``.
    With ``K = 2``, ``W_1 = I``, ``W_2 = 0`` and zero biases, maxout is ReLU.
    """
    x = _as_float_array(x, "x")
    W = _as_float_array(W, "W")
    b = _as_float_array(b, "b")
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (N, D); got shape {x.shape}")
    if W.ndim != 3 or W.shape[1] != x.shape[1]:
        raise ValueError(
            f"W must have shape (K, D, M) with D = {x.shape[1]} (from x); got shape {W.shape}"
        )
    if b.shape != (W.shape[0], W.shape[2]):
        raise ValueError(
            f"b must have shape (K, M) = {(W.shape[0], W.shape[2])} (from W); got shape {b.shape}"
        )
    z = np.einsum("nd,kdm->nkm", x, W) + b  # (N, K, M): every piece for every unit
    k_max = np.argmax(z, axis=1)  # (N, M); ties go to the first piece
    out = np.take_along_axis(z, k_max[:, None, :], axis=1)[:, 0, :]
    return out, (x, W, b, k_max)


def maxout_backward(dout, cache):
    """Maxout [B8]: backward pass; the gradient flows only through the winning piece.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient ``∂L/∂out``.
    cache : tuple
        The cache returned by ``maxout_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dW : ndarray, shape (K, D, M)
    db : ndarray, shape (K, M)
    """
    x, W, b, k_max = cache
    dout = _as_float_array(dout, "dout")
    if dout.shape != k_max.shape:
        raise ValueError(
            f"dout must have the forward output's shape {k_max.shape}; got {dout.shape}"
        )
    K = W.shape[0]
    # dz[n, k, m] = dout[n, m] if piece k won unit m of example n, else 0
    winner = k_max[:, None, :] == np.arange(K)[None, :, None]
    dz = np.where(winner, dout[:, None, :], 0.0)
    dx = np.einsum("nkm,kdm->nd", dz, W)
    dW = np.einsum("nd,nkm->kdm", x, dz)
    db = dz.sum(axis=0)
    return dx, dW, db


# ---------------------------------------------------------------------------------------------
# [A8] output layer by task
# ---------------------------------------------------------------------------------------------
def identity(x):
    """The identity ``f(x) = x``, the output activation for regression [A8].

    Parameters
    ----------
    x : ndarray, any shape, or a Python scalar

    Returns
    -------
    out : ndarray, same shape and float dtype as ``x``
        A copy of ``x``.
    """
    x = _as_float_array(x, "x")
    return _like(x.copy(), x)


OUTPUT_TASKS = ("regression", "binary", "multiclass")


def output_activation(task):
    """The activation of the output layer for a task [A8].

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}
        Regression takes the identity (any real output), binary classification the sigmoid (a
        probability of class 1), multiclass classification the softmax over the last axis (one
        probability per class, summing to 1).

    Returns
    -------
    f : callable
        ``identity``, ``sigmoid`` or ``course_lib.losses.softmax``.

    Raises
    ------
    TypeError
        If ``task`` is not a string.
    ValueError
        If ``task`` is not one of the three tasks.
    """
    if not isinstance(task, str):
        raise TypeError(f"task must be a string, one of {OUTPUT_TASKS}; got {type(task).__name__}")
    if task == "regression":
        return identity
    if task == "binary":
        return sigmoid
    if task == "multiclass":
        # Imported here: losses builds on this module, so a top-level import would be circular.
        from course_lib.losses import softmax

        return softmax
    raise ValueError(f"task must be one of {OUTPUT_TASKS}; got {task!r}")


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "softplus": (softplus, softplus_grad),
}
"""dict[str, tuple[callable, callable]]: name -> ``(f, f_grad)`` with default parameters."""


@dataclass(frozen=True)
class ActivationProperties:
    """How an activation behaves, in the terms the notes use to compare them [B11].

    Attributes
    ----------
    output_range : tuple of float
        Infimum and supremum of the outputs (``±inf`` when unbounded).
    range_closed : tuple of bool
        Whether each end of ``output_range`` is attained (ReLU reaches 0, the sigmoid never
        reaches 0 or 1).
    zero_centred : bool
        Symmetric inputs give zero-mean outputs (the function is odd).
    saturates : bool
        The derivative vanishes for large positive inputs (the notes' sense: ReLU "does not
        saturate (in +region)").
    saturates_negative : bool
        The derivative vanishes for large negative inputs.
    uses_exp : bool
        Evaluating it needs an exponential; the others are piecewise linear (cheap).
    sparse_output : bool
        Exact zeros for every negative input.
    can_die : bool
        The derivative is exactly 0 for every negative input, so a unit pushed to the negative
        side for all examples never recovers.
    advice : str
        What the notes advise for hidden layers.
    """

    output_range: tuple
    range_closed: tuple
    zero_centred: bool
    saturates: bool
    saturates_negative: bool
    uses_exp: bool
    sparse_output: bool
    can_die: bool
    advice: str


_INF = float("inf")

ACTIVATION_PROPERTIES = {
    "sigmoid": ActivationProperties(
        output_range=(0.0, 1.0), range_closed=(False, False), zero_centred=False,
        saturates=True, saturates_negative=True, uses_exp=True, sparse_output=False,
        can_die=False,
        advice="do not use in hidden layers (saturates, not zero-centred); the output layer of "
        "binary classification only",
    ),
    "tanh": ActivationProperties(
        output_range=(-1.0, 1.0), range_closed=(False, False), zero_centred=True,
        saturates=True, saturates_negative=True, uses_exp=True, sparse_output=False,
        can_die=False,
        advice="rarely: try it, but do not expect much (zero-centred, still saturates)",
    ),
    "relu": ActivationProperties(
        output_range=(0.0, _INF), range_closed=(True, False), zero_centred=False,
        saturates=False, saturates_negative=True, uses_exp=False, sparse_output=True,
        can_die=True,
        advice="the baseline: start with ReLU and be careful with the learning rate",
    ),
    "leaky_relu": ActivationProperties(
        output_range=(-_INF, _INF), range_closed=(False, False), zero_centred=False,
        saturates=False, saturates_negative=False, uses_exp=False, sparse_output=False,
        can_die=False,
        advice="try it after the ReLU baseline: it will not die",
    ),
    "elu": ActivationProperties(
        output_range=(-1.0, _INF), range_closed=(False, False), zero_centred=False,
        saturates=False, saturates_negative=True, uses_exp=True, sparse_output=False,
        can_die=False,
        advice="try it after the ReLU baseline: does not die, outputs closer to zero mean, "
        "costs an exp",
    ),
    "softplus": ActivationProperties(
        output_range=(0.0, _INF), range_closed=(False, False), zero_centred=False,
        saturates=False, saturates_negative=True, uses_exp=True, sparse_output=False,
        can_die=False,
        advice="not ranked by the notes: a smooth ReLU whose derivative is the sigmoid",
    ),
}
"""dict[str, ActivationProperties]: the comparison of [B11] for the entries of ``ACTIVATIONS``
(ELU's range is for the default ``alpha = 1``)."""

HIDDEN_LAYER_ADVICE = (
    "Use ReLU as the baseline approach.",
    "Be careful with the learning rates.",
    "Try out leaky ReLU or ELU.",
    "Try out tanh but do not expect much from it.",
    "Do not use sigmoid (in hidden layers).",
)
"""tuple of str: the notes' summary on choosing a hidden-layer activation [B11] (note 003)."""
