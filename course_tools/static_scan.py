"""Static scan of a submission's code: flags suspicious code for a person, never decides points.

The checks that decide points run elsewhere; this scan only reads the code that a student wrote
and points a grader at what deserves a look: changes to modules, built-ins or the test helpers
(``monkeypatching``), IPython's machinery and the interpreter's hooks (``ipython-internals``),
files, the gradebook, processes and the network (``file-system-or-database``), code built or
reached at run time (``dynamic-code``), the course's reference implementation in ``course_lib``
(``reference-implementation``), a library's implementation of the formula
(``library-implementation``) and objects that pretend to be numbers (``fake-value``).

It reads the code with :mod:`ast` and follows names through imports and assignments, across the
cells of a notebook, so that renaming (``import builtins as b; b.abs = ...``), ``getattr`` with a
string built from pieces, ``__import__``, lambdas, decorators and doing it from a later cell are
seen. IPython syntax (``%magic``, ``!shell``, ``%%cell`` magics, ``name?``) is understood: the
harmless magics are left alone, the code of ``%time``/``%timeit`` is scanned, and the others are
flagged. Code that does not parse is read token by token instead; a syntax error by itself is
not suspicious and gives no flag. Strings and comments are not code: a docstring that says
"open" or "eval" is never flagged.

Solution cells may use what ``course_lib.grading``, ``course_lib.mistakes`` and
``course_lib.widgets`` define (the setup cell imports them); anything else of course_lib, and
whatever those three modules merely import, is the reference implementation. Importing a module
that is not installed where the notebook is graded is flagged too: a ``.py`` file handed in
with the notebook runs code this scan does not see (modules an assignment ships are allowed
with ``FlagSuspiciousCode.assignment_modules``).

Honest solutions must never be flagged; ``tests/assignments/<assignment>/honest_variants/`` holds the correct
solutions, written in many ways, that prove it.

``scipy``, PyTorch, TensorFlow, JAX and scikit-learn are flagged as ``library-implementation``
in solution cells: the course asks students to write each formula in numpy, and
``scipy.special.expit(x)`` is a finished sigmoid, so a person decides whether it is acceptable.

``FlagSuspiciousCode`` is the nbgrader preprocessor that runs the scan during ``nbgrader
autograde`` (after ``SaveAutoGrades``): it writes the flags into the gradebook comment of each
flagged solution cell (formgrader shows it, and so does the feedback), adds a note to the
notebook after the flagged cell, sets ``needs_manual_grade`` on the test cells whose scores the
flagged code can affect, and flags the submission (formgrader's flag column).
"""
from __future__ import annotations

import ast
import base64
import binascii
import builtins
import codecs
import contextlib
import functools
import io
import keyword
import re
import sys
import tokenize
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, List, Unicode

from .ipython_code import PYTHON_MAGICS, MagicCall, magic_calls, parse_python, scannable_code

__all__ = ["CATEGORIES", "CellScan", "Flag", "FlagSuspiciousCode", "fold", "graded_names_of",
           "review_text", "scan_cells", "scan_notebook", "scan_source", "strip_ipython_syntax"]

#: Every category a flag can have, with what it means.
CATEGORIES: dict[str, str] = {
    "monkeypatching": "changes a module, a built-in, a class or an object that the tests use",
    "ipython-internals": "reaches into IPython or the interpreter's hooks (what runs cells, "
                         "reports errors or traces code)",
    "file-system-or-database": "reads or writes files, the gradebook or the environment, or "
                               "starts processes, threads or network connections",
    "dynamic-code": "builds or runs code at run time, or reaches objects through introspection",
    "reference-implementation": "uses the course's reference implementation (course_lib)",
    "library-implementation": "calls a library's implementation (scipy, PyTorch, ...) instead "
                              "of writing the formula in numpy",
    "fake-value": "defines an object that can pretend to be a number",
}

MONKEY, IPY, FILES, DYNAMIC, REFERENCE, LIBRARY, FAKE = CATEGORIES

#: The parts of course_lib that solution cells may use (the notebook's setup cell imports them).
ALLOWED_COURSE_LIB = frozenset({"grading", "mistakes", "widgets"})

#: Categories whose effect stays inside the functions of the flagged cell; the others (a patched
#: built-in, a hijacked IPython) can change every test that runs after it.
LOCAL_CATEGORIES = frozenset({REFERENCE, LIBRARY, FAKE})


@dataclass(frozen=True, order=True)
class Flag:
    """One finding of the scan.

    Attributes
    ----------
    category : str
        One of :data:`CATEGORIES`.
    line : int
        The line in the scanned code (1-based); for a notebook, in the cell's source.
    message : str
        What was found, in a sentence; names are in backticks (Markdown code).
    cell : int or None
        The index of the notebook cell that holds the code (None for ``scan_source``).
    """

    category: str
    line: int
    message: str
    cell: int | None = None

    def describe(self) -> str:
        """``line 3 (monkeypatching): replaces `builtins.abs```"""
        return f"line {self.line} ({self.category}): {self.message}"


# --------------------------------------------------------------------------------------------
# What is suspicious, by qualified name
# --------------------------------------------------------------------------------------------

_FILE_ACCESS = "access to files"
#: A scratch file of the working folder: a plain name with a data extension (no folder, no
#: module or notebook), which a cell may write and read back.
SCRATCH_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.(?:txt|csv|tsv|json|npy|npz|dat|log)")
_SCRATCH_WRITERS = frozenset({"numpy.save", "numpy.savez", "numpy.savez_compressed",
                              "numpy.savetxt"})
_SCRATCH_READERS = frozenset({"numpy.load", "numpy.loadtxt", "numpy.genfromtxt"})
_DATABASE = "access to a database or to the notebook machinery"
_PROCESSES = "processes, threads or signals"
_NETWORK = "network access"
_NATIVE = "loads arbitrary objects or native code"

# Qualified-name prefixes whose use (import, read or call) is flagged; the longest matching
# prefix decides.
_USE_RULES: dict[str, tuple[str, str]] = {}
for _name in ("os", "posix", "nt", "posixpath", "ntpath", "pathlib", "shutil", "glob",
              "tempfile", "fileinput", "linecache", "filecmp", "zipfile", "tarfile", "gzip",
              "bz2", "lzma", "fcntl", "mmap", "pwd", "grp", "pty", "resource", "io.open",
              "io.open_code", "io.FileIO", "io.BufferedReader", "io.BufferedWriter",
              "io.BufferedRandom", "io.TextIOWrapper", "builtins.open", "codecs.open",
              "numpy.load", "numpy.save", "numpy.savez",
              "numpy.savez_compressed", "numpy.loadtxt", "numpy.savetxt", "numpy.genfromtxt",
              "numpy.fromfile", "numpy.fromregex", "numpy.memmap", "numpy.DataSource",
              "numpy.lib.format", "numpy.lib.npyio", "matplotlib.pyplot.imread",
              "matplotlib.image", "pandas.read_csv", "pandas.read_pickle", "pandas.read_json",
              "pandas.read_sql", "pandas.read_table", "pandas.read_excel", "pandas.read_parquet"):
    _USE_RULES[_name] = (FILES, _FILE_ACCESS)
for _name in ("sqlite3", "dbm", "shelve", "sqlalchemy", "psycopg", "psycopg2", "pymysql",
              "nbgrader", "nbformat", "nbclient", "nbconvert", "jupyter_client", "jupyter_core",
              "zmq"):
    _USE_RULES[_name] = (FILES, _DATABASE)
for _name in ("subprocess", "multiprocessing", "threading", "_thread", "concurrent", "asyncio",
              "signal", "atexit", "sched", "selectors", "select", "os.fork"):
    _USE_RULES[_name] = (FILES, _PROCESSES)
for _name in ("socket", "socketserver", "ssl", "http", "urllib", "urllib3", "ftplib", "smtplib",
              "telnetlib", "xmlrpc", "webbrowser", "requests", "httpx"):
    _USE_RULES[_name] = (FILES, _NETWORK)
for _name in ("pickle", "_pickle", "dill", "cloudpickle", "joblib", "ctypes", "_ctypes", "cffi"):
    _USE_RULES[_name] = (FILES, _NATIVE)
for _name in ("IPython", "ipykernel", "sys.excepthook", "sys.__excepthook__", "sys.displayhook",
              "sys.__displayhook__", "sys.settrace", "sys.setprofile", "sys.gettrace",
              "sys.getprofile", "sys.breakpointhook", "sys.unraisablehook", "sys.addaudithook",
              "sys.monitoring"):
    _USE_RULES[_name] = (IPY, "IPython's machinery or the interpreter's hooks")
for _name in ("builtins.exec", "builtins.eval", "builtins.compile", "builtins.__import__",
              "builtins.globals", "builtins.locals", "builtins.vars", "builtins.breakpoint",
              "builtins.__build_class__", "importlib", "imp", "runpy", "code", "codeop",
              "pkgutil", "zipimport", "sys.modules", "sys.meta_path", "sys.path_hooks",
              "sys.path_importer_cache", "sys._getframe", "sys._current_frames", "inspect", "gc",
              "marshal", "types.FunctionType", "types.CodeType", "types.ModuleType",
              "types.MethodType", "types.LambdaType"):
    _USE_RULES[_name] = (DYNAMIC, "builds, runs or reaches code at run time")
for _name in ("operator.setitem", "operator.delitem"):
    _USE_RULES[_name] = (MONKEY, "changes an object in place")
for _name in ("scipy", "torch", "tensorflow", "jax", "keras", "sklearn", "theano", "mxnet",
              "paddle"):
    _USE_RULES[_name] = (LIBRARY, "a library implementation; the course asks for numpy")

# Names that IPython puts in the user's namespace; their qualified name says where they lead.
_INJECTED = {"get_ipython": "IPython.get_ipython", "In": "IPython.history.In",
             "Out": "IPython.history.Out", "_ih": "IPython.history._ih",
             "_oh": "IPython.history._oh", "_dh": "IPython.history._dh",
             "_i": "IPython.history._i", "_ii": "IPython.history._ii",
             "_iii": "IPython.history._iii", "__": "IPython.history.__",
             "___": "IPython.history.___"}
