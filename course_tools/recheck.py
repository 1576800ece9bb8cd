"""Decide test cells outside the student's kernel.

Anything that runs inside the grading kernel can be subverted by the code it runs: a submission
can patch ``builtins``, numpy, the test helpers or IPython itself so that a failing test prints
nothing and "passes". So after nbgrader has executed a notebook, `RecheckOutsideKernel` runs each
autograded test cell a second time, in the trusted grading process, with the instructor's own
imports. The student's functions are not imported into that process: every call goes to a fresh
sandboxed process that ran the student's cells (`course_tools.student_runner`), and only plain
numbers come back. A check that fails there fails the cell, whatever the kernel printed; the
score of a cell is therefore never more than the score its code earns on honest numbers.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Unicode

from . import sandbox
from .student_runner import decode, encode

RUNNER_SOURCE = (Path(__file__).parent / "student_runner.py").read_text()
MAGIC_LINE = re.compile(r"^(\s*)[%!].*$", re.M)


class RunnerError(Exception):
    """The student process died, timed out or answered nonsense."""


class StudentProcess:
    """A sandboxed Python process that holds the student's namespace."""

    def __init__(self, workdir: Path, course_root: Path, hidden: list[Path],
                 use_sandbox: bool = True, limits: sandbox.Limits = sandbox.Limits()):
        inner = [sys.executable, "-I", "-c", RUNNER_SOURCE]
        if use_sandbox:
            self.uid = sandbox.sandbox_uid()
            self.scratch = sandbox.make_scratch(self.uid, copy_from=workdir)
            cmd = sandbox.sandbox_command(inner, scratch=self.scratch, uid=self.uid,
                                          hidden=[course_root, *hidden], limits=limits,
                                          course_root=course_root)
        else:
            self.scratch = None
            cmd = inner
        env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
        env["MPLBACKEND"] = "Agg"
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=self.scratch or workdir,
                                     env=env, text=True, bufsize=1)

    def request(self, message: dict, timeout: float) -> dict:
        if self.proc.poll() is not None:
            raise RunnerError("the student's code process has ended")
        message = dict(message, timeout=timeout)
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise RunnerError(f"the student's code process stopped listening ({exc})")
        deadline = time.monotonic() + timeout + 5.0
        ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            self.close()
            raise RunnerError("the student's code did not answer in time")
        line = self.proc.stdout.readline()
        if not line:
            raise RunnerError("the student's code process died (memory, a signal, or os._exit)")
        try:
            return json.loads(line)
        except ValueError:
            raise RunnerError("the student's code process answered something unreadable")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _exception(error: dict) -> Exception:
    cls = getattr(builtins, error.get("type", ""), None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(error.get("message", ""))
        except Exception:
            pass
    return RuntimeError(f"{error.get('type')}: {error.get('message', '')}")


class Opaque:
    """Stands for an object the student's function returned that is not plain numbers."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"


def _to_local(obj):
    value = decode(obj)
    if isinstance(value, dict) and "__opaque__" in value:
        return Opaque(value["__opaque__"])
    if isinstance(value, tuple):
        return tuple(_to_local_value(v) for v in value)
    return value


def _to_local_value(v):
    if isinstance(v, dict) and "__opaque__" in v:
        return Opaque(v["__opaque__"])
    return v


class StudentFunction:
    """Calls a function of the student's namespace in the student's process."""

    def __init__(self, process: StudentProcess, name: str, timeout: float):
        self.process, self.__name__, self.timeout = process, name, timeout

    def __call__(self, *args, **kwargs):
        reply = self.process.request({"op": "call", "name": self.__name__,
                                      "args": [encode(a) for a in args],
                                      "kwargs": {k: encode(v) for k, v in kwargs.items()}},
                                     timeout=self.timeout)
        for original, after in zip(args, reply.get("args_after", [])):
            changed = _to_local(after)
            if (isinstance(original, np.ndarray) and isinstance(changed, np.ndarray)
                    and changed.shape == original.shape and original.flags.writeable):
                original[...] = changed  # mirror an in-place change, so that it is caught
        for category, text in reply.get("warnings", []):
            warnings.warn(text, RuntimeWarning if category == "RuntimeWarning" else UserWarning)
        if "error" in reply:
            raise _exception(reply["error"])
        return _to_local(reply.get("value"))


def strip_magics(code: str) -> str:
    """IPython magics and shell escapes do not run in plain Python; drop them."""
    if code.lstrip().startswith("%%"):
        return ""
    return MAGIC_LINE.sub(r"\1pass", code)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {}) if cell.cell_type == "code" else {}


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_instructor_setup(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")


def recheck_notebook(nb, workdir: Path, course_root: Path, hidden: list[Path], *,
                     use_sandbox: bool = True, cell_timeout: float = 60.0,
                     call_timeout: float = 20.0) -> dict[str, str | None]:
    """Run the notebook's test cells in this process against the student's functions.

    Returns grade_id -> None (passed) or the failure message, for every autograded test cell.
    """
    verdicts: dict[str, str | None] = {}
    tests = [c for c in nb.cells if is_test_cell(c)]
    if not tests:
        return verdicts
    trusted: dict = {"__name__": "__recheck__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cell in nb.cells:
            if is_instructor_setup(cell):
                exec(compile(strip_magics(cell.source), "<setup>", "exec"), trusted)
    protected = set(trusted)
    process = StudentProcess(workdir, course_root, hidden, use_sandbox=use_sandbox)
    try:
        # Cells run in notebook order, as in the kernel: a test sees the student's functions
        # as they are at that point, and a process that dies takes only the later tests along.
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if not is_test_cell(cell):
                try:
                    process.request({"op": "exec", "code": strip_magics(cell.source)},
                                    timeout=cell_timeout)
                except RunnerError:
                    pass
                continue
            try:
                names = process.request({"op": "names"}, timeout=call_timeout).get("names", [])
            except RunnerError:
                names = []
            namespace = {k: v for k, v in trusted.items()}
            for name in names:
                if name not in protected:
                    namespace[name] = StudentFunction(process, name, call_timeout)
            grade_id = _nbgrader(cell)["grade_id"]
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, f"<test {grade_id}>", "exec"), namespace)
                verdicts[grade_id] = None
            except (Exception, RunnerError) as exc:
                verdicts[grade_id] = f"{type(exc).__name__}: {exc}"
    finally:
        process.close()
    return verdicts


class RecheckOutsideKernel(Preprocessor):
    """nbgrader autograde preprocessor: fail every test cell whose re-check fails.

    Put it right after ``Execute`` in ``c.Autograde.autograde_preprocessors``.
    """

    enabled = Bool(True).tag(config=True)
    use_sandbox = Bool(True, help="Run the student's code in the sandbox.").tag(config=True)
    course_root = Unicode(str(sandbox.COURSE_ROOT)).tag(config=True)
    hidden_path = Unicode("", help="Another folder to hide (e.g. the exchange).").tag(config=True)
    cell_timeout = Float(60.0).tag(config=True)

    def preprocess(self, nb, resources):
        workdir = Path(resources.get("metadata", {}).get("path") or os.getcwd())
        hidden = [Path(self.hidden_path)] if self.hidden_path else []
        if self.use_sandbox:
            ok, why = sandbox.sandbox_available()
            if not ok:
                raise RuntimeError(f"cannot re-check outside the kernel in a sandbox: {why}")
        verdicts = recheck_notebook(nb, workdir, Path(self.course_root), hidden,
                                    use_sandbox=self.use_sandbox, cell_timeout=self.cell_timeout)
        for cell in nb.cells:
            grade_id = _nbgrader(cell).get("grade_id")
            failure = verdicts.get(grade_id)
            if failure is None:
                continue
            if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
                continue  # already failed in the kernel
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="RecheckFailed",
                evalue=f"This test passed in the notebook but failed when it was checked again "
                       f"outside the notebook's kernel:\n{failure}",
                traceback=[f"RecheckFailed: this test failed when checked outside the "
                           f"notebook's kernel:\n{failure}"]))
            self.log.warning("test %s failed the re-check outside the kernel", grade_id)
        return nb, resources
