"""Dense layers, a small multilayer perceptron and backpropagation through it [A1-A6], [D6-D9].

A dense (linear, fully connected) layer computes ``s_j = Σ_i w_ij x_i`` with ``x_0 = 1`` as the
bias input [A1]; a nonlinearity layer then applies ``x_j = φ(s_j)`` elementwise [A2]. The notes
use three words for the same thing, dense/linear/FC, and call the first and last layers the input
and output layers [A5]. This module holds

- ``affine_forward`` / ``affine_backward``: one dense layer and its gradients [A1];
- ``layer_shapes`` and ``parameter_count``: the shapes of the notes' feed-forward example [A3]
  and the ``d_out·d_in + d_out`` parameters per layer [A4];
- ``MLP``: dense layers with a hidden activation, trained through the *model protocol* below; its
  backward pass is the delta recursion of the notes written out [D6], [D8];
- ``delta_rule_update``: the delta rule ``Δw_ji = η δ_j y_i`` [D7];
- ``linear_regression_gd``: gradient descent on ``y = a x + a0`` [D9];
- ``xor_network`` and ``xor_single_layer``: hand-set weights that compute XOR [A6].

Contract
--------
Batch first: ``x (N, D)``, ``W (D, M)``, ``b (M,)``, ``out = x W + b`` of shape ``(N, M)``.
The notes write one example as a column, ``z = Wx + b`` with ``W (M, D)``; stacking ``N``
examples as rows and transposing gives ``zᵀ = xᵀ Wᵀ + bᵀ``, so this module's ``W`` is the notes'
``W`` transposed. Its entry ``W[i, j]`` is the notes' ``w_ij``, the weight from input ``i`` to unit
``j`` of ``s_j = Σ_i w_ij x_i``, and ``b`` plays the row ``i = 0`` that multiplies ``x_0 = 1``.

Model protocol (what a training loop may rely on): ``model.params`` is a ``dict[str, ndarray]``
with keys ``"W1", "b1", "W2", …``; ``model.loss_and_grads(X, y) -> (loss, grads)`` returns a dict
with the same keys and shapes; ``model.predict(X)`` returns ``(N,)`` integer labels (or values
for regression); ``model.scores(X)`` returns the output layer before any softmax. The model reads
``params`` on every call, so updating or replacing its arrays updates the model.

Nothing modifies its caller's arrays. Bad input raises ``TypeError`` or ``ValueError`` naming the
argument.
"""

import numbers

import numpy as np

from course_lib.activations import ACTIVATIONS, _as_float_array, sigmoid
from course_lib.init import INIT_SCHEMES, init_weight, normal_init
from course_lib.losses import mse_loss, softmax_cross_entropy

__all__ = [
    "affine_forward",
    "affine_backward",
    "layer_shapes",
    "parameter_count",
    "MLP",
    "LOSSES",
    "delta_rule_update",
    "linear_regression_gd",
    "xor_network",
    "two_layer_forward",
    "xor_features",
    "xor_single_layer",
    "neuron_forward",
]

LOSSES = ("cross_entropy", "mse")
"""The losses that ``MLP`` accepts: softmax cross-entropy on integer labels, or squared error."""


def _as_array(value, name, ndim, shape_text):
    """``value`` as a float array of rank ``ndim`` without NaN; ``shape_text`` names the shape."""
    arr = _as_float_array(value, name)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D with shape {shape_text}, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return arr


def _check_layer_sizes(layer_sizes):
    """Return ``layer_sizes`` as a list of ints >= 1 with at least two entries."""
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise TypeError(
            f"layer_sizes must be a sequence of ints, got {type(layer_sizes).__name__}"
        ) from None
    if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in sizes):
        raise TypeError(f"layer_sizes must hold ints, got {layer_sizes!r}")
    if len(sizes) < 2 or any(d < 1 for d in sizes):
        raise ValueError(
            "layer_sizes must list at least an input and an output size, each >= 1, "
            f"got {layer_sizes!r}"
        )
    return [int(d) for d in sizes]


# ---- one dense layer [A1] --------------------------------------------------------------------


