"""The red-team corpus: cheats, kernel faults and honest variants, graded by nbgrader for real.

Every submission is built from the current release notebook of the primary assignment
(tests/assignments/material.py) with the answer key in its solution cells, then changed as
red_team/cheats.toml, red_team/kernel_faults.toml, the assignment's own cheats.toml or a file of
its honest_variants/ says; all of them are graded in one `nbgrader autograde` with the
course's own configuration (sandboxed kernel, re-check outside the kernel).

Expected: no cheat scores more than its honest twin (the same wrong answers without the trick),
cell by cell; every kernel fault is graded and explained; every honest variant earns every
automatic point; submissions are byte-identical afterwards; the gradebook stays intact, also
after a detached process had time to strike.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import pytest

from course_tools.generate import tool_environment

from ..assignments.material import answers_of, build_submission, primary
from ..conftest import course_copy, grading_overrides

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
# The full serial batch runs on one assignment (COURSE_TEST_ASSIGNMENT chooses it).
PRIMARY = primary()
ASSIGNMENT, NOTEBOOK = PRIMARY.name, PRIMARY.notebook
CHEATS = tomllib.loads((HERE / "red_team" / "cheats.toml").read_text())["cheat"] + PRIMARY.cheats
FAULTS = tomllib.loads((HERE / "red_team" / "kernel_faults.toml").read_text())["fault"]
CELL_TIMEOUT = 10


def pack(variants: list[tuple[str, dict]]) -> list[tuple[list[str], dict]]:
    """Put variants that change different cells into the same notebook (fewer to grade)."""
    notebooks: list[tuple[list[str], dict]] = []
    for name, cells in variants:
        for names, merged in notebooks:
            if not set(cells) & set(merged):
                names.append(name)
                merged.update(cells)
                break
        else:
            notebooks.append(([name], dict(cells)))
    return notebooks


HONEST = pack(PRIMARY.honest_variants)


def twin_key(cheat: dict) -> str:
    return json.dumps(cheat["wrong"], sort_keys=True)


TWINS = {twin_key(c): f"twin_{i:02d}" for i, c in enumerate({twin_key(c): c for c in CHEATS}.values())}


def submission(release_nb, answers: dict, replace: dict = {}, append: dict = {}):
    return build_submission(release_nb, answers, replace, append)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def red_team(generated_course, tmp_path_factory):
    course = course_copy(generated_course, tmp_path_factory.mktemp("red_team") / "course")
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source_nb = nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    answers = answers_of(source_nb)
    for group in (*(c["wrong"] for c in CHEATS), *(c.get("trick", {}) for c in CHEATS),
                  *(f["append"] for f in FAULTS), *(cells for _, cells in HONEST)):
        unknown = set(group) - set(answers)
        assert not unknown, f"the corpus names cells that are not solution cells: {unknown}"

    students = {"rt_answer_key": submission(release_nb, answers)}
    for cheat in CHEATS:
        replace = dict(cheat["wrong"])
        students[f"cheat_{cheat['name']}"] = submission(release_nb, answers, replace,
                                                        cheat.get("trick", {}))
        students[TWINS[twin_key(cheat)]] = submission(release_nb, answers, replace)
    for fault in FAULTS:
        students[f"fault_{fault['name']}"] = submission(release_nb, answers, append=fault["append"])
    for i, (_, cells) in enumerate(HONEST):
        students[f"honest_{i:02d}"] = submission(release_nb, answers, replace=cells)

    digests = {}
    for student, nb in students.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")
        digests[folder / f"{NOTEBOOK}.ipynb"] = digest(folder / f"{NOTEBOOK}.ipynb")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force",
         f"--CourseDirectory.root={course}", f"--Execute.timeout={CELL_TIMEOUT}",
         *grading_overrides()],
        cwd=course, capture_output=True, text=True, env=tool_environment())
    elapsed = time.monotonic() - started
    grades = {s: read_grades(course, s) for s in students}
    flagged = {s: is_flagged(course, s) for s in students}
    autograded = {s: (course / "autograded" / s / ASSIGNMENT / f"{NOTEBOOK}.ipynb") for s in students}
    snapshot = {s: digest(p) for s, p in autograded.items() if p.exists()}
    time.sleep(6)  # give any detached process time to strike
    return dict(course=course, result=result, grades=grades, flagged=flagged, digests=digests, elapsed=elapsed,
                autograded=autograded, snapshot=snapshot, students=students)


def read_grades(course: Path, student: str) -> dict[str, tuple[float, float]]:
    """grade_id -> (score, max) of the autograded test cells."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        except MissingEntry:
            return {}
        return {g.name: (g.score, g.max_score) for g in nb.grades
                if g.cell.cell_type == "code" and g.auto_score is not None}


