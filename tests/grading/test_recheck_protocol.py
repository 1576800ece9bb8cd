"""What the re-check outside the kernel passes between the grader and the student's process.

Each test grades a small notebook of its own (setup, solution and test cells with nbgrader's
metadata) with `course_tools.recheck.recheck_notebook`, without the sandbox, and looks at the
verdicts: strings and ints arrive as themselves; a test cell's names are there for the later test
cells and no student cell replaces them; a function of a test cell is called back on plain data;
the student's own objects are used by handle and never turn into numbers, arrays or truth values
here; a student who forges lines on the channel fails and the re-check still decides every cell.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_tools import recheck

ROOT = Path(__file__).resolve().parents[2]

SETUP = "import numpy as np\nfrom course_lib.grading import check_function, check_value\n"


def notebook(*cells: tuple[str, str]):
    """A notebook of ("setup" | "solution" | "test" | "demo", code) cells, in order."""
    nb = nbformat.v4.new_notebook()
    for i, (kind, code) in enumerate(cells):
        cell = nbformat.v4.new_code_cell(code)
        meta = {"setup": {"locked": True, "grade": False, "solution": False},
                "solution": {"solution": True, "grade": False, "locked": False},
                "test": {"grade": True, "solution": False, "locked": True, "points": 1},
                "demo": None}[kind]
        if meta is not None:
            cell.metadata["nbgrader"] = dict(meta, grade_id=f"{kind}_{i}")
        nb.cells.append(cell)
    return nb


def verdicts(*cells):
    try:
        return recheck.recheck_notebook(notebook(("setup", SETUP), *cells), ROOT, ROOT, [],
                                        use_sandbox=False)
    finally:
        recheck._close_zygotes()


def test_strings_ints_bools_and_floats_arrive_as_themselves():
    decided = verdicts(
        ("solution", "def types(*values):\n    return [type(v).__name__ for v in values]\n\n\n"
                     "def repeat(text, times):\n    return text * times\n"),
        ("test", "assert types('add', 3, True, 2.5) == ['str', 'int', 'bool', 'float'], "
                 "types('add', 3, True, 2.5)\nassert repeat('ab', 3) == 'ababab'\n"))
    assert decided == {"test_2": None}, decided


TEST_DEFINES_A_REFERENCE = ("test", "def reference_double(x):\n    return 2.0 * x\n\n\n"
                                    "check_function(double, (1.0,), reference_double)\n")
LATER_TEST_USES_IT = ("test", "check_function(double, (4.0,), reference_double)\n")


def test_a_name_a_test_cell_defines_is_there_for_the_later_test_cells():
    decided = verdicts(("solution", "def double(x):\n    return 2.0 * x\n"),
                       TEST_DEFINES_A_REFERENCE, LATER_TEST_USES_IT)
    assert decided == {"test_2": None, "test_3": None}, decided


def test_no_student_cell_replaces_a_name_a_test_cell_defined():
    """In the kernel the student's cell rebinds the reference to the wrong function itself."""
    wrong = "def double(x):\n    return 2.0 * x if x == 1.0 else 3.0 * x\n"
    honest = verdicts(("solution", wrong), TEST_DEFINES_A_REFERENCE, LATER_TEST_USES_IT)
    cheat = verdicts(("solution", wrong), TEST_DEFINES_A_REFERENCE,
                     ("solution", "reference_double = double\n"), LATER_TEST_USES_IT)
    assert honest["test_3"] and honest["test_2"] is None, honest
    assert cheat["test_4"], f"the student's rebinding of a test cell's name was used: {cheat}"


def test_a_dict_of_arrays_crosses_both_ways():
    decided = verdicts(
        ("solution", "def scaled(params, factor):\n"
                     "    return {name: factor * value for name, value in params.items()}\n"),
        ("test", "out = scaled({'W1': np.ones((2, 2)), 'b1': np.zeros(2)}, 3.0)\n"
                 "assert sorted(out) == ['W1', 'b1'] and isinstance(out['W1'], np.ndarray)\n"
                 "assert np.array_equal(out['W1'], 3 * np.ones((2, 2)))\n"))
    assert decided == {"test_2": None}, decided


def test_a_random_generator_arrives_in_its_state_and_advances_as_in_the_kernel():
    decided = verdicts(
        ("solution", "def draw(rng, n):\n    return rng.normal(size=n)\n"),
        ("test", "rng = np.random.default_rng(7)\nfirst = draw(rng, 3)\nsecond = draw(rng=rng, n=3)\n"
                 "expected = np.random.default_rng(7).normal(size=6)\n"
                 "assert np.array_equal(np.concatenate([first, second]), expected)\n"
                 "assert np.array_equal(rng.normal(size=2), "
                 "np.random.default_rng(7).normal(size=8)[6:])\n"))
    assert decided == {"test_2": None}, decided


