"""IPython syntax as the kernel runs it: one reading of a cell for the re-check and the scan.

A notebook cell is not plain Python: ``%%time``, ``%autoreload 2``, ``!ls`` and ``x?`` are
IPython's syntax, and the kernel turns them into Python with IPython's input transformers before
it runs the cell (``%time f(x)`` becomes ``get_ipython().run_line_magic('time', 'f(x)')``).
Every part of the grading machinery that reads or runs a cell goes through this module, so that
none of them disagrees with the kernel, or with another, about what code a cell contains:

* `kernel_code` is the Python the kernel runs: IPython's own ``TransformerManager``, the
  transformation of ``InteractiveShell.transform_cell``;
* `magic_calls` lists the magics and shell commands of a cell, read from that Python (only the
  calls the transformer wrote, never a ``get_ipython()`` the student wrote), each with the line
  of the cell it comes from;
* `magic_python` is the Python a magic runs itself (the statement of ``%time``, the body of
  ``%%time``), and `scannable_code` the kernel's code with each magic replaced by that Python or
  by ``pass``, line for line as the cell: what the static scan reads;
* `outside_kernel_namespace` gives the instructor's cells that the re-check runs in the trusted
  grading process the names IPython provides to a cell (``display``, ``get_ipython``).

The student's cells are re-checked in an IPython ``InteractiveShell`` of their own (see
`course_tools.student_runner`), which runs exactly this Python as the kernel does, magics
included. The trusted grading process does not host a shell (it would put ``display`` and
``__IPYTHON__`` into that process's builtins and write a profile into the grader's home): there,
`outside_kernel_namespace` runs the Python of the timing and capture magics, and the magics
that only change how output looks (``%matplotlib``, ``%config``, ...) do nothing, as they change
no value a test reads.
"""
from __future__ import annotations

import ast
import functools
import gc
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

__all__ = ["MagicCall", "PYTHON_MAGICS", "kernel_code", "magic_calls", "magic_python",
           "outside_kernel_namespace", "scannable_code"]

#: Magics whose argument or body is Python code that runs in the cell's namespace.
PYTHON_MAGICS = frozenset({"time", "timeit", "prun", "capture"})

#: The methods of the shell that IPython's transformers write calls to.
_SHELL_METHODS = {"run_line_magic": "line", "run_cell_magic": "cell", "system": "shell",
                  "getoutput": "shell"}
#: Options of %time/%timeit/%prun that take a value (the statement follows the options).
_OPTIONS_WITH_VALUE = frozenset({"-n", "-r", "-p", "-l", "-s", "-T", "-D"})


@dataclass(frozen=True)
class MagicCall:
    """One magic or shell command of a cell, as IPython's transformer turned it into a call.

    Attributes
    ----------
    kind : {"line", "cell", "shell"}
        ``%name``, ``%%name`` (the cell's first line) or ``!command``.
    name : str
        The magic's name (``time``; ``%bash`` for a ``%%bash`` below the first line, which
        IPython reads as the line magic ``%bash``); for a shell command, the command.
    line : str
        What follows the name on its line (the options of ``%%timeit``, the statement of
        ``%time``); empty for a shell command.
    body : str or None
        The cell's body, for a cell magic.
    lineno : int
        The line of the cell (counted from 1) where it starts.
    assigned : bool
        Its value is assigned (``x = %time f()``, ``files = !ls``).
    """

    kind: str
    name: str
    line: str
    body: str | None
    lineno: int
    assigned: bool = False


@functools.lru_cache(maxsize=4096)
def kernel_code(source: str) -> str:
    """The Python that IPython's kernel runs for a cell's source.

    Valid Python comes back unchanged but for leading blank lines and a common indentation.
    A source IPython cannot transform comes back as it is (the kernel would refuse it too).
    """
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython's own transformers failing: the kernel runs nothing
        return source


def _leading_blank_lines(lines: list[str]) -> int:
    """How many lines IPython's ``leading_empty_lines`` drops."""
    for i, line in enumerate(lines):
        if line and not line.isspace():
            return i
    return 0


