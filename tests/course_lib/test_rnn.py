"""Tests of course_lib.rnn [I1]-[I5].

Oracles: PyTorch on the CPU in float64 (``nn.RNNCell``, ``nn.RNN``, ``nn.LSTMCell``, ``nn.LSTM``,
``nn.RNN(bidirectional=True)``, ``nn.utils.clip_grad_norm_``; forward values and every gradient
through autograd), central finite differences, and values worked by hand.

PyTorch stores ``weight_ih (G*H, D)`` and ``weight_hh (G*H, H)``: the transposes of ``Wx`` and
``Wh``. It has two biases whose sum is ``b``; the tests split ``b`` into two random parts so that
a gradient with respect to one bias only is caught.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import rnn

TOL = 1e-10      # numpy vs PyTorch, float64
FD_TOL = 1e-6    # relative error of central differences


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def rel_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), elementwise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def assert_close(actual, expected, name, tol=TOL):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (
        f"{name}: shape {actual.shape}, expected {expected.shape}")
    err = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    assert err < tol, f"{name}: max |difference| {err:.3e} exceeds {tol:.0e}"


def central_difference(f, a, h=1e-5):
    """Gradient of the scalar ``f(a)`` by central differences (``a`` is not modified)."""
    a = np.array(a, dtype=float)
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        f_plus = f(a.copy())
        a[idx] = old - h
        f_minus = f(a.copy())
        a[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def check_with_finite_differences(loss, args, grads, names):
    """Compare each analytic gradient with central differences of ``loss(*args)``."""
    for k, (grad, name) in enumerate(zip(grads, names)):
        def loss_of_k(a, k=k):
            return loss(*args[:k], a, *args[k + 1:])
        numeric = central_difference(loss_of_k, args[k])
        err = rel_error(grad, numeric)
        assert err < FD_TOL, f"{name}: relative error {err:.2e} against finite differences"


def rnn_arrays(rng, N=3, T=4, D=5, H=6, gates=1, scale=0.5):
    x = rng.normal(size=(N, T, D))
    h0 = rng.normal(size=(N, H)) * 0.5
    Wx = rng.normal(size=(D, gates * H)) * scale
    Wh = rng.normal(size=(H, gates * H)) * scale
    b = rng.normal(size=gates * H) * scale
    return x, h0, Wx, Wh, b


def t(a, grad=True):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def load_torch_weights(module, Wx, Wh, b, rng, suffix=""):
    """Copy (Wx, Wh, b) into a torch RNN/LSTM module; b is split into bias_ih + bias_hh."""
    bias_hh = rng.normal(size=b.shape)
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(torch.tensor(Wx.T))
        getattr(module, "weight_hh" + suffix).copy_(torch.tensor(Wh.T))
        getattr(module, "bias_ih" + suffix).copy_(torch.tensor(b - bias_hh))
        getattr(module, "bias_hh" + suffix).copy_(torch.tensor(bias_hh))


def torch_grads(module, suffix=""):
    """(dWx, dWh, db) of a torch module in course_lib's layout."""
    gih = getattr(module, "bias_ih" + suffix).grad.numpy()
    ghh = getattr(module, "bias_hh" + suffix).grad.numpy()
    assert np.allclose(gih, ghh, rtol=0, atol=1e-12), "torch's two bias gradients should agree"
    return (getattr(module, "weight_ih" + suffix).grad.numpy().T,
            getattr(module, "weight_hh" + suffix).grad.numpy().T, gih)


# ---------------------------------------------------------------------------------------------
# [I1], [I2] vanilla RNN against PyTorch
# ---------------------------------------------------------------------------------------------

def test_rnn_step_matches_torch_rnncell(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    x = x[:, 0]
    N, H = h0.shape
    cell = torch.nn.RNNCell(x.shape[1], H, nonlinearity="tanh", dtype=torch.float64)
    load_torch_weights(cell, Wx, Wh, b, rng)
    xt, ht = t(x), t(h0)
    out_t = cell(xt, ht)
    dh = rng.normal(size=(N, H))
    out_t.backward(torch.tensor(dh))

    h, cache = rnn.rnn_step_forward(x, h0, Wx, Wh, b)
    assert_close(h, out_t.detach().numpy(), "rnn_step_forward h")
    dx, dh_prev, dWx, dWh, db = rnn.rnn_step_backward(dh, cache)
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh_prev, ht.grad.numpy(), "dh_prev")
    for ours, theirs, name in zip((dWx, dWh, db), torch_grads(cell), ("dWx", "dWh", "db")):
        assert_close(ours, theirs, name)


def test_rnn_step_is_the_notes_formula_with_transposed_weights(rng):
    """[I1]: h = tanh(W_x x + W_h h_prev + b) for column vectors, W_x = Wx.T, W_h = Wh.T."""
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=1)
    h, _ = rnn.rnn_step_forward(x[:, 0], h0, Wx, Wh, b)
    x_col, h_col = x[0, 0][:, None], h0[0][:, None]
    expected = np.tanh(Wx.T @ x_col + Wh.T @ h_col + b[:, None])
    assert_close(h[0], expected[:, 0], "notes' column form")


