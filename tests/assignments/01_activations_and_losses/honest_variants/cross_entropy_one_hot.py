# cell: softmax_cross_entropy
def softmax_cross_entropy(logits, y):
    """Mean cross-entropy with a one-hot matrix, and its gradient (p - one_hot) / N.  [C3, C4]"""
    z = np.asarray(logits, dtype=float)
    n, k = z.shape
    one_hot = np.eye(k)[np.asarray(y)]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(one_hot * log_p) / n
    return float(loss), (np.exp(log_p) - one_hot) / n
