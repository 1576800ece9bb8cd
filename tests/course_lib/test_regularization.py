"""Tests of course_lib.regularization: penalties, the regularised objective, dropout in both
forms, and early stopping."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import regularization as reg

SHAPES = [(4,), (3, 5), (2, 3, 2, 2)]


def central_differences(f, x, h=1e-6):
    """Central-difference gradient of a scalar function f at x (x is not modified)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (f(xp) - f(xm)) / (2 * h)
    return grad


def away_from_zero(gen, shape):
    """Random weights with |w| >= 0.1, so that |w| is differentiable well inside h."""
    W = gen.standard_normal(shape)
    return np.where(np.abs(W) < 0.1, 0.1 * np.sign(W) + 0.1 * (W == 0), W)


# ----------------------------------------------------------------------------------------------
# Penalties [G1, G2]
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lam", [0.0, 0.01, 0.7])
def test_l1_penalty_matches_autograd(shape, lam, rng):
    W = rng.standard_normal(shape)
    W.flat[0] = 0.0  # sign(0) = 0: the subgradient autograd also returns
    value, grad = reg.l1_penalty(W, lam)
    Wt = torch.tensor(W, requires_grad=True)
    value_t = lam * Wt.abs().sum()
    value_t.backward()
    assert abs(value - value_t.item()) < 1e-12, f"l1 value {value} != torch {value_t.item()}"
    np.testing.assert_allclose(grad, Wt.grad.numpy(), rtol=1e-12, atol=1e-15,
                               err_msg="l1 gradient differs from torch autograd")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lam", [0.0, 0.01, 0.7])
def test_l2_penalty_matches_autograd(shape, lam, rng):
    W = rng.standard_normal(shape)
    value, grad = reg.l2_penalty(W, lam)
    Wt = torch.tensor(W, requires_grad=True)
    value_t = lam * (Wt**2).sum()
    value_t.backward()
    assert abs(value - value_t.item()) < 1e-12, f"l2 value {value} != torch {value_t.item()}"
    np.testing.assert_allclose(grad, Wt.grad.numpy(), rtol=1e-12, atol=1e-15,
                               err_msg="l2 gradient differs from torch autograd")


@pytest.mark.parametrize("name", ["l1", "l2"])
def test_penalty_gradients_match_finite_differences(name, rng):
    W = away_from_zero(rng, (3, 4))
    fn = reg.PENALTIES[name]
    _, grad = fn(W, 0.3)
    numeric = central_differences(lambda V: fn(V, 0.3)[0], W)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8,
                               err_msg=f"{name} gradient differs from central differences")


def test_penalties_by_hand():
    W = np.array([[1.0, -2.0], [0.0, 3.0]])
    v1, g1 = reg.l1_penalty(W, 0.5)
    v2, g2 = reg.l2_penalty(W, 0.5)
    assert abs(v1 - 3.0) < 1e-12, "0.5 * (1 + 2 + 0 + 3) = 3"
    assert abs(v2 - 7.0) < 1e-12, "0.5 * (1 + 4 + 0 + 9) = 7"
    np.testing.assert_allclose(g1, [[0.5, -0.5], [0.0, 0.5]], err_msg="0.5 * sign(W)")
    np.testing.assert_allclose(g2, [[1.0, -2.0], [0.0, 3.0]], err_msg="2 * 0.5 * W")


def test_penalties_do_not_modify_W(rng):
    W = rng.standard_normal((3, 3))
    before = W.copy()
    for fn in reg.PENALTIES.values():
        _, grad = fn(W, 0.2)
        np.testing.assert_array_equal(W, before, err_msg=f"{fn.__name__} modified W")
        assert not np.shares_memory(grad, W), f"{fn.__name__} returns W's memory as grad"


# ----------------------------------------------------------------------------------------------
# The regularised objective [C6]
# ----------------------------------------------------------------------------------------------
def tiny_network(gen):
    return {"W1": gen.standard_normal((3, 4)), "b1": gen.standard_normal(4),
            "W2": gen.standard_normal((4, 2)), "b2": gen.standard_normal(2)}


