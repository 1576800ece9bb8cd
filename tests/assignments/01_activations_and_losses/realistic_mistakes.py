"""A corpus of realistic wrong student solutions for assignment 01 (activations and losses).

Each entry of ``REALISTIC_MISTAKES`` is a ``dict`` with

* ``function``: the name of the notebook function the solution cell defines (one of sigmoid,
  sigmoid_grad, tanh, tanh_grad, relu, relu_grad, leaky_relu, leaky_relu_grad, elu, softplus,
  softmax, softmax_cross_entropy);
* ``bug``: a one-line description of what is wrong (when an entry combines two bugs, it says so);
* ``code``: the complete source of the student's solution cell, a ``def`` with the notebook's exact
  signature, written the way students write it (loops, masks, ``np.where``, helpers, reuse of
  their own earlier functions such as ``sigmoid`` or ``softmax``, which are assumed correct and
  available by name).  Only ``np`` (numpy) and ``math`` are available.

How it was written.  The entries were written from scratch, from the mistakes students commonly
make on these exercises (the kinds of bugs that come up again and again in CS231n's softmax
assignment, the deeplearning.ai forums and office hours): textbook formulas that overflow at
|x| = 1000, ``np.where`` evaluating both branches, ``0 * inf = nan`` from arithmetic masks,
derivative shortcuts applied to ``x`` instead of to the activation, Python's ``max``/``math`` on
arrays, ``np.max`` used as ``np.maximum``, in-place mutation of the caller's array, ignored or
wrong default arguments, wrong axes and missing ``keepdims``, ``p[:, y]`` instead of
``p[rows, y]``, ``dlogits[:, y] -= 1``, sum instead of mean, epsilon or clipping inside the log,
the gradient with respect to ``p`` instead of the logits, and so on.  The existing mistake
catalogue of the course was deliberately *not* consulted, so that the corpus is an independent
sample.

Every entry was checked with a script: its code was executed with ``np``, ``math`` and the
notebook's correct solutions in the namespace, and called on the inputs of the notebook's public
test cells and on the |x| = 1000 inputs the notebook describes (for ``softmax`` also on a single
vector of shape ``(K,)``, which the notebook requires; for the functions with an ``alpha``
argument also with the default ``alpha``).  Each entry differs from the correct solution there
(wrong values, ``nan``/``inf``, wrong shape or return type, an exception, or a changed input
array).  Two entries (the textbook sigmoid and ELU with ``np.where`` on ``np.exp(x)``) return the
right values but overflow with a ``RuntimeWarning``, which the notebook explicitly forbids
("finite and without warnings for |x| up to 1000"); their ``bug`` says "values right, but ...
RuntimeWarning".
"""

