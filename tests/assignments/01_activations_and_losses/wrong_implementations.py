"""A student's wrong solution cell for every catalogued mistake of this assignment.

Keyed by (function, mistake name); each value is the source of a solution cell, run beside np,
math and the answer key's other functions (tests/assignments/test_mistake_hints.py).
"""
SIG = "def sigmoid(x):\n    return {}\n"
SIG_GRAD = "def sigmoid_grad(x):\n    return {}\n"
TANH = "def tanh(x):\n    return {}\n"
TANH_GRAD = "def tanh_grad(x):\n    return {}\n"
RELU = "def relu(x):\n    return {}\n"
RELU_GRAD = "def relu_grad(x):\n    return {}\n"
LEAKY = "def leaky_relu(x, alpha=0.01):\n    return {}\n"
LEAKY_GRAD = "def leaky_relu_grad(x, alpha=0.01):\n    return {}\n"
ELU = "def elu(x, alpha=1.0):\n    return {}\n"
SOFTPLUS = "def softplus(x):\n    return {}\n"
SOFTMAX = "def softmax(z):\n    return {}\n"
CE = '''def softmax_cross_entropy(logits, y):
    z = np.asarray(logits, dtype=float)
    n, k = z.shape
    rows = np.arange(n)
    onehot = np.eye(k)[y]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
{}
'''

