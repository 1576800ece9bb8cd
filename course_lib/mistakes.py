"""Recognised common mistakes, with the hint that names each one.

``CATALOGUES`` maps each assignment (its folder name in ``source/``) to its catalogue, and a
catalogue maps a function that students implement to the mistakes that the test cells recognise
(see `course_lib.grading.Mistake`); two assignments may both grade a ``softmax`` without their
mistakes colliding. A notebook's setup cell binds its own catalogue::

    MISTAKES = mistakes_for("01_activations_and_losses")

A wrong implementation is written out in plain numpy, so that a student who reads this file learns what the mistake looks like; the hint
says why it is wrong and how to fix it. Wrong implementations are only ever called through the
grading helpers, which silence their warnings.

The catalogue is written from what students actually submit (see
``tests/assignments/<assignment>/realistic_mistakes.py``), and a hint must never name a mistake
that the student did not make: a mistake about numerical stability is marked ``warns=True`` and
is only considered when the result holds inf/NaN or a warning was raised; a general stability
hint (``warns=True`` without ``returns``) is worded so that it is right for every unstable
variant of the function.
"""
from __future__ import annotations

import numpy as np

from .grading import Mistake

__all__ = ["CATALOGUES", "mistakes_for"]


def _sigma(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _onehot(y, k):
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _ce(log_p, y, reduce=np.mean, grad_scale=None):
    """Cross-entropy from given log-probabilities, with the correct gradient (p - y) / N."""
    n = len(y)
    loss = -reduce(log_p[np.arange(n), y])
    return loss, (np.exp(log_p) - _onehot(y, log_p.shape[1])) / (grad_scale or n)


def _in_place(what):
    return Mistake(
        "changed the input in place",
        f"{what} writes into the caller's array (so do `out = x`, `x -= ...`, `out=x` and "
        "masked assignments like x[x < 0] = 0); work on a copy (x.copy()) or build a new array.",
        mutates=True)


EPSILONS = (1e-16, np.finfo(float).eps, 1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7)


MATH_MODULE = Mistake(
    "math instead of numpy",
    "the functions of Python's math module (math.exp, math.log, math.tanh) take one number; "
    "use numpy's (np.exp, np.log, ...), which work elementwise on whole arrays.",
    raises=TypeError, message_contains="converted to Python scalars")

MATH_OVERFLOW = Mistake(
    "math.exp overflows",
    "math.exp raises OverflowError once its argument passes about 709. Use np.exp on the whole "
    "array, and only ever exponentiate numbers <= 0, e.g. e^(-|x|).",
    raises=OverflowError)

OVERFLOW_EXP = Mistake(
    "overflow in exp",
    "np.exp overflows to inf once its argument passes about 709 (and inf/inf is NaN). Only "
    "ever exponentiate numbers <= 0: compute e = np.exp(-np.abs(x)) and choose 1/(1 + e) or "
    "e/(1 + e) by the sign of x. np.where evaluates both of its branches for every element, so "
    "an exp inside a branch overflows even where that branch is discarded.",
    warns=True)

ARRAY_IN_IF = Mistake(
    "if on an array",
    "`if x > 0` (or `a if x > 0 else b`) needs one truth value, but x > 0 is an array of them; "
    "choose elementwise with np.where(x > 0, a, b).",
    raises=ValueError, message_contains="truth value")

ACTIVATIONS_AND_LOSSES: dict[str, tuple[Mistake, ...]] = {
    # [B1]
    "sigmoid": (
        Mistake("the sign slip of the notes",
                "this is 1/(1 + e^x), the slip in the notes (003); the sigmoid is "
                "1/(1 + e^(-x)), which is 1/2 at 0 and tends to 1 for large x.",
                returns=lambda x: 1.0 / (1.0 + np.exp(x))),
        OVERFLOW_EXP,
        MATH_MODULE,
        MATH_OVERFLOW,
        Mistake("the sign of x was not used",
                "with e = e^(-|x|) you returned 1/(1 + e) everywhere, which is sigma(|x|) >= 1/2; "
                "for x < 0 the sigmoid is e/(1 + e). Choose the form by the sign of x.",
                returns=lambda x: 1.0 / (1.0 + np.exp(-np.abs(x)))),
        _in_place("sigmoid"),
    ),
    "sigmoid_grad": (
        Mistake("returns sigma instead of its derivative",
                "sigmoid_grad returns sigma(x); the derivative is sigma(x)(1 - sigma(x)).",
                returns=_sigma),
        Mistake("formula applied to x",
                "you computed x(1 - x): the shortcut sigma(1 - sigma) is applied to s = "
                "sigmoid(x), not to x. Compute s first, then s * (1 - s).",
                returns=lambda x: x * (1 - x)),
        Mistake("one factor only",
                "1 - sigma(x) is only one factor of sigma'(x) = sigma(x)(1 - sigma(x)).",
                returns=lambda x: 1 - _sigma(x)),
        Mistake("sigma squared",
                "sigma(x)^2 is not the derivative (1 - sigma(x) is sigma(-x), not sigma(x)); "
                "sigma'(x) = sigma(x)(1 - sigma(x)).",
                returns=lambda x: _sigma(x) ** 2),
        Mistake("half the shortcut",
                "you computed sigma(x)(1 - x): the second factor is 1 - sigma(x), not 1 - x.",
                returns=lambda x: _sigma(x) * (1 - x)),
        Mistake("sigmoid applied twice",
                "you applied the sigmoid to s = sigmoid(x) again: the shortcut is s * (1 - s) "
                "itself, not sigmoid(s) * (1 - sigmoid(s)).",
                returns=lambda x: _sigma(_sigma(x)) * (1 - _sigma(_sigma(x)))),
        Mistake("quotient of exponentials",
                "e^(-x)/(1 + e^(-x))^2 (or e^x/(1 + e^x)^2) is inf/inf = NaN once the exponential "
                "overflows at |x| = 1000. Use the shortcut s * (1 - s) with your stable sigmoid.",
                returns=(lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
                         lambda x: np.exp(x) / (1 + np.exp(x)) ** 2),
                warns=True),
        Mistake("overflow in exp",
                "an exponential overflowed inside sigmoid_grad: compute s = sigmoid(x) with your "
                "stable sigmoid (make that one stable first) and return s * (1 - s).",
                warns=True),
    ),
    # [B2]
    "tanh": (
        Mistake("sigma(x) instead of sigma(2x)",
                "tanh(x) = 2 sigma(2x) - 1: the argument of sigma is 2x (2 sigma(x) - 1 is "
                "tanh(x/2)).",
                returns=lambda x: 2 * _sigma(x) - 1),
        Mistake("forgot the - 1",
                "2 sigma(2x) lies in (0, 2); subtract 1 to get tanh's range (-1, 1).",
                returns=lambda x: 2 * _sigma(2 * x)),
        Mistake("forgot the factor 2",
                "sigma(2x) - 1 lies in (-1, 0); multiply sigma(2x) by 2 before subtracting 1.",
                returns=lambda x: _sigma(2 * x) - 1),
        Mistake("missing parentheses",
                "you computed 2 sigma(2x - 1): the - 1 belongs outside, 2 * sigmoid(2 * x) - 1.",
                returns=lambda x: 2 * _sigma(2 * x - 1)),
        Mistake("overflow in the quotient of exponentials",
                "(e^x - e^-x)/(e^x + e^-x), sinh/cosh and (1 - e^-2x)/(1 + e^-2x) all overflow at "
                "|x| = 1000 and give inf/inf = NaN; use 2 sigma(2x) - 1 with your stable sigmoid.",
                warns=True),
        MATH_MODULE,
    ),
    "tanh_grad": (
        Mistake("forgot the square",
                "the derivative is 1 - tanh(x)^2, not 1 - tanh(x).",
                returns=lambda x: 1 - np.tanh(x)),
        Mistake("returns tanh instead of its derivative",
                "tanh_grad returns tanh(x); the derivative is 1 - tanh(x)^2.",
                returns=np.tanh),
        Mistake("formula applied to x",
                "you computed 1 - x^2: the shortcut is applied to t = tanh(x), not to x.",
                returns=lambda x: 1 - x ** 2),
        Mistake("2 t instead of t squared",
                "you computed 1 - 2 tanh(x): t * 2 is not t ** 2; the derivative is 1 - t * t.",
                returns=lambda x: 1 - 2 * np.tanh(x)),
        Mistake("the sigmoid's shortcut",
                "t(1 - t) is the sigmoid's shortcut; for tanh the derivative is 1 - t^2.",
                returns=lambda x: np.tanh(x) * (1 - np.tanh(x))),
        Mistake("chain rule: a factor 2 missing",
                "tanh(x) = 2 sigma(2x) - 1, so tanh'(x) = 2 * 2 * sigma'(2x) = 4 sigma'(2x): the "
                "inner derivative of 2x gives a second factor 2.",
                returns=lambda x: 2 * _sigma(2 * x) * (1 - _sigma(2 * x))),
        Mistake("parentheses around 1 - t",
                "you computed (1 - t)^2; the derivative is 1 - t^2 (square t first).",
                returns=lambda x: (1 - np.tanh(x)) ** 2),
        Mistake("overflow in exp",
                "an exponential overflowed (np.exp, np.cosh and np.sinh overflow once their "
                "argument passes about 709, and a quotient of two overflowed values is inf/inf = "
                "NaN): compute t = tanh(x) with your stable tanh, 2 sigma(2x) - 1, then return "
                "1 - t * t.",
                warns=True),
    ),
    # [B3]
    "relu": (
        Mistake("Python's max on an array",
                "Python's max compares two whole objects and cannot compare an array with 0; "
                "use np.maximum(0, x), which works elementwise.",
                raises=ValueError, message_contains="truth value"),
        Mistake("np.max reduces",
                "np.max(x, 0) is the largest entry along axis 0, not an elementwise maximum; "
                "use np.maximum(0, x).",
                returns=lambda x: np.max(x, 0)),
        _in_place("relu"),
        Mistake("returns the mask",
                "x > 0 is the slope of ReLU, not its value; ReLU(x) = max(0, x).",
                returns=lambda x: (x > 0).astype(float)),
    ),
    "relu_grad": (
        Mistake("returns the value instead of the slope",
                "relu_grad returns max(0, x); the derivative is 1 where x > 0 and 0 elsewhere.",
                returns=lambda x: np.maximum(0, x)),
        Mistake("np.sign",
                "np.sign(x) is -1 for negative x; the slope of ReLU there is 0.",
                returns=np.sign),
        Mistake("inverted mask",
                "the mask is inverted: the slope is 1 where x > 0 and 0 where x < 0.",
                returns=lambda x: (x < 0).astype(float)),
        Mistake("np.clip is not a step",
                "np.clip(x, 0, 1) keeps x itself for 0 < x < 1; the slope is exactly 1 for "
                "every x > 0: (x > 0).astype(float).",
                returns=lambda x: np.clip(x, 0, 1)),
        Mistake("leaky slope",
                "a slope of 0.01 for x < 0 is leaky ReLU's; ReLU's slope there is 0.",
                returns=lambda x: np.where(x > 0, 1.0, 0.01)),
        ARRAY_IN_IF,
        _in_place("relu_grad"),
    ),
    # [B4]
    "leaky_relu": (
        Mistake("plain ReLU",
                "negative inputs must give alpha * x, not 0: that is plain ReLU.",
                returns=lambda x, alpha=0.01: np.maximum(0, x)),
        Mistake("alpha = 0.1 instead of the argument",
                "you used a slope of 0.1 for x < 0 (the value of notes 004): use the alpha "
                "argument for it, and give that argument the default 0.01.",
                returns=lambda x, alpha=0.01: np.where(x > 0, x, 0.1 * x)),
        Mistake("alpha hard-coded as 0.01",
                "you always use 0.01: with alpha=0.2 the slope for x < 0 must be 0.2. Use the "
                "alpha argument.",
                returns=lambda x, alpha=0.01: np.where(x > 0, x, 0.01 * x)),
        Mistake("minimum instead of maximum",
                "max(alpha x, x) with 0 < alpha < 1 keeps x for x > 0; np.minimum gives "
                "alpha x there and x for x < 0.",
                returns=lambda x, alpha=0.01: np.minimum(alpha * x, x)),
        Mistake("max(0, alpha x)",
                "max(0, alpha x) is 0 for negative x and alpha x for positive x; leaky ReLU is "
                "max(alpha x, x).",
                returns=lambda x, alpha=0.01: np.maximum(0, alpha * x)),
        Mistake("alpha instead of alpha x",
                "for x < 0 leaky ReLU is alpha * x, not the constant alpha.",
                returns=lambda x, alpha=0.01: np.where(x > 0, x, alpha)),
        Mistake("leaks on both sides",
                "relu(x) + alpha x adds alpha x for positive x too, giving (1 + alpha) x; leaky "
                "ReLU is x for x > 0 and alpha x for x < 0.",
                returns=lambda x, alpha=0.01: np.maximum(0, x) + alpha * x),
        Mistake("np.max takes an axis",
                "np.max(a, b) reads b as an axis; the elementwise maximum is "
                "np.maximum(alpha * x, x).",
                raises=TypeError, message_contains="scalar index"),
        _in_place("leaky_relu"),
    ),
    "leaky_relu_grad": (
        Mistake("zero slope for negatives",
                "the slope for x < 0 is alpha, not 0 (0 is ReLU's slope).",
                returns=lambda x, alpha=0.01: (x > 0).astype(float)),
        Mistake("alpha x instead of alpha",
                "for x < 0 the derivative of alpha x is alpha, not alpha x.",
                returns=lambda x, alpha=0.01: np.where(x > 0, 1.0, alpha * x)),
        Mistake("returns the value instead of the slope",
                "leaky_relu_grad returns leaky_relu(x); the derivative is 1 for x > 0 and "
                "alpha for x < 0.",
                returns=lambda x, alpha=0.01: np.where(x > 0, x, alpha * x)),
        Mistake("alpha hard-coded",
                "the slope for x < 0 came out as 0.01 or 0.1 whatever alpha was asked for: use "
                "the alpha argument for it, and give that argument the default 0.01 (0.1 is the "
                "value of notes 004).",
                returns=(lambda x, alpha=0.01: np.where(x > 0, 1.0, 0.01),
                         lambda x, alpha=0.01: np.where(x > 0, 1.0, 0.1))),
        ARRAY_IN_IF,
        _in_place("leaky_relu_grad"),
    ),
    # [B6]
    "elu": (
        Mistake("bracket",
                "the negative branch is alpha (e^x - 1), not alpha e^x - 1.",
                returns=lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - 1)),
        Mistake("np.where computes both branches",
                "np.exp(x) overflows at x = 1000 even where its value is not used: np.where "
                "evaluates both branches for every element (and masking or np.minimum afterwards "
                "comes too late). Exponentiate only min(x, 0), e.g. np.expm1(np.minimum(x, 0)).",
                returns=lambda x, alpha=1.0: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
                warns=True),
        Mistake("masks multiply inf by 0",
                "(x <= 0) * alpha (e^x - 1) still computes e^1000 = inf for x = 1000, and 0 * inf "
                "is NaN. Exponentiate only min(x, 0): alpha * np.expm1(np.minimum(x, 0)).",
                returns=lambda x, alpha=1.0: (x > 0) * x + (x <= 0) * alpha * (np.exp(x) - 1),
                warns=True),
        Mistake("forgot alpha",
                "multiply the negative branch by alpha: alpha (e^x - 1).",
                returns=lambda x, alpha=1.0: np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1)),
        Mistake("default alpha = 0.01",
                "ELU's default alpha is 1.0; 0.01 is leaky ReLU's.",
                returns=lambda x, alpha=0.01: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))),
        Mistake("a maximum instead of two cases",
                "max(x, alpha (e^x - 1)) picks e^x - 1 for x > 0, where it exceeds x; ELU is two "
                "cases chosen by the sign of x: np.where(x > 0, x, ...).",
                returns=lambda x, alpha=1.0: np.maximum(x, alpha * (np.exp(x) - 1))),
        _in_place("elu"),
    ),
    # [B7]
    "softplus": (
        Mistake("overflow in log(1 + e^x)",
                "np.exp overflowed (its argument passed about 709), so the log is inf. "
                "Exponentiate only -|x| <= 0: softplus(x) = max(x, 0) + log1p(e^(-|x|)), or use "
                "np.logaddexp(0, x).",
                warns=True),
        Mistake("forgot the 1",
                "softplus is log(1 + e^x); without the 1 it is log(e^x) = x.",
                returns=lambda x: np.asarray(x, dtype=float)),
        Mistake("x for positive x",
                "softplus(x) only tends to x for large x: for x > 0 it is x + log(1 + e^(-x)) "
                "(1.3133 at x = 1, not 1).",
                returns=lambda x: np.where(x > 0, x, np.log1p(np.exp(np.minimum(x, 0))))),
        Mistake("forgot the max(x, 0) term",
                "log(1 + e^(-|x|)) is only the correction term; softplus(x) = max(x, 0) + "
                "log1p(e^(-|x|)).",
                returns=lambda x: np.log1p(np.exp(-np.abs(x)))),
        Mistake("logaddexp(1, x)",
                "np.logaddexp(a, b) is log(e^a + e^b), so logaddexp(1, x) is log(e + e^x); "
                "softplus is np.logaddexp(0, x) = log(e^0 + e^x).",
                returns=lambda x: np.logaddexp(1, x)),
        MATH_MODULE,
    ),
    # [B9]
    "softmax": (
        Mistake("overflow: the maximum was not subtracted",
                "e^1000 overflows to inf and inf/inf = NaN. Subtract each row's maximum before "
                "exponentiating: softmax does not change when a constant is added to all logits "
                "of a row.",
                returns=lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True),
                warns=True),
        Mistake("one maximum for the whole batch",
                "subtract each row's own maximum (z.max(axis=-1, keepdims=True)), not the maximum "
                "of the whole array: a row far below it underflows to 0/0.",
                returns=(lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(
                    axis=-1, keepdims=True),),
                warns=True),
        Mistake("log-sum-exp without the shift",
                "log(sum(e^z)) overflows to inf at z = 1000, so e^(z - inf) = 0. Subtract the "
                "row's maximum m first: log-sum-exp = m + log(sum(e^(z - m))).",
                returns=lambda z: np.exp(z - np.log(np.exp(z).sum(axis=-1, keepdims=True))),
                warns=True),
        Mistake("not stable",
                "the result has inf/NaN or a warning: subtract each row's maximum, "
                "z.max(axis=-1, keepdims=True), before exponentiating, so every exponent is <= 0.",
                warns=True),
        Mistake("normalised over the wrong axis",
                "each row (one example, axis=-1: the classes) must sum to 1; you normalised each "
                "column (axis=0: the batch).",
                returns=lambda z: np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)),
        Mistake("normalised over the whole batch",
                "np.sum without an axis adds up every entry of the batch; sum each row: "
                "e.sum(axis=-1, keepdims=True).",
                returns=lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()),
        Mistake("reduced without keepdims",
                "z.max(axis=-1) and e.sum(axis=-1) have shape (N,), which numpy lines up with the "
                "last axis, not with the rows; pass keepdims=True to both.",
                raises=ValueError, message_contains="broadcast",
                returns=(lambda z: (np.exp(z - z.max(axis=-1, keepdims=True))
                                    / np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1)),
                         lambda z: (np.exp(z - z.max(axis=-1))
                                    / np.exp(z - z.max(axis=-1)).sum(axis=-1, keepdims=True)))),
        Mistake("axis=1 on a single vector",
                "a single vector z has shape (K,) and no axis 1; use axis=-1 (the last axis, the "
                "classes), which works for shape (K,) and (N, K).",
                raises=IndexError, message_contains="axis 1 is out of bounds"),
        _in_place("softmax"),
    ),
    # [C3, C4]
    "softmax_cross_entropy": (
        Mistake("averaged over classes instead of the batch",
                "you divided by N * K (np.mean over the whole one-hot product); the loss is the "
                "mean over the N examples of -log p[label].",
                returns=lambda z, y: (-np.mean(_onehot(y, z.shape[1]) * _log_softmax(z)),
                                      (_softmax(z) - _onehot(y, z.shape[1])) / len(y))),
        Mistake("sum instead of mean",
                "the loss is the mean over the batch, not the sum: divide by N.",
                returns=lambda z, y: _ce(_log_softmax(z), y, reduce=np.sum)),
        Mistake("gradient not divided by N",
                "the loss is a mean over N examples, so its gradient is (p - y) / N.",
                returns=lambda z, y: _ce(_log_softmax(z), y, grad_scale=1)),
        Mistake("sum instead of mean, in the loss and the gradient",
                "you summed over the batch in both outputs: the loss is the mean over the N "
                "examples, so divide the loss by N and the gradient too: (p - y) / N.",
                returns=lambda z, y: _ce(_log_softmax(z), y, reduce=np.sum, grad_scale=1)),
        Mistake("sign of the gradient",
                "the gradient of the loss with respect to the logits is (p - y) / N, not "
                "(y - p) / N.",
                returns=lambda z, y: (-np.mean(_log_softmax(z)[np.arange(len(y)), y]),
                                      (_onehot(y, z.shape[1]) - _softmax(z)) / len(y))),
        Mistake("forgot to subtract the one-hot target",
                "the gradient is (p - y) / N: subtract 1 at each example's label.",
                returns=lambda z, y: (-np.mean(_log_softmax(z)[np.arange(len(y)), y]),
                                      _softmax(z) / len(y))),
        Mistake("per-example losses",
                "you returned one loss per example (shape (N,)); the loss is their mean, one "
                "number.",
                returns=lambda z, y: (-_log_softmax(z)[np.arange(len(y)), y],
                                      (_softmax(z) - _onehot(y, z.shape[1])) / len(y))),
        Mistake("labels used as one-hot rows",
                "y holds integer labels of shape (N,), not one-hot rows of shape (N, K): pick "
                "the label's entry with p[np.arange(N), y], or build the one-hot matrix "
                "np.eye(K)[y] first.",
                raises=ValueError, message_contains="broadcast"),
        Mistake("one-based labels",
                "the labels are 0 .. K-1 (label 0 is the first class), so index with y itself, "
                "not y - 1.",
                returns=lambda z, y: _ce(_log_softmax(z), (y - 1) % z.shape[1])),
        Mistake("p[:, y] instead of p[rows, y]",
                "p[:, y] takes the label columns for every example, an (N, N) matrix; take one "
                "entry per example with p[np.arange(N), y].",
                returns=lambda z, y: (-np.mean(_log_softmax(z)[:, y]),
                                      (_softmax(z) - np.isin(np.arange(z.shape[1]), y)[None, :]
                                       * (np.bincount(y, minlength=z.shape[1]) > 0)) / len(y))),
        Mistake("gradient with respect to p",
                "-1/p at the label is the gradient with respect to the probabilities p; the "
                "gradient with respect to the logits is (p - y) / N (softmax and cross-entropy "
                "together).",
                returns=(lambda z, y: (-np.mean(_log_softmax(z)[np.arange(len(y)), y]),
                                       -_onehot(y, z.shape[1]) / _softmax(z) / len(y)),
                         lambda z, y: (-np.mean(_log_softmax(z)[np.arange(len(y)), y]),
                                       -_onehot(y, z.shape[1]) / _softmax(z)))),
        Mistake("normalised over the wrong axis",
                "the maximum and the log-sum-exp are taken over each row (axis=1: the classes), "
                "not over the batch (axis=0).",
                returns=lambda z, y: _ce(_log_softmax(z.T).T, y)),
        Mistake("epsilon clipping",
                "log(p + eps) or np.clip(p, eps, 1) hides log(0) but caps each example's loss at "
                "-log(eps) (27.6 for 1e-12), where a label whose logit lies 1000 or 2000 below "
                "the row's maximum should cost 1000 or 2000. Compute log p exactly as "
                "log-softmax: z - max - log(sum(exp(z - max))).",
                returns=tuple((lambda z, y, e=eps: (
                    -np.mean(np.log(_softmax(z)[np.arange(len(y)), y] + e)),
                    (_softmax(z) - _onehot(y, z.shape[1])) / len(y))) for eps in EPSILONS)
                + tuple((lambda z, y, e=eps: (
                    -np.mean(np.log(np.clip(_softmax(z), e, 1 - e))[np.arange(len(y)), y]),
                    (_softmax(z) - _onehot(y, z.shape[1])) / len(y))) for eps in EPSILONS)),
        Mistake("log of a probability that underflowed",
                "softmax(z) rounds tiny probabilities to 0, and log(0) = -inf (0 * log(0) is NaN). "
                "Compute log p directly as z - max - log(sum(exp(z - max))) (log-softmax).",
                returns=(lambda z, y: (-np.mean(np.log(_softmax(z))[np.arange(len(y)), y]),
                                       (_softmax(z) - _onehot(y, z.shape[1])) / len(y)),
                         lambda z, y: (-np.sum(_onehot(y, z.shape[1]) * np.log(_softmax(z))) / len(y),
                                       (_softmax(z) - _onehot(y, z.shape[1])) / len(y))),
                warns=True),
        Mistake("overflow: the maximum was not subtracted",
                "e^1000 overflows to inf and inf/inf = NaN: subtract each row's maximum before "
                "exponentiating, and take log p as log-softmax, z - max - log(sum(exp(z - max))).",
                returns=tuple((lambda z, y, r=reduce: (
                    -r(np.log((np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
                              [np.arange(len(y)), y])),
                    (np.exp(z) / np.exp(z).sum(axis=1, keepdims=True) - _onehot(y, z.shape[1]))
                    / len(y))) for reduce in (np.mean, np.sum)),
                warns=True),
        Mistake("log-sum-exp without the shift",
                "log(sum(e^z)) overflows to inf at z = 1000; subtract the row's maximum m first: "
                "log p = z - m - log(sum(e^(z - m))).",
                returns=lambda z, y: _ce(z - np.log(np.exp(z).sum(axis=1, keepdims=True)), y),
                warns=True),
        Mistake("math.log of a probability that underflowed",
                "math.log(0) raises 'math domain error': the label's probability rounded to 0. "
                "Use numpy, subtract each row's maximum, and compute log p directly as "
                "log-softmax, z - max - log(sum(exp(z - max))).",
                raises=ValueError, message_contains="math domain error"),
        _in_place("softmax_cross_entropy"),
    ),
}

CATALOGUES: dict[str, dict[str, tuple[Mistake, ...]]] = {
    "01_activations_and_losses": ACTIVATIONS_AND_LOSSES,
}


def mistakes_for(assignment: str) -> dict[str, tuple[Mistake, ...]]:
    """The catalogue of one assignment: graded function name -> its recognised mistakes.

    Raises
    ------
    KeyError
        If the assignment has no catalogue; the message lists the ones that exist.
    """
    try:
        return CATALOGUES[assignment]
    except KeyError:
        raise KeyError(f"no mistake catalogue for assignment {assignment!r}; "
                       f"known: {', '.join(sorted(CATALOGUES))}") from None
