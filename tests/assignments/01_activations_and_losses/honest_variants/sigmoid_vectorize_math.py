# cell: sigmoid
import math


def _sigmoid_scalar(v: float) -> float:
    """sigma(v) for one number, through e^(-|v|), which never overflows."""
    e = math.exp(-abs(v))
    return 1.0 / (1.0 + e) if v >= 0 else e / (1.0 + e)


_sigmoid_elementwise = np.vectorize(_sigmoid_scalar, otypes=[float])


def sigmoid(x):
    """The logistic sigmoid, elementwise, with math.exp on each scalar.  [B1]"""
    x = np.asarray(x, dtype=float)
    return np.asarray(_sigmoid_elementwise(x), dtype=float).reshape(x.shape)
