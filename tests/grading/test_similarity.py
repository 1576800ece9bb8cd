"""The similarity report (course_tools.similarity) on fixture submissions of assignment 01.

Every submission is built from the committed release notebook, in a temporary copy of the course:
the answer key; an honest solution written independently with loops; a copy of that solution
with renamed variables and new comments; the bodies of course_lib's reference functions pasted
under the release's docstrings; two untouched releases; and a corrupt notebook. No kernel and no
nbgrader run: the report reads the notebooks' JSON and calls copydetect.
"""
from __future__ import annotations

import ast
import copy
import inspect
import io
import textwrap
import tokenize
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib import activations, losses
from course_tools import similarity
from course_tools.similarity import (DEFAULT_THRESHOLD, SimilarityError, SkippedNotebookWarning,
                                     similarity_report)

from ..conftest import COURSE_ROOT, copy_course
from ..pipeline.test_nbgrader_pipeline import ASSIGNMENT, NOTEBOOK, build_submission

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"

# An honest solution, written independently of the answer key: loops, boolean masks, logaddexp.
LOOP_BODIES = {
    "sigmoid": """\
    arr = np.array(x, dtype=float)
    out = np.empty_like(arr)
    flat_in, flat_out = arr.ravel(), out.ravel()
    for i in range(flat_in.size):
        v = flat_in[i]
        if v >= 0:  # exp(-v) <= 1 here
            flat_out[i] = 1.0 / (1.0 + np.exp(-v))
        else:  # exp(v) < 1 here
            ev = np.exp(v)
            flat_out[i] = ev / (1.0 + ev)
    return out""",
    "sigmoid_grad": """\
    sig = sigmoid(x)
    return sig - sig ** 2""",
    "tanh": """\
    return 2.0 * sigmoid(2.0 * np.asarray(x, dtype=float)) - 1.0""",
    "tanh_grad": """\
    return 1.0 - np.square(tanh(x))""",
    "relu": """\
    values = np.array(x, dtype=float)  # a copy: the caller's array stays as it was
    values[values < 0] = 0.0
    return values""",
    "relu_grad": """\
    return np.where(np.asarray(x) > 0, 1.0, 0.0)""",
    "leaky_relu": """\
    values = np.array(x, dtype=float)
    return np.maximum(values, alpha * values)""",
    "leaky_relu_grad": """\
    slope = np.full(np.shape(x), float(alpha))
    slope[np.asarray(x) > 0] = 1.0
    return slope""",
    "elu": """\
    values = np.array(x, dtype=float)
    negative = values <= 0
    values[negative] = alpha * np.expm1(values[negative])  # only where x <= 0: no overflow
    return values""",
    "softplus": """\
    values = np.asarray(x, dtype=float)
    return np.logaddexp(0.0, values)""",
    "softmax": """\
    scores = np.array(z, dtype=float)
    if scores.ndim == 1:
        return softmax(scores[None, :])[0]
    result = np.empty_like(scores)
    for row in range(scores.shape[0]):
        top = max(scores[row])  # subtract the largest logit: exponents stay <= 0
        weights = [np.exp(v - top) for v in scores[row]]
        total = sum(weights)
        result[row] = [w / total for w in weights]
    return result""",
    "softmax_cross_entropy": """\
    scores = np.asarray(logits, dtype=float)
    count = scores.shape[0]
    total = 0.0
    grad = softmax(scores)
    for i in range(count):
        label = int(y[i])
        top = np.max(scores[i])
        total += top + np.log(np.sum(np.exp(scores[i] - top))) - scores[i][label]
        grad[i, label] -= 1.0
    return total / count, grad / count""",
}

# What a student who copies the loop solution changes: every local name, and every comment.
RENAMED = {"arr": "a", "out": "res", "flat_in": "src", "flat_out": "dst", "v": "val",
           "ev": "expv", "sig": "s", "values": "vals", "slope": "grads", "negative": "neg",
           "scores": "L", "result": "P", "row": "r", "top": "m", "weights": "ws",
           "total": "acc", "w": "q", "count": "n", "grad": "g", "label": "t", "i": "k"}


