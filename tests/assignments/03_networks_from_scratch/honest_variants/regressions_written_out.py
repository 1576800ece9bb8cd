# cell: logistic_loss_and_grads
def logistic_loss_and_grads(X, y, w, b):
    """The cross-entropy from the log-sigmoid, -log p = log(1 + e^-z), written with logaddexp.  [A7]"""
    n = X.shape[0]
    z = np.dot(X, w) + b
    log_p = -np.logaddexp(0.0, -z)        # log sigma(z)
    log_not_p = -np.logaddexp(0.0, z)     # log (1 - sigma(z))
    loss = -(y * log_p + (1 - y) * log_not_p).sum() / n
    p = np.exp(log_p)
    error = p - y
    return loss, np.dot(error, X) / n, error.sum() / n
# cell: linear_regression_gd
def linear_regression_gd(x, y, lr, num_steps, a=0.0, a0=0.0):
    """A preallocated history; the gradients of the notes' squared error, averaged.  [D9]"""
    history = np.zeros((num_steps + 1, 3))
    n = len(x)
    for t in range(num_steps + 1):
        y_hat = a * x + a0
        history[t] = [a, a0, ((y - y_hat) ** 2).sum() / n]
        if t == num_steps:
            break
        dL_da = (-2.0 / n) * ((y - y_hat) * x).sum()
        dL_da0 = (-2.0 / n) * (y - y_hat).sum()
        a -= lr * dL_da
        a0 -= lr * dL_da0
    return history
