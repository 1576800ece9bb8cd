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

import math

import numpy as np

from . import autodiff as _autodiff
from . import gradcheck as _gradcheck
from .grading import Mistake, engine_check, epochs_check

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


# ---- 02 Backpropagation by hand ------------------------------------------------------------
# Its wrong implementations and fixtures are in tests/assignments/02_backprop_by_hand/.
#
# The wrong engines of `Value` are subclasses of `_Engine`, a correct engine written the way the
# notebook asks for it (micrograd style: -x = x * -1, a - b = a + (-b), a / b = a * b ** -1); each
# wrong engine overrides the one method that holds its mistake. `_Engine` makes every result an
# instance of the class it was computed in (type(self)), because course_lib.autodiff.Value builds
# its results as plain Value, which would leave the wrong engine after the first operation.
# `_direct_style` gives the same mistake in an engine whose -, / and unary minus are operations of
# their own (with their own local gradients), the other way students write them.


class _Engine(_autodiff.Value):
    """A correct engine, micrograd style; every result has the type of the engine."""

    def _lift(self, other):
        return other if isinstance(other, _autodiff.Value) else type(self)(other)

    def _node(self, data, children, op):
        return type(self)(data, _children=children, _op=op)

    def __add__(self, other):
        other = self._lift(other)
        out = self._node(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = self._node(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, n):
        out = self._node(self.data ** n, (self,), f"**{n}")

        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __truediv__(self, other):
        return self * self._lift(other) ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def exp(self):
        out = self._node(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = self._node(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += (1 / self.data) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = self._node(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else \
            math.exp(self.data) / (1 + math.exp(self.data))
        out = self._node(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = self._node(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def _topological_order(self):
        topo, visited = [], set()

        def build(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    build(child)
                topo.append(node)
        build(self)
        return topo

    def backward(self):
        topo = self._topological_order()
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class _DirectStyle(_Engine):
    """-x, a - b and a / b as operations of their own, with their own local gradients."""

    def __neg__(self):
        out = self._node(-self.data, (self,), "neg")

        def _backward():
            self.grad += -1.0 * out.grad
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = self._lift(other)
        out = self._node(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad += -out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = self._lift(other)
        out = self._node(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += (1 / other.data) * out.grad
            other.grad += (-self.data / other.data ** 2) * out.grad
        out._backward = _backward
        return out


def _direct_style(engine):
    """The same mistake in an engine whose -, / and unary minus are operations of their own."""
    return type(engine.__name__ + "DirectStyle", (_DirectStyle, engine), {})


def _engines(*engines, styles=(lambda engine: engine, _direct_style)):
    """engine_check of each wrong engine, micrograd style and direct style (by default)."""
    return tuple(engine_check(style(engine)) for engine in engines for style in styles)


class _AssignInAdd(_Engine):
    def __add__(self, other):
        other = self._lift(other)
        out = self._node(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad  # = : what another use of self passed back is lost
            other.grad = out.grad
        out._backward = _backward
        return out


class _AssignInMul(_Engine):
    def __mul__(self, other):
        other = self._lift(other)
        out = self._node(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._backward = _backward
        return out


class _AssignInAddAndMul(_AssignInAdd, _AssignInMul):
    pass


class _AssignEverywhere(_AssignInAddAndMul):
    def __pow__(self, n):
        out = self._node(self.data ** n, (self,), f"**{n}")

        def _backward():
            self.grad = n * self.data ** (n - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = self._node(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad = out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = self._node(math.log(self.data), (self,), "log")

        def _backward():
            self.grad = (1 / self.data) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = self._node(t, (self,), "tanh")

        def _backward():
            self.grad = (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else \
            math.exp(self.data) / (1 + math.exp(self.data))
        out = self._node(s, (self,), "sigmoid")

        def _backward():
            self.grad = s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = self._node(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad = (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out


class _TopologicalOrderNotReversed(_Engine):
    def backward(self):
        topo = self._topological_order()
        self.grad = 1.0
        for node in topo:  # inputs first: each node passes its grad on before it is complete
            node._backward()


class _DepthFirstFromTheOutput(_Engine):
    def backward(self):
        self.grad = 1.0
        visited = set()

        def visit(node):  # a node passes its grad on when first reached, not once complete
            if node not in visited:
                visited.add(node)
                node._backward()
                for child in node._prev:
                    visit(child)
        visit(self)


class _BreadthFirstFromTheOutput(_Engine):
    def backward(self):
        self.grad = 1.0
        queue, seen = [self], {self}
        while queue:  # level by level, not in topological order
            node = queue.pop(0)
            node._backward()
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)


class _TopologicalOrderWithoutVisited(_Engine):
    def backward(self):
        topo = []

        def build(node):  # no visited set: a node reached along two paths is listed twice
            for child in node._prev:
                build(child)
            topo.append(node)
        build(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class _NotSeeded(_Engine):
    def backward(self):
        topo = self._topological_order()
        # self.grad = 1.0 is missing: the output's grad stays 0
        for node in reversed(topo):
            node._backward()


class _MulOwnInput(_Engine):
    def __mul__(self, other):
        other = self._lift(other)
        out = self._node(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad  # its own input: should be other.data
            other.grad += other.data * out.grad  # should be self.data
        out._backward = _backward
        return out


class _PowWithoutFactor(_Engine):
    def __pow__(self, n):
        out = self._node(self.data ** n, (self,), f"**{n}")

        def _backward():
            self.grad += out.grad  # the local gradient n * x ** (n - 1) is missing
        out._backward = _backward
        return out


class _PowWithoutN(_Engine):
    def __pow__(self, n):
        out = self._node(self.data ** n, (self,), f"**{n}")

        def _backward():
            self.grad += self.data ** (n - 1) * out.grad  # the factor n is missing
        out._backward = _backward
        return out


class _PowWithoutMinusOne(_Engine):
    def __pow__(self, n):
        out = self._node(self.data ** n, (self,), f"**{n}")

        def _backward():
            self.grad += n * self.data ** n * out.grad  # the exponent should be n - 1
        out._backward = _backward
        return out


class _DivisionWithoutMinus(_DirectStyle):
    def __truediv__(self, other):
        other = self._lift(other)
        out = self._node(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += (1 / other.data) * out.grad
            other.grad += (self.data / other.data ** 2) * out.grad  # should be -a / b ** 2
        out._backward = _backward
        return out


class _SigmoidShortcutOnInput(_Engine):
    def sigmoid(self):
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else \
            math.exp(self.data) / (1 + math.exp(self.data))
        out = self._node(s, (self,), "sigmoid")

        def _backward():
            x = self.data
            self.grad += x * (1 - x) * out.grad  # the shortcut belongs to s, not to x
        out._backward = _backward
        return out


class _TanhShortcutOnInput(_Engine):
    def tanh(self):
        out = self._node(math.tanh(self.data), (self,), "tanh")

        def _backward():
            x = self.data
            self.grad += (1 - x ** 2) * out.grad  # the shortcut belongs to t, not to x
        out._backward = _backward
        return out


class _ReflectedSwapped(_Engine):
    def __rsub__(self, other):  # other - self
        return self - other

    def __rtruediv__(self, other):  # other / self
        return self / other


class _RsubSwapped(_Engine):
    def __rsub__(self, other):
        return self - other


class _RtruedivSwapped(_Engine):
    def __rtruediv__(self, other):
        return self / other


def _circuit_forward(x, y, z):
    q = x + y
    return q, q * z


def _circuit_grads(dfdx, dfdy, dfdz):
    return lambda x, y, z: (dfdx(x, y, z), dfdy(x, y, z), dfdz(x, y, z))


def _local_gradients(x, a, c):
    return np.exp(x), -1.0 / x ** 2, a, 1.0


def _gate_backward(gate, a, b, dout):
    if gate == "add":
        return dout, dout
    if gate == "mul":
        return b * dout, a * dout
    if gate == "max":
        return (dout, 0.0) if a >= b else (0.0, dout)
    raise ValueError(f"unknown gate {gate!r}")


def _gates(**wrong):
    """gate_backward with the gates named in ``wrong`` replaced by the given functions."""
    def gate_backward(gate, a, b, dout):
        if gate in wrong:
            return wrong[gate](a, b, dout)
        return _gate_backward(gate, a, b, dout)
    return gate_backward


def _neuron(w, x, *, d_recip=lambda den, e, f: -1.0 / den ** 2,
            d_neg=-1.0, d_exp=lambda neg, dot, e: e, bias=True, own_input=False):
    """The sigmoid neuron node by node; the keyword arguments change one local gradient."""
    w = np.asarray(w, dtype=float)
    x = np.asarray(x, dtype=float)
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    neg = -dot
    e = np.exp(neg)
    den = 1.0 + e
    f = 1.0 / den
    dden = d_recip(den, e, f)
    de = dden * 1.0
    dneg = de * d_exp(neg, dot, e)
    ddot = dneg * d_neg
    if own_input:
        dw = np.array([w[0] * ddot, w[1] * ddot, ddot])
        dx = np.array([x[0] * ddot, x[1] * ddot])
    else:
        dw = np.array([x[0] * ddot, x[1] * ddot, ddot])
        dx = np.array([w[0] * ddot, w[1] * ddot])
    if bias is False:
        dw[2] = 0.0
    elif bias is None:  # a gradient of shape (2,): the bias was left out
        dw = dw[:2]
    return float(f), dw, dx


def _shortcut(w, x, *, local=lambda z, s: s * (1 - s), bias=True, own_input=False):
    """The sigmoid neuron with the shortcut; ``local`` is dsigma/dz as the student wrote it."""
    w = np.asarray(w, dtype=float)
    x = np.asarray(x, dtype=float)
    z = w[0] * x[0] + w[1] * x[1] + w[2]
    s = 1.0 / (1.0 + np.exp(-z))
    dz = local(z, s)
    if own_input:
        dw, dx = np.array([w[0] * dz, w[1] * dz, dz]), x * dz
    else:
        dw, dx = np.array([x[0] * dz, x[1] * dz, dz]), w[:2] * dz
    if bias is False:
        dw[2] = 0.0
    elif bias is None:
        dw = dw[:2]
    return float(s), dw, dx


def _forward_difference(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h  # one-sided: its error is O(h), the central one's O(h^2)
        x[i] = old
    return grad


def _backward_difference(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old - h
        grad[i] = (fx - f(x)) / h
        x[i] = old
    return grad


def _central_over_h(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / h  # the two points are 2h apart
    return grad


def _all_entries_at_once(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        grad[i] = (f(x + h) - f(x - h)) / (2 * h)  # x + h shifts every entry, not entry i
    return grad


def _jacobian(f, x, h=1e-5):
    """The right numerical Jacobian: column j is (f(x + h e_j) - f(x - h e_j)) / 2h."""
    columns = []
    for j in range(x.size):
        old = x[j]
        x[j] = old + h
        f_plus = np.array(f(x), dtype=float)
        x[j] = old - h
        f_minus = np.array(f(x), dtype=float)
        x[j] = old
        columns.append((f_plus - f_minus) / (2 * h))
    return np.stack(columns, axis=1)


def _jacobian_forward(f, x, h=1e-5):
    fx = np.array(f(x), dtype=float)
    columns = []
    for j in range(x.size):
        old = x[j]
        x[j] = old + h
        columns.append((np.array(f(x), dtype=float) - fx) / h)
        x[j] = old
    return np.stack(columns, axis=1)


def _jacobian_backward(f, x, h=1e-5):
    fx = np.array(f(x), dtype=float)
    columns = []
    for j in range(x.size):
        old = x[j]
        x[j] = old - h
        columns.append((fx - np.array(f(x), dtype=float)) / h)
        x[j] = old
    return np.stack(columns, axis=1)


def _jacobian_over_h(f, x, h=1e-5):
    columns = []
    for j in range(x.size):
        old = x[j]
        x[j] = old + h
        f_plus = np.array(f(x), dtype=float)
        x[j] = old - h
        f_minus = np.array(f(x), dtype=float)
        x[j] = old
        columns.append((f_plus - f_minus) / h)
    return np.stack(columns, axis=1)


def _jacobian_all_at_once(f, x, h=1e-5):
    column = (np.array(f(x + h), dtype=float) - np.array(f(x - h), dtype=float)) / (2 * h)
    return np.stack([column] * x.size, axis=1)


def _rel(a, b, denominator, reduce=np.max):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return reduce(np.abs(a - b) / denominator(np.abs(a), np.abs(b)))


def _arr(v):
    return np.asarray(v, dtype=float)


def _numerical_in_place(what):
    return Mistake(
        "x left changed",
        f"{what} changed x in place: x must hold its old values when the function returns. "
        "If you shift x[i] by +h and -h in place, put the old value back after the two "
        "evaluations (old = x[i]; ...; x[i] = old), or shift a copy of x instead.",
        mutates=True)


BACKPROP_BY_HAND: dict[str, tuple[Mistake, ...]] = {
    # [D1, D2]
    "circuit_forward": (
        Mistake("missing parentheses",
                "x + y * z multiplies first: f = (x + y) * z, or f = q * z with q = x + y.",
                returns=lambda x, y, z: (x + y, x + y * z)),
        Mistake("outputs in the wrong order",
                "return the intermediate value first and the output second: (q, f).",
                returns=lambda x, y, z: (_circuit_forward(x, y, z)[1],
                                         _circuit_forward(x, y, z)[0])),
        Mistake("x * y instead of x + y",
                "the first gate adds: q = x + y (then f = q * z).",
                returns=lambda x, y, z: (x * y, x * y * z)),
        Mistake("f = q + z",
                "the second gate multiplies: f = q * z, not q + z.",
                returns=lambda x, y, z: (x + y, x + y + z)),
    ),
    "circuit_backward": (
        Mistake("dfdz = z instead of q",
                "f = q * z, so df/dz is the other factor, q = x + y, not z itself.",
                returns=lambda x, y, z: (z, z, z)),
        Mistake("chain rule not applied",
                "dq/dx = 1 is only the local gradient of the add gate; the chain rule multiplies "
                "it by the gradient arriving from above, df/dq = z: df/dx = df/dq * dq/dx = z "
                "(and the same for y).",
                returns=lambda x, y, z: (1.0, 1.0, x + y)),
        Mistake("multiply gate: own input instead of the other",
                "the multiply gate swaps its inputs: df/dq = z and df/dz = q (each factor's "
                "gradient is the other factor), not df/dq = q and df/dz = z.",
                returns=lambda x, y, z: (x + y, x + y, z)),
        Mistake("dfdz = f instead of q",
                "df/dz is the other factor of f = q * z, that is q = x + y, not the product "
                "f itself.",
                returns=lambda x, y, z: (z, z, (x + y) * z)),
        Mistake("add gate treated as a multiply gate",
                "q = x + y has dq/dx = 1 and dq/dy = 1 (the add gate passes its gradient on "
                "unchanged); y and x are the local gradients of a product x * y. So df/dx = "
                "df/dy = z.",
                returns=lambda x, y, z: (z * y, z * x, x + y)),
    ),
    # [D3]
    "local_gradients": (
        Mistake("the reciprocal's local gradient without its minus sign",
                "d(1/x)/dx = -1/x^2: 1/x falls as x grows, so its slope is negative.",
                returns=lambda x, a, c: (np.exp(x), 1.0 / x ** 2, a, 1.0)),
        Mistake("reciprocal: -1/x instead of -1/x^2",
                "1/x = x^(-1), and the power rule gives -1 * x^(-2) = -1/x^2: the square is "
                "missing.",
                returns=lambda x, a, c: (np.exp(x), -1.0 / x, a, 1.0)),
        Mistake("shift: the constant instead of 1",
                "d(c + x)/dx = 1: the constant c shifts the function, it does not change its "
                "slope.",
                returns=lambda x, a, c: (np.exp(x), -1.0 / x ** 2, a, c)),
        Mistake("scale: x instead of a",
                "d(a x)/dx = a, the constant factor, not x.",
                returns=lambda x, a, c: (np.exp(x), -1.0 / x ** 2, x, 1.0)),
        Mistake("power rule applied to e^x",
                "e^x is not a power of x: the power rule x e^(x-1) does not apply; e^x is its "
                "own derivative.",
                returns=lambda x, a, c: (x * np.exp(x - 1), -1.0 / x ** 2, a, 1.0)),
    ),
    "gate_backward": (
        Mistake("mul not swapping",
                "the multiply gate swaps its inputs: the gradient of a is b * dout and the "
                "gradient of b is a * dout.",
                returns=_gates(mul=lambda a, b, dout: (a * dout, b * dout))),
        Mistake("max routing to both inputs",
                "max passes the whole gradient to the input that won (a if a >= b) and 0 to the "
                "other one, which did not affect the output.",
                returns=_gates(max=lambda a, b, dout: (dout, dout))),
        Mistake("max routing to the smaller input",
                "the comparison is the wrong way round: the gradient goes to the larger input "
                "(a if a >= b), the one that max passed on.",
                returns=_gates(max=lambda a, b, dout: (0.0, dout) if a >= b else (dout, 0.0))),
        Mistake("upstream gradient ignored",
                "you returned the local gradients only; the chain rule multiplies each by the "
                "gradient arriving from above, dout (add: (dout, dout), mul: (b * dout, "
                "a * dout)).",
                returns=_gates(add=lambda a, b, dout: (1.0, 1.0),
                               mul=lambda a, b, dout: (b, a),
                               max=lambda a, b, dout: (1.0, 0.0) if a >= b else (0.0, 1.0))),
    ),
    # [D4]
    "sigmoid_neuron_staged": (
        Mistake("a minus sign lost",
                "every gradient has the wrong sign: one of the two minus signs of the circuit "
                "is missing, the reciprocal's local gradient -1/u^2 (u = 1 + e^(-z)) or the "
                "negation's local gradient -1.",
                returns=(lambda w, x: _neuron(w, x, d_recip=lambda den, e, f: 1.0 / den ** 2),
                         lambda w, x: _neuron(w, x, d_neg=1.0))),
        Mistake("bias gradient forgotten",
                "w2 is added to the dot product, so its gradient is the gradient of the sum "
                "times 1: dw[2] = dz. dw has three entries, like w.",
                returns=(lambda w, x: _neuron(w, x, bias=False),
                         lambda w, x: _neuron(w, x, bias=None))),
        Mistake("multiply gate: own input instead of the other",
                "in w0 * x0 each factor's gradient is the other factor: dw0 = x0 * dz and "
                "dx0 = w0 * dz (and the same for w1, x1).",
                returns=lambda w, x: _neuron(w, x, own_input=True)),
        Mistake("a local gradient at the wrong node",
                "each gate's local gradient is taken at that gate's own input: the reciprocal "
                "1/u has -1/u^2 at u = 1 + e^(-z) (not at its output f, not at e^(-z)), and exp "
                "has e^t at t = -z (not at z).",
                returns=(lambda w, x: _neuron(w, x, d_recip=lambda den, e, f: -1.0 / f ** 2),
                         lambda w, x: _neuron(w, x, d_recip=lambda den, e, f: -1.0 / e ** 2),
                         lambda w, x: _neuron(w, x, d_exp=lambda neg, dot, e: np.exp(dot)))),
    ),
    "sigmoid_neuron": (
        Mistake("the shortcut applied to the pre-activation",
                "you computed z(1 - z): the shortcut sigma(1 - sigma) is applied to "
                "s = sigma(z), the neuron's output, not to z. Compute s first, then s * (1 - s).",
                returns=lambda w, x: _shortcut(w, x, local=lambda z, s: z * (1 - z))),
        Mistake("bias gradient forgotten",
                "w2 is added to the dot product, so its gradient is dz itself: dw[2] = dz. dw has "
                "three entries, like w.",
                returns=(lambda w, x: _shortcut(w, x, bias=False),
                         lambda w, x: _shortcut(w, x, bias=None))),
        Mistake("sigma instead of its derivative",
                "dsigma/dz is sigma(z)(1 - sigma(z)), not sigma(z) itself.",
                returns=lambda w, x: _shortcut(w, x, local=lambda z, s: s)),
        Mistake("multiply gate: own input instead of the other",
                "in w0 * x0 each factor's gradient is the other factor: dw0 = x0 * dz and "
                "dx0 = w0 * dz (and the same for w1, x1).",
                returns=lambda w, x: _shortcut(w, x, own_input=True)),
        Mistake("one factor only",
                "1 - sigma(z) is only one factor of dsigma/dz = sigma(z)(1 - sigma(z)).",
                returns=lambda w, x: _shortcut(w, x, local=lambda z, s: 1 - s)),
    ),
    # [D1-D4]
    "Value": (
        Mistake("= instead of +=",
                "a node used twice (a * a, a + a, or a feeding two operations) must receive the "
                "sum of both contributions; `self.grad = ...` in a _backward overwrites the "
                "first one. Accumulate: self.grad += ... and other.grad += ....",
                returns=_engines(_AssignInAddAndMul, _AssignInAdd, _AssignInMul,
                                 _AssignEverywhere)),
        Mistake("backward not in topological order",
                "a node may pass its grad on only once it is complete, after every node that "
                "uses it has passed its own: build the topological order by depth-first search "
                "(a node appended after all its inputs), seed self.grad = 1.0, then call "
                "node._backward() for node in reversed(topo).",
                returns=_engines(_TopologicalOrderNotReversed, _DepthFirstFromTheOutput,
                                 _BreadthFirstFromTheOutput)),
        Mistake("a node visited twice in the topological order",
                "a node reached along two paths was put in the order twice, so its _backward "
                "ran twice and passed its gradient on twice: remember the visited nodes in "
                "build (a set; if node not in visited: visited.add(node) ...), so that every "
                "node appears once.",
                returns=_engines(_TopologicalOrderWithoutVisited)),
        Mistake("output gradient not seeded with 1",
                "every gradient came out 0, as when backward does not set self.grad = 1.0 on "
                "the output before the loop (df/df = 1; with 0, every product of the chain rule "
                "is 0). If you do seed it, check that the loop calls node._backward() with its "
                "parentheses.",
                returns=_engines(_NotSeeded)),
        Mistake("multiply gate: own input instead of the other",
                "in out = self * other each factor's gradient is the other factor: "
                "self.grad += other.data * out.grad and other.grad += self.data * out.grad.",
                returns=_engines(_MulOwnInput)),
        Mistake("x ** n without n x^(n-1)",
                "the local gradient of x ** n is n * x ** (n - 1): "
                "self.grad += n * self.data ** (n - 1) * out.grad.",
                # only engines whose division is its own operation: where a / b is
                # a * b ** -1, a wrong ** also changes the division's gradient, and that looks
                # like other mistakes of a division written out (see the next mistake)
                returns=_engines(_PowWithoutFactor, _PowWithoutN, _PowWithoutMinusOne,
                                 styles=(_direct_style,))),
        Mistake("division: the minus sign of -a/b^2 lost",
                "the gradient of a / b with respect to b is -a/b^2 (a/b falls as b grows, for "
                "a > 0); the minus sign is missing. If your division goes through b ** -1 "
                "(a * b ** -1, or other * self ** -1 in __rtruediv__), the minus comes from the "
                "factor n = -1 of the power rule n * x ** (n - 1).",
                returns=engine_check(_DivisionWithoutMinus)),
        Mistake("the sigmoid shortcut applied to the input",
                "you computed x(1 - x): the shortcut sigma(1 - sigma) is applied to the output "
                "s = sigma(x) (out.data), not to the input self.data.",
                returns=_engines(_SigmoidShortcutOnInput)),
        Mistake("the tanh shortcut applied to the input",
                "you computed 1 - x^2: the local gradient of tanh is 1 - t^2 with t = tanh(x), "
                "the output (out.data), not the input self.data.",
                returns=_engines(_TanhShortcutOnInput)),
        Mistake("reflected operators with the operands swapped",
                "2 - a calls a.__rsub__(2), which must compute other - self (2 - a), not "
                "self - other; likewise __rtruediv__ computes other / self.",
                returns=_engines(_ReflectedSwapped, _RsubSwapped, _RtruedivSwapped)),
        Mistake("a number not wrapped in a Value",
                "a plain number (the 2 of a + 2 or a * 2) has no .data: at the start of each "
                "operation with two operands wrap it, other = other if isinstance(other, Value) "
                "else Value(other).",
                raises=AttributeError, message_contains="has no attribute 'data'"),
    ),
    # [D11]
    "numerical_gradient": (
        Mistake("forward difference instead of central",
                "(f(x + h) - f(x)) / h is one-sided, with an error of order h; the central "
                "difference (f(x + h) - f(x - h)) / (2h) has an error of order h^2.",
                returns=(_forward_difference, _backward_difference)),
        Mistake("a step so small that round-off dominates",
                "f is only accurate to about 1e-16 |f|, so the difference quotient carries a "
                "rounding error of about 1e-16 |f| / h (1e-4 |f| for h = 1e-12): a tiny h is "
                "worse, not better. Use the default h = 1e-5.",
                # the right formula (the reference's) with a step that is far too small
                returns=tuple((lambda f, x, h=step: _gradcheck.numerical_gradient(f, x, h))
                              for step in (1e-12, 1e-13, 1e-14, 1e-15, 1e-11, 1e-10))),
        Mistake("divided by h instead of 2h",
                "x + h and x - h lie 2h apart: divide their difference by 2 * h.",
                returns=_central_over_h),
        Mistake("all entries shifted at once",
                "x + h adds h to every entry of x; shift one entry at a time (x[i] + h, the "
                "others unchanged), so that entry i of the gradient is the slope along x[i] only.",
                returns=_all_entries_at_once),
        _numerical_in_place("numerical_gradient"),
    ),
    "rel_error": (
        Mistake("no guard against dividing by zero",
                "where a and b are both 0, |a - b| / (|a| + |b|) is 0/0 = NaN; divide by "
                "np.maximum(1e-8, |a| + |b|) instead.",
                returns=lambda a, b: np.max(np.abs(_arr(a) - _arr(b))
                                            / (np.abs(_arr(a)) + np.abs(_arr(b)))),
                raises=ZeroDivisionError, warns=True),
        Mistake("divided by |a| only",
                "you divided by |a|: the relative error divides by |a| + |b| (with the floor "
                "1e-8), so that it does not depend on which of the two is the reference.",
                returns=(lambda a, b: np.max(np.abs(_arr(a) - _arr(b))
                                             / np.maximum(1e-8, np.abs(_arr(a)))),
                         lambda a, b: np.max(np.abs(_arr(a) - _arr(b)) / np.abs(_arr(a))))),
        Mistake("divided by |b| or max(|a|, |b|)",
                "the relative error divides by the sum |a| + |b| (with the floor 1e-8), not by "
                "|b| alone or by the larger of the two, max(|a|, |b|).",
                returns=tuple(lambda a, b, d=d: np.max(np.abs(_arr(a) - _arr(b)) / d(a, b))
                              for d in (lambda a, b: np.maximum(1e-8, np.abs(_arr(b))),
                                        lambda a, b: np.abs(_arr(b)),
                                        lambda a, b: np.maximum(1e-8, np.maximum(
                                            np.abs(_arr(a)), np.abs(_arr(b)))),
                                        lambda a, b: np.maximum(np.abs(_arr(a)),
                                                                np.abs(_arr(b)))))),
        Mistake("no maximum over the elements",
                "rel_error returns one number, the largest of the elementwise errors: "
                "np.max(...) of the array.",
                returns=lambda a, b: (np.abs(_arr(a) - _arr(b))
                                      / np.maximum(1e-8, np.abs(_arr(a)) + np.abs(_arr(b))))),
        Mistake("mean instead of max",
                "the relative error is the largest elementwise error (np.max): a mean lets one "
                "wrong entry hide among many right ones.",
                returns=lambda a, b: np.mean(np.abs(_arr(a) - _arr(b)) / np.maximum(
                    1e-8, np.abs(_arr(a)) + np.abs(_arr(b))))),
        Mistake("norms instead of elementwise",
                "||a - b|| / (||a|| + ||b||) compares whole vectors, so a small entry's error is "
                "lost next to large entries; take the elementwise ratio "
                "|a - b| / max(1e-8, |a| + |b|) and its maximum.",
                returns=lambda a, b: (np.linalg.norm(_arr(a) - _arr(b))
                                      / max(1e-8, np.linalg.norm(_arr(a))
                                            + np.linalg.norm(_arr(b))))),
    ),
    # [D5]
    "numerical_jacobian": (
        Mistake("Jacobian transposed",
                "row i of the Jacobian is the gradient of output f_i, so J has shape (M, N) "
                "and J[i, j] = df_i/dx_j: the difference quotient of shifting x_j is column j, "
                "not row j (np.stack(columns, axis=1), or return the transpose).",
                returns=lambda f, x, h=1e-5: _jacobian(f, x, h).T),
        Mistake("forward difference instead of central",
                "(f(x + h) - f(x)) / h is one-sided, with an error of order h; the central "
                "difference (f(x + h) - f(x - h)) / (2h) has an error of order h^2.",
                returns=(_jacobian_forward, _jacobian_backward)),
        Mistake("divided by h instead of 2h",
                "x + h and x - h lie 2h apart: divide their difference by 2 * h.",
                returns=_jacobian_over_h),
        Mistake("all entries shifted at once",
                "x + h adds h to every entry of x, so every column came out the same; shift one "
                "entry x_j at a time to get column j.",
                returns=_jacobian_all_at_once),
        _numerical_in_place("numerical_jacobian"),
    ),
}


# ---- 03_networks_from_scratch ------------------------------------------------------------------
def _phi(name):
    """(phi, phi') of the activations that assignment 03 gives its students."""
    table = {"sigmoid": (_sigma, lambda s: _sigma(s) * (1.0 - _sigma(s))),
             "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
             "relu": (lambda s: np.maximum(0.0, s), lambda s: (np.asarray(s) > 0).astype(float))}
    return table[name]


def _backward(dW=lambda dout, x, W: x.T @ dout, db=lambda dout: dout.sum(axis=0),
              dx=lambda dout, x, W: dout @ W.T, scale=lambda n: 1.0):
    """affine_backward with one of its three products replaced."""
    def affine_backward(dout, cache):
        x, W, b = cache
        k = scale(len(x))
        return dx(dout, x, W) * k, dW(dout, x, W) * k, db(dout) * k
    return affine_backward


def _parameters(per_layer):
    return lambda layer_sizes: sum(per_layer(d_in, d_out)
                                   for d_in, d_out in zip(layer_sizes[:-1], layer_sizes[1:]))


def _two_layer(hidden=_sigma, output=_sigma, flat=True):
    def two_layer_forward(X, params):
        h = hidden(X @ params["W1"] + params["b1"])
        p = output(h @ params["W2"] + params["b2"])
        return p[:, 0] if flat else p
    return two_layer_forward


def _table(name, X):
    a, b = np.asarray(X)[:, 0] > 0.5, np.asarray(X)[:, 1] > 0.5
    return {"and": a & b, "or": a | b, "xor": a ^ b}[name].astype(float)


def _gates_as(**names):
    """gate_neuron whose gate ``g`` computes the table ``names.get(g, g)`` (``"not xor"``: 1 - xor)."""
    def gate_neuron(name, X):
        as_name = names.get(name, name)
        if as_name.startswith("not "):
            return 1.0 - _table(as_name[4:], X)
        return _table(as_name, X)
    return gate_neuron


def _logistic(sign=1.0, loss_scale=lambda n: 1.0, grad_scale=lambda n: 1.0, sigma_prime=False,
              log_of_p=False):
    def logistic_loss_and_grads(X, y, w, b):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        z = X @ w + b
        p = _sigma(z)
        n = len(y)
        if log_of_p:  # the textbook formula on p itself: log(0) once p rounds to 0 or 1
            loss = -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) * loss_scale(n)
        else:
            loss = np.mean(np.logaddexp(0.0, z) - y * z) * loss_scale(n)
        dz = sign * (p - y) / n * grad_scale(n)
        if sigma_prime:
            dz = dz * p * (1.0 - p)
        return loss, X.T @ dz, np.sum(dz)
    return logistic_loss_and_grads


def _linear_gd(sign=1.0, two=2.0, reduce=np.mean, sequential=False, loss_reduce=np.mean):
    def linear_regression_gd(x, y, lr, num_steps, a=0.0, a0=0.0):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        history = []
        for t in range(num_steps + 1):
            r = y - (a * x + a0)
            history.append((a, a0, loss_reduce(r ** 2)))
            if t == num_steps:
                break
            a_new = a - sign * lr * (-two * reduce(r * x))
            if sequential:
                r = y - (a_new * x + a0)
            a0 = a0 - sign * lr * (-two * reduce(r))
            a = a_new
        return np.array(history)
    return linear_regression_gd


def _output_delta(error=lambda d, o: d - o, local=lambda f, fp, v: fp(v)):
    def output_delta(d, v, activation):
        f, fp = _phi(activation)
        return error(np.asarray(d, dtype=float), f(v)) * local(f, fp, v)
    return output_delta


def _hidden_delta(product=lambda delta, W: delta @ W.T, local=lambda f, fp, s: fp(s)):
    def hidden_delta(delta_next, W_next, s, activation):
        f, fp = _phi(activation)
        return local(f, fp, s) * product(np.asarray(delta_next, dtype=float), W_next)
    return hidden_delta


def _delta_rule(sign=1.0, transposed=False, with_eta=True):
    def delta_rule_update(W, delta, y, eta):
        delta, y = np.asarray(delta, dtype=float), np.asarray(y, dtype=float)
        if delta.ndim == 1:
            delta, y = delta[None, :], y[None, :]
        step = delta.T @ y if transposed else y.T @ delta
        return W + sign * (eta if with_eta else 1.0) * step
    return delta_rule_update


def _network(local="grad", sign=1.0, output_activation=False):
    """network_backward (softmax cross-entropy on a stack of dense layers) with one change."""
    def network_backward(X, y, params, activation):
        f, fp = _phi(activation)
        L = len(params) // 2
        xs, ss = [np.asarray(X, dtype=float)], []
        for l in range(1, L + 1):
            s = xs[-1] @ params[f"W{l}"] + params[f"b{l}"]
            ss.append(s)
            if l < L:
                xs.append(f(s))
        scores = ss[-1]
        log_p = _log_softmax(scores)
        n = len(y)
        loss = -np.mean(log_p[np.arange(n), y])
        delta = (np.exp(log_p) - _onehot(y, scores.shape[1])) / n
        if output_activation:
            delta = delta * fp(scores)
        grads = {}
        for l in range(L, 0, -1):
            grads[f"W{l}"], grads[f"b{l}"] = xs[l - 1].T @ delta, delta.sum(axis=0)
            if l > 1:
                s_below = ss[l - 2]
                phi_local = {"grad": fp(s_below), "value": f(s_below),
                             "output": fp(f(s_below)), "none": 1.0}[local]
                delta = (delta @ params[f"W{l}"].T) * phi_local
        return (loss, *(sign * grads[k] for l in range(1, L + 1) for k in (f"W{l}", f"b{l}")))
    return network_backward


PLAYGROUND_FEATURES = {"x1": lambda X: X[:, 0], "x2": lambda X: X[:, 1],
                       "x1^2": lambda X: X[:, 0] ** 2, "x2^2": lambda X: X[:, 1] ** 2,
                       "x1*x2": lambda X: X[:, 0] * X[:, 1],
                       "sin(x1)": lambda X: np.sin(X[:, 0]), "sin(x2)": lambda X: np.sin(X[:, 1])}


def _features(order=False, sine=np.sin):
    def playground_features(X, names):
        X = np.asarray(X, dtype=float)
        table = dict(PLAYGROUND_FEATURES, **{"sin(x1)": lambda X: sine(X[:, 0]),
                                             "sin(x2)": lambda X: sine(X[:, 1])})
        chosen = [k for k in table if k in names] if order else list(names)
        return np.column_stack([table[k](X) for k in chosen])
    return playground_features


def _split(shuffle=True, as_test=False, swapped=False, rounding=round):
    def train_test_split(X, y, train_ratio, seed):
        n = len(X)
        order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
        n_train = int(rounding(train_ratio * n))
        n_train = n - n_train if as_test else n_train
        train, test = order[:n_train], order[n_train:]
        if swapped:
            train, test = test, train
        return X[train], y[train], X[test], y[test]
    return train_test_split


def _training(sign=1.0, rng_per_epoch=False, shuffle=True, last_batch=False):
    def train_network(params, X, y, activation, lr, batch_size, num_epochs, seed):
        backward = _network()
        params = {k: np.array(v, dtype=float) for k, v in params.items()}
        rng = np.random.default_rng(seed)
        losses = []
        for _ in range(num_epochs):
            if rng_per_epoch:
                rng = np.random.default_rng(seed)
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            for start in range(0, len(X), batch_size):
                idx = order[start:start + batch_size]
                loss, *grads = backward(X[idx], y[idx], params, activation)
                for key, grad in zip(list(params), grads):
                    params[key] = params[key] - sign * lr * grad
            losses.append(loss if last_batch else backward(X, y, params, activation)[0])
        return params, np.array(losses)
    return train_network


def _scores(params, X, activation):
    f, _ = _phi(activation)
    return _scores_with(f, params, X)


def _scores_with(f, params, X):
    L = len(params) // 2
    h = np.asarray(X, dtype=float)
    for l in range(1, L + 1):
        h = h @ params[f"W{l}"] + params[f"b{l}"]
        if l < L:
            h = f(h)
    return h



def _cached(out_of):
    return lambda x, W, b: (out_of(np.asarray(x, float), np.asarray(W, float), np.asarray(b, float)),
                            (x, W, b))


NETWORKS_FROM_SCRATCH: dict[str, tuple[Mistake, ...]] = {
    # [A1, A3]
    "affine_forward": (
        Mistake("bias forgotten",
                "the dense layer is out = x @ W + b: the bias b (one per unit, shape (M,)) is "
                "added to every row.",
                returns=_cached(lambda x, W, b: x @ W)),
        Mistake("the notes' column form W x",
                "the notes write z = W x for one column x with W of shape (M, D); in the course's "
                "batch-first convention W has shape (D, M) and the layer is x @ W + b, not "
                "x @ W.T + b.",
                returns=_cached(lambda x, W, b: x @ W.T + b)),
        Mistake("activation inside the dense layer",
                "the dense layer is only the affine map out = x @ W + b; the nonlinearity "
                "h = sigma(z) is a layer of its own, applied afterwards.",
                returns=_cached(lambda x, W, b: _sigma(x @ W + b))),
        Mistake("bias added along the wrong axis",
                "b[:, None] adds b[j] to row j; the bias belongs to the units, the columns: "
                "x @ W + b (numpy broadcasts b of shape (M,) over the rows).",
                returns=_cached(lambda x, W, b: x @ W + b[:, None])),
    ),
    # [A1, D8]
    "affine_backward": (
        Mistake("dW without the transpose",
                "dW has the shape of W, (D, M): it is x.T @ dout, the layer's input times the "
                "gradient from above (the notes' dz/dw = h), summed over the batch; dout @ x, "
                "x @ dout and dout.T @ x are missing or misplacing the transpose.",
                returns=(_backward(dW=lambda dout, x, W: dout.T @ x),
                         _backward(dW=lambda dout, x, W: dout @ x),
                         _backward(dW=lambda dout, x, W: x @ dout))),
        Mistake("db as a mean",
                "every example of the batch adds its gradient, so db = dout.sum(axis=0); a mean "
                "divides by N a second time (dout already holds the loss's 1/N).",
                returns=_backward(db=lambda dout: dout.mean(axis=0))),
        Mistake("db summed over the wrong axis",
                "db has one entry per unit, shape (M,): sum dout over the batch, axis 0 "
                "(dout.sum(axis=0)), not over the units (axis=1) or over everything.",
                returns=(_backward(db=lambda dout: dout.sum(axis=1)),
                         _backward(db=lambda dout: dout.sum()))),
        Mistake("dx = dout @ W instead of dout @ W.T",
                "out = x @ W, so the gradient to the input is dout @ W.T, of shape (N, D) like x.",
                returns=_backward(dx=lambda dout, x, W: dout @ W)),
        Mistake("every gradient divided by the batch size",
                "dout already is the gradient of the mean loss (it holds the 1/N); the layer "
                "only applies the chain rule: dx = dout @ W.T, dW = x.T @ dout, db = "
                "dout.sum(axis=0), with no further division.",
                returns=_backward(scale=lambda n: 1.0 / n)),
    ),
    # [A4]
    "parameter_count": (
        Mistake("bias forgotten",
                "each layer has d_out * d_in weights and d_out biases: 5 -> 10 is 50 + 10 = 60.",
                returns=_parameters(lambda d_in, d_out: d_in * d_out)),
        Mistake("one bias per input",
                "a bias belongs to a unit of the layer's output: d_out biases, not d_in.",
                returns=_parameters(lambda d_in, d_out: d_in * d_out + d_in)),
        Mistake("one bias per layer",
                "every unit of a layer has its own bias: d_out of them per layer, not one.",
                returns=_parameters(lambda d_in, d_out: d_in * d_out + 1)),
        Mistake("units counted instead of parameters",
                "you counted the units; the parameters are the weights (d_out * d_in per layer) "
                "plus the biases (d_out).",
                returns=_parameters(lambda d_in, d_out: d_out)),
    ),
    # [A2, A3]
    "two_layer_forward": (
        Mistake("output sigmoid forgotten",
                "the output is a probability: p = sigma(h @ W2 + b2), not the pre-activation.",
                returns=_two_layer(output=lambda z: z)),
        Mistake("hidden sigmoid forgotten",
                "the hidden layer is h = sigma(X @ W1 + b1); without the sigmoid two dense "
                "layers are one dense layer, and the network is linear.",
                returns=_two_layer(hidden=lambda z: z)),
        Mistake("shape (N, 1) instead of (N,)",
                "h @ W2 + b2 has shape (N, 1): return its only column, p[:, 0], of shape (N,).",
                returns=_two_layer(flat=False)),
    ),
    # [A6]
    "xor_two_layer": (
        Mistake("XOR weights that compute OR",
                "your network outputs OR: 1 also at (1, 1). XOR is 'OR and not AND': let one "
                "hidden unit compute OR and the other AND, and give the output unit a positive "
                "weight on the OR unit, a negative one on the AND unit, and a threshold between "
                "them, so that it fires only when OR is on and AND is off.",
                returns=lambda X: _table("or", X)),
        Mistake("XOR weights that compute AND",
                "your network outputs AND, 1 only at (1, 1). XOR is 1 where exactly one input "
                "is 1: OR and not AND, so the output unit must be switched off by the AND unit, "
                "not driven by it.",
                returns=lambda X: _table("and", X)),
        Mistake("output inverted (XNOR)",
                "your network outputs 1 - XOR: flip the signs of the output unit's weights and "
                "bias, since sigma(-z) = 1 - sigma(z).",
                returns=lambda X: 1.0 - _table("xor", X)),
    ),
    # [A6]
    "gate_neuron": (
        Mistake("AND and OR swapped",
                "with equal weights on x1 and x2, the bias sets how many inputs must be on: OR "
                "fires with one, so its threshold lies between one input's weight and zero; "
                "AND needs both, so its threshold lies between one weight and two.",
                returns=_gates_as(**{"and": "or", "or": "and"})),
        Mistake("output inverted",
                "the neuron outputs 1 - gate: since sigma(-z) = 1 - sigma(z), flip the signs of "
                "the weights and the bias.",
                returns=_gates_as(**{"and": "not and", "or": "not or", "xor": "not xor"})),
        Mistake("XOR weights that compute OR",
                "your weights give OR: the neuron fires at (1, 1) too. Only that corner has "
                "x1*x2 = 1, so give the product feature a negative weight large enough to pull "
                "(1, 1) back below the threshold, while (0, 1) and (1, 0) stay above it.",
                returns=_gates_as(xor="or")),
    ),
    # [A7]
    "logistic_loss_and_grads": (
        Mistake("the notes' sum instead of the mean",
                "the notes write the loss as a sum over the examples; this course takes the mean "
                "(divide the loss and the gradients by N), so that the step size does not "
                "depend on the size of the batch.",
                returns=_logistic(loss_scale=lambda n: n, grad_scale=lambda n: n)),
        Mistake("gradients not divided by the batch size",
                "the loss is a mean over the N examples, so its gradients are means too: "
                "dw = X.T @ (p - y) / N and db = mean(p - y).",
                returns=_logistic(grad_scale=lambda n: n)),
        Mistake("the gradient with the wrong sign",
                "dL/dz = p - y (prediction minus target), not y - p: gradient descent then "
                "moves the parameters against it.",
                returns=_logistic(sign=-1.0)),
        Mistake("the sigmoid's derivative kept",
                "with the cross-entropy the sigmoid's derivative p(1 - p) cancels: "
                "dL/dz = (p - y) / N. The factor belongs to a squared error, not here.",
                returns=_logistic(sigma_prime=True)),
        Mistake("the log of the sigmoid",
                "np.log(sigmoid(z)) and np.log(1 - sigmoid(z)) take the log of 0 once |z| is "
                "about 40 or more (sigmoid(50) rounds to 1.0): compute the loss from z, as "
                "np.logaddexp(0, z) - y * z, which is the same cross-entropy and never rounds.",
                returns=_logistic(log_of_p=True), warns=True),
    ),
    # [D9]
    "linear_regression_gd": (
        Mistake("gradient ascent: the wrong sign",
                "each step goes against the gradient: a <- a - lr * dL/da with "
                "dL/da = -2 mean((y - y_hat) x); the loss must fall.",
                returns=_linear_gd(sign=-1.0)),
        Mistake("the factor 2 forgotten",
                "d(y - y_hat)^2 / d y_hat = -2 (y - y_hat): the square brings down a factor 2.",
                returns=_linear_gd(two=1.0)),
        Mistake("a0 updated with the new a",
                "both updates use the gradients at the old (a, a0): compute both gradients first, "
                "then update a and a0 together.",
                returns=_linear_gd(sequential=True)),
        Mistake("sum instead of mean",
                "L is the mean of (y - y_hat)^2 over the data, so its gradients are means too: "
                "-2 mean((y - y_hat) x) and -2 mean(y - y_hat).",
                returns=(_linear_gd(reduce=np.sum), _linear_gd(reduce=np.sum, loss_reduce=np.sum))),
    ),
    # [D6]
    "output_delta": (
        Mistake("error the wrong way round",
                "the notes' error is e = d - o, target minus output (so that the delta rule "
                "adds eta delta y); you computed o - d.",
                returns=_output_delta(error=lambda d, o: o - d)),
        Mistake("phi(v) instead of phi'(v)",
                "the local gradient is the derivative of the activation at v, phi'(v) (001 "
                "writes it delta'); phi(v) is the unit's output.",
                returns=_output_delta(local=lambda f, fp, v: f(v))),
        Mistake("phi' left out",
                "delta_j = e_j phi'(v_j): the error times the slope of the activation at v_j.",
                returns=_output_delta(local=lambda f, fp, v: 1.0)),
    ),
    # [D6]
    "hidden_delta": (
        Mistake("phi(s) instead of phi'(s)",
                "the recursion multiplies by the derivative of the activation, phi'(s_j) (001 "
                "writes it delta'), not by the unit's output phi(s_j).",
                returns=_hidden_delta(local=lambda f, fp, s: f(s))),
        Mistake("W_next without the transpose",
                "sum_k delta_k w_kj runs over the units k of the layer above, which are the "
                "columns of W_next (H, M): delta_next @ W_next.T, of shape (N, H).",
                returns=_hidden_delta(product=lambda delta, W: delta @ W)),
        Mistake("phi' left out",
                "delta_j = phi'(s_j) sum_k delta_k w_kj: the sum is only the gradient arriving "
                "at the unit's output; multiply it by the slope phi'(s_j).",
                returns=_hidden_delta(local=lambda f, fp, s: 1.0)),
    ),
    # [D7]
    "delta_rule_update": (
        Mistake("the update with the wrong sign",
                "the delta rule adds: W(t+1) = W(t) + eta delta y, because delta = e phi' is "
                "minus the gradient; subtracting climbs the error.",
                returns=_delta_rule(sign=-1.0)),
        Mistake("the outer product transposed",
                "Delta W has the shape of W, (D, M): entry [i, j] is eta y_i delta_j, so the "
                "product is y.T @ delta (np.outer(y, delta) for one example).",
                returns=_delta_rule(transposed=True)),
        Mistake("eta forgotten",
                "Delta w_ji = eta delta_j y_i: multiply by the learning rate eta.",
                returns=_delta_rule(with_eta=False)),
    ),
    # [D6, D8]
    "network_backward": (
        Mistake("phi(s) instead of phi'(s)",
                "the hidden delta is phi'(s) * (delta_next @ W_next.T): the derivative of the "
                "activation at the layer's pre-activation s, not phi(s) (001 writes phi' as "
                "delta').",
                returns=_network(local="value")),
        Mistake("phi' at the layer's output",
                "phi' is taken at the pre-activation s of the hidden layer, not at its output "
                "h = phi(s): keep the s of every layer from the forward pass.",
                returns=_network(local="output")),
        Mistake("gradients of the wrong sign",
                "the gradient of softmax cross-entropy with respect to the scores is "
                "g = (p - onehot(y)) / N; the notes' delta = e phi' is minus a gradient, "
                "delta = -g. Return dL/dparameters.",
                returns=_network(sign=-1.0)),
        Mistake("the output layer given the activation",
                "the output layer is linear: its scores go straight into the softmax, so its "
                "gradient is (p - onehot(y)) / N with no phi' factor.",
                returns=_network(output_activation=True)),
        Mistake("phi' left out",
                "below each hidden layer the gradient dx that affine_backward passes down "
                "arrives at the layer's output h = phi(s); multiply it by phi'(s) to get the "
                "gradient at s (your hidden_delta does), or the network is backpropagated as "
                "if it were linear.",
                returns=_network(local="none")),
    ),
    # [J1]
    "playground_features": (
        Mistake("columns in the playground's order",
                "return the columns in the order of names, not in the playground's own order.",
                returns=_features(order=True)),
        Mistake("^ is not a power in Python",
                "x ** 2 squares; x ^ 2 is the bitwise exclusive or, which floats do not have.",
                raises=TypeError, message_contains="bitwise_xor"),
        Mistake("sin of degrees",
                "np.sin takes radians, as the playground does: sin(x1) is np.sin(x1), with no "
                "conversion.",
                returns=_features(sine=lambda x: np.sin(np.deg2rad(x)))),
    ),
    # [G6]
    "train_test_split": (
        Mistake("not shuffled",
                "the playground's data come ordered (one class, then the other): draw a random "
                "order, rng.permutation(N), and split that, or the test set holds one class only.",
                returns=_split(shuffle=False)),
        Mistake("train_ratio taken as the test fraction",
                "train_ratio is the playground's 'ratio of training to test data': the share "
                "of the training set, n_train = round(train_ratio * N).",
                returns=_split(as_test=True)),
        Mistake("n_train truncated",
                "n_train is train_ratio * N rounded to the nearest integer, round(0.3 * 12) = 4; "
                "int() cuts 3.6 down to 3.",
                returns=_split(rounding=int)),
        Mistake("train and test swapped",
                "the first n_train indices of the permutation are the training set, the rest "
                "the test set; return X_train, y_train, X_test, y_test in that order.",
                returns=_split(swapped=True)),
    ),
    # [F1]
    "train_network": (
        Mistake("the update with the wrong sign",
                "gradient descent subtracts: params[key] = params[key] - lr * grad; adding the "
                "gradient makes the loss grow.",
                returns=_training(sign=-1.0)),
        Mistake("a new rng in every epoch",
                "make the generator once, before the first epoch: np.random.default_rng(seed) "
                "inside the loop gives every epoch the same order.",
                returns=_training(rng_per_epoch=True)),
        Mistake("not shuffled",
                "every epoch visits the examples in a fresh random order, "
                "order = rng.permutation(N), and cuts that into mini-batches.",
                returns=_training(shuffle=False)),
        Mistake("params changed in place",
                "train_network must leave the caller's params as they are: start from a copy, "
                "params = {key: value.copy() for key, value in params.items()}, and update "
                "that (params[key] -= ... or params[key] = ... on the caller's dict changes it).",
                mutates=True),
        Mistake("the loss of the last mini-batch",
                "losses[t] is the loss on the whole training set after epoch t: call "
                "network_backward on all of X and y once the epoch's updates are done.",
                returns=_training(last_batch=True)),
    ),
    # [G6]
    "accuracy": (
        Mistake("count instead of fraction",
                "accuracy is the fraction of correct predictions: divide the count by N "
                "(or take the mean of the comparison).",
                returns=lambda params, X, y, activation: float(
                    np.sum(np.argmax(_scores(params, X, activation), axis=1) == y))),
        Mistake("error rate instead of accuracy",
                "you returned the fraction of wrong predictions; accuracy is the fraction of "
                "right ones, 1 minus that.",
                returns=lambda params, X, y, activation: float(
                    np.mean(np.argmax(_scores(params, X, activation), axis=1) != y))),
        Mistake("tanh whatever the activation",
                "the hidden layers apply the activation that the argument names, "
                "ACTIVATIONS[activation][0], not always tanh.",
                returns=lambda params, X, y, activation: float(
                    np.mean(np.argmax(_scores_with(np.tanh, params, X), axis=1) == y))),
        Mistake("class 1 where its score is positive",
                "the predicted class is the one with the larger score, "
                "np.argmax(scores, axis=1); the score of class 1 alone says nothing without the "
                "score of class 0.",
                returns=lambda params, X, y, activation: float(
                    np.mean((_scores(params, X, activation)[:, 1] > 0) == y))),
    ),
}


# ---- 04_depth_and_initialization ---------------------------------------------------------------
_ACT04 = {"sigmoid": (_sigma, lambda s: _sigma(s) * (1.0 - _sigma(s))),
          "tanh": (np.tanh, lambda s: 1.0 - np.tanh(s) ** 2),
          "relu": (lambda s: np.maximum(0.0, s), lambda s: (np.asarray(s) > 0).astype(float))}


def _chain(sign=1.0, local="grad", first_weight=False, upstream=True):
    """chain_gradient with one change: w_j times sign, phi(z) or phi'(a) for phi'(z), w_1 as a
    factor, dC/da_L left out."""
    def chain(weights, biases, x, activation="sigmoid", dC_daL=1.0):
        f, fp = _ACT04[activation]
        a, factors = float(x), []
        for j, (w, b) in enumerate(zip(weights, biases)):
            z = w * a + b
            a_new = float(f(z))
            if j > 0 or first_weight:
                factors.append(sign * float(w))
            factors.append(float({"grad": fp(z), "value": f(z), "output": fp(a_new)}[local]))
            a = a_new
        if upstream:
            factors.append(float(dC_daL))
        return float(np.prod(factors)), factors
    return chain


def _band(formula, mask=True, absolute=True):
    def band(w):
        m = np.asarray(w, dtype=float)
        m = np.abs(m) if absolute else m
        if not mask:
            out = formula(m)
            return float(out) if np.ndim(out) == 0 else out
        width = np.zeros_like(m)
        inside = m > 4
        width[inside] = formula(m[inside])
        return float(width) if width.ndim == 0 else width
    return band


def _u_plus(m):
    return m * (1.0 + np.sqrt(1.0 - 4.0 / m)) / 2.0 - 1.0


_BAND = _band(lambda m: 2.0 / m * np.log(_u_plus(m)))


def _golden(f, low, high, larger=True):
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = float(low), float(high)
    while b - a > 1e-10:
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if (f(c) >= f(d)) == larger:
            b = d
        else:
            a = c
    return (a + b) / 2.0


def _widest(larger=True, swapped=False):
    def widest(low, high):
        w = _golden(_BAND, low, high, larger)
        return (_BAND(w), w) if swapped else (w, _BAND(w))
    return widest


def _widest_on_grid(num):
    def widest(low, high):
        grid = np.linspace(low, high, num)
        w = float(grid[np.argmax(_BAND(grid))])
        return w, _BAND(w)
    return widest


def _draw(std, transposed=False, uniform=False):
    def init(fan_in, fan_out, rng):
        shape = (fan_out, fan_in) if transposed else (fan_in, fan_out)
        if uniform:  # the same variance, from U(-a, a) with a = sqrt(3) * std
            a = np.sqrt(3.0) * std(fan_in, fan_out)
            return rng.uniform(-a, a, size=shape)
        return rng.normal(0.0, std(fan_in, fan_out), size=shape)
    return init


_XAVIER = _draw(lambda d, m: np.sqrt(2.0 / (d + m)))
_HE = _draw(lambda d, m: np.sqrt(2.0 / d))


def _init_weight(normal=_draw(lambda d, m: 1.0), xavier=_XAVIER, he=_HE):
    def init_weight(init, fan_in, fan_out, rng):
        return {"normal": normal, "xavier": xavier, "he": he}[init](fan_in, fan_out, rng)
    return init_weight


_INIT_WEIGHT = _init_weight()


def _stack(depth, width, init, rng, biases_first=False, interleaved=False):
    if biases_first and init == "normal":
        bs = [rng.normal(0.0, 1.0, size=width) for _ in range(depth)]
        Ws = [_INIT_WEIGHT(init, width, width, rng) for _ in range(depth)]
    elif interleaved:
        Ws, bs = [], []
        for _ in range(depth):
            Ws.append(_INIT_WEIGHT(init, width, width, rng))
            bs.append(rng.normal(0.0, 1.0, size=width) if init == "normal" else np.zeros(width))
    else:
        Ws = [_INIT_WEIGHT(init, width, width, rng) for _ in range(depth)]
        bs = [rng.normal(0.0, 1.0, size=width) if init == "normal" else np.zeros(width)
              for _ in range(depth)]
    return Ws, bs


def _gradient_norms(measure="frobenius", of="gradient", reverse=False, biases_first=False,
                    interleaved=False, g_first=False, top_slope=True):
    def norms(depth, width, activation, init, rng, num_samples=64):
        f, fp = _ACT04[activation]
        Ws, bs = _stack(depth, width, init, rng, biases_first, interleaved)
        X = rng.standard_normal((num_samples, width))
        G = rng.standard_normal((num_samples, width))
        if g_first:
            X, G = G, X
        xs, ss, h = [], [], X
        for W, b in zip(Ws, bs):
            xs.append(h)
            s = h @ W + b
            ss.append(s)
            h = f(s)
        dout, dWs = G, [None] * depth
        for l in reversed(range(depth)):
            delta = dout * fp(ss[l]) if (top_slope or l < depth - 1) else dout
            dWs[l] = xs[l].T @ delta
            dout = delta @ Ws[l].T
        mats = dWs if of == "gradient" else Ws
        if measure == "frobenius":
            out = np.array([np.linalg.norm(M) for M in mats])
        elif measure in (0, 1):
            out = np.array([np.linalg.norm(M, axis=measure) for M in mats])
        else:
            out = np.linalg.norm(np.array(mats), axis=measure)
        return out[::-1] if reverse else out
    return norms


def _dead(count="units", per_layer=np.mean):
    def dead(depth, width, init, rng, num_samples=64):
        Ws, bs = _stack(depth, width, init, rng)
        h = rng.standard_normal((num_samples, width))
        out = []
        for W, b in zip(Ws, bs):
            h = np.maximum(0.0, h @ W + b)
            if count == "units":
                out.append(per_layer(np.all(h == 0.0, axis=0)))
            elif count == "any":
                out.append(np.mean(np.any(h == 0.0, axis=0)))
            else:  # every zero output of the batch
                out.append(np.mean(h == 0.0))
        return np.array(out, dtype=float)
    return dead


def _train_deep(sign=1.0, of="gradient", output_activation=False, weights_first=False,
                update_biases=True):
    def train(X, y, depth, width, activation, init, lr, num_steps, seed):
        f, fp = _ACT04[activation]
        rng = np.random.default_rng(seed)
        sizes = [X.shape[1]] + [width] * (depth - 1) + [int(np.max(y)) + 1]
        Ws, bs = [], []
        if weights_first:
            Ws = [_INIT_WEIGHT(init, d_in, d_out, rng) for d_in, d_out in zip(sizes[:-1], sizes[1:])]
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            if not weights_first:
                Ws.append(_INIT_WEIGHT(init, d_in, d_out, rng))
            bs.append(rng.normal(0.0, 1.0, size=d_out) if init == "normal" else np.zeros(d_out))
        n, losses, norms = len(y), [], []
        for _ in range(num_steps):
            xs, ss, h = [], [], np.asarray(X, dtype=float)
            for l in range(depth):
                xs.append(h)
                s = h @ Ws[l] + bs[l]
                ss.append(s)
                h = f(s) if (l < depth - 1 or output_activation) else s
            log_p = _log_softmax(h)
            losses.append(-np.mean(log_p[np.arange(n), y]))
            g = (np.exp(log_p) - _onehot(y, log_p.shape[1])) / n
            if output_activation:
                g = g * fp(ss[-1])
            dWs, dbs = [None] * depth, [None] * depth
            for l in reversed(range(depth)):
                dWs[l], dbs[l] = xs[l].T @ g, g.sum(axis=0)
                if l > 0:
                    g = (g @ Ws[l].T) * fp(ss[l - 1])
            norms.append([np.linalg.norm(M) for M in (dWs if of == "gradient" else Ws)])
            Ws = [W - sign * lr * dW for W, dW in zip(Ws, dWs)]
            if update_biases:
                bs = [b - sign * lr * db for b, db in zip(bs, dbs)]
        return np.array(losses), np.array(norms)
    return train


DEPTH_AND_INITIALIZATION: dict[str, tuple[Mistake, ...]] = {
    # [E1, E2]
    "chain_gradient": (
        Mistake("the notes' minus sign",
                "002 writes Delta a2 = sigma'(z2) - w2 sigma'(z1) Delta b1 with a minus sign; "
                "that is a slip (an erratum): the chain rule multiplies, da2/dz2 * dz2/da1 * "
                "Delta a1 = sigma'(z2) w2 sigma'(z1) Delta b1, so every factor w_j enters with "
                "its own sign.",
                returns=_chain(sign=-1.0)),
        Mistake("phi(z) instead of phi'(z)",
                "each layer contributes the slope of its activation, phi'(z_j) (at most 1/4 for "
                "the sigmoid), not its value phi(z_j).",
                returns=_chain(local="value")),
        Mistake("phi' at the activation",
                "phi' is taken at the pre-activation z_j = w_j a_{j-1} + b_j, not at the unit's "
                "output a_j = phi(z_j).",
                returns=_chain(local="output")),
        Mistake("w1 in the product",
                "w_1 multiplies the input x inside z_1 = w_1 x + b_1; dz_1/db_1 = 1, so the "
                "product starts with phi'(z_1), and the weights in it are w_2, ..., w_L.",
                returns=_chain(first_weight=True)),
        Mistake("dC/da_L left out",
                "the chain ends with the gradient of the cost at the last activation, "
                "dC/da_L: multiply by dC_daL and return it as the last factor.",
                returns=_chain(upstream=False)),
    ),
    # [E2, E3]
    "unstable_band_width": (
        Mistake("the logarithm left out",
                "the band runs from ln u- to ln u+ in w a + b: its width in a is "
                "(2/|w|) ln(u+), with u+ = |w|(1 + sqrt(1 - 4/|w|))/2 - 1; you returned "
                "(2/|w|) u+.",
                returns=_band(lambda m: 2.0 / m * _u_plus(m))),
        Mistake("the - 1 left out",
                "the larger root of u^2 + (2 - |w|) u + 1 is u+ = (|w| - 2 + sqrt(|w|(|w| - 4)))/2 "
                "= |w|(1 + sqrt(1 - 4/|w|))/2 - 1: keep the - 1 inside the logarithm.",
                returns=_band(lambda m: 2.0 / m * np.log(m * (1.0 + np.sqrt(1.0 - 4.0 / m)) / 2.0))),
        Mistake("the notes' - 1 outside the logarithm",
                "002's last line, (2/|w|) ln((|w| + sqrt(|w|^2 - 4|w|))/2) - 1, is garbled (an "
                "erratum): the - 1 (with the - 2 of the root) belongs inside the logarithm, "
                "(2/|w|) ln(|w|(1 + sqrt(1 - 4/|w|))/2 - 1).",
                returns=_band(lambda m: 2.0 / m * np.log((m + np.sqrt(m * m - 4.0 * m)) / 2.0) - 1.0)),
        Mistake("the width in w a + b",
                "2 ln(u+) is the width of the band in z = w a + b; the inputs a span it divided "
                "by |w|: (2/|w|) ln(u+).",
                returns=_band(lambda m: 2.0 * np.log(_u_plus(m)))),
        Mistake("half the band",
                "the band is symmetric, from ln u- = -ln u+ to ln u+ (the roots multiply to 1): "
                "its width is 2 ln(u+)/|w|, twice ln(u+)/|w|.",
                returns=_band(lambda m: 1.0 / m * np.log(_u_plus(m)))),
        Mistake("the absolute value left out",
                "the band depends on |w| only: a negative w has the band of -w (the factor is "
                "|w sigma'(w a + b)|); take np.abs(w) first.",
                returns=_band(lambda m: 2.0 / m * np.log(_u_plus(m)), absolute=False)),
        Mistake("log10 instead of the natural logarithm",
                "the band runs from ln u- to ln u+ in w a + b, natural logarithms (the inverse "
                "of e^(w a + b)): np.log, not np.log10.",
                returns=_band(lambda m: 2.0 / m * np.log10(_u_plus(m)))),
        Mistake("the formula used for |w| <= 4",
                "for |w| < 4 the quadratic has no real roots and sqrt(1 - 4/|w|) is the root of a "
                "negative number (NaN), and w = 0 divides by zero: there is no band, return 0 "
                "there. Compute the formula only where |w| > 4, with a boolean mask; np.where "
                "alone still evaluates it (and warns) on every element.",
                returns=_band(lambda m: 2.0 / m * np.log(_u_plus(m)), mask=False), warns=True),
    ),
    # [E3]
    "widest_band": (
        Mistake("the minimum instead of the maximum",
                "keep the part of the interval where the band is wider: if width(c) >= width(d) "
                "the maximum lies in [a, d], otherwise in [c, b].",
                returns=_widest(larger=False)),
        Mistake("w and the width swapped",
                "return (w_star, width_star): first the weight, about 6.89, then the width, "
                "about 0.448.",
                returns=_widest(swapped=True)),
        Mistake("the best point of a coarse grid",
                "the best of a grid of about a hundred points is only as close as its spacing; "
                "refine it (golden-section search, or shrink the grid around the best point "
                "until the interval is below 1e-9).",
                returns=tuple(_widest_on_grid(n) for n in (100, 101, 1000, 1001, 10000, 10001))),
    ),
    # [E6]
    "xavier_init": (
        Mistake("fan_in and fan_out confused: the shape (fan_out, fan_in)",
                "the course's weight is batch-first, W of shape (fan_in, fan_out) for "
                "x @ W + b; (fan_out, fan_in) is PyTorch's layout.",
                returns=_draw(lambda d, m: np.sqrt(2.0 / (d + m)), transposed=True)),
        Mistake("the fans summed where averaged",
                "Glorot's variance is one over the average fan, 1/((fan_in + fan_out)/2) = "
                "2/(fan_in + fan_out); 1/(fan_in + fan_out) halves it.",
                returns=_draw(lambda d, m: np.sqrt(1.0 / (d + m)))),
        Mistake("the variance as the standard deviation",
                "2/(fan_in + fan_out) is the variance; rng.normal takes the standard deviation, "
                "its square root: np.sqrt(2 / (fan_in + fan_out)).",
                returns=_draw(lambda d, m: 2.0 / (d + m))),
        Mistake("fan_in only",
                "Xavier/Glorot uses both fans, std = sqrt(2/(fan_in + fan_out)); "
                "sqrt(1/fan_in) is LeCun's scheme.",
                returns=_draw(lambda d, m: np.sqrt(1.0 / d))),
        Mistake("Glorot's uniform form",
                "the course uses Glorot's normal form, rng.normal(0.0, np.sqrt(2 / (fan_in + "
                "fan_out)), size=(fan_in, fan_out)); U(-a, a) with a = sqrt(6/(fan_in + "
                "fan_out)) has the same variance but other draws.",
                returns=_draw(lambda d, m: np.sqrt(2.0 / (d + m)), uniform=True)),
    ),
    # [E6]
    "he_init": (
        Mistake("He with fan_out",
                "He initialization keeps the forward signal's variance: it divides by the "
                "number of inputs, std = sqrt(2/fan_in), not by fan_out.",
                returns=_draw(lambda d, m: np.sqrt(2.0 / m))),
        Mistake("the variance as the standard deviation",
                "2/fan_in is the variance; rng.normal takes the standard deviation, "
                "np.sqrt(2 / fan_in).",
                returns=_draw(lambda d, m: 2.0 / d)),
        Mistake("the factor 2 left out",
                "a ReLU zeroes about half of its inputs, which halves the variance; He makes up "
                "for it with the 2: std = sqrt(2/fan_in), not sqrt(1/fan_in).",
                returns=_draw(lambda d, m: np.sqrt(1.0 / d))),
        Mistake("fan_in and fan_out confused: the shape (fan_out, fan_in)",
                "the course's weight is batch-first, W of shape (fan_in, fan_out) for "
                "x @ W + b; (fan_out, fan_in) is PyTorch's layout.",
                returns=_draw(lambda d, m: np.sqrt(2.0 / d), transposed=True)),
    ),
    # [E6]
    "init_weight": (
        Mistake("xavier and he swapped",
                "\"xavier\" is Glorot's sqrt(2/(fan_in + fan_out)) (xavier_init), \"he\" is "
                "sqrt(2/fan_in) (he_init).",
                returns=_init_weight(xavier=_HE, he=_XAVIER)),
        Mistake("the notes' N(0, 1) scaled",
                "the notes' scheme is w ~ N(0, 1): standard deviation 1, whatever the fans; "
                "scaling it by the fan is what the other two schemes do.",
                returns=(_init_weight(normal=_draw(lambda d, m: np.sqrt(1.0 / d))),
                         _init_weight(normal=_draw(lambda d, m: 1.0 / d)))),
        Mistake("the shape (fan_out, fan_in)",
                "every scheme returns the batch-first W of shape (fan_in, fan_out).",
                returns=_init_weight(normal=_draw(lambda d, m: 1.0, transposed=True))),
    ),
    # [E4, E6]
    "layer_gradient_norms": (
        Mistake("the norm over the wrong axis",
                "one number per layer: the Frobenius norm of the whole matrix dL/dW_l, "
                "np.sqrt(np.sum(dW ** 2)) (np.linalg.norm(dW) with no axis), not a norm per row "
                "or column, and not across the layers.",
                returns=(_gradient_norms(measure=0), _gradient_norms(measure=1),
                         _gradient_norms(measure=(0, 1)), _gradient_norms(measure=(0, 2)))),
        Mistake("the norms of the weights instead of their gradients",
                "measure dL/dW_l = x^(l-1).T @ delta^(l), the gradient that backpropagation "
                "hands the layer, not the weight W_l itself.",
                returns=_gradient_norms(of="weights")),
        Mistake("the last layer first",
                "backpropagation visits the layers from the last to the first; return the norms "
                "first layer first (reverse your list).",
                returns=_gradient_norms(reverse=True)),
        Mistake("the biases drawn before the weights",
                "the draws are fixed: first every W_l, then the biases, then X, then G; another "
                "order gives other numbers.",
                returns=_gradient_norms(biases_first=True)),
        Mistake("the draws of train_deep: layer by layer",
                "here every W_l is drawn first and then every b_l (W_1, ..., W_depth, b_1, ...); "
                "drawing W_1, b_1, W_2, b_2, ... is the order of train_deep in Part 5.",
                returns=_gradient_norms(interleaved=True)),
        Mistake("G drawn before X",
                "after the weights and biases, draw the inputs X first and then G, each "
                "rng.standard_normal((num_samples, width)).",
                returns=_gradient_norms(g_first=True)),
        Mistake("phi' left out at the last layer",
                "the backward pass starts at the last layer's pre-activation: "
                "delta^(depth) = phi'(s^(depth)) * G, since L = sum(G * phi(s^(depth))).",
                returns=_gradient_norms(top_slope=False)),
    ),
    # [E5]
    "dead_relu_fraction": (
        Mistake("zero outputs counted, not units",
                "a unit is dead when its output is 0 for every example: take np.all over the "
                "batch (axis 0) first, then the fraction of such units; the share of all zero "
                "outputs counts the ordinary zeros of live units too.",
                returns=_dead(count="outputs")),
        Mistake("dead at one example",
                "a unit that outputs 0 on some examples still passes gradient from the others; "
                "it is dead only when it is 0 on all of them (np.all, not np.any).",
                returns=_dead(count="any")),
        Mistake("a count instead of a fraction",
                "return the fraction of the layer's units, the count divided by width.",
                returns=_dead(per_layer=np.sum)),
    ),
    # [E4-E6]
    "train_deep": (
        Mistake("the update with the wrong sign",
                "gradient descent subtracts: W = W - lr * dW and b = b - lr * db.",
                returns=_train_deep(sign=-1.0)),
        Mistake("the norms of the weights instead of their gradients",
                "norms[t, l] is the norm of dL/dW_{l+1} at step t, the gradient, not of the "
                "weight itself.",
                returns=_train_deep(of="weights")),
        Mistake("the draws of layer_gradient_norms: every W first",
                "here the draws go layer by layer, W_1, b_1, W_2, b_2, ...; every W first and "
                "then the biases is the order of layer_gradient_norms in Part 4.",
                returns=_train_deep(weights_first=True)),
        Mistake("the biases never updated",
                "every step moves the biases too: b_l = b_l - lr * dL/db_l, with dL/db_l the "
                "sum over the batch of the layer's delta.",
                returns=_train_deep(update_biases=False)),
        Mistake("the output layer given the activation",
                "the output layer is linear: its scores go straight into softmax_cross_entropy, "
                "with no activation and no phi' factor.",
                returns=_train_deep(output_activation=True)),
    ),
}


# ---------------------------------------------------------------------------------------------
# 05: optimization
# ---------------------------------------------------------------------------------------------
def _float(a):
    return np.array(a, dtype=float)


def _gd(sign=1.0, keep_start=True, stale=False, aliased=False):
    """gradient_descent with one change: the step's sign, x0 left out, the gradient at x0, or
    one array appended at every step (and changed in place), so that every row is the last."""
    def gradient_descent(grad_fn, x0, lr, num_steps):
        x = _float(x0)
        g0 = _float(grad_fn(x.copy()))
        points = [x.copy()] if keep_start else []
        for _ in range(num_steps):
            g = g0 if stale else _float(grad_fn(x.copy()))
            x = x - sign * lr * g
            points.append(x.copy())
        if aliased:
            points = [points[-1]] * len(points)
        return np.array(points).reshape((len(points),) + np.shape(x0))
    return gradient_descent


def _batches(shuffle=True, drop_last=False, per_batch=False, apart=False):
    """iterate_minibatches with one change (a generator, as the students write it)."""
    def iterate_minibatches(X, y, batch_size, rng):
        n = len(X)
        order = rng.permutation(n) if shuffle and not per_batch else np.arange(n)
        order_y = rng.permutation(n) if apart else order
        stop = n - batch_size + 1 if drop_last else n
        for start in range(0, stop, batch_size):
            if per_batch:
                order = order_y = rng.permutation(n)
            yield X[order[start:start + batch_size]], y[order_y[start:start + batch_size]]
    return iterate_minibatches


def _sweep(loss=lambda c, x: 0.5 * c * x * x, grad=lambda c, x: c * x, check=True,
           keep_start=True):
    """learning_rate_sweep with one change: the loss, the gradient, no divergence check, the
    check on the loss (``check="loss"``: loss > 1e100 instead of |x| > 1e100), or the starting
    loss left out."""
    def learning_rate_sweep(lrs, *, num_steps=30, curvature=1.0, x0=1.0):
        rows = []
        for lr in lrs:
            x = float(x0)
            row = [loss(curvature, x)]
            for _ in range(num_steps):
                x = np.float64(x) - lr * grad(curvature, np.float64(x))
                if check == "loss" and loss(curvature, x) > 1e100:
                    break
                if check is True and abs(x) > 1e100:
                    break
                row.append(loss(curvature, x))
            row += [np.inf] * (num_steps + 1 - len(row))
            rows.append(row if keep_start else row[1:])
        return np.array(rows, dtype=float)
    return learning_rate_sweep


def _momentum(form="torch"):
    def momentum_update(w, dw, v, lr, momentum=0.9):
        w, dw, v = _float(w), _float(dw), _float(v)
        if form == "wrong sign":
            v_new = momentum * v - dw
            return w - lr * v_new, v_new
        if form == "uphill":
            v_new = momentum * v + dw
            return w + lr * v_new, v_new
        if form == "movement":  # the notes' movement m <- -lr dw + mu m, w <- w + m
            m_new = momentum * v - lr * dw
            return w + m_new, m_new
        if form == "lr inside":
            v_new = momentum * v + lr * dw
            return w - v_new, v_new
        if form == "dampened":
            v_new = momentum * v + (1.0 - momentum) * dw
            return w - lr * v_new, v_new
        if form == "no momentum factor":  # the notes' shorthand taken literally
            v_new = v + dw
            return w - lr * v_new, v_new
        if form == "old velocity":
            return w - lr * v, momentum * v + dw
        v_new = momentum * v + dw
        return w - lr * v_new, v_new
    return momentum_update


def _adaptive(average, denominator=lambda c, eps: np.sqrt(c) + eps, square=lambda g: g * g,
              old=False):
    """Adagrad (average=None: a sum) or RMSprop (average=alpha -> weights) with one change."""
    def update(w, dw, cache, lr, decay, eps):
        w, dw, cache = _float(w), _float(dw), _float(cache)
        keep, new = average(decay)
        cache_new = keep * cache + new * square(dw)
        return w - lr * dw / denominator(cache if old else cache_new, eps), cache_new
    return update


def _adagrad(**change):
    update = _adaptive(lambda decay: (1.0, 1.0), **change)

    def adagrad_update(w, dw, cache, lr, eps=1e-10):
        return update(w, dw, cache, lr, None, eps)
    return adagrad_update


def _rmsprop(swapped=False, summed=False, **change):
    def weights(alpha):
        if summed:
            return 1.0, 1.0
        return (1.0 - alpha, alpha) if swapped else (alpha, 1.0 - alpha)
    update = _adaptive(weights, **change)

    def rmsprop_update(w, dw, cache, lr, alpha=0.99, eps=1e-8):
        return update(w, dw, cache, lr, alpha, eps)
    return rmsprop_update


def _adam(correct=True, shift=0, eps_inside=False, root=True, plain_m=False, swapped=False,
          corrected_state=False):
    def adam_update(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        w, dw, m, v = _float(w), _float(dw), _float(m), _float(v)
        b1, b2 = (beta2, beta1) if swapped else (beta1, beta2)
        m_new = b1 * m + (1.0 if plain_m else 1.0 - b1) * dw
        v_new = b2 * v + (1.0 - b2) * dw * dw
        if correct:
            m_hat, v_hat = m_new / (1.0 - b1 ** (t + shift)), v_new / (1.0 - b2 ** (t + shift))
        else:
            m_hat, v_hat = m_new, v_new
        if eps_inside:
            den = np.sqrt(v_hat + eps)
        else:
            den = (np.sqrt(v_hat) if root else v_hat) + eps
        if corrected_state:
            return w - lr * m_hat / den, m_hat, v_hat
        return w - lr * m_hat / den, m_new, v_new
    return adam_update


_RULES05 = {"sgd": lambda w, dw, state, lr, t: (w - lr * dw, state),
            "momentum": lambda w, dw, state, lr, t: _momentum()(w, dw, state[0], lr),
            "adagrad": lambda w, dw, state, lr, t: _adagrad()(w, dw, state[0], lr),
            "rmsprop": lambda w, dw, state, lr, t: _rmsprop()(w, dw, state[0], lr),
            "adam": lambda w, dw, state, lr, t: _adam()(w, dw, state[0], state[1], t, lr)}


def _apply05(optimizer, w, dw, state, lr, t):
    """One update of a named optimizer; state is a tuple of arrays (empty for sgd)."""
    out = _RULES05[optimizer](w, dw, state, lr, t)
    if optimizer == "sgd":
        return out
    return out[0], tuple(out[1:])


def _net05(X, y, params, activation):
    """Loss, gradients (a dict) and predictions of a stack of dense layers, in plain numpy
    (NaN passes through, as it does in a student's network)."""
    f, fp = _ACT04[activation]
    num_layers = len(params) // 2
    inputs, pre, h = [], [], np.asarray(X, dtype=float)
    for l in range(1, num_layers + 1):
        inputs.append(h)
        s = h @ params[f"W{l}"] + params[f"b{l}"]
        if l < num_layers:
            pre.append(s)
            h = f(s)
    log_p = _log_softmax(s)
    n = len(y)
    g = (np.exp(log_p) - _onehot(y, s.shape[1])) / n
    grads = {}
    for l in range(num_layers, 0, -1):
        grads[f"W{l}"], grads[f"b{l}"] = inputs[l - 1].T @ g, g.sum(axis=0)
        if l > 1:
            g = (g @ params[f"W{l}"].T) * fp(pre[l - 2])
    return -np.mean(log_p[np.arange(n), y]), grads, np.argmax(s, axis=1)


def _train05(reset_per_epoch=False, t_from_zero=False, t_per_parameter=False,
             rng_per_epoch=False, last_batch=False, t_per_epoch=False, reset_per_batch=False):
    """train_network of assignment 05 with one change to the loop."""
    def train_network(params, X, y, activation, optimizer, lr, batch_size, num_epochs, seed):
        params = {k: _float(v) for k, v in params.items()}
        n_states = {"sgd": 0, "adam": 2}.get(optimizer, 1)

        def fresh():
            return {k: tuple(np.zeros_like(v) for _ in range(n_states)) for k, v in params.items()}

        states, t, rng = fresh(), 0, np.random.default_rng(seed)
        losses, accuracies = [], []
        for _ in range(num_epochs):
            if reset_per_epoch:
                states, t = fresh(), 0
            if t_per_epoch:
                t = 0
            if rng_per_epoch:
                rng = np.random.default_rng(seed)
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch_size):
                batch = order[start:start + batch_size]
                if reset_per_batch:
                    states = fresh()
                loss, grads, _ = _net05(X[batch], y[batch], params, activation)
                if not t_per_parameter:
                    t += 1
                for key in list(params):
                    if t_per_parameter:
                        t += 1
                    params[key], states[key] = _apply05(optimizer, params[key], grads[key],
                                                        states[key], lr,
                                                        t - 1 if t_from_zero else t)
            full_loss, _, predicted = _net05(X, y, params, activation)
            losses.append(loss if last_batch else full_loss)
            accuracies.append(np.mean(predicted == y))
        return params, np.array(losses), np.array(accuracies)
    return train_network


def _paired_epochs_in_another_order(args, kwargs, received, expected) -> bool:
    """epochs_check's outputs (X rows, y rows, batch sizes) of an iterator that visits every
    sample once per epoch, with its own label, in batches of the expected sizes, in an order
    that is not the expected one."""
    X, y = np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float)
    x_rows, y_rows, sizes = received
    n = len(X)
    if (n == 0 or sizes.shape != np.shape(expected[2]) or not np.array_equal(sizes, expected[2])
            or len(x_rows) != len(y_rows) or len(x_rows) % n):
        return False
    flat = X.reshape(n, -1)
    for epoch in range(len(x_rows) // n):
        rows = x_rows[epoch * n:(epoch + 1) * n].reshape(n, -1)
        if rows.shape != flat.shape:
            return False
        idx = []
        for row in rows:  # the sample each row is (the first of equal rows)
            hits = np.flatnonzero(np.all(flat == row, axis=1))
            if hits.size == 0:
                return False
            idx.append(hits[0])
        labels = y_rows[epoch * n:(epoch + 1) * n]
        if not np.array_equal(labels, y[idx]) or np.unique(np.c_[rows, labels], axis=0).shape[0] \
                != np.unique(np.c_[flat, y], axis=0).shape[0]:
            return False
    return not np.array_equal(y_rows, expected[1])


_OVERFLOW_HINT = ("a diverging run grows geometrically and soon overflows float64 "
                  "(or gives inf or NaN where a finite loss is expected): stop it at the right "
                  "step, once |x_t| exceeds 1e100 (test x, not the loss); losses[i, t] and every "
                  "later loss of that run are inf, and no further step is computed.")

def _not_returned(example: str) -> str:
    return ("`+=`, `*=` and `out=` write into the caller's array, which the update rules' "
            "contract forbids (no input may be modified): build the new state as a new array, "
            f"{example}, and return it beside the new parameter.")

OPTIMIZATION: dict[str, tuple[Mistake, ...]] = {
    # [D10]
    "sgd_update": (
        Mistake("the step with the wrong sign",
                "gradient descent goes downhill, against the gradient: w - lr * dw, not "
                "w + lr * dw.",
                returns=lambda w, dw, lr: _float(w) + lr * _float(dw)),
        Mistake("the learning rate left out",
                "the step is the gradient times the learning rate: w - lr * dw.",
                returns=lambda w, dw, lr: _float(w) - _float(dw)),
        Mistake("changed the input in place",
                "w -= lr * dw writes into the caller's array; return a new one, w - lr * dw.",
                mutates=True),
    ),
    # [D10]
    "gradient_descent": (
        Mistake("x0 left out of the trajectory",
                "the trajectory starts with the starting point: trajectory[0] is x0 and "
                "trajectory[t] the point after t steps, num_steps + 1 points in all.",
                returns=_gd(keep_start=False)),
        Mistake("the gradient of x0 at every step",
                "call grad_fn at the current point in every step, x_{t+1} = x_t - lr * "
                "grad_fn(x_t); the gradient of the starting point only gives the first step.",
                returns=_gd(stale=True)),
        Mistake("the step with the wrong sign",
                "x_{t+1} = x_t - lr * dx: subtract the gradient (or use your sgd_update).",
                returns=_gd(sign=-1.0)),
        Mistake("changed the input in place",
                "x = np.asarray(x0) is the caller's array itself, and x -= ... then changes x0; "
                "start from a copy, x = np.array(x0, dtype=float), and build new arrays.",
                mutates=True),
        Mistake("every point the same array",
                "every row of your trajectory is the last point: x -= ... changes the one array "
                "x in place, and the list holds that same array at every position; append a "
                "copy, points.append(x.copy()), or take the step as a new array, "
                "x = x - lr * grad_fn(x).",
                returns=_gd(aliased=True)),
    ),
    # [F1]
    "iterate_minibatches": (
        Mistake("the last batch dropped",
                "when batch_size does not divide N, the last batch holds the N mod batch_size "
                "samples that are left: loop over range(0, N, batch_size), so that every sample "
                "is used once per epoch.",
                returns=epochs_check(_batches(drop_last=True))),
        Mistake("reshuffled every batch",
                "draw one order per epoch, order = rng.permutation(N), before the loop over the "
                "batches, and cut it into batches; a new permutation for each batch uses some "
                "samples twice in an epoch and others never.",
                returns=epochs_check(_batches(per_batch=True))),
        Mistake("not shuffled",
                "each epoch visits the samples in a new random order: order = "
                "rng.permutation(N), then the batches order[0:B], order[B:2B], ...",
                returns=epochs_check(_batches(shuffle=False))),
        Mistake("X and y shuffled apart",
                "X and y must be shuffled by the same order, X[idx] and y[idx] with one idx; "
                "two permutations pair samples with the wrong labels.",
                returns=epochs_check(_batches(apart=True))),
        Mistake("an order not drawn from the given rng",
                "every sample appears once per epoch and X and y stay paired, but the order is "
                "not the given generator's: draw it as order = rng.permutation(N) from the rng "
                "argument, once per epoch, not from np.random or a generator of your own "
                "(np.random.default_rng(...) inside the function repeats one order every epoch).",
                recognises=_paired_epochs_in_another_order),
    ),
    # [F2]
    "learning_rate_sweep": (
        Mistake("divergence not detected",
                "a run that diverges must be stopped, at the right step: once |x_t| exceeds "
                "1e100 (test x, not the loss), losses[i, t] and every later loss of that run "
                "are inf and no further step is taken.",
                returns=_sweep(check=False)),
        Mistake("the loss tested against 1e100",
                "the test is on the point, |x_t| > 1e100, not on the loss: the loss "
                "curvature / 2 * x_t**2 passes 1e100 many steps earlier (about half as many), so "
                "your losses turn inf too soon; nothing overflows before |x_t| passes 1e100.",
                returns=_sweep(check="loss"), warns=True),
        Mistake("overflow in a diverging run",
                _OVERFLOW_HINT, warns=True),
        Mistake("OverflowError in a diverging run",
                _OVERFLOW_HINT + " (Python's float ** raises OverflowError.)", raises=OverflowError),
        Mistake("the point instead of the loss",
                "losses[i, t] is the loss f(x_t) = curvature / 2 * x_t**2, not the point x_t.",
                returns=_sweep(loss=lambda c, x: x)),
        Mistake("the 1/2 left out",
                "the quadratic is f(x) = curvature / 2 * x**2 (its derivative is curvature * x); "
                "curvature * x**2 is twice it.",
                returns=_sweep(loss=lambda c, x: c * x * x)),
        Mistake("the curvature left out of the gradient",
                "the gradient of curvature / 2 * x**2 is curvature * x: the step is "
                "x - lr * curvature * x.",
                returns=_sweep(grad=lambda c, x: x)),
        Mistake("the starting loss left out",
                "losses has num_steps + 1 columns: losses[i, 0] is the loss at x0, before the "
                "first step.",
                returns=_sweep(keep_start=False)),
    ),
    # [F4]
    "momentum_update": (
        Mistake("momentum with the wrong sign",
                "the velocity adds up the gradients, v = momentum * v + dw, and the step goes "
                "against it, w - lr * v; with a minus in v, or w + lr * v, the parameter "
                "climbs.",
                returns=(_momentum("wrong sign"), _momentum("uphill"))),
        Mistake("the notes' movement as the state",
                "the notes' form keeps the movement m = -lr * dw + momentum * m and sets "
                "w = w + m; this function keeps PyTorch's velocity v instead, v = momentum * v "
                "+ dw and w = w - lr * v (m = -lr * v while lr is constant): the state v you "
                "get and return is in units of a gradient.",
                returns=_momentum("movement")),
        Mistake("lr inside the velocity",
                "v = momentum * v + dw holds gradients, without lr; lr multiplies the step, "
                "w - lr * v (PyTorch's form).",
                returns=_momentum("lr inside")),
        Mistake("the gradient scaled by 1 - momentum",
                "v = momentum * v + dw: the gradient enters whole (PyTorch's dampening = 0); "
                "(1 - momentum) * dw is an average, as Adam's m is.",
                returns=_momentum("dampened")),
        Mistake("the momentum factor left out",
                "the old velocity is multiplied by the momentum, v = momentum * v + dw; v + dw "
                "never forgets a gradient (the notes' shorthand \"Movement = -dL/dw + "
                "Momentum\" leaves the factor unwritten, but it is meant).",
                returns=_momentum("no momentum factor")),
        Mistake("the step with the old velocity",
                "update the velocity first, v = momentum * v + dw, then step with the new one, "
                "w - lr * v; a step with the velocity you were given lags one step behind (the "
                "first step, from v = 0, does not move at all).",
                returns=_momentum("old velocity")),
        Mistake("the state changed in place", "v *= momentum or v += dw changes the caller's "
                "velocity; " + _not_returned("v_new = momentum * v + dw"), mutates=True),
    ),
    # [F3]
    "adagrad_update": (
        Mistake("the gradients summed, not their squares",
                "Adagrad's cache is the sum of the squared gradients, cache + dw**2; a sum of "
                "the gradients themselves can be negative, and its square root NaN.",
                returns=_adagrad(square=lambda g: g), warns=True),
        Mistake("the square root missing",
                "the step divides by the root of the sum, lr * dw / (sqrt(cache) + eps); "
                "dividing by the sum itself shrinks the steps far faster.",
                returns=_adagrad(denominator=lambda c, eps: c + eps)),
        Mistake("eps inside the square root",
                "this function adds eps outside the root, sqrt(cache) + eps, as PyTorch does; "
                "sqrt(cache + eps) is another convention.",
                returns=_adagrad(denominator=lambda c, eps: np.sqrt(c + eps))),
        Mistake("the current gradient left out of the sum",
                "add dw**2 to the cache first, then divide by its root: the notes' sum runs "
                "over every gradient so far, the current one included.",
                returns=_adagrad(old=True)),
        Mistake("the state changed in place", "cache += dw**2 changes the caller's cache; "
                + _not_returned("cache_new = cache + dw**2"), mutates=True),
    ),
    # [F5]
    "rmsprop_update": (
        Mistake("alpha and 1 - alpha swapped",
                "alpha weighs the old average: cache = alpha * cache + (1 - alpha) * dw**2, "
                "so that with alpha = 0.99 the average forgets slowly.",
                returns=_rmsprop(swapped=True)),
        Mistake("the square root missing",
                "the step divides by the root of the average, lr * dw / (sqrt(cache) + eps).",
                returns=_rmsprop(denominator=lambda c, eps: c + eps)),
        Mistake("eps inside the square root",
                "this function adds eps outside the root, sqrt(cache) + eps, as PyTorch does; "
                "sqrt(cache + eps) is another convention.",
                returns=_rmsprop(denominator=lambda c, eps: np.sqrt(c + eps))),
        Mistake("Adagrad's sum instead of the average",
                "RMSprop keeps a decaying average, alpha * cache + (1 - alpha) * dw**2, not "
                "Adagrad's growing sum cache + dw**2.",
                returns=_rmsprop(summed=True)),
        Mistake("the old cache in the step",
                "update the average first, then divide by its root: cache = alpha * cache + "
                "(1 - alpha) * dw**2, and the step lr * dw / (sqrt(cache) + eps) with that new "
                "cache; the cache you were given leaves out the current gradient (at the first "
                "step it is 0, and the step is lr * dw / eps).",
                returns=_rmsprop(old=True)),
        Mistake("the state changed in place", "cache *= alpha or cache += ... changes the "
                "caller's cache; " + _not_returned("cache_new = alpha * cache + (1 - alpha) * dw**2"),
                mutates=True),
    ),
    # [F6]
    "adam_update": (
        Mistake("no bias correction",
                "m and v start at 0, so early on they are too small: divide them by "
                "1 - beta1**t and 1 - beta2**t (m_hat, v_hat) before the step; at t = 1 this "
                "makes m_hat = dw and v_hat = dw**2.",
                returns=_adam(correct=False)),
        Mistake("the step counter starting at 0",
                "t counts the steps from 1: the first step has t = 1 and the correction "
                "1 - beta1**1 = 1 - beta1; using t + 1 treats the first step as the second.",
                returns=_adam(shift=1)),
        Mistake("eps inside the square root",
                "Adam adds eps outside the root, sqrt(v_hat) + eps, as PyTorch does; "
                "sqrt(v_hat + eps) is another convention.",
                returns=_adam(eps_inside=True)),
        Mistake("the square root missing",
                "the step is lr * m_hat / (sqrt(v_hat) + eps): v_hat is a mean of squares, "
                "its root has the size of a gradient.",
                returns=_adam(root=False)),
        Mistake("m without 1 - beta1",
                "Adam's m is an average, beta1 * m + (1 - beta1) * dw (and v the same with "
                "beta2 and dw**2); without the 1 - beta1 it is momentum's sum, ten times larger.",
                returns=_adam(plain_m=True)),
        Mistake("beta1 and beta2 swapped",
                "beta1 (0.9) belongs to m, the mean of the gradients; beta2 (0.999) to v, the "
                "mean of their squares.",
                returns=_adam(swapped=True)),
        Mistake("the corrected moments returned as the state",
                "m_hat and v_hat are for this step only: return the uncorrected m and v, which "
                "the next step decays and corrects again with its own t; a corrected state is "
                "corrected twice.",
                returns=_adam(corrected_state=True)),
        Mistake("the state changed in place", "m *= beta1 or v += ... changes the caller's "
                "moments; " + _not_returned("m_new = beta1 * m + (1 - beta1) * dw"), mutates=True),
    ),
    # [F1, F3-F6]
    "train_network": (
        Mistake("the state reset every epoch",
                "create each parameter's state (zeros) once, before the first epoch, and carry "
                "it through all the steps; an optimizer's memory of earlier gradients (and "
                "Adam's t) does not restart with an epoch.",
                returns=_train05(reset_per_epoch=True)),
        Mistake("Adam's step counter starting at 0",
                "t counts the updates from 1: increase it before the first call, so that the "
                "first step has t = 1 (at t = 0, 1 - beta1**0 = 0 and the correction divides by "
                "zero).",
                returns=_train05(t_from_zero=True), warns=True),
        Mistake("t counted per parameter",
                "t counts the steps, one per mini-batch: every parameter of that step gets the "
                "same t (PyTorch's per-parameter counts are all equal).",
                returns=_train05(t_per_parameter=True)),
        Mistake("a new generator every epoch",
                "make rng = np.random.default_rng(seed) once, before the epochs: a generator "
                "made again each epoch repeats the first epoch's order.",
                returns=_train05(rng_per_epoch=True)),
        Mistake("the loss of the last batch",
                "after each epoch record the loss and the accuracy on all of (X, y), not the "
                "loss of the epoch's last mini-batch.",
                returns=_train05(last_batch=True)),
        Mistake("Adam's t restarted every epoch",
                "t counts every batch of the whole training, 1, 2, ... across epochs, as the "
                "states carry on; with t back at 1 at each epoch Adam's bias correction divides "
                "states that are no longer small by 1 - beta**t again.",
                returns=_train05(t_per_epoch=True)),
        Mistake("the state made anew for every batch",
                "create each parameter's state once, before the epochs, and pass back the state "
                "the rule returned: made anew (zeros) at every batch, momentum and RMSprop "
                "forget every earlier gradient and Adam's moments always start at zero.",
                returns=_train05(reset_per_batch=True)),
    ),
}


CATALOGUES: dict[str, dict[str, tuple[Mistake, ...]]] = {
    "01_activations_and_losses": ACTIVATIONS_AND_LOSSES,
    "02_backprop_by_hand": BACKPROP_BY_HAND,
    "03_networks_from_scratch": NETWORKS_FROM_SCRATCH,
    "04_depth_and_initialization": DEPTH_AND_INITIALIZATION,
    "05_optimization": OPTIMIZATION,
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
