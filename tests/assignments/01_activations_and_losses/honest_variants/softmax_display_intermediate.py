# cell: softmax
from IPython.display import display, Markdown


def softmax(z):
    """Softmax over the last axis, shifted by the row maximum.  [B9]"""
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


example = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]])
display(Markdown("**Intermediate results** of `softmax`:"))
display(example - example.max(axis=-1, keepdims=True))
display(softmax(example))