def solution_cells(nb):
    return [c for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def fill_stubs(release_nb, body_of):
    """The release notebook with each function's stub replaced by ``body_of(function name)``."""
    nb = copy.deepcopy(release_nb)
    for cell in solution_cells(nb):
        for name in similarity.defined_functions(cell.source):
            assert STUB in cell.source, f"the stub of {name} is not where expected"
            cell.source = cell.source.replace(STUB, body_of(name), 1)
    return nb


def rename_and_recomment(code: str) -> str:
    """``code`` with the names of RENAMED replaced and every comment rewritten."""
    lines = code.split("\n")
    edits = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.NAME and tok.string in RENAMED:
            edits.append((tok.start, tok.end, RENAMED[tok.string]))
        elif tok.type == tokenize.COMMENT:
            edits.append((tok.start, tok.end, "# done as in the lecture"))
    for (row, start), (_, end), text in reversed(edits):
        lines[row - 1] = lines[row - 1][:start] + text + lines[row - 1][end:]
    return "\n".join(lines)


def names_in(code: str) -> set[str]:
    """The names used in ``code`` (not the words of its strings and comments)."""
    return {tok.string for tok in tokenize.generate_tokens(io.StringIO(code).readline)
            if tok.type == tokenize.NAME}


def reference_body(func) -> str:
    """The lines of a course_lib function after its docstring, indented as in a function."""
    src = textwrap.dedent(inspect.getsource(func))
    first = ast.parse(src).body[0].body[1].lineno
    return "\n".join(src.splitlines()[first - 1:])


def pasted_reference(release_nb):
    """The bodies of course_lib's functions under the release's docstrings, helpers imported."""
    modules = (activations, losses)
    nb = fill_stubs(release_nb, lambda name: reference_body(
        next(getattr(m, name) for m in modules if hasattr(m, name))))
    helpers = {}
    for cell in solution_cells(nb):
        for name in similarity.defined_functions(cell.source):
            func = next(getattr(m, name) for m in modules if hasattr(m, name))
            for used, value in inspect.getclosurevars(func).globals.items():
                if inspect.isfunction(value) and value.__module__.startswith("course_lib."):
                    helpers.setdefault(value.__module__, set()).add(used)
    first = solution_cells(nb)[0]
    first.source = "".join(f"from {module} import {', '.join(sorted(names))}\n"
                           for module, names in sorted(helpers.items())) + "\n" + first.source
    return nb


def write_submission(course: Path, folder: str, student: str, nb) -> Path:
    path = course / folder / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def release_nb():
    return nbformat.read(COURSE_ROOT / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


@pytest.fixture(scope="module")
def submissions(release_nb):
    source_nb = nbformat.read(COURSE_ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                              as_version=4)
    loops = fill_stubs(release_nb, LOOP_BODIES.__getitem__)
    copied = copy.deepcopy(loops)
    for cell in solution_cells(copied):
        cell.source = rename_and_recomment(cell.source)
    return {
        "answer_key": build_submission(release_nb, source_nb, {"base": "answer_key"}),
        "loops": loops,
        "copied_loops": copied,
        "pasted_reference": pasted_reference(release_nb),
        "untouched_1": copy.deepcopy(release_nb),
        "untouched_2": copy.deepcopy(release_nb),
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory, submissions):
    course = copy_course(COURSE_ROOT, tmp_path_factory.mktemp("similarity") / "course")
    for student, nb in submissions.items():
        write_submission(course, "submitted", student, nb)
    corrupt = course / "submitted" / "corrupt" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"cells": [{"cell_type": "code", "source": "def sigmoid(x):')
    return course


@pytest.fixture(scope="module")
def report(course):
    """The report at the default threshold, every score (threshold 1%), and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pairs = similarity_report(course, ASSIGNMENT)
        every = similarity_report(course, ASSIGNMENT, threshold=0.01)
    return dict(pairs=pairs, every=every, warnings=[w for w in caught
                                                    if w.category is SkippedNotebookWarning])


def as_dict(pairs):
    return {(p.student, p.other): p for p in pairs}


def score(pairs, a, b):
    found = as_dict(pairs)
    pair = found.get((a, b)) or found.get((b, a))
    return pair.similarity if pair else 0.0


# ---------------------------------------------------------------------------------------------
# The fixtures are what they claim to be
# ---------------------------------------------------------------------------------------------
def test_the_loop_solution_is_correct_and_honest(submissions):
    namespace = {"np": np}
    exec(similarity.solution_code(submissions["loops"]), namespace)
    x = np.array([-1000.0, -3.0, -0.5, 0.0, 0.5, 3.0, 1000.0])
    for name in ("sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
                 "leaky_relu", "leaky_relu_grad", "elu", "softplus"):
        np.testing.assert_allclose(namespace[name](x), getattr(activations, name)(x),
                                   rtol=1e-12, atol=1e-12,
                                   err_msg=f"the loop solution's {name} is wrong")
    logits = np.array([[2.0, -1.0, 0.5], [1000.0, 0.0, -1000.0]])
    labels = np.array([0, 2])
    np.testing.assert_allclose(namespace["softmax"](logits), losses.softmax(logits), rtol=1e-12,
                               err_msg="the loop solution's softmax is wrong")
    loss, grad = namespace["softmax_cross_entropy"](logits, labels)
    ref_loss, ref_grad = losses.softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(ref_loss, rel=1e-12), "the loop solution's loss is wrong"
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15,
                               err_msg="the loop solution's gradient is wrong")


def test_the_copy_changes_every_comment_and_the_local_names(submissions):
    original = similarity.solution_code(submissions["loops"])
    copied = similarity.solution_code(submissions["copied_loops"])
    assert copied != original, "the copy is verbatim"
    for name in ("flat_in", "weights", "slope", "scores"):
        assert name in names_in(original) and name not in names_in(copied), (
            f"the copy still uses the name {name}")
    assert "exp(-v) <= 1 here" in original and "exp(-v) <= 1 here" not in copied, (
        "the copy kept a comment of the original")


# ---------------------------------------------------------------------------------------------
# What the report finds
# ---------------------------------------------------------------------------------------------
def test_a_copy_with_renamed_variables_and_new_comments_is_reported(report):
    pair = as_dict(report["pairs"]).get(("copied_loops", "loops"))
    assert pair is not None, f"the copy is not reported; reported: {list(as_dict(report['pairs']))}"
    assert pair.similarity > 0.9, f"a renamed copy should match almost entirely: {pair}"


def test_pasting_course_lib_is_reported_near_the_reference(report):
    near = {p.student: p for p in report["pairs"] if p.with_reference}
    assert "pasted_reference" in near, f"the pasted reference is not reported; near: {list(near)}"
    assert near["pasted_reference"].similarity > 0.8, near["pasted_reference"]
    honest = {"answer_key", "loops"} & set(near)
    assert not honest, f"honest solutions reported near the reference: {honest}"


def test_two_honest_solutions_are_not_reported(report):
    assert score(report["pairs"], "answer_key", "loops") == 0.0, (
        "the answer key and the loop solution are reported as similar")
    measured = score(report["every"], "answer_key", "loops")
    # Both keep the release's docstrings and start with np.asarray(x, dtype=float): some overlap,
    # far below the threshold.
    assert 0 < measured < DEFAULT_THRESHOLD - 0.15, (
        f"answer key vs loop solution scored {measured:.2f}; expected a little overlap, far "
        f"below the threshold {DEFAULT_THRESHOLD}")


def test_the_release_stubs_do_not_make_students_similar(report, submissions):
    assert (similarity.solution_code(submissions["untouched_1"])
            == similarity.solution_code(submissions["untouched_2"])), "fixtures differ"
    involved = [p for p in report["every"] if {"untouched_1", "untouched_2"} & {p.student, p.other}]
    assert not involved, f"untouched releases match something, even at 1%: {involved}"


def test_the_threshold_only_filters_the_same_scores(report):
    above = [p for p in report["every"] if p.similarity >= DEFAULT_THRESHOLD]
    assert report["pairs"] == above, "the default report is not the full one cut at the threshold"
    scores = [p.similarity for p in report["every"]]
    assert scores == sorted(scores, reverse=True), "pairs are not sorted by similarity"


def test_a_corrupt_notebook_is_skipped_with_a_warning(report):
    messages = [str(w.message) for w in report["warnings"]]
    assert any(m.startswith("corrupt:") and NOTEBOOK in m for m in messages), (
        f"no warning naming the student 'corrupt' and the notebook: {messages}")
    everyone = {name for p in report["every"] for name in (p.student, p.other)}
    assert "corrupt" not in everyone, "the corrupt notebook took part in the comparison"
    assert {"copied_loops", "pasted_reference"} <= everyone, "the report stopped early"


def test_reference_functions_are_found_by_name_with_their_helpers():
    found = similarity.reference_functions(["sigmoid", "softmax_cross_entropy", "no_such_thing"])
    assert activations.sigmoid in found and losses.softmax_cross_entropy in found, found
    assert activations._as_float_array in found and losses.log_softmax in found, (
        f"the helpers the reference calls are missing: {[f.__name__ for f in found]}")
    modules = {f.__module__ for f in found}
    assert not modules & {"course_lib.grading", "course_lib.mistakes", "course_lib.widgets"}, (
        f"test helpers taken for the reference: {modules}")


def test_autograded_notebooks_can_be_compared(tmp_path, submissions):
    course = copy_course(COURSE_ROOT, tmp_path / "course")
    for student in ("loops", "copied_loops", "answer_key"):
        write_submission(course, "autograded", student, submissions[student])
    pairs = similarity_report(course, ASSIGNMENT, source="autograded")
    assert [(p.student, p.other) for p in pairs] == [("copied_loops", "loops")], pairs


# ---------------------------------------------------------------------------------------------
# Command line and bad input
# ---------------------------------------------------------------------------------------------
def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = similarity.main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_command_line_prints_the_summary_and_writes_the_html_report(course, tmp_path):
    code, out, err = run_cli(ASSIGNMENT, "--course", str(course), "--out", str(tmp_path / "r"))
    assert code == 0, f"exit code {code}:\n{out}\n{err}"
    pairs_part, _, reference_part = out.partition("Near the course_lib reference:")
    assert "copied_loops <-> loops" in pairs_part, f"the copy is missing from:\n{out}"
    assert "pasted_reference" in reference_part, f"the pasted reference is missing from:\n{out}"
    assert "warning: corrupt:" in err, f"no warning about the corrupt notebook:\n{err}"
    page = (tmp_path / "r" / "report.html").read_text()
    assert "students/copied_loops.py" in page and "reference/course_lib.py" in page, (
        "the HTML report does not name the student files and the reference")
    assert "similarity-" not in page, "the HTML report shows the temporary folder's path"


def test_default_output_folder_is_in_the_course(course):
    code, out, err = run_cli(ASSIGNMENT, "--course", str(course))
    assert code == 0, f"exit code {code}:\n{out}\n{err}"
    assert (course / "reports" / "similarity" / ASSIGNMENT / "report.html").is_file(), (
        "no report in <course>/reports/similarity/<assignment>/")


@pytest.mark.parametrize("args, message", [
    (["no_such_assignment"], "no assignment 'no_such_assignment'"),
    ([ASSIGNMENT, "--from", "autograded"], "no submissions of"),
], ids=["unknown assignment", "no submissions"])
def test_bad_input_exits_2_with_a_clear_message(course, args, message):
    code, out, err = run_cli(*args, "--course", str(course))
    assert code == 2, f"expected exit code 2, got {code}:\n{out}\n{err}"
    assert message in err, f"expected {message!r} in the error message:\n{err}"


@pytest.mark.parametrize("value", ["0", "1.5", "half"])
def test_a_bad_threshold_is_refused(course, value):
    with pytest.raises(SystemExit) as exit_info, redirect_stderr(io.StringIO()) as err:
        similarity.main([ASSIGNMENT, "--course", str(course), "--threshold", value])
    assert exit_info.value.code == 2, f"--threshold {value} exited with {exit_info.value.code}"
    assert "--threshold" in err.getvalue() and value in err.getvalue(), err.getvalue()


def test_the_api_refuses_a_threshold_outside_0_1(course):
    with pytest.raises(SimilarityError, match="threshold"):
        similarity_report(course, ASSIGNMENT, threshold=1.5)


def test_every_notebook_unreadable_is_an_error(tmp_path):
    course = copy_course(COURSE_ROOT, tmp_path / "course")
    broken = course / "submitted" / "alice" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text("not a notebook")
    with pytest.warns(SkippedNotebookWarning, match="alice"), \
            pytest.raises(SimilarityError, match="no readable submission"):
        similarity_report(course, ASSIGNMENT)
