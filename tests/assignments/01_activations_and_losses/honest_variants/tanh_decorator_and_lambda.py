# cell: tanh
import functools


def float_input(func):
    """Decorator: pass the first argument to func as a float array."""
    @functools.wraps(func)
    def wrapper(x, *args, **kwargs):
        return func(np.asarray(x, dtype=float), *args, **kwargs)
    return wrapper


tanh = float_input(lambda x: 2.0 * sigmoid(2.0 * x) - 1.0)


@float_input
def tanh_grad(x):
    """1 - tanh(x)^2, which equals 4 sigma'(2x).  [B2]"""
    return 4.0 * sigmoid_grad(2.0 * x)
