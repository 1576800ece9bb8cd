"""Regularization: weight penalties, dropout and early stopping.

Formulas covered (IDs of ``FORMULAS.md``):

* [C6] the regularised objective ``E(theta) + lambda * Omega(theta)`` and its gradient
  ``dE/dtheta + lambda * dOmega/dtheta``: :func:`regularized_loss`.
* [G1] L1 penalty ``lambda * ||W||_1``, gradient ``lambda * sign(W)``: :func:`l1_penalty`.
* [G2] L2 penalty (weight decay) ``lambda * ||W||_2^2``, gradient ``2 * lambda * W``:
  :func:`l2_penalty`.
* [G3] dropout, inverted as in PyTorch: :func:`dropout_forward`, :func:`dropout_backward`.
* [G4] the notes' test-time scaling ``w <- w (1 - p)``: :func:`dropout_forward_unscaled` and
  :func:`scale_weights_for_test`.
* [G5] early stopping on the validation loss: :class:`EarlyStopping`.

Contract
--------
Pure functions on numpy arrays; no input array is modified. ``p`` is always the probability of
*dropping* a unit (PyTorch's convention): a unit is kept with probability ``1 - p``. The notes
[G3] write the mask as ``Z ~ Bern(p)`` with ``p`` the probability of keeping a unit; the
course's ``p`` is their ``1 - p``. Functions that draw random numbers take
``rng: numpy.random.Generator``.
"""
import math
import numbers

import numpy as np

from ._validation import as_float_array

__all__ = [
    "l1_penalty",
    "l2_penalty",
    "PENALTIES",
    "regularized_loss",
    "dropout_forward",
    "dropout_backward",
    "dropout_forward_unscaled",
    "scale_weights_for_test",
    "EarlyStopping",
]


# ----------------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------------
_as_float_array = as_float_array


def _check_finite(name, arr):
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")


def _check_lam(lam):
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"lam must be a real number, got {type(lam).__name__}")
    lam = float(lam)
    if not (math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be a finite number >= 0, got {lam}")
    return lam


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number (the drop probability), got {type(p).__name__}")
    p = float(p)
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"p is the drop probability and must be in [0, 1], got {p}")
    return p


# ----------------------------------------------------------------------------------------------
# Penalties [G1, G2] and the regularised objective [C6]
# ----------------------------------------------------------------------------------------------
def l1_penalty(W, lam):
    """L1 penalty [G1] ``lam * sum |W|`` and its gradient ``lam * sign(W)``.

    Parameters
    ----------
    W : ndarray, any shape
        The weights.
    lam : float
        The strength ``lambda >= 0``.

    Returns
    -------
    value : float
        ``lam * sum(|W|)``.
    grad : ndarray, shape of ``W``
        ``lam * sign(W)``.

    Notes
    -----
    ``|w|`` has no derivative at 0; the function uses ``sign(0) = 0``, the subgradient that
    PyTorch's autograd also returns. The constant pull towards 0 (independent of ``|w|``) is
    what drives small weights to exactly zero.
    """
    W = _as_float_array("W", W)
    _check_finite("W", W)
    lam = _check_lam(lam)
    return lam * float(np.sum(np.abs(W))), lam * np.sign(W)


def l2_penalty(W, lam):
    """L2 penalty (weight decay) [G2] ``lam * sum W**2`` and its gradient ``2 * lam * W``.

    Parameters
    ----------
    W : ndarray, any shape
        The weights.
    lam : float
        The strength ``lambda >= 0``.

    Returns
    -------
    value : float
        ``lam * sum(W**2)`` (the notes' ``lambda * ||W||_2^2``, without a factor 1/2).
    grad : ndarray, shape of ``W``
        ``2 * lam * W``.

    Notes
    -----
    PyTorch's ``weight_decay=wd`` adds ``wd * W`` to the gradient, which is the gradient of
    ``(wd / 2) * sum W**2``: this penalty with ``lam`` equals ``weight_decay = 2 * lam``.
    """
    W = _as_float_array("W", W)
    _check_finite("W", W)
    lam = _check_lam(lam)
    return lam * float(np.sum(W * W)), 2.0 * lam * W