def torch_data_loss(params, X, y):
    """E(theta): cross-entropy of a 2-layer tanh network, with autograd-ready leaves."""
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tanh(torch.tensor(X) @ leaves["W1"] + leaves["b1"])
    loss = torch.nn.functional.cross_entropy(h @ leaves["W2"] + leaves["b2"], torch.tensor(y))
    return loss, leaves


@pytest.mark.parametrize("penalty", ["l1", "l2"])
@pytest.mark.parametrize("lam", [0.0, 0.05, 1.0])
def test_regularized_loss_matches_autograd(penalty, lam, rng):
    params = tiny_network(rng)
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, size=5)
    E, leaves = torch_data_loss(params, X, y)
    E.backward(retain_graph=True)
    grads_E = {k: t.grad.numpy().copy() for k, t in leaves.items()}
    for t in leaves.values():
        t.grad = None
    omega = (lambda t: t.abs().sum()) if penalty == "l1" else (lambda t: (t**2).sum())
    total_t = E + lam * (omega(leaves["W1"]) + omega(leaves["W2"]))  # weights only, no biases
    total_t.backward()

    grads_before = {k: v.copy() for k, v in grads_E.items()}
    total, grads = reg.regularized_loss(E.item(), grads_E, params, lam, penalty=penalty)
    assert abs(total - total_t.item()) < 1e-12, \
        f"E + lam * Omega(W1, W2) = {total_t.item()}, got {total}"
    for k, t in leaves.items():
        np.testing.assert_allclose(grads[k], t.grad.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=f"gradient of {k} differs from autograd")
        np.testing.assert_array_equal(grads_E[k], grads_before[k],
                                      err_msg=f"regularized_loss modified grads[{k!r}]")
    assert set(grads) == set(grads_E), "the returned grads must have the keys of the input"


def test_regularized_loss_penalises_only_the_named_keys(rng):
    params = tiny_network(rng)
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    total, out = reg.regularized_loss(0.0, grads, params, 0.5, keys=["W2", "b1"])
    expected = 0.5 * (np.sum(params["W2"] ** 2) + np.sum(params["b1"] ** 2))
    assert abs(total - expected) < 1e-12, "keys must choose the penalised parameters"
    np.testing.assert_allclose(out["b1"], params["b1"], err_msg="2 * 0.5 * b1 for a named bias")
    assert np.all(out["W1"] == 0.0), "W1 was not named in keys and must not be penalised"


def test_l2_regularized_sgd_equals_torch_weight_decay(rng):
    """One SGD step on E + lam * sum W^2 equals torch's SGD with weight_decay = 2 lam."""
    W = rng.standard_normal((3, 2))
    dW = rng.standard_normal((3, 2))
    lam, lr = 0.1, 0.5
    _, grads = reg.regularized_loss(0.0, {"W": dW}, {"W": W}, lam)
    ours = W - lr * grads["W"]
    p = torch.nn.Parameter(torch.tensor(W))
    opt = torch.optim.SGD([p], lr=lr, weight_decay=2 * lam)
    p.grad = torch.tensor(dW)
    opt.step()
    np.testing.assert_allclose(ours, p.detach().numpy(), rtol=1e-12,
                               err_msg="the L2 penalty lam should equal weight_decay 2 lam")


