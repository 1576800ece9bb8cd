"""The student side of the re-check outside the kernel; runs inside the sandbox.

It is started as ``python -c <this file's text>`` (the course folder, and so this package, is
hidden inside the sandbox), reads one JSON request per line from its standard input and answers
one JSON line on the descriptor it received as its standard output. Student code never sees that
descriptor: before anything runs, standard output and error are pointed at /dev/null.

The student's cells run in an IPython ``InteractiveShell`` of the process's own, as in the
kernel: magics (``%%time``, ``%autoreload``), ``display`` and ``get_ipython`` behave as they did
when the notebook ran (the code it receives is already IPython's transformation of the cell, see
`course_tools.ipython_code`, which the shell leaves as it is). The shell keeps no history file.

Requests: ``{"op": "exec", "code": ...}`` runs a cell's code in the student's namespace;
``{"op": "names"}`` lists the callables it defines; ``{"op": "call", "name" or "handle", "args",
"kwargs"}`` calls one of them (or an object the trusted side holds a handle to) and answers with
the value, the arguments as they are afterwards, the warnings and the error; ``{"op": "getattr"
/ "setattr", "handle", "name"}`` and ``{"op": "operator", "operator": "mul", "args"}`` work on
such objects, so that a test cell can build an expression on the student's own ``Value`` class;
``{"op": "items", "handle"}`` runs through such an object (a generator of mini-batches) in this
process and answers with its items as a list, at most ``MAX_ITEMS`` of them.
Numbers, strings, tuples, lists, dicts with string keys and numpy random generators (their
state) travel as themselves, arrays as their type (booleans, integers or floats only), shape and
bytes in base64, from which the other side makes a plain numeric array or refuses; any other
object the student's code returns stays here and is answered as a handle (a number and a type
name), never as something to execute. A function the test cell passes (the ``f`` of a gradient
check) arrives as a *callback*: calling it writes
``{"callback": n, "args"}`` on the channel and waits for ``{"op": "callback_return", "value"}``;
its arguments and value are plain data only. (The student's code can reach the channel through
such a callback; all it can say there is a value, which it could as well have returned.)

Started with the argument ``zygote`` followed by module names, it is instead a *zygote*: it
imports those modules once (numpy, matplotlib, the course's widgets: most of a notebook's start-up
time), then, for each ``{"op": "fork", "nonce", "scratch", "socket"}`` line on its standard input,
kills every other process of its sandbox, empties the sandbox's /tmp, forks a student process that
works in ``scratch`` and talks over the Unix socket ``socket``, and answers ``{"forked": nonce}``.
A student process never holds the zygote's own channel, and the zygote cannot be traced or read
by it (it is not dumpable), so one student's code never reaches the next student's process.
Started with ``kernel-zygote`` instead, the same zygote forks grading kernels
(`kernel_process`; see `course_tools.kernel_zygote`).
"""
import base64
import json
import math
import operator
import os
import signal
import sys
import traceback
import warnings

import numpy as np

MAX_ARRAY_BYTES = 64 * 2**20
MAX_STRING_CHARS = 2**20
MAX_ITEMS = 10_000
#: The array types that travel: booleans, integers and floats, in either byte order.
ARRAY_DTYPES = frozenset(np.dtype(kind + str(size)).newbyteorder(order).str
                         for kind, sizes in (("b", (1,)), ("i", (1, 2, 4, 8)), ("u", (1, 2, 4, 8)),
                                             ("f", (2, 4, 8)))
                         for size in sizes for order in "<>")
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
REFERENCES = ("__handle__", "__student__", "__callback__", "__opaque__")


class CellTimeout(BaseException):
    """Raised by the alarm when a cell or a call runs too long."""


