def softmax(z):
    """Stable, but normalises each column (the batch) instead of each row."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
