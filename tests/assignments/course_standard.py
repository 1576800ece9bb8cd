"""The course standard that every assignment meets, as a checker that names what falls short.

``standard_problems(assignment, notebook_path)`` reads a source notebook (and the assignment's
test folder) and returns one message per shortfall; tests/assignments/test_course_standard.py
asserts that each assignment of ``source/`` has none, and that a deliberately broken copy of one
has exactly the problems it was given. The named mistakes and their hints are proven on the
notebook's own public inputs by tests/assignments/test_mistake_hints.py; the answer key's running
time is measured where it is executed (test_course_standard.py).

What is checked here:

- every graded function (a function of a solution cell that a graded test cell checks) has
  public tests and hidden tests;
- hidden tests vary only kinds of input that a public test of the same function already checks:
  a large ``|x|`` (100 or more), the rank of an array (a 1-D vector, a matrix; waived where the
  docstring promises "any shape"), a batch of one, and each keyword argument given or left to its
  default;
- the cross-cutting rules of ``course_lib.grading.RULES`` are stated, word for word, in the
  markdown cell beside the setup cell, and nowhere else is a rule added;
- at least one written answer is graded by hand, and every one has a rubric beside its model
  answer (``**Rubric``);
- at least one ungraded cell builds a ``course_lib.widgets`` explorer from the student's own
  functions;
- the points that the introduction states are the points of the cells;
- the assignment's test folder has its fixtures, honest variants and wrong implementations.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import numpy as np

from course_tools.ipython_code import kernel_code

from .material import HERE, nbgrader_meta

LARGE = 100.0
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def _is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and cell.cell_type == "code"


def student_functions(nb) -> dict[str, str]:
    """name -> docstring of every function and class defined at the top of a solution cell."""
    found = {}
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            for node in ast.parse(cell.source).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    found[node.name] = ast.get_docstring(node) or ""
    return found


def _array_kinds(value, any_shape: bool) -> set[str]:
    try:
        arr = np.asarray(value)
    except Exception:
        return set()
    if arr.dtype.kind not in "biuf":
        return set()
    kinds = set()
    if arr.size and np.max(np.abs(arr.astype(float))) >= LARGE:
        kinds.add("a large |x| (100 or more)")
    if not any_shape:
        kinds.add({0: "a scalar", 1: "a 1-D vector"}.get(arr.ndim, "an array of rank 2 or more"))
        if arr.ndim >= 2 and arr.shape[0] == 1:
            kinds.add("a batch of one")
    return kinds


def input_kinds(call, any_shape: bool, keywords: set[str]) -> set[str]:
    """The kinds of input of one recorded check (see the module docstring)."""
    kinds = set()
    for position, value in enumerate(call.args):
        kinds |= {f"argument {position}: {k}" for k in _array_kinds(value, any_shape)}
    for name in keywords:
        kinds.add(f"{name} given" if name in call.kwargs else f"{name} left to its default")
    return kinds


def _hidden_kind_problems(calls, docs: dict[str, str]) -> list[str]:
    problems = []
    graded = sorted({c.function for c in calls if c.function in docs})
    for function in graded:
        public = [c for c in calls if c.function == function and not c.hidden]
        hidden = [c for c in calls if c.function == function and c.hidden]
        if not public:
            problems.append(f"{function}: no public test checks it")
        if not hidden:
            problems.append(f"{function}: no hidden test checks it")
        if not public or not hidden:
            continue
        any_shape = "any shape" in docs[function]
        keywords = {k for c in public + hidden for k in c.kwargs}
        seen = set().union(*(input_kinds(c, any_shape, keywords) for c in public))
        for call in hidden:
            unstated = sorted(input_kinds(call, any_shape, keywords) - seen)
            if unstated:
                problems.append(f"{function}: the hidden test {call.cell} checks "
                                f"{', '.join(unstated)}, which no public test of {function} does")
    return sorted(set(problems))


def _rules_problems(nb) -> list[str]:
    from course_lib.grading import RULES

    index = next((i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == "setup"),
                 None)
    if index is None:
        return ["the notebook has no setup cell (grade_id 'setup')"]
    beside = [c for c in nb.cells[max(index - 1, 0):index + 2] if c.cell_type == "markdown"]
    text = " ".join(re.sub(r"\s+", " ", c.source) for c in beside)
    missing = [rule for rule in RULES if re.sub(r"\s+", " ", rule) not in text]
    return [f"the rule {rule!r} of course_lib.grading.RULES is not stated beside the setup cell"
            for rule in missing]


def _written_answer_problems(nb) -> list[str]:
    answers = [c for c in nb.cells
               if nbgrader_meta(c).get("grade") and c.cell_type == "markdown"]
    if not answers:
        return ["no written answer is graded by hand"]
    return [f"the written answer {nbgrader_meta(c)['grade_id']} has no rubric (**Rubric ...) "
            f"beside its model answer" for c in answers if "**Rubric" not in c.source]


def _explorer_classes() -> set[str]:
    from course_lib import widgets

    names = set(vars(widgets)) | set(getattr(widgets, "__all__", ()))
    return {name for name in names
            if isinstance(getattr(widgets, name, None), type)
            and issubclass(getattr(widgets, name), widgets.Explorer)
            and getattr(widgets, name) is not widgets.Explorer}


def _widget_problems(nb, functions: set[str]) -> list[str]:
    explorers = _explorer_classes()
    for cell in nb.cells:
        if cell.cell_type != "code" or nbgrader_meta(cell).get("grade"):
            continue
        try:
            tree = ast.parse(kernel_code(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and (
                    (isinstance(node.func, ast.Name) and node.func.id in explorers)
                    or (isinstance(node.func, ast.Attribute)  # a preset: GraphExplorer.x(...)
                        and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in explorers)):
                used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & functions
                if used:
                    return []
    return ["no ungraded cell builds a course_lib.widgets explorer from the student's functions"]


def _points_problems(nb) -> list[str]:
    auto = sum(nbgrader_meta(c).get("points", 0) for c in nb.cells
               if nbgrader_meta(c).get("grade") and c.cell_type == "code")
    manual = sum(nbgrader_meta(c).get("points", 0) for c in nb.cells
                 if nbgrader_meta(c).get("grade") and c.cell_type == "markdown")
    text = re.sub(r"\s+", " ", nb.cells[0].source)
    stated = re.search(r"(\d+) points: (\d+) by automatic tests.*?(\d+) for written answers", text)
    if not stated:
        return ["the introduction does not state 'N points: A by automatic tests ... M for "
                "written answers'"]
    total, a, m = (int(g) for g in stated.groups())
    if (total, a, m) != (auto + manual, auto, manual):
        return [f"the introduction states {total} points ({a} automatic, {m} by hand); the cells "
                f"carry {auto + manual:g} ({auto:g} automatic, {manual:g} by hand)"]
    parts = []
    for cell in nb.cells:
        heading = re.match(r"## (Part \d+|Reflection)[^(\n]*\((\d+) points?\)", cell.source)
        if heading:
            parts.append(int(heading.group(2)))
    if parts and sum(parts) != auto + manual:
        return [f"the parts' headings add up to {sum(parts)} points; the cells carry "
                f"{auto + manual:g}"]
    return []


def _folder_problems(name: str) -> list[str]:
    folder = HERE / name
    wanted = {"fixtures.toml": "the fixture submissions",
              "honest_variants": "honest variants",
              "wrong_implementations.py": "the wrong implementations of the named mistakes"}
    return [f"tests/assignments/{name}/{item} is missing ({what})"
            for item, what in wanted.items() if not (folder / item).exists()]


def standard_problems(name: str, notebook_path: Path) -> list[str]:
    """Every way in which one source notebook falls short of the course standard."""
    from .notebook_calls import check_calls

    nb = nbformat.read(notebook_path, as_version=4)
    docs = student_functions(nb)
    problems = []
    graded_cells = [c for c in nb.cells if _is_test(c)]
    if not graded_cells:
        problems.append("the notebook has no graded test cell")
    else:
        problems += _hidden_kind_problems(check_calls(Path(notebook_path)), docs)
    problems += _rules_problems(nb)
    problems += _written_answer_problems(nb)
    problems += _widget_problems(nb, set(docs))
    problems += _points_problems(nb)
    problems += _folder_problems(name)
    return problems
