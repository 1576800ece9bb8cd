# cell: softmax
def softmax(z):
    """Softmax row by row, each row shifted by its own maximum.  [B9]"""
    z = np.asarray(z, dtype=float)
    rows = z.reshape(-1, z.shape[-1])
    dtype = getattr(z, "dtype", np.float64)  # a literal attribute name
    out = np.empty(rows.shape, dtype=dtype)
    for i, row in enumerate(rows):
        e = np.exp(row - row.max())
        out[i] = e / e.sum()
    return out.reshape(z.shape)
