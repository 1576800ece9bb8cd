def elu(x, alpha=1.0):
    """Right values, but np.where evaluates exp(x) for large positive x too."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))