def affine_forward(x, W, b):
    """Dense layer ``out = x W + b``, the batch-first form of the notes' ``z = Wx + b`` [A1].

    Parameters
    ----------
    x : ndarray, shape (N, D)
        A batch of ``N`` inputs with ``D`` features.
    W : ndarray, shape (D, M)
        Weights; ``W[i, j]`` is the notes' ``w_ij`` from input ``i`` to unit ``j``.
    b : ndarray, shape (M,)
        Biases.

    Returns
    -------
    out : ndarray, shape (N, M)
        Pre-activations ``s``; row ``n`` is ``s_j = Σ_i w_ij x_i + b_j`` for example ``n``.
    cache : tuple
        ``(x, W, b)`` for ``affine_backward``.

    Raises
    ------
    ValueError
        If a rank is wrong or the shapes do not fit together.
    """
    x = _as_array(x, "x", 2, "(N, D)")
    W = _as_array(W, "W", 2, "(D, M)")
    b = _as_array(b, "b", 1, "(M,)")
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"x has {x.shape[1]} features but W expects D = {W.shape[0]} (W has shape {W.shape})"
        )
    if b.shape[0] != W.shape[1]:
        raise ValueError(
            f"b must have shape (M,) = ({W.shape[1]},) to match W {W.shape}, got {b.shape}"
        )
    # The notes' z = Wx + b for a column x, transposed and stacked over the batch: z = xW + b.
    out = x @ W + b
    return out, (x, W, b)


def affine_backward(dout, cache):
    """Gradients of a dense layer [A1], [D8].

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        ``∂L/∂out``, the gradient arriving from the layer above.
    cache : tuple
        ``(x, W, b)`` from ``affine_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
        ``dout Wᵀ``, passed on to the layer below.
    dW : ndarray, shape (D, M)
        ``xᵀ dout``: the notes' ``∂z_n/∂w_n = h_{n−1}`` [D8] times the upstream gradient, summed
        over the batch.
    db : ndarray, shape (M,)
        ``dout`` summed over the batch.

    Raises
    ------
    ValueError
        If ``dout`` does not have the shape of the forward's output.
    """
    x, W, b = cache
    dout = _as_array(dout, "dout", 2, "(N, M)")
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(
            f"dout must have the output's shape (N, M) = {(x.shape[0], W.shape[1])}, "
            f"got {dout.shape}"
        )
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db


# ---- shapes and parameter counts [A3], [A4] --------------------------------------------------


def layer_shapes(layer_sizes):
    """Shapes of the weights and biases of a stack of dense layers [A3].

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[D, M1, M2, …]``: the input size, then the units of each layer.

    Returns
    -------
    shapes : list of tuple
        ``(W_shape, b_shape)`` per layer, batch-first: ``((d_in, d_out), (d_out,))``.

    Notes
    -----
    The notes' example maps a 5-vector to 3 outputs, ``z = Wx + b`` with shapes
    ``(3×1) = (3×5)(5×1) + (3×1)``. Here ``layer_shapes([5, 3])`` gives ``[((5, 3), (3,))]``: the
    same weight transposed, and ``x (N, 5) @ W (5, 3) + b (3,) -> (N, 3)``.
    """
    sizes = _check_layer_sizes(layer_sizes)
    return [((d_in, d_out), (d_out,)) for d_in, d_out in zip(sizes[:-1], sizes[1:])]


def parameter_count(layer_sizes):
    """Number of weights and biases of a stack of dense layers, ``Σ (d_out·d_in + d_out)`` [A4].

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[D, M1, M2, …]``, e.g. ``[5, 10, 20, 3]``.

    Returns
    -------
    count : int
        For ``[5, 10, 20, 3]``: ``60 + 220 + 63 = 343``.
    """
    return sum(w[0] * w[1] + b[0] for w, b in layer_shapes(layer_sizes))


# ---- the multilayer perceptron [A2], [D6], [D8] ----------------------------------------------


