"""Helpers that the notebooks' test cells call.

A check either passes silently or raises ``AssertionError`` with a message a student can act on:
the function and the input it was called with, the expected and the received values, the worst
error against the tolerance and, when the result matches a recognised common mistake (see
``course_lib.mistakes``), a hint that names the mistake and how to fix it.

Results are converted to float arrays before they are compared, so an object that only pretends
to be a number (one whose ``==`` always answers True, say) cannot pass. Checks catch exceptions,
floating-point warnings (overflow in ``exp``, division by zero in ``log``) and changes that the
function makes to its caller's arrays (also to arrays inside a dict, list or tuple argument, such
as a network's ``params``). ``RULES`` states these rules in plain English, one
sentence each; the notebooks quote them, and ``tests/course_lib/test_grading.py`` proves each.

Hints follow one order. When the result holds inf or NaN where finite values were expected, or
a floating-point warning was raised, only the numerical-stability mistakes (``warns=True``) are
considered: inf equals inf, so an unstable wrong implementation must never "match" a mistake
that is about something else. Otherwise the value-matching mistakes are considered.

These helpers give feedback; they are not where points are decided in a hostile setting: code
that runs in the same kernel can patch them. The grading pipeline (``course_tools``) is where
that is handled.
"""
from __future__ import annotations

import copy
import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["RULES", "Mistake", "Outcome", "check_function", "check_value", "engine_check",
           "epochs_check", "format_array", "require"]

#: The rules that every check enforces, one plain-English sentence each (quoted verbatim by the
#: notebooks; each one has a test in tests/course_lib/test_grading.py).
RULES: tuple[str, ...] = (
    "Your function is called on copies of the test's inputs, and it must not change an input "
    "array in place.",
    "A RuntimeWarning during the call, such as numpy's overflow, division by zero or invalid "
    "value, fails the check; other warnings, such as a DeprecationWarning or a UserWarning, do "
    "not.",
    "Underflow to zero is not a failure: numpy's underflow warnings are switched off.",
    "A function with several outputs returns them as a tuple; a list of the same length is "
    "accepted too.",
    "Results are converted to float arrays, so numbers of any numeric dtype (bool, int or "
    "float) are fine, but strings and other objects are not.",
    "A result must have exactly the expected shape; an array of shape (1,) is not accepted "
    "where a single number is expected.",
    "A value passes when |received - expected| <= atol + rtol * |expected|, and inf or NaN "
    "where a finite value is expected always fails.",
    "Raising an exception or returning None fails the check.",
)

