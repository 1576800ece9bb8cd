"""Tests of course_lib.optim: the update rules against torch.optim, the optimizer objects,
the mini-batch training loop, gradient descent and the learning-rate sweep."""
import numpy as np
import pytest
import torch

from course_lib import optim
from course_lib.regularization import EarlyStopping

SHAPES = [(3,), (2, 4), (2, 3, 2)]
NUM_STEPS = 12
RTOL, ATOL = 1e-10, 1e-12


def gradient_sequence(shape, seed, num_steps=NUM_STEPS):
    """A fixed sequence of gradients with varied scales and a few exact zeros."""
    gen = np.random.default_rng(seed)
    grads = []
    for t in range(num_steps):
        g = gen.standard_normal(shape) * 10.0 ** gen.uniform(-2, 1)
        g[gen.random(shape) < 0.15] = 0.0
        grads.append(g)
    return grads


def torch_run(opt_cls, w0, grads, state_names=(), **hyper):
    """Apply torch.optim step by step; return the parameters and named state after each step."""
    p = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float64))
    opt = opt_cls([p], **hyper)
    params, states = [], []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        params.append(p.detach().numpy().copy())
        states.append({k: opt.state[p][k].numpy().copy() for k in state_names})
    return params, states


def assert_close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


# ----------------------------------------------------------------------------------------------
# Update rules, step for step against torch.optim
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lr", [0.1, 0.01, 1.5])
def test_sgd_update_matches_torch(shape, lr):
    grads = gradient_sequence(shape, seed=1)
    w = np.random.default_rng(2).standard_normal(shape)
    expected, _ = torch_run(torch.optim.SGD, w, grads, lr=lr)
    for t, g in enumerate(grads):
        w = optim.sgd_update(w, g, lr)
        assert_close(w, expected[t], f"sgd_update differs from torch.optim.SGD at step {t + 1}")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lr, momentum", [(0.1, 0.9), (0.05, 0.5), (0.01, 0.0), (0.2, 0.99)])
def test_momentum_update_matches_torch(shape, lr, momentum):
    grads = gradient_sequence(shape, seed=3)
    w = np.random.default_rng(4).standard_normal(shape)
    v = np.zeros(shape)
    expected, states = torch_run(torch.optim.SGD, w, grads, ("momentum_buffer",) if momentum
                                 else (), lr=lr, momentum=momentum)
    for t, g in enumerate(grads):
        w, v = optim.momentum_update(w, g, v, lr, momentum)
        assert_close(w, expected[t], f"momentum_update: w differs from torch at step {t + 1}")
        if momentum:
            assert_close(v, states[t]["momentum_buffer"],
                         f"momentum_update: v differs from torch's momentum_buffer at step {t + 1}")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lr, eps", [(0.1, 1e-10), (0.5, 1e-6), (0.01, 0.1)])
def test_adagrad_update_matches_torch(shape, lr, eps):
    grads = gradient_sequence(shape, seed=5)
    w = np.random.default_rng(6).standard_normal(shape)
    cache = np.zeros(shape)
    expected, states = torch_run(torch.optim.Adagrad, w, grads, ("sum",), lr=lr, eps=eps,
                                 initial_accumulator_value=0.0)
    for t, g in enumerate(grads):
        w, cache = optim.adagrad_update(w, g, cache, lr, eps)
        assert_close(w, expected[t], f"adagrad_update: w differs from torch at step {t + 1}")
        assert_close(cache, states[t]["sum"], f"adagrad_update: cache differs at step {t + 1}")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lr, alpha, eps", [(0.01, 0.99, 1e-8), (0.1, 0.9, 1e-6),
                                            (0.001, 0.5, 1e-3)])
