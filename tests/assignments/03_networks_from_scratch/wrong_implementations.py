"""A student's wrong solution cell for every catalogued mistake of this assignment.

Keyed by (function, mistake name); each value is the source of a solution cell, run beside np,
math and the answer key's other functions (tests/assignments/test_mistake_hints.py). Each one is
the answer key's own cell with one change, so that it holds exactly one mistake; a cell that
uses the setup cell's given tools (ACTIVATIONS, softmax_cross_entropy) gets them first.
"""
from pathlib import Path

from tests.assignments.material import AnswerKeyCells

NOTEBOOK = (Path(__file__).resolve().parents[3] / "source" / "03_networks_from_scratch"
            / "networks_from_scratch.ipynb")
changed = AnswerKeyCells(NOTEBOOK, imports="import numpy as np\n").changed


WRONG = {
    ("affine_forward", "bias forgotten"): changed("affine_forward", ("x @ W + b", "x @ W")),
    ("affine_forward", "the notes' column form W x"):
        changed("affine_forward", ("x @ W + b", "x @ W.T + b")),
    ("affine_forward", "activation inside the dense layer"):
        changed("affine_forward", ("out = x @ W + b", "out = 1 / (1 + np.exp(-(x @ W + b)))")),
    ("affine_forward", "bias added along the wrong axis"):
        changed("affine_forward", ("x @ W + b", "x @ W + b.reshape(-1, 1)")),

    ("affine_backward", "dW without the transpose"):
        changed("affine_backward", ("dW = x.T @ dout", "dW = dout.T @ x")),
    ("affine_backward", "db as a mean"):
        changed("affine_backward", ("dout.sum(axis=0)", "dout.mean(axis=0)")),
    ("affine_backward", "db summed over the wrong axis"):
        changed("affine_backward", ("dout.sum(axis=0)", "dout.sum(axis=1)")),
    ("affine_backward", "dx = dout @ W instead of dout @ W.T"):
        changed("affine_backward", ("dout @ W.T", "dout @ W")),
    ("affine_backward", "every gradient divided by the batch size"):
        changed("affine_backward", ("return dx, dW, db", "n = len(x)\n    return dx / n, dW / n, db / n")),

    ("parameter_count", "bias forgotten"):
        changed("parameter_count", ("sum(d_out * d_in + d_out", "sum(d_out * d_in")),
    ("parameter_count", "one bias per input"):
        changed("parameter_count", ("sum(d_out * d_in + d_out", "sum(d_out * d_in + d_in")),
    ("parameter_count", "one bias per layer"):
        changed("parameter_count", ("sum(d_out * d_in + d_out", "sum(d_out * d_in + 1")),
    ("parameter_count", "units counted instead of parameters"):
        changed("parameter_count", ("sum(d_out * d_in + d_out", "sum(d_out")),

    ("two_layer_forward", "output sigmoid forgotten"):
        changed("two_layer_forward", ("return sigmoid(z2)[:, 0]", "return z2[:, 0]")),
    ("two_layer_forward", "hidden sigmoid forgotten"):
        changed("two_layer_forward", ("affine_forward(sigmoid(z1),", "affine_forward(z1,")),
    ("two_layer_forward", "shape (N, 1) instead of (N,)"):
        changed("two_layer_forward", ("sigmoid(z2)[:, 0]", "sigmoid(z2)")),

    ("xor_two_layer", "XOR weights that compute OR"):
        changed("xor_two_layer", ('"W2": np.array([[20.0], [-20.0]])', '"W2": np.array([[20.0], [0.0]])')),
    ("xor_two_layer", "XOR weights that compute AND"):
        changed("xor_two_layer", ('"W2": np.array([[20.0], [-20.0]])', '"W2": np.array([[0.0], [20.0]])')),
    ("xor_two_layer", "output inverted (XNOR)"):
        changed("xor_two_layer", ('"W2": np.array([[20.0], [-20.0]])', '"W2": np.array([[-20.0], [20.0]])'),
                ('"b2": np.array([-10.0])', '"b2": np.array([10.0])')),

    ("gate_neuron", "AND and OR swapped"):
        changed("gate_neuron", ('"and": (np.array([20.0, 20.0]), -30.0)', '"and": (np.array([20.0, 20.0]), -10.0)'),
                ('"or": (np.array([20.0, 20.0]), -10.0)', '"or": (np.array([20.0, 20.0]), -30.0)')),
    ("gate_neuron", "output inverted"):
        changed("gate_neuron", ("(X @ w + b)", "(-(X @ w + b))")),
    ("gate_neuron", "XOR weights that compute OR"):
        changed("gate_neuron", ("np.array([20.0, 20.0, -40.0])", "np.array([20.0, 20.0, 0.0])")),

    ("logistic_loss_and_grads", "the notes' sum instead of the mean"):
        changed("logistic_loss_and_grads", ("loss = np.mean(", "loss = np.sum("),
                ("dz = (p - y) / n", "dz = p - y")),
    ("logistic_loss_and_grads", "gradients not divided by the batch size"):
        changed("logistic_loss_and_grads", ("dz = (p - y) / n", "dz = p - y")),
    ("logistic_loss_and_grads", "the gradient with the wrong sign"):
        changed("logistic_loss_and_grads", ("dz = (p - y) / n", "dz = (y - p) / n")),
    ("logistic_loss_and_grads", "the sigmoid's derivative kept"):
        changed("logistic_loss_and_grads", ("dz = (p - y) / n", "dz = (p - y) * p * (1 - p) / n")),

    ("logistic_loss_and_grads", "the log of the sigmoid"):
        changed("logistic_loss_and_grads", ("loss = np.mean(np.logaddexp(0.0, z) - y * z)",
                                            "loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))")),

    ("linear_regression_gd", "gradient ascent: the wrong sign"):
        changed("linear_regression_gd", ("a - lr * grad_a, a0 - lr * grad_a0", "a + lr * grad_a, a0 + lr * grad_a0")),
    ("linear_regression_gd", "the factor 2 forgotten"):
        changed("linear_regression_gd", ("grad_a = -2.0 *", "grad_a = -1.0 *"),
                ("grad_a0 = -2.0 *", "grad_a0 = -1.0 *")),
    ("linear_regression_gd", "a0 updated with the new a"):
        changed("linear_regression_gd",
                ("            grad_a0 = -2.0 * np.mean(residual)\n            a, a0 = a - lr * grad_a, a0 - lr * grad_a0",
                 "            a = a - lr * grad_a\n            grad_a0 = -2.0 * np.mean(y - (a * x + a0))\n"
                 "            a0 = a0 - lr * grad_a0")),
    ("linear_regression_gd", "sum instead of mean"):  # summed everywhere, the loss too
        changed("linear_regression_gd", ("np.mean(residual ** 2)", "np.sum(residual ** 2)"),
                ("np.mean(residual * x)", "np.sum(residual * x)"),
                ("-2.0 * np.mean(residual)", "-2.0 * np.sum(residual)")),

    ("output_delta", "error the wrong way round"):
        changed("output_delta", ("e = d - phi(v)", "e = phi(v) - d")),
    ("output_delta", "phi(v) instead of phi'(v)"):
        changed("output_delta", ("return e * phi_grad(v)", "return e * phi(v)")),
    ("output_delta", "phi' left out"):
        changed("output_delta", ("return e * phi_grad(v)", "return e")),

    ("hidden_delta", "phi(s) instead of phi'(s)"):
        changed("hidden_delta", ("_, phi_grad = ACTIVATIONS[activation]", "phi, _ = ACTIVATIONS[activation]"),
                ("return phi_grad(s) *", "return phi(s) *")),
    ("hidden_delta", "W_next without the transpose"):
        changed("hidden_delta", ("delta_next @ W_next.T", "delta_next @ W_next")),
    ("hidden_delta", "phi' left out"):
        changed("hidden_delta", ("return phi_grad(s) * (delta_next @ W_next.T)", "return delta_next @ W_next.T")),

    ("delta_rule_update", "the update with the wrong sign"):
        changed("delta_rule_update", ("W + eta * np.outer(y, delta)", "W - eta * np.outer(y, delta)"),
                ("W + eta * (y.T @ delta)", "W - eta * (y.T @ delta)")),
    ("delta_rule_update", "the outer product transposed"):
        changed("delta_rule_update", ("np.outer(y, delta)", "np.outer(delta, y)"),
                ("(y.T @ delta)", "(delta.T @ y)")),
    ("delta_rule_update", "eta forgotten"):
        changed("delta_rule_update", ("W + eta * np.outer(y, delta)", "W + np.outer(y, delta)"),
                ("W + eta * (y.T @ delta)", "W + y.T @ delta")),

    ("network_backward", "phi(s) instead of phi'(s)"):
        changed("network_backward", ("hidden_delta(g, params[f\"W{l}\"], pre_activations[l - 2], activation)",
                                     "phi(pre_activations[l - 2]) * dx")),
    ("network_backward", "phi' at the layer's output"):
        changed("network_backward", ("hidden_delta(g, params[f\"W{l}\"], pre_activations[l - 2], activation)",
                                     "ACTIVATIONS[activation][1](phi(pre_activations[l - 2])) * dx")),
    ("network_backward", "gradients of the wrong sign"):
        changed("network_backward", ("return (loss, *(grads[key] for key in params))",
                                     "return (loss, *(-grads[key] for key in params))")),
    ("network_backward", "the output layer given the activation"):
        changed("network_backward", ("loss, g = softmax_cross_entropy(s, y)",
                                     "loss, g = softmax_cross_entropy(s, y)\n"
                                     "    g = g * ACTIVATIONS[activation][1](s)")),
    ("network_backward", "phi' left out"):
        changed("network_backward", ("g = hidden_delta(g, params[f\"W{l}\"], pre_activations[l - 2], activation)",
                                     "g = dx")),

    ("playground_features", "columns in the playground's order"):
        changed("playground_features", ("[table[name] for name in names]",
                                        "[table[name] for name in table if name in names]")),
    ("playground_features", "^ is not a power in Python"):
        changed("playground_features", ('"x1^2": x1 ** 2, "x2^2": x2 ** 2', '"x1^2": x1 ^ 2, "x2^2": x2 ^ 2')),
    ("playground_features", "sin of degrees"):
        changed("playground_features", ('"sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2)',
                                        '"sin(x1)": np.sin(np.radians(x1)), "sin(x2)": np.sin(np.radians(x2))')),

    ("train_test_split", "not shuffled"):
        changed("train_test_split", ("np.random.default_rng(seed).permutation(len(X))", "np.arange(len(X))")),
    ("train_test_split", "train_ratio taken as the test fraction"):
        changed("train_test_split", ("n_train = int(round(train_ratio * len(X)))",
                                     "n_train = len(X) - int(round(train_ratio * len(X)))")),
    ("train_test_split", "n_train truncated"):
        changed("train_test_split", ("int(round(train_ratio * len(X)))", "int(train_ratio * len(X))")),
    ("train_test_split", "train and test swapped"):
        changed("train_test_split", ("return X[train], y[train], X[test], y[test]",
                                     "return X[test], y[test], X[train], y[train]")),

    ("train_network", "the update with the wrong sign"):
        changed("train_network", ("params[key] - lr * grad", "params[key] + lr * grad")),
    ("train_network", "a new rng in every epoch"):
        changed("train_network", ("        order = rng.permutation(len(X))",
                                  "        rng = np.random.default_rng(seed)\n        order = rng.permutation(len(X))")),
    ("train_network", "not shuffled"):
        changed("train_network", ("order = rng.permutation(len(X))", "order = np.arange(len(X))")),
    ("train_network", "params changed in place"):
        changed("train_network", ("    params = {key: value.copy() for key, value in params.items()}\n", "")),
    ("train_network", "the loss of the last mini-batch"):
        changed("train_network", ("_, *grads = network_backward(", "batch_loss, *grads = network_backward("),
                ("losses.append(network_backward(X, y, params, activation)[0])", "losses.append(batch_loss)")),

    ("accuracy", "count instead of fraction"):
        changed("accuracy", ("float(np.mean(np.argmax(h, axis=1) == y))", "float(np.sum(np.argmax(h, axis=1) == y))")),
    ("accuracy", "error rate instead of accuracy"):
        changed("accuracy", ("np.argmax(h, axis=1) == y", "np.argmax(h, axis=1) != y")),
    ("accuracy", "tanh whatever the activation"):
        changed("accuracy", ("phi, _ = ACTIVATIONS[activation]", "phi = np.tanh")),
    ("accuracy", "class 1 where its score is positive"):
        changed("accuracy", ("np.argmax(h, axis=1) == y", "(h[:, 1] > 0) == y")),
}

# Wrong implementations whose one mistake also shows as a second, equally right hint on some
# check: (function, mistake) -> the other hints that are right for it, and why.
ALSO_RIGHT: dict = {}
