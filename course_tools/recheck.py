"""Decide test cells outside the student's kernel.

Anything that runs inside the grading kernel can be subverted by the code it runs: a submission
can patch ``builtins``, numpy, the test helpers or IPython itself so that a failing test prints
nothing and "passes". So after nbgrader has executed a notebook, `RecheckOutsideKernel` runs each
autograded test cell a second time, in the trusted grading process, with the instructor's own
imports. The student's functions are not imported into that process: every call goes to a fresh
sandboxed process that ran the student's cells (`course_tools.student_runner`), and only data
comes back: numbers, arrays, strings, and handles to the student's other objects (a node of their
``Value``), on which a test cell can compute only by asking the student's process again. A check that fails there fails the cell, whatever the kernel printed; the
score of a cell is therefore never more than the score its code earns on honest numbers.
"""
from __future__ import annotations

import atexit
import builtins
import contextlib
import io
import json
import os
import secrets
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

import nbformat
import numpy as np
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Float, Unicode

from . import sandbox
from .ipython_code import kernel_code, outside_kernel_namespace
from .student_runner import decode, encode

RUNNER_SOURCE = (Path(__file__).parent / "student_runner.py").read_text()


class RunnerError(Exception):
    """The student process died, timed out or answered nonsense."""


class LineChannel:
    """One JSON request, one JSON answer per line, with a time limit on each answer.

    Answers are read byte by byte from the descriptor with a deadline, so that a student process
    that writes half a line and hangs cannot hang the grading process.
    """

    MAX_LINE_BYTES = 256 * 2**20
    _pending = b""

    def exchange(self, message: dict, timeout: float, callbacks: dict | None = None) -> dict:
        """Send a request and return its answer, answering the callbacks asked for meanwhile.

        ``callbacks`` maps a number to a function of the test cell that the request passed to
        the student's code; the whole exchange, callbacks included, gets ``timeout`` seconds.
        """
        message = dict(message, timeout=timeout)
        self._write(message)
        deadline = time.monotonic() + timeout + 5.0
        while True:
            line = self._read_line(max(0.0, deadline - time.monotonic()))
            if line is None:
                self.close()
                raise RunnerError("the student's code did not answer in time")
            if not line:
                raise RunnerError("the student's code process died (memory, a signal, or os._exit)")
            try:
                answer = json.loads(line)
            except ValueError:
                raise RunnerError("the student's code process answered something unreadable")
            if not isinstance(answer, dict):
                raise RunnerError("the student's code process answered something unreadable")
            if "callback" not in answer:
                return answer
            self._write(answer_callback(answer, callbacks or {}))

    def _write(self, message: dict) -> None:
        try:
            self._send((json.dumps(message) + "\n").encode("utf-8"))
        except (BrokenPipeError, OSError) as exc:
            raise RunnerError(f"the student's code process stopped listening ({exc})")

    def _read_line(self, timeout: float) -> bytes | None:
        """The next line; None when time ran out, b"" when the other end closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._fileno()], [], [], remaining)
            if not ready:
                return None
            try:
                chunk = self._read_some()
            except OSError:
                chunk = b""
            if not chunk or len(self._pending) > self.MAX_LINE_BYTES:
                self._pending = b""
                return b""
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line


class StudentProcess(LineChannel):
    """A sandboxed Python process of its own that holds the student's namespace."""

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
        env = sandbox.student_environment()
        env["MPLBACKEND"] = "Agg"
        # The student's IPython shell writes its profile here, never into the grader's home.
        self.ipython_dir = None
        if self.scratch is None:
            self.ipython_dir = tempfile.mkdtemp(prefix="recheck-ipython-")
            env["IPYTHONDIR"] = self.ipython_dir
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=self.scratch or workdir,
                                     env=env, bufsize=0)

    def request(self, message: dict, timeout: float, callbacks: dict | None = None) -> dict:
        if self.proc.poll() is not None:
            raise RunnerError("the student's code process has ended")
        return self.exchange(message, timeout, callbacks)

    def _send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _fileno(self) -> int:
        return self.proc.stdout.fileno()

    def _read_some(self) -> bytes:
        return os.read(self.proc.stdout.fileno(), 1 << 16)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for folder in (self.scratch, self.ipython_dir):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


