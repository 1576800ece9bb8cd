# cell: relu
def relu(x):
    """max(0, x) with np.clip, which returns a new array.  [B3]"""
    return np.clip(np.asarray(x, dtype=float), 0.0, None)


def relu_grad(x):
    """The Heaviside step, with the left slope 0 at x = 0.  [B3]"""
    return np.heaviside(np.asarray(x, dtype=float), 0.0)
# cell: leaky_relu
def leaky_relu(x, alpha=0.01):
    """max(alpha x, x), which is right for 0 < alpha < 1.  [B4]"""
    x = np.asarray(x, dtype=float)
    return np.maximum(alpha * x, x)


def leaky_relu_grad(x, alpha=0.01):
    """1 where x > 0, alpha elsewhere.  [B4]"""
    return np.where(np.asarray(x) > 0, 1.0, alpha).astype(float)
