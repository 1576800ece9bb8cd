# cell: sigmoid
def sigmoid(x):
    """The logistic sigmoid with np.piecewise: one formula for each sign of x.  [B1]

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    ndarray, same shape as x (np.piecewise needs at least one dimension, so a 0-d input is
    reshaped back at the end)
    """
    x = np.asarray(x, dtype=float)
    flat = np.atleast_1d(x)
    values = np.piecewise(
        flat,
        [flat >= 0, flat < 0],
        [lambda v: 1.0 / (1.0 + np.exp(-v)), lambda v: np.exp(v) / (1.0 + np.exp(v))],
    )
    return values.reshape(x.shape)
# cell: sigmoid_grad
def sigmoid_grad(x):
    """sigma(x) (1 - sigma(x)), with sigma computed once.  [B1]"""
    s = sigmoid(x)
    return s * (1.0 - s)
