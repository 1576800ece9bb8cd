"""Helpers that the notebooks' test cells call.

A check either passes silently or raises ``AssertionError`` with a message a student can act on:
the function and the input it was called with, the expected and the received values, the worst
error against the tolerance and, when the result matches a recognised common mistake (see
``course_lib.mistakes``), a hint that names the mistake and how to fix it.

Results are converted to float arrays before they are compared, so an object that only pretends
to be a number (one whose ``==`` always answers True, say) cannot pass. Checks catch exceptions,
floating-point warnings (overflow in ``exp``, division by zero in ``log``) and changes that the
function makes to its caller's arrays.

These helpers give feedback; they are not where points are decided in a hostile setting: code
that runs in the same kernel can patch them. The grading pipeline (``course_tools``) is where
that is handled.
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Mistake", "Outcome", "check_function", "check_value", "format_array"]


@dataclass(frozen=True)
class Outcome:
    """What happened when a function was called on one input.

    Attributes
    ----------
    args : tuple
        The positional arguments (copies taken before the call).
    kwargs : dict
        The keyword arguments.
    value : object
        What the function returned (``None`` if it raised).
    error : BaseException or None
        The exception it raised, if any.
    warnings : tuple of str
        Floating-point and other warnings emitted during the call.
    mutated : tuple of int
        Positions of array arguments that the call changed in place.
    """

    args: tuple
    kwargs: dict
    value: Any = None
    error: BaseException | None = None
    warnings: tuple = ()
    mutated: tuple = ()


@dataclass(frozen=True)
class Mistake:
    """A recognised common mistake and the hint that names it.

    A mistake is recognised from the outcome of a call in one of four ways (give one):

    returns
        a wrong implementation with the same signature; the mistake is recognised when the
        received value equals its value on the same input (within the check's tolerance).
    raises
        an exception type (or tuple of types), optionally with ``message_contains``.
    warns
        True: recognised when the call emitted a floating-point warning or returned inf/NaN
        where finite values were expected (overflow, log of zero).
    mutates
        True: recognised when the call changed one of its array arguments in place.
    """

    name: str
    hint: str
    returns: Callable | None = None
    raises: type | tuple | None = None
    message_contains: str = ""
    warns: bool = False
    mutates: bool = False

    def recognise_error(self, outcome: Outcome) -> bool:
        if self.raises is None or outcome.error is None:
            return False
        return isinstance(outcome.error, self.raises) and (
            self.message_contains.lower() in str(outcome.error).lower())

    def recognise_value(self, outcome: Outcome, parts: Sequence[int], received: list,
                        rtol: float, atol: float) -> bool:
        """True if the wrong implementation reproduces every failing part of ``received``."""
        if self.returns is None:
            return False
        wrong = _quiet_call(self.returns, outcome.args, outcome.kwargs)
        if wrong is None:
            return False
        wrong_parts = list(wrong) if isinstance(wrong, tuple) else [wrong]
        for i in parts:
            if i >= len(wrong_parts) or i >= len(received):
                return False
            try:
                w = np.asarray(wrong_parts[i], dtype=np.float64)
            except (TypeError, ValueError):
                return False
            r = received[i]
            if r is None or w.shape != r.shape:
                return False
            if not np.allclose(r, w, rtol=rtol, atol=atol, equal_nan=True):
                return False
        return True


def _quiet_call(func, args, kwargs):
    """Call a reference or wrong implementation on copies, ignoring its warnings and errors."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return func(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception:  # a wrong implementation may fail on inputs it does not model
        return None


def format_array(a, precision: int = 4) -> str:
    """A short, readable rendering of an array or a number for messages."""
    try:
        arr = np.asarray(a)
    except Exception:
        return repr(a)
    if arr.dtype.kind in "fc":
        return np.array2string(arr, precision=precision, threshold=12, edgeitems=3,
                               suppress_small=False, separator=", ")
    return np.array2string(arr, threshold=12, edgeitems=3, separator=", ")


def _describe_call(name: str, args: tuple, kwargs: dict, arg_names: Sequence[str] | None) -> str:
    if not args and not kwargs:
        return name
    shown = []
    for i, a in enumerate(args):
        label = arg_names[i] + "=" if arg_names and i < len(arg_names) else ""
        shown.append(label + format_array(a))
    shown += [f"{k}={format_array(v)}" for k, v in kwargs.items()]
    return f"{name}(" + ", ".join(shown) + ")"


def _run(func, args: tuple, kwargs: dict) -> Outcome:
    """Call ``func`` on copies of the arguments, recording errors, warnings and mutation."""
    call_args = copy.deepcopy(args)
    call_kwargs = copy.deepcopy(kwargs)
    before = copy.deepcopy(call_args)
    value, error = None, None
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            value = func(*call_args, **call_kwargs)
        except Exception as exc:  # reported to the student, with a hint when recognised
            error = exc
    mutated = tuple(
        i for i, (a, b) in enumerate(zip(before, call_args))
        if isinstance(a, np.ndarray) and not (
            isinstance(b, np.ndarray) and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=True)))
    messages = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return Outcome(args=before, kwargs=kwargs, value=value, error=error,
                   warnings=messages, mutated=mutated)