# Warnings of these categories fail a check: numpy reports floating-point errors (overflow,
# division by zero, invalid values) and its other numerical problems as RuntimeWarnings.
FAILING_WARNINGS = (RuntimeWarning,)


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
        The warnings that fail a check (RuntimeWarnings: numpy's floating-point errors)
        emitted during the call, each once.
    mutated : tuple of int
        Positions of arguments that the call changed in place: an array, or a dict, list or
        tuple whose arrays (at any depth) or whose keys or length changed.
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

    A mistake is recognised from the outcome of a call in one of these ways:

    returns
        a wrong implementation with the same signature (or a tuple of variants of it, e.g. one
        per epsilon that students use); the mistake is recognised when the received value
        equals the value of one of them on the same input (within the check's tolerance) in
        every output, and no other mistake's does (an ambiguous match gives no hint). A received
        inf or NaN where a finite value was expected never matches.
    raises
        an exception type (or tuple of types), optionally with ``message_contains``.
    mutates
        True: recognised when the call changed one of its array arguments in place.
    warns
        True: a numerical-stability mistake, considered only when the call emitted a
        floating-point warning or returned inf/NaN where finite values were expected. With
        ``returns`` it is recognised when a variant is unstable on the same input too and
        reproduces the whole outcome: inf and NaN at the same places (with the same signs),
        the same finite values elsewhere, in every output. Without ``returns`` it is the
        function's general stability hint, shown only when no specific one is recognised.
    recognises
        ``recognises(args, kwargs, received, expected) -> bool``, a test on the received and
        the expected outputs (float arrays) of a call whose value is wrong, for a mistake whose
        result cannot be reproduced (an order drawn from another random generator): a general
        hint, shown only when no mistake's ``returns`` is recognised.
    """

    name: str
    hint: str
    returns: Callable | tuple | None = None
    raises: type | tuple | None = None
    message_contains: str = ""
    warns: bool = False
    mutates: bool = False
    recognises: Callable | None = None

    @property
    def variants(self) -> tuple:
        if self.returns is None:
            return ()
        return tuple(self.returns) if isinstance(self.returns, (tuple, list)) else (self.returns,)

    def recognise_error(self, outcome: Outcome) -> bool:
        if self.raises is None or outcome.error is None:
            return False
        return isinstance(outcome.error, self.raises) and (
            self.message_contains.lower() in str(outcome.error).lower())

    def recognise_value(self, outcome: Outcome, parts: Sequence[int], received: list,
                        rtol: float, atol: float, expected: Sequence | None = None) -> bool:
        """True if a wrong implementation reproduces ``received`` (every part of it).

        ``expected`` (the expected parts): where it is finite and ``received`` is not, nothing
        matches, whatever the wrong implementation returns.
        """
        if self.warns or not self.variants:
            return False
        if expected is not None and any(_nonfinite_where_finite(received[i], expected[i])
                                        for i in parts):
            return False
        for variant in self.variants:
            wrong = _parts(_quiet_call(variant, outcome.args, outcome.kwargs), len(received))
            if wrong is not None and all(
                    i < len(wrong) and i < len(received) and received[i] is not None
                    and wrong[i] is not None and wrong[i].shape == received[i].shape
                    and np.allclose(received[i], wrong[i], rtol=rtol, atol=atol)
                    for i in range(len(received))):
                return True
        return False

    def recognise_instability(self, outcome: Outcome, received: list, rtol: float,
                              atol: float) -> bool:
        """True if an unstable wrong implementation reproduces the whole outcome."""
        if not self.warns or not self.variants:
            return False
        for variant in self.variants:
            wrong_outcome = _run(variant, outcome.args, outcome.kwargs)
            wrong = (_parts(wrong_outcome.value, len(received)) if wrong_outcome.error is None
                     else None)
            if wrong is None or len(wrong) != len(received):
                continue
            unstable = bool(wrong_outcome.warnings) or any(
                not np.all(np.isfinite(w)) for w in wrong if w is not None)
            if unstable and all(w is not None and r is not None and _same_outcome(r, w, rtol, atol)
                                for r, w in zip(received, wrong)):
                return True
        return False


def _parts(value, count: int) -> list | None:
    """The ``count`` outputs of a call as float arrays (None for one that is not numbers)."""
    if value is None:
        return None
    raw = list(value) if count > 1 and isinstance(value, (tuple, list)) else [value]
    parts = []
    for part in raw:
        try:
            parts.append(_as_float_array(part))
        except (TypeError, ValueError):
            parts.append(None)
    return parts


def _nonfinite_where_finite(received, expected) -> bool:
    try:
        exp = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if received is None or received.shape != exp.shape:
        return False
    return bool(np.any(np.isfinite(exp) & ~np.isfinite(received)))


def _same_outcome(r: np.ndarray, w: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape, inf and NaN at the same places with the same signs, finite values close."""
    if r.shape != w.shape:
        return False
    for test in (np.isnan, np.isposinf, np.isneginf):
        if not np.array_equal(test(r), test(w)):
            return False
    finite = np.isfinite(r)
    return bool(np.allclose(r[finite], w[finite], rtol=rtol, atol=atol))


def _quiet_call(func, args, kwargs):
    """Call a reference or wrong implementation on copies, ignoring its warnings and errors."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return func(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception:  # a wrong implementation may fail on inputs it does not model
        return None


def _quietly_true(test: Callable, *args) -> bool:
    """``test(*args)``, False if it raises (a recogniser need not handle every input)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return bool(test(*args))
    except Exception:
        return False


#: An argument larger than this (in elements) is shown by its shape in a call's description.
LARGE_ARRAY = 100


def _describe_argument(a) -> str:
    """An argument as a call's description shows it: small arrays and numbers in full, a large
    array (more than ``LARGE_ARRAY`` elements) as ``array (60, 64)``, a dict, list or tuple that
    holds any array by its arrays' shapes (``{'W1': array (64, 8), ...}``)."""
    if isinstance(a, np.ndarray) and a.size > LARGE_ARRAY:
        return f"array {a.shape}"
    if isinstance(a, dict) and any(isinstance(v, np.ndarray) for v in a.values()):
        return "{" + ", ".join(f"{k!r}: {_shape_of(v)}" for k, v in a.items()) + "}"
    if isinstance(a, (list, tuple)) and any(isinstance(v, np.ndarray) for v in a):
        inner = ", ".join(_shape_of(v) for v in a)
        return f"[{inner}]" if isinstance(a, list) else f"({inner}{',' if len(a) == 1 else ''})"
    return format_array(a)


def _shape_of(v) -> str:
    return f"array {v.shape}" if isinstance(v, np.ndarray) else _describe_argument(v)


def format_array(a, precision: int = 4) -> str:
    """A short, readable rendering of an array or a number for messages."""
    if callable(a) and not isinstance(a, np.ndarray):
        return getattr(a, "__name__", type(a).__name__)  # a function: its name, not its address
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
        shown.append(label + _describe_argument(a))
    shown += [f"{k}={_describe_argument(v)}" for k, v in kwargs.items()]
    if " " in name:  # a description ("Value on a - b"), not a function's name
        return f"{name}, with " + ", ".join(shown)
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
    mutated = tuple(i for i, (a, b) in enumerate(zip(before, call_args)) if _changed(a, b))
    failing = [w for w in caught if issubclass(w.category, FAILING_WARNINGS)]
    for w in caught:  # other warnings (DeprecationWarning, UserWarning, ...) go on to the student
        if not issubclass(w.category, FAILING_WARNINGS):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    messages = tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in failing))
    return Outcome(args=before, kwargs=kwargs, value=value, error=error,
                   warnings=messages, mutated=mutated)


