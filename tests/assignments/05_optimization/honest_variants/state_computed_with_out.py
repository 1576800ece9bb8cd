# cell: momentum_update
def momentum_update(w, dw, v, lr, momentum=0.9):
    """The velocity computed into a new array with out=, the step with np.subtract.  [F4]"""
    v_new = np.multiply(v, momentum)  # a new array
    np.add(v_new, dw, out=v_new)
    return np.subtract(w, lr * v_new), v_new


# cell: adagrad_update
def adagrad_update(w, dw, cache, lr, eps=1e-10):
    """The sum updated in place, but on a copy of the caller's cache.  [F3]"""
    cache_new = np.array(cache, dtype=float, copy=True)
    cache_new += np.square(dw)
    denominator = np.sqrt(cache_new)
    denominator += eps
    return w - lr * np.divide(dw, denominator), cache_new


# cell: rmsprop_and_adam
def rmsprop_update(w, dw, cache, lr, alpha=0.99, eps=1e-8):
    """np.add(out=...) on a copy.  [F5]"""
    cache_new = cache.copy()
    cache_new *= alpha
    np.add(cache_new, (1.0 - alpha) * np.square(dw), out=cache_new)
    return w - lr * dw / (np.sqrt(cache_new) + eps), cache_new


def adam_update(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """The moments written into fresh arrays, the corrections as named factors.  [F6]"""
    m_new = np.empty_like(m, dtype=float)
    v_new = np.empty_like(v, dtype=float)
    np.add(beta1 * m, (1.0 - beta1) * dw, out=m_new)
    np.add(beta2 * v, (1.0 - beta2) * dw * dw, out=v_new)
    correction1 = 1.0 - beta1 ** t
    correction2 = 1.0 - beta2 ** t
    step = (m_new / correction1) / (np.sqrt(v_new / correction2) + eps)
    return w - lr * step, m_new, v_new
