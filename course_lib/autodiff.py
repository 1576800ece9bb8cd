"""A scalar automatic-differentiation engine: backpropagation as the chain rule on a graph [D1-D5].

Every arithmetic operation on ``Value`` objects records a node of a computation graph. Each
operation is written as one method that holds both halves of the story:

- the forward computation of the output's ``data``, and
- a closure ``_backward`` with the *local gradient* of the operation (the table of [D3]:
  ``e^x -> e^x``, ``1/x -> -1/x²``, ``ax -> a``, ``c + x -> 1``), which multiplies the gradient
  arriving from above, ``out.grad``, by the local gradient and *adds* it to the inputs' ``grad``.

``backward()`` then visits the nodes in reverse topological order (every node after all the nodes
that use it), so that each node's ``grad`` is complete before it is passed on. This is the chain
rule ``∂L/∂x = ∂L/∂z · ∂z/∂x`` [D1] applied to the whole graph. The accumulation with ``+=`` is
what makes a node that is used twice (``x * x``, or ``x`` feeding two branches) receive the sum of
both contributions.

The worked examples of the notes run as written: ``f = (x + y) * z`` [D2] and the sigmoid neuron
``1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))`` [D4]. For a whole vector function the derivative is a
Jacobian matrix [D5]; see ``course_lib.gradcheck.numerical_jacobian``.

``trace(root)`` and ``format_trace(root)`` list the graph (inputs first, output last) with every
node's operation, value and gradient, for a widget or a printed table.

Contract: ``Value(data, label="")`` holds one real number. Operators ``+ - * / **`` accept a
``Value`` or a plain number on either side (``2 * v``, ``1 / v``, ``v ** 2``, ``2 ** v``). Methods
``exp log tanh sigmoid relu``. ``backward()`` sets ``grad`` of every node the output depends on,
from scratch. Adapted from the design of A. Karpathy's micrograd (MIT licence).
"""

import math
import numbers

__all__ = ["Value", "trace", "format_trace"]


def _check_number(value, name):
    """Return ``value`` as a float, or raise if it is not one real, non-NaN number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or a Value, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


class Value:
    """One scalar node of a computation graph, with its value and the gradient of the output.

    Parameters
    ----------
    data : float
        The value of the node.
    label : str, optional
        A name shown by ``trace`` and ``format_trace`` (e.g. ``"x"``).

    Attributes
    ----------
    data : float
        The value computed by the forward pass.
    grad : float
        ``∂(output)/∂(this node)`` after ``output.backward()``; 0 before.
    label : str
        The name given at construction (may be empty).

    Examples
    --------
    The circuit of [D2]:

    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> f.data, x.grad, y.grad, z.grad
    (-12.0, -4.0, -4.0, 3.0)
    """

    def __init__(self, data, label="", _children=(), _op=""):
        self.data = _check_number(data, "data")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.label = label
        self.grad = 0.0
        # Graph bookkeeping: the nodes this one was computed from, the operation's name, and the
        # function that passes this node's grad on to its children (none for an input).
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _lift(other):
        """A plain number becomes a constant input node; a Value is returned unchanged."""
        return other if isinstance(other, Value) else Value(_check_number(other, "other operand"))

    # ---- binary operations -------------------------------------------------------------------

    def __add__(self, other):
        other = Value._lift(other)
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward():
            # c + x -> 1 [D3]: addition passes the gradient on unchanged to both inputs.
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value._lift(other)
        out = Value(self.data * other.data, _children=(self, other), _op="*")

        def _backward():
            # ax -> a [D3]: each factor's local gradient is the other factor.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __sub__(self, other):
        other = Value._lift(other)
        out = Value(self.data - other.data, _children=(self, other), _op="-")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += -1.0 * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = Value._lift(other)
        if other.data == 0.0:
            raise ValueError("division by zero: the denominator's data is 0")
        out = Value(self.data / other.data, _children=(self, other), _op="/")

        def _backward():
            # a / b: ∂/∂a = 1/b, ∂/∂b = -a/b² (the notes' 1/x -> -1/x² [D3], times a).
            self.grad += (1.0 / other.data) * out.grad
            other.grad += (-self.data / other.data**2) * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise TypeError(
                "exponent must be a plain number; "
                "for a Value exponent write (exponent * base.log()).exp()"
            )
        k = _check_number(exponent, "exponent")
        if self.data < 0 and not k.is_integer():
            raise ValueError(f"a negative base ({self.data}) needs an integer exponent, got {k}")
        if self.data == 0 and k < 0:
            raise ValueError(f"0 cannot be raised to the negative exponent {k}")
        if self.data == 0 and 0 < k < 1:
            raise ValueError(f"x ** {k} has an infinite derivative at x = 0")
        out = Value(self.data**k, _children=(self,), _op=f"**{k:g}")

        def _backward():
            # x^k -> k x^(k-1) (k = -1 gives the notes' 1/x -> -1/x² [D3]).
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def __rpow__(self, base):
        # base ** self with a plain-number base: c^x = e^(x ln c), so d/dx = c^x ln c.
        c = _check_number(base, "base")
        if c <= 0:
            raise ValueError(f"base must be positive for a Value exponent, got {c}")
        out = Value(c**self.data, _children=(self,), _op=f"{c:g}**")

        def _backward():
            self.grad += out.data * math.log(c) * out.grad

        out._backward = _backward
        return out

    # ---- unary operations --------------------------------------------------------------------

    def exp(self):
        """``e^x``; local gradient ``e^x`` [D3]."""
        try:
            out = Value(math.exp(self.data), _children=(self,), _op="exp")
        except OverflowError:
            raise ValueError(
                f"exp overflows for data = {self.data} (the limit is about 709.78)"
            ) from None

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self):
        """Natural logarithm; local gradient ``1/x``. Needs ``x > 0``."""
        if self.data <= 0:
            raise ValueError(f"log needs positive data, got {self.data}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward():
            self.grad += (1.0 / self.data) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        """``tanh(x)``; local gradient ``1 − tanh²(x)`` [B2]."""
        t = math.tanh(self.data)
        out = Value(t, _children=(self,), _op="tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self):
        """``σ(x) = 1 / (1 + e^{−x})``; local gradient ``σ(1 − σ)``, the shortcut of [D4].

        Notes
        -----
        For ``x < 0`` the equal form ``e^x / (1 + e^x)`` is used, so that ``e^{−x}`` never
        overflows.
        """
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        """``max(0, x)``; local gradient 1 for ``x > 0``, else 0 (0 at ``x = 0``, as PyTorch)."""
        out = Value(max(0.0, self.data), _children=(self,), _op="relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out

    # ---- the other operand orders, written with the operations above ------------------------

    def __neg__(self):
        # -x as the gate "* -1" of the notes' sigmoid circuit [D4].
        return self * -1.0

    def __radd__(self, other):  # other + self
        return self + other

    def __rmul__(self, other):  # other * self
        return self * other

    def __rsub__(self, other):  # other - self
        return Value._lift(other) - self

    def __rtruediv__(self, other):  # other / self
        return Value._lift(other) / self

    # ---- backpropagation ---------------------------------------------------------------------

    def backward(self):
        """Fill ``grad`` of this node and of every node it depends on with ``∂self/∂node``.

        Every node's ``grad`` in the graph is first reset to 0 (so calling ``backward`` twice
        gives the same result, unlike PyTorch, which accumulates across calls); this node gets
        ``grad = 1`` (``∂f/∂f = 1``), and each node, from the output back to the inputs, passes its
        gradient on with its ``_backward``.
        """
        order = _topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _topological_order(root):
    """The nodes that ``root`` depends on, each listed after all of its inputs; ``root`` last.

    Notes
    -----
    A depth-first search that appends a node once all its children are appended. It uses an
    explicit stack instead of recursion, so that a long chain of operations (thousands of nodes)
    does not hit Python's recursion limit.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(node._prev):
            if id(child) not in visited:
                stack.append((child, False))
    return order


