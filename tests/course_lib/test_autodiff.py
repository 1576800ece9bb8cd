"""Tests of course_lib.autodiff: the notes' worked examples, PyTorch autograd, the trace."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from course_lib.autodiff import Value, format_trace, trace


def t64(value):
    return torch.tensor(float(value), dtype=torch.float64, requires_grad=True)


# ---- worked examples of the notes ------------------------------------------------------------


def test_d2_circuit_matches_the_notes():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    got = [q.data, f.data, x.grad, y.grad, z.grad, q.grad]
    want = [3.0, -12.0, -4.0, -4.0, 3.0, -4.0]
    np.testing.assert_allclose(
        got, want, atol=1e-12, err_msg="[D2] q, f, df/dx, df/dy, df/dz, df/dq"
    )


def _d4_inputs():
    return [
        Value(v, name)
        for v, name in [(2.0, "w0"), (-3.0, "w1"), (-3.0, "w2"), (-1.0, "x0"), (-2.0, "x1")]
    ]


def test_d4_sigmoid_neuron_staged_matches_the_notes():
    w0, w1, w2, x0, x1 = _d4_inputs()
    # The staged circuit of the notes: *, *, +, +, *-1, exp, +1, 1/x.
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f.backward()
    assert f.data == pytest.approx(0.7311, abs=5e-5), "[D4] forward value"
    np.testing.assert_allclose(
        [w0.grad, w1.grad, w2.grad], [-0.1966, -0.3932, 0.1966], atol=5e-5, err_msg="[D4] df/dw"
    )
    np.testing.assert_allclose(
        [x0.grad, x1.grad], [0.3932, -0.5898], atol=5e-5, err_msg="[D4] df/dx"
    )


def test_d4_sigmoid_shortcut_gives_the_staged_gradients():
    staged, short = _d4_inputs(), _d4_inputs()
    w0, w1, w2, x0, x1 = staged
    f1 = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    f1.backward()
    w0, w1, w2, x0, x1 = short
    f2 = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f2.backward()
    assert f2.data == pytest.approx(
        f1.data, rel=1e-12
    ), "sigmoid() and the staged circuit differ in value"
    np.testing.assert_allclose(
        [v.grad for v in short],
        [v.grad for v in staged],
        rtol=1e-12,
        err_msg="σ(1−σ) shortcut [D4]",
    )


def test_node_used_twice_accumulates():
    x = Value(3.0, "x")
    f = x * x + x  # df/dx = 2x + 1 = 7
    f.backward()
    assert x.grad == pytest.approx(
        7.0, abs=1e-12
    ), "a node used twice must receive the sum of both paths"
    a = Value(1.5)
    b = a + a  # two edges from one operation
    g = b * a  # 2a², dg/da = 4a = 6
    g.backward()
    assert a.grad == pytest.approx(6.0, abs=1e-12), "a + a then * a must accumulate to 4a"


def test_backward_twice_gives_the_same_gradients():
    x = Value(0.7)
    f = (x * x).tanh() * x
    f.backward()
    first = x.grad
    f.backward()
    assert x.grad == pytest.approx(
        first, rel=1e-12
    ), "backward() must recompute grad, not add to it"


# ---- each operation against PyTorch ----------------------------------------------------------

UNARY = {
    "exp": (lambda v: v.exp(), [-3.0, 0.0, 2.5]),
    "log": (lambda v: v.log(), [0.1, 1.0, 7.0]),
    "tanh": (lambda v: v.tanh(), [-30.0, -0.5, 0.0, 2.0]),
    "sigmoid": (lambda v: v.sigmoid(), [-800.0, -2.0, 0.0, 3.0, 800.0]),
    "relu": (lambda v: v.relu(), [-1.5, 0.0, 2.0]),
    "neg": (lambda v: -v, [-1.0, 2.0]),
    "pow2": (lambda v: v**2, [-1.5, 3.0]),
    "pow-1": (lambda v: v**-1, [-4.0, 0.5]),
    "pow0.5": (lambda v: v**0.5, [0.25, 9.0]),
    "rpow": (lambda v: 3.0**v, [-1.0, 0.0, 2.0]),
    "radd": (lambda v: 2.0 + v, [1.0]),
    "rsub": (lambda v: 2.0 - v, [1.0]),
    "rmul": (lambda v: 2.5 * v, [1.0]),
    "rdiv": (lambda v: 2.0 / v, [-0.5, 4.0]),
    "sub": (lambda v: v - 2.0, [1.0]),
    "div": (lambda v: v / 4.0, [1.0]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_operation_matches_torch(name):
    op, points = UNARY[name]
    for x0 in points:
        v = Value(x0)
        out = op(v)
        out.backward()
        t = t64(x0)
        t_out = op(t)
        t_out.backward()
        assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-300), f"{name}({x0}) value"
        assert v.grad == pytest.approx(
            t.grad.item(), rel=1e-12, abs=1e-300
        ), f"{name}'({x0}) gradient"


def test_binary_operations_match_torch():
    for op_name, op in [
        ("+", lambda a, b: a + b),
        ("-", lambda a, b: a - b),
        ("*", lambda a, b: a * b),
        ("/", lambda a, b: a / b),
    ]:
        a, b = Value(1.7), Value(-0.6)
        out = op(a, b)
        out.backward()
        ta, tb = t64(1.7), t64(-0.6)
        op(ta, tb).backward()
        np.testing.assert_allclose(
            [out.data, a.grad, b.grad],
            [op(1.7, -0.6), ta.grad.item(), tb.grad.item()],
            rtol=1e-12,
            err_msg=f"a {op_name} b: value, d/da, d/db",
        )


# ---- random expression graphs against PyTorch ------------------------------------------------

# Each step combines earlier nodes; the forms keep every operation inside its domain
# (denominators and logarithms of x² + something positive), so any program is valid.
STEPS = {
    "add": lambda a, b, c: a + b,
    "radd": lambda a, b, c: c + a,
    "sub": lambda a, b, c: a - b,
    "rsub": lambda a, b, c: c - a,
    "mul": lambda a, b, c: a * b,
    "rmul": lambda a, b, c: c * a,
    "div": lambda a, b, c: a / (b * b + 1),
    "rdiv": lambda a, b, c: c / (a * a + 0.5),
    "neg": lambda a, b, c: -a,
    "pow2": lambda a, b, c: a**2,
    "pow3": lambda a, b, c: a**3,
    "sqrt": lambda a, b, c: (a * a + 1) ** 0.5,
    "rpow": lambda a, b, c: 2.0**a,
    "exp": lambda a, b, c: a.exp(),
    "log": lambda a, b, c: (a * a + 0.5).log(),
    "tanh": lambda a, b, c: a.tanh(),
    "sigmoid": lambda a, b, c: a.sigmoid(),
    "relu": lambda a, b, c: a.relu(),
}

programs = st.tuples(
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(sorted(STEPS)), st.integers(0, 50), st.integers(0, 50), st.floats(-2, 2)
        ),
        min_size=1,
        max_size=10,
    ),
)


def _run(program, leaves):
    _, steps = program
    nodes = list(leaves)
    outputs = []
    for name, i, j, c in steps:
        node = STEPS[name](nodes[i % len(nodes)], nodes[j % len(nodes)], c)
        nodes.append(node)
        outputs.append(node)
    return sum(outputs)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(programs)
def test_random_graphs_match_torch_autograd(program):
    values = program[0]
    t_leaves = [t64(v) for v in values]
    t_root = _run(program, t_leaves)
    assume(torch.isfinite(t_root).item() and abs(t_root.item()) < 1e8)
    t_root.backward()
    t_grads = [0.0 if t.grad is None else t.grad.item() for t in t_leaves]
    assume(all(math.isfinite(g) and abs(g) < 1e8 for g in t_grads))

    leaves = [Value(v) for v in values]
    root = _run(program, leaves)
    root.backward()
    assert root.data == pytest.approx(
        t_root.item(), rel=1e-9, abs=1e-9
    ), f"forward value of {program}"
    np.testing.assert_allclose(
        [v.grad for v in leaves],
        t_grads,
        rtol=1e-7,
        atol=1e-9,
        err_msg=f"leaf gradients of {program}",
    )


def test_long_chain_does_not_hit_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(2000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0, abs=1e-12), "a chain of 8,000 nodes must backpropagate"


# ---- trace and format_trace ------------------------------------------------------------------


def test_trace_lists_nodes_in_topological_order():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    nodes, edges = trace(f)
    assert [n["id"] for n in nodes] == list(
        range(len(nodes))
    ), "ids must be the positions in the list"
    assert (
        len(nodes) == 5 and len(edges) == 4
    ), f"(x + y) * z has 5 nodes and 4 edges, got {len(nodes)}, {len(edges)}"
    assert all(src < dst for src, dst in edges), f"every input must come before its output: {edges}"
    assert nodes[-1]["op"] == "*" and nodes[-1]["grad"] == pytest.approx(
        1.0
    ), "the root comes last, grad 1"
    by_label = {n["label"]: n for n in nodes if n["label"]}
    np.testing.assert_allclose(
        [by_label[k]["grad"] for k in "xyz"],
        [-4.0, -4.0, 3.0],
        atol=1e-12,
        err_msg="grads in the trace",
    )
    assert set(nodes[0]) == {"id", "label", "op", "data", "grad"}, f"node keys: {sorted(nodes[0])}"


def test_trace_counts_a_node_used_twice_as_two_edges():
    x = Value(3.0, "x")
    nodes, edges = trace(x * x)
    assert len(nodes) == 2 and edges == [(0, 1), (0, 1)], f"x * x: got nodes {nodes}, edges {edges}"


def test_format_trace_has_one_row_per_node():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    lines = format_trace(f).splitlines()
    assert lines[0].split() == [
        "id",
        "label",
        "op",
        "inputs",
        "data",
        "grad",
    ], f"header: {lines[0]!r}"
    assert len(lines) == 6, f"header plus 5 nodes expected, got {len(lines)} lines"
    assert lines[-1].split() == ["4", "*", "2,", "3", "-12", "1"], f"root row: {lines[-1]!r}"


# ---- bad input -------------------------------------------------------------------------------


def test_bad_input_raises_with_the_argument_named():
    with pytest.raises(TypeError, match="data"):
        Value("3")
    with pytest.raises(TypeError, match="data"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="data"):
        Value(float("nan"))
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)
    with pytest.raises(TypeError, match="operand"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="log"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match="division by zero"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match="integer exponent"):
        Value(-2.0) ** 0.5
    with pytest.raises(ValueError, match="infinite derivative"):
        Value(0.0) ** 0.5
    with pytest.raises(ValueError, match="base"):
        (-2.0) ** Value(1.0)
    with pytest.raises(ValueError, match="exp overflows"):
        Value(1000.0).exp()
    with pytest.raises(TypeError, match="root"):
        trace(3.0)
