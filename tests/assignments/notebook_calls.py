"""The checks a notebook's test cells make, recorded by running the notebook's answer key.

``check_calls(source_notebook)`` executes, in-process and in one fresh namespace, the notebook's
setup cell, every solution code cell (the answer key: region markers removed) and every graded
test cell (hidden tests included, markers removed), in notebook order; other cells (try-it
cells, widgets, plots) are skipped. ``check_function`` in that namespace is replaced by a
wrapper that records each call, then makes the real check on the answer key. So a test that
asks "does this wrong implementation fail a public check?" uses exactly the inputs, references
and options that the notebook's test cells use, never inputs of its own::

    calls = check_calls(COURSE_ROOT / "source/01_.../activations_and_losses.ipynb")
    public = [c for c in calls if c.function == "sigmoid" and not c.hidden]
    public[0].check(wrong_sigmoid)        # raises AssertionError as the test cell would

Recordings are cached per notebook path and modification time.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import importlib.util
import inspect
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat
from nbgrader.utils import is_grade, is_solution

from course_lib import grading
from course_lib.grading import check_function as _real_check_function
from course_lib.grading import engine_check, epochs_check
from course_tools.generate import strip_region_markers
from course_tools.ipython_code import kernel_code, outside_kernel_namespace

__all__ = ["CheckCall", "check_calls", "answer_key_functions", "load", "student_function"]

_HIDDEN_BEGIN = re.compile(r"^\s*#+\s*BEGIN HIDDEN TESTS\s*$")
_HIDDEN_END = re.compile(r"^\s*#+\s*END HIDDEN TESTS\s*$")
_CHECK_DEFAULTS = {name: p.default for name, p in
                   inspect.signature(_real_check_function).parameters.items()
                   if p.kind is inspect.Parameter.KEYWORD_ONLY}


@dataclass(frozen=True)
class CheckCall:
    """One call of ``check_function`` made by a graded test cell.

    ``mistakes``, ``rtol``, ``atol``, ``output_names``, ``arg_names``, ``name``,
    ``allow_warnings`` and ``outputs`` are the options of the call (check_function's defaults where the cell
    gave none); ``answer_key_failure`` is the message if the answer key failed this check.
    """

    cell: str
    hidden: bool
    function: str
    args: tuple
    kwargs: dict
    expected: Any
    mistakes: tuple = ()
    rtol: float = _CHECK_DEFAULTS["rtol"]
    atol: float = _CHECK_DEFAULTS["atol"]
    output_names: Any = None
    arg_names: Any = None
    name: str | None = None
    allow_warnings: bool = False
    outputs: Any = None
    answer_key_failure: str | None = None
    options: dict = field(default_factory=dict, repr=False)

    def check(self, func: Callable) -> None:
        """Make the same check on ``func`` (raises AssertionError as the test cell would)."""
        _real_check_function(func, copy.deepcopy(self.args), self.expected,
                             kwargs=copy.deepcopy(self.kwargs), **self.options)

    def failure(self, func: Callable) -> str | None:
        """The check's failure message for ``func``, or None if it passes."""
        try:
            self.check(func)
        except AssertionError as exc:
            return str(exc)
        return None

    def __str__(self) -> str:
        return f"{self.cell}{' (hidden)' if self.hidden else ''}: {self.function}"


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _hidden_lines(source: str) -> tuple[str, set[int]]:
    """The source with hidden-test markers blanked (line numbers kept) and its hidden lines."""
    lines, hidden, inside = source.split("\n"), set(), False
    for number, line in enumerate(lines, start=1):
        if _HIDDEN_BEGIN.match(line):
            inside, lines[number - 1] = True, ""
        elif _HIDDEN_END.match(line):
            inside, lines[number - 1] = False, ""
        elif inside:
            hidden.add(number)
    return "\n".join(lines), hidden


@dataclass
class _Recording:
    calls: list = field(default_factory=list)
    functions: dict = field(default_factory=dict)