class MLP:
    """A multilayer perceptron: dense layers, a hidden activation, a linear output layer.

    ``s¹ = x W1 + b1, x¹ = φ(s¹), s² = x¹ W2 + b2, …`` [A1], [A2], [A3]; the last layer's ``s``
    are the scores. Classification puts softmax cross-entropy on the scores (integer labels),
    regression the mean squared error. Follows the model protocol of the module docstring.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[D, M1, …, K]``: input size, hidden sizes, output size.
    activation : str
        The hidden activation, a key of ``course_lib.activations.ACTIVATIONS`` (``"relu"``,
        ``"sigmoid"``, ``"tanh"``, …).
    rng : numpy.random.Generator
        Draws the initial weights.
    init : {"he", "xavier", "normal"}, optional
        Weight initialization (``course_lib.init``); the biases start at 0, except for
        ``"normal"``, which draws them from ``N(0, 1)`` too, as the notes do [E6].
    loss : {"cross_entropy", "mse"}, optional
        ``"cross_entropy"``: ``y`` holds integer labels ``(N,)`` in ``0..K-1``. ``"mse"``: ``y``
        holds targets ``(N, K)``, or ``(N,)`` when ``K = 1``.

    Attributes
    ----------
    params : dict of str to ndarray
        ``"W1" (D, M1)``, ``"b1" (M1,)``, …, ``"WL" (M_{L-1}, K)``, ``"bL" (K,)``.
    layer_sizes : list of int
    activation, init, loss : str
    """

    def __init__(self, layer_sizes, activation, rng, init="he", loss="cross_entropy"):
        sizes = _check_layer_sizes(layer_sizes)
        if not isinstance(activation, str) or activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if not isinstance(init, str) or init not in INIT_SCHEMES:
            raise ValueError(f"init must be one of {INIT_SCHEMES}, got {init!r}")
        if not isinstance(loss, str) or loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.layer_sizes = sizes
        self.activation = activation
        self.init = init
        self.loss = loss
        self.params = {}
        for l, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{l}"] = init_weight(init, d_in, d_out, rng)
            self.params[f"b{l}"] = (
                normal_init((d_out,), rng) if init == "normal" else np.zeros(d_out)
            )

    @property
    def num_layers(self):
        """The number of dense layers ``L`` (hidden layers plus the output layer)."""
        return len(self.layer_sizes) - 1

    def _check_X(self, X):
        X = _as_array(X, "X", 2, f"(N, {self.layer_sizes[0]})")
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have D = {self.layer_sizes[0]} columns, got shape {X.shape}")
        return X

    def _forward(self, X):
        """Scores, with the input ``x`` of every layer and the hidden pre-activations ``s``."""
        phi, _ = ACTIVATIONS[self.activation]
        L = self.num_layers
        inputs = [X]  # inputs[l-1] is the input of layer l: x⁰ = X, x¹ = φ(s¹), …
        pre_activations = []  # pre_activations[l-1] is s^l of hidden layer l
        h = X
        for l in range(1, L + 1):
            s = h @ self.params[f"W{l}"] + self.params[f"b{l}"]  # [A1], batch-first
            if l == L:
                return s, inputs, pre_activations  # the output layer is linear: scores
            pre_activations.append(s)
            h = phi(s)  # [A2]
            inputs.append(h)

    def scores(self, X):
        """The output layer's values, before any softmax.

        Parameters
        ----------
        X : ndarray, shape (N, D)

        Returns
        -------
        scores : ndarray, shape (N, K)
        """
        return self._forward(self._check_X(X))[0]

    def predict(self, X):
        """Predicted labels (classification) or values (regression).

        Parameters
        ----------
        X : ndarray, shape (N, D)

        Returns
        -------
        y_hat : ndarray, shape (N,)
            The class with the largest score; for ``loss="mse"`` the output itself, ``(N,)`` when
            ``K = 1`` and ``(N, K)`` otherwise.
        """
        scores = self.scores(X)
        if self.loss == "cross_entropy":
            return np.argmax(scores, axis=1)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def loss_and_grads(self, X, y):
        """The loss on a batch and its gradient for every parameter, by backpropagation [D6], [D8].

        Parameters
        ----------
        X : ndarray, shape (N, D)
            Inputs.
        y : ndarray, shape (N,) or (N, K)
            Integer labels for ``"cross_entropy"``; targets for ``"mse"``.

        Returns
        -------
        loss : float
            Mean over the batch.
        grads : dict of str to ndarray
            ``∂loss/∂param`` with the keys and shapes of ``params``.

        Notes
        -----
        The backward pass is the recursion of the notes [D6], layer by layer from the top, with
        ``delta`` the gradient of the loss with respect to a layer's pre-activations ``s``:

        - ``delta = dout * φ'(s)``: the local gradient of the activation (``φ' = 1`` for the
          linear output layer, so there ``delta = dout = ∂L/∂scores``);
        - ``dW = xᵀ delta`` and ``db = Σ_n delta``: the layer's input times its delta, the
          ``∂z_n/∂w_n = h_{n−1}`` of [D8];
        - ``dout = delta Wᵀ`` for the layer below: ``Σ_k δ_k w_jk`` of [D6].

        Per example this is ``δ_j = φ'(s_j) Σ_k δ_k w_jk`` [D6]; the matrix products do it for
        all units and the whole batch at once.
        """
        X = self._check_X(X)
        scores, inputs, pre_activations = self._forward(X)
        loss, dout = self._loss(scores, y)
        _, phi_grad = ACTIVATIONS[self.activation]
        grads = {}
        delta = dout  # output layer: linear, φ'(s) = 1
        for l in range(self.num_layers, 0, -1):
            grads[f"W{l}"] = inputs[l - 1].T @ delta  # dW = xᵀ delta
            grads[f"b{l}"] = delta.sum(axis=0)  # db = Σ_n delta
            if l > 1:
                dout = delta @ self.params[f"W{l}"].T  # dout = delta Wᵀ
                delta = dout * phi_grad(pre_activations[l - 2])  # delta = dout * φ'(s) [D6]
        return loss, {key: grads[key] for key in self.params}

    def _loss(self, scores, y):
        """``(loss, ∂loss/∂scores)`` for the model's loss, after checking ``y``."""
        n, k = scores.shape
        if self.loss == "cross_entropy":
            y = np.asarray(y)
            if y.shape != (n,):
                raise ValueError(
                    f"y must hold N = {n} integer labels, shape ({n},), got shape {y.shape}"
                )
            return softmax_cross_entropy(scores, y)
        y = _as_float_array(y, "y")
        if k == 1 and y.shape == (n,):
            y = y[:, None]
        if y.shape != (n, k):
            raise ValueError(
                f"y must have shape ({n}, {k})"
                + (f" or ({n},)" if k == 1 else "")
                + f", got {y.shape}"
            )
        return mse_loss(scores, y)