def _changed(before, after) -> bool:
    """True if ``after`` is no longer what ``before`` (a copy taken before the call) was: an array
    with other values or shape, or a dict, list or tuple whose arrays (at any depth), keys or
    length changed. Other objects (numbers, strings, functions) are not compared."""
    if isinstance(before, np.ndarray):
        return not (isinstance(after, np.ndarray) and before.shape == after.shape
                    and np.array_equal(before, after, equal_nan=True))
    if isinstance(before, dict):
        return (not isinstance(after, dict) or list(before) != list(after)
                or any(_changed(before[k], after[k]) for k in before))
    if isinstance(before, (list, tuple)):
        return (not isinstance(after, (list, tuple)) or len(before) != len(after)
                or any(_changed(a, b) for a, b in zip(before, after)))
    return False


def _raised_in(error: BaseException) -> str | None:
    """The function (``Value.tanh``) whose code raised ``error``: the last frame of its traceback."""
    tb, last = error.__traceback__, None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return None
    code = last.tb_frame.f_code
    return getattr(code, "co_qualname", code.co_name).rsplit("<locals>.", 1)[-1]


def _hints(mistakes: Sequence[Mistake], test: Callable[[Mistake], bool]) -> list[str]:
    return [f"Hint ({m.name}): {m.hint}" for m in mistakes if test(m)]


def _unambiguous(hints: list[str]) -> list[str]:
    return hints if len(set(hints)) == 1 else []


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


def _pick(value, picks: tuple):
    """The outputs ``picks`` of a returned tuple: one value, or a tuple of several."""
    return value[picks[0]] if len(picks) == 1 else tuple(value[i] for i in picks)


def _picking(func: Callable, picks: tuple) -> Callable:
    """``func`` with only the outputs ``picks`` of its result (None if it returns too few)."""
    def picked(*args, **kwargs):
        value = func(*args, **kwargs)
        if isinstance(value, (tuple, list)) and len(value) > max(picks):
            return _pick(value, picks)
        return None

    picked.__name__ = getattr(func, "__name__", "picked")
    return picked


