# cell: output_delta
def output_delta(d, v, activation):
    """delta = (d - o) phi'(v), with the pair unpacked by name.  [D6]"""
    phi = ACTIVATIONS[activation][0]
    dphi = ACTIVATIONS[activation][1]
    o = phi(v)
    return (d - o) * dphi(v)
# cell: hidden_delta
def hidden_delta(delta_next, W_next, s, activation):
    """sum_k delta_k w_kj with einsum, then the slope phi'(s).  [D6]"""
    back = np.einsum("nk,jk->nj", delta_next, W_next)
    return back * ACTIVATIONS[activation][1](s)
# cell: delta_rule_update
def delta_rule_update(W, delta, y, eta):
    """One example or a batch, both through atleast_2d and einsum.  [D7]"""
    delta2 = np.atleast_2d(delta)
    y2 = np.atleast_2d(y)
    change = eta * np.einsum("ni,nj->ij", y2, delta2)
    return W.copy() + change
