"""The red-team corpus: cheats, kernel faults and honest variants, graded for real, per assignment.

The corpus (red_team/cheats.toml, red_team/kernel_faults.toml) is written against the cells of
assignment 01 and applies to every assignment: for another one, each cheat's wrong answer becomes
that assignment's first fixture mistake, and its trick moves to the first solution cell (or the
wrong cell itself, or the last solution cell, as in 01); each fault moves to the first solution
cell. An assignment's own cheats.toml and honest_variants/ are added to its batch.

Each submission is the current release notebook with the answer key in its solution cells,
changed as the corpus says. The primary assignment (tests/assignments/material.py) is graded in
one serial ``nbgrader autograde`` with the course's own configuration (sandboxed kernel, re-check
outside the kernel), which proves that a cheat cannot harm later students of the same batch; every
other assignment in a fast batch of ``course_tools.parallel_grade``.

Expected: no cheat scores more than its honest twin (the same wrong answers without the trick),
cell by cell; every kernel fault is graded and explained; every honest variant earns every
automatic point and is not flagged; submissions are byte-identical afterwards; the gradebook
stays intact, also after a detached process had time to strike.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from course_tools.generate import tool_environment
from course_tools.static_scan import REVIEW_HEADING

from ..assignments.material import (ASSIGNMENTS, SPECIMEN, Assignment, answers_of,
                                    build_submission, primary)
from ..conftest import course_copy, grading_overrides
from ..services.ordinary_user import ordinary_user, remove

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
CORPUS_CHEATS = tomllib.loads((HERE / "red_team" / "cheats.toml").read_text())["cheat"]
CORPUS_FAULTS = tomllib.loads((HERE / "red_team" / "kernel_faults.toml").read_text())["fault"]
#: The assignment whose cells the corpus names.
CORPUS_ASSIGNMENT = SPECIMEN
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


def _solution_order(assignment: Assignment) -> list[str]:
    """The solution code cells, in notebook order."""
    return [c.metadata["nbgrader"]["grade_id"] for c in assignment.read().cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]


def _test_order(assignment: Assignment) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in assignment.read().cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]


def _first_test_after(assignment: Assignment, solution_cell: str) -> str:
    order = [c.metadata["nbgrader"]["grade_id"] for c in assignment.read().cells
             if c.metadata.get("nbgrader", {}).get("grade_id")]
    tests = set(_test_order(assignment))
    return next(g for g in order[order.index(solution_cell) + 1:] if g in tests)


def retarget(cheats: list[dict], faults: list[dict], target: Assignment, *,
             always: bool = False) -> tuple[list, list]:
    """The corpus moved from the cells of CORPUS_ASSIGNMENT to those of ``target`` (left as it
    is for CORPUS_ASSIGNMENT itself, unless ``always``)."""
    if target.name == CORPUS_ASSIGNMENT.name and not always:
        return cheats, faults
    corpus_order = _solution_order(CORPUS_ASSIGNMENT)
    order = _solution_order(target)
    mistakes = [s for s in target.fixtures if "hint" in s and s.get("replace_code")]
    if not mistakes:  # the pipeline test and the course standard report the missing fixtures
        return [], []
    mistake = min(mistakes, key=lambda s: min(order.index(g) for g in s["replace_code"]))
    wrong = dict(mistake["replace_code"])
    wrong_at = min(order.index(g) for g in wrong)
    moved = []
    for cheat in cheats:
        corpus_wrong_at = min(corpus_order.index(g) for g in cheat["wrong"])
        trick = {}
        for cell, code in cheat.get("trick", {}).items():
            if cell in cheat["wrong"]:
                where = min(wrong, key=order.index)
            elif corpus_order.index(cell) < corpus_wrong_at:
                where = order[0] if wrong_at > 0 else min(wrong, key=order.index)
            else:
                where = order[-1]
            trick[where] = trick.get(where, "") + code
        moved.append({**cheat, "wrong": wrong, "trick": trick})
    first = order[0]
    moved_faults = []
    for fault in faults:
        changed = {**fault, "append": {first: "".join(fault["append"].values())}}
        if "fails_from" in fault:
            changed["fails_from"] = _first_test_after(target, first)
        moved_faults.append(changed)
    return moved, moved_faults


def twin_key(cheat: dict) -> str:
    return json.dumps(cheat["wrong"], sort_keys=True)


@dataclass
class Corpus:
    """What one batch grades: an assignment's cheats, faults and honest variants."""

    assignment: Assignment
    serial: bool
    #: Graded by an ordinary user (tests/services/ordinary_user.py), so in the sandbox's user
    #: namespace mode, where the suite runs as root.
    ordinary_user: bool = False
    cheats: list = field(init=False)
    faults: list = field(init=False)
    honest: list = field(init=False)

    def __post_init__(self):
        # A parallel batch always uses the moved corpus, also on the corpus's own assignment
        # (COURSE_RED_TEAM_PARALLEL=01_activations_and_losses tries the move for real).
        self.cheats, self.faults = retarget(CORPUS_CHEATS, CORPUS_FAULTS, self.assignment,
                                            always=not self.serial)
        self.cheats = self.cheats + self.assignment.cheats
        self.honest = pack(self.assignment.honest_variants)
        unique = {twin_key(c): c for c in self.cheats}
        self.twins = {key: f"twin_{i:02d}" for i, key in enumerate(unique)}

    @property
    def id(self) -> str:
        return (f"{self.assignment.name}:{'serial' if self.serial else 'parallel'}"
                + (":ordinary-user" if self.ordinary_user else ""))


