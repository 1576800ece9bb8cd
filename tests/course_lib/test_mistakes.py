"""The mistake catalogues are well formed.

That each catalogued mistake is caught and named on the notebook's own public checks is proved
in tests/assignments/test_mistake_hints.py (on the checks recorded from the notebook), and on an
independent corpus of realistic mistakes in tests/assignments/test_realistic_mistakes.py.
"""
import pytest

from course_lib.mistakes import CATALOGUES, mistakes_for

CASES = [(a, fn, m) for a, cat in CATALOGUES.items() for fn, ms in cat.items() for m in ms]


def test_an_unknown_assignment_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="01_activations_and_losses"):
        mistakes_for("99_nothing")


@pytest.mark.parametrize("assignment,fn,mistake", CASES,
                         ids=[f"{a}-{fn}-{m.name}" for a, fn, m in CASES])
def test_every_mistake_is_recognisable_and_has_a_hint(assignment, fn, mistake):
    ways = [mistake.returns is not None, mistake.raises is not None, mistake.warns, mistake.mutates,
            mistake.recognises is not None]
    assert any(ways), f"{assignment} {fn} / {mistake.name}: no way to recognise it"
    assert mistake.hint.strip() and len(mistake.hint) > 30, f"{fn} / {mistake.name}: hint too short"


@pytest.mark.parametrize("assignment", sorted(CATALOGUES))
def test_names_are_unique_per_function(assignment):
    for fn, mistakes in CATALOGUES[assignment].items():
        names = [m.name for m in mistakes]
        assert len(names) == len(set(names)), f"{assignment} {fn}: duplicate names {names}"