def trace(root):
    """The graph behind ``root`` as plain data, for a widget or a table.

    Parameters
    ----------
    root : Value
        The output node.

    Returns
    -------
    nodes : list of dict
        One dict per node in topological order (inputs first, ``root`` last) with keys
        ``id`` (int, the position in this list), ``label`` (str), ``op`` (str, ``""`` for an
        input), ``data`` (float) and ``grad`` (float).
    edges : list of tuple (int, int)
        ``(input_id, output_id)`` for every use of a node by an operation; a node used twice by
        one operation (``x * x``) gives two equal edges.
    """
    order = _topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    nodes = [
        {"id": i, "label": node.label, "op": node._op, "data": node.data, "grad": node.grad}
        for i, node in enumerate(order)
    ]
    edges = [(index[id(child)], index[id(node)]) for node in order for child in node._prev]
    return nodes, edges


def format_trace(root):
    """A text table of ``trace(root)``: one row per node, inputs first.

    Parameters
    ----------
    root : Value
        The output node.

    Returns
    -------
    table : str
        Columns ``id``, ``label``, ``op``, ``inputs`` (the ids of the node's inputs), ``data`` and
        ``grad``.

    Examples
    --------
    >>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    >>> f = (x + y) * z
    >>> f.backward()
    >>> print(format_trace(f))
    id  label  op  inputs  data  grad
     0  x                    -2    -4
     1  y                     5    -4
     2         +   0, 1       3    -4
     3  z                    -4     3
     4         *   2, 3     -12     1
    """
    nodes, edges = trace(root)
    inputs = {node["id"]: [] for node in nodes}
    for src, dst in edges:
        inputs[dst].append(str(src))
    rows = [
        [
            str(n["id"]),
            n["label"],
            n["op"],
            ", ".join(inputs[n["id"]]),
            f"{n['data']:.6g}",
            f"{n['grad']:.6g}",
        ]
        for n in nodes
    ]
    header = ["id", "label", "op", "inputs", "data", "grad"]
    widths = [max(len(r[k]) for r in rows + [header]) for k in range(len(header))]
    align = ["right", "left", "left", "left", "right", "right"]

    def fmt(row):
        cells = [c.rjust(w) if a == "right" else c.ljust(w) for c, w, a in zip(row, widths, align)]
        return "  ".join(cells).rstrip()

    return "\n".join(fmt(r) for r in [header] + rows)