def test_rnn_sequence_matches_torch_rnn(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=3, T=5, D=4, H=6)
    N, T, D = x.shape
    H = h0.shape[1]
    net = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    load_torch_weights(net, Wx, Wh, b, rng, "_l0")
    xt, h0t = t(x), t(h0[None])
    out_t, _ = net(xt, h0t)
    dh = rng.normal(size=(N, T, H))          # upstream gradient at every step
    out_t.backward(torch.tensor(dh))

    h, cache = rnn.rnn_forward(x, h0, Wx, Wh, b)
    assert_close(h, out_t.detach().numpy(), "rnn_forward h")
    dx, dh0, dWx, dWh, db = rnn.rnn_backward(dh, cache)
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh0, h0t.grad.numpy()[0], "dh0")
    for ours, theirs, name in zip((dWx, dWh, db), torch_grads(net, "_l0"), ("dWx", "dWh", "db")):
        assert_close(ours, theirs, name)


def test_rnn_backward_with_gradient_at_the_last_step_only(rng):
    """A loss that reads only h_T: dh is zero except at the last step."""
    x, h0, Wx, Wh, b = rnn_arrays(rng, T=6)
    xt, h0t = t(x), t(h0)
    Wxt, Wht, bt = t(Wx), t(Wh), t(b)
    h_t = h0t
    for step in range(x.shape[1]):
        h_t = torch.tanh(xt[:, step] @ Wxt + h_t @ Wht + bt)
    h_t.sum().backward()
    h, cache = rnn.rnn_forward(x, h0, Wx, Wh, b)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    grads = rnn.rnn_backward(dh, cache)
    names = ("dx", "dh0", "dWx", "dWh", "db")
    for ours, theirs, name in zip(grads, (xt, h0t, Wxt, Wht, bt), names):
        assert_close(ours, theirs.grad.numpy(), name)


# ---------------------------------------------------------------------------------------------
# [I4] LSTM against PyTorch
# ---------------------------------------------------------------------------------------------

def test_lstm_step_matches_torch_lstmcell(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, gates=4)
    x = x[:, 0]
    N, H = h0.shape
    c0 = rng.normal(size=(N, H))
    cell = torch.nn.LSTMCell(x.shape[1], H, dtype=torch.float64)
    load_torch_weights(cell, Wx, Wh, b, rng)
    xt, ht, ct = t(x), t(h0), t(c0)
    h_t, c_t = cell(xt, (ht, ct))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    (h_t * torch.tensor(dh) + c_t * torch.tensor(dc)).sum().backward()

    h, c, cache = rnn.lstm_step_forward(x, h0, c0, Wx, Wh, b)
    assert_close(h, h_t.detach().numpy(), "lstm_step_forward h")
    assert_close(c, c_t.detach().numpy(), "lstm_step_forward c")
    dx, dh_prev, dc_prev, dWx, dWh, db = rnn.lstm_step_backward(dh, dc, cache)
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh_prev, ht.grad.numpy(), "dh_prev")
    assert_close(dc_prev, ct.grad.numpy(), "dc_prev")
    for ours, theirs, name in zip((dWx, dWh, db), torch_grads(cell), ("dWx", "dWh", "db")):
        assert_close(ours, theirs, name)


@pytest.mark.parametrize("shape", [(3, 5, 4, 6), (1, 1, 2, 3), (4, 7, 1, 2)],
                         ids=["N3-T5-D4-H6", "single-step", "one-input"])
def test_lstm_sequence_matches_torch_lstm(rng, shape):
    N, T, D, H = shape
    x, h0, Wx, Wh, b = rnn_arrays(rng, N, T, D, H, gates=4, scale=0.7)
    net = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    load_torch_weights(net, Wx, Wh, b, rng, "_l0")
    xt, h0t = t(x), t(h0[None])
    c0t = torch.zeros(1, N, H, dtype=torch.float64)   # course_lib's LSTM starts from c0 = 0
    out_t, _ = net(xt, (h0t, c0t))
    dh = rng.normal(size=(N, T, H))
    out_t.backward(torch.tensor(dh))

    h, cache = rnn.lstm_forward(x, h0, Wx, Wh, b)
    assert_close(h, out_t.detach().numpy(), "lstm_forward h")
    dx, dh0, dWx, dWh, db = rnn.lstm_backward(dh, cache)
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh0, h0t.grad.numpy()[0], "dh0")
    for ours, theirs, name in zip((dWx, dWh, db), torch_grads(net, "_l0"), ("dWx", "dWh", "db")):
        assert_close(ours, theirs, name)


def test_lstm_sequence_agrees_with_its_own_steps_only_through_torch(rng):
    """lstm_forward with saturating inputs (|a| ~ 30) still matches torch (no overflow)."""
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=2, T=4, D=3, H=4, gates=4, scale=10.0)
    net = torch.nn.LSTM(3, 4, batch_first=True, dtype=torch.float64)
    load_torch_weights(net, Wx, Wh, b, rng, "_l0")
    out_t, _ = net(t(x, False), (t(h0[None], False), torch.zeros(1, 2, 4, dtype=torch.float64)))
    h, _ = rnn.lstm_forward(x, h0, Wx, Wh, b)
    assert_close(h, out_t.detach().numpy(), "lstm_forward h with saturated gates")