PENALTIES = {"l1": l1_penalty, "l2": l2_penalty}
"""dict[str, callable]: the penalty functions by name, each ``(W, lam) -> (value, grad)``."""


def regularized_loss(loss, grads, params, lam, penalty="l2", *, keys=None):
    """Add a weight penalty to a loss and its gradients [C6]: ``E + lam * Omega``.

    The gradient is ``dE/dtheta + lam * dOmega/dtheta`` for each penalised parameter and
    ``dE/dtheta`` for the others.

    Parameters
    ----------
    loss : float
        The data loss ``E(theta)``.
    grads : dict[str, ndarray]
        ``dE/dtheta`` for every parameter, with the keys of ``params``.
    params : dict[str, ndarray]
        The parameters ``theta``.
    lam : float
        The strength ``lambda >= 0``.
    penalty : {"l2", "l1"}, optional
        Which ``Omega``: ``"l2"`` (:func:`l2_penalty`) or ``"l1"`` (:func:`l1_penalty`).
    keys : iterable of str, optional
        The names of the parameters to penalise. By default every parameter whose array has two
        or more dimensions: the weight matrices ``W (D, M)`` (and ``Wx``, ``Wh``) and the
        convolution kernels ``w (F, C, KH, KW)``. Biases ``b (M,)`` and other 1-D parameters are
        not penalised: a bias does not make the function steeper, and shrinking it only moves
        the decision boundary.

    Returns
    -------
    loss : float
        ``E + lam * sum over the penalised parameters of Omega(param)``.
    grads : dict[str, ndarray]
        A new dict with the keys of ``grads``; the input dict and its arrays are not modified.

    Notes
    -----
    The default rule ``ndim >= 2`` would also penalise a 2-D bias such as maxout's
    ``b (K, M)``; pass ``keys`` to choose the parameters yourself.
    """
    if isinstance(loss, bool) or not (
        isinstance(loss, numbers.Real)
        or (np.ndim(loss) == 0 and np.asarray(loss).dtype.kind in "iuf")
    ):
        raise TypeError(f"loss must be a real number, got {type(loss).__name__}")
    loss = float(loss)
    if not isinstance(grads, dict):
        raise TypeError(f"grads must be a dict name -> ndarray, got {type(grads).__name__}")
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict name -> ndarray, got {type(params).__name__}")
    if set(grads) != set(params):
        raise ValueError(
            f"grads must have the keys of params; params has {sorted(params, key=str)}, "
            f"grads has {sorted(grads, key=str)}"
        )
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {sorted(PENALTIES)}, got {penalty!r}")
    lam = _check_lam(lam)
    if keys is None:
        keys = [name for name in params if np.ndim(params[name]) >= 2]
    else:
        if isinstance(keys, str):
            raise TypeError("keys must be an iterable of parameter names, not a single string")
        keys = list(keys)
        unknown = [k for k in keys if k not in params]
        if unknown:
            raise ValueError(f"keys must name parameters in params; unknown {unknown}")

    penalty_fn = PENALTIES[penalty]
    total = loss
    new_grads = dict(grads)
    for name in keys:
        W = _as_float_array(f"params[{name!r}]", params[name])
        dW = _as_float_array(f"grads[{name!r}]", grads[name])
        if dW.shape != W.shape:
            raise ValueError(
                f"grads[{name!r}] must have the shape of params[{name!r}] {W.shape}, got {dW.shape}"
            )
        value, grad = penalty_fn(W, lam)
        total += value
        new_grads[name] = dW + grad
    return total, new_grads