def _hints(mistakes: Sequence[Mistake], test: Callable[[Mistake], bool]) -> list[str]:
    return [f"Hint ({m.name}): {m.hint}" for m in mistakes if test(m)]


def _fail(lines: list[str], hints: list[str]) -> None:
    raise AssertionError("\n".join(lines + hints))


def _as_float_array(value) -> np.ndarray:
    """Convert to float64; objects that only pretend to be numbers fail here."""
    if isinstance(value, (str, bytes)):
        raise TypeError("a string is not a number")
    arr = np.asarray(value)
    if arr.dtype == object:
        raise TypeError("an array of Python objects is not an array of numbers")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"values of dtype {arr.dtype} are not real numbers")
    return arr.astype(np.float64)


def check_function(func: Callable, args: tuple, expected, *, kwargs: dict | None = None,
                   name: str | None = None, arg_names: Sequence[str] | None = None,
                   output_names: Sequence[str] | None = None,
                   mistakes: Sequence[Mistake] = (), rtol: float = 1e-6, atol: float = 1e-9,
                   allow_warnings: bool = False) -> None:
    """Check a student's function on one input against the expected result.

    Parameters
    ----------
    func : callable
        The function under test.
    args : tuple
        Positional arguments; the function is called on copies, and a change it makes to them
        is reported.
    expected : callable or array_like or tuple
        The reference: a function called on copies of the same arguments, or the expected value
        itself. A tuple means the function returns several outputs, checked one by one.
    kwargs : dict, optional
        Keyword arguments.
    name : str, optional
        The name shown in messages (default ``func.__name__``).
    arg_names, output_names : sequence of str, optional
        Names of the arguments and outputs shown in messages.
    mistakes : sequence of Mistake
        Recognised common mistakes; the hint of every one that matches is added to the message.
    rtol, atol : float
        A value passes when ``|received - expected| <= atol + rtol * |expected|``.
    allow_warnings : bool
        If False (default), a floating-point warning during the call fails the check.

    Raises
    ------
    AssertionError
        With a message that says what was wrong.
    """
    kwargs = dict(kwargs or {})
    name = name or getattr(func, "__name__", "the function")
    if not callable(func):
        raise AssertionError(f"{name} is not a function (got {type(func).__name__}).")
    outcome = _run(func, tuple(args), kwargs)
    call = _describe_call(name, outcome.args, kwargs, arg_names)

    if outcome.error is not None:
        err = outcome.error
        if isinstance(err, NotImplementedError):
            _fail([f"{name} is not implemented yet (it raised NotImplementedError)."], [])
        _fail([f"{call} raised {type(err).__name__}: {err}"],
              _hints(mistakes, lambda m: m.recognise_error(outcome)))

    if outcome.mutated:
        which = ", ".join(arg_names[i] if arg_names and i < len(arg_names) else f"argument {i}"
                          for i in outcome.mutated)
        _fail([f"{call} changed its input {which} in place; a function must leave its "
               f"caller's arrays unchanged (work on a copy or build a new array)."],
              _hints(mistakes, lambda m: m.mutates))

    ref = _quiet_call(expected, outcome.args, kwargs) if callable(expected) else expected
    several = isinstance(ref, tuple)
    ref_parts = list(ref) if several else [ref]
    if several:
        if not isinstance(outcome.value, tuple) or len(outcome.value) != len(ref_parts):
            got = (f"a tuple of {len(outcome.value)}" if isinstance(outcome.value, tuple)
                   else type(outcome.value).__name__)
            _fail([f"{call} should return a tuple of {len(ref_parts)} values "
                   f"({', '.join(output_names or [])}), but returned {got}."], [])
        got_parts = list(outcome.value)
    else:
        got_parts = [outcome.value]
    labels = [(f"{output_names[i]}" if output_names and i < len(output_names) else f"output {i}")
              if several else "result" for i in range(len(ref_parts))]

    received: list = [None] * len(ref_parts)
    for i, (got, label) in enumerate(zip(got_parts, labels)):
        if got is None:
            _fail([f"{call} returned None for its {label}: did you forget `return`?"], [])
        try:
            received[i] = _as_float_array(got)
        except (TypeError, ValueError) as exc:
            _fail([f"{call} returned {type(got).__name__} for its {label}, which is not an "
                   f"array of numbers ({exc})."], [])

    warned = bool(outcome.warnings) and not allow_warnings
    problems: list[tuple[int, str]] = []
    for i, (exp_raw, got, label) in enumerate(zip(ref_parts, received, labels)):
        exp = np.asarray(exp_raw, dtype=np.float64)
        prefix = f"{label}: " if several else ""
        if got.shape != exp.shape:
            problems.append((i, f"{prefix}shape {got.shape}, expected shape {exp.shape}."))
            continue
        bad_finite = np.isfinite(exp) & ~np.isfinite(got)
        err = np.where(np.isfinite(exp) & np.isfinite(got), np.abs(got - exp), np.inf)
        err = np.where(np.isnan(exp) & np.isnan(got), 0.0, err)
        tol = atol + rtol * np.abs(np.where(np.isfinite(exp), exp, 0.0))
        if np.all(err <= tol):
            continue
        worst = np.unravel_index(np.argmax(err - tol), err.shape) if err.ndim else ()
        where = f" at index {tuple(int(k) for k in worst)}" if err.ndim else ""
        lines = [f"{prefix}expected {format_array(exp)}",
                 f"{' ' * len(prefix)}received {format_array(got)}"]
        if exp.size > 12 and err.ndim:
            lines.append(f"{' ' * len(prefix)}{where.strip()}: expected "
                         f"{format_array(exp[worst])}, received {format_array(got[worst])}")
        if np.any(bad_finite):
            lines.append(f"{' ' * len(prefix)}{int(np.sum(bad_finite))} value(s) are inf or "
                         f"NaN where finite values were expected.")
        else:
            lines.append(f"{' ' * len(prefix)}worst error {float(np.max(err)):.3g}{where} "
                         f"(tolerance {float(tol[worst] if err.ndim else tol):.3g})")
        problems.append((i, "\n  ".join(lines)))

    if problems or warned:
        lines = [f"{call} is wrong:" if problems else f"{call} emitted a warning:"]
        lines += ["  " + text for _, text in problems]
        if outcome.warnings:
            lines += ["  warning: " + w for w in outcome.warnings[:3]]
        failing = [i for i, _ in problems]
        any_nonfinite = any(not np.all(np.isfinite(received[i])) for i in failing)
        # A wrong implementation that reproduces the result is the most specific diagnosis;
        # only when none does, a warning or an inf/NaN points to a numerical-stability mistake.
        hints = _hints(mistakes, lambda m: bool(failing) and m.recognise_value(
            outcome, failing, received, rtol, atol))
        if not hints:
            hints = _hints(mistakes, lambda m: m.warns and (
                bool(outcome.warnings) or any_nonfinite))
        _fail(lines, hints)


def check_value(what: str, received, expected, *, rtol: float = 1e-6, atol: float = 1e-9,
                hint: str | None = None) -> None:
    """Check one value already computed, for worked examples stated in the notebook.

    Parameters
    ----------
    what : str
        What was computed, e.g. ``"softmax([1, 2, 3])"``.
    received : array_like
        The student's value.
    expected : array_like
        The expected value (worked by hand, stated in the notebook's text).
    rtol, atol : float
        Tolerances as in `check_function`.
    hint : str, optional
        Added to the message when the check fails.
    """
    check_function(lambda: received, (), expected, name=what, rtol=rtol, atol=atol,
                   mistakes=[Mistake("worked example", hint, returns=lambda: received)]
                   if hint else ())