class ForkedStudentProcess(LineChannel):
    """A student process forked by a `Zygote`, reached over its own Unix socket."""

    def __init__(self, connection: socket.socket, scratch: Path, zygote: "Zygote | None" = None):
        self.connection, self.scratch, self.zygote = connection, scratch, zygote
        self.closed = False

    def request(self, message: dict, timeout: float, callbacks: dict | None = None) -> dict:
        if self.closed:
            raise RunnerError("the student's code process has ended")
        return self.exchange(message, timeout, callbacks)

    def _send(self, data: bytes) -> None:
        self.connection.sendall(data)

    def _fileno(self) -> int:
        return self.connection.fileno()

    def _read_some(self) -> bytes:
        return self.connection.recv(1 << 16)

    def close(self) -> None:
        """End the student process and everything it started (the zygote kills them all)."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self.connection.close()
            if self.zygote is not None:
                self.zygote.clear()


class Zygote:
    """A sandboxed process that imported the usual modules once and forks student processes.

    Starting Python and importing numpy, matplotlib and the course's widgets takes most of a
    re-check; the zygote pays it once per grading process. It runs as the sandbox uid of this
    grading process, in a sandbox whose only writable folder is its pool. For each student it
    first kills every other process of its sandbox and empties /tmp, then forks; see
    `course_tools.student_runner`. The grading process talks to each student process over a
    socket it created itself, in a folder the sandbox uid cannot change.
    """

    PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "ipywidgets",
               "IPython.core.interactiveshell", "matplotlib_inline.backend_inline", "course_lib",
               "course_lib.grading", "course_lib.widgets", "course_lib.playground")

    #: How the runner is started, and as what (student_runner's ``__main__``).
    PYTHON_OPTIONS, MODE = ("-I",), "zygote"

    def __init__(self, course_root: Path, hidden: list[Path],
                 limits: sandbox.Limits = sandbox.Limits(), preload=None,
                 start_timeout: float = 120.0, env: dict[str, str] | None = None):
        preload = self.PRELOAD if preload is None else preload
        self.uid = sandbox.sandbox_uid()
        self.pool = Path(tempfile.mkdtemp(prefix="grading-pool-"))
        # Root mode: root's, so the sandbox uid cannot rename the sockets in it. User-namespace
        # mode: the sandbox runs as this user and could, so every name in it is unguessable and
        # the folder holds no leftovers of an earlier student when the next one is forked.
        self.pool.chmod(0o755)
        home = sandbox.make_scratch(self.uid, parent=self.pool, name="zygote")
        cmd = sandbox.sandbox_command(
            [sys.executable, *self.PYTHON_OPTIONS, "-c", RUNNER_SOURCE, self.MODE, *preload],
            scratch=home, uid=self.uid, hidden=[course_root, *hidden], binds=[self.pool],
            limits=limits, course_root=course_root)
        env = sandbox.student_environment() if env is None else dict(env)
        env.setdefault("MPLBACKEND", "Agg")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
        self.count = 0
        ready = self._read_control(start_timeout)
        if ready is None or "ready" not in ready:
            self.close()
            raise RunnerError("the sandboxed zygote did not start")
        self.loaded = ready["ready"]  # the modules of ``preload`` that it imported
        self.threads = ready.get("threads")  # how many threads it had then (1)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read_control(self, timeout: float, nonce: str | None = None) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not ready:
                return None
            line = self.proc.stdout.readline()
            if not line:
                return None
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if nonce is None or nonce in (answer.get("forked"), answer.get("cleared")):
                return answer

    def clear(self, timeout: float = 15.0) -> None:
        """Kill every process of the last student and empty /tmp now, not at the next fork.

        The student's leftovers run as this grading process's sandbox uid, the uid of its next
        grading kernel too: a fork bomb left alive would use up that uid's process limit and
        kill the next student's kernel before it starts. A zygote that does not answer in time
        is closed (the next fork starts a new one).
        """
        if not self.alive():
            return
        nonce = secrets.token_hex(16)
        try:
            self.proc.stdin.write(json.dumps({"op": "clear", "nonce": nonce}) + "\n")
            self.proc.stdin.flush()
        except OSError:
            self.close()
            return
        if self._read_control(timeout, nonce) is None:
            self.close()

    def fork(self, workdir: Path, timeout: float = 15.0) -> ForkedStudentProcess:
        """A fresh student process with a scratch copy of ``workdir``'s data files."""
        if not self.alive():
            raise RunnerError("the zygote has ended")
        self.count += 1
        name = f"student-{self.count}-{secrets.token_hex(8)}"
        scratch = sandbox.make_scratch(self.uid, copy_from=workdir, parent=self.pool, name=name)
        connection = self.fork_child({"scratch": str(scratch)}, self.pool / f"{name}.sock",
                                     timeout, "a student process")
        # Every process of the previous students is dead now: their folders can go.
        for old in self.pool.iterdir():
            if old.name.startswith("student-") and old != scratch:
                if old.is_dir():
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    old.unlink(missing_ok=True)
        connection.settimeout(None)
        return ForkedStudentProcess(connection, scratch, zygote=self)

    def fork_child(self, fields: dict, address: Path, timeout: float,
                   what: str) -> socket.socket:
        """Ask the zygote to fork a child (``fields`` go with the request) that connects to a
        socket this process listens on at ``address``; the connection."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(address))
            address.chmod(0o666)
            listener.listen(1)
            nonce = secrets.token_hex(16)
            try:
                self.proc.stdin.write(json.dumps({"op": "fork", "nonce": nonce,
                                                  "socket": str(address), **fields}) + "\n")
                self.proc.stdin.flush()
            except OSError as exc:
                raise RunnerError(f"the zygote stopped listening ({exc})")
            if self._read_control(timeout, nonce) is None:
                raise RunnerError(f"the zygote did not fork {what} in time")
            listener.settimeout(timeout)
            try:
                connection, _ = listener.accept()
            except OSError as exc:
                raise RunnerError(f"{what} did not connect ({exc})")
            return connection
        finally:
            listener.close()
            address.unlink(missing_ok=True)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.pool, ignore_errors=True)


_zygotes: dict[tuple, Zygote] = {}
FORK_TIMEOUT = 15.0  # seconds a zygote may take to clear its sandbox and fork


def _close_zygotes() -> None:
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


atexit.register(_close_zygotes)


def start_student(workdir: Path, course_root: Path, hidden: list[Path], *,
                  use_sandbox: bool = True, use_zygote: bool = True):
    """A process holding a fresh student namespace: forked by this process's zygote if it can."""
    if use_sandbox and use_zygote:
        key = (sandbox.sandbox_uid(), str(course_root), tuple(map(str, hidden)))
        for attempt in range(2):
            zygote = _zygotes.get(key)
            try:
                if zygote is None or not zygote.alive():
                    if zygote is not None:
                        zygote.close()
                    zygote = _zygotes[key] = Zygote(course_root, hidden)
                return zygote.fork(workdir, timeout=FORK_TIMEOUT)
            except RunnerError:
                # A student may have killed or stopped the zygote: start a new one.
                _zygotes.pop(key, None)
                if zygote is not None:
                    zygote.close()
    return StudentProcess(workdir, course_root, hidden, use_sandbox=use_sandbox)