# ---- the delta rule [D7] ---------------------------------------------------------------------


def delta_rule_update(W, delta, y, eta):
    """One step of the delta rule ``W(t+1) = W(t) + ΔW``, ``Δw_ji = η δ_j y_i`` [D7].

    Parameters
    ----------
    W : ndarray, shape (D, M)
        Weights, batch-first: ``W[i, j]`` is the notes' ``w_ji`` from input ``i`` to unit ``j``.
    delta : ndarray, shape (M,) or (N, M)
        Local gradients ``δ_j`` of the units, e.g. ``δ_j = e_j φ'(v_j)`` at an output unit,
        with the error ``e_j = d_j − o_j`` (target minus the unit's output ``o_j = φ(v_j)``) [D6].
    y : ndarray, shape (D,) or (N, D)
        The input signals ``y_i`` of the layer; the same rank as ``delta``.
    eta : float
        The learning rate ``η > 0``.

    Returns
    -------
    W_new : ndarray, shape (D, M)
        ``W + η yᵀ δ`` (an outer product for one example, summed over a batch). A new array.

    Notes
    -----
    With ``e = d − o`` the error and ``L = ½ Σ e²``, ``δ_j = e_j φ'(v_j) = −∂L/∂v_j``, so adding
    ``η δ_j y_i`` is a gradient-descent step. 001 writes the derivative as ``δ'``; it is ``φ'``.
    """
    W = _as_array(W, "W", 2, "(D, M)")
    delta = _as_float_array(delta, "delta")
    y = _as_float_array(y, "y")
    if delta.ndim not in (1, 2) or y.ndim != delta.ndim:
        raise ValueError(
            "delta and y must both be 1-D (one example) or both 2-D (a batch), "
            f"got shapes {delta.shape} and {y.shape}"
        )
    if delta.ndim == 1:
        delta, y = delta[None, :], y[None, :]
    if y.shape[0] != delta.shape[0] or y.shape[1] != W.shape[0] or delta.shape[1] != W.shape[1]:
        raise ValueError(
            f"y {y.shape} and delta {delta.shape} do not fit W {W.shape}: "
            f"need y (N, {W.shape[0]}) and delta (N, {W.shape[1]}) with the same N"
        )
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real) or not eta > 0:
        raise ValueError(f"eta must be a positive number, got {eta!r}")
    return W + eta * (y.T @ delta)


# ---- linear regression by gradient descent [D9] ----------------------------------------------


