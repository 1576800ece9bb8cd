"""The static scan of students' code (course_tools.static_scan) and its nbgrader step.

Fast tests: every honest variant in honest_variants/ is a correct answer (assignment 01's own
test cells pass on it, run in this process) and gets no flag; each cheat of CHEATS gets a flag
of its category; names are followed across cells; FlagSuspiciousCode writes a gradebook built
here. The slow test runs the real ``nbgrader autograde`` and ``generate_feedback`` with the
proposed configuration on a copy of the course.
"""
from __future__ import annotations

import contextlib
import copy
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_tools.generate import strip_region_markers, tool_environment
from course_tools.ipython_code import kernel_code, outside_kernel_namespace
from course_tools.static_scan import (CATEGORIES, REVIEW_HEADING, Flag, FlagSuspiciousCode,
                                      fold, graded_names_of, scan_cells, scan_notebook,
                                      scan_source)

from ..conftest import COURSE_ROOT
from ..pipeline.test_nbgrader_pipeline import ASSIGNMENT, NOTEBOOK, SPECIMEN, SUBMISSIONS, \
    build_submission, nbgrader, visible_text

VARIANTS = SUBMISSIONS.parent / "honest_variants"
SOURCE_NB = COURSE_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
CELL_LINE = re.compile(r"^# cell: (\S+)\s*$", re.M)


def read_variant(path: Path) -> dict[str, str]:
    """grade_id -> code of an honest-variant file (``# cell: <grade_id>`` starts each cell)."""
    text = path.read_text()
    if not text.startswith("# cell: "):
        raise ValueError(f"{path.name} must start with a '# cell: <grade_id>' line")
    pieces = CELL_LINE.split(text)[1:]
    cells = {}
    for grade_id, code in zip(pieces[::2], pieces[1::2]):
        if grade_id in cells:
            raise ValueError(f"{path.name} gives the cell {grade_id!r} twice")
        cells[grade_id] = code.strip("\n") + "\n"
    return cells


def source_notebook():
    return nbformat.read(SOURCE_NB, as_version=4)


def notebook_with(answers: dict[str, str]):
    """The answer key of assignment 01 (hidden tests included) with some solution cells
    replaced."""
    nb = source_notebook()
    solution_ids = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    unknown = set(answers) - solution_ids
    assert not unknown, f"not solution code cells of {NOTEBOOK}: {sorted(unknown)}"
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") or meta.get("grade"):
            cell.source = answers.get(meta.get("grade_id"), strip_region_markers(cell.source))
    return nb


def run_graded_cells(nb) -> dict[str, str]:
    """Run the setup, solution and test cells in this process, IPython syntax read as the
    kernel reads it; grade_id -> error of each failing test cell."""
    namespace: dict = outside_kernel_namespace({})
    failures = {}
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as scratch, \
            contextlib.chdir(scratch):  # a cell may write scratch files in its working folder
        warnings.simplefilter("error", RuntimeWarning)  # as the course's pytest settings
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not (meta.get("solution") or meta.get("grade")
                                                or meta.get("grade_id") == "setup"):
                continue
            code = kernel_code(cell.source)
            try:
                exec(compile(code, meta.get("grade_id", "cell"), "exec"), namespace)
            except Exception as exc:  # a failing test cell, reported with its message
                failures[meta.get("grade_id")] = f"{type(exc).__name__}: {exc}"
    return failures


HONEST = sorted(VARIANTS.glob("*.py"))
GRADED = graded_names_of(source_notebook())


