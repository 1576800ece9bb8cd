"""The class report on a small course built through nbgrader's Gradebook API (no grading run).

Bad input (an unknown assignment, a gradebook without it, an empty batch, an unreadable
notebook), the reading of hints, flags and kernel faults, and the grading record's files.
The report on really graded batches is tests/pipeline/test_class_report.py.
"""
from __future__ import annotations

import csv
import json
import shutil
import warnings

import nbformat
import pytest
import sqlalchemy.exc

from course_tools import grading_record, report
from course_tools.static_scan import REVIEW_HEADING

from ..conftest import COURSE_ROOT

ASSIGNMENT, NOTEBOOK = "hw1", "hw"
TESTS = {  # grade_id -> (source, max score)
    "test_double": ("check_function(double, (1,), 2, mistakes=MISTAKES)", 2.0),
    "test_half": ("check_function(half, (2,), 1)\n### BEGIN HIDDEN TESTS\nassert half(4) == 2\n"
                  "### END HIDDEN TESTS", 1.0),
}
SOLUTION = "def double(x):\n    return 2 * x\n\n\ndef half(x):\n    return x / 2\n"
HINT_TEXT = ("AssertionError: double((1,)) returned 1, expected 2\n"
             "Hint (returns σ(x) instead): multiply by two\n")


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory):
    """A gradebook file that holds ASSIGNMENT (a code solution cell, two test cells, a written
    answer) and no student; created once, since nbgrader's migrations take seconds."""
    from nbgrader.api import Gradebook

    from course_tools.parallel_grade import tool_path

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with tool_path(), Gradebook(f"sqlite:///{path}", "deep-learning-foundations") as gb:
        gb.add_assignment(ASSIGNMENT)
        gb.add_notebook(NOTEBOOK, ASSIGNMENT)
        gb.add_solution_cell("functions", NOTEBOOK, ASSIGNMENT)
        gb.add_source_cell("functions", NOTEBOOK, ASSIGNMENT, cell_type="code", source=SOLUTION)
        for name, (source, points) in TESTS.items():
            gb.add_grade_cell(name, NOTEBOOK, ASSIGNMENT, max_score=points, cell_type="code")
            gb.add_source_cell(name, NOTEBOOK, ASSIGNMENT, cell_type="code", source=source)
        gb.add_grade_cell("answer", NOTEBOOK, ASSIGNMENT, max_score=2.0, cell_type="markdown")
        gb.add_solution_cell("answer", NOTEBOOK, ASSIGNMENT)
        gb.add_source_cell("answer", NOTEBOOK, ASSIGNMENT, cell_type="markdown", source="...")
    return path


@pytest.fixture
def make_course(tmp_path, empty_gradebook):
    return lambda students=None: course_with(tmp_path, empty_gradebook, students)


def course_with(tmp_path, gradebook, students: dict[str, dict[str, float]] | None = None):
    """A course folder with the course's nbgrader_config.py and a copy of ``gradebook`` with
    ``students``' scores."""
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy2(COURSE_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copy2(gradebook, course / "gradebook.db")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "deep-learning-foundations") as gb:
        for student, scores in (students or {}).items():
            gb.add_student(student)
            with warnings.catch_warnings():
                # nbgrader's add_submission trips SQLAlchemy's autoflush warning (harmless).
                warnings.simplefilter("ignore", sqlalchemy.exc.SAWarning)
                gb.add_submission(ASSIGNMENT, student)
            for name, score in scores.items():
                grade = gb.find_grade(name, NOTEBOOK, ASSIGNMENT, student)
                if name == "answer":
                    grade.manual_score, grade.needs_manual_grade = score, score is None
                else:
                    grade.auto_score, grade.needs_manual_grade = score, False
        gb.db.commit()
    return course


def autograded_notebook(course, student: str, outputs: dict[str, list], seconds: float | None):
    """Write the student's autograded notebook (test cells with these outputs) and sidecar."""
    cells = [nbformat.v4.new_code_cell(SOLUTION, metadata={"nbgrader": {
        "solution": True, "grade": False, "grade_id": "functions"}})]
    for name, (source, points) in TESTS.items():
        cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": {
            "grade": True, "solution": False, "grade_id": name, "points": points}})
        cell.outputs = outputs.get(name, [])
        cells.append(cell)
    folder = course / "autograded" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / f"{NOTEBOOK}.ipynb")
    if seconds is not None:
        (folder / grading_record.sidecar_name(NOTEBOOK)).write_text(
            json.dumps({"notebook": NOTEBOOK, "seconds": seconds}))
    return folder


def error(ename: str, evalue: str):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"\x1b[31m{ename}\x1b[0m: {evalue}"])


