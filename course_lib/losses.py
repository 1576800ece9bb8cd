"""Softmax and the losses of the course [B9], [B10], [C1]-[C5].

The softmax [B9] turns a vector of logits into probabilities; its Jacobian is
``diag(p) − p pᵀ`` [B10]. The losses return ``(loss, gradient)``: squared error [C1] for
regression, binary cross-entropy [C2] on probabilities or, stably, on logits, and categorical
cross-entropy [C3] on logits, whose gradient through the softmax is ``p − y`` [C4]. Finally,
``sigmoid_output_gradients`` shows why cross-entropy trains a sigmoid output faster than squared
error [C5].

Contract
--------
- A loss is a Python float, the mean over the batch (over all elements for the elementwise
  losses); the gradient is with respect to the first argument, has its shape and includes the
  ``1/N`` of the mean.
- Float arrays keep their dtype; integers become float64. Nothing modifies its caller's arrays.
- Logits of size 1e3 and more are fine: everything goes through the max-shift of the softmax or
  the stable forms of ``log(1 + e^z)``.
- Bad input (wrong rank or shape, labels out of range or not integers, NaN, probabilities
  outside [0, 1]) raises ``ValueError`` or ``TypeError`` naming the argument.
"""
import numpy as np

from course_lib.activations import _as_float_array, sigmoid, sigmoid_grad

__all__ = [
    "softmax",
    "log_softmax",
    "softmax_jacobian",
    "softmax_cross_entropy",
    "mse_loss",
    "binary_cross_entropy",
    "bce_with_logits",
    "sigmoid_output_gradients",
]


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------
def _check_finite(arr, name):
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name} must be finite; it contains {bad}")


