# cell: tanh
%load_ext autoreload
%autoreload 2
%matplotlib inline
%config InlineBackend.figure_format = 'retina'


def tanh(x):
    """tanh(x) = 2 sigma(2x) - 1, elementwise.  [B2]"""
    x = np.asarray(x, dtype=float)
    return 2.0 * sigmoid(2.0 * x) - 1.0


def tanh_grad(x):
    """1 - tanh(x)^2.  [B2]"""
    t = tanh(x)
    return 1.0 - t * t