def test_rmsprop_update_matches_torch(shape, lr, alpha, eps):
    grads = gradient_sequence(shape, seed=7)
    w = np.random.default_rng(8).standard_normal(shape)
    cache = np.zeros(shape)
    expected, states = torch_run(torch.optim.RMSprop, w, grads, ("square_avg",), lr=lr,
                                 alpha=alpha, eps=eps)
    for t, g in enumerate(grads):
        w, cache = optim.rmsprop_update(w, g, cache, lr, alpha, eps)
        assert_close(w, expected[t], f"rmsprop_update: w differs from torch at step {t + 1}")
        assert_close(cache, states[t]["square_avg"],
                     f"rmsprop_update: cache differs from torch's square_avg at step {t + 1}")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lr, beta1, beta2, eps", [(1e-3, 0.9, 0.999, 1e-8),
                                                   (0.1, 0.5, 0.9, 1e-6),
                                                   (0.01, 0.0, 0.99, 1e-8)])
def test_adam_update_matches_torch(shape, lr, beta1, beta2, eps):
    grads = gradient_sequence(shape, seed=9)
    w = np.random.default_rng(10).standard_normal(shape)
    m, v = np.zeros(shape), np.zeros(shape)
    expected, states = torch_run(torch.optim.Adam, w, grads, ("exp_avg", "exp_avg_sq"), lr=lr,
                                 betas=(beta1, beta2), eps=eps)
    for t, g in enumerate(grads, start=1):
        w, m, v = optim.adam_update(w, g, m, v, t, lr, beta1, beta2, eps)
        assert_close(w, expected[t - 1], f"adam_update: w differs from torch at step {t}")
        assert_close(m, states[t - 1]["exp_avg"], f"adam_update: m differs at step {t}")
        assert_close(v, states[t - 1]["exp_avg_sq"], f"adam_update: v differs at step {t}")


def test_update_defaults_are_torchs():
    """Calling each rule with its default hyper-parameters equals torch's defaults."""
    shape = (2, 3)
    grads = gradient_sequence(shape, seed=11)
    w0 = np.random.default_rng(12).standard_normal(shape)
    lr = 0.05
    cases = [
        (torch.optim.Adagrad, lambda w, g, s, t: optim.adagrad_update(w, g, s[0], lr)),
        (torch.optim.RMSprop, lambda w, g, s, t: optim.rmsprop_update(w, g, s[0], lr)),
        (torch.optim.Adam, lambda w, g, s, t: optim.adam_update(w, g, s[0], s[1], t, lr)),
    ]
    for torch_cls, rule in cases:
        expected, _ = torch_run(torch_cls, w0, grads, lr=lr)
        w, state = w0, (np.zeros(shape), np.zeros(shape))
        for t, g in enumerate(grads, start=1):
            w, *state = rule(w, g, state, t)
        assert_close(w, expected[-1], f"defaults of {torch_cls.__name__} differ")


def test_notes_momentum_form_equals_torch_form_for_constant_lr():
    """[F4] movement = -lr dL/dw + momentum * previous movement; w <- w + movement."""
    grads = gradient_sequence((4,), seed=13)
    lr, mu = 0.1, 0.8
    w_notes = w = np.linspace(-1.0, 1.0, 4)
    movement, v = np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads):
        movement = -lr * g + mu * movement
        w_notes = w_notes + movement
        w, v = optim.momentum_update(w, g, v, lr, mu)
        assert_close(w, w_notes, f"momentum_update leaves the notes' trajectory at step {t + 1}")
        assert_close(-lr * v, movement, f"-lr * v is not the notes' movement at step {t + 1}")


def test_notes_adagrad_form_is_eps_zero():
    """[F3] w <- w - eta / sqrt(sum of g**2 so far) * g, including the current gradient."""
    grads = [g + 0.5 for g in gradient_sequence((5,), seed=14)]  # no zero gradients here
    eta = 0.3
    w_notes = w = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    cache, sum_sq = np.zeros(5), np.zeros(5)
    for t, g in enumerate(grads):
        sum_sq = sum_sq + g**2
        w_notes = w_notes - eta / np.sqrt(sum_sq) * g
        w, cache = optim.adagrad_update(w, g, cache, eta, eps=0.0)
        assert_close(w, w_notes, f"adagrad_update(eps=0) leaves the notes' form at step {t + 1}")


