"""Recurrent networks: vanilla RNN, backpropagation through time, LSTM, bidirectional RNN.

Formulas covered (see ``FORMULAS.md``):

- [I1] vanilla RNN ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)``:
  :func:`rnn_step_forward`, :func:`rnn_forward`.
- [I2] backpropagation through time (BPTT): :func:`rnn_step_backward`, :func:`rnn_backward`,
  :func:`lstm_backward`.
- [I3] vanishing and exploding gradients through time, gradient clipping:
  :func:`bptt_gradient_norms`, :func:`clip_gradients`.
- [I4] LSTM, its gates, its cell state and why the cell keeps gradients alive:
  :func:`lstm_step_forward`, :func:`lstm_step_backward`, :func:`lstm_forward`,
  :func:`lstm_backward`.
- [I5] bidirectional RNN: :func:`birnn_forward`, :func:`birnn_backward`.

:class:`SequenceClassifier` puts a recurrent layer, an affine read-out of the last hidden state and
softmax cross-entropy together.

Contract
--------
Batch first: a sequence is ``x (N, T, D)``, a hidden state ``h (N, H)``, all hidden states
``h (N, T, H)``. The weights act on row vectors from the right, as a dense layer does in this
package: ``x_t Wx`` with ``Wx (D, H)``. The notes write column vectors and ``W_x x_t`` with an
``(H, D)`` matrix, so ``Wx`` here is the transpose of the notes' ``W_x`` (and of PyTorch's
``weight_ih``); ``Wh`` is the transpose of the notes' ``W_h`` (PyTorch's ``weight_hh``).

The LSTM packs its four gates side by side in the order ``i, f, g, o`` (input, forget, cell
candidate, output) as PyTorch does: ``Wx (D, 4H)``, ``Wh (H, 4H)``, ``b (4H,)``. PyTorch keeps two
biases, ``bias_ih + bias_hh``; their sum is ``b``. The initial cell state of
:func:`lstm_forward` is zero.

``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache) -> grads`` with the gradients in
the order of the forward's array inputs. The upstream gradient ``dh (N, T, H)`` of the sequence
functions holds the loss gradient with respect to every step's hidden state (a loss that reads
only the last step has zeros elsewhere). Functions never modify their arguments. Bad input raises
``ValueError`` or ``TypeError`` naming the argument.
"""

import numbers

import numpy as np

from course_lib.layers import affine_backward, affine_forward
from course_lib.losses import softmax_cross_entropy

__all__ = [
    "rnn_step_forward",
    "rnn_step_backward",
    "rnn_forward",
    "rnn_backward",
    "lstm_step_forward",
    "lstm_step_backward",
    "lstm_forward",
    "lstm_backward",
    "bptt_gradient_norms",
    "clip_gradients",
    "birnn_forward",
    "birnn_backward",
    "SequenceClassifier",
]


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------

def _as_real_array(a, name):
    """Return ``a`` as a floating-point ndarray; integers become float64, floats are not copied."""
    arr = np.asarray(a)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "iu":
        return arr.astype(np.float64)
    raise TypeError(f"{name}: expected a real-valued numeric array, got dtype {arr.dtype}")


def _check_shape(arr, expected, name, letters, context=""):
    """Raise ValueError unless ``arr.shape`` equals ``expected`` (``None`` matches any size)."""
    if arr.ndim != len(expected):
        raise ValueError(
            f"{name}: expected a {len(expected)}-d array of shape ({letters}), "
            f"got a {arr.ndim}-d array of shape {arr.shape}"
        )
    for size, want in zip(arr.shape, expected):
        if want is not None and size != want:
            dims = [letter.strip() for letter in letters.split(",") if letter.strip()]
            want = ", ".join(d if w is None else str(w) for d, w in zip(dims, expected))
            want = f"({want},)" if len(expected) == 1 else f"({want})"
            raise ValueError(
                f"{name}: expected shape ({letters}) = {want}{context}, got {arr.shape}"
            )


