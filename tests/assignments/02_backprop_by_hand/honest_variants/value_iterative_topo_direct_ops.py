# cell: value_engine
class Value:
    """A scalar engine in which every operator is its own node with its own local gradient, and
    backward orders the graph with an explicit stack (no recursion).  [D1-D4]"""

    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    def _binary(self, other, data, local_self, local_other, op):
        """A node with two inputs and their local gradients (numbers)."""
        other = other if isinstance(other, Value) else Value(other)
        out = Value(data(self.data, other.data), (self, other), op)
        ls, lo = local_self(self.data, other.data), local_other(self.data, other.data)

        def _backward():
            self.grad += ls * out.grad
            other.grad += lo * out.grad
        out._backward = _backward
        return out

    def _unary(self, value, local, op):
        out = Value(value, (self,), op)

        def _backward():
            self.grad += local * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        return self._binary(other, lambda a, b: a + b, lambda a, b: 1.0, lambda a, b: 1.0, "+")

    def __mul__(self, other):
        return self._binary(other, lambda a, b: a * b, lambda a, b: b, lambda a, b: a, "*")

    def __sub__(self, other):
        return self._binary(other, lambda a, b: a - b, lambda a, b: 1.0, lambda a, b: -1.0, "-")

    def __truediv__(self, other):
        return self._binary(other, lambda a, b: a / b, lambda a, b: 1.0 / b,
                            lambda a, b: -a / b ** 2, "/")

    def __pow__(self, n):
        return self._unary(self.data ** n, n * self.data ** (n - 1), f"**{n}")

    def __neg__(self):
        return self._unary(-self.data, -1.0, "neg")

    def exp(self):
        e = float(np.exp(self.data))
        return self._unary(e, e, "exp")

    def log(self):
        return self._unary(float(np.log(self.data)), 1.0 / self.data, "log")

    def tanh(self):
        t = float(np.tanh(self.data))
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self):
        s = 0.5 * (1.0 + float(np.tanh(0.5 * self.data)))  # sigma through tanh: never overflows
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self):
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0, "relu")

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value(other) - self

    def __rtruediv__(self, other):
        return Value(other) / self

    def backward(self):
        order, done, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in done:
                done.add(id(node))
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev if id(child) not in done)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