# ----------------------------------------------------------------------------------------------
# Dropout [G3, G4]
# ----------------------------------------------------------------------------------------------
def _draw_keep(x, p, rng):
    """The keep mask: True with probability ``1 - p`` for each element of ``x``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng.random(x.shape) < 1.0 - p


def _check_dropout_args(x, p, train):
    x = _as_float_array("x", x)
    p = _check_p(p)
    if not isinstance(train, (bool, np.bool_)):
        raise TypeError(f"train must be True or False, got {type(train).__name__}")
    return x, p, bool(train)


def dropout_forward(x, p, train, rng):
    """Inverted dropout [G3]: drop each unit with probability ``p``, scale the rest by 1/(1-p).

    Parameters
    ----------
    x : ndarray, any shape, e.g. (N, D)
        The activations; one independent mask entry per element (per unit and example).
    p : float
        The probability of *dropping* a unit, in ``[0, 1]`` (PyTorch's ``p``).
    train : bool
        True during training; False at test time, where dropout is the identity.
    rng : numpy.random.Generator or None
        Draws the mask. Only used when ``train`` is True and ``0 < p``; may be None otherwise.

    Returns
    -------
    out : ndarray, shape of ``x``
        ``x * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)`` during training, a copy of ``x``
        otherwise. ``p = 1`` gives zeros.
    cache : dict
        ``{"multiplier": mask / (1 - p) or None, "shape": x.shape}`` for
        :func:`dropout_backward`.

    Notes
    -----
    Scaling the kept units by ``1 / (1 - p)`` during training keeps the expected value of every
    unit equal to its value without dropout, ``E[mask / (1 - p)] = 1``, so that the network needs
    no change at test time. This is ``torch.nn.functional.dropout(x, p, training=train)``; the
    masks differ because the random generators differ. The notes' form [G4] scales the weights
    at test time instead: see :func:`dropout_forward_unscaled`. ``p = 1`` would divide by zero;
    every unit is dropped, so the output and the gradient are zero, as in PyTorch.
    """
    x, p, train = _check_dropout_args(x, p, train)
    if not train or p == 0.0:
        return x.copy(), {"multiplier": None, "shape": x.shape}
    keep = _draw_keep(x, p, rng)
    if p == 1.0:
        multiplier = np.zeros(x.shape, dtype=x.dtype)
    else:
        multiplier = keep.astype(x.dtype) / x.dtype.type(1.0 - p)
    return x * multiplier, {"multiplier": multiplier, "shape": x.shape}


def dropout_backward(dout, cache):
    """Backward pass of dropout (either form): ``dx = dout * multiplier`` with the forward's mask.

    Parameters
    ----------
    dout : ndarray, shape of the forward's ``x``
        Upstream gradient ``dL/dout``.
    cache : dict
        From :func:`dropout_forward` or :func:`dropout_forward_unscaled`.

    Returns
    -------
    dx : ndarray, shape of ``dout``
        ``dL/dx``: zero for the dropped units, ``dout`` times the forward's scale for the kept
        ones (the identity when the forward did not drop).
    """
    dout = _as_float_array("dout", dout)
    if not isinstance(cache, dict) or "multiplier" not in cache or "shape" not in cache:
        raise TypeError("cache must be the cache returned by dropout_forward")
    if dout.shape != tuple(cache["shape"]):
        raise ValueError(f"dout must have the shape of the forward's x {cache['shape']}, "
                         f"got {dout.shape}")
    if cache["multiplier"] is None:
        return dout.copy()
    return dout * cache["multiplier"]


def dropout_forward_unscaled(x, p, train, rng):
    """Dropout in the notes' form [G4]: drop units while training, scale nothing.

    Parameters
    ----------
    x : ndarray, any shape, e.g. (N, D)
        The activations.
    p : float
        The probability of dropping a unit, in ``[0, 1]``.
    train : bool
        True during training; False at test time (the identity).
    rng : numpy.random.Generator or None
        Draws the mask (used only when ``train`` is True and ``0 < p``).

    Returns
    -------
    out : ndarray, shape of ``x``
        ``x * mask`` with ``mask ~ Bernoulli(1 - p)`` during training, a copy of ``x`` otherwise.
    cache : dict
        For :func:`dropout_backward`.

    Notes
    -----
    During training a unit's expected value is ``(1 - p) x``, so at test time, when nothing is
    dropped, the next layer must see its weights scaled by ``1 - p``
    (:func:`scale_weights_for_test`) to receive the same expected input. The two forms describe
    the same network: weights ``W`` trained with this function equal weights ``W (1 - p)``
    trained with inverted dropout (:func:`dropout_forward`), for every mask, because
    ``(x * mask / (1 - p)) @ (W (1 - p)) = (x * mask) @ W``; and at test time both compute
    ``x @ (W (1 - p))``. Both functions draw the mask the same way, so with equal generators
    they drop the same units.
    """
    x, p, train = _check_dropout_args(x, p, train)
    if not train or p == 0.0:
        return x.copy(), {"multiplier": None, "shape": x.shape}
    multiplier = _draw_keep(x, p, rng).astype(x.dtype)
    return x * multiplier, {"multiplier": multiplier, "shape": x.shape}


def scale_weights_for_test(W, p):
    """The notes' test-time rule [G4] ``w <- w (1 - p)`` for a layer fed by dropout with rate ``p``.

    Parameters
    ----------
    W : ndarray, any shape, e.g. (D, M)
        The weights trained behind :func:`dropout_forward_unscaled` (the weights that *read*
        the dropped units).
    p : float
        The drop probability used in training, in ``[0, 1]``.

    Returns
    -------
    W_test : ndarray, shape of ``W``
        ``W * (1 - p)`` (a new array). Biases are not scaled: they do not read dropped units.
    """
    W = _as_float_array("W", W)
    p = _check_p(p)
    return W * W.dtype.type(1.0 - p)


# ----------------------------------------------------------------------------------------------
# Early stopping [G5]
# ----------------------------------------------------------------------------------------------
class EarlyStopping:
    """Stop training when the validation loss has not improved for ``patience`` epochs [G5].

    Call :meth:`step` once per epoch with the validation loss. An epoch *improves* when its loss
    is below ``best_loss - min_delta``; after ``patience`` epochs in a row without improvement,
    :meth:`step` returns True.

    Parameters
    ----------
    patience : int
        Epochs without improvement to tolerate, ``>= 1``: ``patience=1`` stops at the first
        epoch that does not improve.
    min_delta : float, optional
        The smallest decrease that counts as an improvement, ``>= 0`` (0.0).

    Attributes
    ----------
    best_loss : float
        The lowest validation loss seen (``inf`` before the first step).
    best_epoch : int or None
        The index (from 0, counting calls of :meth:`step`) of the epoch with ``best_loss``.
    best_params : dict[str, ndarray] or None
        Copies of the parameters passed with the best loss (None if none were passed).
    num_bad_epochs : int
        Epochs since the last improvement.
    """

    def __init__(self, patience, min_delta=0.0):
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
            raise TypeError(f"patience must be an integer, got {type(patience).__name__}")
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
            raise TypeError(f"min_delta must be a real number, got {type(min_delta).__name__}")
        if not (math.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.reset()

    def reset(self):
        """Forget everything seen so far (as a freshly built object)."""
        self.best_loss = math.inf
        self.best_epoch = None
        self.best_params = None
        self.num_bad_epochs = 0
        self._epoch = -1

    def step(self, val_loss, params=None):
        """Record one epoch's validation loss; return True when training should stop.

        Parameters
        ----------
        val_loss : float
            This epoch's validation loss. NaN (a diverged run) counts as no improvement.
        params : dict[str, ndarray], optional
            The current parameters; copies are kept in ``best_params`` when this epoch is the
            best so far.

        Returns
        -------
        bool
            True if the last ``patience`` epochs did not improve on ``best_loss``.
        """
        if isinstance(val_loss, bool) or not (
            isinstance(val_loss, numbers.Real)
            or (np.ndim(val_loss) == 0 and np.asarray(val_loss).dtype.kind in "iuf")
        ):
            raise TypeError(f"val_loss must be a real number, got {type(val_loss).__name__}")
        if params is not None and not isinstance(params, dict):
            raise TypeError(f"params must be a dict name -> ndarray, got {type(params).__name__}")
        val_loss = float(val_loss)
        self._epoch += 1
        # NaN < x is False, so a NaN loss is never an improvement.
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss = val_loss
            self.best_epoch = self._epoch
            self.num_bad_epochs = 0
            if params is not None:
                self.best_params = {name: np.array(value, copy=True)
                                    for name, value in params.items()}
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