def _check_weights(x, h_prev, Wx, Wh, b, gates, x_letters):
    """Check the arrays of an RNN (``gates=1``) or LSTM (``gates=4``) layer and return them.

    ``H`` is read from the hidden state, ``D`` from ``x``; the weights must agree with both.
    """
    h_name = "h_prev" if x_letters == "N, D" else "h0"
    x = _as_real_array(x, "x")
    h_prev = _as_real_array(h_prev, h_name)
    Wx = _as_real_array(Wx, "Wx")
    Wh = _as_real_array(Wh, "Wh")
    b = _as_real_array(b, "b")
    _check_shape(x, (None,) * len(x_letters.split(",")), "x", x_letters)
    if x_letters == "N, T, D" and x.shape[1] == 0:
        raise ValueError("x: expected at least one time step, got T = 0")
    _check_shape(h_prev, (None, None), h_name, "N, H")
    N, H = h_prev.shape
    D = x.shape[-1]
    if x.shape[0] != N:
        raise ValueError(
            f"{h_name}: expected {x.shape[0]} rows to match the batch size N of x, "
            f"got shape {h_prev.shape}"
        )
    G = "" if gates == 1 else str(gates)
    _check_shape(Wh, (H, gates * H), "Wh", f"H, {G}H", f" with H = {H} from {h_name}")
    _check_shape(Wx, (D, gates * H), "Wx", f"D, {G}H",
                 f" with D = {D} from x and H = {H} from {h_name}")
    _check_shape(b, (gates * H,), "b", f"{G}H,", f" with H = {H} from {h_name}")
    return x, h_prev, Wx, Wh, b


def _check_upstream(d, shape, name):
    """Return the upstream gradient ``d`` as an array, checking it has the forward's shape."""
    d = _as_real_array(d, name)
    if d.shape != tuple(shape):
        raise ValueError(
            f"{name}: expected the shape of the forward output {tuple(shape)}, got {d.shape}"
        )
    return d


def _sigmoid(z):
    """Logistic function, computed as ``(1 + tanh(z/2)) / 2`` (no overflow for any ``z``)."""
    return 0.5 * np.tanh(0.5 * z) + 0.5


# --------------------------------------------------------------------------------------------
# [I1], [I2] vanilla RNN
# --------------------------------------------------------------------------------------------

