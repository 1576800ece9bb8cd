# cell: gradient_descent
def sgd_update(w, dw, lr):
    """np.subtract builds the new array.  [D10]"""
    return np.subtract(w, np.multiply(lr, dw))


def gradient_descent(grad_fn, x0, lr, num_steps):
    """A preallocated trajectory, filled row by row.  [D10]"""
    x0 = np.asarray(x0, dtype=float)
    trajectory = np.zeros((num_steps + 1,) + x0.shape)
    trajectory[0] = x0
    for t in range(num_steps):
        trajectory[t + 1] = sgd_update(trajectory[t], grad_fn(trajectory[t].copy()), lr)
    return trajectory


# cell: iterate_minibatches
def iterate_minibatches(X, y, batch_size, rng):
    """A list of the epoch's batches; the order from rng.shuffle of 0..N-1, which draws the
    same order as rng.permutation(N).  [F1]"""
    order = np.arange(len(X))
    rng.shuffle(order)
    batches = []
    start = 0
    while start < len(X):
        idx = order[start:start + batch_size]
        batches.append((X[idx], y[idx]))
        start += batch_size
    return batches


# cell: learning_rate_sweep
def learning_rate_sweep(lrs, *, num_steps=30, curvature=1.0, x0=1.0):
    """Every learning rate at once; a diverged run is frozen at 0 so that nothing overflows.
    [F2]"""
    lrs = np.asarray(lrs, dtype=float)
    x = np.full(lrs.shape, float(x0))
    alive = np.ones(lrs.shape, dtype=bool)
    losses = np.full((len(lrs), num_steps + 1), np.inf)
    losses[:, 0] = 0.5 * curvature * x * x
    for t in range(1, num_steps + 1):
        x = np.where(alive, x - lrs * curvature * x, 0.0)
        alive &= np.abs(x) <= 1e100
        x = np.where(alive, x, 0.0)
        losses[alive, t] = 0.5 * curvature * x[alive] ** 2
    return losses