def test_there_are_enough_honest_variants_covering_every_solution_cell():
    assert len(HONEST) >= 12, f"expected at least 12 honest variants, found {len(HONEST)}"
    covered = set()
    for path in HONEST:
        covered |= set(read_variant(path))
    solution_ids = {c.metadata["nbgrader"]["grade_id"] for c in source_notebook().cells
                    if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    assert covered == solution_ids, (
        f"solution cells without an honest variant: {sorted(solution_ids - covered)}")


@pytest.mark.parametrize("path", HONEST, ids=[p.stem for p in HONEST])
def test_honest_variant_passes_every_test_of_the_notebook(path):
    failures = run_graded_cells(notebook_with(read_variant(path)))
    assert not failures, f"{path.name} is not a correct answer: {failures}"


def test_the_harness_fails_a_wrong_answer():
    wrong = (SUBMISSIONS / "sigmoid_grad_returns_sigmoid.py").read_text()
    failures = run_graded_cells(notebook_with({"sigmoid_grad": wrong}))
    (spec,) = [s for s in SPECIMEN.fixtures if s["student"] == "sigmoid_grad_returns_sigmoid"]
    assert set(failures) == set(spec["fails"]), failures


@pytest.mark.parametrize("path", HONEST, ids=[p.stem for p in HONEST])
def test_honest_variant_is_not_flagged(path):
    answers = read_variant(path)
    for grade_id, code in answers.items():
        flags = scan_source(code, GRADED)
        assert flags == [], f"{path.name}, cell {grade_id}: {[f.describe() for f in flags]}"
    flags = scan_notebook(notebook_with(answers))
    assert flags == {}, f"{path.name} in the notebook: {flags}"


def test_the_notebooks_of_the_course_are_not_flagged():
    for folder in ("source", "release", "solutions"):
        nb = nbformat.read(COURSE_ROOT / folder / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
        assert scan_notebook(nb) == {}, f"{folder}/{ASSIGNMENT}: {scan_notebook(nb)}"


def test_wrong_answers_without_cheats_are_not_flagged():
    wrong = sorted(SUBMISSIONS.glob("*.py"))
    assert len(wrong) >= 5, "expected the pipeline's fixture submissions"
    for path in wrong:
        flags = scan_source(path.read_text(), GRADED)
        assert flags == [], f"{path.name}: {[f.describe() for f in flags]}"


NUMERICAL_MODULES = sorted(p for p in (COURSE_ROOT / "course_lib").glob("*.py")
                           if p.stem not in ("__init__", "grading", "mistakes", "widgets"))


@pytest.mark.parametrize("path", NUMERICAL_MODULES, ids=[p.stem for p in NUMERICAL_MODULES])
def test_course_libs_numerical_code_read_as_a_solution_is_flagged_only_for_its_imports(path):
    """A large body of honest numpy: only its imports of course_lib (and sklearn for data
    sets) may be flagged."""
    flags = [f for f in scan_source(path.read_text(), GRADED)
             if f.category not in ("reference-implementation", "library-implementation")]
    assert flags == [], [f.describe() for f in flags]


def test_graded_names_are_the_functions_of_the_solution_cells():
    assert {"sigmoid", "tanh_grad", "softmax_cross_entropy"} <= GRADED, sorted(GRADED)
    assert not GRADED & {"np", "check_function", "reference", "x"}, sorted(GRADED)


# Each cheat: (id, code, the category it must be flagged with). The solution cell defines or
# replaces `sigmoid`, a graded name.
CHEATS = [
    ("builtins_patched", "import builtins\nbuiltins.abs = lambda x: 0", "monkeypatching"),
    ("builtins_alias", "import builtins as b\nb.abs = lambda x: 0", "monkeypatching"),
    ("builtins_subscript", "__builtins__['abs'] = lambda x: 0", "monkeypatching"),
    ("numpy_attribute", "np.exp = lambda x: x", "monkeypatching"),
    ("numpy_setattr", "setattr(np, 'exp', lambda x: x)", "monkeypatching"),
    ("numpy_via_loop", "for m in [np]:\n    m.exp = lambda x: x", "monkeypatching"),
    ("numpy_via_function", "def patch(m):\n    m.exp = abs\npatch(np)", "monkeypatching"),
    ("numpy_dict", "vars(np)['exp'] = abs", "monkeypatching"),
    ("sys_modules", "import sys\nsys.modules['course_lib.grading'] = None", "monkeypatching"),
    ("check_function_rebound", "check_function = lambda *a, **k: None", "monkeypatching"),
    ("check_function_deleted", "del check_function", "monkeypatching"),
    ("grading_module_patched",
     "import course_lib.grading as g\ng.check_function = lambda *a, **k: None", "monkeypatching"),
    ("mistakes_cleared", "MISTAKES.clear()", "monkeypatching"),
    ("mutator_passed_on", "list(map(MISTAKES.pop, ['sigmoid']))", "monkeypatching"),
    ("module_in_class_attribute", "class A:\n    m = np\nA.m.exp = abs", "monkeypatching"),
    ("module_in_self_attribute", "class A:\n    def __init__(self):\n        self.m = np\n"
                                 "    def go(self):\n        self.m.exp = abs\nA().go()",
     "monkeypatching"),
    ("mistakes_entry", "MISTAKES['sigmoid'] = []", "monkeypatching"),
    ("builtins_by_reversed_name", "m = __import__('snitliub'[::-1])\nm.abs = abs",
     "monkeypatching"),
    ("builtins_by_joined_name", "__import__(''.join(['buil', 'tins'])).abs = abs",
     "monkeypatching"),
    ("setattr_concatenated", "setattr(__import__('bui' + 'ltins'), 'abs', lambda x: 0)",
     "monkeypatching"),
    ("decorator", "@(lambda f: setattr(__import__('builtins'), 'abs', f) or f)\n"
                  "def sigmoid(x):\n    return x", "monkeypatching"),
    ("exec_string", "exec('import builtins; builtins.abs = lambda x: 0')", "monkeypatching"),
    ("input_transformers",
     "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])",
     "ipython-internals"),
    ("run_cell_aliased", "g = get_ipython\ng().run_cell = lambda *a, **k: None",
     "ipython-internals"),
    ("custom_exc", "from IPython import get_ipython\nip = get_ipython()\n"
                   "ip.set_custom_exc((AssertionError,), lambda *a, **k: None)",
     "ipython-internals"),
    ("events", "get_ipython().events.register('pre_run_cell', print)", "ipython-internals"),
    ("getattr_run_cell", "ip = get_ipython()\nrun = getattr(ip, 'run_' + 'cell')",
     "ipython-internals"),
    ("name_in_fstring", "part = 'ipython'\nshell = globals()[f'get_{part}']()",
     "ipython-internals"),
    ("excepthook", "import sys\nsys.excepthook = lambda *a: None", "ipython-internals"),
    ("settrace", "import sys\nsys.settrace(lambda *a: None)", "ipython-internals"),
    ("shell_class", "from IPython.core.interactiveshell import InteractiveShell\n"
                    "InteractiveShell.showtraceback = lambda *a, **k: None", "ipython-internals"),
    ("history", "hidden = [c for c in In if 'HIDDEN' in c]", "ipython-internals"),
    ("hidden_in_lambda", "sigmoid = lambda x: get_ipython() and x", "ipython-internals"),
    ("syntax_error_around", "def sigmoid(x)\n    get_ipython().run_cell('pass')",
     "ipython-internals"),
    ("open_source", "key = open('../../source/01_activations_and_losses/x.ipynb').read()",
     "file-system-or-database"),
    ("os_system", "import os\nos.system('cp a b')", "file-system-or-database"),
    ("os_fork", "import os as o\npid = o.fork()", "file-system-or-database"),
    ("pathlib", "from pathlib import Path\nPath('gradebook.db').write_bytes(b'')",
     "file-system-or-database"),
    ("sqlite", "import sqlite3\nsqlite3.connect('../../gradebook.db')",
     "file-system-or-database"),
    ("subprocess", "import subprocess\nsubprocess.Popen(['sleep', '100'])",
     "file-system-or-database"),
    ("thread", "import threading\nthreading.Thread(target=print).start()",
     "file-system-or-database"),
    ("pickle", "import pickle", "file-system-or-database"),
    ("io_open", "import io\nsrc = io.open('gradebook.db', 'rb').read()",
     "file-system-or-database"),
    ("numpy_load", "w = np.load('weights.npy')", "file-system-or-database"),
    ("shell_escape", "def sigmoid(x):\n    return x\n!cat ../../source/*",
     "file-system-or-database"),
    ("cell_magic", "%%bash\ncp ../../source/01_activations_and_losses/*.ipynb .",
     "file-system-or-database"),
    ("run_magic", "%run ../../source/answers.py", "file-system-or-database"),
    ("helper_module", "from my_helpers_on_disk import sigmoid", "dynamic-code"),
    ("eval", "sigmoid = eval('lambda x: x')", "dynamic-code"),
    ("compile", "code = compile('x = 1', '<x>', 'exec')", "dynamic-code"),
    ("dunder_import", "sig = getattr(__import__('builtins'), 'abs')", "dynamic-code"),
    ("importlib", "import importlib\nm = importlib.import_module(name)", "dynamic-code"),
    ("globals_write", "globals()['sigmoid'] = abs", "dynamic-code"),
    ("getattr_computed", "f = getattr(np, name)", "dynamic-code"),
    ("subclasses", "classes = ().__class__.__base__.__subclasses__()", "dynamic-code"),
    ("code_object", "def sigmoid(x):\n    return x\nsigmoid.__code__ = abs.__code__",
     "dynamic-code"),
    ("frames", "import sys\nsys._getframe(1).f_globals['x'] = 0", "dynamic-code"),
    ("gc", "import gc\nfs = [f for f in gc.get_objects() if callable(f)]", "dynamic-code"),
    ("module_reached_through_widgets",
     "import course_lib.widgets as w\nframe = w.inspect.currentframe()", "dynamic-code"),
    ("os_reached_through_numpy", "np.lib.npyio.os.system('ls')", "file-system-or-database"),
    ("reference_import", "from course_lib.activations import sigmoid",
     "reference-implementation"),
    ("reference_inside", "def sigmoid(x):\n    from course_lib.activations import sigmoid as ref\n"
                         "    return ref(x)", "reference-implementation"),
    ("reference_module", "from course_lib import activations\nsigmoid = activations.sigmoid",
     "reference-implementation"),
    ("reference_via_widgets", "from course_lib.widgets import activations",
     "reference-implementation"),
    ("reference_private_helper", "from course_lib.mistakes import _softmax",
     "reference-implementation"),
    ("reference_through_grading_import", "from course_lib.grading import np as numpy_of_tests",
     "reference-implementation"),
    ("reference_by_importlib",
     "import importlib\nsigmoid = importlib.import_module('course_lib.activations').sigmoid",
     "reference-implementation"),
    ("reference_in_lambda",
     "sigmoid = (lambda: __import__('course_lib.activations', fromlist=['sigmoid']).sigmoid)()",
     "reference-implementation"),
    ("scipy_expit", "import scipy.special\ndef sigmoid(x):\n    return scipy.special.expit(x)",
     "library-implementation"),
    ("torch", "import torch\ndef sigmoid(x):\n    return torch.sigmoid(torch.tensor(x)).numpy()",
     "library-implementation"),
    ("always_equal", "class Close(float):\n    def __eq__(self, other):\n        return True",
     "fake-value"),
    ("array_ufunc", "class Lies:\n    def __array_ufunc__(self, *a, **k):\n        return True",
     "fake-value"),
]


def test_the_cheat_list_is_large_and_covers_every_category():
    assert len(CHEATS) >= 25, len(CHEATS)
    assert {c for _, _, c in CHEATS} == set(CATEGORIES), "every category needs a cheat"
    assert len({name for name, _, _ in CHEATS}) == len(CHEATS), "cheat ids must be unique"


@pytest.mark.parametrize("code, category", [c[1:] for c in CHEATS], ids=[c[0] for c in CHEATS])
def test_cheat_is_flagged_with_its_category(code, category):
    flags = scan_source(code, GRADED)
    assert category in {f.category for f in flags}, (
        f"expected a {category} flag, got {[f.describe() for f in flags]}")
    assert all(f.category in CATEGORIES and f.line >= 1 and f.message for f in flags), flags


def test_reference_import_of_the_graded_function_gets_the_sharper_message():
    code = ("def sigmoid(x):\n    from course_lib.activations import sigmoid as ref\n"
            "    return ref(x)")
    messages = [f.message for f in scan_source(code, {"sigmoid"})]
    assert any("the very function being graded" in m for m in messages), messages
    other = [f.message for f in scan_source("from course_lib.losses import mse_loss", GRADED)]
    assert other and not any("very function" in m for m in other), other


def test_modules_that_come_with_the_assignment_may_be_imported():
    code = "from plotting_helpers import show"
    allowed = scan_source(code, GRADED, local_modules=["plotting_helpers"])
    assert allowed == [], f"a module of the assignment is not suspicious: {allowed}"
    unknown = [f.category for f in scan_source(code, GRADED)]
    assert unknown == ["dynamic-code"], f"an unknown module runs unseen code: {unknown}"


def test_flag_lines_point_at_the_code():
    flags = scan_source("x = 1\n\nimport builtins\nbuiltins.abs = abs\n", GRADED)
    assert [(f.category, f.line) for f in flags] == [("monkeypatching", 4)], flags


def test_syntax_errors_and_ipython_syntax_are_not_suspicious():
    for code in ("def sigmoid(x)\n    return 1 / (1 + np.exp(-x))",
                 "def sigmoid(x):\n    return (1 +\n",
                 "%timeit sigmoid(np.zeros(10))",
                 "%%time\ns = sigmoid(np.zeros(3))",
                 "sigmoid?\nnp.where??",
                 "%matplotlib inline\nvalues = [1 % 3, 2 != 3]",
                 "# YOUR CODE HERE\nraise NotImplementedError()"):
        assert scan_source(code, GRADED) == [], f"{code!r}: {scan_source(code, GRADED)}"


def test_code_inside_a_timing_magic_is_scanned():
    flags = scan_source("%timeit -n 1 -r 1 exec('import os')", GRADED)
    assert {"dynamic-code", "file-system-or-database"} <= {f.category for f in flags}, flags


def test_strings_and_comments_are_not_code():
    code = ('def f(x):\n    """Open the box and eval the sum; os.system is not called."""\n'
            '    # import os; open("x")\n    label = "open eval exec os"\n    return x\n')
    assert scan_source(code, GRADED) == [], scan_source(code, GRADED)


def test_fold_sees_through_obfuscated_strings():
    import ast

    for expression, value in (("'get_' + 'ipython'", "get_ipython"),
                              ("'nohtypi_teg'[::-1]", "get_ipython"),
                              ("''.join(['run', '_', 'cell'])", "run_cell"),
                              ("chr(111) + 's'", "os"),
                              ("'%s%s' % ('buil', 'tins')", "builtins"),
                              ("bytes.fromhex('6f73').decode()", "os")):
        assert fold(ast.parse(expression, mode="eval").body) == value, expression
    assert not isinstance(fold(ast.parse("'a' * 10**9", mode="eval").body), str), (
        "a huge repetition must not be built")


def test_code_nested_too_deeply_for_the_scan_is_flagged_and_still_read():
    flags = scan_source("import os\nx = " + "+".join(["a"] * 5000), GRADED)
    assert {"dynamic-code", "file-system-or-database"} <= {f.category for f in flags}, flags
    assert scan_source("x = " + "+".join(["a"] * 300), GRADED) == [], (
        "an ordinary long sum must get the full scan")


def test_folding_refuses_to_build_huge_strings():
    import ast

    for expression in ("'{:>99999999}'.format(1)", "'%99999999d' % 1", "'%*d' % (99999999, 1)",
                       "('a' * 9999).replace('a', 'a' * 9999)", "''.join(['a' * 9999] * 9999)"):
        assert not isinstance(fold(ast.parse(expression, mode="eval").body), str), expression


def test_hasattr_with_a_computed_name_is_not_suspicious():
    code = "def f(x, name):\n    return hasattr(x, name)"
    assert scan_source(code, GRADED) == [], scan_source(code, GRADED)


def notebook_of(*cells):
    """A notebook: (kind, grade_id, source) with kind solution, test, setup or ungraded."""
    nb = new_notebook()
    for kind, grade_id, source in cells:
        cell = new_code_cell(source)
        if kind != "ungraded":
            cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": kind == "solution",
                                         "grade": kind == "test", "locked": kind != "solution",
                                         "schema_version": 3}
        nb.cells.append(cell)
    return nb


SETUP = ("setup", "setup", "import numpy as np\nfrom course_lib.grading import check_function\n"
                           "from course_lib.mistakes import mistakes_for\n"
                           "MISTAKES = mistakes_for('01_activations_and_losses')")


@pytest.mark.parametrize("code", ["MISTAKES.clear()", "MISTAKES['sigmoid'] = []",
                                  "list(map(MISTAKES.pop, ['sigmoid']))"])
def test_the_setups_mistake_catalogue_is_protected_in_a_notebook(code):
    nb = notebook_of(SETUP, ("solution", "sigmoid", code),
                     ("test", "t1", "check_function(sigmoid, (1.0,), 0.7, "
                                    "mistakes=MISTAKES['sigmoid'])"))
    flags = scan_notebook(nb)
    assert "monkeypatching" in {f.category for f in flags.get("sigmoid", [])}, flags
    reading = notebook_of(SETUP, ("solution", "sigmoid", "known = MISTAKES['sigmoid']"))
    assert scan_notebook(reading) == {}, scan_notebook(reading)


def test_an_alias_from_an_earlier_cell_is_followed():
    nb = notebook_of(SETUP,
                     ("solution", "first", "import builtins as b\n\ndef f(x):\n    return x"),
                     ("test", "t1", "check_function(f, (1,), 1)"),
                     ("solution", "second", "def g(x):\n    return x\nb.abs = lambda x: 0"))
    flags = scan_notebook(nb)
    assert set(flags) == {"second"}, flags
    assert [f.message for f in flags["second"]] == ["replaces `builtins.abs`"], flags


def test_get_ipython_aliased_in_one_cell_and_used_in_a_later_one():
    nb = notebook_of(SETUP, ("solution", "first", "shell = get_ipython"),
                     ("solution", "second", "shell().run_cell = print"))
    flags = scan_notebook(nb)
    assert {"ipython-internals"} <= {f.category for f in flags.get("second", [])}, flags


def test_a_name_the_test_cells_bind_to_course_lib_is_followed():
    nb = notebook_of(SETUP, ("test", "t0", "from course_lib import losses as reference\n"
                                           "reference.softmax"),
                     ("solution", "softmax", "def softmax(z):\n    return reference.softmax(z)"))
    flags = scan_notebook(nb)
    assert [f.category for f in flags["softmax"]] == ["reference-implementation"], flags
    assert "very function being graded" in flags["softmax"][0].message, flags


def test_an_ungraded_cell_that_swaps_in_the_reference_is_flagged_under_its_part():
    nb = notebook_of(SETUP, ("solution", "sigmoid", "def sigmoid(x):\n    return x"),
                     ("ungraded", None, "from course_lib.activations import sigmoid"),
                     ("test", "t1", "check_function(sigmoid, (1.0,), 0.7)"))
    scans = scan_cells(nb)
    assert [(s.index, s.grade_id, s.filed_under) for s in scans] == [(2, None, "sigmoid")], scans
    assert scans[0].flags[0].category == "reference-implementation", scans
    assert scan_cells(nb, include_ungraded=False) == [], "ungraded cells can be left out"


def test_only_the_cell_that_swaps_in_the_reference_is_flagged_not_its_callers():
    nb = notebook_of(SETUP, ("solution", "sigmoid", "from course_lib.activations import sigmoid"),
                     ("solution", "tanh", "def tanh(x):\n    return 2 * sigmoid(2 * x) - 1"),
                     ("test", "t1", "check_function(sigmoid, (1.0,), 0.7)\n"
                                    "check_function(tanh, (1.0,), 0.7)"))
    assert set(scan_notebook(nb)) == {"sigmoid"}, scan_notebook(nb)


def test_instructor_demonstrations_in_ungraded_cells_are_not_flagged():
    nb = notebook_of(SETUP, ("solution", "sigmoid", "def sigmoid(x):\n    return x"),
                     ("ungraded", None, "from course_lib.activations import sigmoid_grad as ref\n"
                                        "from course_lib.losses import mse_loss\nref(1.0)"),
                     ("test", "t1", "check_function(sigmoid, (1.0,), 0.7)"))
    assert scan_notebook(nb) == {}, scan_notebook(nb)


def test_bad_input_gets_a_clear_error():
    with pytest.raises(TypeError, match="expects the code as a str"):
        scan_source(b"import os")
    with pytest.raises(ValueError, match="kind must be"):
        scan_source("x = 1", kind="test")
    with pytest.raises(TypeError, match="expects a notebook"):
        scan_notebook("not a notebook")


def test_flags_are_frozen_and_describe_themselves():
    flag = Flag("monkeypatching", 3, "replaces `builtins.abs`")
    with pytest.raises(AttributeError):
        flag.line = 4
    assert flag.describe() == "line 3 (monkeypatching): replaces `builtins.abs`", (
        flag.describe())


# -- the nbgrader step, on a gradebook built here ---------------------------------------------

@pytest.fixture(scope="module")
def template_gradebook(tmp_path_factory) -> Path:
    """A gradebook with one assignment 'a', notebook 'nb', cells 'f' (solution), 't1' and 't2'
    (tests) and 'w' (written answer), and a submission of student 's'."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with pytest.MonkeyPatch.context() as patch:
        # A new gradebook runs nbgrader's migrations with the `alembic` command of this
        # environment.
        patch.setenv("PATH", tool_environment()["PATH"])
        with Gradebook(f"sqlite:///{path}") as gb, warnings.catch_warnings():
            # nbgrader's add_submission triggers SQLAlchemy's autoflush warning (a
            # RuntimeWarning, which the course's pytest settings make an error).
            warnings.simplefilter("ignore", SAWarning)
            gb.add_assignment("a")
            gb.add_notebook("nb", "a")
            gb.add_solution_cell("f", "nb", "a")
            gb.add_solution_cell("w", "nb", "a")
            for name in ("t1", "t2"):
                gb.add_grade_cell(name, "nb", "a", max_score=1, cell_type="code")
            gb.add_grade_cell("w", "nb", "a", max_score=2, cell_type="markdown")
            gb.add_student("s")
            gb.add_submission("a", "s")
            for name in ("t1", "t2"):
                grade = gb.find_grade(name, "nb", "a", "s")
                grade.auto_score, grade.needs_manual_grade = 1.0, False
            gb.find_comment("f", "nb", "a", "s").auto_comment = "No response."
            gb.db.commit()
    return path


@pytest.fixture
def gradebook_url(template_gradebook, tmp_path) -> str:
    """A fresh copy of the template gradebook for one test."""
    path = tmp_path / "gradebook.db"
    shutil.copy2(template_gradebook, path)
    return f"sqlite:///{path}"


def small_notebook(solution: str):
    nb = notebook_of(SETUP, ("solution", "f", solution),
                     ("test", "t1", "check_function(f, (1.0,), 1.0)"),
                     ("test", "t2", "assert abs(-1) == 1"))
    written = new_markdown_cell("An answer.")
    written.metadata["nbgrader"] = {"grade_id": "w", "solution": True, "grade": True,
                                    "points": 2, "locked": False, "schema_version": 3}
    nb.cells.append(written)
    return nb


def test_preprocessor_records_flags_in_the_gradebook_and_the_notebook(gradebook_url):
    from nbgrader.api import Gradebook

    url = gradebook_url
    nb = small_notebook("from course_lib.activations import sigmoid as f")
    resources = {"nbgrader": {"notebook": "nb", "assignment": "a", "student": "s", "db_url": url}}
    nb, _ = FlagSuspiciousCode().preprocess(nb, resources)
    nb, _ = FlagSuspiciousCode().preprocess(nb, resources)  # a second run adds nothing
    with Gradebook(url) as gb:
        comment = gb.find_comment("f", "nb", "a", "s").auto_comment
        needs = {g: gb.find_grade(g, "nb", "a", "s").needs_manual_grade for g in ("t1", "t2")}
        flagged = gb.find_submission_notebook("nb", "a", "s").flagged
        listed = {d["student"]: d for d in gb.notebook_submission_dicts("nb", "a")}
    assert comment.startswith("No response.\n\n" + REVIEW_HEADING), comment
    assert comment.count(REVIEW_HEADING) == 1, comment
    assert "course_lib.activations.sigmoid" in comment, comment
    assert needs == {"t1": True, "t2": False}, (
        "only the test that calls the flagged function needs a person")
    assert flagged and listed["s"]["flagged"] and listed["s"]["needs_manual_grade"], listed
    notes = [i for i, c in enumerate(nb.cells) if REVIEW_HEADING in c.source]
    assert notes == [2], f"the note must follow the flagged cell once: {notes}"
    assert "static_scan" in nb.cells[2].metadata, nb.cells[2].metadata


def test_preprocessor_marks_every_later_test_for_code_that_changes_shared_state(gradebook_url):
    from nbgrader.api import Gradebook

    url = gradebook_url
    nb = small_notebook("import builtins\nbuiltins.abs = lambda x: 0\ndef f(x):\n    return x")
    resources = {"nbgrader": {"notebook": "nb", "assignment": "a", "student": "s", "db_url": url}}
    FlagSuspiciousCode().preprocess(nb, resources)
    with Gradebook(url) as gb:
        needs = {g: gb.find_grade(g, "nb", "a", "s").needs_manual_grade for g in ("t1", "t2")}
    assert needs == {"t1": True, "t2": True}, needs


def test_preprocessor_leaves_an_honest_notebook_alone():
    nb = small_notebook("def f(x):\n    return x")
    before = copy.deepcopy(nb)
    # No gradebook is touched: resources without nbgrader's entries would fail if it were.
    after, _ = FlagSuspiciousCode().preprocess(nb, {})
    assert after == before, "an honest notebook must come out unchanged"


def test_preprocessor_flags_a_notebook_it_cannot_scan_instead_of_failing(gradebook_url,
                                                                          monkeypatch):
    from nbgrader.api import Gradebook

    from course_tools import static_scan

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the scan")

    monkeypatch.setattr(static_scan, "scan_cells", broken)
    nb = small_notebook("def f(x):\n    return x")
    resources = {"nbgrader": {"notebook": "nb", "assignment": "a", "student": "s",
                              "db_url": gradebook_url}}
    nb, _ = FlagSuspiciousCode().preprocess(nb, resources)
    with Gradebook(gradebook_url) as gb:
        comment = gb.find_comment("f", "nb", "a", "s").auto_comment
        flagged = gb.find_submission_notebook("nb", "a", "s").flagged
    assert flagged and "could not read this notebook (RuntimeError)" in comment, comment


def test_preprocessor_outside_nbgrader_says_what_is_missing():
    nb = small_notebook("import os")
    with pytest.raises(ValueError, match="notebook, assignment, student, db_url"):
        FlagSuspiciousCode().preprocess(nb, {})


# -- the real pipeline ------------------------------------------------------------------------

#: The line proposed for nbgrader_config.py (nbgrader's default list, then the scan).
CONFIG_LINES = '''
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
    "course_tools.static_scan.FlagSuspiciousCode",
]
'''
HONEST_SUBMISSION = ("sigmoid_scalar_loop", "tanh_decorator_and_lambda", "relu_list_comprehension",
                     "elu_softplus_masks", "softmax_row_loop", "cross_entropy_take_along_axis")
CHEATING_SUBMISSION = {
    "sigmoid": "from course_lib.activations import sigmoid\n",
    "softmax": "import builtins\nbuiltins.abs = abs  # harmless, but monkeypatching\n\n\n"
               + "def softmax(z):\n    z = np.asarray(z, dtype=float)\n"
               + "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
               + "    return e / e.sum(axis=-1, keepdims=True)\n",
}


@pytest.fixture(scope="module")
def flagged_course(generated_course, tmp_path_factory):
    """A copy of the generated course whose nbgrader_config.py ends with CONFIG_LINES, with two
    submissions (honest variants; a reference import and a monkeypatch), autograded and given
    feedback by nbgrader's own commands."""
    course = tmp_path_factory.mktemp("scan") / "course"
    course.mkdir()
    for name in ("source", "release"):
        shutil.copytree(generated_course / name, course / name)
    shutil.copy2(generated_course / "gradebook.db", course / "gradebook.db")
    config = (generated_course / "nbgrader_config.py").read_text() + CONFIG_LINES
    (course / "nbgrader_config.py").write_text(config)
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    honest = {}
    for stem in HONEST_SUBMISSION:
        honest.update(read_variant(VARIANTS / f"{stem}.py"))
    for student, answers in (("honest", honest), ("cheating", CHEATING_SUBMISSION)):
        nb = build_submission(release, source_notebook(), {"base": "answer_key"})
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
                cell.source = answers[grade_id]
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
    autograde = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    feedback = nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return dict(course=course, autograde=autograde, feedback=feedback)


def gradebook_state(course: Path, student: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        auto = {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades
                if g.cell.cell_type == "code"}
        comments = {c.name: c.auto_comment for c in nb.comments}
        listed = {d["student"]: d for d in gb.notebook_submission_dicts(NOTEBOOK, ASSIGNMENT)}
        return dict(auto=auto, comments=comments, flagged=nb.flagged, listed=listed[student])


@pytest.mark.slow
def test_autograde_with_the_scan_flags_the_cheat_and_not_the_honest_student(flagged_course):
    course = flagged_course["course"]
    for step in ("autograde", "feedback"):
        result = flagged_course[step]
        assert result.returncode == 0, f"nbgrader {step} failed:\n{result.stdout}\n{result.stderr}"
    log = flagged_course["autograde"].stdout + flagged_course["autograde"].stderr
    assert "cheating, activations_and_losses: flagged for review" in log, (
        "autograde's log must name the flagged student")
    assert "honest, activations_and_losses: flagged" not in log, "the honest student is named"
    honest = gradebook_state(course, "honest")
    cheating = gradebook_state(course, "cheating")

    lost = {g: f"{s}/{m}" for g, (s, m, _) in honest["auto"].items() if s != m}
    assert not lost, f"the honest variants must earn every automatic point: {lost}"
    assert not honest["flagged"] and not any(n for _, _, n in honest["auto"].values()), honest
    assert not any(REVIEW_HEADING in (c or "") for c in honest["comments"].values()), honest

    assert cheating["flagged"] and cheating["listed"]["flagged"], "formgrader's flag column"
    assert cheating["listed"]["needs_manual_grade"], cheating["listed"]
    sigmoid_comment = cheating["comments"]["sigmoid"] or ""
    assert sigmoid_comment.startswith(REVIEW_HEADING) and "reference-implementation" in \
        sigmoid_comment and "course_lib.activations.sigmoid" in sigmoid_comment, sigmoid_comment
    assert "replaces `builtins.abs`" in (cheating["comments"]["softmax"] or ""), cheating
    review = {g for g, (_, _, needs) in cheating["auto"].items() if needs}
    assert review == {"test_sigmoid_values", "test_sigmoid_stable", "hidden_sigmoid",
                      "test_softmax_values", "test_softmax_stable", "test_softmax_vector",
                      "hidden_softmax",
                      "test_cross_entropy_values", "test_cross_entropy_stable",
                      "hidden_cross_entropy"}, sorted(review)

    graded = nbformat.read(course / "autograded" / "cheating" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                           as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in graded.cells]
    for grade_id in ("sigmoid", "softmax"):
        note = graded.cells[ids.index(grade_id) + 1]
        assert note.cell_type == "markdown" and REVIEW_HEADING in note.source, note
    nbformat.validate(graded)

    page = course / "feedback" / "cheating" / ASSIGNMENT / f"{NOTEBOOK}.html"
    text = visible_text(page.read_text())
    assert text.count(REVIEW_HEADING) >= 4, "the notes and the comments of both cells"
    assert "course_lib.activations.sigmoid" in text and "builtins.abs" in text, (
        "the feedback must say what was flagged")
    honest_page = course / "feedback" / "honest" / ASSIGNMENT / f"{NOTEBOOK}.html"
    assert REVIEW_HEADING not in visible_text(honest_page.read_text()), (
        "the honest student's feedback must not mention a review")


@pytest.mark.slow
def test_formgrader_shows_the_note_in_the_submission_view(flagged_course):
    """Formgrader renders the autograded notebook with its 'formgrade' template."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    course = flagged_course["course"]
    exporter = HTMLExporter(template_name="formgrade",
                            extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": ASSIGNMENT, "notebook_id": NOTEBOOK, "submission_id": "x",
                 "index": 0, "total": 2, "base_url": "", "student": "cheating",
                 "last_name": None, "first_name": None, "notebook_path": "x"}
    html, _ = exporter.from_filename(
        str(course / "autograded" / "cheating" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"),
        resources=resources)
    text = visible_text(html)
    assert REVIEW_HEADING in text and "course_lib.activations.sigmoid" in text, (
        "the formgrade view must show the note")


def test_a_parse_that_the_interpreter_fails_once_is_tried_again(monkeypatch):
    """CPython 3.11's ast.parse can raise "SystemError: AST constructor recursion depth
    mismatch" when another parse interleaves (python/cpython#106905); an honest notebook must
    not be flagged for it."""
    import ast

    from course_tools import static_scan

    real, failures = ast.parse, []

    def flaky(code, *args, **kwargs):
        if len(failures) < 2:
            failures.append(code)
            raise SystemError("AST constructor recursion depth mismatch (before=51, after=54)")
        return real(code, *args, **kwargs)

    nb = nbformat.read(COURSE_ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    monkeypatch.setattr(static_scan.ast, "parse", flaky)
    assert scan_cells(nb) == []
    assert len(failures) == 2, "the fault was raised and survived"
    monkeypatch.setattr(static_scan.ast, "parse",
                        lambda *a, **k: (_ for _ in ()).throw(SystemError("always")))
    with pytest.raises(SystemError):
        static_scan.parse_python("x = 1")
