def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * x)


def leaky_relu_grad(x, alpha=0.01):
    """ReLU's slope instead of leaky ReLU's."""
    return np.where(np.asarray(x) > 0, 1.0, 0.0)