def parse_python(code: str) -> ast.Module:
    """``ast.parse(code)``, safe from a fault of CPython 3.11 and 3.12.

    There, ``ast.parse`` can fail with "SystemError: AST constructor recursion depth mismatch"
    when another parse runs while it builds its tree (python/cpython#106905): a finalizer that
    the garbage collector calls in between, or another thread that gets the interpreter then.
    The collector is paused during the parse, and a parse that fails so is tried again.
    """
    for attempt in range(3):
        paused = gc.isenabled()
        gc.disable()
        try:
            return ast.parse(code)
        except SystemError:
            if attempt == 2:
                raise
        finally:
            if paused:
                gc.enable()
    raise AssertionError("unreachable")


def _generated_call(line: str) -> tuple[str, ast.Call, bool] | None:
    """(method, call, assigned) when a line of the kernel's code is one call of the shell."""
    try:
        tree = parse_python(line.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if len(tree.body) != 1:
        return None
    node = tree.body[0]
    assigned = isinstance(node, ast.Assign)
    call = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr in _SHELL_METHODS and not call.keywords
            and isinstance(call.func.value, ast.Call) and not call.func.value.args
            and isinstance(call.func.value.func, ast.Name)
            and call.func.value.func.id == "get_ipython"
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                    for a in call.args)):
        return None
    return call.func.attr, call, assigned


def _continued(lines: list[str], start: int) -> int:
    """The last line of a logical line continued with backslashes (as IPython joins them)."""
    end = start
    while end + 1 < len(lines) and lines[end].rstrip("\n").endswith("\\"):
        end += 1
    return end


def _read(source: str) -> tuple[list[str], list[tuple[int, int, str, ast.Call | None, bool]]]:
    """The kernel's lines, and for each: (its first line in the cell, how many lines of the cell
    it stands for, its text, the shell call the transformer wrote there or None, assigned)."""
    kernel = kernel_code(source).splitlines()
    original = source.splitlines()
    at = _leading_blank_lines(original)
    mapped = []
    for text in kernel:
        here = original[at] if at < len(original) else None
        generated = None if here is not None and here.strip() == text.strip() \
            else _generated_call(text)
        span = 1
        if generated is not None and generated[0] != "run_cell_magic":
            span = _continued(original, at) - at + 1
        elif generated is not None:
            span = 1  # the body follows, line for line
        mapped.append((at + 1, span, text, *(generated[1:] if generated else (None, False))))
        at += span
    return kernel, mapped


def magic_calls(source: str) -> list[MagicCall]:
    """The magics and shell commands of a cell, in order, nested ones (in a ``%%time`` body or a
    ``%time`` statement) included, with their lines in the cell."""
    return list(_magic_calls(source))


@functools.lru_cache(maxsize=4096)
def _magic_calls(source: str) -> tuple[MagicCall, ...]:
    calls: list[MagicCall] = []
    for lineno, _, _, call, assigned in _read(source)[1]:
        if call is None:
            continue
        method = call.func.attr
        args = [a.value for a in call.args]
        if _SHELL_METHODS[method] == "shell":
            found = MagicCall("shell", args[0] if args else "", "", None, lineno, assigned)
        else:
            name, line = (args + ["", ""])[:2]
            body = args[2] if method == "run_cell_magic" and len(args) > 2 else None
            found = MagicCall(_SHELL_METHODS[method], name, line, body, lineno, assigned)
        calls.append(found)
        inner = magic_python(found)
        if inner:
            # The Python of a cell magic starts on the line after it; a line magic's is on its line.
            shift = lineno if found.kind == "cell" and found.body is not None else lineno - 1
            if found.kind == "cell" and found.body is not None and found.line:
                inner = found.body  # the setup line of %%timeit is Python with no magic in it
            calls += [MagicCall(c.kind, c.name, c.line, c.body, c.lineno + shift, c.assigned)
                      for c in _magic_calls(inner)]
    return tuple(calls)


def _statement_after_options(args: str) -> str:
    """The Python statement after a %time/%timeit/%prun's options."""
    words = args.split(" ")
    i = 0
    while i < len(words) and (not words[i] or words[i].startswith("-")):
        i += 2 if words[i] in _OPTIONS_WITH_VALUE else 1
    return " ".join(words[i:]).strip()


