"""Every recognised mistake of course_lib.mistakes is caught, and named, on the public inputs.

Each entry below is a wrong student implementation written the way students write it; submitting
it to the grading helper must fail the check and produce the hint of exactly that mistake. The
correct reference implementations must pass the same checks without any hint.
"""
import math

import numpy as np
import pytest

from course_lib import activations, losses
from course_lib.grading import check_function
from course_lib.mistakes import MISTAKES

REFERENCE = {
    "sigmoid": activations.sigmoid, "sigmoid_grad": activations.sigmoid_grad,
    "tanh": activations.tanh, "tanh_grad": activations.tanh_grad,
    "relu": activations.relu, "relu_grad": activations.relu_grad,
    "leaky_relu": activations.leaky_relu, "leaky_relu_grad": activations.leaky_relu_grad,
    "elu": activations.elu, "softplus": activations.softplus,
    "softmax": losses.softmax, "softmax_cross_entropy": losses.softmax_cross_entropy,
}

SMALL = np.array([-3.0, -1.0, -0.5, 0.5, 1.0, 3.0])
LARGE = np.array([-1000.0, -40.0, 40.0, 1000.0])
LOGITS = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0], [-2.0, 0.0, 2.0], [3.0, 1.0, 0.0]])
SQUARE = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0], [-2.0, 0.0, 2.0]])
BIG_LOGITS = np.array([[1000.0, 0.0, -1000.0], [0.0, -1000.0, -999.0], [-500.0, 500.0, 499.0]])
LABELS = np.array([2, 0, 1, 1])

# The public inputs of the notebook's test cells, as (args, kwargs) pairs.
INPUTS = {
    "sigmoid": [((SMALL,), {}), ((LARGE,), {})],
    "sigmoid_grad": [((SMALL,), {})],
    "tanh": [((SMALL,), {}), ((LARGE,), {})],
    "tanh_grad": [((SMALL,), {})],
    "relu": [((SMALL.reshape(2, 3),), {})],
    "relu_grad": [((SMALL,), {})],
    "leaky_relu": [((SMALL,), {}), ((SMALL,), {"alpha": 0.2})],
    "leaky_relu_grad": [((SMALL,), {"alpha": 0.2})],
    "elu": [((SMALL,), {}), ((SMALL,), {"alpha": 0.5}), ((LARGE,), {})],
    "softplus": [((SMALL,), {}), ((LARGE,), {})],
    "softmax": [((LOGITS,), {}), ((BIG_LOGITS,), {})],
    "softmax_cross_entropy": [((LOGITS, LABELS), {}), ((BIG_LOGITS, np.array([2, 1, 0])), {})],
}


def _softmax_rows(z):
    return np.exp(z - z.max(axis=-1, keepdims=True)) / np.exp(
        z - z.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)


def _ce_with_log_of_softmax(z, y):
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(z.shape[1])[y]
    return -np.mean(np.log(p[np.arange(len(y)), y])), (p - onehot) / len(y)


def _relu_in_place(x):
    x[x < 0] = 0
    return x


