"""The real nbgrader pipeline on a temporary copy of the course, for every assignment.

generate_assignment (in the ``generated_course`` fixture), then autograde of each assignment's
fixture submissions (tests/assignments/<assignment>/fixtures.toml), generate_feedback and
export, each through nbgrader's own command line with the course's nbgrader_config.py.
"""
from __future__ import annotations

import csv
import hashlib
import html
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from course_tools.generate import tool_environment

from ..assignments import material
from ..assignments.material import ASSIGNMENTS, SPECIMEN, Assignment, answers_of, primary
from ..conftest import course_copy, grading_overrides

pytestmark = pytest.mark.slow

# The infinite loop costs one timeout; the course's own timeout is for real notebooks.
CELL_TIMEOUT = 8
# (assignment, fixture) pairs, for parametrized tests.
CASES = [(a, spec) for a in ASSIGNMENTS for spec in a.fixtures]
CASE_IDS = [f"{a.name}:{spec['student']}" for a, spec in CASES]
#: Cheats of the red-team corpus that join every fixture batch (as ``cheat_<name>``), so that the
#: batch holds submissions the static scan flags (the class report lists them).
FLAGGED_CHEATS = ("builtins_abs_returns_zero", "test_helper_rebound_in_the_namespace")


# The grading machinery's own tests (static scan, zygote, similarity report) use assignment 01's
# notebook and fixtures as a specimen: they name its cells.
ASSIGNMENT, NOTEBOOK = SPECIMEN.name, SPECIMEN.notebook
SUBMISSIONS = SPECIMEN.folder / "fixtures"


def build_submission(release_nb, source_nb, spec: dict):
    """A submission of the specimen assignment (see ``Assignment.build``)."""
    return SPECIMEN.build(spec, release_nb, source_nb)


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args,
                           f"--CourseDirectory.root={course}"],
                          cwd=course, capture_output=True, text=True, env=tool_environment())


class _Text(HTMLParser):
    """The visible text of an HTML page (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", html.unescape("".join(parser.parts)))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flagged_cheats(assignment: Assignment) -> dict[str, dict]:
    """student -> the cheat of ``FLAGGED_CHEATS``, moved onto the assignment's cells."""
    from ..grading.test_red_team import CORPUS_CHEATS, retarget

    chosen = [c for c in CORPUS_CHEATS if c["name"] in FLAGGED_CHEATS]
    assert len(chosen) == len(FLAGGED_CHEATS), "a cheat of FLAGGED_CHEATS left the corpus"
    moved, _ = retarget(chosen, [], assignment)
    return {f"cheat_{c['name']}": c for c in moved}


def grade_fixtures(assignment: Assignment, generated_course: Path, target: Path,
                   parallel: bool | None = None) -> dict:
    """Autograde, generate_feedback and export of one assignment's fixtures in a course copy.

    The batch also holds the cheats of ``FLAGGED_CHEATS`` (``graded["cheats"]``; they are not
    among ``graded["students"]``, the fixture submissions).

    The primary assignment is graded by one serial ``nbgrader autograde`` (the parallel grader's
    comparison reads that batch); the others, to keep the suite fast as the course grows, by
    ``course_tools.parallel_grade``, which runs nbgrader's autograde per student.
    """
    import nbformat

    if parallel is None:
        parallel = assignment.name != primary().name

    course = course_copy(generated_course, target)
    name, notebook = assignment.name, assignment.notebook
    digests = {}
    release_nb, source_nb = assignment.read("release", course), assignment.read("source", course)
    for spec in assignment.fixtures:
        folder = course / "submitted" / spec["student"] / name
        folder.mkdir(parents=True)
        path = folder / f"{notebook}.ipynb"
        nbformat.write(assignment.build(spec, release_nb, source_nb), path)
        digests[path] = digest(path)
    cheats = flagged_cheats(assignment)
    for student, cheat in cheats.items():
        folder = course / "submitted" / student / name
        folder.mkdir(parents=True)
        path = folder / f"{notebook}.ipynb"
        nbformat.write(material.build_submission(release_nb, answers_of(source_nb),
                                                 dict(cheat["wrong"]), cheat.get("trick", {})),
                       path)
        digests[path] = digest(path)
    if parallel:
        autograde = subprocess.run(
            [sys.executable, "-m", "course_tools.parallel_grade", name, f"--course={course}",
             f"--Execute.timeout={CELL_TIMEOUT}", *grading_overrides()],
            cwd=course, capture_output=True, text=True, env=tool_environment())
    else:
        autograde = nbgrader(course, "autograde", name, "--force",
                             f"--Execute.timeout={CELL_TIMEOUT}", *grading_overrides())
    feedback = nbgrader(course, "generate_feedback", name, "--force")
    export = nbgrader(course, "export", f"--to={course / 'grades.csv'}")
    return dict(course=course, autograde=autograde, feedback=feedback, export=export,
                digests=digests, source=assignment.read("source", course),
                assignment=assignment, students=[s["student"] for s in assignment.fixtures],
                cheats=cheats)


