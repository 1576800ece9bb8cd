"""A student's wrong solution cell for every catalogued mistake of this assignment.

Keyed by (function, mistake name); each value is the source of a solution cell, run beside np,
math and the answer key's other functions (tests/assignments/test_mistake_hints.py). Each one is
the answer key's own cell with one change, so that it holds exactly one mistake; every cell gets
the setup cell's given tools (ACTIVATIONS, softmax_cross_entropy) first.
"""
from pathlib import Path

from tests.assignments.material import AnswerKeyCells

NOTEBOOK = (Path(__file__).resolve().parents[3] / "source" / "04_depth_and_initialization"
            / "depth_and_initialization.ipynb")
changed = AnswerKeyCells(NOTEBOOK, imports="import math\n\nimport numpy as np\n").changed


_COARSE_GRID = ("ratio = (math.sqrt(5.0) - 1.0) / 2.0",
                "grid = np.linspace(low, high, 100)\n"
                "    w_star = float(grid[np.argmax(unstable_band_width(grid))])\n"
                "    return w_star, unstable_band_width(w_star)\n"
                "    ratio = (math.sqrt(5.0) - 1.0) / 2.0")

WRONG = {
    ("chain_gradient", "the notes' minus sign"):
        changed("chain_gradient", ("factors.append(float(w))", "factors.append(-float(w))")),
    ("chain_gradient", "phi(z) instead of phi'(z)"):
        changed("chain_gradient", ("float(phi_grad(z))", "float(phi(z))")),
    ("chain_gradient", "phi' at the activation"):
        changed("chain_gradient", ("float(phi_grad(z))", "float(phi_grad(a))")),
    ("chain_gradient", "w1 in the product"):
        changed("chain_gradient", ("        if j > 0:\n            factors", "        if True:\n            factors")),
    ("chain_gradient", "dC/da_L left out"):
        changed("chain_gradient", ("    factors.append(float(dC_daL))\n", "")),

    ("unstable_band_width", "the logarithm left out"):
        changed("unstable_band_width", ("np.log(u_plus)", "u_plus")),
    ("unstable_band_width", "the - 1 left out"):
        changed("unstable_band_width", (" / 2.0 - 1.0", " / 2.0")),
    ("unstable_band_width", "the absolute value left out"):
        changed("unstable_band_width", ("m = np.abs(np.asarray(w, dtype=float))", "m = np.asarray(w, dtype=float)")),
    ("unstable_band_width", "log10 instead of the natural logarithm"):
        changed("unstable_band_width", ("np.log(u_plus)", "np.log10(u_plus)")),
    ("unstable_band_width", "the notes' - 1 outside the logarithm"):
        changed("unstable_band_width", ("(2.0 / mi) * np.log(u_plus)",
                                        "(2.0 / mi) * np.log((mi + np.sqrt(mi ** 2 - 4 * mi)) / 2) - 1")),
    ("unstable_band_width", "the width in w a + b"):
        changed("unstable_band_width", ("(2.0 / mi) * np.log(u_plus)", "2.0 * np.log(u_plus)")),
    ("unstable_band_width", "half the band"):
        changed("unstable_band_width", ("(2.0 / mi) * np.log(u_plus)", "(1.0 / mi) * np.log(u_plus)")),
    ("unstable_band_width", "the formula used for |w| <= 4"):
        changed("unstable_band_width", ("inside = m > 4", "inside = m >= 0")),

    ("widest_band", "the minimum instead of the maximum"):
        changed("widest_band", (">= unstable_band_width(d)", "<= unstable_band_width(d)")),
    ("widest_band", "w and the width swapped"):
        changed("widest_band", ("return w_star, unstable_band_width(w_star)",
                                "return unstable_band_width(w_star), w_star")),
    ("widest_band", "the best point of a coarse grid"): changed("widest_band", _COARSE_GRID),

    ("xavier_init", "fan_in and fan_out confused: the shape (fan_out, fan_in)"):
        changed("xavier_init", ("size=(fan_in, fan_out)", "size=(fan_out, fan_in)")),
    ("xavier_init", "the fans summed where averaged"):
        changed("xavier_init", ("np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / (fan_in + fan_out))")),
    ("xavier_init", "the variance as the standard deviation"):
        changed("xavier_init", ("np.sqrt(2.0 / (fan_in + fan_out))", "2.0 / (fan_in + fan_out)")),
    ("xavier_init", "fan_in only"):
        changed("xavier_init", ("np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / fan_in)")),
    ("xavier_init", "Glorot's uniform form"):
        changed("xavier_init", ("    std = np.sqrt(2.0 / (fan_in + fan_out))\n    return rng.normal(0.0, std, size=(fan_in, fan_out))",
                                "    limit = np.sqrt(6.0 / (fan_in + fan_out))\n    return rng.uniform(-limit, limit, size=(fan_in, fan_out))")),

    ("he_init", "He with fan_out"): changed("he_init", ("np.sqrt(2.0 / fan_in)", "np.sqrt(2.0 / fan_out)")),
    ("he_init", "the variance as the standard deviation"):
        changed("he_init", ("np.sqrt(2.0 / fan_in)", "2.0 / fan_in")),
    ("he_init", "the factor 2 left out"): changed("he_init", ("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")),
    ("he_init", "fan_in and fan_out confused: the shape (fan_out, fan_in)"):
        changed("he_init", ("size=(fan_in, fan_out)", "size=(fan_out, fan_in)")),

    ("init_weight", "xavier and he swapped"):
        changed("init_weight", ("return xavier_init(fan_in, fan_out, rng)", "return he_init(fan_in, fan_out, rng)"),
                ("return he_init(fan_in, fan_out, rng)\n    raise", "return xavier_init(fan_in, fan_out, rng)\n    raise")),
    ("init_weight", "the notes' N(0, 1) scaled"):
        changed("init_weight", ("rng.normal(0.0, 1.0,", "rng.normal(0.0, 1.0 / np.sqrt(fan_in),")),
    ("init_weight", "the shape (fan_out, fan_in)"):
        changed("init_weight", ("rng.normal(0.0, 1.0, size=(fan_in, fan_out))", "rng.normal(0.0, 1.0, size=(fan_out, fan_in))")),

    ("layer_gradient_norms", "the norm over the wrong axis"):
        changed("layer_gradient_norms", ("np.sqrt(np.sum(dW ** 2))", "np.sqrt(np.sum(dW ** 2, axis=0))")),
    ("layer_gradient_norms", "the norms of the weights instead of their gradients"):
        changed("layer_gradient_norms", ("np.sqrt(np.sum(dW ** 2))", "np.sqrt(np.sum(Ws[l] ** 2))")),
    ("layer_gradient_norms", "the last layer first"):
        changed("layer_gradient_norms", ("return np.array(norms[::-1])", "return np.array(norms)")),
    ("layer_gradient_norms", "the biases drawn before the weights"):
        changed("layer_gradient_norms",
                ("    Ws = [init_weight(init, width, width, rng) for _ in range(depth)]\n", ""),
                ("    X = rng.standard_normal", "    Ws = [init_weight(init, width, width, rng) for _ in range(depth)]\n    X = rng.standard_normal")),
    ("layer_gradient_norms", "the draws of train_deep: layer by layer"):
        changed("layer_gradient_norms",
                ("    Ws = [init_weight(init, width, width, rng) for _ in range(depth)]\n"
                 "    if init == \"normal\":\n"
                 "        bs = [rng.normal(0.0, 1.0, size=width) for _ in range(depth)]\n"
                 "    else:\n"
                 "        bs = [np.zeros(width) for _ in range(depth)]\n",
                 "    Ws, bs = [], []\n"
                 "    for _ in range(depth):\n"
                 "        Ws.append(init_weight(init, width, width, rng))\n"
                 "        bs.append(rng.normal(0.0, 1.0, size=width) if init == \"normal\" else np.zeros(width))\n")),
    ("layer_gradient_norms", "G drawn before X"):
        changed("layer_gradient_norms",
                ("    X = rng.standard_normal((num_samples, width))\n    G = rng.standard_normal((num_samples, width))\n",
                 "    G = rng.standard_normal((num_samples, width))\n    X = rng.standard_normal((num_samples, width))\n")),
    ("layer_gradient_norms", "phi' left out at the last layer"):
        changed("layer_gradient_norms",
                ("delta = dout * phi_grad(pre_activations[l])",
                 "delta = dout * phi_grad(pre_activations[l]) if l < depth - 1 else dout")),

    ("dead_relu_fraction", "zero outputs counted, not units"):
        changed("dead_relu_fraction", ("np.all(h == 0.0, axis=0)", "(h == 0.0)")),
    ("dead_relu_fraction", "dead at one example"):
        changed("dead_relu_fraction", ("np.all(h == 0.0, axis=0)", "np.any(h == 0.0, axis=0)")),
    ("dead_relu_fraction", "a count instead of a fraction"):
        changed("dead_relu_fraction", ("dead.mean()", "dead.sum()")),

    ("train_deep", "the update with the wrong sign"):
        changed("train_deep", ("W - lr * dW", "W + lr * dW"), ("b - lr * db", "b + lr * db")),
    ("train_deep", "the norms of the weights instead of their gradients"):
        changed("train_deep", ("np.sqrt(np.sum(dW ** 2)) for dW in dWs", "np.sqrt(np.sum(W ** 2)) for W in Ws")),
    ("train_deep", "the draws of layer_gradient_norms: every W first"):
        changed("train_deep",
                ("    for d_in, d_out in zip(sizes[:-1], sizes[1:]):\n        Ws.append(init_weight(init, d_in, d_out, rng))\n",
                 "    Ws = [init_weight(init, d_in, d_out, rng) for d_in, d_out in zip(sizes[:-1], sizes[1:])]\n"
                 "    for d_in, d_out in zip(sizes[:-1], sizes[1:]):\n")),
    ("train_deep", "the biases never updated"):
        changed("train_deep", ("        bs = [b - lr * db for b, db in zip(bs, dbs)]\n", "")),
    ("train_deep", "the output layer given the activation"):
        changed("train_deep", ("            if l < depth - 1:\n                pre_activations.append(s)\n                h = phi(s)\n",
                               "            pre_activations.append(s)\n            h = phi(s)\n"),
                ("loss, g = softmax_cross_entropy(s, y)", "loss, g = softmax_cross_entropy(h, y)\n        g = g * phi_grad(s)")),
}