# (function, mistake name) -> a student's wrong implementation, and the input set index to use
STUDENT_CODE = {
    ("sigmoid", "the sign slip of the notes"): (lambda x: 1 / (1 + np.exp(x)), 0),
    ("sigmoid", "overflow in exp"): (lambda x: 1 / (1 + np.exp(-x)), 1),
    ("sigmoid", "math instead of numpy"): (lambda x: 1 / (1 + math.exp(-x)), 0),
    ("sigmoid", "e^x instead of 1/(1 + e^-x)"): (lambda x: np.exp(x), 0),
    ("sigmoid_grad", "returns sigma instead of its derivative"): (activations.sigmoid, 0),
    ("sigmoid_grad", "formula applied to x"): (lambda x: x * (1 - x), 0),
    ("sigmoid_grad", "one factor only"): (lambda x: 1 - activations.sigmoid(x), 0),
    ("sigmoid_grad", "sigma squared"): (lambda x: activations.sigmoid(x) ** 2, 0),
    ("tanh", "sigma(x) instead of sigma(2x)"): (lambda x: 2 * activations.sigmoid(x) - 1, 0),
    ("tanh", "forgot the - 1"): (lambda x: 2 * activations.sigmoid(2 * x), 0),
    ("tanh", "forgot the factor 2"): (lambda x: activations.sigmoid(2 * x) - 1, 0),
    ("tanh", "overflow in the quotient of exponentials"):
        (lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)), 1),
    ("tanh_grad", "forgot the square"): (lambda x: 1 - np.tanh(x), 0),
    ("tanh_grad", "returns tanh instead of its derivative"): (np.tanh, 0),
    ("tanh_grad", "formula applied to x"): (lambda x: 1 - x * x, 0),
    ("relu", "Python's max on an array"): (lambda x: max(0, x), 0),
    ("relu", "np.max reduces"): (lambda x: np.max(x, 0), 0),
    ("relu", "changed the input in place"): (_relu_in_place, 0),
    ("relu", "returns the mask"): (lambda x: x > 0, 0),
    ("relu_grad", "returns the value instead of the slope"): (lambda x: np.maximum(x, 0), 0),
    ("relu_grad", "np.sign"): (np.sign, 0),
    ("relu_grad", "inverted mask"): (lambda x: (x < 0) * 1.0, 0),
    ("leaky_relu", "plain ReLU"): (lambda x, alpha=0.01: np.maximum(0, x), 0),
    ("leaky_relu", "alpha = 0.1 instead of the argument"):
        (lambda x, alpha=0.01: np.where(x > 0, x, 0.1 * x), 1),
    ("leaky_relu", "minimum instead of maximum"):
        (lambda x, alpha=0.01: np.minimum(alpha * x, x), 0),
    ("leaky_relu", "max(0, alpha x)"): (lambda x, alpha=0.01: np.maximum(0, alpha * x), 0),
    ("leaky_relu_grad", "zero slope for negatives"):
        (lambda x, alpha=0.01: np.where(x > 0, 1.0, 0.0), 0),
    ("leaky_relu_grad", "alpha x instead of alpha"):
        (lambda x, alpha=0.01: np.where(x > 0, 1.0, alpha * x), 0),
    ("leaky_relu_grad", "returns the value instead of the slope"):
        (lambda x, alpha=0.01: np.where(x > 0, x, alpha * x), 0),
    ("elu", "bracket"): (lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)) - 1), 1),
    ("elu", "np.where computes both branches"):
        (lambda x, alpha=1.0: np.where(x > 0, x, alpha * (np.exp(x) - 1)), 2),
    ("elu", "forgot alpha"): (lambda x, alpha=1.0: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), 1),
    ("softplus", "overflow in log(1 + e^x)"): (lambda x: np.log(1 + np.exp(x)), 1),
    ("softplus", "forgot the 1"): (lambda x: np.log(np.exp(x)), 0),
    ("softplus", "math instead of numpy"): (lambda x: math.log(1 + math.exp(x)), 0),
    ("softmax", "overflow: the maximum was not subtracted"):
        (lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True), 1),
    ("softmax", "normalised over the wrong axis"):
        (lambda z: np.exp(z) / np.exp(z).sum(axis=0, keepdims=True), 0),
    ("softmax", "sum without keepdims"): (lambda z: np.exp(z) / np.exp(z).sum(axis=-1), 0),
    ("softmax", "one maximum for the whole batch"):
        (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=-1, keepdims=True), 1),
    ("softmax_cross_entropy", "averaged over classes instead of the batch"):
        (lambda z, y: (-np.mean(np.eye(z.shape[1])[y] * np.log(_softmax_rows(z))),
                       (_softmax_rows(z) - np.eye(z.shape[1])[y]) / len(y)), 0),
    ("softmax_cross_entropy", "sum instead of mean"):
        (lambda z, y: (-np.sum(np.log(_softmax_rows(z))[np.arange(len(y)), y]),
                       (_softmax_rows(z) - np.eye(z.shape[1])[y]) / len(y)), 0),
    ("softmax_cross_entropy", "gradient not divided by N"):
        (lambda z, y: (-np.mean(np.log(_softmax_rows(z))[np.arange(len(y)), y]),
                       _softmax_rows(z) - np.eye(z.shape[1])[y]), 0),
    ("softmax_cross_entropy", "sign of the gradient"):
        (lambda z, y: (-np.mean(np.log(_softmax_rows(z))[np.arange(len(y)), y]),
                       (np.eye(z.shape[1])[y] - _softmax_rows(z)) / len(y)), 0),
    ("softmax_cross_entropy", "log of a probability that underflowed"): (_ce_with_log_of_softmax, 1),
}

CATALOGUE = sorted({(fn, m.name) for fn, ms in MISTAKES.items() for m in ms})


def test_every_catalogued_mistake_has_a_student_version_here():
    assert set(STUDENT_CODE) == set(CATALOGUE), set(CATALOGUE) ^ set(STUDENT_CODE)


def test_every_graded_function_recognises_at_least_three_mistakes():
    for fn in REFERENCE:
        names = {m.name for m in MISTAKES[fn]}
        assert len(names) >= 3, f"{fn} recognises only {sorted(names)}"


@pytest.mark.parametrize("fn,name", CATALOGUE)
def test_the_mistake_fails_the_check_and_gets_its_own_hint(fn, name):
    student, which = STUDENT_CODE[(fn, name)]
    args, kwargs = INPUTS[fn][which]
    with pytest.raises(AssertionError) as info:
        check_function(student, args, REFERENCE[fn], kwargs=kwargs, name=fn,
                       mistakes=MISTAKES[fn])
    message = str(info.value)
    assert f"Hint ({name})" in message, message
    others = {m.name for m in MISTAKES[fn]} - {name}
    assert not [o for o in others if f"Hint ({o})" in message], message


@pytest.mark.parametrize("fn", sorted(REFERENCE))
def test_the_reference_passes_every_public_input(fn):
    for args, kwargs in INPUTS[fn]:
        check_function(REFERENCE[fn], args, REFERENCE[fn], kwargs=kwargs, mistakes=MISTAKES[fn])
    if fn == "softmax":
        check_function(REFERENCE[fn], (SQUARE,), REFERENCE[fn], mistakes=MISTAKES[fn])