def encode(value, depth=0, keep=None):
    """Plain data as JSON; any other object through ``keep`` (a handle) or as an opaque name."""
    if depth > 4:
        return {"__opaque__": "nested too deeply"}
    if isinstance(value, (bool, np.bool_)):
        return {"__bool__": bool(value)}
    if isinstance(value, (int, np.integer)):
        return {"__int__": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"__float__": float(value)}
    if (isinstance(value, np.ndarray) and value.dtype.str in ARRAY_DTYPES
            and value.nbytes <= MAX_ARRAY_BYTES):
        return {"__nd__": value.dtype.str, "shape": list(value.shape),
                "data": base64.b64encode(value.tobytes(order="C")).decode("ascii")}
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= MAX_STRING_CHARS:
        return {"__str__": str(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1, keep) for v in value]}
    if isinstance(value, list):
        return {"__list__": [encode(v, depth + 1, keep) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": [[k, encode(v, depth + 1, keep)] for k, v in value.items()]}
    if isinstance(value, np.random.Generator):
        bits = value.bit_generator
        if type(bits).__name__ in BIT_GENERATORS:
            return {"__rng__": type(bits).__name__, "state": bits.state}
    if keep is not None:
        return keep(value)
    return {"__opaque__": type(value).__name__}


def _array(obj) -> np.ndarray:
    """The array ``encode`` wrote: a dtype of ``ARRAY_DTYPES``, a shape and its C-order bytes.

    Anything else (another dtype, a shape that does not match the bytes) is refused, so no
    object array, no pickle and no array larger than ``MAX_ARRAY_BYTES`` can be made this way.
    """
    dtype, shape, data = obj["__nd__"], obj.get("shape"), obj.get("data")
    if not isinstance(dtype, str) or dtype not in ARRAY_DTYPES:
        raise ValueError(f"not an array type the re-check accepts: {dtype!r}")
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(type(n) is int and 0 <= n <= MAX_ARRAY_BYTES for n in shape)):
        raise ValueError(f"not an array shape: {shape!r}")
    if not isinstance(data, str) or len(data) > 2 * MAX_ARRAY_BYTES:
        raise ValueError("not an array's data")
    raw = bytearray(base64.b64decode(data, validate=True))  # a bytearray: the array is writable
    if math.prod(shape) * np.dtype(dtype).itemsize != len(raw) or len(raw) > MAX_ARRAY_BYTES:
        raise ValueError(f"the array's data does not fill the shape {tuple(shape)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _generator(obj) -> np.random.Generator:
    """A numpy Generator in the state that was sent (a copy: the sender's does not advance)."""
    name = obj["__rng__"]
    if name not in BIT_GENERATORS:
        raise ValueError(f"not a numpy bit generator: {name!r}")
    bits = getattr(np.random, name)()
    bits.state = obj["state"]
    return np.random.Generator(bits)


def decode(obj, resolve=None):
    """The value ``encode`` wrote; references (handles, names, callbacks) through ``resolve``."""
    if isinstance(obj, dict):
        if "__nd__" in obj:
            return _array(obj)
        if "__float__" in obj:
            return float(obj["__float__"])
        if "__int__" in obj:
            return int(obj["__int__"])
        if "__bool__" in obj:
            return bool(obj["__bool__"])
        if "__str__" in obj:
            return str(obj["__str__"])
        if "__tuple__" in obj:
            return tuple(decode(v, resolve) for v in obj["__tuple__"])
        if "__list__" in obj:
            return [decode(v, resolve) for v in obj["__list__"]]
        if "__dict__" in obj:
            return {str(k): decode(v, resolve) for k, v in obj["__dict__"]}
        if "__rng__" in obj:
            return _generator(obj)
        if resolve is not None and any(key in obj for key in REFERENCES):
            return resolve(obj)
        return {k: decode(v, resolve) for k, v in obj.items()}
    return obj


def take_items(obj):
    """The items of an iterable as a list; more than ``MAX_ITEMS`` of them is an error."""
    items = []
    for item in obj:
        if len(items) == MAX_ITEMS:
            raise ValueError(f"more than {MAX_ITEMS} items")
        items.append(item)
    return items


def on_alarm(signum, frame):
    raise CellTimeout()


def new_shell():
    """The IPython shell that runs the student's cells, as the kernel's does, without history."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class RecheckShell(InteractiveShell):
        def enable_gui(self, gui=None):
            """No event loop: cells are run, never shown. (ipykernel's shell starts one for GUI
            backends; ``%matplotlib inline`` needs none, but the base class refuses it.)"""

    config = Config()
    config.HistoryManager.enabled = False
    shell = RecheckShell.instance(config=config)
    try:
        # The kernel's matplotlib backend is the inline one (ipykernel sets MPLBACKEND), whose
        # settings `%config InlineBackend.figure_format = ...` changes: register them too.
        from matplotlib_inline.backend_inline import InlineBackend

        inline = InlineBackend.instance(parent=shell)
        inline.shell = shell
        if inline not in shell.configurables:
            shell.configurables.append(inline)
    except Exception:
        pass
    return shell


def student_names(shell):
    """The callables the student's cells bound (not what IPython itself put there)."""
    hidden = shell.user_ns_hidden
    return sorted(k for k, v in shell.user_ns.items()
                  if callable(v) and not k.startswith("_") and not (k in hidden and hidden[k] is v))


OPERATORS = {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul",
             "neg", "pos", "abs"}


class CallbackError(Exception):
    """A function of the test cell, called back from the student's code, raised or failed."""


class Session:
    """The student's namespace, the objects the trusted side holds handles to, and the channel."""

    def __init__(self, channel_in, channel_out):
        self.shell = new_shell()
        self.namespace = self.shell.user_ns
        self.channel_in, self.channel_out = channel_in, channel_out
        self.objects = {}
        self.origins = {}  # handle -> (args, kwargs) of the call that returned the object

    def send(self, message):
        try:
            text = json.dumps(message)
        except Exception:
            text = json.dumps({"error": {"type": "EncodingError", "message": "unreadable result"}})
        self.channel_out.write(text + "\n")
        self.channel_out.flush()

    def keep(self, obj):
        """A handle the trusted side can pass back, for an object that is not plain data."""
        handle = len(self.objects) + 1
        self.objects[handle] = obj
        return {"__handle__": handle, "type": type(obj).__name__}

    def resolve(self, ref):
        if "__handle__" in ref:
            try:
                return self.objects[int(ref["__handle__"])]
            except (KeyError, TypeError, ValueError):
                raise LookupError("an object the test refers to no longer exists")
        if "__student__" in ref:
            return self.namespace[str(ref["__student__"])]
        if "__callback__" in ref:
            return self.callback(int(ref["__callback__"]), str(ref.get("name", "f")))
        return None

    def callback(self, number, name):
        """A function of the test cell (``f`` of a gradient check): called in the trusted process
        with plain data, answered with plain data."""
        session = self

        def test_function(*args, **kwargs):
            session.send({"callback": number, "args": [encode(a) for a in args],
                          "kwargs": {k: encode(v) for k, v in kwargs.items()}})
            line = session.channel_in.readline()
            if not line:
                raise SystemExit(0)
            reply = json.loads(line)
            if reply.get("op") != "callback_return":
                raise CallbackError("the grader sent something other than the function's value")
            if "error" in reply:
                error = reply["error"]
                raise CallbackError(f"{name} raised {error.get('type')}: {error.get('message')}")
            return decode(reply.get("value"))

        test_function.__name__ = test_function.__qualname__ = name
        return test_function

    def invoke(self, function, args, kwargs, reply):
        """Call student code; record its value (as a handle if need be), warnings and error."""
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            try:
                reply["value"] = encode(function(*args, **kwargs), keep=self.keep)
            except Exception as exc:
                reply["error"] = {"type": type(exc).__name__, "message": str(exc)[:2000]}
        reply["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:10]]

    def answer(self, request):
        reply = {}
        op = request["op"]
        if op == "exec":
            result = self.shell.run_cell(request["code"], store_history=True)
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                reply["error"] = {"type": type(error).__name__, "message": str(error)[:2000]}
        elif op == "names":
            reply["names"] = student_names(self.shell)
        elif op == "call":
            args = [decode(a, self.resolve) for a in request["args"]]
            kwargs = {k: decode(v, self.resolve) for k, v in request["kwargs"].items()}
            target = (self.resolve({"__handle__": request["handle"]}) if "handle" in request
                      else self.namespace[request["name"]])
            self.invoke(target, args, kwargs, reply)
            reply["args_after"] = [encode(a) for a in args]
            reply["kwargs_after"] = {k: encode(v) for k, v in kwargs.items()}
            value = reply.get("value")
            if isinstance(value, dict) and "__handle__" in value:
                self.origins[value["__handle__"]] = (args, kwargs)
        elif op == "getattr":
            target = self.resolve({"__handle__": request["handle"]})
            self.invoke(getattr, (target, str(request["name"])), {}, reply)
        elif op == "setattr":
            target = self.resolve({"__handle__": request["handle"]})
            value = decode(request["value"], self.resolve)
            self.invoke(setattr, (target, str(request["name"]), value), {}, reply)
        elif op == "items":
            target = self.resolve({"__handle__": request["handle"]})
            self.invoke(take_items, (target,), {}, reply)
            # a generator draws from the arguments of the call that made it (its rng) as it runs
            args, kwargs = self.origins.get(request["handle"], ((), {}))
            reply["args_after"] = [encode(a) for a in args]
            reply["kwargs_after"] = {k: encode(v) for k, v in kwargs.items()}
        elif op == "operator":
            if request["operator"] not in OPERATORS:
                raise ValueError(f"not an operator: {request['operator']}")
            args = [decode(a, self.resolve) for a in request["args"]]
            self.invoke(getattr(operator, request["operator"]), args, {}, reply)
        else:
            raise ValueError(f"unknown request {op!r}")
        return reply

    def serve(self):
        signal.signal(signal.SIGALRM, on_alarm)
        while True:
            line = self.channel_in.readline()
            if not line:
                return
            request = json.loads(line)
            signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 30)))
            try:
                reply = self.answer(request)
            except CellTimeout:
                reply = {"error": {"type": "CellTimeout", "message": "ran out of time"}}
            except BaseException as exc:  # student code: anything may happen; report and go on
                reply = {"error": {"type": type(exc).__name__,
                                   "message": "".join(traceback.format_exception_only(exc))[-2000:]}}
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            self.send(reply)


