# cell: train_network
def train_network(params, X, y, activation, optimizer, lr, batch_size, num_epochs, seed):
    """A table of update steps, each state a tuple carried in a dict.  [F1, F3, F4, F5, F6]"""
    steps = {
        "sgd": lambda w, dw, state, t: (sgd_update(w, dw, lr), ()),
        "momentum": lambda w, dw, state, t: (lambda out: (out[0], out[1:]))(momentum_update(w, dw, *state, lr)),
        "adagrad": lambda w, dw, state, t: (lambda out: (out[0], out[1:]))(adagrad_update(w, dw, *state, lr)),
        "rmsprop": lambda w, dw, state, t: (lambda out: (out[0], out[1:]))(rmsprop_update(w, dw, *state, lr)),
        "adam": lambda w, dw, state, t: (lambda out: (out[0], out[1:]))(adam_update(w, dw, *state, t, lr)),
    }
    sizes = {"sgd": 0, "adam": 2}
    current = dict(params)
    state = {key: tuple(np.zeros(np.shape(value)) for _ in range(sizes.get(optimizer, 1)))
             for key, value in current.items()}
    rng = np.random.default_rng(seed)
    losses = np.zeros(num_epochs)
    accuracies = np.zeros(num_epochs)
    step = 0
    for epoch in range(num_epochs):
        batches = iterate_minibatches(X, y, batch_size, rng)
        for X_batch, y_batch in batches:
            step += 1
            _, grads = loss_and_grads(X_batch, y_batch, current, activation)
            for key in current:
                current[key], state[key] = steps[optimizer](current[key], grads[key], state[key], step)
        losses[epoch] = loss_and_grads(X, y, current, activation)[0]
        accuracies[epoch] = accuracy(current, X, y, activation)
    return current, losses, accuracies