def _parallel_assignments() -> list[Assignment]:
    """Every assignment but the primary, and any that COURSE_RED_TEAM_PARALLEL names (a comma
    separated list; it lets the parallel batch, with the moved corpus, be tried on the primary
    assignment too)."""
    extra = {n.strip() for n in os.environ.get("COURSE_RED_TEAM_PARALLEL", "").split(",") if n.strip()}
    return [a for a in ASSIGNMENTS if a.name != primary().name or a.name in extra]


#: Where the suite runs as root, the primary batch is graded a second time by an ordinary user.
AS_ORDINARY_USER = [Corpus(primary(), serial=True, ordinary_user=True)] if os.geteuid() == 0 else []
BATCHES = ([Corpus(primary(), serial=True)] + [Corpus(a, serial=False) for a in _parallel_assignments()]
           + AS_ORDINARY_USER)
BATCH_IDS = [b.id for b in BATCHES]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _grade(corpus: Corpus, generated_course: Path, target: Path, user=None) -> dict:
    a = corpus.assignment
    if user is not None:  # a folder the ordinary user can reach and owns
        target = user.folder("red-team") / "course"
    course = course_copy(generated_course, target)
    release_nb, source_nb = a.read("release", course), a.read("source", course)
    answers = answers_of(source_nb)
    for group in (*(c["wrong"] for c in corpus.cheats), *(c.get("trick", {}) for c in corpus.cheats),
                  *(f["append"] for f in corpus.faults), *(cells for _, cells in corpus.honest)):
        unknown = set(group) - set(answers)
        assert not unknown, f"the corpus names cells that are not solution cells of {a}: {unknown}"

    students = {"rt_answer_key": build_submission(release_nb, answers)}
    for cheat in corpus.cheats:
        replace = dict(cheat["wrong"])
        students[f"cheat_{cheat['name']}"] = build_submission(release_nb, answers, replace,
                                                              cheat.get("trick", {}))
        students[corpus.twins[twin_key(cheat)]] = build_submission(release_nb, answers, replace)
    for fault in corpus.faults:
        students[f"fault_{fault['name']}"] = build_submission(release_nb, answers,
                                                              append=fault["append"])
    for i, (_, cells) in enumerate(corpus.honest):
        students[f"honest_{i:02d}"] = build_submission(release_nb, answers, replace=cells)

    digests = {}
    for student, nb in students.items():
        folder = course / "submitted" / student / a.name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{a.notebook}.ipynb")
        digests[folder / f"{a.notebook}.ipynb"] = digest(folder / f"{a.notebook}.ipynb")
    if corpus.serial:
        cmd = [sys.executable, "-m", "nbgrader", "autograde", a.name, "--force",
               f"--CourseDirectory.root={course}"]
    else:
        cmd = [sys.executable, "-m", "course_tools.parallel_grade", a.name, f"--course={course}"]
    cmd = [*cmd, f"--Execute.timeout={CELL_TIMEOUT}", *grading_overrides()]
    if user is not None:
        user.give(course)
        cmd = user.command(cmd, env=tool_environment())
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=course, capture_output=True, text=True,
                            env=tool_environment())
    elapsed = time.monotonic() - started
    grades = {s: read_grades(course, a, s) for s in students}
    flagged = {s: flag_reasons(course, a, s) for s in students}
    autograded = {s: (course / "autograded" / s / a.name / f"{a.notebook}.ipynb") for s in students}
    snapshot = {s: digest(p) for s, p in autograded.items() if p.exists()}
    time.sleep(6)  # give any detached process time to strike
    return dict(course=course, result=result, grades=grades, flagged=flagged, digests=digests,
                elapsed=elapsed, autograded=autograded, snapshot=snapshot, students=students,
                corpus=corpus)