WRONG = {
    ("sigmoid", "the sign slip of the notes"):  # written stably, so that it only has this mistake
        "def sigmoid(x):\n    e = np.exp(-np.abs(x))\n    return np.where(x >= 0, e / (1 + e), 1 / (1 + e))\n",
    ("sigmoid", "overflow in exp"): SIG.format("1 / (1 + np.exp(-x))"),
    ("sigmoid", "math instead of numpy"): SIG.format("1 / (1 + math.exp(-x))"),
    ("sigmoid", "math.exp overflows"):
        SIG.format("np.array([1 / (1 + math.exp(-v)) for v in np.ravel(x)]).reshape(np.shape(x))"),
    ("sigmoid", "the sign of x was not used"): SIG.format("1 / (1 + np.exp(-np.abs(x)))"),
    ("sigmoid", "changed the input in place"):
        "def sigmoid(x):\n    e = np.exp(-np.abs(x))\n    x[...] = np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n    return x\n",
    ("sigmoid_grad", "returns sigma instead of its derivative"): SIG_GRAD.format("sigmoid(x)"),
    ("sigmoid_grad", "formula applied to x"): SIG_GRAD.format("x * (1 - x)"),
    ("sigmoid_grad", "one factor only"): SIG_GRAD.format("1 - sigmoid(x)"),
    ("sigmoid_grad", "sigma squared"): SIG_GRAD.format("sigmoid(x) * (1 - sigmoid(-x))"),
    ("sigmoid_grad", "half the shortcut"): SIG_GRAD.format("sigmoid(x) * (1 - x)"),
    ("sigmoid_grad", "sigmoid applied twice"):
        "def sigmoid_grad(x):\n    s = sigmoid(x)\n    return sigmoid(s) * (1 - sigmoid(s))\n",
    ("sigmoid_grad", "quotient of exponentials"): SIG_GRAD.format("np.exp(-x) / (1 + np.exp(-x)) ** 2"),
    ("sigmoid_grad", "overflow in exp"):
        "def sigmoid_grad(x):\n    s = 1 / (1 + np.exp(-x))\n    return s * (1 - s)\n",
    ("tanh", "sigma(x) instead of sigma(2x)"): TANH.format("2 * sigmoid(x) - 1"),
    ("tanh", "forgot the - 1"): TANH.format("2 * sigmoid(2 * x)"),
    ("tanh", "forgot the factor 2"): TANH.format("sigmoid(2 * x) - 1"),
    ("tanh", "missing parentheses"): TANH.format("2 * sigmoid(2 * x - 1)"),
    ("tanh", "overflow in the quotient of exponentials"):
        TANH.format("(np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))"),
    ("tanh", "math instead of numpy"): TANH.format("math.tanh(x)"),
    ("tanh_grad", "forgot the square"): TANH_GRAD.format("1 - tanh(x)"),
    ("tanh_grad", "returns tanh instead of its derivative"): TANH_GRAD.format("tanh(x)"),
    ("tanh_grad", "formula applied to x"): TANH_GRAD.format("1 - x ** 2"),
    ("tanh_grad", "2 t instead of t squared"): TANH_GRAD.format("1 - tanh(x) * 2"),
    ("tanh_grad", "the sigmoid's shortcut"): TANH_GRAD.format("tanh(x) * (1 - tanh(x))"),
    ("tanh_grad", "chain rule: a factor 2 missing"): TANH_GRAD.format("2 * sigmoid_grad(2 * x)"),
    ("tanh_grad", "parentheses around 1 - t"): TANH_GRAD.format("(1 - tanh(x)) ** 2"),
    ("tanh_grad", "overflow in exp"):
        TANH_GRAD.format("1 - ((np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))) ** 2"),
    ("relu", "Python's max on an array"): RELU.format("max(0, x)"),
    ("relu", "np.max reduces"): RELU.format("np.max(x, 0)"),
    ("relu", "changed the input in place"): "def relu(x):\n    x[x < 0] = 0\n    return x\n",
    ("relu", "returns the mask"): RELU.format("x > 0"),
    ("relu_grad", "returns the value instead of the slope"): RELU_GRAD.format("np.maximum(x, 0)"),
    ("relu_grad", "np.sign"): RELU_GRAD.format("np.sign(x)"),
    ("relu_grad", "inverted mask"): RELU_GRAD.format("(x < 0) * 1.0"),
    ("relu_grad", "np.clip is not a step"): RELU_GRAD.format("np.clip(x, 0, 1)"),
    ("relu_grad", "leaky slope"): RELU_GRAD.format("np.where(x > 0, 1.0, 0.01)"),
    ("relu_grad", "if on an array"): RELU_GRAD.format("1.0 if x > 0 else 0.0"),
    ("relu_grad", "changed the input in place"):
        "def relu_grad(x):\n    x[...] = x > 0\n    return x\n",
    ("leaky_relu", "plain ReLU"): LEAKY.format("np.maximum(0, x)"),
    ("leaky_relu", "alpha = 0.1 instead of the argument"): LEAKY.format("np.where(x > 0, x, 0.1 * x)"),
    ("leaky_relu", "alpha hard-coded as 0.01"): LEAKY.format("np.where(x > 0, x, 0.01 * x)"),
    ("leaky_relu", "minimum instead of maximum"): LEAKY.format("np.minimum(alpha * x, x)"),
    ("leaky_relu", "max(0, alpha x)"): LEAKY.format("np.maximum(0, alpha * x)"),
    ("leaky_relu", "alpha instead of alpha x"): LEAKY.format("np.where(x > 0, x, alpha)"),
    ("leaky_relu", "leaks on both sides"): LEAKY.format("np.maximum(0, x) + alpha * x"),
    ("leaky_relu", "np.max takes an axis"): LEAKY.format("np.max(alpha * x, x)"),
    ("leaky_relu", "changed the input in place"):
        "def leaky_relu(x, alpha=0.01):\n    x[x < 0] *= alpha\n    return x\n",
    ("leaky_relu_grad", "zero slope for negatives"): LEAKY_GRAD.format("np.where(x > 0, 1.0, 0.0)"),
    ("leaky_relu_grad", "alpha x instead of alpha"): LEAKY_GRAD.format("np.where(x > 0, 1.0, alpha * x)"),
    ("leaky_relu_grad", "returns the value instead of the slope"):
        LEAKY_GRAD.format("np.where(x > 0, x, alpha * x)"),
    ("leaky_relu_grad", "alpha hard-coded"): LEAKY_GRAD.format("np.where(x > 0, 1.0, 0.01)"),
    ("leaky_relu_grad", "if on an array"): LEAKY_GRAD.format("1.0 if x > 0 else alpha"),
    ("leaky_relu_grad", "changed the input in place"):
        "def leaky_relu_grad(x, alpha=0.01):\n    x[...] = np.where(x > 0, 1.0, alpha)\n    return x\n",
    ("elu", "bracket"): ELU.format("np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - 1)"),
    ("elu", "np.where computes both branches"): ELU.format("np.where(x > 0, x, alpha * (np.exp(x) - 1))"),
    ("elu", "masks multiply inf by 0"): ELU.format("(x > 0) * x + (x <= 0) * alpha * (np.exp(x) - 1)"),
    ("elu", "forgot alpha"): ELU.format("np.where(x > 0, x, np.expm1(np.minimum(x, 0)))"),
    ("elu", "default alpha = 0.01"):
        "def elu(x, alpha=0.01):\n    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))\n",
    ("elu", "a maximum instead of two cases"): ELU.format("np.maximum(x, alpha * (np.exp(x) - 1))"),
    ("elu", "changed the input in place"):
        "def elu(x, alpha=1.0):\n    x[x <= 0] = alpha * np.expm1(x[x <= 0])\n    return x\n",
    ("softplus", "overflow in log(1 + e^x)"): SOFTPLUS.format("np.log(1 + np.exp(x))"),
    ("softplus", "forgot the 1"): SOFTPLUS.format("np.log(np.exp(x))"),
    ("softplus", "x for positive x"): SOFTPLUS.format("np.where(x > 0, x, np.log1p(np.exp(np.minimum(x, 0))))"),
    ("softplus", "forgot the max(x, 0) term"): SOFTPLUS.format("np.log1p(np.exp(-np.abs(x)))"),
    ("softplus", "logaddexp(1, x)"): SOFTPLUS.format("np.logaddexp(1, x)"),
    ("softplus", "math instead of numpy"): SOFTPLUS.format("math.log(1 + math.exp(x))"),
    ("softmax", "overflow: the maximum was not subtracted"):
        SOFTMAX.format("np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)"),
    ("softmax", "one maximum for the whole batch"):
        SOFTMAX.format("np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1, keepdims=True)"),
    ("softmax", "log-sum-exp without the shift"):
        SOFTMAX.format("np.exp(z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))"),
    ("softmax", "not stable"):
        SOFTMAX.format("np.exp(z - z.min(axis=-1, keepdims=True)) / np.exp(z - z.min(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)"),
    ("softmax", "normalised over the wrong axis"):
        SOFTMAX.format("np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)"),
    ("softmax", "normalised over the whole batch"):
        SOFTMAX.format("np.exp(z - np.max(z)) / np.sum(np.exp(z - np.max(z)))"),
    ("softmax", "reduced without keepdims"):
        SOFTMAX.format("np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1)"),
    ("softmax", "axis=1 on a single vector"):
        SOFTMAX.format("np.exp(z - z.max(axis=1, keepdims=True)) / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)"),
    ("softmax", "changed the input in place"):
        "def softmax(z):\n    z -= z.max(axis=-1, keepdims=True)\n    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)\n",
    ("softmax_cross_entropy", "averaged over classes instead of the batch"):
        CE.format("    return -np.mean(onehot * log_p), (p - onehot) / n"),
    ("softmax_cross_entropy", "sum instead of mean"):
        CE.format("    return -np.sum(log_p[rows, y]), (p - onehot) / n"),
    ("softmax_cross_entropy", "gradient not divided by N"):
        CE.format("    return -np.mean(log_p[rows, y]), p - onehot"),
    ("softmax_cross_entropy", "sum instead of mean, in the loss and the gradient"):
        CE.format("    return -np.sum(log_p[rows, y]), p - onehot"),
    ("softmax_cross_entropy", "sign of the gradient"):
        CE.format("    return -np.mean(log_p[rows, y]), (onehot - p) / n"),
    ("softmax_cross_entropy", "forgot to subtract the one-hot target"):
        CE.format("    return -np.mean(log_p[rows, y]), p / n"),
    ("softmax_cross_entropy", "per-example losses"):
        CE.format("    return -log_p[rows, y], (p - onehot) / n"),
    ("softmax_cross_entropy", "labels used as one-hot rows"):
        CE.format("    return -np.sum(y * log_p) / n, (p - y) / n"),
    ("softmax_cross_entropy", "one-based labels"):
        CE.format("    onehot = np.eye(k)[y - 1]\n    return -np.mean(log_p[rows, y - 1]), (p - onehot) / n"),
    ("softmax_cross_entropy", "p[:, y] instead of p[rows, y]"):
        CE.format("    d = p.copy()\n    d[:, y] -= 1\n    return -np.mean(log_p[:, y]), d / n"),
    ("softmax_cross_entropy", "gradient with respect to p"):
        CE.format("    return -np.mean(log_p[rows, y]), -onehot / p / n"),
    ("softmax_cross_entropy", "normalised over the wrong axis"):
        CE.format("    s = z - z.max(axis=0, keepdims=True)\n    lp = s - np.log(np.exp(s).sum(axis=0, keepdims=True))\n"
                  "    return -np.mean(lp[rows, y]), (np.exp(lp) - onehot) / n"),
    ("softmax_cross_entropy", "epsilon clipping"):
        CE.format("    return -np.mean(np.log(p[rows, y] + 1e-12)), (p - onehot) / n"),
    ("softmax_cross_entropy", "log of a probability that underflowed"):
        CE.format("    q = softmax(z)\n    return -np.mean(np.log(q[rows, y])), (q - onehot) / n"),
    ("softmax_cross_entropy", "overflow: the maximum was not subtracted"):
        CE.format("    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)\n"
                  "    return -np.mean(np.log(q[rows, y])), (q - onehot) / n"),
    ("softmax_cross_entropy", "log-sum-exp without the shift"):
        CE.format("    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))\n"
                  "    return -np.mean(lp[rows, y]), (np.exp(lp) - onehot) / n"),
    ("softmax_cross_entropy", "math.log of a probability that underflowed"):
        CE.format("    q = softmax(z)\n    loss = -sum(math.log(q[i, y[i]]) for i in range(n)) / n\n"
                  "    return loss, (q - onehot) / n"),
    ("softmax_cross_entropy", "changed the input in place"):
        "def softmax_cross_entropy(logits, y):\n    logits -= logits.max(axis=1, keepdims=True)\n"
        "    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)\n"
        "    n = len(y)\n    return -np.mean(np.log(p[np.arange(n), y])), (p - np.eye(p.shape[1])[y]) / n\n",
}

# Wrong implementations whose one mistake also shows as a second, equally right hint on some
# check: (function, mistake) -> the other hints that are right for it, and why.
ALSO_RIGHT = {
    # log(e^x) computes e^x, which overflows at x = 1000: the stable form is the fix of both
    ("softplus", "forgot the 1"): {"overflow in log(1 + e^x)"},
    # subtracting the row minimum leaves e^799 on the vector test: "subtract the maximum" is right
    ("softmax", "not stable"): {"overflow: the maximum was not subtracted"},
}