def test_zero_denominator_gives_zero_step():
    """With eps = 0 a coordinate that never had a gradient does not move (no 0/0)."""
    w = np.array([1.0, 2.0])
    g = np.array([0.0, 1.0])
    w1, _ = optim.adagrad_update(w, g, np.zeros(2), 0.1, eps=0.0)
    w2, _ = optim.rmsprop_update(w, g, np.zeros(2), 0.1, eps=0.0)
    w3, _, _ = optim.adam_update(w, g, np.zeros(2), np.zeros(2), 1, 0.1, eps=0.0)
    for name, w_new in [("adagrad", w1), ("rmsprop", w2), ("adam", w3)]:
        assert np.all(np.isfinite(w_new)), f"{name}_update gives a non-finite value for 0/0"
        assert abs(w_new[0] - 1.0) < 1e-15, f"{name}_update moves a coordinate with zero gradient"


def test_adam_first_step_has_size_lr():
    """By hand: at t = 1, m_hat = g and v_hat = g**2, so the step is lr * g / (|g| + eps)."""
    g = np.array([3.0, -0.002, 50.0])
    w, m, v = optim.adam_update(np.zeros(3), g, np.zeros(3), np.zeros(3), 1, 0.01, eps=0.0)
    np.testing.assert_allclose(w, [-0.01, 0.01, -0.01], rtol=1e-12,
                               err_msg="Adam's first step is not lr * sign(g)")
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-12, err_msg="m after one step is not 0.1 g")
    np.testing.assert_allclose(v, 0.001 * g**2, rtol=1e-12,
                               err_msg="v after one step is not 0.001 g**2")


RULE_CALLS = {
    "sgd": lambda w, g, s: optim.sgd_update(w, g, 0.1),
    "momentum": lambda w, g, s: optim.momentum_update(w, g, s, 0.1),
    "adagrad": lambda w, g, s: optim.adagrad_update(w, g, s, 0.1),
    "rmsprop": lambda w, g, s: optim.rmsprop_update(w, g, s, 0.1),
    "adam": lambda w, g, s: optim.adam_update(w, g, s, s, 2, 0.1),
}


@pytest.mark.parametrize("rule", sorted(RULE_CALLS))
def test_update_rules_do_not_modify_inputs(rule, rng):
    w, g = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    state = np.abs(rng.standard_normal((3, 2)))
    copies = [a.copy() for a in (w, g, state)]
    result = RULE_CALLS[rule](w, g, state)
    for name, before, after in zip(("w", "dw", "state"), copies, (w, g, state)):
        np.testing.assert_array_equal(after, before, err_msg=f"{rule} modified its input {name}")
    outputs = result if isinstance(result, tuple) else (result,)
    for out in outputs:
        assert not any(np.shares_memory(out, a) for a in (w, g, state)), \
            f"{rule} returns an array that shares memory with an input"


def test_float32_stays_float32():
    w = np.ones(3, dtype=np.float32)
    out = optim.adam_update(w, w, np.zeros(3, np.float32), np.zeros(3, np.float32), 1, 0.1)
    assert all(a.dtype == np.float32 for a in out), "float32 inputs should give float32 outputs"