def test_lstm_gate_order_worked_by_hand():
    """Gates i, f, g, o: with Wx = Wh = 0 only b acts. b_i = 40 (i = 1), b_f = 0,
    b_g = atanh(0.5) (g = 0.5), b_o = 0 (o = 0.5): c = f*0 + 1*0.5 = 0.5 and
    h = 0.5 * tanh(0.5) = 0.23105857863. Any other gate order gives another value."""
    H = 1
    b = np.array([40.0, 0.0, np.arctanh(0.5), 0.0])
    x = np.zeros((1, 1, 2))
    h, _ = rnn.lstm_forward(x, np.zeros((1, H)), np.zeros((2, 4)), np.zeros((1, 4)), b)
    assert abs(h[0, 0, 0] - 0.5 * np.tanh(0.5)) < 1e-12, f"h = {h[0, 0, 0]}, expected 0.2310586"
    h1, c1, _ = rnn.lstm_step_forward(x[:, 0], np.zeros((1, 1)), np.ones((1, 1)),
                                      np.zeros((2, 4)), np.zeros((1, 4)), b)
    # with c_prev = 1 the forget gate sigmoid(0) = 0.5 keeps half of it: c = 0.5 + 0.5 = 1
    assert abs(c1[0, 0] - 1.0) < 1e-12, f"c = {c1[0, 0]}, expected 0.5 * 1 + 1 * 0.5 = 1"
    assert abs(h1[0, 0] - 0.5 * np.tanh(1.0)) < 1e-12, f"h = {h1[0, 0]}, expected 0.5 tanh(1)"


# ---------------------------------------------------------------------------------------------
# [I5] bidirectional RNN against PyTorch
# ---------------------------------------------------------------------------------------------

def birnn_arrays(rng, N=3, T=5, D=4, H=3):
    x = rng.normal(size=(N, T, D))
    h0f, h0b = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    pf = (rng.normal(size=(D, H)) * 0.6, rng.normal(size=(H, H)) * 0.6, rng.normal(size=H) * 0.6)
    pb = (rng.normal(size=(D, H)) * 0.6, rng.normal(size=(H, H)) * 0.6, rng.normal(size=H) * 0.6)
    return x, h0f, h0b, pf, pb


def test_birnn_matches_torch_bidirectional_rnn(rng):
    x, h0f, h0b, pf, pb = birnn_arrays(rng)
    N, T, D = x.shape
    H = h0f.shape[1]
    net = torch.nn.RNN(D, H, batch_first=True, bidirectional=True, dtype=torch.float64)
    load_torch_weights(net, *pf, rng, "_l0")
    load_torch_weights(net, *pb, rng, "_l0_reverse")
    xt, h0t = t(x), t(np.stack([h0f, h0b]))
    out_t, _ = net(xt, h0t)
    dh = rng.normal(size=(N, T, 2 * H))
    out_t.backward(torch.tensor(dh))

    h, cache = rnn.birnn_forward(x, h0f, h0b, pf, pb)
    assert_close(h, out_t.detach().numpy(), "birnn_forward h")
    dx, dh0f, dh0b, dpf, dpb = rnn.birnn_backward(dh, cache)
    assert_close(dx, xt.grad.numpy(), "dx")
    assert_close(dh0f, h0t.grad.numpy()[0], "dh0_fwd")
    assert_close(dh0b, h0t.grad.numpy()[1], "dh0_bwd")
    for ours, theirs, name in zip(dpf, torch_grads(net, "_l0"), ("dWx", "dWh", "db")):
        assert_close(ours, theirs, f"forward direction {name}")
    for ours, theirs, name in zip(dpb, torch_grads(net, "_l0_reverse"), ("dWx", "dWh", "db")):
        assert_close(ours, theirs, f"backward direction {name}")


# ---------------------------------------------------------------------------------------------
# finite differences for every backward
# ---------------------------------------------------------------------------------------------

def test_rnn_step_backward_finite_differences(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=2, D=3, H=4)
    x = x[:, 0]
    dh = rng.normal(size=h0.shape)

    def loss(*args):
        return float(np.sum(rnn.rnn_step_forward(*args)[0] * dh))

    args = (x, h0, Wx, Wh, b)
    grads = rnn.rnn_step_backward(dh, rnn.rnn_step_forward(*args)[1])
    check_with_finite_differences(loss, args, grads, ("dx", "dh_prev", "dWx", "dWh", "db"))


def test_rnn_backward_finite_differences(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=2, T=3, D=3, H=4)
    dh = rng.normal(size=(2, 3, 4))

    def loss(*args):
        return float(np.sum(rnn.rnn_forward(*args)[0] * dh))

    args = (x, h0, Wx, Wh, b)
    grads = rnn.rnn_backward(dh, rnn.rnn_forward(*args)[1])
    check_with_finite_differences(loss, args, grads, ("dx", "dh0", "dWx", "dWh", "db"))


