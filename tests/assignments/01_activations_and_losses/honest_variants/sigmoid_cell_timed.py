# cell: sigmoid
%%time
def sigmoid(x):
    """The logistic sigmoid, computed around e^(-|x|) so that nothing overflows; the cell is
    timed with %%time, as students like to do.  [B1]"""
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


sigmoid(np.linspace(-5.0, 5.0, 11))
# cell: sigmoid_grad
def sigmoid_grad(x):
    """sigma(x) (1 - sigma(x)), with a one-line timing of a call.  [B1]"""
    s = sigmoid(x)
    return s * (1.0 - s)


%time _ = sigmoid_grad(np.zeros(1000))
%timeit -n 3 -r 2 sigmoid_grad(np.zeros(100))