def magic_python(call: MagicCall) -> str:
    """The Python a magic runs in the cell's namespace ("" for a magic that runs none).

    ``%time stmt``, ``%timeit [options] stmt`` and ``%prun [options] stmt`` run ``stmt``;
    ``%%time``, ``%%timeit``, ``%%prun`` and ``%%capture`` run their body (after the setup
    statement ``%%timeit`` may have on its first line). ``%config Class.trait = value`` runs
    ``cfg.Class.trait = value`` (IPython executes that line in the cell's namespace, with
    ``cfg`` a fresh ``traitlets`` Config).
    """
    if call.kind == "line" and call.name == "config" and "=" in call.line:
        return "cfg." + call.line.strip()
    if call.kind == "shell" or call.name not in PYTHON_MAGICS:
        return ""
    if call.kind == "cell" and call.body is not None:
        setup = _statement_after_options(call.line) if call.name != "capture" else ""
        return (setup + "\n" if setup else "") + call.body
    return "" if call.name == "capture" else _statement_after_options(call.line)


@functools.lru_cache(maxsize=4096)
def scannable_code(source: str) -> str:
    """The kernel's code of a cell with each magic replaced by the Python it runs, or by
    ``pass`` (``None`` where its value is assigned), keeping the cell's line numbers.

    Every other line is the kernel's own. A cell magic's first line becomes ``pass`` (or the
    setup statement of ``%%timeit``) and its body, read the same way, follows on the lines
    where the cell has it; ``%%bash`` and other bodies that are not Python become blank lines.
    """
    lines: list[str] = [""] * _leading_blank_lines(source.splitlines())
    for _, span, text, call, assigned in _read(source)[1]:
        if call is None:
            lines.append(text)
            continue
        indent = text[: len(text) - len(text.lstrip())]
        target = text.strip().encode()[: call.col_offset].decode() if assigned else ""
        args = [a.value for a in call.args]
        if call.func.attr == "run_cell_magic":
            name, line, body = (args + ["", "", ""])[:3]
            magic = MagicCall("cell", name, line, body, 1)
            setup = _statement_after_options(line) if name in PYTHON_MAGICS - {"capture"} else ""
            lines.append(indent + (setup or "pass"))
            if name in PYTHON_MAGICS and magic_python(magic):
                lines += [indent + ln if ln else ln for ln in scannable_code(body).split("\n")]
            else:
                lines += [""] * len(body.splitlines())
            continue
        if call.func.attr == "run_line_magic":
            name, line = (args + ["", ""])[:2]
            python = magic_python(MagicCall("line", name, line, None, 1))
            if name == "config" and python:
                # cfg is a fresh Config of the magic's own: only the value is the cell's code.
                python = "_ = " + python.partition("=")[2].strip()
        else:
            python = ""
        if python and len(scannable_code(python).strip().splitlines()) == 1:
            python = scannable_code(python).strip()
        elif python:
            python = ""  # a magic's statement is one line; anything else is not read as code
        if python and target:
            lines.append(indent + target + "(" + python + ")")
        else:
            lines.append(indent + (python or (target + "None" if target else "pass")))
        lines += [""] * (span - 1)
    return "\n".join(lines)


class OutsideKernelShell:
    """What ``get_ipython()`` returns to the instructor's cells re-run in the grading process.

    The Python of the timing and capture magics runs in the namespace; the other magics and
    shell commands do nothing (outside the kernel they could only change how output looks, or
    reach the grading machine).
    """

    def __init__(self, namespace: dict):
        self.user_ns = namespace

    def _run(self, call: MagicCall):
        python = magic_python(call) if call.name in PYTHON_MAGICS else ""
        if python:
            exec(compile(kernel_code(python), f"<%{call.name}>", "exec"), self.user_ns)

    def run_line_magic(self, magic_name: str, line: str, _stack_depth: int = 1):
        self._run(MagicCall("line", magic_name, line, None, 1))

    def run_cell_magic(self, magic_name: str, line: str, cell: str):
        self._run(MagicCall("cell", magic_name, line, cell, 1))

    def system(self, cmd: str):
        return None

    def getoutput(self, cmd: str, split: bool = True, depth: int = 0):
        return []


def outside_kernel_namespace(namespace: dict) -> dict:
    """Put into ``namespace`` the names IPython provides to every cell (``display``,
    ``get_ipython``), for instructor's code run outside the kernel; returns it."""
    from IPython.display import display

    shell = OutsideKernelShell(namespace)
    namespace.setdefault("display", display)
    namespace.setdefault("get_ipython", lambda: shell)
    return namespace