def test_lstm_step_backward_finite_differences(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=2, D=3, H=3, gates=4)
    x = x[:, 0]
    c0 = rng.normal(size=h0.shape)
    dh, dc = rng.normal(size=h0.shape), rng.normal(size=h0.shape)

    def loss(*args):
        h, c, _ = rnn.lstm_step_forward(*args)
        return float(np.sum(h * dh) + np.sum(c * dc))

    args = (x, h0, c0, Wx, Wh, b)
    grads = rnn.lstm_step_backward(dh, dc, rnn.lstm_step_forward(*args)[2])
    check_with_finite_differences(loss, args, grads,
                                  ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"))


def test_lstm_backward_finite_differences(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, N=2, T=3, D=3, H=3, gates=4)
    dh = rng.normal(size=(2, 3, 3))

    def loss(*args):
        return float(np.sum(rnn.lstm_forward(*args)[0] * dh))

    args = (x, h0, Wx, Wh, b)
    grads = rnn.lstm_backward(dh, rnn.lstm_forward(*args)[1])
    check_with_finite_differences(loss, args, grads, ("dx", "dh0", "dWx", "dWh", "db"))


def test_birnn_backward_finite_differences(rng):
    x, h0f, h0b, pf, pb = birnn_arrays(rng, N=2, T=3, D=2, H=2)
    dh = rng.normal(size=(2, 3, 4))

    def loss(x, h0f, h0b, *weights):
        h, _ = rnn.birnn_forward(x, h0f, h0b, weights[:3], weights[3:])
        return float(np.sum(h * dh))

    args = (x, h0f, h0b, *pf, *pb)
    dx, dh0f, dh0b, dpf, dpb = rnn.birnn_backward(dh, rnn.birnn_forward(x, h0f, h0b, pf, pb)[1])
    check_with_finite_differences(
        loss, args, (dx, dh0f, dh0b, *dpf, *dpb),
        ("dx", "dh0_fwd", "dh0_bwd", "dWx_fwd", "dWh_fwd", "db_fwd",
         "dWx_bwd", "dWh_bwd", "db_bwd"),
    )


# ---------------------------------------------------------------------------------------------
# laws (hypothesis)
# ---------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(2, 6), data=st.data())
def test_rnn_forward_can_be_split_in_time(seed, T, data):
    """Running x[:, :k] and then x[:, k:] from the last state equals running x at once."""
    k = data.draw(st.integers(1, T - 1), label="k")
    x, h0, Wx, Wh, b = rnn_arrays(np.random.default_rng(seed), N=2, T=T, D=3, H=4)
    h_all, _ = rnn.rnn_forward(x, h0, Wx, Wh, b)
    h_first, _ = rnn.rnn_forward(x[:, :k], h0, Wx, Wh, b)
    h_rest, _ = rnn.rnn_forward(x[:, k:], h_first[:, -1], Wx, Wh, b)
    assert_close(np.concatenate([h_first, h_rest], axis=1), h_all, "split sequence", tol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 5))
def test_birnn_time_reversal_swaps_the_directions(seed, T):
    """Reversing x and exchanging the two directions' weights reverses h and swaps its halves."""
    x, h0f, h0b, pf, pb = birnn_arrays(np.random.default_rng(seed), N=2, T=T, D=3, H=2)
    h, _ = rnn.birnn_forward(x, h0f, h0b, pf, pb)
    h_rev, _ = rnn.birnn_forward(x[:, ::-1], h0b, h0f, pb, pf)
    H = h0f.shape[1]
    swapped = np.concatenate([h[:, ::-1, H:], h[:, ::-1, :H]], axis=2)
    assert_close(h_rev, swapped, "time-reversed bidirectional RNN", tol=1e-12)


# ---------------------------------------------------------------------------------------------
# [I3] vanishing and exploding gradients
# ---------------------------------------------------------------------------------------------

def orthogonal(rng, H):
    q, _ = np.linalg.qr(rng.normal(size=(H, H)))
    return q


def test_bptt_gradient_explodes_by_hand_for_large_recurrent_weights(rng):
    """At h = 0 (zero inputs and h0), tanh' = 1 and dL_k/dh0 = ones @ (Wh^T)^k. With
    Wh = 1.5 Q (Q orthogonal) its norm is 1.5^k * sqrt(N H): growth by hand."""
    N, T, D, H = 2, 20, 3, 5
    Wh = 1.5 * orthogonal(rng, H)
    norms = rnn.bptt_gradient_norms(np.zeros((N, T, D)), np.zeros((N, H)),
                                    rng.normal(size=(D, H)), Wh, np.zeros(H))
    expected = 1.5 ** np.arange(1, T + 1) * np.sqrt(N * H)
    assert norms.shape == (T,), f"one norm per step expected, got shape {norms.shape}"
    assert rel_error(norms, expected) < 1e-10, f"norms {norms[:3]}..., expected {expected[:3]}..."
    assert norms[-1] > 1e3 * norms[0], "the gradient should explode with |Wh| > 1"


