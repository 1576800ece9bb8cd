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
``{"op": "names"}`` lists the callables it defines; ``{"op": "call", "name", "args", "kwargs"}``
calls one of them and answers with the value, the arguments as they are afterwards, the warnings
and the error. Arrays travel as .npy bytes in base64 and are read with ``allow_pickle=False``;
any other object is answered as an opaque type name, never as something to execute.

Started with the argument ``zygote`` followed by module names, it is instead a *zygote*: it
imports those modules once (numpy, matplotlib, the course's widgets: most of a notebook's start-up
time), then, for each ``{"op": "fork", "nonce", "scratch", "socket"}`` line on its standard input,
kills every other process of its sandbox, empties the sandbox's /tmp, forks a student process that
works in ``scratch`` and talks over the Unix socket ``socket``, and answers ``{"forked": nonce}``.
A student process never holds the zygote's own channel, and the zygote cannot be traced or read
by it (it is not dumpable), so one student's code never reaches the next student's process.
"""
import base64
import io
import json
import os
import signal
import sys
import traceback
import warnings

import numpy as np

MAX_ARRAY_BYTES = 64 * 2**20


class CellTimeout(BaseException):
    """Raised by the alarm when a cell or a call runs too long."""


def encode(value, depth=0):
    if depth > 4:
        return {"__opaque__": "nested too deeply"}
    if isinstance(value, (bool, np.bool_)):
        return {"__float__": float(value)}
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return {"__float__": float(value)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.nbytes <= MAX_ARRAY_BYTES:
        buf = io.BytesIO()
        np.save(buf, value.copy(order="C"), allow_pickle=False)  # keeps 0-d arrays 0-d
        return {"__nd__": base64.b64encode(buf.getvalue()).decode("ascii")}
    if value is None:
        return None
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return {"__list__": [encode(v, depth + 1) for v in value]}
    return {"__opaque__": type(value).__name__}


def decode(obj):
    if isinstance(obj, dict):
        if "__nd__" in obj:
            return np.load(io.BytesIO(base64.b64decode(obj["__nd__"])), allow_pickle=False)
        if "__float__" in obj:
            return float(obj["__float__"])
        if "__tuple__" in obj:
            return tuple(decode(v) for v in obj["__tuple__"])
        if "__list__" in obj:
            return [decode(v) for v in obj["__list__"]]
        return {k: decode(v) for k, v in obj.items()}
    return obj


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


def run(channel_in, channel_out):
    shell = new_shell()
    namespace = shell.user_ns
    signal.signal(signal.SIGALRM, on_alarm)
    for line in channel_in:
        request = json.loads(line)
        reply = {}
        signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 30)))
        try:
            if request["op"] == "exec":
                result = shell.run_cell(request["code"], store_history=True)
                error = result.error_before_exec or result.error_in_exec
                if error is not None:
                    reply["error"] = {"type": type(error).__name__, "message": str(error)[:2000]}
            elif request["op"] == "names":
                reply["names"] = student_names(shell)
            elif request["op"] == "call":
                args = [decode(a) for a in request["args"]]
                kwargs = {k: decode(v) for k, v in request["kwargs"].items()}
                with warnings.catch_warnings(record=True) as caught, \
                        np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                    warnings.simplefilter("always")
                    try:
                        value = namespace[request["name"]](*args, **kwargs)
                        reply["value"] = encode(value)
                    except Exception as exc:
                        reply["error"] = {"type": type(exc).__name__, "message": str(exc)[:2000]}
                reply["args_after"] = [encode(a) for a in args]
                reply["warnings"] = [[w.category.__name__, str(w.message)[:500]] for w in caught[:10]]
        except CellTimeout:
            reply["error"] = {"type": "CellTimeout", "message": "ran out of time"}
        except BaseException as exc:  # student code: anything may happen; report and go on
            reply["error"] = {"type": type(exc).__name__,
                              "message": "".join(traceback.format_exception_only(exc))[-2000:]}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            text = json.dumps(reply)
        except Exception:
            text = json.dumps({"error": {"type": "EncodingError", "message": "unreadable result"}})
        channel_out.write(text + "\n")
        channel_out.flush()


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
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def student_process(request, control_fds):
    """In the forked child: cut every tie to the zygote, then serve one student over the socket."""
    import socket

    try:
        for fd in control_fds:
            os.close(fd)
        for name in ZYGOTE_IGNORED_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        os.setsid()
        scratch = request["scratch"]
        os.chdir(scratch)
        os.environ.update(HOME=scratch, IPYTHONDIR=os.path.join(scratch, ".ipython"),
                          MPLCONFIGDIR=os.path.join(scratch, ".matplotlib"))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(request["socket"])
        channel_in = sock.makefile("r", encoding="utf-8")
        channel_out = sock.makefile("w", encoding="utf-8")
        silence_standard_streams()
        run(channel_in, channel_out)
    finally:
        os._exit(0)


def zygote(preload):
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
    control_out.write(json.dumps({"ready": loaded}) + "\n")
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
            student_process(request, (control_in.fileno(), control_out.fileno()))
        control_out.write(json.dumps({"forked": request["nonce"]}) + "\n")
        control_out.flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["zygote"]:
        zygote(sys.argv[2:])
    else:
        main()
