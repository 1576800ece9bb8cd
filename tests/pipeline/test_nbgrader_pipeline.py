"""The real nbgrader pipeline on a temporary copy of the course.

generate_assignment (in the ``generated_course`` fixture), then autograde of the fixture
submissions described in submissions/manifest.toml, generate_feedback and export, each through
nbgrader's own command line with the course's nbgrader_config.py.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import html
import re
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from course_tools.generate import strip_region_markers, tool_environment

from ..conftest import COURSE_ROOT, course_copy, grading_overrides

pytestmark = pytest.mark.slow

SUBMISSIONS = Path(__file__).parent / "submissions"
MANIFEST = tomllib.loads((SUBMISSIONS / "manifest.toml").read_text())
ASSIGNMENT = MANIFEST["assignment"]
NOTEBOOK = MANIFEST["notebook"]
STUDENTS = [s["student"] for s in MANIFEST["submission"]]
# The infinite loop costs one timeout; the course's own timeout is for real notebooks.
CELL_TIMEOUT = 8


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args,
                           f"--CourseDirectory.root={course}"],
                          cwd=course, capture_output=True, text=True, env=tool_environment())


def build_submission(release_nb, source_nb, spec: dict):
    """A student's notebook: the release with the answer key's solutions and the spec's edits."""
    nb = copy.deepcopy(release_nb)
    if spec["base"] == "release":
        return nb
    answers = {c.metadata["nbgrader"]["grade_id"]: strip_region_markers(c.source)
               for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    replaced = {grade_id: (SUBMISSIONS / filename).read_text()
                for grade_id, filename in spec.get("replace", {}).items()}
    unknown = set(replaced) - set(answers)
    assert not unknown, f"manifest names cells that are not solution cells: {unknown}"
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = replaced.get(grade_id, answers[grade_id])
    return nb


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


@pytest.fixture(scope="module")
def graded(generated_course, tmp_path_factory):
    course = course_copy(generated_course, tmp_path_factory.mktemp("pipeline") / "course")
    release_nb = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source_nb = nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    digests = {}
    for spec in MANIFEST["submission"]:
        folder = course / "submitted" / spec["student"] / ASSIGNMENT
        folder.mkdir(parents=True)
        path = folder / f"{NOTEBOOK}.ipynb"
        nbformat.write(build_submission(release_nb, source_nb, spec), path)
        digests[path] = digest(path)
    autograde = nbgrader(course, "autograde", ASSIGNMENT, "--force",
                         f"--Execute.timeout={CELL_TIMEOUT}", *grading_overrides())
    feedback = nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    export = nbgrader(course, "export", f"--to={course / 'grades.csv'}")
    return dict(course=course, autograde=autograde, feedback=feedback, export=export,
                digests=digests, source=source_nb)


def grades_of(course: Path, student: str) -> dict:
    """grade_id -> (score, max_score, auto) from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        return {g.name: (g.score, g.max_score, g.auto_score is not None and g.cell.cell_type == "code")
                for g in nb.grades}


def test_every_command_succeeds(graded):
    for step in ("autograde", "feedback", "export"):
        result = graded[step]
        assert result.returncode == 0, f"nbgrader {step} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("spec", MANIFEST["submission"], ids=STUDENTS)
def test_each_submission_scores_as_the_manifest_says(graded, spec):
    grades = grades_of(graded["course"], spec["student"])
    auto = {name: (score, top) for name, (score, top, is_auto) in grades.items() if is_auto}
    assert auto, "no autograded cells found in the gradebook"
    fails = set(auto) if spec["fails"] == "all" else set(spec["fails"])
    assert fails <= set(auto), f"manifest names unknown test cells: {fails - set(auto)}"
    wrong = {name: f"{score:g}/{top:g}" for name, (score, top) in auto.items()
             if score != (0 if name in fails else top)}
    assert not wrong, (f"{spec['student']}: these cells scored otherwise than expected "
                       f"(expected 0 for {sorted(fails)}, full points elsewhere): {wrong}")


def test_answer_key_earns_every_automatic_point_and_release_none(graded):
    key = grades_of(graded["course"], "answer_key")
    blank = grades_of(graded["course"], "untouched_release")
    auto_max = sum(top for _, top, is_auto in key.values() if is_auto)
    assert auto_max == 28, f"assignment 01 has {auto_max} automatic points, its text says 28"
    assert sum(s for s, _, is_auto in key.values() if is_auto) == auto_max
    assert sum(s for s, _, is_auto in blank.values() if is_auto) == 0


@pytest.mark.parametrize("spec", [s for s in MANIFEST["submission"] if "hint" in s],
                         ids=[s["student"] for s in MANIFEST["submission"] if "hint" in s])
def test_feedback_names_the_mistake(graded, spec):
    page = graded["course"] / "feedback" / spec["student"] / ASSIGNMENT / f"{NOTEBOOK}.html"
    assert page.exists(), f"no feedback for {spec['student']}"
    assert spec["hint"] in visible_text(page.read_text()), (
        f"the feedback of {spec['student']} does not contain {spec['hint']!r}")


def test_feedback_never_shows_a_hidden_test(graded):
    region = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
    # Lines that also stand, whole or in part, outside the hidden regions give nothing away.
    visible = re.sub(r"\s+", " ", " ".join(region.sub("", c.source) for c in graded["source"].cells))
    hidden = []
    for cell in graded["source"].cells:
        for body in region.findall(cell.source):
            hidden += [re.sub(r"\s+", " ", ln.strip()) for ln in body.splitlines()
                       if len(ln.strip()) > 12 and re.sub(r"\s+", " ", ln.strip()) not in visible]
    assert len(hidden) > 20, "expected the hidden tests of assignment 01"
    visible_line = "check_function(sigmoid, (x,), reference.sigmoid"
    for student in STUDENTS:
        page = graded["course"] / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html"
        text = visible_text(page.read_text())
        # The extraction works: a public test's line is found in the same text.
        assert visible_line in text, f"the feedback of {student} lost its public tests"
        shown = [ln for ln in hidden if ln in text]
        assert not shown, f"the feedback of {student} shows hidden-test lines: {shown[:3]}"
        assert "BEGIN HIDDEN TESTS" not in text


def test_hidden_test_failures_are_reported_without_detail(graded):
    page = graded["course"] / "feedback" / "sigmoid_grad_returns_sigmoid" / ASSIGNMENT / f"{NOTEBOOK}.html"
    text = visible_text(page.read_text())
    assert "Hidden tests (1 point): FAILED" in text
    assert "Hidden tests (2 points): passed" in text


def test_infinite_loop_is_interrupted_and_the_batch_finishes(graded):
    grades = grades_of(graded["course"], "infinite_loop")
    assert grades["test_softmax_values"][0] == grades["test_softmax_values"][1], (
        "cells after the interrupted one must still run and score")
    for student in STUDENTS:
        assert (graded["course"] / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb").exists()


def test_submissions_are_unchanged_by_grading(graded):
    for path, before in graded["digests"].items():
        assert digest(path) == before, f"grading changed the submission {path}"


def test_export_agrees_with_the_gradebook(graded):
    rows = list(csv.DictReader((graded["course"] / "grades.csv").open()))
    by_student = {r["student_id"]: r for r in rows if r["assignment"] == ASSIGNMENT}
    assert set(by_student) == set(STUDENTS)
    for student in STUDENTS:
        grades = grades_of(graded["course"], student)
        total = sum(score for score, _, _ in grades.values())
        assert float(by_student[student]["raw_score"]) == pytest.approx(total), student
        assert float(by_student[student]["max_score"]) == pytest.approx(35.0), student