def test_bptt_gradient_vanishes_for_small_recurrent_weights(rng):
    """With Wh = 0.5 Q each step multiplies the gradient by diag(1 - h^2) 0.5 Q^T, whose norm is
    at most 0.5: ||dL_k/dh0|| <= 0.5^k ||ones (N, H)|| = 0.5^k sqrt(N H), whatever the inputs."""
    N, T, D, H = 2, 20, 3, 5
    x = rng.normal(size=(N, T, D))
    norms = rnn.bptt_gradient_norms(x, rng.normal(size=(N, H)), rng.normal(size=(D, H)),
                                    0.5 * orthogonal(rng, H), rng.normal(size=H))
    bound = 0.5 ** np.arange(1, T + 1) * np.sqrt(N * H)
    assert np.all(norms <= bound * (1 + 1e-9)), f"norms {norms} exceed the bound {bound}"
    assert norms[-1] < 1e-4 * norms[0], (
        f"the gradient should vanish: {norms[0]:.2e} after 1 step, {norms[-1]:.2e} after {T}")


def test_bptt_lstm_with_open_forget_gate_keeps_the_gradient(rng):
    """[I4]: with f ~ 1 (b_f = 10) and the same small recurrent weights as the vanishing RNN,
    the gradient through the cell path does not vanish."""
    N, T, D, H = 2, 20, 3, 4
    b = np.zeros(4 * H)
    b[H:2 * H] = 10.0
    norms = rnn.bptt_gradient_norms(np.zeros((N, T, D)), np.zeros((N, H)), np.zeros((D, 4 * H)),
                                    0.5 * rng.normal(size=(H, 4 * H)) / np.sqrt(H), b, cell="lstm")
    assert norms[-1] > 0.5 * norms[0], f"LSTM gradient norms should stay alive, got {norms}"
    rnn_norms = rnn.bptt_gradient_norms(np.zeros((N, T, D)), np.zeros((N, H)),
                                        np.zeros((D, H)), 0.5 * orthogonal(rng, H), np.zeros(H))
    assert rnn_norms[-1] < 1e-4 * rnn_norms[0], f"RNN gradient norms should vanish: {rnn_norms}"


# ---------------------------------------------------------------------------------------------
# [I3] gradient clipping against torch.nn.utils.clip_grad_norm_
# ---------------------------------------------------------------------------------------------

def torch_clip(arrays, max_norm):
    params = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays]
    for p, a in zip(params, arrays):
        p.grad = torch.tensor(a)
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.numpy() for p in params]


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3], ids=["clips", "clips-a-little", "no-clip"])
def test_clip_gradients_matches_torch_for_a_dict(rng, max_norm):
    grads = {"Wx": rng.normal(size=(3, 4)), "Wh": rng.normal(size=(4, 4)), "b": rng.normal(size=4)}
    originals = {k: v.copy() for k, v in grads.items()}
    clipped = rnn.clip_gradients(grads, max_norm)
    assert isinstance(clipped, dict) and list(clipped) == list(grads), "a dict with the same keys"
    expected = torch_clip(list(grads.values()), max_norm)
    for (k, v), e in zip(clipped.items(), expected):
        assert_close(v, e, f"clipped grads[{k!r}]")
    for k in grads:
        assert np.array_equal(grads[k], originals[k]), f"grads[{k!r}] of the caller was modified"
        assert clipped[k] is not grads[k], f"grads[{k!r}] should be a new array"


def test_clip_gradients_list_and_tuple_keep_their_kind(rng):
    arrays = [rng.normal(size=(2, 3)) * 10, rng.normal(size=5) * 10]
    originals = [a.copy() for a in arrays]
    as_list = rnn.clip_gradients(arrays, 1.0)
    as_tuple = rnn.clip_gradients(tuple(arrays), 1.0)
    assert isinstance(as_list, list) and isinstance(as_tuple, tuple), "same kind as the input"
    for ours, ours_t, theirs in zip(as_list, as_tuple, torch_clip(arrays, 1.0)):
        assert_close(ours, theirs, "clipped list item")
        assert_close(ours_t, theirs, "clipped tuple item")
    total = np.sqrt(sum(np.sum(g ** 2) for g in as_list))
    assert abs(total - 1.0) < 1e-5, f"global norm after clipping {total}, expected 1"
    for a, o in zip(arrays, originals):
        assert np.array_equal(a, o), "the caller's arrays were modified"


def test_clip_gradients_huge_values_do_not_overflow():
    """Two entries of 1e200: the norm is sqrt(2) 1e200 (squares would overflow); clipped to 1."""
    clipped = rnn.clip_gradients([np.array([1e200]), np.array([-1e200])], 1.0)
    assert abs(clipped[0][0] - 1 / np.sqrt(2)) < 1e-9, f"got {clipped[0][0]}, expected 0.7071"
    assert abs(clipped[1][0] + 1 / np.sqrt(2)) < 1e-9, f"got {clipped[1][0]}, expected -0.7071"


