# cell: chain_gradient
def chain_gradient(weights, biases, x, activation="sigmoid", dC_daL=1.0):
    """Forward pass first, then the factors collected backward from dC/da_L.  [E1, E2]"""
    f, f_prime = ACTIVATIONS[activation]
    zs, a = [], x
    for w, b in zip(weights, biases):
        zs.append(w * a + b)
        a = f(zs[-1])
    backward = [dC_daL]
    for j in range(len(zs) - 1, -1, -1):
        backward.append(f_prime(zs[j]))
        if j >= 1:
            backward.append(weights[j])
    factors = [float(v) for v in reversed(backward)]
    grad = 1.0
    for v in factors:
        grad *= v
    return grad, factors
