"""Recognised common mistakes, with the hint that names each one.

Each entry of ``MISTAKES`` maps a function that students implement to the mistakes that the test
cells recognise (see `course_lib.grading.Mistake`). A wrong implementation is written out in
plain numpy, so that a student who reads this file learns what the mistake looks like; the hint
says why it is wrong and how to fix it. Wrong implementations are only ever called through the
grading helpers, which silence their warnings.
"""
from __future__ import annotations

import numpy as np

from .grading import Mistake

__all__ = ["MISTAKES"]


def _sigma(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _onehot(y, k):
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1.0
    return out


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


MATH_MODULE = Mistake(
    "math instead of numpy",
    "math.exp and math.log take one number; use np.exp and np.log, which work elementwise "
    "on whole arrays.",
    raises=TypeError)

OVERFLOW_EXP = Mistake(
    "overflow in exp",
    "np.exp overflows to inf once its argument passes about 709, and inf/inf is NaN. Only "
    "ever exponentiate numbers that are <= 0, e.g. e^(-|x|), and choose the formula by the "
    "sign of x.",
    warns=True)

MISTAKES: dict[str, tuple[Mistake, ...]] = {
    # [B1]
    "sigmoid": (
        Mistake("the sign slip of the notes",
                "this is 1/(1 + e^x), the slip in the notes (003); the sigmoid is "
                "1/(1 + e^(-x)), which is 1/2 at 0 and tends to 1 for large x.",
                returns=lambda x: 1.0 / (1.0 + np.exp(x))),
        OVERFLOW_EXP,
        MATH_MODULE,
        Mistake("e^x instead of 1/(1 + e^-x)",
                "e^x/(1 + e^x) needs the 1 + in the denominator only; you returned e^x "
                "without dividing.",
                returns=lambda x: np.exp(x)),
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
                "sigma(x)^2 is not the derivative; sigma'(x) = sigma(x)(1 - sigma(x)).",
                returns=lambda x: _sigma(x) ** 2),
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
        Mistake("overflow in the quotient of exponentials",
                "(e^x - e^-x)/(e^x + e^-x) overflows at |x| = 1000 and gives inf/inf = NaN; "
                "use 2 sigma(2x) - 1 with your stable sigmoid.",
                warns=True),
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
        Mistake("changed the input in place",
                "x[x < 0] = 0 writes into the caller's array; build a new array with "
                "np.maximum(0, x), or work on x.copy().",
                mutates=True),
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
    ),
    # [B4]
    "leaky_relu": (
        Mistake("plain ReLU",
                "negative inputs must give alpha * x, not 0: that is plain ReLU.",
                returns=lambda x, alpha=0.01: np.maximum(0, x)),
        Mistake("alpha = 0.1 instead of the argument",
                "you used alpha = 0.1 (the value in notes 004) instead of the alpha argument.",
                returns=lambda x, alpha=0.01: np.where(x > 0, x, 0.1 * x)),
        Mistake("minimum instead of maximum",
                "max(alpha x, x) with 0 < alpha < 1 keeps x for x > 0; np.minimum gives "
                "alpha x there and x for x < 0.",
                returns=lambda x, alpha=0.01: np.minimum(alpha * x, x)),
        Mistake("max(0, alpha x)",
                "max(0, alpha x) is 0 for negative x and alpha x for positive x; leaky ReLU is "
                "max(alpha x, x).",
                returns=lambda x, alpha=0.01: np.maximum(0, alpha * x)),
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
    ),
    # [B6]
    "elu": (
        Mistake("bracket",
                "the negative branch is alpha (e^x - 1), not alpha e^x - 1.",
                returns=lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.exp(x) - 1)),
        Mistake("np.where computes both branches",
                "np.where evaluates both branches for every element, so exp(1000) overflows "
                "even though that branch is discarded. Exponentiate only min(x, 0), e.g. "
                "np.expm1(np.minimum(x, 0)).",
                warns=True),
        Mistake("forgot alpha",
                "multiply the negative branch by alpha: alpha (e^x - 1).",
                returns=lambda x, alpha=1.0: np.where(x > 0, x, np.exp(np.minimum(x, 0)) - 1)),
    ),
    # [B7]
    "softplus": (
        Mistake("overflow in log(1 + e^x)",
                "e^x overflows at x = 1000, so log(1 + e^x) is inf. Use np.logaddexp(0, x), or "
                "max(x, 0) + log1p(e^(-|x|)).",
                warns=True),
        Mistake("forgot the 1",
                "softplus is log(1 + e^x); without the 1 it is log(e^x) = x.",
                returns=lambda x: np.asarray(x, dtype=float)),
        MATH_MODULE,
    ),
    # [B9]
    "softmax": (
        Mistake("overflow: the maximum was not subtracted",
                "e^1000 overflows to inf and inf/inf = NaN. Subtract each row's maximum before "
                "exponentiating: softmax does not change when a constant is added to all logits "
                "of a row.",
                warns=True),
        Mistake("normalised over the wrong axis",
                "each row (one example, axis=-1: the classes) must sum to 1; you normalised each "
                "column (axis=0: the batch).",
                returns=lambda z: np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)),
        Mistake("sum without keepdims",
                "e.sum(axis=-1) has shape (N,), which numpy lines up with the last axis, not with "
                "the rows; use e.sum(axis=-1, keepdims=True).",
                raises=ValueError, message_contains="broadcast"),
        Mistake("sum without keepdims",
                "e.sum(axis=-1) has shape (N,), which numpy lines up with the last axis, not with "
                "the rows; use e.sum(axis=-1, keepdims=True).",
                returns=lambda z: (np.exp(z - z.max(axis=-1, keepdims=True))
                                   / np.exp(z - z.max(axis=-1, keepdims=True)).sum(axis=-1))),
        Mistake("one maximum for the whole batch",
                "subtract each row's own maximum (z.max(axis=-1, keepdims=True)), not the maximum "
                "of the whole array: a row far below it underflows to 0/0.",
                returns=lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1,
                                                                              keepdims=True)),
    ),
    # [C3, C4]
    "softmax_cross_entropy": (
        Mistake("averaged over classes instead of the batch",
                "you divided by N * K (np.mean over the whole one-hot product); the loss is the "
                "mean over the N examples of -log p[label].",
                returns=lambda z, y: (-np.mean(_onehot(y, z.shape[1]) * np.log(_softmax(z))),
                                      (_softmax(z) - _onehot(y, z.shape[1])) / len(y))),
        Mistake("sum instead of mean",
                "the loss is the mean over the batch, not the sum: divide by N.",
                returns=lambda z, y: (-np.sum(np.log(_softmax(z))[np.arange(len(y)), y]),
                                      (_softmax(z) - _onehot(y, z.shape[1])) / len(y))),
        Mistake("gradient not divided by N",
                "the loss is a mean over N examples, so its gradient is (p - y) / N.",
                returns=lambda z, y: (-np.mean(np.log(_softmax(z))[np.arange(len(y)), y]),
                                      _softmax(z) - _onehot(y, z.shape[1]))),
        Mistake("sign of the gradient",
                "the gradient of the loss with respect to the logits is (p - y) / N, not "
                "(y - p) / N.",
                returns=lambda z, y: (-np.mean(np.log(_softmax(z))[np.arange(len(y)), y]),
                                      (_onehot(y, z.shape[1]) - _softmax(z)) / len(y))),
        Mistake("log of a probability that underflowed",
                "softmax(z) rounds tiny probabilities to 0 and log(0) = -inf. Compute log p "
                "directly as z - max - log(sum(exp(z - max))) (log-softmax).",
                warns=True),
    ),
}