def _record(path: Path) -> _Recording:
    nb = nbformat.read(path, as_version=4)
    # The names IPython gives every cell; magics run as the re-check runs them.
    namespace: dict = outside_kernel_namespace({"__name__": f"notebook_{path.stem}"})
    recording = _Recording()
    hidden_lines: dict[str, set[int]] = {}

    def recording_check_function(*args, **kwargs):
        if sys._getframe(1).f_code.co_filename == grading.__file__:
            return _real_check_function(*args, **kwargs)  # check_value's own check
        bound = inspect.signature(_real_check_function).bind(*args, **kwargs)
        given = dict(bound.arguments)
        func, call_args, expected = given.pop("func"), given.pop("args"), given.pop("expected")
        call_kwargs = given.pop("kwargs", None) or {}
        hidden, cell = False, None
        frame = sys._getframe(1)
        while frame is not None:  # the frame of the test cell's code, however deep the call
            if frame.f_code.co_filename in hidden_lines:
                cell = frame.f_code.co_filename
                hidden = frame.f_lineno in hidden_lines[cell]
                break
            frame = frame.f_back
        failure = None
        try:
            _real_check_function(func, args=call_args, expected=expected, kwargs=call_kwargs,
                                 **given)
        except AssertionError as exc:
            failure = str(exc)
        options = dict(given)
        recording.calls.append(CheckCall(
            cell=cell[len("<cell "):-1] if cell else "?", hidden=hidden,
            function=getattr(func, "__name__", repr(func)),
            args=copy.deepcopy(tuple(call_args)), kwargs=copy.deepcopy(dict(call_kwargs)),
            expected=expected,
            **{k: (tuple(v) if k == "mistakes" else v) for k, v in options.items()},
            answer_key_failure=failure, options=options))

    grading.check_function = recording_check_function  # also for `from ... import` in cells
    try:
        _run_cells(path, nb, namespace, recording, hidden_lines, recording_check_function)
    finally:
        grading.check_function = _real_check_function
    return recording


def _run_cells(path, nb, namespace, recording, hidden_lines, recording_check_function):
    setup_done = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = _meta(cell).get("grade_id", f"cell {index}")
        if is_solution(cell):
            source = strip_region_markers(cell.source)
            tag = f"<solution {grade_id}>"
        elif is_grade(cell):
            source, hidden = _hidden_lines(cell.source)
            tag = f"<cell {grade_id}>"
            hidden_lines[tag] = hidden
        elif not setup_done:  # the notebook's one setup cell: the first other code cell
            source, tag = cell.source, f"<setup {grade_id}>"
        else:
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the cells' "... is correct."
                exec(compile(kernel_code(source), tag, "exec"), namespace)
        except Exception as exc:
            raise RuntimeError(f"{path.name}: cell {grade_id!r} of the answer key raised "
                               f"{type(exc).__name__}: {exc}") from exc
        if tag.startswith("<setup"):
            setup_done = True
            namespace["check_function"] = recording_check_function
        if tag.startswith("<solution"):
            recording.functions.update(
                (k, v) for k, v in namespace.items()
                if inspect.isfunction(v) and v.__code__.co_filename == tag)


@functools.lru_cache(maxsize=16)
def _cached(path: str, mtime_ns: int) -> _Recording:
    return _record(Path(path))


def _recording(source_notebook: Path) -> _Recording:
    path = Path(source_notebook).resolve()
    return _cached(str(path), path.stat().st_mtime_ns)


def check_calls(source_notebook: Path) -> list[CheckCall]:
    """Every ``check_function`` call of the notebook's graded test cells, in order."""
    return list(_recording(source_notebook).calls)


def answer_key_functions(source_notebook: Path) -> dict[str, Callable]:
    """The functions that the notebook's solution cells define, as the answer key writes them."""
    return dict(_recording(source_notebook).functions)


def load(path: Path):
    """A Python file of an assignment's test folder (not a package), as a module."""
    spec = importlib.util.spec_from_file_location(f"{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def student_function(source_notebook: Path, function: str, code: str):
    """What a student's solution cell defines under ``function``, exec'd beside np, math and
    the answer key's other functions; a class (an engine) comes back wrapped in
    ``engine_check`` and a generator function (a mini-batch iterator) in ``epochs_check``, as the
    notebooks' test cells wrap them, so that it is checked like a function."""
    import math

    import numpy as np

    namespace = {"np": np, "math": math, **answer_key_functions(source_notebook)}
    exec(compile(code, f"<student {function}>", "exec"), namespace)
    found = namespace[function]
    if isinstance(found, type):
        return engine_check(found)
    return epochs_check(found) if inspect.isgeneratorfunction(found) else found

