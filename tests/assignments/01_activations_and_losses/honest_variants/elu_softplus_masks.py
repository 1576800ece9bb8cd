# cell: elu
def elu(x, alpha=1.0):
    """x for x > 0, alpha (e^x - 1) otherwise, on a copy with a boolean mask.  [B6]"""
    x = np.asarray(x, dtype=float)
    out = x.copy()
    negative = out <= 0
    out[negative] = alpha * np.expm1(x[negative])  # only x <= 0 reaches the exponential
    return out
# cell: softplus
def softplus(x):
    """log(1 + e^x); for x > 30, x + e^(-x) is exact to float64 precision.  [B7]"""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    big = x > 30.0
    out[big] = x[big] + np.exp(-x[big])
    out[~big] = np.log1p(np.exp(x[~big]))
    return out
