def softmax_cross_entropy(logits, y):
    """Right gradient, but the loss is averaged over all N * K entries."""
    z = np.asarray(logits, dtype=float)
    n, k = z.shape
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    loss = -np.mean(onehot * log_p)
    return float(loss), (np.exp(log_p) - onehot) / n
