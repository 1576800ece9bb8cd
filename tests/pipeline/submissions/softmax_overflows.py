def softmax(z):
    """The textbook formula, without subtracting the maximum."""
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)