REALISTIC_MISTAKES = [
    # ------------------------------------------------------------------ sigmoid
    dict(function="sigmoid",
         bug="textbook 1/(1+np.exp(-x)): np.exp(1000) overflows at x = -1000 (values right, but an "
             "overflow RuntimeWarning)",
         code='''def sigmoid(x):
    return 1 / (1 + np.exp(-x))'''),
    dict(function="sigmoid",
         bug="uses the form e^x/(1+e^x) everywhere: inf/inf = nan at x = 1000",
         code='''def sigmoid(x):
    ex = np.exp(x)
    return ex / (1 + ex)'''),
    dict(function="sigmoid",
         bug="copies the erratum of slide 003: 1/(1+e^x), which is sigma(-x)",
         code='''def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    # 1 / (1 + e^x), choosing the form by the sign of x
    return np.where(x >= 0, e / (1 + e), 1 / (1 + e))'''),
    dict(function="sigmoid",
         bug="Python's math.exp on an array: TypeError (only size-1 arrays can be converted)",
         code='''import math

def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))'''),
    dict(function="sigmoid",
         bug="computes e^(-|x|) but forgets to choose the form by sign: returns sigma(|x|), >= 0.5 "
             "for negative x",
         code='''def sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows
    return 1.0 / (1.0 + e)'''),
    dict(function="sigmoid",
         bug="loops over the elements writing into x itself: changes the caller's array in place "
             "(and fails on 0-d input)",
         code='''def sigmoid(x):
    for i in range(len(x)):
        if x[i] >= 0:
            x[i] = 1 / (1 + np.exp(-x[i]))
        else:
            x[i] = np.exp(x[i]) / (1 + np.exp(x[i]))
    return x'''),
    dict(function="sigmoid",
         bug="list comprehension with math.exp: OverflowError at x = -1000, and returns a list",
         code='''def sigmoid(x):
    return [1 / (1 + math.exp(-v)) for v in x]'''),

    # ------------------------------------------------------------------ sigmoid_grad
    dict(function="sigmoid_grad",
         bug="textbook derivative e^-x/(1+e^-x)^2: inf/inf = nan at x = -1000",
         code='''def sigmoid_grad(x):
    e = np.exp(-x)
    return e / (1 + e) ** 2'''),
    dict(function="sigmoid_grad",
         bug="applies the shortcut to x instead of to sigma(x): x (1 - x)",
         code='''def sigmoid_grad(x):
    return x * (1 - x)'''),
    dict(function="sigmoid_grad",
         bug="half the shortcut: sigma(x) (1 - x)",
         code='''def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - x)'''),
    dict(function="sigmoid_grad",
         bug="mixes up 1 - sigma(x) = sigma(-x): sigma(x) (1 - sigma(-x)) = sigma(x)^2",
         code='''def sigmoid_grad(x):
    return sigmoid(x) * (1 - sigmoid(-x))'''),
    dict(function="sigmoid_grad",
         bug="applies the sigmoid twice: sigma(s)(1 - sigma(s)) with s = sigma(x)",
         code='''def sigmoid_grad(x):
    s = sigmoid(x)
    return sigmoid(s) * (1 - sigmoid(s))'''),
    dict(function="sigmoid_grad",
         bug="textbook derivative in the e^x form e^x/(1+e^x)^2: inf/inf = nan at x = 1000",
         code='''def sigmoid_grad(x):
    x = np.asarray(x, dtype=float)
    return np.exp(x) / (1.0 + np.exp(x)) ** 2'''),

    # ------------------------------------------------------------------ tanh
    dict(function="tanh",
         bug="quotient of exponentials (e^x - e^-x)/(e^x + e^-x): inf/inf = nan at |x| = 1000",
         code='''def tanh(x):
    a = np.exp(x)
    b = np.exp(-x)
    return (a - b) / (a + b)'''),
    dict(function="tanh",
         bug="forgets the 2x inside: 2 sigma(x) - 1",
         code='''def tanh(x):
    return 2 * sigmoid(x) - 1'''),
    dict(function="tanh",
         bug="(1 - e^-2x)/(1 + e^-2x): inf/inf = nan at x = -1000",
         code='''def tanh(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-2 * x)
    return (1 - e) / (1 + e)'''),
    dict(function="tanh",
         bug="missing parentheses: 2 * sigmoid(2*x - 1) instead of 2 * sigmoid(2*x) - 1",
         code='''def tanh(x):
    return 2 * sigmoid(2 * x - 1)'''),
    dict(function="tanh",
         bug="Python's math.tanh on an array: TypeError (and not through sigmoid)",
         code='''def tanh(x):
    return math.tanh(x)'''),
    dict(function="tanh",
         bug="sinh/cosh: both overflow to inf at |x| = 1000, inf/inf = nan",
         code='''def tanh(x):
    return np.sinh(x) / np.cosh(x)'''),

    # ------------------------------------------------------------------ tanh_grad
    dict(function="tanh_grad",
         bug="applies the shortcut to x: 1 - x^2",
         code='''def tanh_grad(x):
    return 1 - x ** 2'''),
    dict(function="tanh_grad",
         bug="typo * for **: 1 - 2 tanh(x)",
         code='''def tanh_grad(x):
    t = tanh(x)
    return 1 - t * 2'''),
    dict(function="tanh_grad",
         bug="1 - (quotient of exponentials)^2: nan at |x| = 1000",
         code='''def tanh_grad(x):
    t = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return 1 - t ** 2'''),
    dict(function="tanh_grad",
         bug="carries over the sigmoid's shortcut: tanh(x) (1 - tanh(x))",
         code='''def tanh_grad(x):
    t = tanh(x)
    return t * (1 - t)'''),
    dict(function="tanh_grad",
         bug="chain rule through tanh = 2 sigma(2x) - 1 drops a factor 2: 2 sigma'(2x) instead of "
             "4 sigma'(2x)",
         code='''def tanh_grad(x):
    # d/dx [2 sigma(2x) - 1] = 2 sigma'(2x)
    return 2 * sigmoid_grad(2 * x)'''),
    dict(function="tanh_grad",
         bug="misplaced parentheses: (1 - tanh(x))^2 instead of 1 - tanh(x)^2",
         code='''def tanh_grad(x):
    return (1 - tanh(x)) ** 2'''),

    # ------------------------------------------------------------------ relu
    dict(function="relu",
         bug="x[x < 0] = 0 changes the caller's array in place",
         code='''def relu(x):
    x[x < 0] = 0
    return x'''),
    dict(function="relu",
         bug="Python's max(0, x) on an array: ValueError (truth value of an array is ambiguous)",
         code='''def relu(x):
    return max(0, x)'''),
    dict(function="relu",
         bug="np.max instead of np.maximum: np.max(x, 0) reduces over axis 0",
         code='''def relu(x):
    return np.max(x, 0)'''),
    dict(function="relu",
         bug="out = x is not a copy: the mask assignment changes the caller's array",
         code='''def relu(x):
    out = x
    out[out <= 0] = 0.0
    return out'''),
    dict(function="relu",
         bug="loops over the first axis with Python's max: fails on 2-D input (rows compared to 0)",
         code='''def relu(x):
    return np.array([max(0, v) for v in x])'''),
    dict(function="relu",
         bug="np.maximum(x, 0, out=x) writes the result into the caller's array",
         code='''def relu(x):
    # in place to save memory
    np.maximum(x, 0, out=x)
    return x'''),

    # ------------------------------------------------------------------ relu_grad
    dict(function="relu_grad",
         bug="returns ReLU itself instead of its slope",
         code='''def relu_grad(x):
    return np.where(x > 0, x, 0.0)'''),
    dict(function="relu_grad",
         bug="builds the slope in the caller's array: x is overwritten with 0s and 1s",
         code='''def relu_grad(x):
    x[x > 0] = 1
    x[x <= 0] = 0
    return x.astype(float)'''),
    dict(function="relu_grad",
         bug="np.sign(x): -1 instead of 0 for negative inputs",
         code='''def relu_grad(x):
    return np.sign(x)'''),
    dict(function="relu_grad",
         bug="scalar if/else on an array: ValueError (truth value of an array is ambiguous)",
         code='''def relu_grad(x):
    if x > 0:
        return 1.0
    else:
        return 0.0'''),
    dict(function="relu_grad",
         bug="np.clip(x, 0, 1): returns x itself for 0 < x < 1",
         code='''def relu_grad(x):
    return np.clip(x, 0, 1)'''),
    dict(function="relu_grad",
         bug="copied from leaky ReLU: slope 0.01 instead of 0 for negative inputs",
         code='''def relu_grad(x):
    return np.where(x > 0, 1.0, 0.01)'''),

    # ------------------------------------------------------------------ leaky_relu
    dict(function="leaky_relu",
         bug="wrong default: alpha=0.1 (from notes 004) instead of 0.01",
         code='''def leaky_relu(x, alpha=0.1):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * x)'''),
    dict(function="leaky_relu",
         bug="np.max(alpha * x, x): the second argument of np.max is the axis, TypeError",
         code='''def leaky_relu(x, alpha=0.01):
    return np.max(alpha * x, x)'''),
    dict(function="leaky_relu",
         bug="x[x < 0] *= alpha changes the caller's array in place",
         code='''def leaky_relu(x, alpha=0.01):
    x[x < 0] *= alpha
    return x'''),
    dict(function="leaky_relu",
         bug="returns the constant alpha for negative inputs instead of alpha * x",
         code='''def leaky_relu(x, alpha=0.01):
    return np.where(x > 0, x, alpha)'''),
    dict(function="leaky_relu",
         bug="ignores the alpha argument and hard-codes 0.01",
         code='''def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, 0.01 * x)'''),
    dict(function="leaky_relu",
         bug="relu(x) + alpha * x leaks on both sides: (1 + alpha) x for positive inputs",
         code='''def leaky_relu(x, alpha=0.01):
    return relu(x) + alpha * x'''),

    # ------------------------------------------------------------------ leaky_relu_grad
    dict(function="leaky_relu_grad",
         bug="ignores the alpha argument and hard-codes 0.01",
         code='''def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, 1.0, 0.01)'''),
    dict(function="leaky_relu_grad",
         bug="wrong default: alpha=0.1 instead of 0.01",
         code='''def leaky_relu_grad(x, alpha=0.1):
    return np.where(np.asarray(x) > 0, 1.0, alpha)'''),
    dict(function="leaky_relu_grad",
         bug="confuses the slope with the function: alpha * x for negative inputs",
         code='''def leaky_relu_grad(x, alpha=0.01):
    return np.where(x > 0, 1.0, alpha * x)'''),
    dict(function="leaky_relu_grad",
         bug="builds the slope in the caller's array: x is overwritten with 1s and alphas",
         code='''def leaky_relu_grad(x, alpha=0.01):
    neg = x <= 0
    x[~neg] = 1.0
    x[neg] = alpha
    return x'''),
    dict(function="leaky_relu_grad",
         bug="copied relu_grad and forgot alpha: slope 0 for negative inputs",
         code='''def leaky_relu_grad(x, alpha=0.01):
    return (x > 0).astype(float)'''),
    dict(function="leaky_relu_grad",
         bug="scalar conditional expression on an array: ValueError",
         code='''def leaky_relu_grad(x, alpha=0.01):
    return alpha if x < 0 else 1.0'''),

    # ------------------------------------------------------------------ elu
    dict(function="elu",
         bug="np.where with np.exp(x) on all of x: overflows at x = 1000 in the discarded branch "
             "(values right, but an overflow RuntimeWarning)",
         code='''def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))'''),
    dict(function="elu",
         bug="arithmetic masks instead of np.where: (x <= 0) * alpha (e^x - 1) is 0 * inf = nan at "
             "x = 1000",
         code='''def elu(x, alpha=1.0):
    pos = (x > 0).astype(float)
    neg = 1.0 - pos
    return pos * x + neg * alpha * (np.exp(x) - 1.0)'''),
    dict(function="elu",
         bug="ignores alpha: the negative branch is e^x - 1 for every alpha",
         code='''def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))'''),
    dict(function="elu",
         bug="precedence: alpha * e^x - 1 instead of alpha * (e^x - 1)",
         code='''def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    neg = np.minimum(x, 0.0)
    return np.where(x > 0, x, alpha * np.exp(neg) - 1)'''),
    dict(function="elu",
         bug="masked assignment into x: changes the caller's array in place",
         code='''def elu(x, alpha=1.0):
    neg = x <= 0
    x[neg] = alpha * (np.exp(x[neg]) - 1)
    return x'''),
    dict(function="elu",
         bug="writes ELU like leaky ReLU as a maximum: max(x, alpha (e^x - 1)) takes the "
             "exponential for positive x (and overflows to inf at x = 1000)",
         code='''def elu(x, alpha=1.0):
    return np.maximum(x, alpha * (np.exp(x) - 1))'''),
    dict(function="elu",
         bug="wrong default copied from leaky ReLU: alpha=0.01 instead of 1.0",
         code='''def elu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))'''),

    # ------------------------------------------------------------------ softplus
    dict(function="softplus",
         bug="textbook log(1 + e^x): inf at x = 1000",
         code='''def softplus(x):
    return np.log(1 + np.exp(x))'''),
    dict(function="softplus",
         bug="log1p(e^x) is accurate for small e^x but still overflows: inf at x = 1000",
         code='''def softplus(x):
    return np.log1p(np.exp(x))'''),
    dict(function="softplus",
         bug="assumes softplus(x) = x for all x > 0 (off by log(1 + e^-x), e.g. 1 instead of "
             "1.3133)",
         code='''def softplus(x):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, np.log1p(np.exp(np.minimum(x, 0.0))))'''),
    dict(function="softplus",
         bug="stable form without the absolute value: max(x, 0) + log1p(e^-x) is inf at x = -1000",
         code='''def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-x))'''),
    dict(function="softplus",
         bug="Python's math module on an array: TypeError",
         code='''def softplus(x):
    return math.log(1 + math.exp(x))'''),
    dict(function="softplus",
         bug="stable form without the max(x, 0) term: log(1 + e^-|x|) only",
         code='''def softplus(x):
    return np.log1p(np.exp(-np.abs(x)))'''),
    dict(function="softplus",
         bug="reads log(1 + e^x) as np.logaddexp(1, x), which is log(e^1 + e^x)",
         code='''def softplus(x):
    return np.logaddexp(1, x)'''),

    # ------------------------------------------------------------------ softmax
    dict(function="softmax",
         bug="no max-subtraction: e^1000 = inf, inf/inf = nan",
         code='''def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)'''),
    dict(function="softmax",
         bug="normalises over the whole batch: global max and np.sum without an axis",
         code='''def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)'''),
    dict(function="softmax",
         bug="wrong axis: columns sum to 1 instead of rows (axis=0)",
         code='''def softmax(z):
    shifted = z - np.max(z, axis=0, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=0, keepdims=True)'''),
    dict(function="softmax",
         bug="row sums without keepdims: (N, K) / (N,) raises or broadcasts along the wrong axis",
         code='''def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)'''),
    dict(function="softmax",
         bug="subtracts the global maximum instead of each row's: rows far below it underflow to "
             "0/0",
         code='''def softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)'''),
    dict(function="softmax",
         bug="hard-codes axis=1: fails on a single vector of shape (K,), which the notebook "
             "requires",
         code='''def softmax(z):
    z = z - np.max(z, axis=1, keepdims=True)
    exp_z = np.exp(z)
    return exp_z / np.sum(exp_z, axis=1, keepdims=True)'''),
    dict(function="softmax",
         bug="z -= max changes the caller's logits in place",
         code='''def softmax(z):
    z -= np.max(z, axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= np.sum(z, axis=-1, keepdims=True)
    return z'''),
    dict(function="softmax",
         bug="row max without keepdims: (N, K) - (N,) raises or subtracts along the wrong axis",
         code='''def softmax(z):
    e = np.exp(z - np.max(z, axis=-1))
    return e / np.sum(e, axis=-1, keepdims=True)'''),
    dict(function="softmax",
         bug="loops over rows and subtracts the row minimum instead of the maximum: e^2000 = inf, "
             "nan",
         code='''def softmax(z):
    out = np.zeros_like(z, dtype=float)
    for i in range(z.shape[0]):
        row = z[i] - np.min(z[i])
        out[i] = np.exp(row) / np.sum(np.exp(row))
    return out'''),
    dict(function="softmax",
         bug="log-sum-exp without the shift: log(sum e^z) is inf at z = 1000, so exp(z - inf) = 0",
         code='''def softmax(z):
    log_norm = np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return np.exp(z - log_norm)'''),

    # ------------------------------------------------------------------ softmax_cross_entropy
    dict(function="softmax_cross_entropy",
         bug="reuses softmax(), then np.log(p) of the label's probability: underflows to log(0) at "
             "large logits",
         code='''def softmax_cross_entropy(logits, y):
    n = logits.shape[0]
    p = softmax(logits)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    dlogits = p.copy()
    dlogits[np.arange(n), y] -= 1
    return loss, dlogits / n'''),
    dict(function="softmax_cross_entropy",
         bug="two bugs: sum instead of mean in the loss and no /N in the gradient",
         code='''def softmax_cross_entropy(logits, y):
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_p[np.arange(n), y])
    dlogits = np.exp(log_p)
    dlogits[np.arange(n), y] -= 1
    return float(loss), dlogits'''),
    dict(function="softmax_cross_entropy",
         bug="mean in the loss but forgets the /N in the gradient",
         code='''def softmax_cross_entropy(logits, y):
    N = len(y)
    z = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -log_probs[range(N), y].mean()
    grad = np.exp(log_probs)
    grad[range(N), y] -= 1
    return loss, grad'''),
    dict(function="softmax_cross_entropy",
         bug="treats the integer labels as one-hot: y * log p and p - y broadcast (N,) against "
             "(N, K)",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.sum(y * log_p) / N
    dlogits = (np.exp(log_p) - y) / N
    return loss, dlogits'''),
    dict(function="softmax_cross_entropy",
         bug="returns the per-example losses, shape (N,), instead of their mean",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    rows = np.arange(N)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    losses = -log_p[rows, y]
    p = np.exp(log_p)
    p[rows, y] -= 1
    return losses, p / N'''),
    dict(function="softmax_cross_entropy",
         bug="epsilon inside the log, -log(p + 1e-12): caps an example's loss at 27.6 where it "
             "should be 2000",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    p = softmax(logits)
    eps = 1e-12
    loss = -np.mean(np.log(p[np.arange(N), y] + eps))
    dlogits = p.copy()
    dlogits[np.arange(N), y] -= 1
    dlogits /= N
    return loss, dlogits'''),
    dict(function="softmax_cross_entropy",
         bug="clips p to [1e-15, 1 - 1e-15] before the log: caps an example's loss at 34.5 where "
             "it should be 2000",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    probs = np.clip(softmax(logits), 1e-15, 1 - 1e-15)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(N), y] = 1
    return loss, (softmax(logits) - one_hot) / N'''),
    dict(function="softmax_cross_entropy",
         bug="gradient with respect to p (-1/p at the label) instead of the logits",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    idx = np.arange(N)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    loss = -log_p[idx, y].mean()
    dp = np.zeros_like(p)
    dp[idx, y] = -1.0 / p[idx, y]
    return loss, dp / N'''),
    dict(function="softmax_cross_entropy",
         bug="one-based labels: indexes the class y - 1 (label 0 wraps around to the last class)",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    labels = y - 1  # classes are numbered 1..K
    loss = -np.mean(log_p[np.arange(N), labels])
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), labels] -= 1
    return loss, dlogits / N'''),
    dict(function="softmax_cross_entropy",
         bug="log-softmax without the max-subtraction: log(sum e^z) = inf at z = 1000, loss and "
             "gradient become inf/nan",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    log_p = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N'''),
    dict(function="softmax_cross_entropy",
         bug="wrong axis: the max and the log-sum-exp are taken over the batch (axis=0)",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N'''),
    dict(function="softmax_cross_entropy",
         bug="returns a list [loss, dlogits] instead of a tuple",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_p[np.arange(N), y].mean())
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), y] -= 1
    return [loss, dlogits / N]'''),
    dict(function="softmax_cross_entropy",
         bug="p[:, y] instead of p[rows, y]: an (N, N) matrix, so the loss averages the wrong "
             "entries and the gradient subtracts 1 from whole columns",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.mean(log_p[:, y])
    dlogits = np.exp(log_p)
    dlogits[:, y] -= 1
    return loss, dlogits / N'''),
    dict(function="softmax_cross_entropy",
         bug="forgets to subtract the one-hot target in the gradient: returns p / N",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(N), y].mean()
    return loss, np.exp(log_p) / N'''),
    dict(function="softmax_cross_entropy",
         bug="shifts the logits in place (logits -= max): changes the caller's array",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    logits -= np.max(logits, axis=1, keepdims=True)
    log_p = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    loss = -np.mean(log_p[np.arange(N), y])
    dlogits = np.exp(log_p)
    dlogits[np.arange(N), y] -= 1
    return loss, dlogits / N'''),
    dict(function="softmax_cross_entropy",
         bug="two bugs: no max-subtraction (nan at logits of 1000) and the loss summed instead of "
             "averaged",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    exp_scores = np.exp(logits)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = np.sum(-np.log(probs[range(N), y]))
    dscores = probs
    dscores[range(N), y] -= 1
    dscores /= N
    return loss, dscores'''),
    dict(function="softmax_cross_entropy",
         bug="one-hot times np.log(softmax()): 0 * log(0) = 0 * -inf = nan where a probability "
             "underflows",
         code='''def softmax_cross_entropy(logits, y):
    N, K = logits.shape
    p = softmax(logits)
    Y = np.eye(K)[y]
    loss = -np.mean(np.sum(Y * np.log(p), axis=1))
    return loss, (p - Y) / N'''),
    dict(function="softmax_cross_entropy",
         bug="np.mean over all N*K entries of one_hot * log p: the loss is K times too small",
         code='''def softmax_cross_entropy(logits, y):
    N, K = logits.shape
    one_hot = np.zeros((N, K))
    one_hot[np.arange(N), y] = 1.0
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(one_hot * log_p)
    return loss, (np.exp(log_p) - one_hot) / N'''),
    dict(function="softmax_cross_entropy",
         bug="loops over the examples with an unshifted softmax per row and math.log: math.log(0) "
             "raises ValueError (math domain error) at logits 1000 apart",
         code='''def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    loss = 0.0
    dlogits = np.zeros_like(logits)
    for i in range(N):
        p = softmax(logits[i])
        loss -= math.log(p[y[i]])
        dlogits[i] = p
        dlogits[i, y[i]] -= 1
    return loss / N, dlogits / N'''),
]