def test_an_array_changed_in_place_inside_a_dict_is_caught_as_in_the_kernel():
    decided = verdicts(
        ("solution", "def step(params, lr):\n    params['W'] -= lr\n    return params['W']\n"),
        ("test", "check_function(step, ({'W': np.ones(2)}, 0.5), np.full(2, 0.5))\n"))
    assert "changed its input" in str(decided["test_2"]), decided


def test_a_test_cells_function_is_called_back_on_plain_data():
    decided = verdicts(
        ("solution", "def apply_twice(f, x):\n    return f(f(x))\n\n\n"
                     "def gradient(f, x, h=1e-5):\n    x = np.array(x, dtype=float)\n"
                     "    g = np.zeros_like(x)\n    for i in range(x.size):\n"
                     "        e = np.zeros_like(x)\n        e[i] = h\n"
                     "        g[i] = (f(x + e) - f(x - e)) / (2 * h)\n    return g\n"),
        ("test", "assert apply_twice(lambda v: 3.0 * v, 2.0) == 18.0\n"
                 "check_function(gradient, (lambda v: float(np.sum(v ** 2)), np.array([1.0, -2.0])),"
                 " np.array([2.0, -4.0]), rtol=1e-6)\n"))
    assert decided == {"test_2": None}, decided


def test_a_callback_sees_the_students_objects_as_opaque_and_its_error_reaches_the_student():
    decided = verdicts(
        ("solution", "class Secret:\n    def __float__(self):\n        return 1.0\n\n\n"
                     "def call_with_an_object(f):\n    return f(Secret())\n\n\n"
                     "def call_and_catch(f):\n    try:\n        return f(1.0)\n"
                     "    except Exception as error:\n        return str(error)\n"),
        ("test", "seen = []\n\n\ndef record(v):\n    seen.append(type(v).__name__)\n    return 0.0\n\n\n"
                 "call_with_an_object(record)\nassert seen == ['Opaque'], seen\n\n\n"
                 "def refuse(v):\n    raise ValueError('no, thank you')\n\n\n"
                 "message = call_and_catch(refuse)\n"
                 "assert 'ValueError' in message and 'no, thank you' in message, message\n"))
    assert decided == {"test_2": None}, decided


BOX = """
asked = []


class Box:
    def __init__(self, v):
        self.v = v

    def __getattr__(self, name):
        asked.append(name)
        raise AttributeError(name)

    def __add__(self, other):
        return Box(self.v + (other.v if isinstance(other, Box) else other))

    __radd__ = __add__

    def __rsub__(self, other):
        return Box(other - self.v)

    def __neg__(self):
        return Box(-self.v)

    def __float__(self):
        return 42.0

    def __array__(self, dtype=None, copy=None):
        return np.array(42.0)

    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    def half(self):
        return Box(self.v / 2)


def names_asked():
    return list(asked)
"""


def test_arithmetic_attributes_and_calls_on_a_students_object_run_in_its_process():
    decided = verdicts(
        ("solution", BOX),
        ("test", "b = 1 + Box(2.0) + 3\nassert type(b).__name__ == 'StudentObject'\n"
                 "assert b.v == 6.0 and (10 - b).v == 4.0 and (-b).v == -6.0\n"
                 "assert b.half().v == 3.0\nb.v = 7.0\nassert b.v == 7.0\n"
                 "try:\n    Box(1.0) + 'text'\nexcept TypeError:\n    pass\n"
                 "else:\n    raise AssertionError('the TypeError of the student process is lost')\n"))
    assert decided == {"test_2": None}, decided


def test_a_students_object_never_becomes_a_number_an_array_or_a_truth_value_here():
    decided = verdicts(
        ("solution", BOX + "\n\ndef answer():\n    return Box(3.0)\n"),
        ("test", "check_value('the answer', answer(), 42.0)\n"),
        ("test", "assert answer() == 42.0\n"),
        ("test", "assert answer()\n"),
        ("test", "import numpy as np\nnp.asarray(answer())\nfor probe in (float, len, iter):\n"
                 "    try:\n        probe(answer())\n    except TypeError:\n        pass\n"
                 "assert not hasattr(answer(), '__array_interface__')\n"
                 "assert names_asked() == [], names_asked()\n"))
    assert decided["test_2"] and decided["test_3"] and decided["test_4"], decided
    assert decided["test_5"] is None, f"a name beginning with _ reached the student: {decided}"


FORGE = """
import json


def numerical_gradient(f, x, h=1e-5):
    for cell in f.__closure__ or ():
        channel = getattr(cell.cell_contents, "channel_out", None)
        if channel is not None:
            channel.write(json.dumps({"value": {"__float__": 0.0}}) + "\\n")
            channel.write(json.dumps({"callback": 999, "args": []}) + "\\n")
            channel.write('{"value": \\n')
            channel.flush()
    return np.array([2.0, -4.0])


def double(x):
    return 2.0 * x
"""


