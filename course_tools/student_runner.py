"""The student side of the re-check outside the kernel; runs inside the sandbox.

It is started as ``python -c <this file's text>`` (the course folder, and so this package, is
hidden inside the sandbox), reads one JSON request per line from its standard input and answers
one JSON line on the descriptor it received as its standard output. Student code never sees that
descriptor: before anything runs, standard output and error are pointed at /dev/null.

Requests: ``{"op": "exec", "code": ...}`` runs a cell's code in the student's namespace;
``{"op": "names"}`` lists the callables it defines; ``{"op": "call", "name", "args", "kwargs"}``
calls one of them and answers with the value, the arguments as they are afterwards, the warnings
and the error. Arrays travel as .npy bytes in base64 and are read with ``allow_pickle=False``;
any other object is answered as an opaque type name, never as something to execute.
"""
import base64
import builtins
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


def run(channel_in, channel_out):
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    signal.signal(signal.SIGALRM, on_alarm)
    for line in channel_in:
        request = json.loads(line)
        reply = {}
        signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 30)))
        try:
            if request["op"] == "exec":
                exec(compile(request["code"], "<cell>", "exec"), namespace)
            elif request["op"] == "names":
                reply["names"] = sorted(k for k, v in namespace.items()
                                        if callable(v) and not k.startswith("_"))
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


def main():
    channel_out = os.fdopen(os.dup(1), "w")
    channel_in = os.fdopen(os.dup(0), "r")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    run(channel_in, channel_out)


if __name__ == "__main__":
    main()