def run(channel_in, channel_out):
    Session(channel_in, channel_out).serve()


def silence_standard_streams():
    """Point descriptors 0-2 and sys.std* at /dev/null; student code must not reach a channel."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")


def main():
    channel_out = os.fdopen(os.dup(1), "w")
    channel_in = os.fdopen(os.dup(0), "r")
    silence_standard_streams()
    run(channel_in, channel_out)


# ---------------------------------------------------------------------------------------------
# The zygote

PR_SET_DUMPABLE = 4
ZYGOTE_IGNORED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
                          "SIGPIPE", "SIGALRM", "SIGTSTP", "SIGTTIN", "SIGTTOU")


def others_alive(me):
    """Pids of this sandbox's other live processes (the sandbox's pid 1 is bubblewrap's)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (me, 1):
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            alive.append(int(entry))
    return alive


def clear_sandbox(me, folders=("/tmp", "/dev/shm"), patience=5.0):
    """Kill every other process of the sandbox, reap them, and empty the shared scratch folders."""
    import shutil
    import time

    deadline = time.monotonic() + patience
    while True:
        try:
            os.kill(-1, signal.SIGKILL)  # every process we may signal, except us and pid 1
        except ProcessLookupError:
            pass
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if not others_alive(me) or time.monotonic() > deadline:
            break
        time.sleep(0.002)
    for folder in folders:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for name in entries:
            path = os.path.join(folder, name)
            if os.path.ismount(path):
                # The grading process's folders bound into the sandbox (the zygote's pool, with
                # the next student's scratch and socket): never the student's to remove.
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def leave_zygote(request, control_fds):
    """In a forked child: cut every tie to the zygote and move into the request's scratch folder
    (home, IPython's and matplotlib's folders there too)."""
    for fd in control_fds:
        os.close(fd)
    for name in ZYGOTE_IGNORED_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.setsid()
    scratch = request["scratch"]
    os.chdir(scratch)
    return dict(HOME=scratch, IPYTHONDIR=os.path.join(scratch, ".ipython"),
                MPLCONFIGDIR=os.path.join(scratch, ".matplotlib"))


