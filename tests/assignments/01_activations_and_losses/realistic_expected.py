"""The right hint for each entry of realistic_mistakes.py (by index), written by reading its code.

A value is the catalogue name whose hint is right, a tuple of names when the entry makes several
real mistakes (each hint is right), or None when no catalogued hint is right for it.
``NOT_CAUGHT`` lists the entries that pass every public check, with the reason.
"""
EXPECTED = {
    0: "overflow in exp", 1: "overflow in exp", 2: "the sign slip of the notes",
    3: "math instead of numpy", 4: "the sign of x was not used", 5: "changed the input in place",
    6: "math.exp overflows",
    7: "quotient of exponentials", 8: "formula applied to x", 9: "half the shortcut",
    10: "sigma squared", 11: "sigmoid applied twice", 12: "quotient of exponentials",
    13: "overflow in the quotient of exponentials", 14: "sigma(x) instead of sigma(2x)",
    15: "overflow in the quotient of exponentials", 16: "missing parentheses",
    17: "math instead of numpy", 18: "overflow in the quotient of exponentials",
    19: "formula applied to x", 20: "2 t instead of t squared", 21: "overflow in exp",
    22: "the sigmoid's shortcut", 23: "chain rule: a factor 2 missing",
    24: "parentheses around 1 - t",
    25: "changed the input in place", 26: "Python's max on an array", 27: "np.max reduces",
    28: "changed the input in place", 29: "Python's max on an array",
    30: "changed the input in place",
    31: "returns the value instead of the slope", 32: "changed the input in place",
    33: "np.sign", 34: "if on an array", 35: "np.clip is not a step", 36: "leaky slope",
    37: "alpha = 0.1 instead of the argument", 38: "np.max takes an axis",
    39: "changed the input in place", 40: "alpha instead of alpha x",
    41: "alpha hard-coded as 0.01", 42: "leaks on both sides",
    43: "alpha hard-coded", 44: "alpha hard-coded", 45: "alpha x instead of alpha",
    46: "changed the input in place", 47: "zero slope for negatives", 48: "if on an array",
    49: "np.where computes both branches", 50: "masks multiply inf by 0", 51: "forgot alpha",
    52: "bracket", 53: "changed the input in place",
    54: "a maximum instead of two cases", 55: "default alpha = 0.01",
    56: "overflow in log(1 + e^x)", 57: "overflow in log(1 + e^x)", 58: "x for positive x",
    59: "overflow in log(1 + e^x)", 60: "math instead of numpy",
    61: "forgot the max(x, 0) term", 62: "logaddexp(1, x)",
    63: "overflow: the maximum was not subtracted", 64: "normalised over the whole batch",
    65: "normalised over the wrong axis", 66: "reduced without keepdims",
    67: "one maximum for the whole batch", 68: "axis=1 on a single vector",
    69: "changed the input in place", 70: ("reduced without keepdims", "not stable"),
    71: "not stable", 72: "log-sum-exp without the shift",
    73: "log of a probability that underflowed",
    74: "sum instead of mean, in the loss and the gradient", 75: "gradient not divided by N",
    76: "labels used as one-hot rows", 77: "per-example losses", 78: "epsilon clipping",
    79: "epsilon clipping", 80: "gradient with respect to p", 81: "one-based labels",
    82: "log-sum-exp without the shift", 83: "normalised over the wrong axis",
    84: None, 85: "p[:, y] instead of p[rows, y]",
    86: "forgot to subtract the one-hot target", 87: "changed the input in place",
    88: ("sum instead of mean", "overflow: the maximum was not subtracted"),
    89: "log of a probability that underflowed", 90: "averaged over classes instead of the batch",
    91: "math.log of a probability that underflowed",
}

NOT_CAUGHT = {
    84: "a list of the right length is accepted for several outputs (course_lib.grading.RULES)",
}
