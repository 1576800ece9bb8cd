# cell: numerical_gradient
def numerical_gradient(f, x, h=1e-5):
    """Central differences on a flat copy of x, reshaped for each call of f.  [D11]"""
    flat = np.array(x, dtype=float).ravel()
    grad = np.empty_like(flat)
    for k in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[k] += h
        down[k] -= h
        grad[k] = (f(up.reshape(np.shape(x))) - f(down.reshape(np.shape(x)))) / (2.0 * h)
    return grad.reshape(np.shape(x))
# cell: rel_error
def rel_error(a, b):
    """The largest elementwise relative error; np.where puts the floor 1e-8 in.  [D11]"""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = np.abs(a) + np.abs(b)
    scale = np.where(scale > 1e-8, scale, 1e-8)
    return float(np.amax(np.abs(a - b) / scale))
# cell: numerical_jacobian
def numerical_jacobian(f, x, h=1e-5):
    """The Jacobian row by row: row i is the numerical gradient of the output f_i.  [D5]"""
    x = np.array(x, dtype=float)
    m = len(np.atleast_1d(f(x)))
    rows = [numerical_gradient(lambda v, i=i: float(np.atleast_1d(f(v))[i]), x, h)
            for i in range(m)]
    return np.vstack(rows)