_HISTORY_NAME = re.compile(r"^_i?\d+$")

# Attribute names that lead into IPython's shell or the interpreter, whatever object holds them.
IPYTHON_ATTRIBUTES = frozenset({
    "input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
    "ast_transformers", "run_cell", "run_cell_async", "run_ast_nodes", "run_code",
    "run_cell_magic", "run_line_magic", "set_custom_exc", "custom_exceptions", "showtraceback",
    "_showtraceback", "showsyntaxerror", "user_ns", "user_global_ns", "user_ns_hidden",
    "display_pub", "displayhook", "excepthook", "register_magic_function", "prefilter_manager",
    "transform_cell", "should_run_async", "_run_cell", "settrace", "setprofile",
    "safe_execfile", "safe_run_module", "system_piped", "system_raw", "getoutput",
})
FRAME_ATTRIBUTES = frozenset({"f_globals", "f_locals", "f_back", "f_builtins", "f_code",
                              "f_trace", "tb_frame", "tb_next", "gi_frame", "cr_frame",
                              "ag_frame", "gi_code", "co_code", "co_consts"})
# Dunder attributes that reach around normal code: reading one is already suspicious.
DANGEROUS_DUNDERS = frozenset({
    "__class__", "__bases__", "__base__", "__mro__", "__subclasses__", "__globals__",
    "__builtins__", "__code__", "__closure__", "__func__", "__self__", "__defaults__",
    "__kwdefaults__", "__getattribute__", "__setattr__", "__delattr__", "__setitem__",
    "__delitem__", "__import__", "__loader__", "__spec__", "__reduce__", "__reduce_ex__",
    "__init_subclass__", "__set_name__", "__wrapped__", "__builtin__",
})
# Methods that change a container in place.
MUTATORS = frozenset({"clear", "update", "pop", "popitem", "setdefault", "append", "extend",
                      "insert", "remove", "add", "discard", "__setitem__", "__delitem__",
                      "__setattr__", "__delattr__", "sort", "reverse"})
# Classes that pretend to be numbers: the methods that make them lie.
_ALWAYS_FAKE = frozenset({"__array_ufunc__", "__array_function__", "__instancecheck__",
                          "__subclasscheck__", "__getattribute__", "__array_priority__"})
_NUMBER_FAKE = frozenset({"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__abs__",
                          "__bool__", "__float__", "__array__", "__array_wrap__",
                          "__array_finalize__", "__sub__", "__rsub__", "__neg__", "__getattr__",
                          "__hash__"})
_NUMBER_BASES = ("builtins.float", "builtins.int", "builtins.complex", "builtins.bool",
                 "numpy.", "numbers.")

# Strings that name something suspicious: a string is how getattr, __import__ and friends are
# told what to reach, so such a string is itself worth a look.
SENSITIVE_STRINGS: dict[str, str] = {
    **{name: IPY for name in ("get_ipython", "IPython", "ipykernel", *IPYTHON_ATTRIBUTES)},
    **{name: DYNAMIC for name in ("builtins", "__builtins__", "__import__", "__globals__",
                                  "__code__", "__subclasses__", "importlib", "sys.modules")},
    **{name: FILES for name in ("subprocess", "sqlite3", "shutil", "pathlib", "ctypes",
                                "pickle", "socket")},
    **{name: MONKEY for name in ("check_function", "check_value", "MISTAKES")},
}

# Modules that other modules import and so expose as attributes (numpy.lib.npyio.os): a chain
# that passes through one is checked from there too.
_REACHABLE_MODULES = frozenset({"os", "sys", "subprocess", "builtins", "shutil", "pathlib",
                                "importlib", "socket", "ctypes", "pickle", "IPython", "inspect",
                                "sqlite3"})

_BUILTIN_NAMES = frozenset(dir(builtins))
_KNOWN_MODULES = frozenset({"builtins", "sys", "os", "os.path", "numpy", "math", "io", "types",
                            "IPython", "importlib", "inspect", "gc", "operator", "functools"})

# Harmless magics and magics that reach the shell or files (magics whose argument or body is
# Python, ipython_code.PYTHON_MAGICS, are harmless: their code is scanned); any other magic is
# flagged as IPython internals.
_HARMLESS_MAGICS = frozenset({"matplotlib", "precision", "who", "whos", "who_ls", "pinfo",
                              "pinfo2", "pdoc", "pdef", "lsmagic", "magic", "quickref",
                              "pprint", "markdown", "latex", "page", "doctest_mode", "colors",
                              "autoindent"})
_SHELL_MAGICS = frozenset({"cd", "pwd", "ls", "ll", "lf", "lk", "lx", "cat", "mkdir", "rm",
                           "rmdir", "cp", "mv", "less", "more", "man", "bookmark", "dhist",
                           "dirs", "popd", "pushd", "sx", "system", "sc", "alias", "unalias",
                           "rehashx", "run", "load", "loadpy", "save", "pycat", "pfile", "edit",
                           "store", "writefile", "file", "killbgscripts", "bash", "sh",
                           "script", "conda", "pip", "mamba", "uv", "notebook", "logstart",
                           "logon", "logoff", "logstop", "env", "set_env", "perl", "ruby",
                           "python", "python2", "python3", "pypy", "!", "psource"})


@functools.lru_cache(maxsize=None)
def course_lib_defines(module: str) -> frozenset[str]:
    """The public names a course_lib module defines itself (not what it imports), from its
    source, without importing it."""
    spec = find_spec("course_lib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / f"{module}.py"
        if path.exists():
            tree = parse_python(path.read_text())
            names = set()
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names |= {n for t in targets for n in _target_names(t)}
            return frozenset(n for n in names if not n.startswith("_"))
    return frozenset()


@functools.lru_cache(maxsize=1024)
def _is_installed(top: str) -> bool:
    """True if a top-level module can be imported where the scan runs (nothing is imported)."""
    if not top.isidentifier():
        return False
    try:
        return find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def _code(text: str) -> str:
    """A name for a message, as Markdown code; anything but a plain dotted name is reduced."""
    shown = re.sub(r"[`<>&\x00-\x1f\x7f]", "?", text)
    return "`" + (shown if len(shown) <= 80 else shown[:77] + "...") + "`"


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _prefixes(qualname: str) -> Iterator[str]:
    parts = qualname.split(".")
    for n in range(len(parts), 0, -1):
        yield ".".join(parts[:n])


#: What notebooks use of IPython to show results: the display functions and the text-like display
#: objects. Nothing else of IPython (``IPython.display.Javascript`` runs code in the browser,
#: ``set_matplotlib_formats`` reaches the shell).
DISPLAY_HELPERS = frozenset(f"IPython.display.{name}" for name in (
    "display", "clear_output", "update_display", "display_pretty", "display_html",
    "display_markdown", "display_latex", "display_json", "display_svg", "display_png",
    "display_jpeg", "Markdown", "HTML", "Latex", "Math", "Pretty", "Code", "JSON", "SVG",
    "Image", "DisplayHandle"))


def _use_rule(qualname: str) -> tuple[str, str] | None:
    if qualname in DISPLAY_HELPERS or qualname.split("(")[0] in DISPLAY_HELPERS:
        return None
    for prefix in _prefixes(qualname):
        if prefix in _USE_RULES:
            return _USE_RULES[prefix]
    return None


# --------------------------------------------------------------------------------------------
# Folding strings: getattr(x, "run_" + "cell") names run_cell
# --------------------------------------------------------------------------------------------

_UNKNOWN = object()
_MAX_FOLDED = 10_000
_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize",
                          "swapcase", "replace", "format", "join", "decode", "encode",
                          "removeprefix", "removesuffix", "casefold"})


def fold(node: ast.AST, names=None):
    """The constant value of an expression built from literals, or ``_UNKNOWN``.

    Covers what obfuscation uses: concatenation, repetition, %-formatting, f-strings, slicing,
    the string methods of ``_STR_METHODS``, ``chr``, ``reversed``, ``bytes.fromhex``,
    ``base64.b64decode`` and ``codecs.decode(..., "rot13")``.

    ``names``, if given, maps a Name node to the expression bound to it (or None).
    """
    return _fold(node, 0, names)


