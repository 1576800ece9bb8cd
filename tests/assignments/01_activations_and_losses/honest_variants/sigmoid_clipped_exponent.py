# cell: sigmoid
import math
import sys

# The largest exponent whose e^t is finite in float64 (about 709.78), minus a margin.
_EXP_LIMIT = math.log(sys.float_info.max) - 1.0


def sigmoid(x):
    """1 / (1 + e^(-x)) with the exponent clipped where e^t would overflow.  [B1]

    Clipping changes nothing float64 can show: at the limit the result is already 0 or 1
    within 1e-300.
    """
    x = np.asarray(x, dtype=float)
    t = np.clip(-x, -_EXP_LIMIT, _EXP_LIMIT)
    return 1.0 / (1.0 + np.exp(t))
