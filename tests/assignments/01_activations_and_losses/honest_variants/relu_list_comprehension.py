# cell: relu
from typing import List


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x), elementwise.  [B3]

    Built with a list comprehension over the flattened input: we evaluate each value on its own
    and open a new array for the result, so the caller's array stays as it was.
    """
    x = np.asarray(x, dtype=float)
    values: List[float] = [v if v > 0 else 0.0 for v in x.ravel().tolist()]
    return np.array(values, dtype=float).reshape(x.shape)


def relu_grad(x: np.ndarray) -> np.ndarray:
    """1.0 where x > 0, else 0.0; eval-free and open to any shape.  [B3]"""
    x = np.asarray(x, dtype=float)
    os_count = x.size  # how many slopes (the name only looks like a module)
    slopes = [1.0 if v > 0 else 0.0 for v in x.ravel().tolist()]
    assert len(slopes) == os_count, "one slope per element"
    return np.array(slopes, dtype=float).reshape(x.shape)
# cell: leaky_relu
def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """x for x > 0, alpha x otherwise, element by element.  [B4]"""
    x = np.asarray(x, dtype=float)
    return np.array([v if v > 0 else alpha * v for v in x.ravel().tolist()],
                    dtype=float).reshape(x.shape)


def leaky_relu_grad(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """1 for x > 0, alpha otherwise, element by element.  [B4]"""
    x = np.asarray(x, dtype=float)
    return np.array([1.0 if v > 0 else float(alpha) for v in x.ravel().tolist()],
                    dtype=float).reshape(x.shape)