@pytest.fixture(scope="module")
def red_team_batches(generated_course, tmp_path_factory):
    """corpus -> its graded batch; each batch is graded once, when a test first asks."""
    batches: dict[str, dict] = {}
    users = []

    def batch(corpus: Corpus) -> dict:
        if corpus.id not in batches:
            name = corpus.id.replace(":", "_")
            user = None
            if corpus.ordinary_user:
                if not users:
                    found = ordinary_user()
                    if found is None:
                        pytest.skip("no ordinary user to grade as (useradd is missing)")
                    users.append(found)
                user = users[0]
            batches[corpus.id] = _grade(corpus, generated_course,
                                        tmp_path_factory.mktemp(f"red_team_{name}") / "course",
                                        user)
        return batches[corpus.id]
    yield batch
    for user in users:
        remove(user)


def read_grades(course: Path, a: Assignment, student: str) -> dict[str, tuple[float, float]]:
    """grade_id -> (score, max) of the autograded test cells."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(a.notebook, a.name, student)
        except MissingEntry:
            return {}
        return {g.name: (g.score, g.max_score) for g in nb.grades
                if g.cell.cell_type == "code" and g.auto_score is not None}


def flag_reasons(course: Path, a: Assignment, student: str) -> list[str]:
    """The review comments of a flagged submission (empty when it is not flagged)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(a.notebook, a.name, student)
        except MissingEntry:
            return []
        if not nb.flagged:
            return []
        return [f"{c.name}: {c.auto_comment}" for c in nb.comments
                if c.auto_comment and REVIEW_HEADING in c.auto_comment] or ["flagged, no comment"]


CHEAT_CASES = [(b, c) for b in BATCHES for c in b.cheats]
FAULT_CASES = [(b, f) for b in BATCHES for f in b.faults]
HONEST_CASES = [(b, i) for b in BATCHES for i in range(len(b.honest))]


def test_the_corpus_moves_to_any_assignment():
    """Moved by the rule for other assignments (here onto 01's own cells), every cheat keeps its
    trick's code in a solution cell, before its wrong answer, on it, or after it as in the
    corpus; its wrong answer is a fixture mistake whose twin loses points; every fault has a
    cell and the first test after it."""
    cheats, faults = retarget(CORPUS_CHEATS, CORPUS_FAULTS, CORPUS_ASSIGNMENT, always=True)
    order = _solution_order(CORPUS_ASSIGNMENT)
    mistakes = {json.dumps(s["replace_code"], sort_keys=True): s
                for s in CORPUS_ASSIGNMENT.fixtures if "hint" in s}
    assert len(cheats) == len(CORPUS_CHEATS) and len(faults) == len(CORPUS_FAULTS)
    for original, cheat in zip(CORPUS_CHEATS, cheats):
        spec = mistakes.get(json.dumps(cheat["wrong"], sort_keys=True))
        assert spec and spec["fails"], f"{cheat['name']}: the wrong answer must be a failing fixture"
        assert set(cheat["trick"]) <= set(order), cheat["name"]
        assert "".join(cheat["trick"].values()) == "".join(original.get("trick", {}).values()), (
            f"{cheat['name']}: the trick's code must move unchanged")
        wrong_at = min(order.index(g) for g in cheat["wrong"])
        corpus_wrong_at = min(order.index(g) for g in original["wrong"])
        for cell, moved_to in zip(original.get("trick", {}), cheat["trick"]):
            was, now = order.index(cell) - corpus_wrong_at, order.index(moved_to) - wrong_at
            assert (was > 0) == (now > 0) and (was == 0) == (now == 0), (
                f"{cheat['name']}: the trick moved from {cell} to {moved_to}, which changes "
                f"whether it runs before, with or after the wrong answer")
    for fault in faults:
        (cell,) = fault["append"]
        assert cell == order[0], fault["name"]
        if "fails_from" in fault:
            assert fault["fails_from"] == _first_test_after(CORPUS_ASSIGNMENT, cell), fault["name"]


@pytest.mark.parametrize("corpus", BATCHES, ids=BATCH_IDS)
def test_every_cheat_is_flagged_for_a_person_and_no_honest_submission_is(red_team_batches, corpus):
    red_team = red_team_batches(corpus)
    unflagged = [c["name"] for c in corpus.cheats if not red_team["flagged"][f"cheat_{c['name']}"]]
    assert not unflagged, f"cheats not flagged for manual review: {unflagged}"
    honest = ["rt_answer_key", *(f"honest_{i:02d}" for i in range(len(corpus.honest)))]
    wrongly = {s: red_team["flagged"][s] for s in honest if red_team["flagged"][s]}
    assert not wrongly, f"honest submissions flagged: {wrongly}"


