# cell: affine_forward
def affine_forward(x, W, b):
    """The dense layer with einsum: out[n, j] = sum_i x[n, i] W[i, j] + b[j].  [A1, A3]"""
    out = np.einsum("ni,ij->nj", x, W) + b[np.newaxis, :]
    cache = (x, W, b)
    return out, cache
# cell: affine_backward
def affine_backward(dout, cache):
    """The three gradients with np.dot and an explicit loop over the batch for db.  [A1, D8]"""
    x, W, _ = cache
    dx = np.dot(dout, W.T)
    dW = np.dot(x.T, dout)
    db = np.zeros(dout.shape[1])
    for row in dout:
        db += row
    return dx, dW, db
