"""Every catalogued mistake is caught, and named, on the notebook's own PUBLIC checks.

For each assignment of source/, the checks are recorded from the notebook itself
(tests/assignments/notebook_calls.py), never made up here. A wrong implementation of each
catalogued mistake (tests/assignments/<assignment>/wrong_implementations.py) must fail at least
one public check of its function and get its own hint there, and never another mistake's hint
on any public check; the answer key must pass every public and hidden check.
"""
from __future__ import annotations

import pytest

from course_lib.mistakes import CATALOGUES, mistakes_for

from .material import ASSIGNMENTS, COURSE_ROOT
from .notebook_calls import check_calls, load, student_function


def catalogue_cases():
    for assignment in ASSIGNMENTS:
        for fn, mistakes in CATALOGUES.get(assignment.name, {}).items():
            for name in sorted({m.name for m in mistakes}):
                yield pytest.param(assignment, fn, name, id=f"{assignment}-{fn}-{name}")


def public_calls(assignment, fn: str):
    return [c for c in check_calls(assignment.path("source"))
            if c.function == fn and not c.hidden]


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_every_graded_function_has_three_named_mistakes(assignment):
    assert assignment.name in CATALOGUES, (
        f"{assignment} has no mistake catalogue: add CATALOGUES[{assignment.name!r}] to "
        f"course_lib/mistakes.py and bind it in the setup cell with mistakes_for")
    graded = {c.function for c in check_calls(assignment.path("source"))}
    catalogue = mistakes_for(assignment.name)
    short = {fn: sorted({m.name for m in catalogue.get(fn, ())}) for fn in graded
             if len({m.name for m in catalogue.get(fn, ())}) < 3}
    assert not short, f"{assignment}: functions with fewer than 3 named mistakes: {short}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_every_catalogued_mistake_has_a_wrong_implementation(assignment):
    path = assignment.folder / "wrong_implementations.py"
    assert path.exists(), f"{assignment}: {path.relative_to(COURSE_ROOT)} is missing"
    wrong = load(path).WRONG
    catalogue = {(fn, m.name) for fn, ms in CATALOGUES.get(assignment.name, {}).items()
                 for m in ms}
    assert not catalogue - set(wrong), f"{assignment}: no wrong implementation for {sorted(catalogue - set(wrong))}"
    assert not set(wrong) - catalogue, f"{assignment}: not in the catalogue: {sorted(set(wrong) - catalogue)}"


@pytest.mark.parametrize("assignment,fn,name", list(catalogue_cases()))
def test_the_mistake_fails_a_public_check_with_its_own_hint(assignment, fn, name):
    material = load(assignment.folder / "wrong_implementations.py")
    code = material.WRONG[(fn, name)]
    func = student_function(assignment.path("source"), fn, code)
    calls = public_calls(assignment, fn)
    assert calls, f"{assignment}: no public check of {fn}"
    others = ({m.name for m in mistakes_for(assignment.name)[fn]} - {name}
              - getattr(material, "ALSO_RIGHT", {}).get((fn, name), set()))
    own_hint = False
    for call in calls:
        message = call.failure(func)
        wrong = sorted(o for o in others if message and f"Hint ({o})" in message)
        assert not wrong, f"{fn} / {name}: {call} gives the hint of {wrong}:\n{message}"
        own_hint |= bool(message) and f"Hint ({name})" in message
    assert own_hint, (f"{fn} / {name}: no public check of {fn} fails with this mistake's hint "
                      f"({', '.join(str(c) for c in calls)})")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_the_answer_key_passes_every_check_without_a_hint(assignment):
    failed = [f"{c}: {c.answer_key_failure}" for c in check_calls(assignment.path("source"))
              if c.answer_key_failure]
    assert not failed, "the answer key fails:\n" + "\n".join(failed)
