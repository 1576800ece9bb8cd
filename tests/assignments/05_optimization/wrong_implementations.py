"""A student's wrong solution cell for every catalogued mistake of this assignment.

Keyed by (function, mistake name); each value is the source of a solution cell, run beside np,
math and the answer key's other functions (tests/assignments/test_mistake_hints.py). Each one is
the answer key's own cell with one change, so that it holds exactly one mistake; every cell gets
the setup cell's given tools (ACTIVATIONS, softmax_cross_entropy, loss_and_grads, accuracy)
first. A generator function (the mini-batch iterator) is checked through epochs_check, as the
notebook's test cells check it.
"""
from pathlib import Path

from tests.assignments.material import AnswerKeyCells

NOTEBOOK = (Path(__file__).resolve().parents[3] / "source" / "05_optimization"
            / "optimization.ipynb")
changed = AnswerKeyCells(NOTEBOOK, imports="import math\n\nimport numpy as np\n").changed


_ADAM_BLOCK = ("m_new = beta1 * m + (1.0 - beta1) * dw\n    v_new = beta2 * v + (1.0 - beta2) * dw ** 2\n"
               "    m_hat = m_new / (1.0 - beta1 ** t)\n    v_hat = v_new / (1.0 - beta2 ** t)")
_TRAIN_T = "            t += 1\n            _, grads"