# ----------------------------------------------------------------------------------------------
# Inverted dropout [G3]
# ----------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(p=st.floats(0.0, 0.9), seed=st.integers(0, 2**32 - 1))
def test_inverted_dropout_preserves_the_mean(p, seed):
    n = 20_000
    x = np.full((100, n // 100), 2.0)
    out, _ = reg.dropout_forward(x, p, True, np.random.default_rng(seed))
    # Each element is 2 * Bernoulli(1 - p) / (1 - p): mean 2, variance 4 p / (1 - p).
    std_of_mean = math.sqrt(4 * p / (1 - p) / n)
    assert abs(out.mean() - 2.0) <= 5 * std_of_mean + 1e-12, \
        f"mean {out.mean():.4f} is more than 5 standard errors from 2 (p={p})"


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_drops_a_fraction_p(p, rng):
    n = 10_000
    out, _ = reg.dropout_forward(np.ones((100, 100)), p, True, rng)
    dropped = np.mean(out == 0.0)
    assert abs(dropped - p) <= 5 * math.sqrt(p * (1 - p) / n), \
        f"dropped fraction {dropped:.3f}, p is the drop probability {p}"


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_values_agree_with_torch(p, rng):
    """Both keep x / (1 - p) or give 0; the masks differ because the generators do."""
    x = rng.standard_normal((40, 30)) + 5.0  # nonzero, so a 0 output means dropped
    out, _ = reg.dropout_forward(x, p, True, rng)
    torch.manual_seed(0)
    out_t = torch.nn.functional.dropout(torch.tensor(x), p=p, training=True).numpy()
    for name, o in [("dropout_forward", out), ("torch dropout", out_t)]:
        kept = o != 0.0
        assert kept.any() and (~kept).any(), f"{name}: expected kept and dropped units"
        np.testing.assert_allclose(o[kept], x[kept] / (1 - p), rtol=1e-12,
                                   err_msg=f"{name}: kept units are not x / (1 - p)")
    assert abs(np.mean(out == 0) - np.mean(out_t == 0)) < 0.1, \
        "dropout_forward and torch drop clearly different fractions"


@pytest.mark.parametrize("p", [0.3, 0.6])
def test_dropout_backward_uses_the_forward_mask(p, rng):
    x = rng.standard_normal((6, 5)) + 3.0
    dout = rng.standard_normal((6, 5))
    out, cache = reg.dropout_forward(x, p, True, rng)
    keep = torch.tensor(out != 0.0, dtype=torch.float64)  # the forward's own mask
    xt = torch.tensor(x, requires_grad=True)
    out_t = xt * keep / (1 - p)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-12,
                               err_msg="forward is not x * mask / (1 - p)")
    np.testing.assert_allclose(reg.dropout_backward(dout, cache), xt.grad.numpy(), rtol=1e-12,
                               err_msg="dropout_backward differs from autograd on the same mask")


@pytest.mark.parametrize("train, p", [(False, 0.5), (False, 1.0), (True, 0.0)])
def test_dropout_identity_cases(train, p, rng):
    x = rng.standard_normal((3, 4))
    out, cache = reg.dropout_forward(x, p, train, rng)
    np.testing.assert_allclose(out, x, rtol=0, atol=0, err_msg="dropout must be the identity")
    assert not np.shares_memory(out, x), "the identity case must return a copy"
    dout = rng.standard_normal((3, 4))
    np.testing.assert_allclose(reg.dropout_backward(dout, cache), dout, rtol=0, atol=0,
                               err_msg="backward of the identity must pass dout through")


def test_dropout_at_test_time_needs_no_rng(rng):
    x = rng.standard_normal((2, 2))
    out, _ = reg.dropout_forward(x, 0.5, False, None)
    np.testing.assert_allclose(out, x, rtol=0, atol=0, err_msg="test mode: identity, no rng")


def test_dropout_p_one_gives_zeros(rng):
    x = rng.standard_normal((3, 4))
    out, cache = reg.dropout_forward(x, 1.0, True, rng)
    out_t = torch.nn.functional.dropout(torch.tensor(x), p=1.0, training=True).numpy()
    assert np.all(out == 0.0) and np.all(out_t == 0.0), "p = 1 drops everything (as torch)"
    assert np.all(reg.dropout_backward(np.ones((3, 4)), cache) == 0.0), \
        "p = 1: no gradient reaches x"


def test_dropout_does_not_modify_x_and_is_reproducible():
    x = np.arange(12.0).reshape(3, 4)
    before = x.copy()
    a, _ = reg.dropout_forward(x, 0.5, True, np.random.default_rng(1))
    b, _ = reg.dropout_forward(x, 0.5, True, np.random.default_rng(1))
    np.testing.assert_array_equal(x, before, err_msg="dropout_forward modified x")
    np.testing.assert_allclose(a, b, rtol=0, atol=0, err_msg="same seed must give the same mask")


# ----------------------------------------------------------------------------------------------
# The notes' form: unscaled training, scaled weights at test time [G4]
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.25, 0.5, 0.8])
def test_both_dropout_forms_give_the_same_network_for_every_mask(p, rng):
    x = rng.standard_normal((4, 6))
    W = rng.standard_normal((6, 3))
    W_inverted = scale = reg.scale_weights_for_test(W, p)  # W (1 - p)
    np.testing.assert_allclose(scale, W * (1 - p), rtol=1e-15, err_msg="w <- w (1 - p)")
    h_inv, _ = reg.dropout_forward(x, p, True, np.random.default_rng(5))
    h_raw, _ = reg.dropout_forward_unscaled(x, p, True, np.random.default_rng(5))
    np.testing.assert_allclose(h_inv @ W_inverted, h_raw @ W, rtol=1e-12, atol=1e-12,
                               err_msg="training: (x m / (1-p)) W(1-p) must equal (x m) W")
    test_inv, _ = reg.dropout_forward(x, p, False, None)
    test_raw, _ = reg.dropout_forward_unscaled(x, p, False, None)
    np.testing.assert_allclose(test_inv @ W_inverted, test_raw @ scale, rtol=1e-12,
                               err_msg="test time: both forms compute x W (1 - p)")


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_both_dropout_forms_agree_in_expectation(p, rng):
    """E[(x m) W] = x W (1 - p) and E[(x m / (1 - p)) W] = x W, over many masks."""
    x = rng.standard_normal(8)
    W = rng.standard_normal((8, 3))
    reps = 4000
    X = np.broadcast_to(x, (reps, 8))
    raw, _ = reg.dropout_forward_unscaled(X, p, True, rng)
    inv, _ = reg.dropout_forward(X, p, True, rng)
    # Var of one sample of (x m) W, column j: sum_i x_i^2 W_ij^2 p (1 - p).
    std_raw = np.sqrt((x[:, None] ** 2 * W**2).sum(axis=0) * p * (1 - p) / reps)
    std_inv = std_raw / (1 - p)
    err_raw = np.abs((raw @ W).mean(axis=0) - x @ reg.scale_weights_for_test(W, p))
    err_inv = np.abs((inv @ W).mean(axis=0) - x @ W)
    assert np.all(err_raw <= 5 * std_raw), \
        f"unscaled training does not average to x W (1 - p): errors {err_raw}, std {std_raw}"
    assert np.all(err_inv <= 5 * std_inv), \
        f"inverted dropout does not average to x W: errors {err_inv}, std {std_inv}"