def add_flag(course, student: str):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        comment = gb.find_comment("functions", NOTEBOOK, ASSIGNMENT, student)
        comment.auto_comment = (f"No response.\n\n{REVIEW_HEADING}: monkeypatching. A static "
                                f"scan found code ...\n- line 3 (monkeypatching): replaces "
                                f"`builtins.abs`")
        gb.db.commit()


def build(course):
    return report.build_report(course, ASSIGNMENT, progress=False)


def test_an_unknown_assignment_is_named_with_the_known_ones(make_course):
    course = make_course()
    with pytest.raises(report.ReportError, match=r"no assignment 'hw9'.*known: hw1"):
        report.build_report(course, "hw9", progress=False)


def test_an_assignment_the_gradebook_lacks_says_how_to_add_it(make_course):
    course = make_course()
    (course / "source" / "hw2").mkdir()
    with pytest.raises(report.ReportError,
                       match=r"has no assignment 'hw2': run nbgrader generate_assignment hw2"):
        report.build_report(course, "hw2", progress=False)


def test_an_empty_batch_says_to_grade_first(make_course):
    with pytest.raises(report.ReportError, match="no graded submissions of 'hw1'"):
        build(make_course())


def test_the_command_exits_with_status_2_and_the_reason(make_course, capsys):
    course = make_course()
    assert report.main([ASSIGNMENT, "--course", str(course)]) == 2
    assert "error: no graded submissions of 'hw1'" in capsys.readouterr().err