def _exception(error: dict) -> Exception:
    cls = getattr(builtins, error.get("type", ""), None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(error.get("message", ""))
        except Exception:
            pass
    return RuntimeError(f"{error.get('type')}: {error.get('message', '')}")


class Opaque:
    """Stands for something the student's process sent that is neither data nor a handle."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"


def _plain(obj):
    """Data from the student's process with every reference made opaque (for callbacks)."""
    return decode(obj, lambda ref: Opaque(str(ref.get("type") or ref.get("__opaque__") or "object")))


def answer_callback(request: dict, callbacks: dict) -> dict:
    """Call the test cell's function the student's code called, on plain data only."""
    reply: dict = {"op": "callback_return"}
    function = callbacks.get(request.get("callback"))
    if function is None:
        reply["error"] = {"type": "LookupError", "message": "no such function of the test"}
        return reply
    try:
        args = [_plain(a) for a in request.get("args", [])]
        kwargs = {str(k): _plain(v) for k, v in dict(request.get("kwargs", {})).items()}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            reply["value"] = encode(function(*args, **kwargs))
    except Exception as exc:
        reply["error"] = {"type": type(exc).__name__, "message": str(exc)[:500]}
    return reply


class Remote:
    """This process's side of one student process: requests, handles, callbacks, warnings."""

    def __init__(self, process, timeout: float):
        self.process, self.timeout = process, timeout
        self.callbacks: dict[int, Callable] = {}

    def outgoing(self, value, depth: int = 0):
        """``value`` for the student's process: data, its own objects by reference, and the
        test cell's functions as callbacks."""
        if isinstance(value, StudentFunction) and value._remote is self:
            return {"__student__": value.__name__}
        if isinstance(value, StudentObject) and object.__getattribute__(value, "_remote") is self:
            return {"__handle__": object.__getattribute__(value, "_handle")}
        if isinstance(value, (tuple, list)) and depth <= 4:
            items = [self.outgoing(v, depth + 1) for v in value]
            return {"__tuple__" if isinstance(value, tuple) else "__list__": items}
        if isinstance(value, dict) and depth <= 4 and all(isinstance(k, str) for k in value):
            return {"__dict__": [[k, self.outgoing(v, depth + 1)] for k, v in value.items()]}
        if callable(value) and not isinstance(value, (np.ndarray, np.generic, np.random.Generator)):
            number = len(self.callbacks) + 1
            self.callbacks[number] = value
            return {"__callback__": number, "name": getattr(value, "__name__", "f")}
        return encode(value)

    def incoming(self, obj):
        return decode(obj, self._reference)

    def _reference(self, ref: dict):
        if "__handle__" in ref and isinstance(ref["__handle__"], int):
            return StudentObject(self, ref["__handle__"], str(ref.get("type", "object"))[:100])
        return Opaque(str(ref.get("__opaque__") or "object")[:100])

    def request(self, message: dict, *, mirror: tuple = ((), {})):
        """Send a request about the student's code and return its reply: the arguments in
        ``mirror`` (args, kwargs) made what the call left them, its warnings re-emitted here, its
        error raised here."""
        reply = self.process.request(message, timeout=self.timeout, callbacks=self.callbacks)
        args, kwargs = mirror
        after_kwargs = reply.get("kwargs_after", {}) or {}
        pairs = list(zip(args, reply.get("args_after", []) or []))
        pairs += [(kwargs[k], after_kwargs[k]) for k in kwargs if k in after_kwargs]
        for original, after in pairs:
            _mirror(original, after)
        for category, text in reply.get("warnings", []) or []:
            warnings.warn(str(text), RuntimeWarning if category == "RuntimeWarning" else UserWarning)
        if "error" in reply:
            raise _exception(reply["error"] if isinstance(reply["error"], dict) else {})
        return reply

    def value(self, message: dict):
        return self.incoming(self.request(message).get("value"))

    def call(self, target: dict, args: tuple, kwargs: dict):
        """Call a function of the student's namespace (``{"name": ...}``) or an object held by
        handle (``{"handle": ...}``) in the student's process; its value here. An object that
        comes back keeps the call's arguments, so that running through it later (a generator
        that draws from an ``rng`` argument) advances them here too."""
        message = {"op": "call", **target, "args": [self.outgoing(a) for a in args],
                   "kwargs": {k: self.outgoing(v) for k, v in kwargs.items()}}
        value = self.incoming(self.request(message, mirror=(args, kwargs)).get("value"))
        if isinstance(value, StudentObject):
            object.__setattr__(value, "_origin", (args, kwargs))
        return value


def _mirror(original, after) -> None:
    """Make an argument what the student's call left it: an array changed in place, also one
    inside a dict, list or tuple (so that the change is caught), a random generator advanced
    (as in the kernel)."""
    try:
        changed = _plain(after)
    except Exception:
        return
    _mirror_value(original, changed)


def _mirror_value(original, changed) -> None:
    if isinstance(original, dict) and isinstance(changed, dict):
        for key in original.keys() & changed.keys():
            _mirror_value(original[key], changed[key])
    elif isinstance(original, (list, tuple)) and isinstance(changed, (list, tuple)):
        for item, item_after in zip(original, changed):
            _mirror_value(item, item_after)
    elif (isinstance(original, np.ndarray) and isinstance(changed, np.ndarray)
            and changed.shape == original.shape and original.flags.writeable):
        original[...] = changed
    elif (isinstance(original, np.random.Generator) and isinstance(changed, np.random.Generator)
          and type(original.bit_generator) is type(changed.bit_generator)):
        original.bit_generator.state = changed.bit_generator.state


class StudentFunction:
    """Calls a function of the student's namespace in the student's process."""

    def __init__(self, remote: Remote, name: str):
        self._remote, self.__name__ = remote, name

    def __call__(self, *args, **kwargs):
        return self._remote.call({"name": self.__name__}, args, kwargs)

    def __deepcopy__(self, memo):
        return self


class StudentObject:
    """An object of the student's process (a node of their ``Value``), used here by handle.

    Arithmetic, public attributes and calls go to the student's process, with Python's own rules
    applied there; what comes back is data or another handle. Iterating over it (a generator of
    mini-batches that the student's function returned) runs through it there and brings back its
    items, each data or a handle. Nothing here converts it to a number or an array, its truth
    value is an error, and names that begin with ``_`` are never asked of the student's object,
    so a check that needs numbers (``np.asarray``, ``float``) finds none and fails, as it does
    for any object that is not numbers.
    """

    __slots__ = ("_remote", "_handle", "_type_name", "_origin")

    def __init__(self, remote: Remote, handle: int, type_name: str):
        object.__setattr__(self, "_remote", remote)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_origin", ((), {}))

    def __repr__(self):
        return f"<{object.__getattribute__(self, '_type_name')} object>"

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._remote.value({"op": "getattr", "handle": self._handle, "name": name})

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError(f"cannot set {name} of a student's object")
        self._remote.request({"op": "setattr", "handle": self._handle, "name": name,
                              "value": self._remote.outgoing(value)})

    def __call__(self, *args, **kwargs):
        return self._remote.call({"handle": self._handle}, args, kwargs)

    def __iter__(self):
        remote = object.__getattribute__(self, "_remote")
        reply = remote.request({"op": "items", "handle": object.__getattribute__(self, "_handle")},
                               mirror=object.__getattribute__(self, "_origin"))
        items = remote.incoming(reply.get("value"))
        if not isinstance(items, list):
            raise TypeError(f"{self!r} of the student's code did not run through as a sequence")
        return iter(items)

    def _operator(self, name: str, *operands):
        remote = self._remote
        return remote.value({"op": "operator", "operator": name,
                             "args": [remote.outgoing(a) for a in operands]})

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __bool__(self):
        raise TypeError(f"{self!r} of the student's code is not a truth value here")


def _binary(name: str):
    def forward(self, other):
        return self._operator(name, self, other)

    def reflected(self, other):
        return self._operator(name, other, self)

    return forward, reflected


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    _forward, _reflected = _binary(_name)
    setattr(StudentObject, f"__{_name}__", _forward)
    setattr(StudentObject, f"__r{_name}__", _reflected)
for _name in ("neg", "pos", "abs"):
    setattr(StudentObject, f"__{_name}__", lambda self, _op=_name: self._operator(_op, self))
del _name, _forward, _reflected


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {}) if cell.cell_type == "code" else {}


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_instructor_setup(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")


def released_demo_sources(release_notebook: Path) -> set[str]:
    """Sources of the code cells of a release notebook that are not nbgrader cells.

    These are the instructor's demonstrations (plots, widgets, "try it" lines); a submission
    cell with exactly that source is the instructor's code, not the student's.
    """
    try:
        released = nbformat.read(release_notebook, as_version=4)
    except Exception:
        return set()
    return {c.source.strip() for c in released.cells
            if c.cell_type == "code" and not c.metadata.get("nbgrader") and c.source.strip()}


def recheck_notebook(nb, workdir: Path, course_root: Path, hidden: list[Path], *,
                     use_sandbox: bool = True, use_zygote: bool = True,
                     skip_sources: set[str] = frozenset(),
                     cell_timeout: float = 60.0,
                     call_timeout: float = 20.0) -> dict[str, str | None]:
    """Run the notebook's test cells in this process against the student's functions.

    Returns grade_id -> None (passed) or the failure message, for every autograded test cell.
    Cells whose source is in ``skip_sources`` (unchanged demonstrations) are not run in the
    student's process.
    """
    verdicts: dict[str, str | None] = {}
    tests = [c for c in nb.cells if is_test_cell(c)]
    if not tests:
        return verdicts
    trusted: dict = outside_kernel_namespace({"__name__": "__recheck__"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cell in nb.cells:
            if is_instructor_setup(cell):
                exec(compile(kernel_code(cell.source), "<setup>", "exec"), trusted)
    process = start_student(workdir, course_root, hidden, use_sandbox=use_sandbox,
                            use_zygote=use_zygote)
    remote = Remote(process, call_timeout)
    # One namespace for every test cell, as in the kernel: a name a test cell defines (a
    # reference function, an input) is there for the later ones, and no student name replaces it.
    namespace = trusted
    protected = set(namespace)
    try:
        # Cells run in notebook order, as in the kernel: a test sees the student's functions
        # as they are at that point, and a process that dies takes only the later tests along.
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if not is_test_cell(cell):
                if not _nbgrader(cell) and cell.source.strip() in skip_sources:
                    continue
                try:
                    process.request({"op": "exec", "code": kernel_code(cell.source)},
                                    timeout=cell_timeout)
                except RunnerError:
                    pass
                continue
            try:
                names = process.request({"op": "names"}, timeout=call_timeout).get("names", [])
            except RunnerError:
                names = []
            for name in names:
                if isinstance(name, str) and name not in protected:
                    namespace[name] = StudentFunction(remote, name)
            grade_id = _nbgrader(cell)["grade_id"]
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(kernel_code(cell.source), f"<test {grade_id}>", "exec"),
                         namespace)
                verdicts[grade_id] = None
            except (Exception, RunnerError) as exc:
                verdicts[grade_id] = f"{type(exc).__name__}: {exc}"
            protected |= {k for k, v in namespace.items() if not isinstance(v, StudentFunction)}
    finally:
        process.close()
    return verdicts


RECHECK_EXPLANATION = (
    "To confirm the result, every test is run a second time, outside the notebook, against the "
    "functions your cells define (run again from your cells, magics included). This test passed "
    "in the notebook but not in that second run, so it earns no points. What the second run "
    "reported:")


def recheck_output(failure: str):
    """The error output added to a test cell that passed in the kernel and failed the re-check."""
    text = f"{RECHECK_EXPLANATION}\n{failure}"
    return nbformat.v4.new_output("error", ename="RecheckFailed", evalue=text,
                                  traceback=[f"RecheckFailed: {text}"])


class RecheckOutsideKernel(Preprocessor):
    """nbgrader autograde preprocessor: fail every test cell whose re-check fails.

    Put it right after ``Execute`` in ``c.Autograde.autograde_preprocessors``.
    """

    enabled = Bool(True).tag(config=True)
    use_sandbox = Bool(True, help="Run the student's code in the sandbox.").tag(config=True)
    course_root = Unicode(str(sandbox.COURSE_ROOT)).tag(config=True)
    hidden_path = Unicode("", help="Another folder to hide (e.g. the exchange).").tag(config=True)
    cell_timeout = Float(60.0).tag(config=True)
    release_directory = Unicode("release", help="Where the release notebooks lie, relative to "
                                "course_root: unchanged demonstration cells are skipped."
                                ).tag(config=True)

    def preprocess(self, nb, resources):
        workdir = Path(resources.get("metadata", {}).get("path") or os.getcwd())
        hidden = [Path(self.hidden_path)] if self.hidden_path else []
        if self.use_sandbox:
            ok, why = sandbox.sandbox_available()
            if not ok:
                raise RuntimeError(f"cannot re-check outside the kernel in a sandbox: {why}")
        info = resources.get("nbgrader", {})
        release = (Path(self.course_root) / self.release_directory / str(info.get("assignment"))
                   / f"{info.get('notebook')}.ipynb")
        skip = released_demo_sources(release) if info.get("assignment") else set()
        run = dict(use_sandbox=self.use_sandbox, cell_timeout=self.cell_timeout)
        verdicts = recheck_notebook(nb, workdir, Path(self.course_root), hidden,
                                    skip_sources=skip, **run)
        passed_in_kernel = {_nbgrader(c).get("grade_id") for c in nb.cells
                            if is_test_cell(c) and not any(
                                out.get("output_type") == "error" for out in c.get("outputs", []))}
        if skip and any(verdicts.get(g) for g in passed_in_kernel):
            # The student's code may rely on a demonstration cell: decide with every cell run.
            verdicts = recheck_notebook(nb, workdir, Path(self.course_root), hidden, **run)
        for cell in nb.cells:
            grade_id = _nbgrader(cell).get("grade_id")
            failure = verdicts.get(grade_id)
            if failure is None:
                continue
            if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
                continue  # already failed in the kernel
            cell.outputs.append(recheck_output(failure))
            self.log.warning("test %s failed the re-check outside the kernel", grade_id)
        return nb, resources
