# cell: layer_gradient_norms
def layer_gradient_norms(depth, width, activation, init, rng, num_samples=64):
    """Stored activations, einsum for the weight gradients.  [E4, E5, E6]"""
    f, df = ACTIVATIONS[activation]
    weights = [init_weight(init, width, width, rng) for _ in range(depth)]
    biases = [rng.normal(0.0, 1.0, size=width) if init == "normal" else np.zeros(width)
              for _ in range(depth)]
    X = rng.standard_normal((num_samples, width))
    G = rng.standard_normal((num_samples, width))
    xs, ss = [X], []
    for W, b in zip(weights, biases):
        ss.append(np.einsum("nd,dm->nm", xs[-1], W) + b)
        xs.append(f(ss[-1]))
    norms = np.zeros(depth)
    grad = G
    for l in range(depth - 1, -1, -1):
        grad = grad * df(ss[l])
        norms[l] = np.linalg.norm(np.einsum("nd,nm->dm", xs[l], grad))
        grad = np.einsum("nm,dm->nd", grad, weights[l])
    return norms
# cell: dead_relu_fraction
def dead_relu_fraction(depth, width, init, rng, num_samples=64):
    """A unit is dead when the largest of its outputs is 0.  [E5, E6]"""
    weights = [init_weight(init, width, width, rng) for _ in range(depth)]
    biases = [rng.normal(0.0, 1.0, size=width) if init == "normal" else np.zeros(width)
              for _ in range(depth)]
    h = rng.standard_normal((num_samples, width))
    out = np.zeros(depth)
    for l in range(depth):
        h = np.maximum(h @ weights[l] + biases[l], 0.0)
        out[l] = np.sum(h.max(axis=0) == 0) / width
    return out