def linear_regression_gd(x, y, lr, num_steps, a=0.0, a0=0.0):
    """Fit ``ŷ = a x + a0`` to data by gradient descent on the squared error [D9].

    Parameters
    ----------
    x, y : ndarray, shape (N,)
        Inputs and targets.
    lr : float
        The step size (the notes' ``λ``), ``> 0``.
    num_steps : int
        Number of updates, ``>= 0``.
    a, a0 : float, optional
        Initial slope and intercept, default 0.

    Returns
    -------
    history : ndarray, shape (num_steps + 1, 3)
        Row ``t`` holds ``(a, a0, L)`` after ``t`` steps, with ``L = mean((y − ŷ)²)`` at those
        parameters; row 0 is the start.

    Notes
    -----
    ``∂L/∂a = −2 mean((y − ŷ) x)`` and ``∂L/∂a0 = −2 mean(y − ŷ)``; each step is
    ``a ← a − lr ∂L/∂a``, ``a0 ← a0 − lr ∂L/∂a0`` (both from the same old values). The notes write
    the model as ``y = a x + a_1`` and update ``a'_0 = a_0 − λ ∂L/∂a_0``. A learning rate that is
    too large makes the parameters grow without bound (overflow to ``inf`` is allowed silently,
    so that the divergence can be plotted).
    """
    x = _as_array(x, "x", 1, "(N,)")
    y = _as_array(y, "y", 1, "(N,)")
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must have the same non-zero length, got {x.shape} and {y.shape}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 0:
        raise ValueError(f"num_steps must be an int >= 0, got {num_steps!r}")
    a, a0 = float(a), float(a0)
    history = np.empty((num_steps + 1, 3))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(num_steps + 1):
            residual = y - (a * x + a0)  # y − ŷ
            history[t] = a, a0, np.mean(residual**2)
            if t == num_steps:
                break
            grad_a = -2.0 * np.mean(residual * x)
            grad_a0 = -2.0 * np.mean(residual)
            a, a0 = a - lr * grad_a, a0 - lr * grad_a0
    return history


# ---- XOR [A6] --------------------------------------------------------------------------------


def xor_network():
    """Hand-set weights of a 2-layer sigmoid network that computes XOR from ``x1, x2`` [A6].

    Returns
    -------
    params : dict of str to ndarray
        ``"W1" (2, 2)``, ``"b1" (2,)``, ``"W2" (2, 1)``, ``"b2" (1,)`` for ``two_layer_forward``.

    Notes
    -----
    The hidden unit 1 computes OR (``σ(20 x1 + 20 x2 − 10)``), unit 2 computes AND
    (``σ(20 x1 + 20 x2 − 30)``): both are linearly separable, so one neuron each suffices. The
    output computes "OR and not AND", ``σ(20 h1 − 20 h2 − 10)``, which is XOR. The weights are
    large so that each sigmoid is within ``5e-5`` of 0 or 1 on binary inputs.
    """
    return {
        "W1": np.array([[20.0, 20.0], [20.0, 20.0]]),
        "b1": np.array([-10.0, -30.0]),
        "W2": np.array([[20.0], [-20.0]]),
        "b2": np.array([-10.0]),
    }


def two_layer_forward(X, params):
    """``σ(σ(X W1 + b1) W2 + b2)``: the probability of class 1 of a 2-layer sigmoid network.

    Parameters
    ----------
    X : ndarray, shape (N, D)
    params : dict
        ``"W1" (D, H)``, ``"b1" (H,)``, ``"W2" (H, 1)``, ``"b2" (1,)``, e.g. ``xor_network()``.

    Returns
    -------
    p : ndarray, shape (N,)
    """
    hidden, _ = affine_forward(X, params["W1"], params["b1"])
    out, _ = affine_forward(sigmoid(hidden), params["W2"], params["b2"])
    return sigmoid(out)[:, 0]


def xor_features(X):
    """The inputs with the extra feature ``x1·x2``: ``[x1, x2, x1·x2]`` [A6].

    Parameters
    ----------
    X : ndarray, shape (N, 2)

    Returns
    -------
    features : ndarray, shape (N, 3)
    """
    X = _as_array(X, "X", 2, "(N, 2)")
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns (x1, x2), got shape {X.shape}")
    return np.column_stack([X, X[:, 0] * X[:, 1]])


def xor_single_layer():
    """Weights of one sigmoid neuron that computes XOR from ``xor_features`` [A6].

    Returns
    -------
    w : ndarray, shape (3,)
        Weights of ``x1, x2, x1·x2``: ``(20, 20, −40)``.
    b : float
        ``−10``: the neuron is ``σ(20 x1 + 20 x2 − 40 x1 x2 − 10)``.

    Notes
    -----
    On ``x1, x2`` alone no single neuron computes XOR: the classes are not linearly separable.
    The product feature makes them separable: the pre-activation is −10, 10, 10, −10 on
    ``(0,0), (0,1), (1,0), (1,1)``.
    """
    return np.array([20.0, 20.0, -40.0]), -10.0


def neuron_forward(X, w, b):
    """One sigmoid neuron ``σ(X w + b)``: logistic regression P(y|x) = σ(w·x + b) [A7].

    Parameters
    ----------
    X : ndarray, shape (N, D)
    w : ndarray, shape (D,)
    b : float

    Returns
    -------
    p : ndarray, shape (N,)
    """
    w = _as_array(w, "w", 1, "(D,)")
    b = _as_array(b, "b", 0, "() (one number)")
    out, _ = affine_forward(X, w[:, None], b[None])
    return sigmoid(out)[:, 0]