def is_flagged(course: Path, student: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            return bool(gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student).flagged)
        except MissingEntry:
            return False


def test_every_cheat_is_flagged_for_a_person_and_no_honest_submission_is(red_team):
    unflagged = [c["name"] for c in CHEATS if not red_team["flagged"][f"cheat_{c['name']}"]]
    assert not unflagged, f"cheats not flagged for manual review: {unflagged}"
    honest = ["rt_answer_key", *(f"honest_{i:02d}" for i in range(len(HONEST)))]
    wrongly = [s for s in honest if red_team["flagged"][s]]
    assert not wrongly, f"honest submissions flagged: {wrongly}"


def test_the_batch_finishes_and_every_submission_is_graded(red_team):
    ungraded = [s for s, g in red_team["grades"].items() if not g]
    assert not ungraded, (f"not graded: {ungraded}\n{red_team['result'].stdout[-3000:]}"
                          f"\n{red_team['result'].stderr[-3000:]}")


def test_the_answer_key_earns_every_automatic_point(red_team):
    lost = {k: v for k, v in red_team["grades"]["rt_answer_key"].items() if v[0] != v[1]}
    assert not lost, f"the answer key lost points under the sandbox and the re-check: {lost}"


@pytest.mark.parametrize("cheat", CHEATS, ids=[c["name"] for c in CHEATS])
def test_no_cheat_scores_more_than_the_same_wrong_answers_without_it(red_team, cheat):
    cheating = red_team["grades"][f"cheat_{cheat['name']}"]
    honest = red_team["grades"][TWINS[twin_key(cheat)]]
    assert honest and cheating, "both the cheat and its twin must be graded"
    assert sum(s for s, _ in honest.values()) < sum(m for _, m in honest.values()), (
        "the twin must lose points, or the cheat has nothing to gain")
    gained = {cell: (cheating[cell][0], honest[cell][0]) for cell in honest
              if cheating[cell][0] > honest[cell][0]}
    assert not gained, f"{cheat['name']} gained points (cheat, twin) in: {gained}"


@pytest.mark.parametrize("fault", FAULTS, ids=[f["name"] for f in FAULTS])
def test_every_kernel_fault_is_graded_and_explained(red_team, fault):
    student = f"fault_{fault['name']}"
    grades = red_team["grades"][student]
    assert grades, f"{student} was not graded"
    if fault.get("expect") != "graded":
        order = list(grades)
        first_failing = order.index(fault["fails_from"]) if "fails_from" in fault else len(order)
        wrong = {cell: grades[cell] for i, cell in enumerate(order)
                 if grades[cell][0] != (0 if i >= first_failing else grades[cell][1])}
        assert not wrong, f"{student}: unexpected scores {wrong}"
    if "message" in fault:
        text = red_team["autograded"][student].read_text()
        assert fault["message"] in text, f"{student}: the autograded notebook does not say {fault['message']!r}"


@pytest.mark.parametrize("index", range(len(HONEST)), ids=["+".join(n) for n, _ in HONEST])
def test_every_honest_variant_earns_every_automatic_point(red_team, index):
    grades = red_team["grades"][f"honest_{index:02d}"]
    lost = {k: v for k, v in grades.items() if v[0] != v[1]}
    assert grades and not lost, f"honest variants {HONEST[index][0]} lost points: {lost}"


def test_submissions_are_byte_identical_after_grading(red_team):
    changed = [str(p) for p, d in red_team["digests"].items() if digest(p) != d]
    assert not changed, f"grading changed submissions: {changed}"


def test_gradebook_and_graded_notebooks_survive_detached_processes(red_team):
    for student in red_team["students"]:
        assert read_grades(red_team["course"], student) == red_team["grades"][student], (
            f"the gradebook entry of {student} changed after grading")
    changed = [s for s, d in red_team["snapshot"].items() if digest(red_team["autograded"][s]) != d]
    assert not changed, f"autograded notebooks changed after grading: {changed}"


def test_outputs_are_capped_in_bytes(red_team):
    path = red_team["autograded"]["fault_output_flood_on_one_line"]
    assert path.stat().st_size < 3 * 2**20, f"the flood left {path.stat().st_size} bytes"