def _fold(node: ast.AST, depth: int, names):
    if depth > 40:
        return _UNKNOWN
    d = depth + 1

    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes, int)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and names is not None:
        value = names(node)
        return _fold(value, d, names) if value is not None else _UNKNOWN
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _fold(node.operand, d, names)
        if isinstance(value, int):
            return -value if isinstance(node.op, ast.USub) else value
        return _UNKNOWN
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_fold(e, d, names) for e in node.elts]
        return _UNKNOWN if any(i is _UNKNOWN for i in items) else items
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                if value.format_spec is not None or value.conversion not in (-1, 115):
                    return _UNKNOWN
                inner = _fold(value.value, d, names)
                if inner is _UNKNOWN or isinstance(inner, list):
                    return _UNKNOWN
                parts.append(str(inner))
            else:
                inner = _fold(value, d, names)
                if not isinstance(inner, str):
                    return _UNKNOWN
                parts.append(inner)
        return "".join(parts)
    if isinstance(node, ast.BinOp):
        left, right = _fold(node.left, d, names), _fold(node.right, d, names)
        if left is _UNKNOWN or right is _UNKNOWN:
            return _UNKNOWN
        try:
            if isinstance(node.op, ast.Add) and type(left) is type(right) \
                    and not isinstance(left, list):
                value = left + right
            elif isinstance(node.op, ast.Mult) and isinstance(left, (str, bytes)) \
                    and isinstance(right, int) and 0 <= right * len(left) <= _MAX_FOLDED:
                value = left * right
            elif isinstance(node.op, ast.Mod) and isinstance(left, str) \
                    and isinstance(right, (str, int, list)) and _safe_format(left, right):
                value = left % (tuple(right) if isinstance(right, list) else right)
            else:
                return _UNKNOWN
        except (TypeError, ValueError):
            return _UNKNOWN
        return value if not isinstance(value, (str, bytes)) or len(value) <= _MAX_FOLDED \
            else _UNKNOWN
    if isinstance(node, ast.Subscript):
        base = _fold(node.value, d, names)
        if not isinstance(base, (str, bytes, list)):
            return _UNKNOWN
        if isinstance(node.slice, ast.Slice):
            bounds = [None if b is None else _fold(b, d, names)
                      for b in (node.slice.lower, node.slice.upper, node.slice.step)]
            if any(b is _UNKNOWN or (b is not None and not isinstance(b, int)) for b in bounds):
                return _UNKNOWN
            try:
                return base[slice(*bounds)]
            except ValueError:
                return _UNKNOWN
        index = _fold(node.slice, d, names)
        try:
            return base[index] if isinstance(index, int) else _UNKNOWN
        except IndexError:
            return _UNKNOWN
    if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
        args = [_fold(a, d, names) for a in node.args]
        if any(a is _UNKNOWN for a in args) or node.keywords:
            return _UNKNOWN
        func = node.func
        if isinstance(func, ast.Name):
            if func.id == "chr" and len(args) == 1 and isinstance(args[0], int):
                return chr(args[0]) if 0 <= args[0] < 0x110000 else _UNKNOWN
            if func.id == "str" and len(args) == 1 and isinstance(args[0], (str, int)):
                return str(args[0])
            if func.id == "reversed" and len(args) == 1 and isinstance(args[0], (str, list)):
                return list(reversed(args[0]))
            if func.id in ("bytes", "bytearray") and len(args) == 1 and isinstance(args[0], list) \
                    and all(isinstance(i, int) and 0 <= i < 256 for i in args[0]):
                return bytes(args[0])
            return _UNKNOWN
        if isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id == "bytes" and func.attr == "fromhex" \
                    and len(args) == 1 and isinstance(args[0], str):
                try:
                    return bytes.fromhex(args[0])
                except ValueError:
                    return _UNKNOWN
            if isinstance(owner, ast.Name) and owner.id == "base64" and len(args) == 1 \
                    and func.attr in ("b64decode", "b32decode", "b16decode", "urlsafe_b64decode"):
                try:
                    return getattr(base64, func.attr)(args[0])
                except (binascii.Error, ValueError, TypeError):
                    return _UNKNOWN
            if isinstance(owner, ast.Name) and owner.id == "codecs" and func.attr == "decode" \
                    and len(args) == 2 and isinstance(args[0], str) \
                    and str(args[1]).replace("_", "") in ("rot13", "rot-13"):
                return codecs.decode(args[0], "rot13")
            if func.attr in _STR_METHODS:
                target = _fold(owner, d, names)
                if not isinstance(target, (str, bytes)):
                    return _UNKNOWN
                if func.attr == "join":
                    items = args[0] if len(args) == 1 else _UNKNOWN
                    if not isinstance(items, list) or not all(
                            type(i) is type(target) for i in items) or sum(
                            map(len, items)) + len(target) * len(items) > _MAX_FOLDED:
                        return _UNKNOWN
                    return target.join(items)
                if any(isinstance(a, list) for a in args):
                    return _UNKNOWN
                if func.attr == "format" and not _safe_format(target, args):
                    return _UNKNOWN
                if func.attr == "replace" and len(args) >= 2 and isinstance(args[1], str) \
                        and (len(target) + 1) * max(1, len(args[1])) > _MAX_FOLDED:
                    return _UNKNOWN
                try:
                    value = getattr(target, func.attr)(*args)
                except (TypeError, ValueError, IndexError, KeyError, LookupError):
                    return _UNKNOWN
                return value if isinstance(value, (str, bytes)) and len(value) <= _MAX_FOLDED \
                    else _UNKNOWN
    return _UNKNOWN




def _safe_format(template, values) -> bool:
    """True if %-formatting or str.format cannot build a huge string (no wide fields)."""
    values = values if isinstance(values, list) else [values]
    return isinstance(template, str) and not re.search(r"\d{5,}|\*", template) and all(
        not isinstance(v, int) or abs(v) <= _MAX_FOLDED for v in values)


def _folded_str(node: ast.AST, names=None) -> str | None:
    value = fold(node, names=names)
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------------------------
# IPython syntax
# --------------------------------------------------------------------------------------------

def _benign_with_arguments(name: str, args: str) -> bool:
    """Magics that are ordinary notebook habits with these arguments (and only with them)."""
    words = args.split()
    if name in ("load_ext", "reload_ext", "unload_ext"):
        return words == ["autoreload"]
    if name == "autoreload":
        return all(re.fullmatch(r"[0-3]|now|off|explicit|all|complete|-[pl]|--print|--log", w)
                   for w in words)
    if name == "config":
        # %config InlineBackend.figure_format = 'retina': its value is Python, scanned as such.
        return re.fullmatch(r"InlineBackend(\.[A-Za-z_]\w*)?(\s*=.*)?", args.strip(),
                            re.S) is not None
    return False


def _magic_flag(call: MagicCall) -> Flag | None:
    """Flag a magic or shell command, by what it can reach (not by the code it runs: that is
    scanned as Python)."""
    if call.kind == "shell":
        return Flag(FILES, call.lineno, f"runs the shell command {_code('!' + call.name[:40])}")
    # IPython reads a %%cell magic below the first line as the line magic named "%cell".
    cell_magic = call.kind == "cell" or call.name.startswith("%")
    name = call.name.lstrip("%")
    sigil = "%%" if cell_magic else "%"
    if name in _HARMLESS_MAGICS or name in PYTHON_MAGICS or _benign_with_arguments(name,
                                                                                   call.line):
        return None
    if name in _SHELL_MAGICS:
        return Flag(FILES, call.lineno, f"runs the magic {_code(sigil + name)}, which reaches "
                                        f"the shell or files")
    return Flag(IPY, call.lineno, f"runs the magic {_code(sigil + name)}")


def strip_ipython_syntax(code: str) -> tuple[str, list[Flag]]:
    """The Python the scan reads for a cell, line for line, and flags for its magics.

    The code is the kernel's own (`course_tools.ipython_code`, the re-check's reading too), with
    each magic replaced by the Python it runs or by ``pass``; plain Python comes back as it is.
    """
    try:
        python = scannable_code(code)
        calls = magic_calls(code)
    except (ValueError, RecursionError, MemoryError):
        return code, []  # not IPython syntax: Python cannot compile it either
    flags = [flag for flag in map(_magic_flag, calls) if flag is not None]
    return python, flags


# --------------------------------------------------------------------------------------------
# Scopes and what names refer to
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Binding:
    kind: str            # import, assign, iter, param, def, class, opaque
    node: ast.AST        # the binding statement or expression (for its line)
    value: object = None  # import: qualname; assign/iter: expression; param: (func, name, index)
    scope: object = None  # the scope in which ``value`` is evaluated
    module: bool = False  # import: the name is bound to a module


class _Scope:
    def __init__(self, kind: str, node: ast.AST, parent: "_Scope | None"):
        self.kind, self.node, self.parent = kind, node, parent
        self.bindings: dict[str, list[_Binding]] = {}
        self.globals: set[str] = set()
        self.method_self: str | None = None

    @property
    def module(self) -> "_Scope":
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


@dataclass(frozen=True)
class _EnvEntry:
    """What a name bound by an earlier cell refers to."""

    qualnames: frozenset
    modules: frozenset
    own: bool  # bound by code the student can edit


class _ScopeBuilder(ast.NodeVisitor):
    """Records scopes, bindings, parents and calls of a module."""

    def __init__(self):
        self.scope: _Scope | None = None
        self.calls: list[tuple[ast.Call, _Scope]] = []
        self.class_scopes: list[_Scope] = []

    def visit(self, node):
        node._scope = self.scope
        for child in ast.iter_child_nodes(node):
            child._parent = node
        return super().visit(node)

    def _bind(self, name: str, binding: _Binding, scope: _Scope | None = None):
        scope = scope or self.scope
        if name in scope.globals:
            scope = scope.module
        scope.bindings.setdefault(name, []).append(binding)

    def _bind_target(self, target, value, node):
        """Bind the names of an assignment target to what they receive."""
        if isinstance(target, ast.Name):
            self._bind(target.id, _Binding("assign", node, value, self.scope)
                       if value is not None else _Binding("opaque", node))
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) \
                and len(value.elts) == len(target.elts) else [None] * len(target.elts)
            for t, v in zip(target.elts, values):
                self._bind_target(t.value if isinstance(t, ast.Starred) else t, v, node)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None, node)

    def visit_Module(self, node):
        self.scope = _Scope("module", node, None)
        node._scope = self.scope
        self.generic_visit(node)

    def _function(self, node, name: str | None):
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)
        for deco in getattr(node, "decorator_list", []):
            self.visit(deco)
        for ann in [a.annotation for a in _all_args(node.args) if a.annotation] + \
                [getattr(node, "returns", None)]:
            if ann is not None:
                self.visit(ann)
        if name is not None:
            self._bind(name, _Binding("def", node))
        outer = self.scope
        scope = _Scope("function", node, outer)
        positional = node.args.posonlyargs + node.args.args
        if outer.kind == "class" and positional and not any(
                isinstance(d, ast.Name) and d.id == "staticmethod"
                for d in getattr(node, "decorator_list", [])):
            scope.method_self = positional[0].arg
        self.scope = scope
        for index, arg in enumerate(_all_args(node.args)):
            self._bind(arg.arg, _Binding("param", node, (node, arg.arg,
                                                         index if arg in positional else None),
                                         outer))
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            self.visit(stmt)
        self.scope = outer

    def visit_FunctionDef(self, node):
        self._function(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        self._function(node, None)

    def visit_ClassDef(self, node):
        for expr in node.bases + [k.value for k in node.keywords] + node.decorator_list:
            self.visit(expr)
        self._bind(node.name, _Binding("class", node))
        outer = self.scope
        self.scope = _Scope("class", node, outer)
        self.class_scopes.append(self.scope)
        for stmt in node.body:
            self.visit(stmt)
        self.scope = outer

    def _comprehension(self, node, elements):
        outer = self.scope
        self.visit(node.generators[0].iter)
        self.scope = _Scope("comprehension", node, outer)
        for i, gen in enumerate(node.generators):
            if i:
                self.visit(gen.iter)
            self._bind_iter(gen.target, gen.iter, gen)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for element in elements:
            self.visit(element)
        self.scope = outer

    def visit_ListComp(self, node):
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, [node.key, node.value])

    def _bind_iter(self, target, iterable, node):
        for name in _target_names(target):
            self._bind(name, _Binding("iter", node, iterable, self.scope))

    def visit_Assign(self, node):
        for target in node.targets:
            self._bind_target(target, node.value, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self._bind_target(node.target, node.value, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._bind_target(node.target, None, node)
        self.generic_visit(node)

    def visit_NamedExpr(self, node):
        scope = self.scope
        while scope.kind == "comprehension":
            scope = scope.parent
        self._bind(node.target.id, _Binding("assign", node, node.value, self.scope), scope)
        self.generic_visit(node)

    def visit_For(self, node):
        self._bind_iter(node.target, node.iter, node)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, None, node)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node):
        if node.name:
            self._bind(node.name, _Binding("opaque", node))
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self._bind(alias.asname, _Binding("import", node, alias.name, module=True))
            else:
                top = alias.name.split(".")[0]
                self._bind(top, _Binding("import", node, top, module=True))
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            qualname = f"{module}.{alias.name}" if node.module else module + alias.name
            self._bind(alias.asname or alias.name,
                       _Binding("import", node, qualname,
                                module=qualname in _KNOWN_MODULES))
        self.generic_visit(node)

    def visit_Global(self, node):
        self.scope.globals.update(node.names)
        for name in node.names:
            self.scope.module.bindings.setdefault(name, [])

    visit_Nonlocal = visit_Global

    def visit_Delete(self, node):
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind(target.id, _Binding("opaque", node))
        self.generic_visit(node)

    def visit_MatchAs(self, node):
        if node.name:
            self._bind(node.name, _Binding("opaque", node))
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        if node.name:
            self._bind(node.name, _Binding("opaque", node))
        self.generic_visit(node)

    def visit_Call(self, node):
        self.calls.append((node, self.scope))
        self.generic_visit(node)