def test_an_unreadable_notebook_is_listed_and_the_others_are_reported(make_course, capsys,
                                                                     tmp_path):
    course = make_course({"ann": {"test_double": 2, "test_half": 1, "answer": None},
                                    "bob": {"test_double": 0, "test_half": 1, "answer": 1}})
    autograded_notebook(course, "ann", {}, 2.5)
    broken = autograded_notebook(course, "bob", {}, 1.0)
    (broken / f"{NOTEBOOK}.ipynb").write_text('{"cells": [')
    out = tmp_path / "out"
    assert report.main([ASSIGNMENT, "--course", str(course),
                        "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: bob: cannot read hw.ipynb (JSONDecodeError" in err
    students = {r["student"]: r for r in csv.DictReader((out / "students.csv").open())}
    assert students["bob"]["faults"] == "the autograded hw.ipynb cannot be read"
    assert float(students["bob"]["total"]) == 2.0, "the gradebook's scores are still reported"
    assert float(students["ann"]["grading_seconds"]) == 2.5
    assert "bob: cannot read hw.ipynb" in (out / "index.html").read_text()
    waiting = list(csv.DictReader((out / "waiting_for_grade.csv").open()))
    assert waiting == [{"student": "ann", "answer": "hw/answer"}]


def test_hints_of_public_tests_count_once_per_student_and_function(make_course):
    course = make_course({"ann": {"test_double": 0, "test_half": 1},
                                    "bob": {"test_double": 2, "test_half": 0},
                                    "cat": {"test_double": 2, "test_half": 1}})
    # ann: the hint in the message and again in the traceback; bob: in a hidden test's cell;
    # cat: a passing test that printed it.
    autograded_notebook(course, "ann", {"test_double": [
        nbformat.v4.new_output("stream", name="stdout", text=HINT_TEXT),
        error("AssertionError", HINT_TEXT)]}, 1.0)
    autograded_notebook(course, "bob", {"test_half": [error("AssertionError", HINT_TEXT)]}, 1.0)
    autograded_notebook(course, "cat", {"test_double": [
        nbformat.v4.new_output("stream", name="stdout", text=HINT_TEXT)]}, 1.0)
    built = build(course)
    (mistake,) = built.mistakes
    assert (mistake.function, mistake.name) == ("double", "returns σ(x) instead")
    assert mistake.students == ["ann"], "only a test that cost points counts a student"
    assert mistake.shown == 2, "ann's cell and cat's cell printed it"
    by_name = {s.student: s for s in built.students}
    assert by_name["ann"].hints == [("double", "returns σ(x) instead")]
    assert by_name["bob"].hints == [], "hidden tests are not counted"
    cells = {c.name: c for c in built.cells}
    assert (cells["test_double"].public, cells["test_half"].public) == (True, False)
    assert cells["test_double"].points_lost == 2.0 and cells["test_half"].passed == 2


def test_flags_kernel_faults_and_batch_faults_are_reported(make_course):
    course = make_course({"ann": {"test_double": 0, "test_half": 0},
                                    "bob": {"test_double": 0, "test_half": 0},
                                    "cat": {"test_double": 2, "test_half": 1}})
    add_flag(course, "cat")
    autograded_notebook(course, "ann", {
        "test_double": [error("KeyboardInterrupt", "")],
        "test_half": [error("KernelDied", "The kernel died before this cell ran")]}, 30.0)
    autograded_notebook(course, "cat", {}, 1.0)
    grading_record.write_batch_record(course / "autograded", ASSIGNMENT, {
        "bob": {"graded": True, "seconds": 600.0,
                "faults": ["timed out after 600 s: grading was stopped, 0 points"]}}, 640.0)
    built = build(course)
    by_name = {s.student: s for s in built.students}
    assert by_name["ann"].faults == ["test_double was interrupted (cell timeout)",
                                     "the kernel died"]
    assert by_name["bob"].faults == ["timed out after 600 s: grading was stopped, 0 points"]
    assert by_name["bob"].seconds == 600.0
    (flag,) = by_name["cat"].flags
    assert (flag.cell, flag.category, flag.reason) == ("functions", "monkeypatching",
                                                      "replaces `builtins.abs`")
    assert [t.student for t in built.slowest] == ["bob", "ann", "cat"]
    assert built.batch_seconds == 640.0
    page = report.render_html(built)
    assert page.count('<img class="figure"') == 2, "scores and pass rates (no mistake cost points)"
    assert 'alt="Histograms of the 3 students' in page
    assert "http" not in page.replace("http://localhost:8888/formgrader", ""), (
        "the page loads nothing from elsewhere")


def test_the_records_of_a_sharded_batch_are_read_together(make_course):
    course = make_course({"ann": {"test_double": 2, "test_half": 1},
                          "bob": {"test_double": 0, "test_half": 0}})
    autograded = course / "autograded"
    autograded.mkdir()
    for (k, n), student, faults, start, end in [
            ((1, 2), "ann", [], "10:00:00", "10:01:00"),
            ((2, 2), "bob", ["timed out after 600 s: grading was stopped, 0 points"],
             "10:00:10", "10:02:30")]:
        grading_record.shard_record_path(autograded, ASSIGNMENT, (k, n)).write_text(json.dumps({
            "assignment": ASSIGNMENT, "shard": [k, n], "seconds": 60.0,
            "started_at": f"2026-01-05T{start}+00:00", "graded_at": f"2026-01-05T{end}+00:00",
            "students": {student: {"graded": True, "seconds": 50.0, "faults": faults}}}))
    built = build(course)
    by_name = {s.student: s for s in built.students}
    assert by_name["bob"].faults == ["timed out after 600 s: grading was stopped, 0 points"]
    assert (by_name["ann"].seconds, by_name["bob"].seconds) == (50.0, 50.0)
    assert (built.batch_seconds, built.batch_shards) == (150.0, (2, 2))
    assert ("the batch took 150.0 s of wall time in 2 shards, from the first one's start to "
            "the last one's end") in report.render_html(built)


def test_the_nearest_neighbour_is_read_from_the_similarity_report(make_course):
    from course_tools.similarity import REFERENCE, Pair, write_pairs

    course = make_course({"ann": {"test_double": 2}, "bob": {"test_double": 2},
                          "cat": {"test_double": 2}})
    assert build(course).students[0].neighbour is None
    assert "run make similarity ASSIGNMENT=hw1" in build(course).similarity_note
    pairs = report.similarity_pairs_path(course, ASSIGNMENT)
    pairs.parent.mkdir(parents=True)
    write_pairs([Pair("ann", "bob", 0.9, 0.9, 0.8, 400), Pair("bob", REFERENCE, 0.95, 0.95, 0.1, 300),
                 Pair("ann", "cat", 0.6, 0.6, 0.6, 200)], pairs)
    by_name = {s.student: s.neighbour for s in build(course).students}
    assert by_name == {"ann": ("bob", 0.9), "bob": (REFERENCE, 0.95), "cat": ("ann", 0.6)}


def test_the_grading_record_goes_beside_the_notebook_with_the_time(monkeypatch):
    times = iter([100.0, 103.25])
    monkeypatch.setattr(grading_record.time, "monotonic", lambda: next(times))
    resources = {"nbgrader": {"notebook": NOTEBOOK, "student": "ann", "assignment": ASSIGNMENT}}
    nb = nbformat.v4.new_notebook()
    nb, resources = grading_record.StartGradingClock().preprocess(nb, resources)
    nb, resources = grading_record.RecordGradingTime().preprocess(nb, resources)
    record = json.loads(resources["outputs"]["hw.grading.json"])
    assert record["seconds"] == 3.25 and record["notebook"] == NOTEBOOK


def test_the_course_config_keeps_the_record_out_of_feedback_and_times_every_step():
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_ROOT)).load_config()
    assert grading_record.SIDECAR_PATTERN in cfg.CourseDirectory.ignore
    assert {".ipynb_checkpoints", "__pycache__", "feedback"} <= set(cfg.CourseDirectory.ignore), (
        "nbgrader's own ignore list is kept")
    steps = cfg.Autograde.autograde_preprocessors
    assert steps[0] == "course_tools.grading_record.StartGradingClock"
    assert steps[-1] == "course_tools.grading_record.RecordGradingTime"
