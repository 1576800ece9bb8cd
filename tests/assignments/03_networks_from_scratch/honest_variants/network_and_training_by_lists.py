# cell: network_backward
def network_backward(X, y, params, activation):
    """Forward into lists, then the delta recursion from the top, written inline.  [D6, D8]"""
    phi, dphi = ACTIVATIONS[activation]
    L = len(params) // 2
    inputs, pre = [X], []
    for l in range(1, L + 1):
        s = inputs[-1] @ params["W" + str(l)] + params["b" + str(l)]
        pre.append(s)
        inputs.append(phi(s))
    loss, delta = softmax_cross_entropy(pre[-1], y)
    grads = [None] * (2 * L)
    for l in range(L, 0, -1):
        grads[2 * l - 2] = inputs[l - 1].T @ delta
        grads[2 * l - 1] = delta.sum(axis=0)
        if l > 1:
            delta = (delta @ params["W" + str(l)].T) * dphi(pre[l - 2])
    return tuple([loss] + grads)
# cell: playground_features
FEATURE_FUNCTIONS = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: np.square(X[:, 0]),
    "x2^2": lambda X: np.square(X[:, 1]),
    "x1*x2": lambda X: np.prod(X, axis=1),
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}


def playground_features(X, names):
    """A dict of lambdas, one per feature of the playground.  [J1]"""
    unknown = [name for name in names if name not in FEATURE_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown feature names: {unknown}")
    return np.stack([FEATURE_FUNCTIONS[name](X) for name in names], axis=1)
# cell: train_test_split
def train_test_split(X, y, train_ratio, seed):
    """np.split of the shuffled indices at n_train.  [G6]"""
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(X.shape[0])
    train_idx, test_idx = np.split(shuffled, [int(round(train_ratio * X.shape[0]))])
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]
# cell: train_network
def train_network(params, X, y, activation, lr, batch_size, num_epochs, seed):
    """A while loop over the batches; the parameters rebuilt as a new dict each step.  [F1]"""
    rng = np.random.default_rng(seed)
    current = dict(params)
    history = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        order = rng.permutation(X.shape[0])
        start = 0
        while start < X.shape[0]:
            idx = order[start:start + batch_size]
            _, *grads = network_backward(X[idx], y[idx], current, activation)
            current = {key: current[key] - lr * g for key, g in zip(current, grads)}
            start += batch_size
        history[epoch] = network_backward(X, y, current, activation)[0]
    return current, history
# cell: accuracy
def accuracy(params, X, y, activation):
    """Count the hits with count_nonzero.  [G6]"""
    phi = ACTIVATIONS[activation][0]
    h = X
    L = len(params) // 2
    for l in range(1, L):
        h = phi(affine_forward(h, params[f"W{l}"], params[f"b{l}"])[0])
    scores = affine_forward(h, params[f"W{L}"], params[f"b{L}"])[0]
    return np.count_nonzero(scores.argmax(axis=1) == y) / len(y)
