# cell: sigmoid
import math


def sigmoid(x):
    """The logistic sigmoid 1 / (1 + e^(-x)), elementwise.  [B1]

    A loop over the elements: each one uses the form whose exponential cannot overflow. The
    result lies in the open interval (0, 1) up to rounding; we evaluate every element on its own.

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    ndarray, same shape as x
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    flat_in, flat_out = x.ravel(), out.reshape(-1)
    for i in range(flat_in.size):
        v = float(flat_in[i])
        if v >= 0:
            flat_out[i] = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            flat_out[i] = e / (1.0 + e)
    return out
# cell: sigmoid_grad
def sigmoid_grad(x):
    """The derivative of the sigmoid: sigma - sigma^2, the same as sigma (1 - sigma).  [B1]"""
    s = sigmoid(x)
    return s - s ** 2