def test_lines_forged_on_the_channel_fail_the_student_and_every_cell_is_still_decided():
    decided = verdicts(
        ("solution", FORGE),
        ("test", "check_function(numerical_gradient, (lambda v: float(np.sum(v ** 2)), "
                 "np.array([1.0, -2.0])), np.array([2.0, -4.0]))\n"),
        ("test", "check_function(double, (1.0,), 2.0)\n"))
    assert set(decided) == {"test_2", "test_3"}, decided
    assert decided["test_2"], "a forged answer was taken for the function's value"


@pytest.mark.parametrize("value", ["text", 3, -2**70, True, 2.5, None, (1, "a", [2.0]),
                                   [[1, 2], (3,)], {"W1": 1.5, "layers": [{"b": "x"}]}])
def test_encode_and_decode_agree(value):
    from course_tools.student_runner import decode, encode

    assert decode(encode(value)) == value
    assert type(decode(encode(value))) is type(value)


BATCHES = """
def batches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def drops_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]
"""


def test_a_generator_the_student_returns_is_run_through_in_its_process():
    """A mini-batch iterator: its batches come back as data, and a wrong one still fails."""
    check = ("from course_lib.datasets import iterate_minibatches\n"
             "from course_lib.grading import epochs_check\n"
             "check_function(epochs_check({name}), (np.arange(20.0).reshape(10, 2), np.arange(10), 4, "
             "np.random.default_rng(0)), epochs_check(iterate_minibatches))\n")
    decided = verdicts(("solution", BATCHES), ("test", check.format(name="batches")),
                       ("test", check.format(name="drops_last")),
                       ("test", "assert [len(b) for _, b in batches(np.arange(10.0), np.arange(10), 4, "
                                "np.random.default_rng(1))] == [4, 4, 2]\n"))
    assert decided["test_2"] is None and decided["test_4"] is None, decided
    assert decided["test_3"], decided


@pytest.mark.parametrize("array", [
    np.arange(6.0).reshape(2, 3), np.array(2.5), np.zeros((0, 3)), np.array([True, False]),
    np.asfortranarray(np.arange(6).reshape(2, 3)), np.arange(10.0)[::3],
    np.arange(4, dtype=">i4"), np.ones(3, dtype=np.float32), np.arange(3, dtype=np.uint8)],
    ids=["2-d", "0-d", "empty", "bool", "fortran-order", "strided", "big-endian", "float32",
         "uint8"])
def test_an_array_arrives_with_its_values_type_and_shape_and_can_be_changed(array):
    from course_tools.student_runner import decode, encode

    arrived = decode(encode(array))
    assert isinstance(arrived, np.ndarray)
    assert (arrived.dtype, arrived.shape) == (array.dtype, array.shape)
    assert np.array_equal(arrived, array)
    arrived[...] = 0  # a test cell or the student's code may update it in place
    assert not np.shares_memory(arrived, array)


def test_an_array_of_another_kind_stays_an_opaque_object():
    from course_tools.student_runner import encode

    assert encode(np.array([1 + 2j])) == {"__opaque__": "ndarray"}
    assert encode(np.array([object()])) == {"__opaque__": "ndarray"}


EIGHT_ZERO_BYTES = "AAAAAAAAAAA="


@pytest.mark.parametrize("forged, refusal", [
    ({"__nd__": "|O", "shape": [1], "data": EIGHT_ZERO_BYTES}, "not an array type"),
    ({"__nd__": "<c16", "shape": [1], "data": EIGHT_ZERO_BYTES}, "not an array type"),
    ({"__nd__": ["<f8"], "shape": [1], "data": EIGHT_ZERO_BYTES}, "not an array type"),
    ({"__nd__": "<f8", "shape": [2], "data": EIGHT_ZERO_BYTES}, "does not fill the shape"),
    ({"__nd__": "<f8", "shape": [-1], "data": EIGHT_ZERO_BYTES}, "not an array shape"),
    ({"__nd__": "<f8", "shape": [1.0], "data": EIGHT_ZERO_BYTES}, "not an array shape"),
    ({"__nd__": "<f8", "shape": "1", "data": EIGHT_ZERO_BYTES}, "not an array shape"),
    ({"__nd__": "<f8", "shape": [1], "data": "!!!!"}, "base64"),
    ({"__nd__": "<f8", "shape": [1]}, "not an array's data"),
], ids=["object", "complex", "type-not-a-string", "too-few-bytes", "negative-shape",
        "float-shape", "shape-not-a-list", "not-base64", "no-data"])
def test_a_forged_array_is_refused_with_the_reason(forged, refusal):
    from course_tools.student_runner import decode

    with pytest.raises(ValueError, match=refusal):
        decode(forged)
