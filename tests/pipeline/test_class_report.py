"""The class report (course_tools.report) on every assignment's graded fixture batch.

Reads the batches that the pipeline test grades (the ``fixture_batches`` session fixture: the
fixture submissions of tests/assignments/<assignment>/fixtures.toml and the flagged cheats of
``FLAGGED_CHEATS``), so nothing is graded twice. Every figure is checked against what is known
without the report: the manifests (which cells each fixture fails, which hint it shows) and the
gradebook read through nbgrader's own API.
"""
from __future__ import annotations

import csv
import re
import statistics
from pathlib import Path

import pytest

from course_tools.report import build_report, write_report

from ..assignments.material import ASSIGNMENTS, Assignment, nbgrader_meta
from .test_nbgrader_pipeline import visible_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def class_reports(fixture_batches, tmp_path_factory):
    """assignment -> (graded batch, folder of its report), each report written once."""
    reports = {}

    def report(assignment: Assignment):
        if assignment.name not in reports:
            graded = fixture_batches(assignment)
            out = tmp_path_factory.mktemp(f"report_{assignment.name}")
            built = build_report(graded["course"], assignment.name, progress=False)
            write_report(built, out)
            reports[assignment.name] = (graded, out)
        return reports[assignment.name]
    return report


def rows(out: Path, name: str) -> list[dict]:
    with (out / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def gradebook_grades(graded: dict) -> dict[str, list]:
    """student -> nbgrader's Grade rows of their submission, read through the Gradebook API."""
    from nbgrader.api import Gradebook

    a = graded["assignment"]
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        result = {}
        for submission in gb.find_assignment(a.name).submissions:
            nb = gb.find_submission_notebook(a.notebook, a.name, submission.student_id)
            result[submission.student_id] = [
                dict(name=g.name, score=g.score, max_score=g.max_score,
                     code=g.cell.cell_type == "code", needs_manual=g.needs_manual_grade,
                     manual=g.manual_score, submission_id=nb.id)
                for g in nb.grades]
        return result


def mistake_name(hint: str) -> str:
    """"Hint (name)" of a manifest -> name."""
    match = re.fullmatch(r"Hint \((.+)\)", hint)
    assert match, f"a manifest hint must read 'Hint (<mistake>)', got {hint!r}"
    return match.group(1)


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_pass_rates_and_points_lost_are_the_gradebooks(class_reports, assignment):
    graded, out = class_reports(assignment)
    grades = gradebook_grades(graded)
    expected = {}
    for student_grades in grades.values():
        for g in student_grades:
            if g["code"]:
                passed, total, lost = expected.get(g["name"], (0, 0, 0.0))
                expected[g["name"]] = (passed + (g["score"] == g["max_score"]), total + 1,
                                       lost + g["max_score"] - g["score"])
    reported = {r["test_cell"]: r for r in rows(out, "test_cells.csv")}
    assert set(reported) == set(expected), "the report must list every autograded test cell"
    for name, (passed, total, lost) in expected.items():
        row = reported[name]
        assert (int(row["passed"]), int(row["graded"])) == (passed, total), name
        assert float(row["pass_rate"]) == pytest.approx(passed / total, abs=1e-6), name
        assert float(row["points_lost"]) == pytest.approx(lost), name


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_failed_tests_are_those_the_manifests_name(class_reports, assignment):
    graded, out = class_reports(assignment)
    students = {r["student"]: r for r in rows(out, "students.csv")}
    tests = [nbgrader_meta(c)["grade_id"] for c in graded["source"].cells
             if nbgrader_meta(c).get("grade") and c.cell_type == "code"]
    for spec in assignment.fixtures:
        fails = set(tests) if spec["fails"] == "all" else set(spec["fails"])
        reported = set(filter(None, students[spec["student"]]["failed_tests"].split(";")))
        assert reported == fails, spec["student"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_each_mistake_fixtures_hint_is_counted_once(class_reports, assignment):
    graded, out = class_reports(assignment)
    by_hint: dict[str, set[str]] = {}
    for spec in assignment.fixtures:
        if "hint" in spec:
            by_hint.setdefault(mistake_name(spec["hint"]), set()).add(spec["student"])
    fixture_students = {s["student"] for s in assignment.fixtures}
    mistakes = rows(out, "mistakes.csv")
    for row in mistakes:
        who = row["who"].split(";")
        assert len(who) == len(set(who)) == int(row["students"]), (
            f"{row['graded_function']}, {row['mistake']}: a student is counted once: {who}")
    for name, students in by_hint.items():
        listed = {s for r in mistakes if r["mistake"] == name for s in r["who"].split(";")}
        from_fixtures = sorted(listed & fixture_students)
        assert from_fixtures == sorted(students), (
            f"{name}: the report counts {from_fixtures}, the manifests name {sorted(students)}")
    named = {s for group in by_hint.values() for s in group}
    for row in mistakes:
        strays = set(row["who"].split(";")) & fixture_students - named
        assert not strays, f"{row['mistake']}: fixtures without a hint are counted: {strays}"
    per_student = {r["student"]: r["hints"] for r in rows(out, "students.csv")}
    for spec in assignment.fixtures:
        if "hint" in spec:
            hints = per_student[spec["student"]].split(";")
            named = [h for h in hints if h.endswith(f": {mistake_name(spec['hint'])}")]
            assert named and len(named) == len(set(named)), (
                f"{spec['student']}: the hint once per graded function it cost points: {hints}")


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_the_cheats_are_listed_with_their_flags_and_reasons(class_reports, assignment):
    from nbgrader.api import Gradebook

    graded, out = class_reports(assignment)
    a = graded["assignment"]
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        flagged = {s.student_id for s in gb.find_assignment(a.name).submissions
                   if gb.find_submission_notebook(a.notebook, a.name, s.student_id).flagged}
    assert set(graded["cheats"]) <= flagged, "the batch's cheats must be flagged in the gradebook"
    flags = rows(out, "flags.csv")
    assert {r["student"] for r in flags} == flagged
    for row in flags:
        assert row["category"] and row["reason"], row
    assert "answer_key" not in {r["student"] for r in flags}


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_scores_and_their_quartiles_are_the_gradebooks(class_reports, assignment):
    graded, out = class_reports(assignment)
    grades = gradebook_grades(graded)
    students = {r["student"]: r for r in rows(out, "students.csv")}
    assert set(students) == set(graded["students"]) | set(graded["cheats"])
    totals = []
    for student, student_grades in grades.items():
        auto = sum(g["score"] for g in student_grades if g["code"])
        total = sum(g["score"] for g in student_grades)
        assert float(students[student]["automatic"]) == pytest.approx(auto), student
        assert float(students[student]["total"]) == pytest.approx(total), student
        assert float(students[student]["max_score"]) == pytest.approx(assignment.total_points)
        submission_id = student_grades[0]["submission_id"]
        assert students[student]["formgrader"].endswith(f"/submissions/{submission_id}/")
        totals.append(total)
    q1, median, q3 = statistics.quantiles(totals, n=4, method="inclusive")
    page = visible_text((out / "index.html").read_text())
    assert (f"total {assignment.total_points:g} {median:g} {q1:g} {q3:g} {min(totals):g} "
            f"{max(totals):g}") in page, "the score table of the page"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_written_answers_waiting_are_the_gradebooks(class_reports, assignment):
    graded, out = class_reports(assignment)
    waiting = {(s, g["name"]) for s, gs in gradebook_grades(graded).items() for g in gs
               if not g["code"] and g["needs_manual"] and g["manual"] is None}
    assert waiting, "the fixtures' written answers wait for a grade"
    reported = {(r["student"], r["answer"].split("/", 1)[1])
                for r in rows(out, "waiting_for_grade.csv")}
    assert reported == waiting


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_grading_time_and_kernel_faults_are_reported(class_reports, assignment):
    graded, out = class_reports(assignment)
    students = {r["student"]: r for r in rows(out, "students.csv")}
    for student, row in students.items():
        assert float(row["grading_seconds"]) > 0, f"{student}: no grading time"
    for spec in assignment.fixtures:
        if spec.get("fault"):
            assert "interrupted (cell timeout)" in students[spec["student"]]["faults"], spec
    assert not students["answer_key"]["faults"]
    slowest = rows(out, "notebooks.csv")[0]
    faulty = {s["student"] for s in assignment.fixtures if s.get("fault")}
    assert slowest["student"] in faulty, "the notebook that ran into a timeout is the slowest"


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=str)
def test_feedback_holds_no_grading_record(class_reports, assignment):
    graded, _ = class_reports(assignment)
    course = graded["course"]
    records = list((course / "autograded").glob(f"*/{assignment.name}/*.grading.json"))
    assert len(records) == len(graded["students"]) + len(graded["cheats"]), (
        "grading writes one record beside each autograded notebook")
    feedback = [p.relative_to(course) for p in (course / "feedback").rglob("*")
                if p.is_file() and p.suffix != ".html"]
    assert not feedback, f"generate_feedback copied more than the feedback pages: {feedback}"
