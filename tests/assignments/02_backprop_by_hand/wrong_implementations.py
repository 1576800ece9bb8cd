"""A student's wrong solution cell for every catalogued mistake of this assignment.

Keyed by (function, mistake name); each value is the source of a solution cell, run beside np,
math and the answer key's other functions (tests/assignments/test_mistake_hints.py). For
``Value`` each value is a whole student engine: the correct one below (``VALUE``) with one
method's text changed, so that it holds exactly one mistake.
"""
FORWARD = "def circuit_forward(x, y, z):\n{}\n"
BACKWARD = "def circuit_backward(x, y, z):\n    q = x + y\n{}\n"
LOCAL = "def local_gradients(x, a, c):\n    return {}\n"
GATE = '''def gate_backward(gate, a, b, dout):
    if gate == "add":
        return {add}
    if gate == "mul":
        return {mul}
    if gate == "max":
        return {max}
    raise ValueError(f"unknown gate {{gate!r}}")
'''
GATES = {"add": "dout, dout", "mul": "b * dout, a * dout",
         "max": "(dout, 0.0) if a >= b else (0.0, dout)"}
STAGED = '''def sigmoid_neuron_staged(w, x):
    dot = w[0] * x[0] + w[1] * x[1] + w[2]
    neg = -dot
    e = np.exp(neg)
    den = 1.0 + e
    f = 1.0 / den
    dden = -1.0 / den ** 2
    de = dden * 1.0
    dneg = de * e
    ddot = dneg * -1.0
    dw = np.array([x[0] * ddot, x[1] * ddot, ddot])
    dx = np.array([w[0] * ddot, w[1] * ddot])
    return float(f), dw, dx
'''
SHORTCUT = '''def sigmoid_neuron(w, x):
    z = w[0] * x[0] + w[1] * x[1] + w[2]
    s = 1.0 / (1.0 + np.exp(-z))
    dz = s * (1 - s)
    dw = np.array([x[0] * dz, x[1] * dz, dz])
    dx = np.array([w[0] * dz, w[1] * dz])
    return float(s), dw, dx
'''
VALUE = '''import math


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, n):
        assert isinstance(n, (int, float)), "only a plain-number exponent"
        out = Value(self.data ** n, (self,), f"**{n}")

        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other ** -1

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return other + (-self)

    def __rtruediv__(self, other):
        return other * self ** -1

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def log(self):
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += (1 / self.data) * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        if self.data >= 0:
            s = 1 / (1 + math.exp(-self.data))
        else:
            s = math.exp(self.data) / (1 + math.exp(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()

        def build(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build(child)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo):
            v._backward()
'''
NUMGRAD = '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
{}
    return grad
'''
CENTRAL_STEP = '''        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)'''
REL = "def rel_error(a, b):\n    a = np.asarray(a, dtype=float)\n    b = np.asarray(b, dtype=float)\n    return {}\n"
JACOBIAN = '''def numerical_jacobian(f, x, h=1e-5):
    columns = []
    for j in range(x.size):
{}
    return {}