def check_function(func: Callable, args: tuple, expected, *, kwargs: dict | None = None,
                   name: str | None = None, arg_names: Sequence[str] | None = None,
                   output_names: Sequence[str] | None = None,
                   mistakes: Sequence[Mistake] = (), rtol: float = 1e-6, atol: float = 1e-9,
                   allow_warnings: bool = False, outputs: Sequence[int] | None = None) -> None:
    """Check a student's function on one input against the expected result.

    Parameters
    ----------
    func : callable
        The function under test.
    args : tuple
        Positional arguments; the function is called on copies, and a change it makes to them
        is reported (to an array, or to the arrays, keys or length of a dict, list or tuple).
    expected : callable or array_like or tuple
        The reference: a function called on copies of the same arguments, or the expected value
        itself. A tuple means the function returns several outputs, checked one by one; the
        function may return them as a tuple or a list of the same length.
    kwargs : dict, optional
        Keyword arguments.
    name : str, optional
        The name shown in messages (default ``func.__name__``).
    arg_names, output_names : sequence of str, optional
        Names of the arguments and outputs shown in messages.
    mistakes : sequence of Mistake
        Recognised common mistakes; the hint of every one that matches is added to the message
        (stability mistakes only, when the result holds inf/NaN or a warning was raised).
    rtol, atol : float
        A value passes when ``|received - expected| <= atol + rtol * |expected|``.
    allow_warnings : bool
        If False (default), a RuntimeWarning (numpy's floating-point warnings) during the call
        fails the check. Other warnings never do; they are passed on.
    outputs : sequence of int, optional
        Check only these outputs of the tuple that the function returns, e.g. ``outputs=[0]``
        for the ``out`` of a layer's ``(out, cache)``. ``expected`` (when a function) and the
        mistakes' wrong implementations return the whole tuple too, and the same outputs are
        taken from them; a fixed ``expected`` is given for the chosen outputs only.

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
    if outputs is not None:
        picks = tuple(int(i) for i in outputs)
        if outcome.error is None and not (isinstance(outcome.value, (tuple, list))
                                          and len(outcome.value) > max(picks)):
            _fail([f"{call} should return a tuple of at least {max(picks) + 1} values (the "
                   f"test checks output{'s' if len(picks) > 1 else ''} "
                   f"{', '.join(map(str, picks))}), but returned "
                   f"{type(outcome.value).__name__}."], [])
        if outcome.error is None:
            outcome = dataclasses.replace(outcome, value=_pick(outcome.value, picks))
        if callable(expected):
            expected = _picking(expected, picks)
        mistakes = [dataclasses.replace(m, returns=tuple(_picking(v, picks) for v in m.variants))
                    if m.variants else m for m in mistakes]

    if outcome.error is not None:
        err = outcome.error
        if isinstance(err, NotImplementedError):
            where = _raised_in(err)
            inside = f" in {where}" if where and where != name else ""
            _fail([f"{name} is not implemented yet (it raised NotImplementedError{inside})."], [])
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
        if (not isinstance(outcome.value, (tuple, list))
                or len(outcome.value) != len(ref_parts)):
            got = (f"a {type(outcome.value).__name__} of {len(outcome.value)}"
                   if isinstance(outcome.value, (tuple, list)) else type(outcome.value).__name__)
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
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf where both are inf
            err = np.where(np.isfinite(exp) & np.isfinite(got), np.abs(got - exp), np.inf)
        same_nonfinite = (np.isnan(exp) & np.isnan(got)) | (np.isinf(exp) & (got == exp))
        err = np.where(same_nonfinite, 0.0, err)
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
        exp_parts = [np.asarray(e, dtype=np.float64) for e in ref_parts]
        unstable = warned or any(
            _nonfinite_where_finite(received[i], exp_parts[i]) for i in failing)
        # Two different wrong implementations that both reproduce the result cannot tell which
        # mistake was made: then no specific hint (better none than a wrong one).
        if unstable:
            # inf/NaN or a warning: a stability mistake, never a value match (inf equals inf).
            hints = _unambiguous(_hints(mistakes, lambda m: m.recognise_instability(
                outcome, received, rtol, atol)))
            if not hints:
                hints = _hints(mistakes, lambda m: m.warns and m.returns is None)
        else:
            hints = _unambiguous(_hints(mistakes, lambda m: bool(failing) and m.recognise_value(
                outcome, failing, received, rtol, atol, exp_parts)))
            if not hints and failing:
                hints = _hints(mistakes, lambda m: m.recognises is not None and _quietly_true(
                    m.recognises, outcome.args, kwargs, received, exp_parts))
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


def engine_check(value_class, name: str | None = None) -> Callable:
    """A function that runs one expression on an autodiff engine, for `check_function`.

    ``engine_check(Value)(expression, inputs)`` makes one node ``Value(x)`` per number of
    ``inputs``, builds ``out = expression(*nodes)``, calls ``out.backward()`` and returns
    ``(out.data, [node.grad for node in nodes])``. A student's engine, the reference engine
    (``course_lib.autodiff.Value``) and a wrong engine that models a mistake are compared through
    the same function, so an engine is graded like any other function::

        check_function(engine_check(Value), (expression, (2.0, -3.0)),
                       engine_check(reference.Value), mistakes=MISTAKES["Value"])

    Parameters
    ----------
    value_class : type
        The engine's node class: ``value_class(data)`` makes an input node; nodes have ``data``,
        ``grad`` and ``backward()``.
    name : str, optional
        The name shown in messages (default: the class's name).

    Returns
    -------
    callable
        ``(expression, inputs) -> (data, grads)`` with ``grads`` a list of floats.
    """
    def run(expression, inputs):
        nodes = [value_class(float(x)) for x in inputs]
        out = expression(*nodes)
        out.backward()
        return out.data, [node.grad for node in nodes]

    run.__name__ = name or getattr(value_class, "__name__", "engine")
    return run


def epochs_check(iterate: Callable, num_epochs: int = 2, name: str | None = None) -> Callable:
    """A function that runs a mini-batch iterator for some epochs, for `check_function`.

    ``epochs_check(iterate_minibatches)(X, y, batch_size, rng)`` calls
    ``iterate_minibatches(X, y, batch_size, rng)`` ``num_epochs`` times with the same ``rng`` (one
    call per epoch, as a training loop does), takes every ``(X_batch, y_batch)`` it yields, and
    returns ``(X_rows, y_rows, batch_sizes)``: the batches' rows of ``X`` and of ``y`` one after
    the other, in the order visited, and the number of rows of each batch. A generator, a list or
    any other iterable of pairs is accepted. A student's iterator, the reference
    (``course_lib.datasets.iterate_minibatches``) and a wrong iterator that models a mistake are
    compared through the same function, so an iterator is graded like any other function::

        check_function(epochs_check(iterate_minibatches), (X, y, 4, rng),
                       epochs_check(reference.iterate_minibatches),
                       mistakes=MISTAKES["iterate_minibatches"])

    Parameters
    ----------
    iterate : callable
        ``iterate(X, y, batch_size, rng, ...) -> iterable of (X_batch, y_batch)``.
    num_epochs : int, optional
        How many epochs to take (2: the second shows whether each epoch draws a new order).
    name : str, optional
        The name shown in messages (default: the iterator's name).

    Returns
    -------
    callable
        ``(X, y, batch_size, rng, ...) -> (X_rows, y_rows, batch_sizes)``.
    """
    def run(*args, **kwargs):
        x_rows, y_rows, sizes = [], [], []
        for _ in range(num_epochs):
            batches = iterate(*args, **kwargs)
            if batches is None:
                raise TypeError(f"{run.__name__} returned None; it should yield the pairs "
                                f"(X_batch, y_batch) of one epoch")
            for pair in batches:
                if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                    raise TypeError(f"{run.__name__} should yield pairs (X_batch, y_batch), "
                                    f"got {type(pair).__name__}")
                x_batch, y_batch = np.asarray(pair[0]), np.asarray(pair[1])
                x_rows.append(x_batch)
                y_rows.append(y_batch)
                sizes.append(len(y_batch) if y_batch.ndim else 1)
        if not x_rows:
            return np.zeros((0,) + np.shape(args[0])[1:]), np.zeros(0), np.zeros(0)
        return np.concatenate(x_rows), np.concatenate(y_rows), np.array(sizes)

    run.__name__ = name or getattr(iterate, "__name__", "iterator")
    return run


def require(func: Callable, args: tuple, expected, *, part: str, **check_kwargs) -> None:
    """Re-check an earlier function that a test builds on, before the test's own checks.

    A test of a function that calls the student's earlier functions (a network built on
    ``affine_forward``, training built on ``network_backward``) first calls ``require`` for
    each of them, on one of the earlier function's public inputs. If the earlier function fails
    there, the test fails with a message that points back to it, and not with a hint about the
    function under test, whose mistake it may not be::

        require(affine_forward, (x, W, b), np.array([[5.5, 2., -1.5]]), part="Part 1",
                outputs=[0])

    Parameters
    ----------
    func : callable
        The earlier function.
    args : tuple
        One of its public test's inputs.
    expected : callable or array_like or tuple
        The expected result, as for `check_function`.
    part : str
        Where the earlier function is taught and tested, e.g. ``"Part 1"``.
    **check_kwargs
        Further options of `check_function` (``kwargs``, ``outputs``, ``rtol``, ...).
        ``mistakes`` are ignored: the message carries no hints, which belong to the earlier
        function's own test.

    Raises
    ------
    AssertionError
        "this test uses your `name`, which does not pass its own test yet (part): fix it
        first", followed by the earlier check's message.
    """
    check_kwargs.pop("mistakes", None)
    name = check_kwargs.get("name") or getattr(func, "__name__", "function")
    try:
        check_function(func, args, expected, **check_kwargs)
    except AssertionError as failure:
        raise AssertionError(f"this test uses your `{name}`, which does not pass its own test "
                             f"yet ({part}): fix it first.\n{failure}") from None