WRONG = {
    ("sgd_update", "the step with the wrong sign"):
        changed("gradient_descent", ("return w - lr * dw", "return w + lr * dw")),
    ("sgd_update", "the learning rate left out"):
        changed("gradient_descent", ("return w - lr * dw", "return w - dw")),
    ("sgd_update", "changed the input in place"):
        changed("gradient_descent", ("return w - lr * dw", "w -= lr * dw\n    return w")),

    ("gradient_descent", "x0 left out of the trajectory"):
        changed("gradient_descent", ("points = [x]", "points = []")),
    ("gradient_descent", "the gradient of x0 at every step"):
        changed("gradient_descent", ("    for _ in range(num_steps):\n        x = sgd_update(x, grad_fn(x), lr)",
                                     "    g0 = grad_fn(x)\n    for _ in range(num_steps):\n        x = sgd_update(x, g0, lr)")),
    ("gradient_descent", "the step with the wrong sign"):
        changed("gradient_descent", ("sgd_update(x, grad_fn(x), lr)", "x + lr * grad_fn(x)")),
    ("gradient_descent", "changed the input in place"):
        changed("gradient_descent", ("x = np.array(x0, dtype=float)", "x = np.asarray(x0, dtype=float)"),
                ("x = sgd_update(x, grad_fn(x), lr)\n        points.append(x)",
                 "x -= lr * grad_fn(x)\n        points.append(x.copy())")),
    ("gradient_descent", "every point the same array"):
        changed("gradient_descent", ("x = sgd_update(x, grad_fn(x), lr)", "x -= lr * grad_fn(x)")),

    ("iterate_minibatches", "the last batch dropped"):
        changed("iterate_minibatches", ("range(0, len(X), batch_size)",
                                        "range(0, len(X) - batch_size + 1, batch_size)")),
    ("iterate_minibatches", "reshuffled every batch"):
        changed("iterate_minibatches",
                ("    order = rng.permutation(len(X))\n    for start in range(0, len(X), batch_size):\n",
                 "    for start in range(0, len(X), batch_size):\n        order = rng.permutation(len(X))\n")),
    ("iterate_minibatches", "not shuffled"):
        changed("iterate_minibatches", ("rng.permutation(len(X))", "np.arange(len(X))")),
    ("iterate_minibatches", "X and y shuffled apart"):
        changed("iterate_minibatches",
                ("    order = rng.permutation(len(X))\n",
                 "    order = rng.permutation(len(X))\n    order_y = rng.permutation(len(X))\n"),
                ("y[idx]", "y[order_y[start:start + batch_size]]")),
    ("iterate_minibatches", "an order not drawn from the given rng"):
        changed("iterate_minibatches", ("rng.permutation(len(X))", "np.random.permutation(len(X))")),

    ("learning_rate_sweep", "divergence not detected"):
        changed("learning_rate_sweep",
                ("            if abs(x) > 1e100:\n                break  # diverged: the rest of the row stays inf\n", "")),
    ("learning_rate_sweep", "OverflowError in a diverging run"):
        changed("learning_rate_sweep",
                ("            if abs(x) > 1e100:\n                break  # diverged: the rest of the row stays inf\n", "")),
    ("learning_rate_sweep", "overflow in a diverging run"):
        changed("learning_rate_sweep",
                ("x = float(x0)", "x = np.float64(x0)"),
                ("            if abs(x) > 1e100:\n                break  # diverged: the rest of the row stays inf\n", "")),
    ("learning_rate_sweep", "the loss tested against 1e100"):
        changed("learning_rate_sweep",
                ("            if abs(x) > 1e100:\n                break  # diverged: the rest of the row stays inf\n"
                 "            losses[i, t] = 0.5 * curvature * x ** 2\n",
                 "            loss = 0.5 * curvature * x ** 2\n            if loss > 1e100:\n"
                 "                break\n            losses[i, t] = loss\n")),
    ("learning_rate_sweep", "the point instead of the loss"):
        changed("learning_rate_sweep", ("losses[i, 0] = 0.5 * curvature * x ** 2", "losses[i, 0] = x"),
                ("losses[i, t] = 0.5 * curvature * x ** 2", "losses[i, t] = x")),
    ("learning_rate_sweep", "the 1/2 left out"):
        changed("learning_rate_sweep", ("losses[i, 0] = 0.5 * curvature", "losses[i, 0] = curvature"),
                ("losses[i, t] = 0.5 * curvature", "losses[i, t] = curvature")),
    ("learning_rate_sweep", "the curvature left out of the gradient"):
        changed("learning_rate_sweep", ("x = x - lr * curvature * x", "x = x - lr * x")),
    ("learning_rate_sweep", "the starting loss left out"):
        changed("learning_rate_sweep", ("return losses", "return losses[:, 1:]")),

    ("momentum_update", "momentum with the wrong sign"):
        changed("momentum_update", ("momentum * v + dw", "momentum * v - dw")),
    ("momentum_update", "the notes' movement as the state"):
        changed("momentum_update", ("v_new = momentum * v + dw\n    return w - lr * v_new, v_new",
                                    "m_new = momentum * v - lr * dw\n    return w + m_new, m_new")),
    ("momentum_update", "lr inside the velocity"):
        changed("momentum_update", ("v_new = momentum * v + dw\n    return w - lr * v_new, v_new",
                                    "v_new = momentum * v + lr * dw\n    return w - v_new, v_new")),
    ("momentum_update", "the gradient scaled by 1 - momentum"):
        changed("momentum_update", ("momentum * v + dw", "momentum * v + (1 - momentum) * dw")),
    ("momentum_update", "the momentum factor left out"):
        changed("momentum_update", ("momentum * v + dw", "v + dw")),
    ("momentum_update", "the step with the old velocity"):
        changed("momentum_update", ("v_new = momentum * v + dw\n    return w - lr * v_new, v_new",
                                    "w_new = w - lr * v\n    v = momentum * v + dw\n    return w_new, v")),
    ("momentum_update", "the state changed in place"):
        changed("momentum_update", ("v_new = momentum * v + dw\n    return w - lr * v_new, v_new",
                                    "v *= momentum\n    v += dw\n    return w - lr * v")),

    ("adagrad_update", "the gradients summed, not their squares"):
        changed("adagrad_update", ("cache + dw ** 2", "cache + dw")),
    ("adagrad_update", "the square root missing"):
        changed("adagrad_update", ("np.sqrt(cache_new) + eps", "cache_new + eps")),
    ("adagrad_update", "eps inside the square root"):
        changed("adagrad_update", ("np.sqrt(cache_new) + eps", "np.sqrt(cache_new + eps)")),
    ("adagrad_update", "the current gradient left out of the sum"):
        changed("adagrad_update", ("dw / (np.sqrt(cache_new) + eps)", "dw / (np.sqrt(cache) + eps)")),
    ("adagrad_update", "the state changed in place"):
        changed("adagrad_update", ("cache_new = cache + dw ** 2", "cache += dw ** 2\n    cache_new = cache")),

    ("rmsprop_update", "alpha and 1 - alpha swapped"):
        changed("rmsprop_and_adam", ("alpha * cache + (1.0 - alpha) * dw ** 2",
                                     "(1.0 - alpha) * cache + alpha * dw ** 2")),
    ("rmsprop_update", "the square root missing"):
        changed("rmsprop_and_adam", ("np.sqrt(cache_new) + eps", "cache_new + eps")),
    ("rmsprop_update", "eps inside the square root"):
        changed("rmsprop_and_adam", ("np.sqrt(cache_new) + eps", "np.sqrt(cache_new + eps)")),
    ("rmsprop_update", "Adagrad's sum instead of the average"):
        changed("rmsprop_and_adam", ("alpha * cache + (1.0 - alpha) * dw ** 2", "cache + dw ** 2")),
    ("rmsprop_update", "the old cache in the step"):
        changed("rmsprop_and_adam", ("return w - lr * dw / (np.sqrt(cache_new) + eps), cache_new",
                                     "return w - lr * dw / (np.sqrt(cache) + eps), cache_new")),
    ("rmsprop_update", "the state changed in place"):
        changed("rmsprop_and_adam", ("cache_new = alpha * cache + (1.0 - alpha) * dw ** 2",
                                     "cache *= alpha\n    cache += (1.0 - alpha) * dw ** 2\n    cache_new = cache")),

    ("adam_update", "no bias correction"):
        changed("rmsprop_and_adam", ("m_hat = m_new / (1.0 - beta1 ** t)\n    v_hat = v_new / (1.0 - beta2 ** t)",
                                     "m_hat = m_new\n    v_hat = v_new")),
    ("adam_update", "the step counter starting at 0"):
        changed("rmsprop_and_adam", ("beta1 ** t)", "beta1 ** (t + 1))"), ("beta2 ** t)", "beta2 ** (t + 1))")),
    ("adam_update", "eps inside the square root"):
        changed("rmsprop_and_adam", ("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)")),
    ("adam_update", "the square root missing"):
        changed("rmsprop_and_adam", ("np.sqrt(v_hat) + eps", "v_hat + eps")),
    ("adam_update", "m without 1 - beta1"):
        changed("rmsprop_and_adam", ("beta1 * m + (1.0 - beta1) * dw", "beta1 * m + dw")),
    ("adam_update", "beta1 and beta2 swapped"):
        changed("rmsprop_and_adam", (_ADAM_BLOCK, _ADAM_BLOCK.replace("beta1", "BETA").replace("beta2", "beta1")
                                     .replace("BETA", "beta2"))),
    ("adam_update", "the corrected moments returned as the state"):
        changed("rmsprop_and_adam", ("return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new",
                                     "return w - lr * m_hat / (np.sqrt(v_hat) + eps), m_hat, v_hat")),
    ("adam_update", "the state changed in place"):
        changed("rmsprop_and_adam", ("m_new = beta1 * m + (1.0 - beta1) * dw\n    v_new = beta2 * v + (1.0 - beta2) * dw ** 2",
                                     "m *= beta1\n    m += (1.0 - beta1) * dw\n    v *= beta2\n"
                                     "    v += (1.0 - beta2) * dw ** 2\n    m_new, v_new = m, v")),

    ("train_network", "the state reset every epoch"):
        changed("train_network", ("    for _ in range(num_epochs):\n        for X_batch",
                                  "    for _ in range(num_epochs):\n        states = {key: [np.zeros_like(value) for _ in "
                                  "range(num_states)] for key, value in params.items()}\n        t = 0\n        for X_batch")),
    ("train_network", "Adam's step counter starting at 0"):
        changed("train_network", (_TRAIN_T, "            _, grads"),
                ("        losses.append(loss_and_grads(X, y, params, activation)[0])",
                 "            t += 1\n        losses.append(loss_and_grads(X, y, params, activation)[0])")),
    ("train_network", "t counted per parameter"):
        changed("train_network", (_TRAIN_T, "            _, grads"),
                ("                w, dw, state = params[key], grads[key], states[key]\n",
                 "                t += 1\n                w, dw, state = params[key], grads[key], states[key]\n")),
    ("train_network", "a new generator every epoch"):
        changed("train_network", ("    rng = np.random.default_rng(seed)\n", ""),
                ("    for _ in range(num_epochs):\n", "    for _ in range(num_epochs):\n        rng = np.random.default_rng(seed)\n")),
    ("train_network", "the loss of the last batch"):
        changed("train_network", ("_, grads = loss_and_grads(X_batch", "batch_loss, grads = loss_and_grads(X_batch"),
                ("losses.append(loss_and_grads(X, y, params, activation)[0])", "losses.append(batch_loss)")),
    ("train_network", "Adam's t restarted every epoch"):
        changed("train_network", ("    for _ in range(num_epochs):\n        for X_batch",
                                  "    for _ in range(num_epochs):\n        t = 0\n        for X_batch")),
    ("train_network", "the state made anew for every batch"):
        changed("train_network", ("            t += 1\n",
                                  "            t += 1\n            states = {key: [np.zeros_like(value) for _ in "
                                  "range(num_states)] for key, value in params.items()}\n")),
}

_DIVERGENCE = {"divergence not detected", "overflow in a diverging run", "OverflowError in a diverging run"}
#: A run without the divergence check is right to get each of these hints: the finite losses where
#: inf is expected on a short run, the overflow on a long one.
ALSO_RIGHT = {("learning_rate_sweep", name): _DIVERGENCE - {name} for name in _DIVERGENCE}