def feedback_page(graded: dict, student: str) -> Path:
    a = graded["assignment"]
    return graded["course"] / "feedback" / student / a.name / f"{a.notebook}.html"


def grades_of(graded: dict, student: str) -> dict:
    """grade_id -> (score, max_score, auto) from the course's gradebook."""
    from nbgrader.api import Gradebook

    a = graded["assignment"]
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(a.notebook, a.name, student)
        return {g.name: (g.score, g.max_score, g.auto_score is not None and g.cell.cell_type == "code")
                for g in nb.grades}


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_every_command_succeeds(fixture_batches, assignment):
    graded = fixture_batches(assignment)
    for step in ("autograde", "feedback", "export"):
        result = graded[step]
        assert result.returncode == 0, (f"{assignment}: nbgrader {step} failed:\n"
                                        f"{result.stdout}\n{result.stderr}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_the_fixtures_cover_what_the_standard_asks(assignment):
    """The answer key, the untouched release, a kernel fault and mistakes with their hints."""
    specs = assignment.fixtures
    assert specs, (f"{assignment} has no fixture submissions: write "
                   f"tests/assignments/{assignment}/fixtures.toml (see tests/assignments/material.py)")
    bases = [s["base"] for s in specs]
    assert "answer_key" in [s["student"] for s in specs] and "release" in bases, (
        f"{assignment}: fixtures.toml needs the answer key and the untouched release")
    assert any(s.get("fault") for s in specs), f"{assignment}: fixtures.toml has no kernel fault"
    assert sum(1 for s in specs if "hint" in s) >= 3, (
        f"{assignment}: fixtures.toml needs at least three mistakes with their hints")


@pytest.mark.parametrize("assignment,spec", CASES, ids=CASE_IDS)
def test_each_submission_scores_as_the_manifest_says(fixture_batches, assignment, spec):
    grades = grades_of(fixture_batches(assignment), spec["student"])
    auto = {name: (score, top) for name, (score, top, is_auto) in grades.items() if is_auto}
    assert auto, "no autograded cells found in the gradebook"
    fails = set(auto) if spec["fails"] == "all" else set(spec["fails"])
    assert fails <= set(auto), f"manifest names unknown test cells: {fails - set(auto)}"
    wrong = {name: f"{score:g}/{top:g}" for name, (score, top) in auto.items()
             if score != (0 if name in fails else top)}
    assert not wrong, (f"{spec['student']}: these cells scored otherwise than expected "
                       f"(expected 0 for {sorted(fails)}, full points elsewhere): {wrong}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_answer_key_earns_every_automatic_point_and_release_none(fixture_batches, assignment):
    graded = fixture_batches(assignment)
    release = next(s["student"] for s in assignment.fixtures if s["base"] == "release")
    key = grades_of(graded, "answer_key")
    blank = grades_of(graded, release)
    auto_max = sum(top for _, top, is_auto in key.values() if is_auto)
    assert auto_max == assignment.points[0], (
        f"{assignment}: the gradebook has {auto_max} automatic points, the notebook "
        f"{assignment.points[0]:g}")
    assert sum(s for s, _, is_auto in key.values() if is_auto) == auto_max
    assert sum(s for s, _, is_auto in blank.values() if is_auto) == 0


FEEDBACK_CASES = [(a, s) for a, s in CASES if "hint" in s or "feedback_contains" in s]


@pytest.mark.parametrize("assignment,spec", FEEDBACK_CASES,
                         ids=[f"{a.name}:{s['student']}" for a, s in FEEDBACK_CASES])
def test_feedback_names_the_mistake(fixture_batches, assignment, spec):
    page = feedback_page(fixture_batches(assignment), spec["student"])
    assert page.exists(), f"no feedback for {spec['student']}"
    text = visible_text(page.read_text())
    for expected in [spec.get("hint"), *spec.get("feedback_contains", [])]:
        if expected:
            assert expected in text, (
                f"the feedback of {spec['student']} does not contain {expected!r}")


def _public_check_line(source_nb) -> str:
    """A line of a public test cell, to prove that the extracted feedback text holds the tests."""
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code" and "BEGIN HIDDEN" not in cell.source:
            for line in cell.source.splitlines():
                if line.startswith("check_function("):
                    return line[:45]
    raise AssertionError("no public test cell calls check_function")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_feedback_never_shows_a_hidden_test(fixture_batches, assignment):
    graded = fixture_batches(assignment)
    region = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
    # Lines that also stand, whole or in part, outside the hidden regions give nothing away.
    visible = re.sub(r"\s+", " ", " ".join(region.sub("", c.source) for c in graded["source"].cells))
    hidden = []
    for cell in graded["source"].cells:
        for body in region.findall(cell.source):
            hidden += [re.sub(r"\s+", " ", ln.strip()) for ln in body.splitlines()
                       if len(ln.strip()) > 12 and re.sub(r"\s+", " ", ln.strip()) not in visible]
    assert hidden, f"expected the hidden tests of {assignment}"
    visible_line = _public_check_line(graded["source"])
    for student in graded["students"]:
        text = visible_text(feedback_page(graded, student).read_text())
        # The extraction works: a public test's line is found in the same text.
        assert visible_line in text, f"the feedback of {student} lost its public tests"
        shown = [ln for ln in hidden if ln in text]
        assert not shown, f"the feedback of {student} shows hidden-test lines: {shown[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_a_kernel_fault_is_interrupted_and_the_batch_finishes(fixture_batches, assignment):
    graded = fixture_batches(assignment)
    order = [c.metadata["nbgrader"]["grade_id"] for c in graded["source"].cells
             if c.metadata.get("nbgrader", {}).get("grade_id")]
    for spec in (s for s in assignment.fixtures if s.get("fault")):
        grades = grades_of(graded, spec["student"])
        broken = max(order.index(g) for g in spec["replace"])
        later = [g for g in order[broken + 1:] if g in grades and grades[g][2]
                 and g not in spec["fails"]]
        assert later, f"{spec['student']}: no test cell after the fault to prove the batch went on"
        assert all(grades[g][0] == grades[g][1] for g in later), (
            f"{spec['student']}: cells after the interrupted one must still run and score")
    for student in graded["students"]:
        assert (graded["course"] / "autograded" / student / assignment.name
                / f"{assignment.notebook}.ipynb").exists(), f"{student} was not graded"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_submissions_are_unchanged_by_grading(fixture_batches, assignment):
    for path, before in fixture_batches(assignment)["digests"].items():
        assert digest(path) == before, f"grading changed the submission {path}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_export_agrees_with_the_gradebook(fixture_batches, assignment):
    graded = fixture_batches(assignment)
    rows = list(csv.DictReader((graded["course"] / "grades.csv").open()))
    by_student = {r["student_id"]: r for r in rows if r["assignment"] == assignment.name}
    assert set(by_student) == set(graded["students"]) | set(graded["cheats"])
    for student in graded["students"]:
        grades = grades_of(graded, student)
        total = sum(score for score, _, _ in grades.values())
        assert float(by_student[student]["raw_score"]) == pytest.approx(total), student
        assert float(by_student[student]["max_score"]) == pytest.approx(
            assignment.total_points), student
