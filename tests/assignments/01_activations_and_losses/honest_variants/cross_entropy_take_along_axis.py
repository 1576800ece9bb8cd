# cell: softmax_cross_entropy
def softmax_cross_entropy(logits, y):
    """Cross-entropy through log-softmax with np.logaddexp.reduce and take_along_axis.  [C3, C4]"""
    z = np.asarray(logits, dtype=float)
    labels = np.asarray(y, dtype=int).reshape(-1, 1)
    log_p = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    loss = -np.mean(np.take_along_axis(log_p, labels, axis=1))
    grad = np.exp(log_p)
    np.put_along_axis(grad, labels, np.take_along_axis(grad, labels, axis=1) - 1.0, axis=1)
    return float(loss), grad / z.shape[0]
