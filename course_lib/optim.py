"""Optimization: gradient descent, its adaptive variants, and a mini-batch training loop.

Formulas covered (IDs of ``FORMULAS.md``):

* [D10] gradient descent ``x_{t+1} = x_t - lr * dx``: :func:`sgd_update`, :func:`gradient_descent`.
* [F1] mini-batch gradient descent: :func:`train`.
* [F2] a learning rate that is too small crawls, one that is too large diverges:
  :func:`learning_rate_sweep`.
* [F3] Adagrad: :func:`adagrad_update`, :class:`Adagrad`.
* [F4] momentum: :func:`momentum_update`, :class:`Momentum`.
* [F5] RMSprop: :func:`rmsprop_update`, :class:`RMSprop`.
* [F6] Adam (RMSprop + momentum, with bias correction): :func:`adam_update`, :class:`Adam`.

Contract
--------
The update rules are pure functions. Each takes the parameter ``w``, its gradient ``dw`` (same
shape) and the optimizer's state, and returns the *new* parameter and the *new* state; no input
array is modified. Their arithmetic equals ``torch.optim.SGD`` (with ``momentum=0`` and with
``momentum > 0``, ``dampening=0``), ``torch.optim.Adagrad`` (``initial_accumulator_value=0``),
``torch.optim.RMSprop`` (``centered=False``, ``momentum=0``) and ``torch.optim.Adam``
(``amsgrad=False``), all with ``weight_decay=0``, step for step. Where the lecture notes write a
rule in another form, the docstring of the rule says how the two forms relate.

The optimizer classes (:class:`SGD`, :class:`Momentum`, :class:`Adagrad`, :class:`RMSprop`,
:class:`Adam`) keep one state per parameter name and apply the update rules to a dict of
parameters: ``optimizer.step(params, grads)`` rebinds ``params[name]`` to a new array and never
writes into an array that the caller may still hold.

:func:`train` runs mini-batch training on any model that follows this protocol:

* ``model.params``: a dict ``name -> ndarray`` (the optimizer rebinds its entries);
* ``model.loss_and_grads(X, y) -> (loss, grads)``: the mean loss over the batch and a dict of
  gradients with the same keys as ``model.params``;
* ``model.predict(X) -> ndarray, shape (N,)``: predicted labels.
"""
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array

__all__ = [
    "sgd_update",
    "momentum_update",
    "adagrad_update",
    "rmsprop_update",
    "adam_update",
    "Optimizer",
    "SGD",
    "Momentum",
    "Adagrad",
    "RMSprop",
    "Adam",
    "History",
    "train",
    "gradient_descent",
    "learning_rate_sweep",
]


# ----------------------------------------------------------------------------------------------
# Input checks shared by the update rules
# ----------------------------------------------------------------------------------------------
_as_float_array = as_float_array


def _check_finite(name, arr):
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or inf; a non-finite value usually means that training "
            "diverged (try a smaller lr)"
        )


def _check_same_shape(name, arr, ref_name, ref):
    if arr.shape != ref.shape:
        raise ValueError(f"{name} must have the shape of {ref_name} {ref.shape}, got {arr.shape}")


def _check_param_and_grad(w, dw):
    w = _as_float_array("w", w)
    dw = _as_float_array("dw", dw)
    _check_same_shape("dw", dw, "w", w)
    _check_finite("w", w)
    _check_finite("dw", dw)
    return w, dw


def _check_state(name, state, w, non_negative=False):
    state = _as_float_array(name, state)
    _check_same_shape(name, state, "w", w)
    _check_finite(name, state)
    if non_negative and np.any(state < 0):
        raise ValueError(f"{name} holds sums of squared gradients and must be >= 0")
    return state