def test_unscaled_dropout_backward_uses_its_mask(rng):
    x = rng.standard_normal((5, 4)) + 3.0
    out, cache = reg.dropout_forward_unscaled(x, 0.4, True, rng)
    kept = out != 0.0
    np.testing.assert_allclose(out[kept], x[kept], rtol=0, err_msg="kept units are not scaled")
    dx = reg.dropout_backward(np.ones((5, 4)), cache)
    np.testing.assert_allclose(dx, kept.astype(float), rtol=0,
                               err_msg="unscaled backward: 1 on kept units, 0 on dropped ones")


# ----------------------------------------------------------------------------------------------
# Early stopping [G5]
# ----------------------------------------------------------------------------------------------
def run_early_stopping(losses, **kwargs):
    es = reg.EarlyStopping(**kwargs)
    return es, [es.step(loss) for loss in losses]


def test_early_stopping_patience():
    es, stops = run_early_stopping([1.0, 0.8, 0.9, 0.85, 0.81, 0.7], patience=3)
    assert stops == [False, False, False, False, True, False], \
        f"patience 3: stop at the third epoch without improvement, got {stops}"
    assert es.best_loss == pytest.approx(0.7) and es.best_epoch == 5, \
        "an improvement (even after a stop signal) updates the best and resets the count"


def test_early_stopping_resets_its_count_on_improvement():
    es, stops = run_early_stopping([1.0, 1.1, 0.9, 1.0, 1.2], patience=2)
    assert stops == [False, False, False, False, True], \
        f"an improvement resets the count of bad epochs, got {stops}"
    assert es.best_epoch == 2 and es.best_loss == pytest.approx(0.9), "best is epoch 2 (0.9)"


def test_early_stopping_patience_one():
    _, stops = run_early_stopping([1.0, 0.5, 0.5], patience=1)
    assert stops == [False, False, True], "equal loss is not an improvement"