def _check_axis(z, axis):
    """Return ``axis`` as a non-negative index into ``z.shape``."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer; got {type(axis).__name__}")
    if z.ndim == 0:
        raise ValueError("z must have at least one axis (a vector of logits); got a scalar")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(
            f"axis must be in [{-z.ndim}, {z.ndim - 1}] for z of shape {z.shape}; got {axis}"
        )
    axis = int(axis) % z.ndim
    if z.shape[axis] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}; got shape {z.shape}")
    return axis


def _check_same_shape(a, b, name_a, name_b):
    if a.shape != b.shape:
        raise ValueError(
            f"{name_b} must have the shape of {name_a}, {a.shape}; got {b.shape} "
            "(no broadcasting)"
        )
    if a.size == 0:
        raise ValueError(f"{name_a} must not be empty")


def _check_unit_interval(arr, name):
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    if (arr < 0).any() or (arr > 1).any():
        raise ValueError(
            f"{name} must lie in [0, 1]; got values from {arr.min()} to {arr.max()}"
        )


# ---------------------------------------------------------------------------------------------
# [B9], [B10] softmax
# ---------------------------------------------------------------------------------------------
def softmax(z, axis=-1):
    """Softmax ``p_i = e^{z_i} / Σ_j e^{z_j}`` along one axis [B9].

    Parameters
    ----------
    z : ndarray, shape (K,) or (N, K) (any shape with ``axis``)
        Logits.
    axis : int, default -1
        The axis of the classes.

    Returns
    -------
    p : ndarray, same shape and float dtype as ``z``
        Non-negative, summing to 1 along ``axis``. ``z = [1, 2, 3]`` gives
        ``[0.0900, 0.2447, 0.6652]``.

    Notes
    -----
    Note 004 writes ``0.002, 0.02, …`` for ``z = [1, 2, 3]``: an erratum [B9]; the values are
    ``e / (e + e² + e³) = 0.0900`` and so on.

    Numerical trick: the softmax is unchanged by adding a constant to every logit
    (``e^{z_i − c} / Σ e^{z_j − c}``). Subtracting ``c = max z`` makes every exponent ``≤ 0``, so
    ``e^{1000}`` never overflows, and the largest term is exactly 1, so the sum is at least 1
    and the division is safe.
    """
    z = _as_float_array(z, "z")
    axis = _check_axis(z, axis)
    _check_finite(z, "z")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """Logarithm of the softmax, ``log p_i = z_i − log Σ_j e^{z_j}`` [B9].

    Parameters
    ----------
    z : ndarray, shape (K,) or (N, K) (any shape with ``axis``)
        Logits.
    axis : int, default -1
        The axis of the classes.

    Returns
    -------
    log_p : ndarray, same shape and float dtype as ``z``
        Non-positive; ``exp(log_p)`` sums to 1 along ``axis``.

    Notes
    -----
    Numerical trick (log-sum-exp): with ``m = max z``,
    ``log Σ e^{z_j} = m + log Σ e^{z_j − m}``. Every exponent is ``≤ 0`` and the sum is at
    least 1, so neither the exponential overflows nor the logarithm sees 0. ``log(softmax(z))``
    would instead give ``log 0 = −inf`` for a class whose logit is 1000 below the largest.
    """
    z = _as_float_array(z, "z")
    axis = _check_axis(z, axis)
    _check_finite(z, "z")
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_jacobian(p):
    """Jacobian of the softmax ``∂p/∂z = diag(p) − p pᵀ`` [B10].

    Parameters
    ----------
    p : ndarray, shape (K,)
        One probability vector, the output ``softmax(z)`` (not the logits ``z``).

    Returns
    -------
    J : ndarray, shape (K, K)
        ``J[i, j] = ∂p_i/∂z_j = p_i (δ_ij − p_j)``; symmetric, each row and column sums to 0.

    Raises
    ------
    ValueError
        If ``p`` is not 1-D, or not a probability vector (negative entries, or a sum further
        than 1e-3 from 1: a sign that the logits were passed instead).

    Notes
    -----
    The diagonal ``p_i (1 − p_i)`` is the sigmoid's derivative ``σ(1 − σ)`` of note 004; the
    off-diagonal ``−p_i p_j`` says that raising one logit lowers every other probability.
    """
    p = _as_float_array(p, "p")
    if p.ndim != 1 or p.size == 0:
        raise ValueError(
            f"p must be one non-empty probability vector of shape (K,); got shape {p.shape}"
        )
    _check_finite(p, "p")
    if (p < 0).any() or abs(p.sum() - 1) > 1e-3:
        raise ValueError(
            f"p must be a probability vector (non-negative, summing to 1); got sum {p.sum():.6g} "
            f"and minimum {p.min():.6g}; pass softmax(z), not the logits z"
        )
    return np.diag(p) - np.outer(p, p)


# ---------------------------------------------------------------------------------------------
# [C3], [C4] categorical cross-entropy on logits
# ---------------------------------------------------------------------------------------------
def _as_labels(y, n, k):
    """Check integer class labels ``y (N,)`` with values in ``0..K-1``."""
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"y must hold integer class labels (an int dtype); got dtype {y.dtype}; "
            "pass class indices, not one-hot rows or floats"
        )
    if y.shape != (n,):
        raise ValueError(f"y must have shape (N,) = ({n},) to match logits; got shape {y.shape}")
    if (y < 0).any() or (y >= k).any():
        raise ValueError(
            f"y must hold labels in 0..{k - 1} (K = {k} classes); "
            f"got min {y.min()}, max {y.max()}"
        )
    return y


def softmax_cross_entropy(logits, y):
    """Softmax followed by categorical cross-entropy, mean over the batch [C3], [C4].

    ``L = −(1/N) Σ_n log p_{n, y_n}`` with ``p = softmax(logits)``: the cross-entropy
    ``−Σ_i t_i log p_i`` with a one-hot target ``t``.

    Parameters
    ----------
    logits : ndarray, shape (N, K)
        Scores of ``K`` classes for ``N`` examples.
    y : ndarray of int, shape (N,)
        True classes, in ``0..K-1``.

    Returns
    -------
    loss : float
        Mean cross-entropy. A confident right answer (``p = 0.98``) costs ``−log 0.98 ≈ 0.0202``,
        a uniform guess over three classes ``−log(1/3) ≈ 1.0986``.
    dlogits : ndarray, shape (N, K)
        ``(p − onehot(y)) / N`` [C4].

    Notes
    -----
    Note 002 writes the cross-entropy as ``−y_i ln y_i``; the target multiplies the log of the
    *prediction*, ``−Σ t_i log p_i`` [C3] (erratum).

    Numerical trick: the loss is read off ``log_softmax`` (log-sum-exp with the max
    subtracted) instead of ``log(softmax(...))``, so a logit spread of 1000 gives a finite loss
    of about 1000 instead of ``−log 0 = inf``.
    """
    logits = _as_float_array(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(
            f"logits must be 2-D (N, K); got shape {logits.shape}"
            + ("; for one example pass logits[None, :]" if logits.ndim == 1 else "")
        )
    n, k = logits.shape
    if n == 0 or k == 0:
        raise ValueError(
            f"logits must have at least one example and one class; got shape {logits.shape}"
        )
    _check_finite(logits, "logits")
    y = _as_labels(y, n, k)
    rows = np.arange(n)
    log_p = log_softmax(logits, axis=1)
    loss = -log_p[rows, y].mean()
    dlogits = np.exp(log_p)  # p, a fresh array
    dlogits[rows, y] -= 1
    return float(loss), dlogits / n


# ---------------------------------------------------------------------------------------------
# [C1] squared error
# ---------------------------------------------------------------------------------------------
def mse_loss(pred, target):
    """Mean squared error ``L = mean((ŷ − y)^2)`` over all elements [C1].

    Parameters
    ----------
    pred : ndarray, any shape
        Predictions ``ŷ``.
    target : ndarray, same shape as ``pred``
        Targets ``y``.

    Returns
    -------
    loss : float
        ``mean((pred − target)^2)``, as ``torch.nn.functional.mse_loss``.
    dpred : ndarray, same shape as ``pred``
        ``2 (pred − target) / n`` with ``n = pred.size``.

    Notes
    -----
    Note 004 uses ``½ (Y − Ŷ)^2`` for one example, whose gradient is ``−(Y − Ŷ)``; the ``½``
    only rescales the loss. The shapes must agree exactly: broadcasting a ``(N,)`` target
    against ``(N, 1)`` predictions would silently compare every pair.
    """
    pred = _as_float_array(pred, "pred")
    target = _as_float_array(target, "target")
    _check_same_shape(pred, target, "pred", "target")
    diff = pred - target
    return float(np.mean(diff**2)), 2 * diff / diff.size


# ---------------------------------------------------------------------------------------------
# [C2] binary cross-entropy
# ---------------------------------------------------------------------------------------------
_LOG_CLAMP = -100.0  # torch.nn.functional.binary_cross_entropy clamps log(p) at -100
# and its backward divides by max(p (1 − p), 1e-12), the 1e-12 being a float32 constant there
_BCE_GRAD_EPS = float(np.float32(1e-12))


def binary_cross_entropy(p, y):
    """Binary cross-entropy on probabilities, ``−mean(y log p + (1 − y) log(1 − p))`` [C2, A7].

    Parameters
    ----------
    p : ndarray, any shape
        Predicted probabilities of class 1, in ``[0, 1]`` (sigmoid outputs).
    y : ndarray, same shape as ``p``
        Targets in ``[0, 1]`` (0/1 labels, or soft targets).

    Returns
    -------
    loss : float
        Mean over all elements.
    dp : ndarray, same shape as ``p``
        ``(p − y) / (p (1 − p)) / n``, with ``p (1 − p)`` floored at 1e-12.

    Notes
    -----
    As ``torch.nn.functional.binary_cross_entropy``: each log is clamped at ``−100``, so a
    certain wrong prediction (``p = 0`` with ``y = 1``) costs 100 instead of ``inf``, and the
    gradient divides by ``max(p (1 − p), 1e-12)`` instead of 0. Probabilities rounded to 0 or 1
    lose information; prefer ``bce_with_logits`` on the logits.
    """
    p = _as_float_array(p, "p")
    y = _as_float_array(y, "y")
    _check_same_shape(p, y, "p", "y")
    _check_unit_interval(p, "p")
    _check_unit_interval(y, "y")
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected; it is clamped just below
        log_p = np.maximum(np.log(p), _LOG_CLAMP)
        log_1mp = np.maximum(np.log1p(-p), _LOG_CLAMP)
    loss = -np.mean(y * log_p + (1 - y) * log_1mp)
    dp = (p - y) / np.maximum(p * (1 - p), _BCE_GRAD_EPS) / p.size
    return float(loss), dp


def bce_with_logits(z, y):
    """Binary cross-entropy on logits, ``BCE(σ(z), y)`` computed stably [C2, A7].

    Parameters
    ----------
    z : ndarray, any shape
        Logits (pre-activations of a sigmoid output).
    y : ndarray, same shape as ``z``
        Targets in ``[0, 1]``.

    Returns
    -------
    loss : float
        Mean over all elements, as ``torch.nn.functional.binary_cross_entropy_with_logits``.
    dz : ndarray, same shape as ``z``
        ``(σ(z) − y) / n``: the sigmoid's derivative cancels [C5].

    Notes
    -----
    Numerical trick: ``−y log σ(z) − (1 − y) log(1 − σ(z)) = log(1 + e^z) − y z``, and
    ``log(1 + e^z) = max(z, 0) + log1p(e^{−|z|})`` never overflows. No probability is rounded
    to 0 or 1 on the way, so the loss of a confidently wrong logit ``z = −1000`` is 1000, not a
    clamped 100.
    """
    z = _as_float_array(z, "z")
    y = _as_float_array(y, "y")
    _check_same_shape(z, y, "z", "y")
    _check_finite(z, "z")
    _check_unit_interval(y, "y")
    per_element = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(per_element)), (sigmoid(z) - y) / z.size


# ---------------------------------------------------------------------------------------------
# [C5] why cross-entropy beats squared error for a sigmoid output
# ---------------------------------------------------------------------------------------------
def sigmoid_output_gradients(z, y):
    """Gradients with respect to ``z`` of a sigmoid output ``a = σ(z)`` under two losses [C5].

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations of the output units.
    y : ndarray, same shape as ``z``
        Targets in ``[0, 1]``.

    Returns
    -------
    dz_squared_error : ndarray, same shape as ``z``
        ``∂/∂z (a − y)^2 = 2 (a − y) σ'(z)``, element by element (no mean).
    dz_cross_entropy : ndarray, same shape as ``z``
        ``∂/∂z [−y log a − (1 − y) log(1 − a)] = a − y``, element by element (no mean).

    Notes
    -----
    The two differ by the factor ``2σ'(z) ≤ 1/2``. For a confidently wrong unit (``z = −10``
    with ``y = 1``) ``σ'(z) ≈ 4.5e-5``: squared error barely moves it, while cross-entropy
    pushes with ``a − y ≈ −1``. The same cancellation gives ``p − y`` for softmax with
    cross-entropy [C4].
    """
    z = _as_float_array(z, "z")
    y = _as_float_array(y, "y")
    _check_same_shape(z, y, "z", "y")
    _check_finite(z, "z")
    _check_unit_interval(y, "y")
    error = sigmoid(z) - y
    return 2 * error * sigmoid_grad(z), error