def student_process(request, control_fds):
    """In the forked child: cut every tie to the zygote, then serve one student over the socket."""
    import socket

    try:
        os.environ.update(leave_zygote(request, control_fds))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(request["socket"])
        channel_in = sock.makefile("r", encoding="utf-8")
        channel_out = sock.makefile("w", encoding="utf-8")
        silence_standard_streams()
        run(channel_in, channel_out)
    finally:
        os._exit(0)


def zygote(preload, child=student_process):
    """Import ``preload`` once; then answer ``{"op": "clear", "nonce"}`` by killing every other
    process of the sandbox and emptying /tmp, and ``{"op": "fork", "nonce", ...}`` by doing the
    same and forking ``child(request, control_fds)``."""
    import ctypes
    import importlib

    control_out = os.fdopen(os.dup(1), "w")
    control_in = os.fdopen(os.dup(0), "r")
    silence_standard_streams()
    for name in ZYGOTE_IGNORED_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    # Not dumpable: a process of the same uid can neither ptrace it nor read /proc/<pid>/mem.
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise SystemExit("cannot make the zygote undumpable")
    loaded = []
    for name in preload:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:
            pass
    # One thread is expected: a fork copies only the forking thread, with any lock another
    # thread held left locked for ever. The grading process's tests check what is reported.
    threads = len(os.listdir("/proc/self/task"))
    control_out.write(json.dumps({"ready": loaded, "threads": threads}) + "\n")
    control_out.flush()
    me = os.getpid()
    for line in control_in:
        request = json.loads(line)
        if request.get("op") == "clear":
            # The student is done: nothing of theirs may hold the uid's process limit meanwhile.
            clear_sandbox(me)
            control_out.write(json.dumps({"cleared": request["nonce"]}) + "\n")
            control_out.flush()
            continue
        if request.get("op") != "fork":
            continue
        clear_sandbox(me)
        pid = os.fork()
        if pid == 0:
            child(request, (control_in.fileno(), control_out.fileno()))
        control_out.write(json.dumps({"forked": request["nonce"]}) + "\n")
        control_out.flush()