def test_clip_gradients_all_zero_and_empty():
    zeros = rnn.clip_gradients({"W": np.zeros((2, 2))}, 1.0)
    assert np.all(np.abs(zeros["W"]) < 1e-300), "zero gradients stay zero"
    assert rnn.clip_gradients([], 1.0) == [], "an empty list stays an empty list"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 4),
       scale=st.floats(1e-3, 1e3), max_norm=st.floats(1e-3, 1e3))
def test_clip_gradients_law_and_torch(seed, n, scale, max_norm):
    """The clipped norm is min(norm, max_norm) (up to torch's 1e-6) and the direction is kept."""
    r = np.random.default_rng(seed)
    arrays = [r.normal(size=tuple(r.integers(1, 4, size=r.integers(1, 3)))) * scale
              for _ in range(n)]
    clipped = rnn.clip_gradients(arrays, max_norm)
    for ours, theirs in zip(clipped, torch_clip(arrays, max_norm)):
        assert np.allclose(ours, theirs, rtol=1e-12, atol=1e-300), "differs from clip_grad_norm_"
    norm = np.sqrt(sum(np.sum(a ** 2) for a in arrays))
    new_norm = np.sqrt(sum(np.sum(c ** 2) for c in clipped))
    assert new_norm <= max_norm * (1 + 1e-12) or new_norm <= norm * (1 + 1e-12), "norm too large"
    assert abs(new_norm - min(norm, max_norm)) <= 1e-6 * max(1.0, norm), (
        f"norm {new_norm}, expected min({norm}, {max_norm})")
    flat_clipped = np.concatenate([c.ravel() for c in clipped])
    ratio = flat_clipped / np.concatenate([a.ravel() for a in arrays])
    assert np.ptp(ratio) < 1e-12 * np.max(ratio), "all entries must be scaled by the same factor"


# ---------------------------------------------------------------------------------------------
# SequenceClassifier
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sequence_classifier_gradients_match_finite_differences(rng, cell):
    model = rnn.SequenceClassifier(3, 4, 3, cell=cell, rng=rng)
    X = rng.normal(size=(5, 4, 3))
    y = np.array([0, 2, 1, 1, 0])
    loss, grads = model.loss_and_grads(X, y)
    assert set(grads) == set(model.params), "grads must have the keys of params"
    assert np.isfinite(loss), "loss should be finite"
    for name, param in model.params.items():
        assert grads[name].shape == param.shape, f"grads[{name!r}] has the wrong shape"

        def loss_of(value, name=name):
            saved = model.params[name]
            model.params[name] = value
            try:
                return model.loss_and_grads(X, y)[0]
            finally:
                model.params[name] = saved

        numeric = central_difference(loss_of, param)
        err = rel_error(grads[name], numeric)
        assert err < FD_TOL, f"{cell} grads[{name!r}]: relative error {err:.2e}"


def test_sequence_classifier_shapes_init_and_predict(rng):
    model = rnn.SequenceClassifier(3, 5, 4, "lstm", rng)
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {"Wx": (3, 20), "Wh": (5, 20), "b": (20,), "W_out": (5, 4), "b_out": (4,)}, (
        f"unexpected parameter shapes {shapes}")
    assert np.all(np.abs(model.params["b"][5:10] - 1.0) < 1e-15), "forget-gate bias starts at 1"
    others = np.concatenate([model.params["b"][:5], model.params["b"][10:]])
    assert np.all(np.abs(others) < 1e-15), "the other gate biases start at 0"
    labels = model.predict(rng.normal(size=(6, 7, 3)))
    assert labels.shape == (6,) and labels.dtype.kind in "iu", f"got {labels.shape} {labels.dtype}"
    assert np.all((labels >= 0) & (labels < 4)), "labels must be classes 0..3"
    rnn_model = rnn.SequenceClassifier(3, 5, 4, rng=rng)
    assert rnn_model.params["Wh"].shape == (5, 5), "the vanilla RNN has one block of H columns"


def test_sequence_classifier_same_seed_same_model():
    a = rnn.SequenceClassifier(2, 3, 2, "lstm", rng=np.random.default_rng(7))
    b = rnn.SequenceClassifier(2, 3, 2, "lstm", rng=np.random.default_rng(7))
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]), f"params[{k!r}] differ for the same seed"


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sequence_classifier_learns_to_remember_the_first_input(rng, cell):
    """Class = sign of the first of 10 inputs, the other 9 are noise: the model must carry the
    first input through time. The protocol of a training loop (params, loss_and_grads, predict)
    with gradient clipping and Adam (lr 0.05) for 200 steps reaches > 90% accuracy."""
    def batch(n):
        X = rng.normal(size=(n, 10, 1)) * 0.5
        X[:, 0, 0] = rng.choice([-1.0, 1.0], size=n)
        return X, (X[:, 0, 0] > 0).astype(int)

    model = rnn.SequenceClassifier(1, 8, 2, cell=cell, rng=rng)
    m = {k: np.zeros_like(v) for k, v in model.params.items()}
    v = {k: np.zeros_like(p) for k, p in model.params.items()}
    for step in range(1, 201):
        X, y = batch(32)
        _, grads = model.loss_and_grads(X, y)
        grads = rnn.clip_gradients(grads, 5.0)
        for k in model.params:
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v[k] = 0.999 * v[k] + 0.001 * grads[k] ** 2
            m_hat, v_hat = m[k] / (1 - 0.9 ** step), v[k] / (1 - 0.999 ** step)
            model.params[k] = model.params[k] - 0.05 * m_hat / (np.sqrt(v_hat) + 1e-8)
    X, y = batch(200)
    accuracy = np.mean(model.predict(X) == y)
    assert accuracy > 0.9, f"{cell}: accuracy {accuracy:.2f} after training, expected > 0.9"


