# cell: numerical_gradient
def numerical_gradient(f, x, h=1e-5):
    """Central differences with np.nditer over a float copy of x.  [D11]"""
    x = x.astype(float)  # astype makes a copy
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        f_plus = f(x)
        x[i] = saved - h
        f_minus = f(x)
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad
# cell: rel_error
def rel_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), with np.maximum as the floor.  [D11]"""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    denominator = np.maximum(np.abs(a) + np.abs(b), 1e-8)
    return (np.abs(a - b) / denominator).max()
# cell: numerical_jacobian
def numerical_jacobian(f, x, h=1e-5):
    """The Jacobian column by column: column j is the central difference along x_j.  [D5]"""
    x = np.asarray(x, dtype=float)
    n = x.size
    m = np.size(f(x))
    J = np.zeros((m, n))
    for j in range(n):
        e_j = np.zeros(n)
        e_j[j] = 1.0
        J[:, j] = (np.asarray(f(x + h * e_j)) - np.asarray(f(x - h * e_j))) / (2 * h)
    return J