# ----------------------------------------------------------------------------------------------
# Optimizer objects
# ----------------------------------------------------------------------------------------------
OPTIMIZER_PAIRS = [
    (lambda: optim.SGD(lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    (lambda: optim.Momentum(lr=0.05, momentum=0.9),
     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
    (lambda: optim.Adagrad(lr=0.2), lambda ps: torch.optim.Adagrad(ps, lr=0.2)),
    (lambda: optim.RMSprop(lr=0.01, alpha=0.9), lambda ps: torch.optim.RMSprop(ps, lr=0.01,
                                                                              alpha=0.9)),
    (lambda: optim.Adam(lr=0.05, beta1=0.8), lambda ps: torch.optim.Adam(ps, lr=0.05,
                                                                         betas=(0.8, 0.999))),
]


@pytest.mark.parametrize("make_ours, make_torch", OPTIMIZER_PAIRS)
def test_optimizer_classes_match_torch_on_a_least_squares_problem(make_ours, make_torch, rng):
    """Gradients that depend on the parameters: min ||X W + b - Y||^2 / N, autograd in torch."""
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    W0, b0 = rng.standard_normal((3, 2)), rng.standard_normal(2)
    Wt = torch.nn.Parameter(torch.tensor(W0))
    bt = torch.nn.Parameter(torch.tensor(b0))
    opt_t = make_torch([Wt, bt])
    params = {"W": W0.copy(), "b": b0.copy()}
    opt = make_ours()
    for t in range(NUM_STEPS):
        opt_t.zero_grad()
        loss_t = ((torch.tensor(X) @ Wt + bt - torch.tensor(Y)) ** 2).sum() / 8
        loss_t.backward()
        r = X @ params["W"] + params["b"] - Y
        grads = {"W": 2 * X.T @ r / 8, "b": 2 * r.sum(axis=0) / 8}
        opt_t.step()
        opt.step(params, grads)
        assert_close(params["W"], Wt.detach().numpy(), f"{type(opt).__name__}: W at step {t + 1}")
        assert_close(params["b"], bt.detach().numpy(), f"{type(opt).__name__}: b at step {t + 1}")


@pytest.mark.parametrize("make_ours, make_torch", OPTIMIZER_PAIRS)
def test_optimizer_step_rebinds_and_never_mutates(make_ours, make_torch, rng):
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    held = dict(params)
    copies = {k: v.copy() for k, v in params.items()}
    grads = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    grad_copies = {k: v.copy() for k, v in grads.items()}
    opt = make_ours()
    opt.step(params, grads)
    opt.step(params, grads)
    for k in params:
        assert params[k] is not held[k], f"step did not rebind params[{k!r}] to a new array"
        np.testing.assert_array_equal(held[k], copies[k],
                                      err_msg=f"step wrote into the caller's array params[{k!r}]")
        np.testing.assert_array_equal(grads[k], grad_copies[k],
                                      err_msg=f"step wrote into grads[{k!r}]")
        assert np.abs(params[k] - copies[k]).max() > 0, f"step did not change params[{k!r}]"


def test_optimizer_defaults_are_torchs():
    defaults = [(optim.SGD(), torch.optim.SGD), (optim.Momentum(), torch.optim.SGD),
                (optim.Adagrad(), torch.optim.Adagrad), (optim.RMSprop(), torch.optim.RMSprop),
                (optim.Adam(), torch.optim.Adam)]
    for ours, torch_cls in defaults:
        torch_lr = torch_cls([torch.nn.Parameter(torch.zeros(1))]).defaults["lr"]
        assert abs(ours.lr - torch_lr) < 1e-15, f"{type(ours).__name__} default lr {ours.lr} " \
                                                f"is not torch's {torch_lr}"


def test_bad_step_leaves_params_unchanged(rng):
    params = {"W": rng.standard_normal((2, 2)), "b": np.zeros(2)}
    before = dict(params)
    with pytest.raises(ValueError, match=r"params\['b'\]"):
        optim.SGD(lr=0.1).step(params, {"W": np.ones((2, 2)), "b": np.ones(3)})
    assert all(params[k] is before[k] for k in params), "a failed step changed params"


# ----------------------------------------------------------------------------------------------
# Mini-batch training [F1]
# ----------------------------------------------------------------------------------------------
class SoftmaxRegression:
    """A linear softmax classifier that follows the training protocol of course_lib.optim."""

    def __init__(self, num_features, num_classes, seed=0):
        gen = np.random.default_rng(seed)
        self.params = {"W": 0.01 * gen.standard_normal((num_features, num_classes)),
                       "b": np.zeros(num_classes)}

    def logits(self, X):
        return X @ self.params["W"] + self.params["b"]

    def loss_and_grads(self, X, y):
        z = self.logits(X)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        n = X.shape[0]
        loss = -np.mean(np.log(p[np.arange(n), y]))
        dz = p.copy()
        dz[np.arange(n), y] -= 1.0
        dz /= n
        return loss, {"W": X.T @ dz, "b": dz.sum(axis=0)}

    def predict(self, X):
        return np.argmax(self.logits(X), axis=1)


class RecordingModel(SoftmaxRegression):
    """Remembers the first feature (a sample id) of every batch it sees."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.seen = []

    def loss_and_grads(self, X, y):
        self.seen.append(X[:, 0].copy())
        return super().loss_and_grads(X, y)


def blobs(n_per_class, seed, spread=0.6):
    """Three well separated Gaussian blobs in 2-D."""
    gen = np.random.default_rng(seed)
    centers = np.array([[3.0, 0.0], [-3.0, 2.0], [0.0, -3.0]])
    X = np.concatenate([c + spread * gen.standard_normal((n_per_class, 2)) for c in centers])
    y = np.repeat(np.arange(3), n_per_class)
    return X, y


def test_softmax_regression_helper_matches_torch():
    """The test model itself is right: its loss and gradients equal torch's."""
    X, y = blobs(4, seed=1)
    model = SoftmaxRegression(2, 3, seed=2)
    loss, grads = model.loss_and_grads(X, y)
    W = torch.tensor(model.params["W"], requires_grad=True)
    b = torch.tensor(model.params["b"], requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(torch.tensor(X) @ W + b, torch.tensor(y))
    loss_t.backward()
    assert abs(loss - loss_t.item()) < 1e-12, "test model: loss differs from torch"
    assert_close(grads["W"], W.grad.numpy(), "test model: dW differs from torch")
    assert_close(grads["b"], b.grad.numpy(), "test model: db differs from torch")


@pytest.mark.parametrize("optimizer", [optim.SGD(lr=0.5), optim.Momentum(lr=0.1),
                                       optim.Adagrad(lr=0.5), optim.RMSprop(lr=0.02),
                                       optim.Adam(lr=0.05)], ids=lambda o: type(o).__name__)
def test_train_learns_a_separable_problem(optimizer, rng):
    X, y = blobs(30, seed=3)
    model = SoftmaxRegression(2, 3)
    optimizer.reset()
    history = optim.train(model, X, y, optimizer, batch_size=16, num_epochs=15, rng=rng)
    assert len(history.loss) == 15 and len(history.accuracy) == 15, \
        "history must have one loss and one accuracy per epoch"
    assert history.val_loss == [] and history.val_accuracy == [], \
        "without validation data val_loss and val_accuracy must stay empty"
    assert history.stopped_epoch is None, "stopped_epoch must be None without early stopping"
    assert history.loss[-1] < 0.5 * history.loss[0], \
        f"loss did not decrease enough: {history.loss[0]:.3f} -> {history.loss[-1]:.3f}"
    assert history.accuracy[-1] >= 0.95, \
        f"accuracy on a separable problem only {history.accuracy[-1]:.2f}"
    loss_now, _ = model.loss_and_grads(X, y)
    assert abs(history.loss[-1] - loss_now) < 1e-12, \
        "history.loss[-1] must be the training loss of the final parameters"


def test_train_tracks_validation(rng):
    X, y = blobs(20, seed=4)
    X_val, y_val = blobs(10, seed=5)
    model = SoftmaxRegression(2, 3)
    history = optim.train(model, X, y, optim.SGD(lr=0.3), batch_size=10, num_epochs=6, rng=rng,
                          X_val=X_val, y_val=y_val)
    assert len(history.val_loss) == 6 and len(history.val_accuracy) == 6, \
        "val_loss and val_accuracy need one entry per epoch"
    val_loss_now, _ = model.loss_and_grads(X_val, y_val)
    assert abs(history.val_loss[-1] - val_loss_now) < 1e-12, \
        "val_loss[-1] must be the validation loss of the final parameters"
    val_acc_now = np.mean(model.predict(X_val) == y_val)
    assert abs(history.val_accuracy[-1] - val_acc_now) < 1e-12, "val_accuracy[-1] is wrong"


def test_train_visits_every_sample_once_per_epoch(rng):
    n, batch_size, num_epochs = 50, 8, 3
    X = np.column_stack([np.arange(n, dtype=float), rng.standard_normal(n)])
    y = rng.integers(0, 3, size=n)
    model = RecordingModel(2, 3)
    optim.train(model, X, y, optim.SGD(lr=0.01), batch_size=batch_size, num_epochs=num_epochs,
                rng=rng)
    batches = [ids for ids in model.seen if len(ids) <= batch_size]
    per_epoch = -(-n // batch_size)
    assert len(batches) == per_epoch * num_epochs, \
        f"expected {per_epoch} mini-batches per epoch, got {len(batches) / num_epochs}"
    orders = []
    for e in range(num_epochs):
        ids = np.concatenate(batches[e * per_epoch:(e + 1) * per_epoch])
        np.testing.assert_array_equal(np.sort(ids), np.arange(n),
                                      err_msg=f"epoch {e} did not use every sample exactly once")
        orders.append(ids)
    assert not np.array_equal(orders[0], orders[1]), "the samples must be reshuffled every epoch"


def test_train_is_deterministic_for_a_seed():
    X, y = blobs(20, seed=6)

    def run(seed):
        model = SoftmaxRegression(2, 3)
        hist = optim.train(model, X, y, optim.Adam(lr=0.05), batch_size=7, num_epochs=4,
                           rng=np.random.default_rng(seed))
        return hist, model.params

    h1, p1 = run(7)
    h2, p2 = run(7)
    h3, _ = run(8)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-14, err_msg="same seed, other losses")
    np.testing.assert_allclose(p1["W"], p2["W"], rtol=1e-14, err_msg="same seed, other weights")
    assert np.abs(np.subtract(h1.loss, h3.loss)).max() > 1e-9, \
        "another seed should shuffle differently and give other losses"


def test_train_early_stopping_stops_and_restores_best_params(rng):
    X, y = blobs(20, seed=9)
    X_val, y_val = blobs(10, seed=10)
    y_val = (y_val + 1) % 3  # wrong labels: validation loss rises while training improves
    patience = 2
    es = EarlyStopping(patience=patience)
    model = SoftmaxRegression(2, 3, seed=11)
    history = optim.train(model, X, y, optim.SGD(lr=0.2), batch_size=10, num_epochs=30,
                          rng=np.random.default_rng(12), X_val=X_val, y_val=y_val,
                          early_stopping=es)
    assert history.stopped_epoch is not None, "training should have stopped early"
    assert history.stopped_epoch < 29, "training ran all its epochs"
    assert len(history.loss) == history.stopped_epoch + 1, \
        "history must end with the epoch after which training stopped"
    best = int(np.argmin(history.val_loss))
    assert es.best_epoch == best, f"best_epoch {es.best_epoch}, argmin of val_loss is {best}"
    assert history.stopped_epoch == best + patience, \
        f"with patience {patience} training should stop {patience} epochs after the best one"
    restored_val_loss, _ = model.loss_and_grads(X_val, y_val)
    assert abs(restored_val_loss - min(history.val_loss)) < 1e-12, \
        "after stopping, the model must hold the parameters with the best validation loss"
    # The same run stopped after the best epoch holds the same parameters.
    reference = SoftmaxRegression(2, 3, seed=11)
    optim.train(reference, X, y, optim.SGD(lr=0.2), batch_size=10, num_epochs=best + 1,
                rng=np.random.default_rng(12))
    for k in model.params:
        np.testing.assert_allclose(model.params[k], reference.params[k], rtol=1e-13,
                                   err_msg=f"restored params[{k!r}] are not the best epoch's")
        assert model.params[k] is not es.best_params[k], \
            "the model must get copies, not EarlyStopping's own arrays"


def test_train_without_improvement_window_runs_all_epochs(rng):
    X, y = blobs(15, seed=13)
    X_val, y_val = blobs(5, seed=14)
    history = optim.train(SoftmaxRegression(2, 3), X, y, optim.SGD(lr=0.1), batch_size=5,
                          num_epochs=5, rng=rng, X_val=X_val, y_val=y_val,
                          early_stopping=EarlyStopping(patience=10))
    assert history.stopped_epoch is None and len(history.loss) == 5, \
        "patience longer than training: no early stop"


# ----------------------------------------------------------------------------------------------
# Gradient descent [D10] and the learning rate [F2]
# ----------------------------------------------------------------------------------------------
def test_gradient_descent_on_a_quadratic_matches_closed_form():
    """f(x) = x^T A x / 2 has gradient A x, so x_t = (I - lr A)^t x0 (worked by hand)."""
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    x0 = np.array([1.0, -2.0])
    lr, steps = 0.3, 10
    traj = optim.gradient_descent(lambda x: A @ x, x0, lr, steps)
    assert traj.shape == (steps + 1, 2), f"trajectory shape {traj.shape}, expected (11, 2)"
    step_matrix = np.eye(2) - lr * A
    for t in range(steps + 1):
        np.testing.assert_allclose(traj[t], np.linalg.matrix_power(step_matrix, t) @ x0,
                                   rtol=1e-12, atol=1e-15, err_msg=f"x_{t} is wrong")
    np.testing.assert_array_equal(x0, [1.0, -2.0], err_msg="gradient_descent modified x0")


def test_gradient_descent_scalar_start():
    traj = optim.gradient_descent(lambda x: 2 * (x - 3.0), 0.0, 0.25, 3)
    np.testing.assert_allclose(traj, [0.0, 1.5, 2.25, 2.625], rtol=1e-12,
                               err_msg="x <- x - 0.25 * 2 (x - 3) from 0: 1.5, 2.25, 2.625")


def test_learning_rate_sweep_matches_hand_values():
    a, x0 = 2.0, 1.5
    lrs = [0.05, 0.4, 0.7, 1.2]
    losses = optim.learning_rate_sweep(lrs, num_steps=8, curvature=a, x0=x0)
    assert losses.shape == (4, 9), f"losses shape {losses.shape}, expected (4, 9)"
    t = np.arange(9)
    for i, lr in enumerate(lrs):
        expected = 0.5 * a * ((1 - lr * a) ** t * x0) ** 2
        np.testing.assert_allclose(losses[i], expected, rtol=1e-12,
                                   err_msg=f"losses for lr={lr} are not a/2 (1 - lr a)^(2t) x0^2")


def test_learning_rate_sweep_shows_the_three_regimes():
    small, good, oscillating, large, huge = 0.01, 0.5, 1.8, 2.5, 1e4
    losses = optim.learning_rate_sweep([small, good, oscillating, large, huge], num_steps=40)
    start = losses[:, 0]
    assert losses[1, -1] < 1e-10 * start[1], "a good learning rate should converge"
    assert losses[0, -1] > 0.4 * start[0], "a too-small learning rate should barely move"
    assert losses[0, -1] > 1e6 * losses[1, -1], "too small should be far slower than good"
    assert losses[2, -1] < 1e-2 * start[2], "lr between 1/a and 2/a oscillates but converges"
    assert np.all(np.diff(losses[3]) > 0), "lr > 2/a must increase the loss at every step"
    assert losses[3, -1] > 1e6 * start[3], "lr > 2/a must diverge"
    assert np.isinf(losses[4, -1]), "a diverged run is marked inf (and must not overflow)"


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------
W = np.ones((2, 3))
BAD_CALLS = [
    (lambda: optim.sgd_update(W, np.ones((3, 2)), 0.1), ValueError, "dw"),
    (lambda: optim.sgd_update(W, W, -0.1), ValueError, "lr"),
    (lambda: optim.sgd_update(W, W, "0.1"), TypeError, "lr"),
    (lambda: optim.sgd_update(W, W + 1j, 0.1), TypeError, "dw"),
    (lambda: optim.sgd_update(W * np.nan, W, 0.1), ValueError, "w"),
    (lambda: optim.sgd_update(W, W * np.inf, 0.1), ValueError, "dw"),
    (lambda: optim.momentum_update(W, W, np.ones(3), 0.1), ValueError, "v"),
    (lambda: optim.momentum_update(W, W, W, 0.1, momentum=-0.5), ValueError, "momentum"),
    (lambda: optim.adagrad_update(W, W, -W, 0.1), ValueError, "cache"),
    (lambda: optim.adagrad_update(W, W, W, 0.1, eps=-1.0), ValueError, "eps"),
    (lambda: optim.rmsprop_update(W, W, W, 0.1, alpha=1.5), ValueError, "alpha"),
    (lambda: optim.adam_update(W, W, W, W, 0, 0.1), ValueError, "t"),
    (lambda: optim.adam_update(W, W, W, W, 1.5, 0.1), TypeError, "t"),
    (lambda: optim.adam_update(W, W, W, W, 1, 0.1, beta1=1.0), ValueError, "beta1"),
    (lambda: optim.adam_update(W, W, W, W, 1, 0.1, beta2=-0.1), ValueError, "beta2"),
    (lambda: optim.adam_update(W, W, np.ones(2), W, 1, 0.1), ValueError, "m"),
    (lambda: optim.SGD(lr=-1.0), ValueError, "lr"),
    (lambda: optim.Adam(beta1=2.0), ValueError, "beta1"),
    (lambda: optim.SGD(0.1).step({"W": W}, {"V": W}), ValueError, "grads"),
    (lambda: optim.SGD(0.1).step([W], [W]), TypeError, "params"),
    (lambda: optim.gradient_descent(None, 1.0, 0.1, 3), TypeError, "grad_fn"),
    (lambda: optim.gradient_descent(lambda x: np.ones(3), 1.0, 0.1, 3), ValueError, "grad_fn"),
    (lambda: optim.gradient_descent(lambda x: x, 1.0, 0.1, -1), ValueError, "num_steps"),
    (lambda: optim.learning_rate_sweep([0.1], curvature=0.0), ValueError, "curvature"),
    (lambda: optim.learning_rate_sweep([]), ValueError, "lrs"),
    (lambda: optim.learning_rate_sweep([0.1, -0.1]), ValueError, r"lrs\[1\]"),
]


@pytest.mark.parametrize("call, error, name", BAD_CALLS)
def test_bad_input_raises_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


def _train_call(**changes):
    X, y = blobs(3, seed=0)
    kwargs = dict(model=SoftmaxRegression(2, 3), X=X, y=y, optimizer=optim.SGD(0.1),
                  batch_size=4, num_epochs=2, rng=np.random.default_rng(0))
    kwargs.update(changes)
    return lambda: optim.train(kwargs.pop("model"), kwargs.pop("X"), kwargs.pop("y"),
                               kwargs.pop("optimizer"), **kwargs)


BAD_TRAIN = [
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size=2.5), TypeError, "batch_size"),
    (dict(num_epochs=0), ValueError, "num_epochs"),
    (dict(rng=42), TypeError, "rng"),
    (dict(y=np.zeros(5, dtype=int)), ValueError, "y"),
    (dict(y=np.zeros((9, 1), dtype=int)), ValueError, "y"),
    (dict(model=object()), TypeError, "model"),
    (dict(optimizer="adam"), TypeError, "optimizer"),
    (dict(early_stopping=EarlyStopping(2)), ValueError, "early_stopping"),
    (dict(X_val=np.zeros((4, 2))), ValueError, "y_val"),
]


@pytest.mark.parametrize("changes, error, name", BAD_TRAIN)
def test_train_bad_input_raises_naming_the_argument(changes, error, name):
    with pytest.raises(error, match=name):
        _train_call(**changes)()