# ---------------------------------------------------------------------------------------------
# bad input and purity
# ---------------------------------------------------------------------------------------------

def test_wrong_ranks_raise(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    with pytest.raises(ValueError, match="x"):
        rnn.rnn_forward(x[:, 0], h0, Wx, Wh, b)                  # x must be (N, T, D)
    with pytest.raises(ValueError, match="x"):
        rnn.rnn_step_forward(x, h0, Wx, Wh, b)                   # x must be (N, D)
    with pytest.raises(ValueError, match="h0"):
        rnn.rnn_forward(x, h0[0], Wx, Wh, b)
    with pytest.raises(ValueError, match="b"):
        rnn.rnn_forward(x, h0, Wx, Wh, b[None])
    with pytest.raises(ValueError, match="x"):
        rnn.rnn_forward(x[:, :0], h0, Wx, Wh, b)                 # no time step


def test_mismatched_hidden_size_and_batch_raise(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, H=6)
    with pytest.raises(ValueError, match="Wh"):
        rnn.rnn_forward(x, h0[:, :5], Wx, Wh, b)                 # H from h0 is 5, Wh is 6x6
    with pytest.raises(ValueError, match="Wh"):
        rnn.rnn_step_forward(x[:, 0], h0, Wx, Wh[:, :5], b)
    with pytest.raises(ValueError, match="h_prev"):
        rnn.rnn_step_forward(x[:, 0], h0[:2], Wx, Wh, b)         # N differs
    with pytest.raises(ValueError, match="Wx"):
        rnn.rnn_forward(x, h0, Wx[:4], Wh, b)                    # D differs


def test_lstm_weight_shapes_raise(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng, H=3, gates=4)
    with pytest.raises(ValueError, match="Wx"):
        rnn.lstm_forward(x, h0, Wx[:, :9], Wh, b)                # not (D, 4H)
    with pytest.raises(ValueError, match="Wx"):
        rnn.lstm_step_forward(x[:, 0], h0, h0, Wx[:, :3], Wh, b)
    with pytest.raises(ValueError, match="Wh"):
        rnn.lstm_forward(x, h0, Wx, Wh[:, :3], b)                # an RNN's (H, H)
    with pytest.raises(ValueError, match="Wh"):
        rnn.lstm_forward(x, h0[:, :2], Wx, Wh, b)                # H from h0 is 2
    with pytest.raises(ValueError, match="b"):
        rnn.lstm_forward(x, h0, Wx, Wh, b[:3])
    with pytest.raises(ValueError, match="c_prev"):
        rnn.lstm_step_forward(x[:, 0], h0, h0[:, :2], Wx, Wh, b)


def test_wrong_upstream_gradient_shape_raises(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    h, cache = rnn.rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match="dh"):
        rnn.rnn_backward(h[:, -1], cache)
    x4, h04, Wx4, Wh4, b4 = rnn_arrays(rng, gates=4)
    h, cache = rnn.lstm_forward(x4, h04, Wx4, Wh4, b4)
    with pytest.raises(ValueError, match="dh"):
        rnn.lstm_backward(h[:, :-1], cache)
    _, _, step_cache = rnn.lstm_step_forward(x4[:, 0], h04, h04, Wx4, Wh4, b4)
    with pytest.raises(ValueError, match="dc"):
        rnn.lstm_step_backward(h04, h04[:, :1], step_cache)


def test_wrong_dtype_kind_raises(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    with pytest.raises(TypeError, match="x"):
        rnn.rnn_forward(x.astype(str), h0, Wx, Wh, b)
    with pytest.raises(TypeError, match="Wh"):
        rnn.rnn_forward(x, h0, Wx, Wh.astype(complex), b)


def test_integer_input_is_accepted_as_float(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    x_int = np.round(x * 3).astype(int)
    h_int, _ = rnn.rnn_forward(x_int, h0, Wx, Wh, b)
    h_float, _ = rnn.rnn_forward(x_int.astype(float), h0, Wx, Wh, b)
    assert_close(h_int, h_float, "integer x")


def test_birnn_bad_input_raises(rng):
    x, h0f, h0b, pf, pb = birnn_arrays(rng)
    with pytest.raises(TypeError, match="params_fwd"):
        rnn.birnn_forward(x, h0f, h0b, pf[:2], pb)
    with pytest.raises(ValueError, match="params_bwd"):
        rnn.birnn_forward(x, h0f, h0b, pf, (pb[0][:2], pb[1], pb[2]))
    with pytest.raises(ValueError, match="h0_bwd"):
        rnn.birnn_forward(x, h0f, h0b[:, :2], pf, pb)


def test_clip_gradients_bad_input_raises():
    with pytest.raises(TypeError, match="grads"):
        rnn.clip_gradients(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="max_norm"):
        rnn.clip_gradients([np.ones(3)], -1.0)
    with pytest.raises(TypeError, match="max_norm"):
        rnn.clip_gradients([np.ones(3)], "1")
    with pytest.raises(ValueError, match="grads\\['W'\\]"):
        rnn.clip_gradients({"W": np.array([1.0, np.nan])}, 1.0)


def test_bptt_gradient_norms_unknown_cell_raises(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    with pytest.raises(ValueError, match="cell"):
        rnn.bptt_gradient_norms(x, h0, Wx, Wh, b, cell="gru")


def test_sequence_classifier_bad_input_raises(rng):
    with pytest.raises(ValueError, match="cell"):
        rnn.SequenceClassifier(3, 4, 2, cell="gru", rng=rng)
    with pytest.raises(TypeError, match="rng"):
        rnn.SequenceClassifier(3, 4, 2)
    with pytest.raises(ValueError, match="hidden_size"):
        rnn.SequenceClassifier(3, 0, 2, rng=rng)
    model = rnn.SequenceClassifier(3, 4, 2, rng=rng)
    X = rng.normal(size=(2, 5, 3))
    with pytest.raises(ValueError, match="X"):
        model.loss_and_grads(X[..., :2], np.array([0, 1]))
    with pytest.raises(ValueError, match="X"):
        model.predict(X[:, 0])
    with pytest.raises(ValueError, match="y"):
        model.loss_and_grads(X, np.array([0, 2]))               # class 2 of 2 classes
    with pytest.raises(ValueError, match="y"):
        model.loss_and_grads(X, np.array([0, 1, 1]))
    with pytest.raises(TypeError, match="y"):
        model.loss_and_grads(X, np.array([0.0, 1.0]))


def _copies(arrays):
    return [np.array(a, copy=True) for a in arrays]


def _assert_unchanged(arrays, copies, names):
    for a, c, name in zip(arrays, copies, names):
        assert np.array_equal(a, c), f"{name} of the caller was modified"


def test_functions_do_not_modify_their_arguments(rng):
    x, h0, Wx, Wh, b = rnn_arrays(rng)
    args, names = (x, h0, Wx, Wh, b), ("x", "h0", "Wx", "Wh", "b")
    saved = _copies(args)
    h, cache = rnn.rnn_forward(*args)
    dh = rng.normal(size=h.shape)
    dh_saved = dh.copy()
    rnn.rnn_backward(dh, cache)
    rnn.bptt_gradient_norms(*args)
    _assert_unchanged(args + (dh,), saved + [dh_saved], names + ("dh",))

    x4, h04, Wx4, Wh4, b4 = args4 = rnn_arrays(rng, gates=4)
    c0 = rng.normal(size=h04.shape)
    saved = _copies(args4 + (c0,))
    h, cache = rnn.lstm_forward(*args4)
    dh = rng.normal(size=h.shape)
    dh_saved = dh.copy()
    rnn.lstm_backward(dh, cache)
    h1, c1, step_cache = rnn.lstm_step_forward(x4[:, 0], h04, c0, Wx4, Wh4, b4)
    rnn.lstm_step_backward(h1, c1, step_cache)
    _assert_unchanged(args4 + (c0, dh), saved + [dh_saved], names + ("c0", "dh"))

    xb, h0f, h0b, pf, pb = birnn_arrays(rng)
    flat = (xb, h0f, h0b, *pf, *pb)
    saved = _copies(flat)
    h, cache = rnn.birnn_forward(xb, h0f, h0b, pf, pb)
    rnn.birnn_backward(np.ones_like(h), cache)
    _assert_unchanged(flat, saved, [f"birnn argument {k}" for k in range(len(flat))])

    model = rnn.SequenceClassifier(5, 3, 2, cell="lstm", rng=rng)
    params_saved = {k: v.copy() for k, v in model.params.items()}
    y = np.array([0, 1, 1])
    X_saved = x.copy()
    model.loss_and_grads(x, y)
    model.predict(x)
    _assert_unchanged([x], [X_saved], ["X"])
    for k in model.params:
        assert np.array_equal(model.params[k], params_saved[k]), f"params[{k!r}] changed"


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_changing_the_returned_h_does_not_change_backward(rng, cell):
    gates = 4 if cell == "lstm" else 1
    forward = rnn.lstm_forward if cell == "lstm" else rnn.rnn_forward
    backward = rnn.lstm_backward if cell == "lstm" else rnn.rnn_backward
    args = rnn_arrays(rng, gates=gates)
    dh = rng.normal(size=(3, 4, 6))
    expected = backward(dh, forward(*args)[1])
    h, cache = forward(*args)
    h[...] = 123.0                                   # the caller reuses the output buffer
    for ours, theirs, name in zip(backward(dh, cache), expected, ("dx", "dh0", "dWx", "dWh", "db")):
        assert_close(ours, theirs, f"{cell} {name} after modifying the returned h", tol=1e-14)
