"""An independent corpus of realistic wrong implementations gets the right hint, or none.

``tests/assignments/<assignment>/realistic_mistakes.py`` holds wrong solution cells written
independently of the catalogue; ``realistic_expected.py`` says which catalogued hint is right for
each. Every entry runs through the notebook's recorded PUBLIC checks. Run this file as a script
to print the measured shares.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

if __name__ == "__main__":  # run as a script: the course's folder is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.assignments.material import ASSIGNMENTS as ALL_ASSIGNMENTS  # noqa: E402
from tests.assignments.notebook_calls import check_calls, load, student_function  # noqa: E402

ASSIGNMENTS = [a for a in ALL_ASSIGNMENTS if (a.folder / "realistic_mistakes.py").exists()]
SHARE_OF_RIGHT_HINTS = 0.90


def hints_of(message: str | None, catalogue_names) -> set[str]:
    return {n for n in catalogue_names if message and f"Hint ({n})" in message}


def outcomes(assignment) -> list[dict]:
    """Per entry: whether it failed a public check, and the hints it got on the public checks."""
    corpus = load(assignment.folder / "realistic_mistakes.py").REALISTIC_MISTAKES
    expected = load(assignment.folder / "realistic_expected.py")
    notebook = assignment.path("source")
    calls = [c for c in check_calls(notebook) if not c.hidden]
    results = []
    for index, entry in enumerate(corpus):
        fn = entry["function"]
        mine = [c for c in calls if c.function == fn]
        names = {m.name for c in mine for m in c.mistakes}
        func = student_function(notebook, fn, entry["code"])
        messages = [c.failure(func) for c in mine]
        want = expected.EXPECTED.get(index, "missing")
        want = set(want) if isinstance(want, tuple) else ({want} if want else set())
        got = set().union(*(hints_of(m, names) for m in messages)) if messages else set()
        results.append(dict(index=index, function=fn, bug=entry["bug"], expected=want, got=got,
                            failed=any(messages), not_caught=index in expected.NOT_CAUGHT,
                            right=bool(got & want), wrong=bool(got - want)))
    return results


def shares(results) -> dict[str, float]:
    n = len(results)
    return {"fails a public test": sum(r["failed"] for r in results) / n,
            "right hint": sum(r["right"] for r in results) / n,
            "wrong hint": sum(r["wrong"] for r in results) / n,
            "no hint": sum(not r["got"] for r in results) / n}


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=str)
def measured(request):
    results = outcomes(request.param)
    print(f"\n{request.param}: " + ", ".join(f"{k} {v:.0%}" for k, v in shares(results).items()))
    return results


def test_every_entry_fails_a_public_check(measured):
    missed = [f"#{r['index']} {r['function']}: {r['bug']}" for r in measured
              if not r["failed"] and not r["not_caught"]]
    assert not missed, "these wrong implementations pass every public check:\n" + "\n".join(missed)
    stale = [r["index"] for r in measured if r["failed"] and r["not_caught"]]
    assert not stale, f"NOT_CAUGHT lists entries that now fail a public check: {stale}"


def test_no_entry_gets_a_wrong_hint(measured):
    wrong = [f"#{r['index']} {r['function']} ({r['bug']}): got {sorted(r['got'] - r['expected'])}"
             for r in measured if r["wrong"]]
    assert not wrong, "hints that name a mistake the student did not make:\n" + "\n".join(wrong)


def test_most_entries_get_their_right_hint(measured):
    share = shares(measured)["right hint"]
    missing = [f"#{r['index']} {r['function']} ({r['bug']}): expected {sorted(r['expected'])}"
               for r in measured if r["expected"] and not r["right"]]
    assert share >= SHARE_OF_RIGHT_HINTS, (
        f"only {share:.0%} get their right hint (aim {SHARE_OF_RIGHT_HINTS:.0%}); missing:\n"
        + "\n".join(missing))


if __name__ == "__main__":
    for assignment in ASSIGNMENTS:
        results = outcomes(assignment)
        print(assignment, {k: f"{v:.1%}" for k, v in shares(results).items()})
        for r in results:
            if not r["right"] or r["wrong"] or not r["failed"]:
                print(f"  #{r['index']} {r['function']}: failed={r['failed']} "
                      f"expected={sorted(r['expected'])} got={sorted(r['got'])}  {r['bug']}")
