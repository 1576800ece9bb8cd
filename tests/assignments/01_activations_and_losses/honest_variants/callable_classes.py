# cell: sigmoid
class Sigmoid:
    """The logistic sigmoid as a callable object, like a layer without parameters.  [B1]"""

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        e = np.exp(-np.abs(x))  # <= 1
        return np.where(x >= 0, 1.0, e) / (1.0 + e)

    def __repr__(self) -> str:
        return "Sigmoid()"


sigmoid = Sigmoid()
# cell: leaky_relu
from dataclasses import dataclass


@dataclass(frozen=True)
class LeakyReLU:
    """Leaky ReLU with a default slope; a call may give another alpha.  [B4]"""

    alpha: float = 0.01

    def __call__(self, x, alpha=None):
        slope = self.alpha if alpha is None else alpha
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, x, slope * x)

    def grad(self, x, alpha=None):
        slope = self.alpha if alpha is None else alpha
        return np.where(np.asarray(x) > 0, 1.0, float(slope))


leaky_relu = LeakyReLU()
leaky_relu_grad = leaky_relu.grad
