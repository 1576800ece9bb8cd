"""Tests of course_lib.layers against PyTorch (float64), finite differences and the notes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from course_lib.gradcheck import numerical_gradient
from course_lib.layers import (
    MLP,
    affine_backward,
    affine_forward,
    delta_rule_update,
    layer_shapes,
    linear_regression_gd,
    neuron_forward,
    parameter_count,
    two_layer_forward,
    xor_features,
    xor_network,
    xor_single_layer,
)

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda s: F.leaky_relu(s, 0.01),
    "elu": lambda s: F.elu(s, 1.0),
    "softplus": F.softplus,
}

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def tt(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


# ---- affine [A1] -----------------------------------------------------------------------------


def test_affine_matches_torch(rng):
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    out, cache = affine_forward(x, W, b)
    dx, dW, db = affine_backward(dout, cache)
    tx, tW, tb = tt(x), tt(W), tt(b)
    t_out = F.linear(tx, tW.T, tb)  # torch stores the notes' W (M, D); ours is its transpose
    (t_out * torch.from_numpy(dout)).sum().backward()
    np.testing.assert_allclose(
        out, t_out.detach().numpy(), rtol=1e-12, err_msg="affine forward vs torch"
    )
    for name, got, want in [("dx", dx, tx.grad), ("dW", dW, tW.grad), ("db", db, tb.grad)]:
        assert got.shape == want.shape, f"{name} shape {got.shape} vs {tuple(want.shape)}"
        np.testing.assert_allclose(
            got, want.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"affine {name} vs torch"
        )


def test_affine_backward_matches_finite_differences(rng):
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    dout = rng.standard_normal((3, 2))
    dx, dW, db = affine_backward(dout, affine_forward(x, W, b)[1])

    def loss(_):
        return float(np.sum(affine_forward(x, W, b)[0] * dout))

    for name, got, arr in [("dx", dx, x), ("dW", dW, W), ("db", db, b)]:
        np.testing.assert_allclose(
            got, numerical_gradient(loss, arr), rtol=1e-6, atol=1e-8, err_msg=f"{name} vs FD"
        )


def test_affine_does_not_modify_its_inputs(rng):
    x, W, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    copies = [a.copy() for a in (x, W, b)]
    _, cache = affine_forward(x, W, b)
    affine_backward(np.ones((2, 2)), cache)
    for name, a, c in zip("xWb", (x, W, b), copies):
        np.testing.assert_array_equal(a, c, err_msg=f"affine changed its argument {name}")


# ---- shapes and parameter counts [A3], [A4] --------------------------------------------------


def test_parameter_count_of_the_notes_network():
    assert (
        parameter_count([5, 10, 20, 3]) == 343
    ), "[A4] 5→10→20→3 has 60 + 220 + 63 = 343 parameters"
    per_layer = [w[0] * w[1] + b[0] for w, b in layer_shapes([5, 10, 20, 3])]
    assert per_layer == [60, 220, 63], f"[A4] per-layer counts, got {per_layer}"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=2, max_size=5))
def test_parameter_count_matches_torch(sizes):
    layers = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(d_in, d_out), torch.nn.ReLU()]
    want = sum(p.numel() for p in torch.nn.Sequential(*layers).parameters())
    assert parameter_count(sizes) == want, f"parameter_count({sizes}) vs torch {want}"


def test_layer_shapes_are_the_notes_example_transposed():
    [(w_shape, b_shape)] = layer_shapes([5, 3])
    linear = torch.nn.Linear(5, 3)
    assert w_shape == tuple(
        linear.weight.T.shape
    ), f"[A3] W (5, 3) = notes' (3×5) transposed, got {w_shape}"
    assert b_shape == tuple(linear.bias.shape), f"[A3] b (3,), got {b_shape}"
    out, _ = affine_forward(np.zeros((1, 5)), np.zeros(w_shape), np.zeros(b_shape))
    assert out.shape == (1, 3), f"[A3] one example gives z of 3 values, got {out.shape}"


# ---- MLP [D6], [D8] --------------------------------------------------------------------------


def torch_mlp_loss(model, X, y, activation):
    """The same network in torch; returns the loss and the torch parameters."""
    tp = {k: tt(v) for k, v in model.params.items()}
    h = torch.from_numpy(X)
    L = model.num_layers
    for l in range(1, L + 1):
        s = h @ tp[f"W{l}"] + tp[f"b{l}"]
        h = TORCH_ACTIVATIONS[activation](s) if l < L else s
    if model.loss == "cross_entropy":
        loss = F.cross_entropy(h, torch.from_numpy(y))
    else:
        loss = F.mse_loss(h, torch.from_numpy(y.reshape(h.shape)))
    return loss, tp, h


@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
def test_mlp_loss_and_grads_match_torch(activation, rng):
    model = MLP([4, 6, 5, 3], activation, rng, init="xavier")
    X, y = rng.standard_normal((7, 4)), rng.integers(0, 3, size=7)
    loss, grads = model.loss_and_grads(X, y)
    t_loss, tp, t_scores = torch_mlp_loss(model, X, y, activation)
    t_loss.backward()
    assert loss == pytest.approx(
        t_loss.item(), rel=1e-12
    ), f"{activation}: loss vs torch cross_entropy"
    np.testing.assert_allclose(
        model.scores(X), t_scores.detach().numpy(), rtol=1e-12, err_msg="scores vs torch"
    )
    np.testing.assert_array_equal(
        model.predict(X),
        t_scores.argmax(dim=1).numpy(),
        err_msg="predict must be the arg-max class",
    )
    assert list(grads) == ["W1", "b1", "W2", "b2", "W3", "b3"], f"grads keys: {list(grads)}"
    for key, g in grads.items():
        assert (
            g.shape == model.params[key].shape
        ), f"{key}: grad shape {g.shape} vs param {model.params[key].shape}"
        np.testing.assert_allclose(
            g, tp[key].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"{activation}: {key}"
        )


def test_mlp_mse_matches_torch(rng):
    model = MLP([3, 5, 1], "tanh", rng, loss="mse")
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    loss, grads = model.loss_and_grads(X, y)
    t_loss, tp, t_out = torch_mlp_loss(model, X, y, "tanh")
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12), "mse loss vs torch"
    pred = model.predict(X)
    assert pred.shape == (6,), f"regression with one output predicts (N,), got {pred.shape}"
    np.testing.assert_allclose(
        pred, t_out.detach().numpy()[:, 0], rtol=1e-12, err_msg="regression predict"
    )
    for key, g in grads.items():
        np.testing.assert_allclose(
            g, tp[key].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"mse: {key}"
        )


def test_mlp_grads_match_finite_differences(rng):
    model = MLP([3, 4, 2], "sigmoid", rng, init="normal")
    X, y = rng.standard_normal((5, 3)), rng.integers(0, 2, size=5)
    _, grads = model.loss_and_grads(X, y)
    for key, param in model.params.items():
        num = numerical_gradient(lambda _: model.loss_and_grads(X, y)[0], param)
        np.testing.assert_allclose(
            grads[key], num, rtol=1e-6, atol=1e-8, err_msg=f"{key} vs finite differences"
        )


def test_mlp_initialization(rng):
    he = MLP([4, 3, 2], "relu", np.random.default_rng(5))
    again = MLP([4, 3, 2], "relu", np.random.default_rng(5))
    assert {k: v.shape for k, v in he.params.items()} == {
        "W1": (4, 3),
        "b1": (3,),
        "W2": (3, 2),
        "b2": (2,),
    }, "shapes"
    for k in he.params:
        np.testing.assert_array_equal(he.params[k], again.params[k], err_msg=f"same seed, same {k}")
    assert not he.params["b1"].any(), "He initialization starts the biases at 0"
    normal = MLP([4, 3, 2], "relu", rng, init="normal")
    assert normal.params["b1"].any(), "[E6] the notes draw the biases from N(0, 1) too"


def test_mlp_reads_params_on_every_call_and_changes_no_input(rng):
    model = MLP([2, 3, 2], "tanh", rng)
    X, y = rng.standard_normal((4, 2)), np.array([0, 1, 1, 0])
    X0, y0, p0 = X.copy(), y.copy(), {k: v.copy() for k, v in model.params.items()}
    loss, grads = model.loss_and_grads(X, y)
    np.testing.assert_array_equal(X, X0, err_msg="loss_and_grads changed X")
    np.testing.assert_array_equal(y, y0, err_msg="loss_and_grads changed y")
    for k in p0:
        np.testing.assert_array_equal(
            model.params[k], p0[k], err_msg=f"loss_and_grads changed params[{k!r}]"
        )
    for k in model.params:  # one plain gradient step, as a training loop does it
        model.params[k] = model.params[k] - 0.1 * grads[k]
    assert (
        model.loss_and_grads(X, y)[0] < loss
    ), "a small step against the gradient must lower the loss"


def test_mlp_learns_xor():
    model = MLP([2, 8, 2], "tanh", np.random.default_rng(0), init="xavier")
    for _ in range(300):
        _, grads = model.loss_and_grads(XOR_X, XOR_Y)
        for k in model.params:
            model.params[k] -= 0.5 * grads[k]
    np.testing.assert_array_equal(
        model.predict(XOR_X), XOR_Y, err_msg="a trained 2-8-2 tanh MLP must fit XOR"
    )


# ---- delta rule [D7] -------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [False, True])
def test_delta_rule_is_gradient_descent_on_half_squared_error(batch, rng):
    W = rng.standard_normal((3, 2))
    y_in = rng.standard_normal((4, 3)) if batch else rng.standard_normal(3)
    d = rng.random((4, 2)) if batch else rng.random(2)
    eta = 0.3
    # Output units v = y W, o = σ(v); e = d − o; δ = e σ'(v) [D6].
    v = y_in @ W
    o = 1 / (1 + np.exp(-v))
    delta = (d - o) * o * (1 - o)
    W_before = W.copy()
    W_new = delta_rule_update(W, delta, y_in, eta)
    tW = tt(W)
    t_out = torch.sigmoid(torch.from_numpy(y_in) @ tW)
    (0.5 * ((torch.from_numpy(d) - t_out) ** 2).sum()).backward()
    np.testing.assert_allclose(
        W_new, W - eta * tW.grad.numpy(), rtol=1e-12, err_msg="[D7] W + η yᵀδ = W − η ∂L/∂W"
    )
    np.testing.assert_array_equal(W, W_before, err_msg="delta_rule_update changed W in place")


# ---- linear regression [D9] ------------------------------------------------------------------


def test_linear_regression_converges_to_least_squares(rng):
    x = rng.uniform(-2, 2, size=30)
    y = 1.7 * x - 0.4 + 0.1 * rng.standard_normal(30)
    history = linear_regression_gd(x, y, lr=0.1, num_steps=500)
    (a, a0), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    assert history.shape == (501, 3), f"history shape {history.shape}"
    np.testing.assert_allclose(
        history[-1, :2], [a, a0], atol=1e-8, err_msg="[D9] gradient descent vs lstsq"
    )
    assert np.all(np.diff(history[:, 2]) <= 1e-15), "with a small step the loss never rises"


def test_linear_regression_steps_match_torch(rng):
    x, y = rng.standard_normal(8), rng.standard_normal(8)
    history = linear_regression_gd(x, y, lr=0.05, num_steps=3, a=0.5, a0=-0.2)
    a, a0 = tt(0.5), tt(-0.2)
    for t in range(4):
        loss = ((torch.from_numpy(y) - (a * torch.from_numpy(x) + a0)) ** 2).mean()
        np.testing.assert_allclose(
            history[t], [a.item(), a0.item(), loss.item()], rtol=1e-12, err_msg=f"step {t}"
        )
        loss.backward()
        with torch.no_grad():
            a -= 0.05 * a.grad
            a0 -= 0.05 * a0.grad
        a.grad, a0.grad = None, None


def test_linear_regression_diverges_quietly_with_a_large_step(rng):
    x, y = rng.standard_normal(10) * 3, rng.standard_normal(10)
    history = linear_regression_gd(x, y, lr=5.0, num_steps=400)  # no RuntimeWarning allowed
    assert (
        not np.isfinite(history[-1, 2]) or history[-1, 2] > 1e100
    ), "[F2] a too large step must diverge"


# ---- XOR [A6] --------------------------------------------------------------------------------


def test_xor_network_truth_table():
    p = two_layer_forward(XOR_X, xor_network())
    np.testing.assert_allclose(
        p, XOR_Y, atol=1e-3, err_msg="[A6] the 2-layer network must compute XOR"
    )
    params = xor_network()
    t_hidden = torch.sigmoid(
        torch.from_numpy(XOR_X) @ torch.from_numpy(params["W1"]) + torch.from_numpy(params["b1"])
    )
    t_out = torch.sigmoid(
        t_hidden @ torch.from_numpy(params["W2"]) + torch.from_numpy(params["b2"])
    )
    np.testing.assert_allclose(
        p, t_out.numpy()[:, 0], rtol=1e-12, err_msg="two_layer_forward vs torch"
    )


def test_xor_hidden_units_are_or_and_and():
    params = xor_network()
    h_or = neuron_forward(XOR_X, params["W1"][:, 0], params["b1"][0])
    h_and = neuron_forward(XOR_X, params["W1"][:, 1], params["b1"][1])
    np.testing.assert_allclose(h_or, [0, 1, 1, 1], atol=1e-3, err_msg="[A6] hidden unit 1 is OR")
    np.testing.assert_allclose(h_and, [0, 0, 0, 1], atol=1e-3, err_msg="[A6] hidden unit 2 is AND")


def test_one_neuron_computes_xor_only_with_the_product_feature():
    w, b = xor_single_layer()
    p = neuron_forward(xor_features(XOR_X), w, b)
    np.testing.assert_allclose(
        p, XOR_Y, atol=1e-3, err_msg="[A6] σ(20x1 + 20x2 − 40x1x2 − 10) is XOR"
    )
    raw = LogisticRegression(C=1e6).fit(XOR_X, XOR_Y).score(XOR_X, XOR_Y)
    extra = (
        LogisticRegression(C=1e6).fit(xor_features(XOR_X), XOR_Y).score(xor_features(XOR_X), XOR_Y)
    )
    assert raw < 1.0, f"no linear model separates XOR on x1, x2 (accuracy {raw})"
    assert extra == pytest.approx(
        1.0
    ), f"with x1·x2 a linear model separates XOR (accuracy {extra})"


# ---- bad input -------------------------------------------------------------------------------


def test_bad_input_raises_with_the_argument_named(rng):
    x, W, b = np.zeros((2, 3)), np.zeros((3, 4)), np.zeros(4)
    with pytest.raises(ValueError, match="x must be 2-D"):
        affine_forward(np.zeros(3), W, b)
    with pytest.raises(ValueError, match="W expects D = 3"):
        affine_forward(np.zeros((2, 5)), W, b)
    with pytest.raises(ValueError, match="b must have shape"):
        affine_forward(x, W, np.zeros(3))
    with pytest.raises(TypeError, match="W must hold real numbers"):
        affine_forward(x, W.astype(str), b)
    with pytest.raises(ValueError, match="x contains NaN"):
        affine_forward(np.full((2, 3), np.nan), W, b)
    with pytest.raises(ValueError, match="dout must have"):
        affine_backward(np.zeros((2, 5)), affine_forward(x, W, b)[1])
    with pytest.raises(ValueError, match="layer_sizes"):
        parameter_count([5])
    with pytest.raises(TypeError, match="layer_sizes"):
        parameter_count([5, 2.5])
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP([2, 2], "swish", rng)
    with pytest.raises(ValueError, match="init must be one of"):
        MLP([2, 2], "relu", rng, init="glorot")
    with pytest.raises(ValueError, match="loss must be one of"):
        MLP([2, 2], "relu", rng, loss="hinge")
    with pytest.raises(TypeError, match="rng"):
        MLP([2, 2], "relu", 0)
    model = MLP([2, 3, 2], "relu", rng)
    with pytest.raises(ValueError, match="X must have D = 2"):
        model.loss_and_grads(np.zeros((4, 3)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="y must hold N = 4"):
        model.loss_and_grads(np.zeros((4, 2)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="y must have shape"):
        MLP([2, 1], "relu", rng, loss="mse").loss_and_grads(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="delta and y"):
        delta_rule_update(np.zeros((3, 2)), np.zeros(2), np.zeros((1, 3)), 0.1)
    with pytest.raises(ValueError, match="eta must be"):
        delta_rule_update(np.zeros((3, 2)), np.zeros(2), np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="x and y must have the same"):
        linear_regression_gd(np.zeros(3), np.zeros(4), 0.1, 10)
    with pytest.raises(ValueError, match="num_steps"):
        linear_regression_gd(np.zeros(3), np.zeros(3), 0.1, -1)
    with pytest.raises(ValueError, match="X must have 2 columns"):
        xor_features(np.zeros((4, 3)))