# ---------------------------------------------------------------------------------------------
# The kernel zygote

#: What a grading kernel of the course imports, from its own start to a notebook's last cell:
#: ipykernel, the inline backend, the widgets, course_lib, and scikit-learn's datasets, which
#: ``course_lib.datasets.load_digits`` reads from (1 s of every notebook that loads the digits).
#: Not ipykernel's debugger: importing debugpy sets a variable of the environment, which the
#: kernel's own environment then lacks.
KERNEL_PRELOAD = ("numpy", "matplotlib", "matplotlib.pyplot", "ipykernel.kernelapp",
                  "ipykernel.ipkernel", "IPython.core.interactiveshell",
                  "matplotlib_inline.backend_inline", "ipywidgets", "course_lib",
                  "course_lib.grading", "course_lib.mistakes", "course_lib.widgets",
                  "course_lib.playground", "course_lib.datasets", "sklearn.datasets")


def kernel_process(request, control_fds):
    """In the forked child: become a fresh ipykernel with the request's environment and
    arguments, as ``python -m ipykernel_launcher`` would, holding the liveness socket."""
    import ctypes
    import socket

    try:
        folders = leave_zygote(request, control_fds)
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as a kernel started afresh
        os.environ.clear()
        os.environ.update(request["env"])
        # What the sandbox's command line sets for a kernel started afresh.
        os.environ.update(folders, PWD=request["scratch"], JPY_PARENT_PID="1",
                          PYTHONDONTWRITEBYTECODE="1")
        sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
        alive = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        alive.connect(request["socket"])
        # Only the kernel holds it: its end tells the grading process that the kernel ended.
        os.register_at_fork(after_in_child=alive.close)
        from importlib.util import find_spec

        sys.argv = [find_spec("ipykernel_launcher").origin, *request["arguments"]]
        if sys.path and sys.path[0] == "":
            del sys.path[0]  # as ipykernel_launcher does: the folder's files are not modules
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    finally:
        os._exit(0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["zygote"]:
        zygote(sys.argv[2:])
    elif sys.argv[1:2] == ["kernel-zygote"]:
        zygote(sys.argv[2:], child=kernel_process)
    else:
        main()