def test_early_stopping_min_delta():
    es, stops = run_early_stopping([1.0, 0.95, 0.85], patience=1, min_delta=0.1)
    assert stops == [False, True, False], \
        f"a decrease of 0.05 < min_delta is not an improvement, 0.15 is: got {stops}"
    assert es.best_loss == pytest.approx(0.85), "0.85 improves on 1.0 by more than 0.1"


def test_early_stopping_nan_is_no_improvement():
    es, stops = run_early_stopping([1.0, float("nan"), float("nan")], patience=2)
    assert stops == [False, False, True], "a NaN validation loss counts as no improvement"
    assert es.best_loss == pytest.approx(1.0), "NaN must not become the best loss"


def test_early_stopping_keeps_copies_of_the_best_params():
    es = reg.EarlyStopping(patience=2)
    params = {"W": np.array([1.0, 2.0])}
    es.step(0.5, params=params)
    params["W"][0] = 99.0  # the caller changes its array in place
    es.step(0.6, params={"W": np.array([7.0, 7.0])})
    np.testing.assert_allclose(es.best_params["W"], [1.0, 2.0], rtol=0,
                               err_msg="best_params must be copies taken at the best epoch")
    es.reset()
    assert es.best_params is None and es.best_epoch is None and math.isinf(es.best_loss), \
        "reset must forget the best epoch"


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------
W = np.ones((2, 3))
BAD_CALLS = [
    (lambda: reg.l1_penalty(W, -0.1), ValueError, "lam"),
    (lambda: reg.l2_penalty(W, "0.1"), TypeError, "lam"),
    (lambda: reg.l2_penalty(W, float("nan")), ValueError, "lam"),
    (lambda: reg.l1_penalty(np.array(["a"]), 0.1), TypeError, "W"),
    (lambda: reg.l2_penalty(W * np.nan, 0.1), ValueError, "W"),
    (lambda: reg.regularized_loss(0.0, {"W": W}, {"W": W}, 0.1, penalty="l3"), ValueError,
     "penalty"),
    (lambda: reg.regularized_loss(0.0, {"V": W}, {"W": W}, 0.1), ValueError, "grads"),
    (lambda: reg.regularized_loss(0.0, {"W": W.T}, {"W": W}, 0.1), ValueError, r"grads\['W'\]"),
    (lambda: reg.regularized_loss(0.0, {"W": W}, {"W": W}, 0.1, keys=["b"]), ValueError, "keys"),
    (lambda: reg.regularized_loss("x", {"W": W}, {"W": W}, 0.1), TypeError, "loss"),
    (lambda: reg.dropout_forward(W, 1.5, True, np.random.default_rng(0)), ValueError, "p"),
    (lambda: reg.dropout_forward(W, -0.1, True, np.random.default_rng(0)), ValueError, "p"),
    (lambda: reg.dropout_forward(W, float("nan"), True, np.random.default_rng(0)), ValueError,
     "p"),
    (lambda: reg.dropout_forward(W, 0.5, True, None), TypeError, "rng"),
    (lambda: reg.dropout_forward(W, 0.5, np.random.default_rng(0), None), TypeError, "train"),
    (lambda: reg.dropout_forward_unscaled(W, 2.0, True, None), ValueError, "p"),
    (lambda: reg.dropout_backward(np.ones((3, 2)), reg.dropout_forward(W, 0.5, False, None)[1]),
     ValueError, "dout"),
    (lambda: reg.dropout_backward(W, None), TypeError, "cache"),
    (lambda: reg.scale_weights_for_test(W, 1.2), ValueError, "p"),
    (lambda: reg.EarlyStopping(0), ValueError, "patience"),
    (lambda: reg.EarlyStopping(2.5), TypeError, "patience"),
    (lambda: reg.EarlyStopping(2, min_delta=-1.0), ValueError, "min_delta"),
    (lambda: reg.EarlyStopping(2).step("low"), TypeError, "val_loss"),
    (lambda: reg.EarlyStopping(2).step(0.5, params=[W]), TypeError, "params"),
]


@pytest.mark.parametrize("call, error, name", BAD_CALLS)
def test_bad_input_raises_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