def _all_args(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return args.posonlyargs + args.args + extra + args.kwonlyargs


def _target_names(target) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _dotted(node: ast.AST) -> str:
    """A readable rendering of a name chain (``a.b[...].c``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    if isinstance(node, ast.Subscript):
        return _dotted(node.value) + "[...]"
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return "(...)"


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call, ast.Starred)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------

class _Analysis:
    """The scan of one piece of code, with what earlier cells bound."""

    def __init__(self, tree: ast.Module, graded: frozenset, env: Mapping[str, _EnvEntry],
                 protected: frozenset, kind: str, depth: int,
                 local_modules: frozenset = frozenset()):
        self.tree, self.env, self.protected, self.kind = tree, env, protected, kind
        self.depth, self.local_modules = depth, local_modules
        builder = _ScopeBuilder()
        builder.visit(tree)
        self.module_scope: _Scope = tree._scope
        self.calls = builder.calls
        # What is stored in attributes (self.m = np, or m = np in a class body), by attribute
        # name: an object the scan cannot follow still gives away what its attribute holds.
        self.attribute_values: dict[str, list[tuple[ast.AST, _Scope]]] = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute):
                        self.attribute_values.setdefault(target.attr, []).append(
                            (node.value, node._scope))
        for scope in builder.class_scopes:
            for name, bindings in scope.bindings.items():
                for binding in bindings:
                    if binding.kind == "assign":
                        self.attribute_values.setdefault(name, []).append(
                            (binding.value, binding.scope))
        top_defs = {n.name for n in tree.body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        self.graded = frozenset(graded) | (top_defs if kind == "solution" else frozenset())
        self.flags: dict[tuple, Flag] = {}
        self._memo: dict[object, frozenset] = {}
        self._busy: set[object] = set()
        self.modules: set[str] = set(_KNOWN_MODULES)
        for entry in env.values():
            self.modules |= entry.modules
        docstrings = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                    and node.body and isinstance(node.body[0], ast.Expr) \
                    and isinstance(node.body[0].value, ast.Constant):
                docstrings.add(id(node.body[0].value))
        self.docstrings = docstrings

    # -- flags ----------------------------------------------------------------------------
    def flag(self, category: str, node_or_line, message: str):
        line = node_or_line if isinstance(node_or_line, int) else getattr(node_or_line,
                                                                          "lineno", 1)
        key = (category, line, message)
        self.flags.setdefault(key, Flag(category, line, message))

    # -- name resolution ---------------------------------------------------------------------
    def lookup(self, name: str, scope: _Scope) -> _Scope | None:
        current = scope
        while current is not None:
            if current.kind == "class" and current is not scope:
                current = current.parent
                continue
            if name in current.globals:
                return current.module if name in current.module.bindings else None
            if name in current.bindings:
                return current
            current = current.parent
        return None

    def name_qualnames(self, name: str, scope: _Scope) -> frozenset:
        found = self.lookup(name, scope)
        if found is None:
            if name in self.env:
                return self.env[name].qualnames
            if name == "__builtins__":
                return frozenset({"builtins"})
            if name in _INJECTED:
                return frozenset({_INJECTED[name]})
            if _HISTORY_NAME.match(name):
                return frozenset({"IPython.history." + name})
            if name in _BUILTIN_NAMES:
                return frozenset({"builtins." + name})
            return frozenset()
        result = set()
        for binding in found.bindings[name]:
            result |= self.binding_qualnames(binding)
        if found.kind == "module" and name in self.env:
            result |= self.env[name].qualnames
        return frozenset(result)

    def binding_qualnames(self, binding: _Binding) -> frozenset:
        key = ("binding", id(binding))
        if key not in self._memo:
            if key in self._busy:
                return frozenset()
            self._busy.add(key)
            try:
                self._memo[key] = self._binding_qualnames(binding)
            finally:
                self._busy.discard(key)
        return self._memo[key]

    def _binding_qualnames(self, binding: _Binding) -> frozenset:
        if binding.kind == "import":
            if binding.module:
                self.modules.add(binding.value)
            return frozenset({binding.value})
        if binding.kind == "assign":
            return self.resolve(binding.value, binding.scope)
        if binding.kind == "iter":
            iterable = binding.value
            if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
                result = set()
                for element in iterable.elts:
                    result |= self.resolve(element, binding.scope)
                return frozenset(result)
            return frozenset()
        if binding.kind == "param":
            return self.param_qualnames(*binding.value, binding.scope)
        return frozenset()

    def param_qualnames(self, func, name: str, index: int | None, outer: _Scope) -> frozenset:
        """What callers pass for a parameter of a function defined in this code."""
        result = set()
        positional = func.args.posonlyargs + func.args.args
        defaults = dict(zip([a.arg for a in positional][::-1], func.args.defaults[::-1]))
        defaults.update({a.arg: d for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults)
                         if d is not None})
        if name in defaults:
            result |= self.resolve(defaults[name], outer)
        for call, scope in self.calls:
            target = call.func
            if isinstance(func, ast.Lambda):
                if target is not func:
                    continue
            else:
                if not isinstance(target, ast.Name) or target.id != func.name:
                    continue
                found = self.lookup(target.id, scope)
                if found is None or not any(b.node is func for b in found.bindings[target.id]):
                    continue
            if index is not None and index < len(call.args) \
                    and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
                result |= self.resolve(call.args[index], scope)
            for keyword_arg in call.keywords:
                if keyword_arg.arg == name:
                    result |= self.resolve(keyword_arg.value, scope)
        return frozenset(result)

    def resolve(self, node: ast.AST, scope: _Scope | None = None) -> frozenset:
        """The qualified names an expression can refer to (empty when unknown or computed)."""
        if node is None:
            return frozenset()
        key = id(node)
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:
            return frozenset()
        self._busy.add(key)
        try:
            result = self._resolve(node, scope if scope is not None else node._scope)
        finally:
            self._busy.discard(key)
        self._memo[key] = result
        return result

    def _resolve(self, node, scope) -> frozenset:
        if isinstance(node, ast.Name):
            return self.name_qualnames(node.id, scope)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, scope)
            if base:
                return frozenset(q + "." + node.attr for q in base)
            result = set()
            for value, value_scope in self.attribute_values.get(node.attr, ()):
                result |= self.resolve(value, value_scope)
            return frozenset(result)
        if isinstance(node, ast.NamedExpr):
            return self.resolve(node.value, scope)
        if isinstance(node, ast.IfExp):
            return self.resolve(node.body, scope) | self.resolve(node.orelse, scope)
        if isinstance(node, ast.BoolOp):
            result = set()
            for value in node.values:
                result |= self.resolve(value, scope)
            return frozenset(result)
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value, scope)
            key = self.text(node.slice)
            if key is not None and any(q == "sys.modules" for q in base):
                self.modules.add(key)
                return frozenset({key})
            if key is not None and any(q == "builtins" or q.endswith(".__dict__") for q in base):
                return frozenset((q[: -len(".__dict__")] if q.endswith(".__dict__") else q)
                                 + "." + key for q in base)
            if isinstance(node.value, (ast.List, ast.Tuple)):
                index = fold(node.slice, self.bound_value)
                if isinstance(index, int) and -len(node.value.elts) <= index < len(
                        node.value.elts):
                    return self.resolve(node.value.elts[index], scope)
            return frozenset()
        if isinstance(node, ast.Call):
            func = self.resolve(node.func, scope)
            if func & {"builtins.__import__", "importlib.import_module", "importlib.__import__"}:
                name = self.text(node.args[0]) if node.args else None
                if name:
                    # __import__("a.b") returns a, unless a fromlist is given; import_module
                    # returns a.b.
                    fromlist = node.args[3] if len(node.args) > 3 else next(
                        (k.value for k in node.keywords if k.arg == "fromlist"), None)
                    folded = fold(fromlist, self.bound_value) if fromlist is not None else []
                    if "importlib.import_module" in func or (isinstance(folded, list)
                                                            and folded):
                        result = {name}
                    elif isinstance(folded, list):
                        result = {name.split(".")[0]}
                    else:
                        result = {name, name.split(".")[0]}
                    self.modules.update(result)
                    return frozenset(result)
            if "builtins.getattr" in func and len(node.args) >= 2:
                attr = self.text(node.args[1])
                if attr:
                    return frozenset(q + "." + attr for q in self.resolve(node.args[0], scope))
            if "builtins.vars" in func and len(node.args) == 1:
                return frozenset(q + ".__dict__" for q in self.resolve(node.args[0], scope))
            return frozenset(q + "()" for q in func
                             if q.startswith("IPython") or q in SETUP_FACTORIES)
        return frozenset()

    def bound_value(self, name_node: ast.Name) -> ast.AST | None:
        """The expression a name is bound to, if it is bound once, by a plain assignment."""
        scope = getattr(name_node, "_scope", None)
        found = self.lookup(name_node.id, scope) if scope is not None else None
        if found is None or name_node.id in self.env:
            return None
        bindings = found.bindings[name_node.id]
        if len(bindings) == 1 and bindings[0].kind == "assign":
            return bindings[0].value
        return None

    def text(self, node: ast.AST) -> str | None:
        """The string an expression always evaluates to, following constant names."""
        return _folded_str(node, self.bound_value)

    def is_module(self, qualname: str) -> bool:
        return qualname in self.modules

    def owns(self, name_node: ast.Name) -> bool:
        """True if the name is bound by the code the student wrote (here or in an earlier cell)."""
        found = self.lookup(name_node.id, name_node._scope)
        if found is not None:
            return True
        entry = self.env.get(name_node.id)
        return entry is not None and entry.own

    # -- classification ----------------------------------------------------------------------
    def check_qualname(self, node, qualname: str, verb: str = "uses"):
        """Flag a use (import, read, call) of a qualified name if it is suspicious."""
        if "()" in qualname:
            return  # what a call returns: the call itself was checked
        parent = getattr(node, "_parent", None)
        if (isinstance(parent, ast.Call) and parent.func is node
                and id(parent) in getattr(self, "scratch_calls", ())
                and qualname in _SCRATCH_WRITERS | _SCRATCH_READERS | {"builtins.open"}):
            return
        parts = qualname.split(".")
        for i in range(1, len(parts)):
            if parts[i] in _REACHABLE_MODULES:  # e.g. numpy.lib.npyio.os.system
                self.check_qualname(node, ".".join(parts[i:]), verb)
                break
        if qualname.split(".")[0] == "course_lib":
            self.check_course_lib(node, qualname, bound=None, verb=verb)
            return
        if qualname.startswith("IPython.history"):
            self.flag(IPY, node, f"reads IPython's input and output history "
                                 f"({_code(qualname.rsplit('.', 1)[1])}), which holds the "
                                 f"test cells")
            return
        rule = _use_rule(qualname)
        if rule is None:
            return
        category, reason = rule
        if category == LIBRARY and self.kind != "solution":
            return
        self.flag(category, node, f"{verb} {_code(qualname)} ({reason})")

    def check_course_lib(self, node, qualname: str, bound: str | None, verb: str = "uses"):
        parts = qualname.split(".")
        if self.kind != "solution":
            if bound is not None and bound in self.graded:
                self.flag(REFERENCE, node, f"binds {_code(bound)} to {_code(qualname)} outside "
                                           f"its solution cell: the tests would check the "
                                           f"reference implementation")
            return
        if len(parts) == 1:
            self.flag(REFERENCE, node, f"{verb} the package {_code('course_lib')}, which holds "
                                       f"the reference implementation")
            return
        module, rest = parts[1], parts[2:]
        named = [p for p in rest if p in self.graded]
        as_graded = bound is not None and bound in self.graded and bound not in rest
        if module in ALLOWED_COURSE_LIB and not named and not as_graded and (
                not rest or rest[0] == "*" or rest[0] in course_lib_defines(module)):
            return
        if named:
            self.flag(REFERENCE, node, f"{verb} {_code(qualname)}: the reference implementation "
                                       f"of {_code(named[0])}, the very function being graded")
        elif as_graded:
            self.flag(REFERENCE, node, f"{verb} {_code(qualname)} as {_code(bound)}, the very "
                                       f"function being graded: the tests would check the "
                                       f"reference implementation")
        elif module in ALLOWED_COURSE_LIB:
            self.flag(REFERENCE, node, f"{verb} {_code(qualname)}, which "
                                       f"{_code('course_lib.' + module)} does not define "
                                       f"for solutions (an import of it, or a private helper)")
        else:
            self.flag(REFERENCE, node, f"{verb} {_code(qualname)} from the reference "
                                       f"implementation (only course_lib.grading, "
                                       f"course_lib.mistakes and course_lib.widgets belong in "
                                       f"a solution)")

    def check_import(self, node, qualname: str, bound: str, module: str | None = None):
        """An import of ``qualname`` (``module`` is the module part of a from-import)."""
        top = qualname.split(".")[0]
        if top == "course_lib":
            self.check_course_lib(node, qualname, bound, verb="imports")
            return
        self.check_qualname(node, qualname, verb="imports")
        if top not in self.local_modules and not _is_installed(top):
            self.flag(DYNAMIC, node, f"imports {_code(module or qualname)}, which is not "
                                     f"installed where the notebook is graded: a module from "
                                     f"the submission's folder runs code this scan does not see")

    # -- the walk ------------------------------------------------------------------------------
    def scratch_file_calls(self) -> set[int]:
        """The calls that write a scratch file of the working folder and read it back, in this
        cell (ids of the Call nodes): writing your own numbers and reading them again reaches
        nothing of the grader's. A read of a file the cell did not write stays flagged."""
        writes: dict[str, list[int]] = {}
        reads: dict[str, list[int]] = {}
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            path = self.text(node.args[0])
            if not path or not SCRATCH_FILE.fullmatch(path):
                continue
            for qualname in self.resolve(node.func):
                if qualname == "builtins.open":
                    mode = self.text(node.args[1]) if len(node.args) > 1 else next(
                        (self.text(k.value) for k in node.keywords if k.arg == "mode"), "r")
                    if mode is None:
                        continue
                    side = writes if set(mode) & set("wax+") else reads
                elif qualname in _SCRATCH_WRITERS:
                    side = writes
                elif qualname in _SCRATCH_READERS:
                    side = reads
                else:
                    continue
                side.setdefault(path, []).append(id(node))
        return {call for path in writes.keys() & reads.keys()
                for call in writes[path] + reads[path]}

    def run(self) -> list[Flag]:
        self.scratch_calls = self.scratch_file_calls()
        for node in ast.walk(self.tree):
            method = getattr(self, "visit_" + type(node).__name__, None)
            if method is not None:
                method(node)
        self.check_module_bindings()
        return sorted(self.flags.values(), key=lambda f: (f.line, f.category, f.message))

    def visit_Import(self, node):
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            self.check_import(node, alias.name, bound)

    def visit_ImportFrom(self, node):
        if node.level:
            return
        for alias in node.names:
            if alias.name == "*":
                self.check_import(node, node.module, "*")
            else:
                self.check_import(node, f"{node.module}.{alias.name}",
                                  alias.asname or alias.name, module=node.module)

    def visit_Name(self, node):
        parent = getattr(node, "_parent", None)
        if not isinstance(node.ctx, ast.Load):
            if isinstance(node.ctx, ast.Del) and node._scope is self.module_scope \
                    and node.id in self.protected:
                self.flag(MONKEY, node, f"deletes {_code(node.id)}, which the test cells use")
            return
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # the whole chain is checked at its end
        if node.id == "__builtins__" and self.lookup(node.id, node._scope) is None:
            self.flag(DYNAMIC, node, f"reaches the built-ins through {_code('__builtins__')}")
        called = isinstance(parent, ast.Call) and parent.func is node
        qualnames = self.resolve(node)
        for qualname in qualnames:
            if qualname in ("builtins.getattr", "builtins.setattr", "builtins.delattr") \
                    and not called:
                self.flag(DYNAMIC, node, f"passes {_code(qualname[9:])} around as a value")
            self.check_qualname(node, qualname)
        self.check_module_as_value(node, qualnames)

    def check_module_as_value(self, node, qualnames):
        parent = getattr(node, "_parent", None)
        if not qualnames or isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr,
                                                ast.Compare, ast.keyword, ast.arguments,
                                                ast.IfExp, ast.BoolOp)):
            return
        if isinstance(parent, ast.Call):
            if parent.func is node:
                return
            harmless = self.resolve(parent.func) & {"builtins.print", "builtins.help",
                                                     "builtins.repr", "builtins.str",
                                                     "builtins.id", "builtins.isinstance"}
            if harmless:
                return
        elif not isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Return,
                                     ast.Yield, ast.Starred)):
            return
        for qualname in sorted(qualnames):
            if self.is_module(qualname):
                self.flag(DYNAMIC, node, f"passes the module {_code(qualname)} around as a "
                                         f"value, which hides what is done to it")

    def visit_Attribute(self, node):
        attr = node.attr
        parent = getattr(node, "_parent", None)
        if attr in DANGEROUS_DUNDERS:
            self.flag(DYNAMIC, node, f"reaches {_code(attr)}")
        if attr == "__dict__" and (not isinstance(node.ctx, ast.Load) or (
                isinstance(parent, ast.Subscript) and not isinstance(parent.ctx, ast.Load))
                or (isinstance(parent, ast.Attribute) and parent.attr in MUTATORS)):
            self.flag(DYNAMIC, node, f"writes to {_code(_dotted(node))}")
        if attr in IPYTHON_ATTRIBUTES:
            self.flag(IPY, node, f"reaches {_code(attr)}, part of IPython's machinery or the "
                                 f"interpreter's hooks")
        if attr in ("register", "unregister", "callbacks", "trigger") \
                and isinstance(node.value, ast.Attribute) and node.value.attr == "events":
            self.flag(IPY, node, f"uses {_code('events.' + attr)}, IPython's cell events")
        if attr in FRAME_ATTRIBUTES:
            self.flag(DYNAMIC, node, f"reaches the interpreter's frames or code objects "
                                     f"({_code(attr)})")
        if attr == "tofile":
            self.flag(FILES, node, f"writes a file with {_code('tofile')}")
        if attr in MUTATORS and isinstance(node.ctx, ast.Load):
            self.check_mutator(node, node)  # called here or passed on to be called later
        if isinstance(node.ctx, ast.Load):
            if isinstance(parent, ast.Attribute) and parent.value is node:
                return  # the longest chain is checked
            for qualname in self.resolve(node):
                self.check_qualname(node, qualname)
            self.check_module_as_value(node, self.resolve(node))
            return
        # An assignment or deletion of an attribute.
        self.check_store(node, node.value, "." + attr)

    def visit_Subscript(self, node):
        if not isinstance(node.ctx, ast.Load):
            self.check_store(node, node.value, "[...]")

    def check_store(self, node, base, what: str):
        """Flag a change to an attribute or an entry of something the code did not create."""
        if what.startswith(".") and _is_dunder(what[1:]):
            self.flag(DYNAMIC, node, f"sets {_code(what[1:])} of {_code(_dotted(base))}")
            return
        qualnames = self.resolve(base)
        for qualname in sorted(qualnames):
            if qualname in ("sys.stdout", "sys.stderr", "sys.stdin") or (
                    qualname == "sys" and what in (".stdout", ".stderr", ".stdin")):
                self.flag(IPY, node, f"replaces {_code('sys' + what)}")
            elif what == "[...]":
                self.flag(MONKEY, node, f"changes an entry of {_code(qualname)}")
            else:
                self.flag(MONKEY, node, f"replaces {_code(qualname + what)}")
        if qualnames:
            return
        root = _root(base)
        if isinstance(root, ast.Name) and not self.owns(root):
            self.flag(MONKEY, node, f"changes {_code(_dotted(base) + what)}, which belongs to "
                                    f"code outside this answer")

    def visit_Call(self, node):
        func = self.resolve(node.func)
        args = node.args
        for builtin in ("getattr", "setattr", "delattr", "hasattr"):
            if "builtins." + builtin in func:
                self.check_attribute_call(node, builtin)
        if func & {"builtins.__import__", "importlib.import_module", "importlib.__import__"}:
            module = self.text(args[0]) if args else None
            if module is None:
                self.flag(DYNAMIC, node, "imports a module whose name is computed at run time")
            else:
                self.check_import(node, module, module.split(".")[0])
                fromlist = fold(args[3], self.bound_value) if len(args) > 3 else _UNKNOWN
                for keyword_arg in node.keywords:
                    if keyword_arg.arg == "fromlist":
                        fromlist = fold(keyword_arg.value, self.bound_value)
                if isinstance(fromlist, list):
                    for member in fromlist:
                        if isinstance(member, str):
                            self.check_import(node, f"{module}.{member}", member, module=module)
        if func & {"builtins.exec", "builtins.eval", "builtins.compile"} or any(
                q.startswith("IPython") and q.rsplit(".", 1)[-1] in ("run_cell", "run_code",
                                                                      "ex", "ev")
                for q in func) or (isinstance(node.func, ast.Attribute)
                                   and node.func.attr in ("run_cell", "run_code")):
            source = self.text(args[0]) if args else None
            if source is not None:
                self.scan_code_string(node, source)
        if "builtins.type" in func and len(args) == 3:
            self.flag(DYNAMIC, node, "creates a class at run time with type(name, bases, dict)")

    def check_attribute_call(self, node, name: str):
        args = node.args
        if len(args) < 2:
            return
        attr = self.text(args[1])
        if attr is None:
            if name != "hasattr":  # asking is harmless; reaching and changing are not
                self.flag(DYNAMIC, node, f"calls {_code(name)} with a name computed at run "
                                         f"time")
            return
        if attr in DANGEROUS_DUNDERS or (_is_dunder(attr) and name in ("setattr", "delattr")):
            self.flag(DYNAMIC, node, f"calls {_code(name)} on {_code(attr)}")
        if attr in IPYTHON_ATTRIBUTES:
            self.flag(IPY, node, f"reaches {_code(attr)} through {_code(name)}")
        if attr in FRAME_ATTRIBUTES:
            self.flag(DYNAMIC, node, f"reaches {_code(attr)} through {_code(name)}")
        target = args[0]
        qualnames = self.resolve(target)
        if name in ("getattr", "hasattr"):
            for qualname in qualnames:
                self.check_qualname(node, qualname + "." + attr)
            return
        for qualname in sorted(qualnames):
            self.flag(MONKEY, node, f"{name} replaces {_code(qualname + '.' + attr)}")
        root = _root(target)
        if not qualnames and not (isinstance(root, ast.Name) and self.owns(root)):
            self.flag(MONKEY, node, f"{name} changes {_code(_dotted(target) + '.' + attr)}, "
                                    f"which belongs to code outside this answer")

    def check_mutator(self, node, func: ast.Attribute):
        owner = func.value
        if isinstance(owner, ast.Name):
            found = self.lookup(owner.id, owner._scope)
            if found is not None and all(b.kind == "import" and b.module
                                         for b in found.bindings[owner.id]):
                return  # a module function such as np.append
        qualnames = self.resolve(owner)
        changed = [q for q in qualnames if not self.is_module(q)]
        for qualname in sorted(changed):
            self.flag(MONKEY, node, f"changes {_code(qualname)} in place "
                                    f"({_code('.' + func.attr + '()')})")
        if qualnames:
            return
        root = _root(owner)
        if isinstance(root, ast.Name) and not self.owns(root):
            self.flag(MONKEY, node, f"changes {_code(_dotted(owner))} in place "
                                    f"({_code('.' + func.attr + '()')}), which belongs to code "
                                    f"outside this answer")

    def scan_code_string(self, node, source: str):
        if self.depth >= 3:
            return
        inner = scan_source(source, self.graded, env=self.env, protected=self.protected,
                            kind=self.kind, local_modules=self.local_modules,
                            _depth=self.depth + 1)
        for flag in inner:
            self.flag(flag.category, node, f"in the code it runs: {flag.message}")

    def visit_ClassDef(self, node):
        methods = {stmt.name: stmt for stmt in node.body
                   if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assigned = {t.id for stmt in node.body if isinstance(stmt, ast.Assign)
                    for t in stmt.targets if isinstance(t, ast.Name)}
        members = set(methods) | assigned
        bases = set()
        for base in node.bases:
            bases |= self.resolve(base)
        number_like = any(q.startswith(_NUMBER_BASES) for q in bases)
        fake = members & _ALWAYS_FAKE
        if number_like:
            fake |= members & _NUMBER_FAKE
        for name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
            method = methods.get(name)
            if method is not None:
                returns = [n for n in ast.walk(method) if isinstance(n, ast.Return)]
                if returns and all(isinstance(r.value, ast.Constant)
                                   and isinstance(r.value.value, bool) for r in returns):
                    fake.add(name)
        if fake:
            self.flag(FAKE, node, f"the class {_code(node.name)} defines "
                                  f"{', '.join(_code(n) for n in sorted(fake))}, which can make "
                                  f"it pass for a number it is not")

    def visit_Constant(self, node):
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            self.check_string(node, node.value)

    def visit_BinOp(self, node):
        text = self.text(node)
        if text is not None:
            self.check_string(node, text)

    visit_JoinedStr = visit_BinOp

    def check_string(self, node, text: str):
        if len(text) > 200:
            return
        if text == "course_lib" or text.startswith("course_lib."):
            if self.kind == "solution":
                self.check_course_lib(node, text, bound=None, verb="names")
            return
        category = SENSITIVE_STRINGS.get(text)
        if category is not None:
            self.flag(category, node, f"the string {_code(repr(text))} names {_code(text)}")

    def check_module_bindings(self):
        """Rebinding what the test cells use, at the top level of the notebook."""
        for name, bindings in self.module_scope.bindings.items():
            for binding in bindings:
                if isinstance(binding.node, ast.Delete):
                    continue  # flagged where the name is deleted
                if name in self.protected:
                    before = self.env[name].qualnames if name in self.env else frozenset()
                    after = self.binding_qualnames(binding)
                    if not (after and after <= before):
                        self.flag(MONKEY, binding.node,
                                  f"rebinds {_code(name)}, which the test cells use")
                if self.kind != "solution" and name in self.graded and binding.kind != "import":
                    for qualname in sorted(self.binding_qualnames(binding)):
                        rule = _use_rule(qualname)
                        if qualname.split(".")[0] == "course_lib":
                            category = REFERENCE
                        elif rule is not None and rule[0] == LIBRARY:
                            category = LIBRARY
                        else:
                            continue
                        self.flag(category, binding.node,
                                  f"binds {_code(name)} to {_code(qualname)} outside its "
                                  f"solution cell: the tests would check that instead")


# --------------------------------------------------------------------------------------------
# Code that does not parse: token by token
# --------------------------------------------------------------------------------------------

_TOKEN_NAMES = {
    "get_ipython": IPY, "IPython": IPY, "ipykernel": IPY,
    "exec": DYNAMIC, "eval": DYNAMIC, "compile": DYNAMIC, "__import__": DYNAMIC,
    "importlib": DYNAMIC, "globals": DYNAMIC, "locals": DYNAMIC, "vars": DYNAMIC,
    "setattr": DYNAMIC, "delattr": DYNAMIC, "__builtins__": DYNAMIC, "builtins": DYNAMIC,
    "inspect": DYNAMIC, "open": FILES,
}


def _scan_tokens(code: str, kind: str, graded: frozenset) -> list[Flag]:
    """A fallback for code that does not parse: suspicious names, dotted chains and imports."""
    flags: dict[tuple, Flag] = {}
    tokens = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            tokens.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    chains: list[tuple[int, str, bool]] = []  # (line, dotted name, follows "import"/"from")
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            if i > 0 and tokens[i - 1].string == ".":
                chains.append((tok.start[0], "." + tok.string, False))
                i += 1
                continue
            parts = [tok.string]
            j = i + 1
            while j + 1 < len(tokens) and tokens[j].string == "." \
                    and tokens[j + 1].type == tokenize.NAME:
                parts.append(tokens[j + 1].string)
                j += 2
            imported = i > 0 and tokens[i - 1].string in ("import", "from")
            chains.append((tok.start[0], ".".join(parts), imported))
            for part in parts[1:]:
                chains.append((tok.start[0], "." + part, False))
            i = j
            continue
        i += 1
    for line, chain, imported in chains:
        found: list[tuple[str, str]] = []
        if chain.startswith("."):
            attr = chain[1:]
            if attr in IPYTHON_ATTRIBUTES:
                found.append((IPY, f"reaches {_code(attr)}, part of IPython's machinery"))
            elif attr in DANGEROUS_DUNDERS or attr in FRAME_ATTRIBUTES:
                found.append((DYNAMIC, f"reaches {_code(attr)}"))
        else:
            head = chain.split(".")[0]
            if imported and head == "course_lib" and kind == "solution":
                module = chain.split(".")[1] if "." in chain else ""
                named = sorted(set(chain.split(".")[2:]) & graded)
                if named:
                    found.append((REFERENCE, f"imports {_code(chain)}: the reference "
                                             f"implementation of {_code(named[0])}, the very "
                                             f"function being graded"))
                elif module not in ALLOWED_COURSE_LIB:
                    found.append((REFERENCE, f"imports {_code(chain)} from the reference "
                                             f"implementation"))
            elif imported:
                rule = _use_rule(chain)
                if rule and (rule[0] != LIBRARY or kind == "solution"):
                    found.append((rule[0], f"imports {_code(chain)} ({rule[1]})"))
            elif head in _TOKEN_NAMES:
                found.append((_TOKEN_NAMES[head], f"uses {_code(chain)}"))
            elif _is_dunder(head) and head in DANGEROUS_DUNDERS:
                found.append((DYNAMIC, f"reaches {_code(head)}"))
        for category, message in found:
            flags.setdefault((category, line, message), Flag(category, line, message))
    return sorted(flags.values(), key=lambda f: (f.line, f.category, f.message))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

#: Functions of course_lib whose result a setup cell binds, followed by what they return
#: (``MISTAKES = mistakes_for("01_activations_and_losses")``, the assignment's catalogue).
SETUP_FACTORIES = frozenset({"course_lib.mistakes.mistakes_for"})

#: What the setup cell of every notebook binds, for code scanned on its own.
DEFAULT_ENV: dict[str, _EnvEntry] = {
    "np": _EnvEntry(frozenset({"numpy"}), frozenset({"numpy"}), own=False),
    "plt": _EnvEntry(frozenset({"matplotlib.pyplot"}), frozenset({"matplotlib.pyplot"}),
                     own=False),
    "check_function": _EnvEntry(frozenset({"course_lib.grading.check_function"}), frozenset(),
                                own=False),
    "check_value": _EnvEntry(frozenset({"course_lib.grading.check_value"}), frozenset(),
                             own=False),
    "MISTAKES": _EnvEntry(frozenset({"course_lib.mistakes.mistakes_for()"}), frozenset(),
                          own=False),
}
#: Names the test cells use, for code scanned on its own.
DEFAULT_PROTECTED = frozenset({"np", "check_function", "check_value", "MISTAKES", "print",
                               "range", "len", "abs", "float", "int", "isinstance", "zip",
                               "all", "any", "sum", "min", "max", "AssertionError", "Exception",
                               "tuple", "list", "dict", "callable", "getattr", "type"})


# The scan walks the syntax tree recursively; a long expression (a sum of a few hundred terms)
# needs more than Python's default 1000 frames. Deeper code is read token by token.
_SCAN_RECURSION_LIMIT = 6000


@contextlib.contextmanager
def _recursion_limit(limit: int):
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _parse(code: str) -> tuple[ast.Module | None, list[Flag]]:
    python, magic_flags = strip_ipython_syntax(code)
    try:
        with _recursion_limit(_SCAN_RECURSION_LIMIT):
            return parse_python(python), magic_flags
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # also null bytes, nesting
        return None, magic_flags


def scan_source(code: str, graded_names: Iterable[str] = frozenset(), *,
                env: Mapping[str, _EnvEntry] | None = None,
                protected: Iterable[str] | None = None, kind: str = "solution",
                local_modules: Iterable[str] = (), _depth: int = 0) -> list[Flag]:
    """Flags for one piece of code (a solution cell), sorted by line.

    Parameters
    ----------
    code : str
        Python code, possibly with IPython syntax.
    graded_names : iterable of str
        The names of the functions being graded (``sigmoid``, ...): a use of their reference
        implementation gets a sharper message. Functions the code defines at its top level count
        as graded too.
    env : mapping, optional
        What earlier cells bound (``scan_notebook`` passes it); by default what a notebook's
        setup cell binds (``np``, ``plt``, ``check_function``, ``check_value``, ``MISTAKES``).
    protected : iterable of str, optional
        Names the test cells use, whose rebinding at the top level is flagged.
    kind : {"solution", "ungraded"}
        ``"ungraded"`` is a cell the student may edit that is not a solution cell: there, the
        use of course_lib and of libraries is allowed, except to rebind a graded name.
    local_modules : iterable of str
        Modules that come with the assignment (files next to the notebook): importing them is
        not flagged. Importing any other module that is not installed is.

    Returns
    -------
    list of Flag
        Empty for honest code and for code with a syntax error and nothing suspicious.
    """
    if not isinstance(code, str):
        raise TypeError(f"scan_source expects the code as a str, got {type(code).__name__}")
    if kind not in ("solution", "ungraded"):
        raise ValueError(f"kind must be 'solution' or 'ungraded', got {kind!r}")
    graded = frozenset(graded_names)
    tree, magic_flags = _parse(code)
    if tree is None:
        flags = _scan_tokens(strip_ipython_syntax(code)[0], kind, graded)
        return sorted(set(flags) | set(magic_flags), key=lambda f: (f.line, f.category,
                                                                    f.message))
    try:
        with _recursion_limit(_SCAN_RECURSION_LIMIT):
            analysis = _Analysis(tree, graded, DEFAULT_ENV if env is None else env,
                                 DEFAULT_PROTECTED if protected is None else frozenset(protected),
                                 kind, _depth, frozenset(local_modules))
            flags = analysis.run()
    except RecursionError:
        flags = _scan_tokens(strip_ipython_syntax(code)[0], kind, graded) + [
            Flag(DYNAMIC, 1, "nests code too deeply for the full scan (it was read token by "
                             "token)")]
    return sorted(set(flags) | set(magic_flags), key=lambda f: (f.line, f.category, f.message))


def _module_bindings(code: str, env: Mapping[str, _EnvEntry], own: bool,
                     graded: frozenset = frozenset()) -> dict[str, _EnvEntry]:
    """What a cell binds at its top level, as entries of the environment of later cells.

    A graded name the student binds is the student's function from then on, whatever it was
    bound to (a cell that binds it to the reference is flagged itself): later cells that call
    it are not flagged for that.
    """
    tree, _ = _parse(code)
    if tree is None:
        return {}
    try:
        with _recursion_limit(_SCAN_RECURSION_LIMIT):
            analysis = _Analysis(tree, frozenset(), env, frozenset(), "ungraded", 0)
            bound = {name: set().union(*(analysis.binding_qualnames(b) for b in bindings))
                     for name, bindings in analysis.module_scope.bindings.items()}
    except RecursionError:
        return {}  # scan_source flags such code
    result = {}
    for name, qualnames in bound.items():
        if own and name in graded:
            result[name] = _EnvEntry(frozenset(), frozenset(), own=True)
            continue
        modules = frozenset(q for q in qualnames if analysis.is_module(q))
        owned = own
        previous = env.get(name)
        if previous is not None:
            qualnames |= previous.qualnames
            modules |= previous.modules
            owned = own or previous.own
        result[name] = _EnvEntry(frozenset(qualnames), modules, owned)
    return result


def _loaded_names(code: str) -> tuple[set[str], set[str]]:
    """Names a cell reads, and names it binds itself."""
    tree, _ = _parse(code)
    if tree is None:
        words = set(re.findall(r"[A-Za-z_]\w*", code))
        return words, set()
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return loaded, bound


def _top_level_names(code: str) -> set[str]:
    tree, _ = _parse(code)
    if tree is not None:
        try:
            with _recursion_limit(_SCAN_RECURSION_LIMIT):
                _ScopeBuilder().visit(tree)
            return set(tree._scope.bindings)
        except RecursionError:
            pass
    return set(re.findall(r"^(?:def|class)\s+([A-Za-z_]\w*)", code, re.M))


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _is_solution(cell) -> bool:
    return cell.get("cell_type") == "code" and _nbgrader(cell).get("solution") is True


def _is_test(cell) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _is_editable(cell) -> bool:
    """A code cell the student may change that is not a solution cell (a "try it" cell)."""
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and not meta.get("solution") \
        and not meta.get("locked") and not meta.get("grade")


@dataclass(frozen=True)
class CellScan:
    """The flags of one cell of a notebook.

    Attributes
    ----------
    index : int
        The cell's position in the notebook.
    grade_id : str or None
        The cell's grade_id when it is a solution cell.
    filed_under : str or None
        The solution cell the flags are reported with: the cell itself, or for an ungraded cell
        the nearest solution cell above it (below it if there is none above).
    flags : tuple of Flag
    """

    index: int
    grade_id: str | None
    filed_under: str | None
    flags: tuple


def _check_notebook(nb) -> list:
    cells = nb.get("cells") if isinstance(nb, Mapping) else getattr(nb, "cells", None)
    if not isinstance(cells, list):
        raise TypeError("scan_notebook expects a notebook (an nbformat NotebookNode or a dict "
                        f"with a 'cells' list), got {type(nb).__name__}")
    return cells


def graded_names_of(nb) -> frozenset:
    """Functions defined in solution cells, and names that test cells read and solution cells
    bind (a student may replace ``def sigmoid`` by an import)."""
    cells = _check_notebook(nb)
    defined, bound_in_solutions, read_by_tests, setup = set(), set(), set(), set()
    for cell in cells:
        meta = _nbgrader(cell)
        if (cell.get("cell_type") == "code" and meta.get("locked") and not meta.get("grade")
                and not meta.get("solution")):
            setup |= _top_level_names(cell.get("source", ""))
        if _is_solution(cell):
            tree, _ = _parse(cell.get("source", ""))
            if tree is not None:
                defined |= {n.name for n in tree.body
                            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            bound_in_solutions |= _top_level_names(cell.get("source", ""))
        elif _is_test(cell):
            read_by_tests |= _loaded_names(cell.get("source", ""))[0]
    # What the instructor's setup binds (np, check_function, ...) is never the student's to define.
    return frozenset((defined | (read_by_tests & bound_in_solutions)) - setup - DEFAULT_PROTECTED)


def scan_cells(nb, include_ungraded: bool = True, local_modules: Iterable[str] = ()
               ) -> list[CellScan]:
    """Scan the student's code of a notebook, cell by cell, following names across cells.

    Solution cells get every check. With ``include_ungraded``, the other code cells a student
    can edit (not locked, not tests) are scanned too, without the course_lib and library checks
    (instructors' demonstrations import course_lib there), except rebinding a graded name.
    Locked cells (setup, tests) are not scanned, but what they bind is followed.
    ``local_modules`` are modules that come with the assignment (see `scan_source`).

    Returns
    -------
    list of CellScan
        Only the cells that have flags.
    """
    cells = _check_notebook(nb)
    graded = graded_names_of(nb)
    protected = set()
    for cell in cells:
        if _is_test(cell):
            loaded, bound = _loaded_names(cell.get("source", ""))
            protected |= loaded - bound
    env: dict[str, _EnvEntry] = {}
    solution_ids = [(i, _nbgrader(c).get("grade_id")) for i, c in enumerate(cells)
                    if _is_solution(c)]
    results = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        student = _is_solution(cell) or _is_editable(cell)
        if _is_solution(cell) or (include_ungraded and _is_editable(cell)):
            kind = "solution" if _is_solution(cell) else "ungraded"
            this_protected = frozenset(protected - graded - set(
                n for n, e in env.items() if e.own))
            flags = scan_source(source, graded, env=env, protected=this_protected, kind=kind,
                                local_modules=local_modules)
            if flags:
                grade_id = _nbgrader(cell).get("grade_id") if kind == "solution" else None
                above = [g for i, g in solution_ids if i <= index]
                below = [g for i, g in solution_ids if i > index]
                filed = grade_id or (above[-1] if above else (below[0] if below else None))
                results.append(CellScan(index, grade_id, filed,
                                        tuple(Flag(f.category, f.line, f.message, index)
                                              for f in flags)))
        env.update(_module_bindings(source, env, own=student, graded=graded))
    return results


def scan_notebook(nb, include_ungraded: bool = True, local_modules: Iterable[str] = ()
                  ) -> dict[str, list[Flag]]:
    """grade_id -> flags, for the solution cells that have any.

    Flags found in an ungraded cell a student can edit are reported with the nearest solution
    cell above it (their ``cell`` attribute says where they are); see `scan_cells`.
    """
    result: dict[str, list[Flag]] = {}
    for scan in scan_cells(nb, include_ungraded, local_modules):
        key = scan.filed_under if scan.filed_under is not None else f"cell-{scan.index}"
        result.setdefault(key, []).extend(scan.flags)
    return result


# --------------------------------------------------------------------------------------------
# The nbgrader preprocessor
# --------------------------------------------------------------------------------------------

REVIEW_HEADING = "Flagged for manual review"


def review_text(scans: Iterable[CellScan]) -> str:
    """The comment that tells a grader (and the student) what was flagged in one part.

    Flags of the solution cell itself give their line; flags of an ungraded cell filed with it
    also say which cell (counted from 1, as a reader counts).
    """
    scans = list(scans)
    categories = sorted({f.category for s in scans for f in s.flags})
    lines = [f"{REVIEW_HEADING}: {', '.join(categories)}. A static scan found code that can "
             f"change how this part is graded; a person will check it."]
    for scan in scans:
        where = "" if scan.grade_id is not None else f"code cell {scan.index + 1}, "
        lines += [f"- {where}line {f.line} ({f.category}): {f.message}" for f in scan.flags]
    return "\n".join(lines)


def _tests_to_review(cells: list, scan: CellScan) -> list[str]:
    """The test cells whose scores the flagged code can change."""
    later = [(i, c) for i, c in enumerate(cells) if i > scan.index and _is_test(c)]
    if {f.category for f in scan.flags} <= LOCAL_CATEGORIES:
        source = cells[scan.index].get("source", "")
        names = _top_level_names(source if isinstance(source, str) else "".join(source))
        using = [c for _, c in later if _loaded_names(c.get("source", ""))[0] & names]
        if using:
            return [_nbgrader(c)["grade_id"] for c in using]
    return [_nbgrader(c)["grade_id"] for _, c in later]


class FlagSuspiciousCode(Preprocessor):
    """nbgrader autograde step: scan the student's code and bring the flags to a person.

    Runs after ``SaveAutoGrades`` (it needs the submission's rows in the gradebook). For each
    solution cell with flags it

    * adds "Flagged for manual review: ..." to the cell's automatic comment in the gradebook
      (formgrader shows it in the comment box, the feedback under the cell), keeping the
      comment nbgrader wrote ("No response.");
    * inserts a Markdown note after the flagged cell in the autograded notebook, which both
      formgrader and the feedback show;
    * sets ``needs_manual_grade`` on the test cells whose scores the flagged code can change
      (the tests of the flagged functions, or every later test for code that changes shared
      state), and sets the submitted notebook's ``flagged`` (formgrader's flag column).

    Nothing changes for a notebook without flags. Scores are never changed.
    """

    # nbconvert registers preprocessors named in a list disabled unless they enable themselves.
    enabled = Bool(True).tag(config=True)
    scan_ungraded_cells = Bool(
        True, help="Also scan code cells a student may edit that are not solution cells."
    ).tag(config=True)
    assignment_modules = List(
        Unicode(), help="Modules that come with the assignments (.py files in source/<assignment>"
                        "/): importing them is not flagged."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        try:
            scans = scan_cells(nb, include_ungraded=self.scan_ungraded_cells,
                               local_modules=self.assignment_modules)
        except Exception as exc:  # the scan must never cost a student their grading
            self.log.error("The static scan failed on this notebook", exc_info=True)
            first = next((i for i, c in enumerate(nb.cells) if _is_solution(c)), None)
            if first is None:
                return nb, resources
            grade_id = _nbgrader(nb.cells[first]).get("grade_id")
            scans = [CellScan(first, grade_id, grade_id, (Flag(
                DYNAMIC, 1, f"the static scan could not read this notebook "
                            f"({type(exc).__name__}): a person should read the code", first),))]
        if not scans:
            return nb, resources
        info = resources.get("nbgrader") if isinstance(resources, Mapping) else None
        missing = [k for k in ("notebook", "assignment", "student", "db_url")
                   if not isinstance(info, Mapping) or k not in info]
        if missing:
            raise ValueError("FlagSuspiciousCode runs inside nbgrader autograde: "
                             f"resources['nbgrader'] lacks {', '.join(missing)}")
        self._record(nb, scans, info)
        self._insert_notes(nb, scans)
        return nb, resources

    def _record(self, nb, scans: list[CellScan], info: Mapping):
        from nbgrader.api import Gradebook, MissingEntry

        notebook, assignment, student = info["notebook"], info["assignment"], info["student"]
        by_cell: dict[str, list[CellScan]] = {}
        for scan in scans:
            by_cell.setdefault(scan.filed_under, []).append(scan)
        with Gradebook(info["db_url"]) as gb:
            submission = gb.find_submission_notebook(notebook, assignment, student)
            known = [c.name for c in submission.notebook.solution_cells]
            for grade_id, cell_scans in by_cell.items():
                target = grade_id if grade_id in known else (known[0] if known else None)
                if target is None:
                    self.log.warning("No solution cell to record the flags of %s on", student)
                    continue
                comment = gb.find_comment(target, notebook, assignment, student)
                text = review_text(cell_scans)
                previous = comment.auto_comment or ""
                if text not in previous:
                    comment.auto_comment = f"{previous}\n\n{text}" if previous else text
            for scan in scans:
                for test_id in _tests_to_review(nb.cells, scan):
                    try:
                        gb.find_grade(test_id, notebook, assignment, student
                                      ).needs_manual_grade = True
                    except MissingEntry:
                        self.log.warning("Test cell %s is not in the gradebook", test_id)
            submission.flagged = True
            gb.db.commit()
        for scan in scans:
            for flag in scan.flags:
                self.log.warning("%s, %s: flagged for review: code cell %s (%s), %s", student,
                                 notebook, scan.index + 1, scan.grade_id or "ungraded",
                                 flag.describe())

    def _insert_notes(self, nb, scans: list[CellScan]):
        for scan in sorted(scans, key=lambda s: s.index, reverse=True):
            where = (f"the solution cell {_code(scan.grade_id)} above" if scan.grade_id
                     else "the code cell above")
            text = (f"**{REVIEW_HEADING}.** A static scan found code in {where} that can change "
                    f"how this notebook is graded, so a person will check it. The automatic "
                    f"score is not final.\n\n"
                    + "\n".join(f"- line {f.line} ({f.category}): {f.message}"
                                for f in scan.flags))
            note = nbformat.v4.new_markdown_cell(text, metadata={
                "static_scan": {"flags": [f.describe() for f in scan.flags]}})
            if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 5) < 5:
                note.pop("id", None)
            after = scan.index + 1
            if after < len(nb.cells) and "static_scan" in nb.cells[after].get("metadata", {}):
                nb.cells[after] = note  # the note of an earlier run of this step
            else:
                nb.cells.insert(after, note)