def _check_real(name, value, low=None, high=None, high_inclusive=True):
    """Check that ``value`` is a finite real number in ``[low, high]`` (or ``[low, high)``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None:
        if high_inclusive and value > high:
            raise ValueError(f"{name} must be <= {high}, got {value}")
        if not high_inclusive and value >= high:
            raise ValueError(f"{name} must be < {high}, got {value}")
    return value


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def _zeros_like(w):
    """Zeros for an optimizer state: the shape of ``w``, its dtype if it is a float array."""
    w = np.asarray(w)
    return np.zeros(w.shape, dtype=w.dtype if w.dtype.kind == "f" else np.float64)


def _safe_divide(num, den):
    """``num / den`` elementwise, with 0 where ``den == 0`` (see the Notes of the rules)."""
    return np.divide(num, den, out=np.zeros(np.broadcast_shapes(num.shape, den.shape),
                                            dtype=np.result_type(num, den)), where=den > 0)


# ----------------------------------------------------------------------------------------------
# The update rules [D10, F3-F6]
# ----------------------------------------------------------------------------------------------
def sgd_update(w, dw, lr):
    """One step of (stochastic) gradient descent [D10]: ``w <- w - lr * dw``.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter.
    dw : ndarray, shape of ``w``
        The gradient ``dL/dw`` (of a mini-batch loss for stochastic gradient descent).
    lr : float
        The learning rate, ``>= 0``.

    Returns
    -------
    w : ndarray, shape of ``w``
        The new parameter (a new array).

    Notes
    -----
    Equals ``torch.optim.SGD(params, lr=lr)`` (``momentum=0``, ``weight_decay=0``).
    """
    w, dw = _check_param_and_grad(w, dw)
    lr = _check_real("lr", lr, low=0.0)
    return w - lr * dw


def momentum_update(w, dw, v, lr, momentum=0.9):
    """One step of gradient descent with momentum [F4], in PyTorch's form.

    ``v <- momentum * v + dw``, then ``w <- w - lr * v``.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter.
    dw : ndarray, shape of ``w``
        The gradient ``dL/dw``.
    v : ndarray, shape of ``w``
        The velocity (PyTorch's ``momentum_buffer``); zeros before the first step.
    lr : float
        The learning rate, ``>= 0``.
    momentum : float, optional
        The momentum coefficient ``mu >= 0`` (0.9 by default).

    Returns
    -------
    w : ndarray, shape of ``w``
        The new parameter.
    v : ndarray, shape of ``w``
        The new velocity.

    Notes
    -----
    Equals ``torch.optim.SGD(params, lr=lr, momentum=momentum)`` (``dampening=0``,
    ``nesterov=False``). PyTorch sets the buffer to ``dw`` on the first step; starting from
    ``v = 0`` gives the same value, ``momentum * 0 + dw``.

    The notes [F4] write the rule with the *movement* ``m`` (the step actually taken):
    ``m <- -lr * dw + momentum * m`` and ``w <- w + m``. The two forms give the same trajectory
    as long as ``lr`` stays constant: with ``v_0 = m_0 = 0``, induction gives
    ``m_t = -lr * v_t`` (``m_t = -lr dw_t + mu (-lr v_{t-1}) = -lr (dw_t + mu v_{t-1})``). They
    differ when ``lr`` changes during training (a schedule): PyTorch's form multiplies the whole
    accumulated velocity by the new ``lr``, the notes' form keeps the earlier movements at the
    learning rate they were taken with. The state ``v`` returned here is PyTorch's velocity, in
    units of a gradient, not the notes' movement.
    """
    w, dw = _check_param_and_grad(w, dw)
    v = _check_state("v", v, w)
    lr = _check_real("lr", lr, low=0.0)
    momentum = _check_real("momentum", momentum, low=0.0)
    v_new = momentum * v + dw
    return w - lr * v_new, v_new


def adagrad_update(w, dw, cache, lr, eps=1e-10):
    """One step of Adagrad [F3]: a per-coordinate learning rate that shrinks with the gradients.

    ``cache <- cache + dw**2``, then ``w <- w - lr * dw / (sqrt(cache) + eps)``.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter.
    dw : ndarray, shape of ``w``
        The gradient ``dL/dw``.
    cache : ndarray, shape of ``w``
        The sum of the squared gradients of all earlier steps (PyTorch's ``sum``); zeros before
        the first step.
    lr : float
        The learning rate ``eta >= 0``.
    eps : float, optional
        Added to the square root, ``>= 0`` (1e-10 as in PyTorch).

    Returns
    -------
    w : ndarray, shape of ``w``
        The new parameter.
    cache : ndarray, shape of ``w``
        The new sum of squared gradients, which includes ``dw``.

    Notes
    -----
    Equals ``torch.optim.Adagrad(params, lr=lr, eps=eps)`` with ``lr_decay=0`` and
    ``initial_accumulator_value=0``.

    The notes [F3] write ``w <- w - eta / sqrt(sum g**2) * g``, the sum running over all
    gradients so far including the current one. That is this rule with ``eps = 0``: both add
    ``dw**2`` to the sum *before* dividing. The ``eps`` of PyTorch only matters where the sum is
    (close to) zero, i.e. for a coordinate whose gradients have all been zero so far; the notes'
    form is then ``0 / 0``. Here a zero denominator (possible only with ``eps = 0``) gives a zero
    step, the limit of the rule, where PyTorch would produce NaN.
    """
    w, dw = _check_param_and_grad(w, dw)
    cache = _check_state("cache", cache, w, non_negative=True)
    lr = _check_real("lr", lr, low=0.0)
    eps = _check_real("eps", eps, low=0.0)
    cache_new = cache + dw * dw
    return w - lr * _safe_divide(dw, np.sqrt(cache_new) + eps), cache_new


def rmsprop_update(w, dw, cache, lr, alpha=0.99, eps=1e-8):
    """One step of RMSprop [F5]: Adagrad with a decaying average instead of a sum.

    ``cache <- alpha * cache + (1 - alpha) * dw**2``, then
    ``w <- w - lr * dw / (sqrt(cache) + eps)``.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter.
    dw : ndarray, shape of ``w``
        The gradient ``dL/dw``.
    cache : ndarray, shape of ``w``
        The running average of the squared gradients (PyTorch's ``square_avg``); zeros before the
        first step.
    lr : float
        The learning rate, ``>= 0``.
    alpha : float, optional
        The decay rate of the average, ``>= 0`` (0.99 as in PyTorch).
    eps : float, optional
        Added to the square root, ``>= 0`` (1e-8 as in PyTorch).

    Returns
    -------
    w : ndarray, shape of ``w``
        The new parameter.
    cache : ndarray, shape of ``w``
        The new running average of the squared gradients.

    Notes
    -----
    Equals ``torch.optim.RMSprop(params, lr=lr, alpha=alpha, eps=eps)`` (``centered=False``,
    ``momentum=0``). The notes [F5] only name the method ("advanced Adagrad"); where Adagrad's
    sum makes the steps shrink for ever, the average forgets old gradients. Some libraries put
    ``eps`` inside the square root (``sqrt(cache + eps)``); PyTorch, and this function, add it
    outside. A zero denominator (possible only with ``eps = 0`` and an all-zero gradient
    history) gives a zero step.
    """
    w, dw = _check_param_and_grad(w, dw)
    cache = _check_state("cache", cache, w, non_negative=True)
    lr = _check_real("lr", lr, low=0.0)
    alpha = _check_real("alpha", alpha, low=0.0, high=1.0)
    eps = _check_real("eps", eps, low=0.0)
    cache_new = alpha * cache + (1.0 - alpha) * (dw * dw)
    return w - lr * _safe_divide(dw, np.sqrt(cache_new) + eps), cache_new


def adam_update(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam [F6]: momentum on the gradient, RMSprop on its square, bias-corrected.

    ``m <- beta1 * m + (1 - beta1) * dw``, ``v <- beta2 * v + (1 - beta2) * dw**2``,
    ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``, then
    ``w <- w - lr * m_hat / (sqrt(v_hat) + eps)``.

    Parameters
    ----------
    w : ndarray, any shape
        The parameter.
    dw : ndarray, shape of ``w``
        The gradient ``dL/dw``.
    m : ndarray, shape of ``w``
        The first moment (running mean of the gradients, PyTorch's ``exp_avg``); zeros at first.
    v : ndarray, shape of ``w``
        The second moment (running mean of the squared gradients, ``exp_avg_sq``); zeros at first.
    t : int
        The number of this step, counting from 1.
    lr : float
        The learning rate, ``>= 0``.
    beta1, beta2 : float, optional
        The decay rates of ``m`` and ``v``, in ``[0, 1)`` (0.9 and 0.999 as in PyTorch).
    eps : float, optional
        Added to ``sqrt(v_hat)``, ``>= 0`` (1e-8 as in PyTorch).

    Returns
    -------
    w : ndarray, shape of ``w``
        The new parameter.
    m : ndarray, shape of ``w``
        The new first moment.
    v : ndarray, shape of ``w``
        The new second moment.

    Notes
    -----
    Equals ``torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps)`` (``amsgrad=False``,
    ``weight_decay=0``). The notes [F6] describe Adam as "RMSprop + momentum": ``m`` is the
    momentum term (as an average, scaled by ``1 - beta1``) and ``v`` is RMSprop's cache. Both
    start at zero, so early on they are biased towards zero; dividing by ``1 - beta**t`` removes
    that bias (at ``t = 1``, ``m_hat = dw`` and ``v_hat = dw**2``, so the first step has size
    about ``lr`` in every coordinate). A zero denominator (possible only with ``eps = 0``) gives
    a zero step.
    """
    w, dw = _check_param_and_grad(w, dw)
    m = _check_state("m", m, w)
    v = _check_state("v", v, w, non_negative=True)
    t = _check_int("t", t, low=1)
    lr = _check_real("lr", lr, low=0.0)
    beta1 = _check_real("beta1", beta1, low=0.0, high=1.0, high_inclusive=False)
    beta2 = _check_real("beta2", beta2, low=0.0, high=1.0, high_inclusive=False)
    eps = _check_real("eps", eps, low=0.0)
    m_new = beta1 * m + (1.0 - beta1) * dw
    v_new = beta2 * v + (1.0 - beta2) * (dw * dw)
    m_hat = m_new / (1.0 - beta1**t)
    v_hat = v_new / (1.0 - beta2**t)
    return w - lr * _safe_divide(m_hat, np.sqrt(v_hat) + eps), m_new, v_new


# ----------------------------------------------------------------------------------------------
# Optimizer objects: one state per named parameter
# ----------------------------------------------------------------------------------------------
class Optimizer:
    """Base class: applies an update rule to every entry of a dict of parameters.

    Subclasses implement ``_update(name, w, dw) -> w_new`` and keep their per-parameter state in
    ``self.state[name]`` (a dict, created on the first step of that parameter, like PyTorch's
    ``optimizer.state``).

    Attributes
    ----------
    state : dict[str, dict]
        The state of each parameter, keyed by the parameter's name.
    """

    def __init__(self):
        self.state = {}

    def step(self, params, grads):
        """Update every parameter with its gradient.

        Parameters
        ----------
        params : dict[str, ndarray]
            The parameters. Each entry is *rebound* to a new array; the arrays themselves are
            never written to, so a caller holding the old array keeps its old values.
        grads : dict[str, ndarray]
            The gradients, with exactly the keys of ``params`` and each of the shape of its
            parameter.

        Returns
        -------
        None
        """
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict name -> ndarray, got {type(params).__name__}")
        if not isinstance(grads, dict):
            raise TypeError(f"grads must be a dict name -> ndarray, got {type(grads).__name__}")
        if set(grads) != set(params):
            missing = sorted(set(params) - set(grads), key=str)
            extra = sorted(set(grads) - set(params), key=str)
            raise ValueError(
                f"grads must have the keys of params; missing {missing}, unexpected {extra}"
            )
        updated = {}
        for name in params:
            try:
                updated[name] = self._update(name, params[name], grads[name])
            except (TypeError, ValueError) as err:
                raise type(err)(f"params[{name!r}] / grads[{name!r}]: {err}") from err
        # Rebind only once every update succeeded, so that a bad gradient leaves params as it was.
        params.update(updated)

    def _update(self, name, w, dw):
        raise NotImplementedError

    def reset(self):
        """Forget the state of every parameter (as a freshly built optimizer)."""
        self.state = {}


class SGD(Optimizer):
    """Plain (stochastic) gradient descent [D10], ``torch.optim.SGD(params, lr)``.

    Parameters
    ----------
    lr : float, optional
        The learning rate (1e-3, PyTorch's default).
    """

    def __init__(self, lr=1e-3):
        super().__init__()
        self.lr = _check_real("lr", lr, low=0.0)

    def _update(self, name, w, dw):
        return sgd_update(w, dw, self.lr)


class Momentum(Optimizer):
    """Gradient descent with momentum [F4], ``torch.optim.SGD(params, lr, momentum)``.

    See :func:`momentum_update` for how its form relates to the notes' "movement".

    Parameters
    ----------
    lr : float, optional
        The learning rate (1e-3, PyTorch's default).
    momentum : float, optional
        The momentum coefficient (0.9).
    """

    def __init__(self, lr=1e-3, momentum=0.9):
        super().__init__()
        self.lr = _check_real("lr", lr, low=0.0)
        self.momentum = _check_real("momentum", momentum, low=0.0)

    def _update(self, name, w, dw):
        state = self.state.setdefault(name, {"v": _zeros_like(w)})
        w_new, state["v"] = momentum_update(w, dw, state["v"], self.lr, self.momentum)
        return w_new


class Adagrad(Optimizer):
    """Adagrad [F3], ``torch.optim.Adagrad(params, lr, eps=eps)``.

    Parameters
    ----------
    lr : float, optional
        The learning rate (1e-2, PyTorch's default).
    eps : float, optional
        Added to the square root (1e-10).
    """

    def __init__(self, lr=1e-2, eps=1e-10):
        super().__init__()
        self.lr = _check_real("lr", lr, low=0.0)
        self.eps = _check_real("eps", eps, low=0.0)

    def _update(self, name, w, dw):
        state = self.state.setdefault(name, {"cache": _zeros_like(w)})
        w_new, state["cache"] = adagrad_update(w, dw, state["cache"], self.lr, self.eps)
        return w_new


class RMSprop(Optimizer):
    """RMSprop [F5], ``torch.optim.RMSprop(params, lr, alpha, eps)``.

    Parameters
    ----------
    lr : float, optional
        The learning rate (1e-2, PyTorch's default).
    alpha : float, optional
        The decay rate of the average of squared gradients (0.99).
    eps : float, optional
        Added to the square root (1e-8).
    """

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8):
        super().__init__()
        self.lr = _check_real("lr", lr, low=0.0)
        self.alpha = _check_real("alpha", alpha, low=0.0, high=1.0)
        self.eps = _check_real("eps", eps, low=0.0)

    def _update(self, name, w, dw):
        state = self.state.setdefault(name, {"cache": _zeros_like(w)})
        w_new, state["cache"] = rmsprop_update(
            w, dw, state["cache"], self.lr, self.alpha, self.eps
        )
        return w_new


class Adam(Optimizer):
    """Adam [F6], ``torch.optim.Adam(params, lr, betas=(beta1, beta2), eps)``.

    The step count ``t`` is kept per parameter, as in PyTorch.

    Parameters
    ----------
    lr : float, optional
        The learning rate (1e-3, PyTorch's default).
    beta1, beta2 : float, optional
        The decay rates of the first and second moments (0.9, 0.999).
    eps : float, optional
        Added to ``sqrt(v_hat)`` (1e-8).
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__()
        self.lr = _check_real("lr", lr, low=0.0)
        self.beta1 = _check_real("beta1", beta1, low=0.0, high=1.0, high_inclusive=False)
        self.beta2 = _check_real("beta2", beta2, low=0.0, high=1.0, high_inclusive=False)
        self.eps = _check_real("eps", eps, low=0.0)

    def _update(self, name, w, dw):
        state = self.state.setdefault(
            name, {"m": _zeros_like(w), "v": _zeros_like(w), "t": 0}
        )
        t = state["t"] + 1
        w_new, m, v = adam_update(
            w, dw, state["m"], state["v"], t, self.lr, self.beta1, self.beta2, self.eps
        )
        state.update(m=m, v=v, t=t)
        return w_new


# ----------------------------------------------------------------------------------------------
# Mini-batch training [F1]
# ----------------------------------------------------------------------------------------------
@dataclass
class History:
    """What :func:`train` records, one entry per epoch.

    Attributes
    ----------
    loss, accuracy : list of float
        Loss and accuracy on the whole training set, with the parameters at the end of the epoch.
    val_loss, val_accuracy : list of float
        The same on the validation set (empty lists without validation data).
    stopped_epoch : int or None
        The index (from 0) of the epoch after which early stopping ended training, so that
        ``len(loss) == stopped_epoch + 1``; None if training ran all its epochs.
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    stopped_epoch: int | None = None


def _check_model(model):
    for attr in ("params", "loss_and_grads", "predict"):
        if not hasattr(model, attr):
            raise TypeError(
                f"model must have .params, .loss_and_grads(X, y) and .predict(X); "
                f"{type(model).__name__} has no {attr!r}"
            )
    if not isinstance(model.params, dict):
        raise TypeError(f"model.params must be a dict, got {type(model.params).__name__}")


def _check_data(x_name, X, y_name, y):
    if X is None or y is None:
        raise ValueError(f"{x_name} and {y_name} must be given together")
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(f"{x_name} must have at least one sample (N, ...), got shape {X.shape}")
    if y.ndim != 1:
        raise ValueError(f"{y_name} must be a 1-D array of labels (N,), got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{y_name} must have one label per row of {x_name} ({X.shape[0]}), got {y.shape[0]}"
        )
    return X, y


def _evaluate(model, X, y):
    loss, _ = model.loss_and_grads(X, y)
    accuracy = float(np.mean(np.asarray(model.predict(X)) == y))
    return float(loss), accuracy


def train(model, X, y, optimizer, *, batch_size, num_epochs, rng, X_val=None, y_val=None,
          early_stopping=None):
    """Train ``model`` with mini-batch gradient descent [F1].

    Each epoch shuffles the training set with ``rng``, splits it into mini-batches of
    ``batch_size`` samples (the last one smaller if ``batch_size`` does not divide ``N``), and for
    each batch computes the loss and gradients and lets ``optimizer`` update ``model.params``.
    Every sample is used exactly once per epoch. After the epoch the loss and accuracy on the
    whole training set (and on the validation set, if given) are recorded.

    Parameters
    ----------
    model : object
        Follows the protocol of this module's docstring (``params``, ``loss_and_grads``,
        ``predict``).
    X : ndarray, shape (N, ...)
        Training inputs, one sample per row (any trailing shape the model accepts).
    y : ndarray, shape (N,)
        Training labels.
    optimizer : Optimizer
        Anything with ``.step(params, grads)``, e.g. :class:`SGD` or :class:`Adam`.
    batch_size : int
        Samples per mini-batch, ``>= 1`` (``batch_size >= N`` is full-batch gradient descent).
    num_epochs : int
        Passes over the training set, ``>= 1``.
    rng : numpy.random.Generator
        Draws the shuffling of each epoch.
    X_val : ndarray, shape (N_val, ...), optional
        Validation inputs.
    y_val : ndarray, shape (N_val,), optional
        Validation labels (given together with ``X_val``).
    early_stopping : regularization.EarlyStopping, optional
        Needs validation data. It is reset, then after each epoch called as
        ``early_stopping.step(val_loss, params=model.params)``; when it returns True, training
        stops and ``model.params`` gets copies of the best parameters it remembered [G5].

    Returns
    -------
    History
        Per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` and ``stopped_epoch``.

    Notes
    -----
    The recorded training loss is the loss of the whole training set with the parameters at the
    end of the epoch (one extra forward pass per epoch), not the average of the mini-batch losses
    seen during the epoch, so that ``loss`` and ``val_loss`` describe the same parameters. The
    loop never prints.
    """
    _check_model(model)
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a .step(params, grads) method, got "
                        f"{type(optimizer).__name__}")
    X, y = _check_data("X", X, "y", y)
    batch_size = _check_int("batch_size", batch_size, low=1)
    num_epochs = _check_int("num_epochs", num_epochs, low=1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    has_val = X_val is not None or y_val is not None
    if has_val:
        X_val, y_val = _check_data("X_val", X_val, "y_val", y_val)
    if early_stopping is not None:
        if not has_val:
            raise ValueError("early_stopping needs validation data: pass X_val and y_val")
        if not callable(getattr(early_stopping, "step", None)):
            raise TypeError("early_stopping must be an EarlyStopping (with .step(val_loss))")
        early_stopping.reset()

    history = History()
    n = X.shape[0]
    for epoch in range(num_epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            _, grads = model.loss_and_grads(X[batch], y[batch])
            optimizer.step(model.params, grads)

        loss, accuracy = _evaluate(model, X, y)
        history.loss.append(loss)
        history.accuracy.append(accuracy)
        if has_val:
            val_loss, val_accuracy = _evaluate(model, X_val, y_val)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            if early_stopping is not None and early_stopping.step(val_loss, params=model.params):
                best_params = getattr(early_stopping, "best_params", None) or {}
                for name, best in best_params.items():
                    model.params[name] = best.copy()
                history.stopped_epoch = epoch
                break
    return history


# ----------------------------------------------------------------------------------------------
# Gradient descent on a function [D10] and the learning rate [F2]
# ----------------------------------------------------------------------------------------------
def gradient_descent(grad_fn, x0, lr, num_steps):
    """Run gradient descent [D10] ``x_{t+1} = x_t - lr * grad_fn(x_t)`` from ``x0``.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(x) -> ndarray`` of the shape of ``x``: the gradient of the function to minimise.
    x0 : float or ndarray, any shape
        The starting point.
    lr : float
        The learning rate, ``>= 0``.
    num_steps : int
        The number of steps, ``>= 0``.

    Returns
    -------
    trajectory : ndarray, shape (num_steps + 1, *x0.shape)
        ``trajectory[0] = x0`` and ``trajectory[t]`` the point after ``t`` steps.
    """
    if not callable(grad_fn):
        raise TypeError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    x = _as_float_array("x0", x0)
    _check_finite("x0", x)
    lr = _check_real("lr", lr, low=0.0)
    num_steps = _check_int("num_steps", num_steps, low=0)
    trajectory = np.empty((num_steps + 1,) + x.shape, dtype=x.dtype)
    trajectory[0] = x
    for t in range(num_steps):
        g = _as_float_array("grad_fn(x)", grad_fn(x.copy()))
        _check_same_shape("grad_fn(x)", g, "x0", x)
        x = sgd_update(x, g, lr)
        trajectory[t + 1] = x
    return trajectory


def learning_rate_sweep(lrs, *, num_steps=30, curvature=1.0, x0=1.0):
    """Gradient descent on the quadratic ``f(x) = curvature / 2 * x**2`` for several rates [F2].

    Shows the three regimes of the learning rate: with ``0 < lr < 1 / curvature`` the loss
    falls monotonically, slowly for a small ``lr`` (each step multiplies ``x`` by
    ``1 - lr * curvature``, close to 1); between ``1 / curvature`` and ``2 / curvature`` it
    overshoots and oscillates but converges; above ``2 / curvature`` it diverges.

    Parameters
    ----------
    lrs : sequence of float
        The learning rates to try, each ``>= 0``.
    num_steps : int, optional
        Steps of gradient descent per learning rate (30).
    curvature : float, optional
        The second derivative ``a > 0`` of the quadratic (1.0).
    x0 : float, optional
        The starting point (1.0).

    Returns
    -------
    losses : ndarray, shape (len(lrs), num_steps + 1)
        ``losses[i, t] = f(x_t)`` for the learning rate ``lrs[i]``; ``inf`` once a run diverged.

    Notes
    -----
    A diverging run grows geometrically and soon overflows float64 (for lr = 0.3 on a curvature
    of 100 from x0 = -2, its loss at step 105);
    once ``|x|`` exceeds 1e100 the run stops and the remaining losses are ``inf``, so that no
    overflow happens and a plot shows the divergence as a line leaving the axes.
    """
    lrs = np.asarray(lrs)
    if lrs.ndim != 1 or lrs.size == 0 or lrs.dtype.kind not in "biuf":
        raise ValueError(f"lrs must be a non-empty 1-D sequence of numbers, got {lrs!r}")
    num_steps = _check_int("num_steps", num_steps, low=0)
    curvature = _check_real("curvature", curvature)
    if curvature <= 0:
        raise ValueError(f"curvature must be > 0, got {curvature}")
    x0 = _check_real("x0", x0)
    losses = np.full((lrs.size, num_steps + 1), np.inf)
    for i, lr in enumerate(lrs):
        lr = _check_real(f"lrs[{i}]", float(lr), low=0.0)
        x = np.asarray(x0)
        losses[i, 0] = 0.5 * curvature * x0**2
        for t in range(num_steps):
            x = sgd_update(x, curvature * x, lr)
            if abs(float(x)) > 1e100:
                break
            losses[i, t + 1] = 0.5 * curvature * float(x) ** 2
    return losses
