"""The one reading of IPython syntax (course_tools.ipython_code) that the re-check and the scan
share: it is the kernel's own, the re-check runs ordinary notebook habits as the kernel does,
and the scan reads the same code.

Fast: IPython's shell is started in a subprocess (a shell in this process would change its
builtins for every later test), and the re-check runs without the sandbox.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import nbformat
import pytest

from course_tools import ipython_code, recheck
from course_tools.generate import strip_region_markers
from course_tools.ipython_code import kernel_code, magic_calls, scannable_code
from course_tools.static_scan import _top_level_names, scan_source, strip_ipython_syntax

from ..conftest import COURSE_ROOT

ASSIGNMENT = "01_activations_and_losses"
NOTEBOOK = "activations_and_losses"
SIGMOID = ("def sigmoid(x):\n    x = np.asarray(x, dtype=float)\n    e = np.exp(-np.abs(x))\n"
           "    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n")

#: Ordinary notebook habits around a correct sigmoid: name -> cell.
HABITS = {
    "cell_timed": "%%time\n" + SIGMOID + "sigmoid(np.zeros(3))\n",
    "line_timed": SIGMOID + "%time _ = sigmoid(np.zeros(3))\n%timeit -n 2 -r 1 sigmoid(np.zeros(3))\n",
    "timed_assignment": SIGMOID + "values = %time sigmoid(np.zeros(3))\n",
    "display": "from IPython.display import display, Markdown\n\n" + SIGMOID
               + "display(Markdown('**sigmoid**'))\ndisplay(sigmoid(np.zeros(3)))\n",
    "display_without_import": SIGMOID + "display(sigmoid(np.zeros(3)))\n",
    "autoreload_and_retina": "%load_ext autoreload\n%autoreload 2\n%matplotlib inline\n"
                             "%config InlineBackend.figure_format = 'retina'\n" + SIGMOID,
    "leading_blank_lines": "\n\n" + SIGMOID + "%time sigmoid(np.zeros(3))\n",
    "timed_inside_a_function": "def sigmoid(x):\n    %time y = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))\n"
                               "    return y\n",
}

#: Creates IPython's shell as the kernel does and prints, for each cell, what it would run and
#: the callables the cell defines when the shell runs it.
KERNEL_SIDE = textwrap.dedent("""
    import json, os, sys, tempfile
    os.environ["IPYTHONDIR"] = tempfile.mkdtemp()
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # as ipykernel
    os.chdir(tempfile.mkdtemp())
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):  # the kernel's shell starts GUI event loops; none here
        def enable_gui(self, gui=None):
            pass

    shell = Shell.instance()
    cells = json.loads(sys.stdin.read())
    out = {}
    real_stdout = sys.stdout
    for name, source in cells.items():
        transformed = shell.transform_cell(source)
        shell.user_ns.pop("sigmoid", None)
        sys.stdout = open(os.devnull, "w")
        shell.run_cell("import numpy as np", store_history=True)
        result = shell.run_cell(source, store_history=True)
        sys.stdout = real_stdout
        out[name] = {"code": transformed, "ok": result.success,
                     "defines": callable(shell.user_ns.get("sigmoid"))}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def kernel_side():
    done = subprocess.run([sys.executable, "-c", KERNEL_SIDE], input=json.dumps(HABITS),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("habit", HABITS)
def test_the_shared_transformation_is_what_the_kernel_runs(kernel_side, habit):
    assert kernel_code(HABITS[habit]) == kernel_side[habit]["code"]
    assert kernel_side[habit]["ok"] and kernel_side[habit]["defines"], (
        f"the habit {habit} must define sigmoid in IPython itself")
    # The student's process gets the kernel's code, and its shell leaves that code as it is.
    assert kernel_code(kernel_code(HABITS[habit])) == kernel_code(HABITS[habit])


@pytest.mark.parametrize("habit", HABITS)
def test_scan_and_recheck_agree_on_the_code_of_a_cell(habit):
    source = HABITS[habit]
    python, _ = strip_ipython_syntax(source)
    assert python == scannable_code(source), "the scan reads ipython_code's reading"
    kernel = [ln.strip() for ln in kernel_code(source).splitlines()]
    for call in magic_calls(source):  # and the code the magics run, as IPython reads it
        kernel += [ln.strip() for ln in kernel_code(ipython_code.magic_python(call)).splitlines()]
    magic_lines = {c.lineno for c in magic_calls(source)}
    for number, line in enumerate(python.split("\n"), start=1):
        if number not in magic_lines and line.strip():
            assert line.strip() in kernel, f"line {number} of the scan is not the kernel's: {line}"
    assert "sigmoid" in _top_level_names(source), "the scan must see the function defined"
    assert scan_source(source, {"sigmoid"}) == [], [f.describe() for f in scan_source(source)]


def test_the_scan_reads_the_python_inside_magics_on_the_cells_lines():
    source = "x = 1\n%%time\n"  # a cell magic below the first line is a line magic in IPython
    assert [c.name for c in magic_calls(source)] == ["%time"]
    source = "%%time\nimport builtins\nbuiltins.abs = abs\n"
    flags = scan_source(source, {"sigmoid"})
    assert [(f.category, f.line) for f in flags] == [("monkeypatching", 3)], flags
    source = "%time x + \\\n    1\nimport os\n"
    assert [f.line for f in scan_source(source)] == [3], "lines after a continued magic"
    flags = scan_source("%config InlineBackend.figure_format = __import__('os').system('x')")
    assert "file-system-or-database" in {f.category for f in flags}, flags


def test_the_recheck_and_the_scan_use_the_shared_transformation():
    assert recheck.kernel_code is ipython_code.kernel_code
    assert not hasattr(recheck, "strip_magics"), "one reading of IPython syntax, not two"


def answer_key_notebook(replace: dict[str, str]):
    nb = nbformat.read(COURSE_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            cell.source = replace.get(meta["grade_id"], strip_region_markers(cell.source))
        elif meta.get("grade"):
            cell.source = strip_region_markers(cell.source)
    return nb


def test_recheck_of_a_solution_cell_that_starts_with_time_passes(tmp_path):
    answers = {"sigmoid": HABITS["cell_timed"],
               "softmax": "from IPython.display import display\n\n"
                          "def softmax(z):\n    z = np.asarray(z, dtype=float)\n"
                          "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                          "    display(e)\n    return e / e.sum(axis=-1, keepdims=True)\n",
               "tanh": HABITS["autoreload_and_retina"].replace(SIGMOID, "")
               + "def tanh(x):\n    return 2.0 * sigmoid(2.0 * np.asarray(x, dtype=float)) - 1.0\n\n\n"
                 "def tanh_grad(x):\n    t = tanh(x)\n    return 1.0 - t * t\n"}
    started = time.monotonic()
    verdicts = recheck.recheck_notebook(answer_key_notebook(answers), tmp_path, COURSE_ROOT, [],
                                        use_sandbox=False)
    elapsed = time.monotonic() - started
    failed = {g: v for g, v in verdicts.items() if v is not None}
    assert verdicts and not failed, failed
    assert elapsed < 30, f"the re-check took {elapsed:.1f} s"


def test_recheck_still_fails_a_wrong_answer_behind_a_magic(tmp_path):
    wrong = "%%time\ndef sigmoid_grad(x):\n    return sigmoid(x)\n"
    verdicts = recheck.recheck_notebook(answer_key_notebook({"sigmoid_grad": wrong}), tmp_path,
                                        COURSE_ROOT, [], use_sandbox=False)
    assert verdicts["test_sigmoid_grad_values"], verdicts


def test_the_recheck_message_explains_instead_of_accusing():
    output = recheck.recheck_output("AssertionError: sigmoid(0) is 0.4, expected 0.5")
    text = output["evalue"]
    assert "run a second time, outside the notebook" in text and "to confirm" in text.lower()
    assert "sigmoid(0) is 0.4" in text
    assert "checked again" not in text