@pytest.mark.parametrize("corpus", BATCHES, ids=BATCH_IDS)
def test_the_batch_finishes_and_every_submission_is_graded(red_team_batches, corpus):
    red_team = red_team_batches(corpus)
    ungraded = [s for s, g in red_team["grades"].items() if not g]
    assert not ungraded, (f"not graded: {ungraded}\n{red_team['result'].stdout[-3000:]}"
                          f"\n{red_team['result'].stderr[-3000:]}")


@pytest.mark.parametrize("corpus", BATCHES, ids=BATCH_IDS)
def test_the_answer_key_earns_every_automatic_point(red_team_batches, corpus):
    red_team = red_team_batches(corpus)
    lost = {k: v for k, v in red_team["grades"]["rt_answer_key"].items() if v[0] != v[1]}
    assert not lost, f"the answer key lost points under the sandbox and the re-check: {lost}"


@pytest.mark.parametrize("corpus,cheat", CHEAT_CASES,
                         ids=[f"{b.id}:{c['name']}" for b, c in CHEAT_CASES])
def test_no_cheat_scores_more_than_the_same_wrong_answers_without_it(red_team_batches, corpus,
                                                                     cheat):
    red_team = red_team_batches(corpus)
    cheating = red_team["grades"][f"cheat_{cheat['name']}"]
    honest = red_team["grades"][corpus.twins[twin_key(cheat)]]
    assert honest and cheating, "both the cheat and its twin must be graded"
    assert sum(s for s, _ in honest.values()) < sum(m for _, m in honest.values()), (
        "the twin must lose points, or the cheat has nothing to gain")
    gained = {cell: (cheating[cell][0], honest[cell][0]) for cell in honest
              if cheating[cell][0] > honest[cell][0]}
    assert not gained, f"{cheat['name']} gained points (cheat, twin) in: {gained}"


@pytest.mark.parametrize("corpus,fault", FAULT_CASES,
                         ids=[f"{b.id}:{f['name']}" for b, f in FAULT_CASES])
def test_every_kernel_fault_is_graded_and_explained(red_team_batches, corpus, fault):
    red_team = red_team_batches(corpus)
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


@pytest.mark.parametrize("corpus,index", HONEST_CASES,
                         ids=[f"{b.id}:{'+'.join(b.honest[i][0])}" for b, i in HONEST_CASES])
def test_every_honest_variant_earns_every_automatic_point(red_team_batches, corpus, index):
    grades = red_team_batches(corpus)["grades"][f"honest_{index:02d}"]
    lost = {k: v for k, v in grades.items() if v[0] != v[1]}
    assert grades and not lost, f"honest variants {corpus.honest[index][0]} lost points: {lost}"


@pytest.mark.parametrize("corpus", BATCHES, ids=BATCH_IDS)
def test_submissions_are_byte_identical_after_grading(red_team_batches, corpus):
    red_team = red_team_batches(corpus)
    changed = [str(p) for p, d in red_team["digests"].items() if digest(p) != d]
    assert not changed, f"grading changed submissions: {changed}"


@pytest.mark.parametrize("corpus", BATCHES, ids=BATCH_IDS)
def test_gradebook_and_graded_notebooks_survive_detached_processes(red_team_batches, corpus):
    red_team = red_team_batches(corpus)
    for student in red_team["students"]:
        assert read_grades(red_team["course"], corpus.assignment, student) == red_team["grades"][student], (
            f"the gradebook entry of {student} changed after grading")
    changed = [s for s, d in red_team["snapshot"].items() if digest(red_team["autograded"][s]) != d]
    assert not changed, f"autograded notebooks changed after grading: {changed}"


@pytest.mark.parametrize("corpus", BATCHES, ids=BATCH_IDS)
def test_outputs_are_capped_in_bytes(red_team_batches, corpus):
    red_team = red_team_batches(corpus)
    path = red_team["autograded"]["fault_output_flood_on_one_line"]
    assert path.stat().st_size < 3 * 2**20, f"the flood left {path.stat().st_size} bytes"


@pytest.mark.parametrize("corpus", AS_ORDINARY_USER, ids=[b.id for b in AS_ORDINARY_USER])
def test_an_ordinary_user_grades_the_batch_exactly_as_root(red_team_batches, corpus):
    """The sandbox's user namespace gives every submission the scores and flags of root's."""
    as_user = red_team_batches(corpus)
    as_root = red_team_batches(next(b for b in BATCHES if b.assignment == corpus.assignment
                                    and b.serial and not b.ordinary_user))
    differ = {s: (as_root["grades"][s], g) for s, g in as_user["grades"].items()
              if g != as_root["grades"][s]}
    assert not differ, f"root and the ordinary user graded differently: {differ}"
    flags = {s: (bool(as_root["flagged"][s]), bool(f)) for s, f in as_user["flagged"].items()
             if bool(f) != bool(as_root["flagged"][s])}
    assert not flags, f"flagged differently (root, ordinary user): {flags}"