def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step of a vanilla RNN [I1]: ``h = tanh(x Wx + h_prev Wh + b)``.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Inputs of this time step.
    h_prev : ndarray, shape (N, H)
        Hidden state of the previous step.
    Wx : ndarray, shape (D, H)
        Input-to-hidden weights (the transpose of the notes' ``W_x``).
    Wh : ndarray, shape (H, H)
        Hidden-to-hidden weights (the transpose of the notes' ``W_h``).
    b : ndarray, shape (H,)
        Bias.

    Returns
    -------
    h : ndarray, shape (N, H)
        The new hidden state.
    cache : tuple
        What :func:`rnn_step_backward` needs.

    Notes
    -----
    The notes write one example as a column vector: ``h_t = tanh(W_x x_t + W_h h_{t-1} + b)``.
    Stacking the examples of a batch as rows and transposing gives ``x_t W_x^T + h_{t-1} W_h^T
    + b``; ``Wx`` and ``Wh`` here are those transposes.
    """
    x, h_prev, Wx, Wh, b = _check_weights(x, h_prev, Wx, Wh, b, 1, "N, D")
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of :func:`rnn_step_forward` [I2].

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        Loss gradient with respect to the step's output ``h``.
    cache : tuple
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)

    Notes
    -----
    With ``a = x Wx + h_prev Wh + b`` and ``h = tanh(a)``, ``da = dh * (1 - h**2)`` (the derivative
    of tanh written through its output), and every other gradient is the one of an affine map.
    """
    x, h_prev, Wx, Wh, h = cache
    dh = _check_upstream(dh, h.shape, "dh")
    da = dh * (1.0 - h * h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence [I1].

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        Input sequences.
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        The hidden state after every step; ``h[:, t]`` is ``h_{t+1}`` in the notes' numbering,
        which starts the states at ``h_0 = h0``.
    cache : tuple
        What :func:`rnn_backward` needs.

    Notes
    -----
    The same weights are used at every step (weight sharing through time). ``x @ Wx + b`` does not
    depend on the hidden state, so it is computed for all steps with one matrix product before the
    loop; only ``h_prev @ Wh`` must wait for the previous step.
    """
    x, h0, Wx, Wh, b = _check_weights(x, h0, Wx, Wh, b, 1, "N, T, D")
    T = x.shape[1]
    xw = x @ Wx + b                                  # (N, T, H): the input part of every step
    h = np.empty(xw.shape, dtype=np.result_type(xw, h0, Wh))
    h_prev = h0
    for t in range(T):
        # [I1] h_t = tanh(W_x x_t + W_h h_{t-1} + b), with batch rows: x_t Wx + h_{t-1} Wh + b
        h_prev = np.tanh(xw[:, t] + h_prev @ Wh)
        h[:, t] = h_prev
    return h, (x, h0, Wx, Wh, h.copy())


def rnn_backward(dh, cache):
    """Backpropagation through time for :func:`rnn_forward` [I2].

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient with respect to every step's hidden state ``h[:, t]``.
    cache : tuple
        From :func:`rnn_forward`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)

    Notes
    -----
    The hidden state ``h_t`` influences the loss twice: directly (``dh[:, t]``) and through
    ``h_{t+1}``. Walking backwards in time, the gradient that reaches step ``t`` is therefore
    ``dh[:, t] + (gradient sent back from step t+1)``. The weights are shared by all steps, so
    their gradients are sums over time of each step's contribution.
    """
    x, h0, Wx, Wh, h = cache
    dh = _check_upstream(dh, h.shape, "dh")
    N, T, H = h.shape
    dx = np.empty(x.shape, dtype=np.result_type(dh, Wx))
    dWx = np.zeros_like(Wx, dtype=dx.dtype)
    dWh = np.zeros_like(Wh, dtype=dx.dtype)
    db = np.zeros(H, dtype=dx.dtype)
    dh_next = np.zeros((N, H), dtype=dx.dtype)       # gradient arriving from step t+1
    for t in reversed(range(T)):
        h_t = h[:, t]
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] + dh_next                    # direct gradient + gradient through h_{t+1}
        da = dh_t * (1.0 - h_t * h_t)                # back through tanh: tanh'(a) = 1 - h_t^2
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da                        # shared weights: sum over time
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T                          # what step t sends back to h_{t-1}
    return dx, dh_next, dWx, dWh, db


# --------------------------------------------------------------------------------------------
# [I4] LSTM
# --------------------------------------------------------------------------------------------

def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step [I4], gates in PyTorch's order ``i, f, g, o``.

    ``a = x Wx + h_prev Wh + b`` is split into four blocks of ``H`` columns:

    - input gate ``i = sigmoid(a_i)``, forget gate ``f = sigmoid(a_f)``,
    - cell candidate ``g = tanh(a_g)``, output gate ``o = sigmoid(a_o)``,
    - ``c = f * c_prev + i * g`` and ``h = o * tanh(c)``.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
    c_prev : ndarray, shape (N, H)
        Previous cell state.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    h : ndarray, shape (N, H)
    c : ndarray, shape (N, H)
    cache : tuple
        What :func:`lstm_step_backward` needs.

    Notes
    -----
    Why the cell keeps gradients alive: the cell state is updated *additively*,
    ``c_t = f_t * c_{t-1} + i_t * g_t``, so ``dc_t/dc_{t-1} = diag(f_t)``: no weight matrix and no
    squashing derivative on this path. Over ``k`` steps the gradient is multiplied by the product of
    the forget gates, which stays close to 1 while the gates are open (``f ~ 1``). In a vanilla RNN
    the same path multiplies ``k`` factors ``diag(1 - h^2) Wh^T``, which shrinks or grows
    geometrically [I3].

    The sigmoid is computed as ``(1 + tanh(z/2)) / 2``, which equals ``1 / (1 + exp(-z))`` and never
    overflows.
    """
    x, h_prev, Wx, Wh, b = _check_weights(x, h_prev, Wx, Wh, b, 4, "N, D")
    c_prev = _as_real_array(c_prev, "c_prev")
    _check_shape(c_prev, h_prev.shape, "c_prev", "N, H", " as h_prev")
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b                     # (N, 4H): all four gates with one product
    i = _sigmoid(a[:, :H])
    f = _sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = _sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g                           # additive cell update: the gradient highway
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)


def lstm_step_backward(dh, dc, cache):
    """Backward pass of :func:`lstm_step_forward` [I4].

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        Loss gradient with respect to the step's ``h``.
    dc : ndarray, shape (N, H)
        Loss gradient with respect to the step's ``c`` arriving from later steps (zeros at the
        last step).
    cache : tuple
        From :func:`lstm_step_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dc_prev : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)

    Notes
    -----
    ``c`` reaches the loss through ``h = o * tanh(c)`` and through the next step, so its total
    gradient is ``dc + dh * o * (1 - tanh(c)^2)``. The derivatives of the gates use their outputs:
    ``sigmoid' = s (1 - s)`` and ``tanh' = 1 - g^2``. ``dc_prev = dc_total * f``: the additive
    path.
    """
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dh = _check_upstream(dh, i.shape, "dh")
    dc = _check_upstream(dc, i.shape, "dc")
    dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)
    da = np.concatenate(
        [
            dc_total * g * i * (1.0 - i),            # input gate
            dc_total * c_prev * f * (1.0 - f),       # forget gate
            dc_total * i * (1.0 - g * g),            # cell candidate
            dh * tanh_c * o * (1.0 - o),             # output gate
        ],
        axis=1,
    )
    return da @ Wx.T, da @ Wh.T, dc_total * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM over a whole sequence [I4], starting from ``h0`` and a zero cell state.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)
        Gates in the order ``i, f, g, o`` (see :func:`lstm_step_forward`).

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after every step.
    cache : tuple
        What :func:`lstm_backward` needs.

    Notes
    -----
    Each step is the computation of :func:`lstm_step_forward`, arranged for speed:

    - ``x @ Wx + b`` is computed for all ``T`` steps with one matrix product before the loop, so a
      step costs one ``(N, H) @ (H, 4H)`` product for all four gates and the whole batch;
    - the states are kept time-major, ``(T, N, ...)``, so that each step reads and writes
      contiguous memory;
    - all four gate nonlinearities are one ``tanh`` call: ``sigmoid(z) = (1 + tanh(z/2)) / 2``, so
      the columns of ``i, f, o`` are scaled by 1/2 before ``tanh`` (the scale is folded into the
      weights once) and mapped ``t -> t/2 + 1/2`` after it; the ``g`` columns are left as they are.
    """
    x, h0, Wx, Wh, b = _check_weights(x, h0, Wx, Wh, b, 4, "N, T, D")
    N, T, D = x.shape
    H = h0.shape[1]
    dtype = np.result_type(x, h0, Wx, Wh, b)
    # Per gate column (i, f, g, o): gate = tanh(scale * a) * scale + shift, which is
    # sigmoid(a) = tanh(a/2)/2 + 1/2 for i, f, o and tanh(a) for g.
    scale = np.array([0.5, 0.5, 1.0, 0.5], dtype=dtype).repeat(H)
    shift = np.array([0.5, 0.5, 0.0, 0.5], dtype=dtype).repeat(H)
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2))                    # (T, N, D)
    a_in = (x_tm.reshape(T * N, D) @ (Wx * scale) + b * scale).reshape(T, N, 4 * H)
    Wh_scaled = Wh * scale
    hs = np.empty((T + 1, N, H), dtype=dtype)        # hs[t] = h_t, hs[0] = h0
    cs = np.empty((T + 1, N, H), dtype=dtype)        # cs[t] = c_t, cs[0] = c0 = 0
    gates = np.empty((T, N, 4 * H), dtype=dtype)     # i, f, g, o of every step
    tanh_c = np.empty((T, N, H), dtype=dtype)
    hs[0] = h0
    cs[0] = 0.0
    for t in range(T):
        z = gates[t]
        np.matmul(hs[t], Wh_scaled, out=z)           # one product for all gates and the batch
        z += a_in[t]
        np.tanh(z, out=z)
        z *= scale                                   # i, f, o: sigmoid = tanh/2 + 1/2; g: tanh
        z += shift
        i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c = cs[t + 1]
        np.multiply(f, cs[t], out=c)                 # c_t = f * c_{t-1} + i * g
        c += i * g
        np.tanh(c, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=hs[t + 1])     # h_t = o * tanh(c_t)
    h = hs[1:].transpose(1, 0, 2).copy()             # a copy: the caller may modify h
    return h, (x_tm, Wx, Wh, hs, cs, gates, tanh_c)


def lstm_backward(dh, cache):
    """Backpropagation through time for :func:`lstm_forward` [I2], [I4].

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient with respect to every step's hidden state.
    cache : tuple
        From :func:`lstm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)

    Notes
    -----
    The loop walks backwards in time and carries two gradients, ``dh_next`` (to ``h_t`` from step
    ``t+1``) and ``dc_next`` (to ``c_t`` from step ``t+1``); each step is
    :func:`lstm_step_backward`, computed with in-place operations on the step's slices. Only what
    depends on the carried gradients is inside the loop: the gradients with respect to the
    pre-activations of every step are stored in ``da (T, N, 4H)``, and the sums over time
    ``dWx = sum_t x_t^T da_t``, ``dWh = sum_t h_{t-1}^T da_t``, ``db = sum_t sum_n da_t`` and the
    inputs' gradients ``dx_t = da_t Wx^T`` become one matrix product (or sum) each after the loop.
    """
    x_tm, Wx, Wh, hs, cs, gates, tanh_c = cache
    T, N, D = x_tm.shape
    H = hs.shape[2]
    dh = _check_upstream(dh, (N, T, H), "dh")
    dtype = np.result_type(dh, gates)
    dh_tm = dh.transpose(1, 0, 2)                    # (T, N, H) view: dh_tm[t] = dL/dh_t directly
    da = np.empty((T, N, 4 * H), dtype=dtype)        # dL/da_t of every step, a_t = pre-activations
    WhT = np.ascontiguousarray(Wh.T)
    dh_next = np.zeros((N, H), dtype=dtype)          # dL/dh_t arriving from step t+1
    dc_next = np.zeros((N, H), dtype=dtype)          # dL/dc_t arriving from step t+1
    local = np.empty((N, 4 * H), dtype=dtype)
    for t in reversed(range(T)):
        z = gates[t]
        i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        tc = tanh_c[t]
        dh_t = dh_tm[t] + dh_next                    # direct gradient + gradient through h_{t+1}
        # dc_t = dc_next + dh_t * o * (1 - tanh(c_t)^2): from h_t = o tanh(c_t), plus the cell path
        dc_t = tc * tc
        np.subtract(1.0, dc_t, out=dc_t)
        dc_t *= o
        dc_t *= dh_t
        dc_t += dc_next
        # Gradients with respect to the gate outputs, written into the four blocks of da_t.
        da_t = da[t]
        np.multiply(dc_t, g, out=da_t[:, :H])        # di = dc_t * g   (c_t = f c_{t-1} + i g)
        np.multiply(dc_t, cs[t], out=da_t[:, H:2 * H])  # df = dc_t * c_{t-1}
        np.multiply(dc_t, i, out=da_t[:, 2 * H:3 * H])  # dg = dc_t * i
        np.multiply(dh_t, tc, out=da_t[:, 3 * H:])   # do = dh_t * tanh(c_t)
        # Through the nonlinearities: sigmoid' = s (1 - s) for i, f, o and tanh' = 1 - g^2.
        np.subtract(1.0, z, out=local)
        local *= z
        np.multiply(g, g, out=local[:, 2 * H:3 * H])
        np.subtract(1.0, local[:, 2 * H:3 * H], out=local[:, 2 * H:3 * H])
        da_t *= local
        dh_next = da_t @ WhT                         # to h_{t-1}: one product for all four gates
        dc_next = dc_t * f                           # to c_{t-1}: dc_t/dc_{t-1} = f_t, additive
    da_flat = da.reshape(T * N, 4 * H)
    dx = (da_flat @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)
    dWx = x_tm.reshape(T * N, D).T @ da_flat
    dWh = hs[:-1].reshape(T * N, H).T @ da_flat
    db = da_flat.sum(axis=0)
    return np.ascontiguousarray(dx), dh_next, dWx, dWh, db


# --------------------------------------------------------------------------------------------
# [I3] vanishing and exploding gradients, clipping
# --------------------------------------------------------------------------------------------

def bptt_gradient_norms(x, h0, Wx, Wh, b, cell="rnn"):
    """How the gradient reaching ``h_0`` shrinks or grows with the distance in time [I3].

    For every ``k = 1, ..., T`` this backpropagates the loss ``L_k = sum(h_k)`` (the sum of the
    hidden state after ``k`` steps, over the batch and the units) down to the initial state and
    returns ``||dL_k / dh_0||``. By the chain rule that gradient is the product of ``k`` step
    Jacobians, so its norm shows vanishing (decay with ``k``) or exploding (growth) gradients.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
    Wx, Wh, b : ndarray
        Weights of the cell: shapes as in :func:`rnn_forward` (``cell="rnn"``) or
        :func:`lstm_forward` (``cell="lstm"``).
    cell : {"rnn", "lstm"}

    Returns
    -------
    norms : ndarray, shape (T,)
        ``norms[k - 1]`` is the Frobenius norm of ``dL_k / dh_0``, an ``(N, H)`` array.

    Notes
    -----
    For the vanilla RNN, ``dh_{t-1} = (dh_t * (1 - h_t^2)) Wh^T``. Near ``h = 0`` (small inputs)
    ``tanh' ~ 1`` and the gradient is multiplied by ``Wh^T`` at every step: it decays like
    ``rho^k`` when the spectral radius ``rho`` of ``Wh`` is below 1 and explodes when it is above
    1. Saturated units (``|h| ~ 1``) add factors near 0. For the LSTM the cell path multiplies by
    the forget gates instead (see :func:`lstm_step_forward`).
    """
    if cell == "rnn":
        forward, backward = rnn_forward, rnn_backward
    elif cell == "lstm":
        forward, backward = lstm_forward, lstm_backward
    else:
        raise ValueError(f"cell: expected 'rnn' or 'lstm', got {cell!r}")
    h, cache = forward(x, h0, Wx, Wh, b)
    T = h.shape[1]
    norms = np.empty(T)
    for k in range(1, T + 1):
        dh = np.zeros_like(h)
        dh[:, k - 1] = 1.0                           # L_k = sum(h_k)
        dh0 = backward(dh, cache)[1]
        norms[k - 1] = np.linalg.norm(dh0)
    return norms


def clip_gradients(grads, max_norm):
    """Scale gradients so that their global norm is at most ``max_norm`` [I3].

    Computes the norm of all gradients together, ``total = sqrt(sum over arrays of sum(g**2))``,
    and multiplies every array by ``min(1, max_norm / (total + 1e-6))``, as
    ``torch.nn.utils.clip_grad_norm_`` does. The direction of the whole gradient is kept.

    Parameters
    ----------
    grads : dict of str to ndarray, or list (or tuple) of ndarray
        The gradients, any shapes.
    max_norm : float
        Largest allowed global norm, ``>= 0``.

    Returns
    -------
    grads : same kind as the input
        New arrays (the caller's arrays are not modified), the same keys or order.

    Notes
    -----
    The sum of squares is taken after dividing by the largest absolute entry ``m`` and multiplied
    back, ``total = m * sqrt(sum((g/m)**2))``, so entries of 1e200 do not overflow when squared.
    The ``1e-6`` in the denominator is PyTorch's; it keeps the factor finite when all gradients
    are zero.
    """
    if isinstance(grads, dict):
        names = list(grads)
        arrays = [_as_real_array(grads[k], f"grads[{k!r}]") for k in names]
    elif isinstance(grads, (list, tuple)):
        arrays = [_as_real_array(g, f"grads[{j}]") for j, g in enumerate(grads)]
    else:
        raise TypeError(f"grads: expected a dict or a list of arrays, got {type(grads).__name__}")
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        raise TypeError(f"max_norm: expected a real number, got {type(max_norm).__name__}")
    if not (max_norm >= 0.0 and np.isfinite(max_norm)):
        raise ValueError(f"max_norm: expected a finite number >= 0, got {max_norm}")
    for j, g in enumerate(arrays):
        if not np.all(np.isfinite(g)):
            name = f"grads[{names[j]!r}]" if isinstance(grads, dict) else f"grads[{j}]"
            raise ValueError(f"{name}: gradients contain NaN or inf; their norm is undefined")
    largest = max((float(np.max(np.abs(g))) for g in arrays if g.size), default=0.0)
    if largest > 0.0:
        total = largest * np.sqrt(sum(float(np.sum((g / largest) ** 2)) for g in arrays))
    else:
        total = 0.0
    scale = min(1.0, max_norm / (total + 1e-6))
    clipped = [g * scale for g in arrays]
    if isinstance(grads, dict):
        return dict(zip(names, clipped))
    return tuple(clipped) if isinstance(grads, tuple) else clipped


# --------------------------------------------------------------------------------------------
# [I5] bidirectional RNN
# --------------------------------------------------------------------------------------------

def _check_params(params, name):
    """Return ``params`` as a tuple ``(Wx, Wh, b)``."""
    if not isinstance(params, (tuple, list)) or len(params) != 3:
        raise TypeError(f"{name}: expected a tuple (Wx, Wh, b) of three arrays")
    return tuple(params)


def birnn_forward(x, h0_fwd, h0_bwd, params_fwd, params_bwd):
    """A bidirectional vanilla RNN [I5], as ``torch.nn.RNN(bidirectional=True, batch_first=True)``.

    One RNN reads the sequence forwards (``t = 0, ..., T-1``), a second one with its own weights
    reads it backwards (``t = T-1, ..., 0``). At every step the two states are concatenated, so
    ``h[:, t]`` sees the whole sequence: the past through the forward half, the future through the
    backward half.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0_fwd : ndarray, shape (N, H)
        Initial state of the forward RNN (before step 0).
    h0_bwd : ndarray, shape (N, H)
        Initial state of the backward RNN (before step T-1).
    params_fwd, params_bwd : tuple of ndarray
        ``(Wx (D, H), Wh (H, H), b (H,))`` of each direction.

    Returns
    -------
    h : ndarray, shape (N, T, 2H)
        ``h[:, t, :H]`` is the forward state after reading ``x[:, :t+1]``; ``h[:, t, H:]`` is the
        backward state after reading ``x[:, t:]`` (from the end).
    cache : tuple
        What :func:`birnn_backward` needs.
    """
    params_fwd = _check_params(params_fwd, "params_fwd")
    params_bwd = _check_params(params_bwd, "params_bwd")
    x = _as_real_array(x, "x")
    _check_shape(x, (None, None, None), "x", "N, T, D")
    h0_fwd = _as_real_array(h0_fwd, "h0_fwd")
    h0_bwd = _as_real_array(h0_bwd, "h0_bwd")
    _check_shape(h0_fwd, (None, None), "h0_fwd", "N, H")
    _check_shape(h0_bwd, h0_fwd.shape, "h0_bwd", "N, H", " as h0_fwd")
    try:
        h_fwd, cache_fwd = rnn_forward(x, h0_fwd, *params_fwd)
    except ValueError as error:
        raise ValueError(f"params_fwd / h0_fwd: {error}") from None
    try:
        h_bwd_rev, cache_bwd = rnn_forward(x[:, ::-1], h0_bwd, *params_bwd)   # reads x reversed
    except ValueError as error:
        raise ValueError(f"params_bwd / h0_bwd: {error}") from None
    h = np.concatenate([h_fwd, h_bwd_rev[:, ::-1]], axis=2)              # re-align in time
    return h, (cache_fwd, cache_bwd, h0_fwd.shape[1])


def birnn_backward(dh, cache):
    """Backward pass of :func:`birnn_forward` [I5].

    Parameters
    ----------
    dh : ndarray, shape (N, T, 2H)
        Upstream gradient with respect to every step's concatenated state.
    cache : tuple
        From :func:`birnn_forward`.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
        Sum of the gradients through both directions.
    dh0_fwd : ndarray, shape (N, H)
    dh0_bwd : ndarray, shape (N, H)
    dparams_fwd, dparams_bwd : tuple of ndarray
        ``(dWx, dWh, db)`` of each direction.
    """
    cache_fwd, cache_bwd, H = cache
    N, T, D = cache_fwd[0].shape
    dh = _check_upstream(dh, (N, T, 2 * H), "dh")
    dx_f, dh0_f, *dparams_f = rnn_backward(dh[:, :, :H], cache_fwd)
    # The backward RNN saw time reversed: reverse its upstream gradient, and its dx back.
    dx_b, dh0_b, *dparams_b = rnn_backward(dh[:, ::-1, H:], cache_bwd)
    return dx_f + dx_b[:, ::-1], dh0_f, dh0_b, tuple(dparams_f), tuple(dparams_b)


# --------------------------------------------------------------------------------------------
# A sequence classifier
# --------------------------------------------------------------------------------------------

class SequenceClassifier:
    """Classify whole sequences from the last hidden state of an RNN or LSTM.

    ``h = rnn(X)`` (or ``lstm(X)``) from ``h_0 = 0``, ``logits = h[:, -1] W_out + b_out``
    (:func:`course_lib.layers.affine_forward`), and the loss is the mean softmax cross-entropy of
    the logits and the labels (:func:`course_lib.losses.softmax_cross_entropy`).

    Parameters
    ----------
    input_size : int
        D, the features per time step.
    hidden_size : int
        H, the hidden units.
    num_classes : int
        K, the classes.
    cell : {"rnn", "lstm"}
    rng : numpy.random.Generator
        Draws the initial weights.

    Attributes
    ----------
    params : dict of str to ndarray
        ``"Wx" (D, H)``, ``"Wh" (H, H)``, ``"b" (H,)`` (``4H`` columns for the LSTM, gates
        ``i, f, g, o``), ``"W_out" (H, K)``, ``"b_out" (K,)``. The methods read it at every call,
        so a training loop may update it in place or replace its arrays.

    Notes
    -----
    The weights are drawn as PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.Linear`` do, uniform in
    ``(-1/sqrt(H), 1/sqrt(H))``; the biases start at zero except the LSTM's forget-gate bias, which
    starts at 1. With ``f = sigmoid(1) ~ 0.73`` instead of ``sigmoid(0) = 0.5`` the cell keeps more
    of its state at the start of training, and the gradient along the cell path, a product of
    forget gates over time, decays much more slowly (``0.73^k`` instead of ``0.5^k``), so the
    network can learn long-range dependencies before it has learned to open the gate itself
    (Gers et al., 2000; Jozefowicz et al., 2015).
    """

    def __init__(self, input_size, hidden_size, num_classes, cell="rnn", rng=None):
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name}: expected a positive int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value}")
        if cell not in ("rnn", "lstm"):
            raise ValueError(f"cell: expected 'rnn' or 'lstm', got {cell!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        self.input_size = int(input_size)
        self.hidden_size = H = int(hidden_size)
        self.num_classes = int(num_classes)
        self.cell = cell
        gates = 4 if cell == "lstm" else 1
        bound = 1.0 / np.sqrt(H)
        b = np.zeros(gates * H)
        if cell == "lstm":
            b[H:2 * H] = 1.0                         # forget gate open at the start (see Notes)
        self.params = {
            "Wx": rng.uniform(-bound, bound, size=(self.input_size, gates * H)),
            "Wh": rng.uniform(-bound, bound, size=(H, gates * H)),
            "b": b,
            "W_out": rng.uniform(-bound, bound, size=(H, self.num_classes)),
            "b_out": np.zeros(self.num_classes),
        }

    def _check_X(self, X):
        X = _as_real_array(X, "X")
        _check_shape(X, (None, None, self.input_size), "X", "N, T, D",
                     f" with D = input_size = {self.input_size}")
        return X

    def _forward(self, X):
        p = self.params
        forward = lstm_forward if self.cell == "lstm" else rnn_forward
        h0 = np.zeros((X.shape[0], self.hidden_size))
        h, rnn_cache = forward(X, h0, p["Wx"], p["Wh"], p["b"])
        logits, affine_cache = affine_forward(h[:, -1], p["W_out"], p["b_out"])
        return logits, (h.shape, rnn_cache, affine_cache)

    def loss_and_grads(self, X, y):
        """Mean cross-entropy loss on a batch and its gradient for every parameter.

        Parameters
        ----------
        X : ndarray, shape (N, T, D)
        y : ndarray of int, shape (N,)
            Labels in ``0, ..., K-1``.

        Returns
        -------
        loss : float
        grads : dict of str to ndarray
            Same keys and shapes as :attr:`params`.
        """
        X = self._check_X(X)
        y = np.asarray(y)
        if y.dtype.kind not in "iu":
            raise TypeError(f"y: expected integer class labels, got dtype {y.dtype}")
        _check_shape(y, (X.shape[0],), "y", "N,", f" with N = {X.shape[0]} from X")
        if y.size and (y.min() < 0 or y.max() >= self.num_classes):
            raise ValueError(f"y: expected labels in 0..{self.num_classes - 1}, "
                             f"got values in {y.min()}..{y.max()}")
        logits, (h_shape, rnn_cache, affine_cache) = self._forward(X)
        loss, dlogits = softmax_cross_entropy(logits, y)
        dh_last, dW_out, db_out = affine_backward(dlogits, affine_cache)
        dh = np.zeros(h_shape)
        dh[:, -1] = dh_last                          # only the last state is read out
        backward = lstm_backward if self.cell == "lstm" else rnn_backward
        _, _, dWx, dWh, db = backward(dh, rnn_cache)
        grads = {"Wx": dWx, "Wh": dWh, "b": db, "W_out": dW_out, "b_out": db_out}
        return float(loss), grads

    def predict(self, X):
        """Predicted class of every sequence.

        Parameters
        ----------
        X : ndarray, shape (N, T, D)

        Returns
        -------
        labels : ndarray of int, shape (N,)
        """
        logits, _ = self._forward(self._check_X(X))
        return np.argmax(logits, axis=1)
