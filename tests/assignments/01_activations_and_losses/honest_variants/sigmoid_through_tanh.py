# cell: sigmoid
def sigmoid(x):
    """sigma(x) = (1 + tanh(x / 2)) / 2: tanh saturates at +-1 and never overflows.  [B1, B2]"""
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 + np.tanh(0.5 * x))
# cell: sigmoid_grad
def sigmoid_grad(x):
    """The derivative of the sigmoid at x.  [B1]"""
    s = sigmoid(x)
    return s * (1.0 - s)
