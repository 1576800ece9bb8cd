# cell: train_deep
def train_deep(X, y, depth, width, activation, init, lr, num_steps, seed):
    """Parameters in a dict, as in assignment 03, and the layer gradients by the delta rule.
    [E4, E5, E6]"""
    f, df = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    num_classes = int(y.max()) + 1
    sizes = [X.shape[1]] + [width for _ in range(depth - 1)] + [num_classes]
    params = {}
    for l in range(1, depth + 1):
        params[f"W{l}"] = init_weight(init, sizes[l - 1], sizes[l], rng)
        if init == "normal":
            params[f"b{l}"] = rng.normal(0.0, 1.0, size=sizes[l])
        else:
            params[f"b{l}"] = np.zeros(sizes[l])
    losses = np.zeros(num_steps)
    norms = np.zeros((num_steps, depth))
    for t in range(num_steps):
        hs, ss = {0: X}, {}
        for l in range(1, depth + 1):
            ss[l] = hs[l - 1] @ params[f"W{l}"] + params[f"b{l}"]
            hs[l] = f(ss[l]) if l < depth else ss[l]
        losses[t], delta = softmax_cross_entropy(ss[depth], y)
        grads = {}
        for l in range(depth, 0, -1):
            grads[f"W{l}"] = hs[l - 1].T @ delta
            grads[f"b{l}"] = delta.sum(axis=0)
            norms[t, l - 1] = np.linalg.norm(grads[f"W{l}"])
            if l > 1:
                delta = df(ss[l - 1]) * (delta @ params[f"W{l}"].T)
        params = {key: value - lr * grads[key] for key, value in params.items()}
    return losses, norms