'''
JAC_STEP = '''        old = x[j]
        x[j] = old + h
        f_plus = np.array(f(x), dtype=float)
        x[j] = old - h
        f_minus = np.array(f(x), dtype=float)
        x[j] = old
        columns.append((f_plus - f_minus) / (2 * h))'''


def changed(text: str, old: str, new: str, count: int = 1) -> str:
    """``text`` with ``old`` replaced by ``new``, exactly ``count`` times (so a template edit
    cannot silently stop introducing its mistake)."""
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times, not {count}"
    return text.replace(old, new)


def gate(**wrong) -> str:
    return GATE.format(**{**GATES, **wrong})


def value(*edits) -> str:
    """The correct engine with the given (old, new[, count]) edits."""
    text = VALUE
    for edit in edits:
        text = changed(text, *edit)
    return text


WRAP = "        other = other if isinstance(other, Value) else Value(other)\n"

WRONG = {
    ("circuit_forward", "missing parentheses"):
        FORWARD.format("    q = x + y\n    f = x + y * z\n    return q, f"),
    ("circuit_forward", "outputs in the wrong order"):
        FORWARD.format("    q = x + y\n    f = q * z\n    return f, q"),
    ("circuit_forward", "x * y instead of x + y"):
        FORWARD.format("    q = x * y\n    f = q * z\n    return q, f"),
    ("circuit_forward", "f = q + z"):
        FORWARD.format("    q = x + y\n    f = q + z\n    return q, f"),
    ("circuit_backward", "dfdz = z instead of q"):
        BACKWARD.format("    dfdq = z\n    return dfdq * 1.0, dfdq * 1.0, z"),
    ("circuit_backward", "chain rule not applied"):
        BACKWARD.format("    dfdx = 1.0  # dq/dx\n    dfdy = 1.0  # dq/dy\n    return dfdx, dfdy, q"),
    ("circuit_backward", "multiply gate: own input instead of the other"):
        BACKWARD.format("    dfdq = q\n    return dfdq * 1.0, dfdq * 1.0, z"),
    ("circuit_backward", "dfdz = f instead of q"):
        BACKWARD.format("    f = q * z\n    dfdq = z\n    return dfdq * 1.0, dfdq * 1.0, f"),
    ("circuit_backward", "add gate treated as a multiply gate"):
        BACKWARD.format("    dfdq = z\n    return dfdq * y, dfdq * x, q"),
    ("local_gradients", "the reciprocal's local gradient without its minus sign"):
        LOCAL.format("math.exp(x), 1 / x ** 2, a, 1.0"),
    ("local_gradients", "reciprocal: -1/x instead of -1/x^2"):
        LOCAL.format("math.exp(x), -1 / x, a, 1.0"),
    ("local_gradients", "shift: the constant instead of 1"):
        LOCAL.format("math.exp(x), -1 / x ** 2, a, c"),
    ("local_gradients", "scale: x instead of a"):
        LOCAL.format("math.exp(x), -1 / x ** 2, x, 1.0"),
    ("local_gradients", "power rule applied to e^x"):
        LOCAL.format("x * math.exp(x - 1), -1 / x ** 2, a, 1.0"),
    ("gate_backward", "mul not swapping"): gate(mul="a * dout, b * dout"),
    ("gate_backward", "max routing to both inputs"): gate(max="dout, dout"),
    ("gate_backward", "max routing to the smaller input"):
        gate(max="(0.0, dout) if a >= b else (dout, 0.0)"),
    ("gate_backward", "upstream gradient ignored"):
        gate(add="1.0, 1.0", mul="b, a", max="(1.0, 0.0) if a >= b else (0.0, 1.0)"),
    ("sigmoid_neuron_staged", "a minus sign lost"):
        changed(STAGED, "dden = -1.0 / den ** 2", "dden = 1.0 / den ** 2"),
    ("sigmoid_neuron_staged", "bias gradient forgotten"):
        changed(STAGED, "dw = np.array([x[0] * ddot, x[1] * ddot, ddot])",
                "dw = np.array([x[0] * ddot, x[1] * ddot])"),
    ("sigmoid_neuron_staged", "multiply gate: own input instead of the other"):
        changed(STAGED, "dw = np.array([x[0] * ddot, x[1] * ddot, ddot])\n"
                        "    dx = np.array([w[0] * ddot, w[1] * ddot])",
                "dw = np.array([w[0] * ddot, w[1] * ddot, ddot])\n"
                "    dx = np.array([x[0] * ddot, x[1] * ddot])"),
    ("sigmoid_neuron_staged", "a local gradient at the wrong node"):
        changed(STAGED, "dden = -1.0 / den ** 2", "dden = -1.0 / f ** 2"),
    ("sigmoid_neuron", "the shortcut applied to the pre-activation"):
        changed(SHORTCUT, "dz = s * (1 - s)", "dz = z * (1 - z)"),
    ("sigmoid_neuron", "bias gradient forgotten"):
        changed(SHORTCUT, "dw = np.array([x[0] * dz, x[1] * dz, dz])",
                "dw = np.array([x[0] * dz, x[1] * dz, 0.0])"),
    ("sigmoid_neuron", "sigma instead of its derivative"):
        changed(SHORTCUT, "dz = s * (1 - s)", "dz = s"),
    ("sigmoid_neuron", "multiply gate: own input instead of the other"):
        changed(SHORTCUT, "dw = np.array([x[0] * dz, x[1] * dz, dz])\n"
                          "    dx = np.array([w[0] * dz, w[1] * dz])",
                "dw = np.array([w[0] * dz, w[1] * dz, dz])\n"
                "    dx = np.array([x[0] * dz, x[1] * dz])"),
    ("sigmoid_neuron", "one factor only"): changed(SHORTCUT, "dz = s * (1 - s)", "dz = 1 - s"),
    ("Value", "= instead of +="): value((".grad += ", ".grad = ", 10)),
    ("Value", "backward not in topological order"):
        value(("for v in reversed(topo):", "for v in topo:")),
    ("Value", "a node visited twice in the topological order"):
        value(("        topo, visited = [], set()\n", "        topo = []\n"),
              ("            if v not in visited:\n                visited.add(v)\n"
               "                for child in v._prev:\n                    build(child)\n"
               "                topo.append(v)\n",
               "            for child in v._prev:\n                build(child)\n"
               "            topo.append(v)\n")),
    ("Value", "output gradient not seeded with 1"): value(("        self.grad = 1.0\n", "")),
    ("Value", "multiply gate: own input instead of the other"):
        value(("self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
               "self.grad += self.data * out.grad\n            other.grad += other.data * out.grad")),
    ("Value", "x ** n without n x^(n-1)"):
        value(("self.grad += n * self.data ** (n - 1) * out.grad", "self.grad += out.grad")),
    ("Value", "division: the minus sign of -a/b^2 lost"):  # a division of its own, not a * b ** -1
        value(("    def __truediv__(self, other):\n        return self * other ** -1\n",
               "    def __truediv__(self, other):\n"
               "        other = other if isinstance(other, Value) else Value(other)\n"
               "        out = Value(self.data / other.data, (self, other), \"/\")\n\n"
               "        def _backward():\n"
               "            self.grad += out.grad / other.data\n"
               "            other.grad += self.data / other.data ** 2 * out.grad\n"
               "        out._backward = _backward\n        return out\n")),
    ("Value", "the sigmoid shortcut applied to the input"):
        value(("self.grad += s * (1 - s) * out.grad",
               "self.grad += self.data * (1 - self.data) * out.grad")),
    ("Value", "the tanh shortcut applied to the input"):
        value(("self.grad += (1 - t ** 2) * out.grad", "self.grad += (1 - self.data ** 2) * out.grad")),
    ("Value", "reflected operators with the operands swapped"):
        value(("return other + (-self)", "return self - other"),
              ("return other * self ** -1", "return self / other")),
    ("Value", "a number not wrapped in a Value"): value((WRAP, "", 2)),
    ("numerical_gradient", "forward difference instead of central"):
        NUMGRAD.format("        old = x[i]\n        x[i] = old + h\n        f_plus = f(x)\n"
                       "        x[i] = old\n        grad[i] = (f_plus - f(x)) / h"),
    ("numerical_gradient", "a step so small that round-off dominates"):
        changed(NUMGRAD.format(CENTRAL_STEP), "h=1e-5", "h=1e-12"),
    ("numerical_gradient", "divided by h instead of 2h"):
        NUMGRAD.format(changed(CENTRAL_STEP, "/ (2 * h)", "/ h")),
    ("numerical_gradient", "all entries shifted at once"):
        NUMGRAD.format("        grad[i] = (f(x + h) - f(x - h)) / (2 * h)"),
    ("numerical_gradient", "x left changed"):
        NUMGRAD.format("        x[i] += h\n        f_plus = f(x)\n        x[i] -= 2 * h\n"
                       "        f_minus = f(x)\n        grad[i] = (f_plus - f_minus) / (2 * h)"),
    ("rel_error", "no guard against dividing by zero"):
        REL.format("np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))"),
    ("rel_error", "divided by |a| only"):
        REL.format("np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a)))"),
    ("rel_error", "divided by |b| or max(|a|, |b|)"):
        REL.format("np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b))))"),
    ("rel_error", "no maximum over the elements"):
        REL.format("np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))"),
    ("rel_error", "mean instead of max"):
        REL.format("np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))"),
    ("rel_error", "norms instead of elementwise"):
        REL.format("np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b))"),
    ("numerical_jacobian", "Jacobian transposed"):
        JACOBIAN.format(JAC_STEP, "np.array(columns)"),
    ("numerical_jacobian", "forward difference instead of central"):
        JACOBIAN.format("        fx = np.array(f(x), dtype=float)\n        old = x[j]\n"
                        "        x[j] = old + h\n        f_plus = np.array(f(x), dtype=float)\n"
                        "        x[j] = old\n        columns.append((f_plus - fx) / h)",
                        "np.stack(columns, axis=1)"),
    ("numerical_jacobian", "divided by h instead of 2h"):
        JACOBIAN.format(changed(JAC_STEP, "/ (2 * h)", "/ h"), "np.stack(columns, axis=1)"),
    ("numerical_jacobian", "all entries shifted at once"):
        JACOBIAN.format("        f_plus = np.array(f(x + h), dtype=float)\n"
                        "        f_minus = np.array(f(x - h), dtype=float)\n"
                        "        columns.append((f_plus - f_minus) / (2 * h))",
                        "np.stack(columns, axis=1)"),
    ("numerical_jacobian", "x left changed"):
        JACOBIAN.format("        x[j] += h\n        f_plus = np.array(f(x), dtype=float)\n"
                        "        x[j] -= 2 * h\n        f_minus = np.array(f(x), dtype=float)\n"
                        "        columns.append((f_plus - f_minus) / (2 * h))",
                        "np.stack(columns, axis=1)"),
}

# Wrong implementations whose one mistake also shows as a second, equally right hint on some
# check: (function, mistake) -> the other hints that are right for it, and why.
ALSO_RIGHT: dict = {}
