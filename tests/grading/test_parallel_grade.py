"""course_tools.parallel_grade: checks of submissions, the summary, and real batches.

The slow tests grade copies of the course made from the ``generated_course`` fixture: the
fixture submissions of tests/pipeline once serially with ``nbgrader autograde`` and once with the
parallel command (every grade must be equal), file-level faults and a runaway notebook, a dead
kernel, and a gradebook locked by another process.
"""
from __future__ import annotations

import copy
import hashlib
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_tools.generate import tool_environment
from course_tools.parallel_grade import (FLAG_PREFIX, Outcome, main, notebook_problem,
                                         plan_submission, read_scores, stage, summary,
                                         with_sqlite_timeout, condense)

from ..conftest import course_copy, grading_overrides  # noqa: F401 (course_copy: also test_output_cap)
from ..assignments.material import primary
from ..pipeline.test_nbgrader_pipeline import CELL_TIMEOUT

# The assignment these grading tests use (COURSE_TEST_ASSIGNMENT chooses another).
PRIMARY = primary()
ASSIGNMENT, NOTEBOOK = PRIMARY.name, PRIMARY.notebook
SPECS = PRIMARY.fixtures
STUDENTS = [s["student"] for s in SPECS]
# "31 / 38": what the answer key earns, as parallel_grade's summary writes it.
FULL_SCORE = f"{PRIMARY.points[0]:g} / {PRIMARY.total_points:g}"


def build_submission(release, source, spec):
    return PRIMARY.build(spec, release, source)

# ---------------------------------------------------------------------------------------------
# Helpers shared with test_output_cap


def notebooks_of_course(course: Path):
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    return release, source


def answer_key(course: Path) -> nbformat.NotebookNode:
    """The release notebook with every solution cell answered as in the answer key."""
    return build_submission(*notebooks_of_course(course), {"base": "answer_key"})


def with_code_appended(nb, grade_id: str, code: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(cells) == 1, f"expected one cell {grade_id!r}, found {len(cells)}"
    cells[0].source += "\n" + code
    return nb


def submission_folder(course: Path, student: str) -> Path:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    return folder


def tree_digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def parallel_grade(course: Path, *args: str, **popen) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "course_tools.parallel_grade", ASSIGNMENT,
           f"--course={course}", *args]
    return subprocess.run(cmd, cwd=course, capture_output=True, text=True,
                          env=tool_environment(), **popen)


def all_grades(course: Path) -> dict[str, dict]:
    """student -> {(notebook, cell): (auto_score, manual_score, max_score)} and the total."""
    from nbgrader.api import Gradebook

    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            cells = {(nb.name, g.name): (g.auto_score, g.manual_score, g.max_score)
                     for nb in submission.notebooks for g in nb.grades}
            result[submission.student_id] = {"cells": cells, "score": submission.score}
    return result


def summary_line(stdout: str, student: str) -> str:
    lines = [ln for ln in stdout.splitlines() if ln.split(" ", 1)[0] == student]
    assert len(lines) == 1, f"expected one summary line for {student}, got {lines}\n{stdout}"
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Checks of a submission, without grading


def write_notebook(path: Path, nb) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def small_notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])


def test_each_file_fault_is_named(tmp_path):
    good = write_notebook(tmp_path / "good.ipynb", small_notebook())
    assert notebook_problem(good) is None, "a notebook with a cell must be gradable"
    cases = {
        "is empty (0 bytes)": b"",
        "is empty (only whitespace)": b" \n\n",
        "is not valid JSON (Expecting value at line 1, column 12)": b'{"cells": [',
        "is JSON but not a notebook": b"[1, 2]",
        "is empty (no cells)": nbformat.writes(nbformat.v4.new_notebook()).encode(),
        "is not UTF-8 text": b'{"cells": "\xff\xfe"}',
    }
    for expected, data in cases.items():
        path = tmp_path / "nb.ipynb"
        path.write_bytes(data)
        problem = notebook_problem(path)
        assert problem is not None and problem.startswith(expected), (
            f"{data[:20]!r}: expected a message starting {expected!r}, got {problem!r}")


def test_a_single_unexpected_notebook_is_graded_as_the_renamed_one(tmp_path):
    folder = tmp_path / "alice" / ASSIGNMENT
    renamed = write_notebook(folder / "my copy.ipynb", small_notebook())
    plan = plan_submission("alice", folder, [NOTEBOOK])
    assert plan.sources == {NOTEBOOK: renamed}, f"the renamed notebook must be graded: {plan}"
    assert plan.needs_staging, "a renamed notebook is graded from a staging copy"
    assert plan.notes == [f"{NOTEBOOK}.ipynb is missing: graded my copy.ipynb in its place "
                          f"(renamed)"], plan.notes


def test_a_missing_notebook_among_several_others_gets_the_release_notebook(tmp_path):
    folder = tmp_path / "bob" / ASSIGNMENT
    for name in ("a", "b"):
        write_notebook(folder / f"{name}.ipynb", small_notebook())
    plan = plan_submission("bob", folder, [NOTEBOOK])
    assert plan.sources == {NOTEBOOK: None}, f"no guess between two notebooks: {plan}"
    assert "missing (found a.ipynb, b.ipynb)" in plan.notes[0], plan.notes


def test_a_renamed_notebook_that_is_broken_is_not_graded(tmp_path):
    folder = tmp_path / "carol" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "mine.ipynb").write_text('{"cells": [')
    plan = plan_submission("carol", folder, [NOTEBOOK])
    assert plan.sources == {NOTEBOOK: None}, plan
    assert "mine.ipynb, the only other notebook, is not valid JSON" in plan.notes[0], plan.notes


def test_a_healthy_submission_is_graded_where_it_is(tmp_path):
    folder = tmp_path / "dave" / ASSIGNMENT
    path = write_notebook(folder / f"{NOTEBOOK}.ipynb", small_notebook())
    plan = plan_submission("dave", folder, [NOTEBOOK])
    assert plan.sources == {NOTEBOOK: path} and not plan.notes, plan
    assert not plan.needs_staging, "a healthy submission is graded from submitted/ itself"


def test_staging_replaces_a_broken_notebook_and_leaves_the_submission_alone(tmp_path):
    folder = tmp_path / "submitted" / "erin" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{NOTEBOOK}.ipynb").write_text('{"cells": [')
    (folder / "timestamp.txt").write_text("2026-01-05 10:00:00.000000 UTC")
    (folder / "data").mkdir()
    (folder / "data" / "points.csv").write_text("1,2\n")
    write_notebook(folder / "scratch.ipynb", small_notebook())
    release = write_notebook(tmp_path / "release" / f"{NOTEBOOK}.ipynb", small_notebook())
    before = tree_digests(folder)

    plan = plan_submission("erin", folder, [NOTEBOOK])
    stage(plan, release.parent, tmp_path / "staging", ASSIGNMENT)

    staged = tmp_path / "staging" / "erin" / ASSIGNMENT
    assert tree_digests(folder) == before, "staging changed the submission"
    assert (staged / f"{NOTEBOOK}.ipynb").read_bytes() == release.read_bytes(), (
        "the release notebook must stand in for the broken one")
    assert (staged / "timestamp.txt").read_text() == "2026-01-05 10:00:00.000000 UTC", (
        "the timestamp decides lateness and must be staged too")
    assert (staged / "data" / "points.csv").exists(), "other files are staged as they are"
    assert not (staged / "scratch.ipynb").exists(), "other notebooks are not staged"


def test_sqlite_urls_get_a_timeout_and_others_are_left_alone():
    cases = {
        "sqlite:////course/gradebook.db": "sqlite:////course/gradebook.db?timeout=60",
        "sqlite:////course/gradebook.db?timeout=5": "sqlite:////course/gradebook.db?timeout=5",
        "sqlite:///gb.db?uri=true": "sqlite:///gb.db?uri=true&timeout=60",
        "postgresql+psycopg://grader@db/gradebook": "postgresql+psycopg://grader@db/gradebook",
    }
    for url, expected in cases.items():
        assert with_sqlite_timeout(url) == expected, f"{url} -> {with_sqlite_timeout(url)}"


def test_nbgrader_failures_are_condensed_to_their_first_error():
    log = ("[INFO] Converting notebook x.ipynb\n"
           "[ERROR] There was an error processing assignment: /c/submitted/ann/a1\n"
           "[ERROR] Traceback (most recent call last):\n    File \"x.py\", line 1\n"
           "[ERROR] One or more notebooks use a newer version\n    of the nbgrader metadata.\n"
           "[WARNING] Removing failed assignment\n")
    error = "Traceback (most recent call last):\n  ...\nNbGraderException: Please see the log\n"
    assert condense({"log": log, "error": error}) == (
        "One or more notebooks use a newer version of the nbgrader metadata."), condense(
        {"log": log, "error": error})
    assert condense({"error": error}) == "NbGraderException: Please see the log"
    assert condense({}) == "nbgrader reported a failure without a message"


def test_summary_has_one_line_per_student_with_score_flags_and_errors():
    outcomes = [Outcome("ann", True, 28.0, 35.0),
                Outcome("ben", True, 0.0, 35.0, errors=["x.ipynb is empty (0 bytes): stand-in"]),
                Outcome("cy", False, errors=["Kernel died"]),
                Outcome("dee", True, 12.5, 35.0, flags=["sigmoid", "relu"])]
    lines = summary(outcomes).splitlines()
    assert lines[0].split() == ["student", "score", "flagged", "for", "review", "errors"], lines[0]
    assert len(lines) == 2 + len(outcomes), "one header, one rule, one line per student"
    rows = {line.split()[0]: line for line in lines[2:]}
    assert "28 / 35" in rows["ann"] and rows["ann"].endswith("28 / 35"), rows["ann"]
    assert "0 / 35" in rows["ben"] and rows["ben"].endswith("stand-in"), rows["ben"]
    assert "not graded" in rows["cy"] and "Kernel died" in rows["cy"], rows["cy"]
    assert "12.5 / 35" in rows["dee"] and "sigmoid, relu" in rows["dee"], rows["dee"]
    no_flags = summary(outcomes[:3]).splitlines()[0]
    assert "flagged" not in no_flags, f"no flags column when nobody is flagged: {no_flags}"


# A new gradebook costs seconds (nbgrader runs alembic). nbgrader's own add_submission triggers
# the SQLAlchemy warning below; it is harmless there.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Object of type <.*> not in session")
def test_flags_are_read_from_the_gradebook_comments(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    monkeypatch.setenv("PATH", tool_environment()["PATH"])  # a new gradebook runs alembic
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("a1")
        gb.add_notebook("nb", "a1")
        for cell in ("sigmoid", "relu"):
            gb.add_solution_cell(cell, "nb", "a1")
            gb.add_grade_cell(f"test_{cell}", "nb", "a1", max_score=2, cell_type="code")
        for student in ("ann", "ben"):
            gb.add_student(student)
            gb.add_submission("a1", student)
        gb.find_comment("relu", "nb", "a1", "ann").auto_comment = (
            f"{FLAG_PREFIX}: replaces a builtin")
        gb.find_comment("sigmoid", "nb", "a1", "ann").auto_comment = "Looks fine."
        gb.find_grade("test_relu", "nb", "a1", "ann").auto_score = 2
        gb.db.commit()
    coursedir = CourseDirectory(root=str(tmp_path), db_url=url)
    outcomes = {s: Outcome(s, graded=True) for s in ("ann", "ben")}
    read_scores(coursedir, "a1", outcomes)
    assert outcomes["ann"].flags == ["relu"], f"only the flag comment counts: {outcomes['ann']}"
    assert outcomes["ben"].flags == [], f"no comment, no flag: {outcomes['ben']}"
    assert (outcomes["ann"].score, outcomes["ann"].max_score) == (2, 4), outcomes["ann"]


@pytest.mark.parametrize("argv, message", [
    (["a1", "--course=/nonexistent"], "no nbgrader_config.py in /nonexistent"),
    (["a1", "--workers=0"], "--workers must be at least 1"),
    (["a1", "--timeout-per-notebook=-1"], "--timeout-per-notebook must be 0 or more"),
    (["a1", "--Execute.timeout"], "nbgrader options are written --Class.trait=VALUE"),
    (["a1", "extra"], "unrecognised arguments: extra"),
])
def test_bad_command_lines_are_refused_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2, f"{argv} must be a usage error"
    err = capsys.readouterr().err
    assert message in err, f"{argv}: expected {message!r} in {err!r}"


@pytest.mark.slow
def test_an_unknown_assignment_is_an_error(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    code = main(["no_such_assignment", f"--course={tmp_path}"])
    assert code == 1, "an assignment the gradebook does not know cannot be graded"
    assert "assignment 'no_such_assignment' has no notebooks in the gradebook" in (
        capsys.readouterr().err)


# ---------------------------------------------------------------------------------------------
# Real batches


@pytest.fixture(scope="module")
def serial_and_parallel(generated_course, fixture_batches, tmp_path_factory):
    """The fixture submissions graded twice: serially by ``nbgrader autograde`` (the batch the
    pipeline tests read, graded once per session) and here in parallel."""
    serial_batch = fixture_batches(PRIMARY)
    course = course_copy(generated_course, tmp_path_factory.mktemp("serial_vs_parallel") / "parallel")
    release, source = notebooks_of_course(course)
    for spec in SPECS:
        nb = build_submission(release, source, spec)
        nbformat.write(nb, submission_folder(course, spec["student"]) / f"{NOTEBOOK}.ipynb")
    digests = tree_digests(course / "submitted")
    parallel = parallel_grade(course, "--workers=2", f"--Execute.timeout={CELL_TIMEOUT}",
                              *grading_overrides())
    return dict(courses={"serial": serial_batch["course"], "parallel": course},
                serial=serial_batch["autograde"], parallel=parallel, digests=digests)


@pytest.mark.slow
def test_parallel_grading_gives_exactly_the_serial_scores(serial_and_parallel):
    serial, parallel = serial_and_parallel["serial"], serial_and_parallel["parallel"]
    # The serial batch also holds the pipeline's flagged cheats (FLAGGED_CHEATS); the parallel
    # run grades the fixture submissions only.
    expected = all_grades(serial_and_parallel["courses"]["serial"])
    assert set(STUDENTS) <= set(expected), f"serial run graded {sorted(expected)}"
    expected = {student: expected[student] for student in STUDENTS}
    got = all_grades(serial_and_parallel["courses"]["parallel"])
    assert sorted(got) == sorted(STUDENTS), (
        f"parallel run graded {sorted(got)}:\n{parallel.stdout}\n{parallel.stderr[-3000:]}")
    for student in STUDENTS:
        assert got[student] == expected[student], (
            f"{student}: parallel grades differ from serial ones:\n"
            f"serial   {expected[student]}\nparallel {got[student]}")
    # A student nbgrader cannot grade fails both runs alike (the pipeline tests expect none).
    assert parallel.returncode == serial.returncode, (
        f"exit status {parallel.returncode} in parallel, {serial.returncode} serially:\n"
        f"{parallel.stdout}")


@pytest.mark.slow
def test_the_summary_lists_every_student_as_the_serial_run_graded_them(serial_and_parallel):
    stdout = serial_and_parallel["parallel"].stdout
    failed_serially = set(re.findall(r"error processing assignment '[^']+' for student '([^']+)'",
                                     serial_and_parallel["serial"].stderr))
    grades = all_grades(serial_and_parallel["courses"]["parallel"])
    for student in STUDENTS:
        line = summary_line(stdout, student)
        expected = ("not graded" if student in failed_serially
                    else f"{grades[student]['score']:g} / {PRIMARY.total_points:g}")
        assert expected in line, f"{student}: expected {expected!r} in {line!r}"
    graded = len(STUDENTS) - len(failed_serially)
    assert f"{graded} of {len(STUDENTS)} students graded" in stdout, stdout


@pytest.mark.slow
def test_parallel_grading_leaves_the_submissions_unchanged(serial_and_parallel):
    after = tree_digests(serial_and_parallel["courses"]["parallel"] / "submitted")
    assert after == serial_and_parallel["digests"], "grading changed files under submitted/"


RUNAWAY_TIMEOUT = 20


@pytest.fixture(scope="module")
def faults(generated_course, tmp_path_factory):
    """A batch with every file-level fault, a runaway notebook and two healthy submissions."""
    course = course_copy(generated_course, tmp_path_factory.mktemp("faults") / "course")
    key = answer_key(course)
    name = f"{NOTEBOOK}.ipynb"
    (submission_folder(course, "corrupt") / name).write_text(nbformat.writes(key)[:2000])
    (submission_folder(course, "empty") / name).write_bytes(b"")
    nbformat.write(nbformat.v4.new_notebook(), submission_folder(course, "no_cells") / name)
    nbformat.write(key, submission_folder(course, "renamed") / "my work (1).ipynb")
    (submission_folder(course, "missing") / "notes.txt").write_text("I forgot the notebook.")
    nbformat.write(key, submission_folder(course, "healthy") / name)
    runaway = with_code_appended(key, "sigmoid", "import time\nwhile True:\n    time.sleep(0.5)")
    nbformat.write(runaway, submission_folder(course, "runaway") / name)
    digests = tree_digests(course / "submitted")
    # nbgrader's per-cell timeout is set above the per-notebook limit: the limit must act.
    result = parallel_grade(course, "--workers=2", f"--timeout-per-notebook={RUNAWAY_TIMEOUT}",
                            f"--Execute.timeout={RUNAWAY_TIMEOUT * 5}")
    return dict(course=course, result=result, digests=digests)


FAULT_MESSAGES = {
    "corrupt": f"{NOTEBOOK}.ipynb is not valid JSON",
    "empty": f"{NOTEBOOK}.ipynb is empty (0 bytes)",
    "no_cells": f"{NOTEBOOK}.ipynb is empty (no cells)",
    "missing": f"{NOTEBOOK}.ipynb is missing",
    "renamed": "graded my work (1).ipynb in its place (renamed)",
    "runaway": f"timed out after {RUNAWAY_TIMEOUT} s",
}


@pytest.mark.slow
def test_every_student_of_a_faulty_batch_gets_a_score(faults):
    result = faults["result"]
    assert result.returncode == 0, (
        f"every student got a score, the exit status must be 0:\n{result.stdout}\n"
        f"{result.stderr[-3000:]}")
    grades = all_grades(faults["course"])
    expected = {"corrupt": 0, "empty": 0, "no_cells": 0, "missing": 0, "runaway": 0,
                "renamed": PRIMARY.points[0], "healthy": PRIMARY.points[0]}
    got = {student: grades[student]["score"] for student in expected if student in grades}
    assert got == expected, f"scores in the gradebook: {got}, expected {expected}"
    assert "[7/7]" in result.stderr, f"the progress never reached 7/7:\n{result.stderr[-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(FAULT_MESSAGES))
def test_each_fault_is_explained_in_the_summary(faults, student):
    line = summary_line(faults["result"].stdout, student)
    assert FAULT_MESSAGES[student] in line, f"{student}: {line}"
    score = FULL_SCORE if student == "renamed" else f"0 / {PRIMARY.total_points:g}"
    assert score in line, f"{student}: expected {score} in {line}"


@pytest.mark.slow
def test_a_renamed_notebook_is_graded_under_the_expected_name(faults):
    graded = faults["course"] / "autograded" / "renamed" / ASSIGNMENT
    assert sorted(p.name for p in graded.glob("*.ipynb")) == [f"{NOTEBOOK}.ipynb"], (
        f"autograded notebooks of the renamed submission: {sorted(graded.glob('*.ipynb'))}")


def processes_inside(folder: Path) -> list[str]:
    """Processes whose working folder or command line is inside ``folder``."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        cwd, cmdline = proc.info["cwd"] or "", " ".join(proc.info["cmdline"] or [])
        if cwd.startswith(str(folder)) or str(folder) in cmdline:
            found.append(f"{proc.info['pid']}: {cmdline[:200]} (in {cwd})")
    return found


@pytest.mark.slow
def test_a_runaway_notebook_is_killed_with_its_kernel(faults):
    # A kernel runs in the student's autograded folder: none may outlive the batch.
    survivors = processes_inside(faults["course"])
    assert not survivors, f"processes of the graded course outlived the batch: {survivors}"
    grades = all_grades(faults["course"])["runaway"]["cells"]
    assert grades and all(auto == 0 for auto, _, _ in grades.values()), (
        f"every cell of a timed-out submission scores 0: {grades}")
    assert not (faults["course"] / "autograded" / "runaway" / ASSIGNMENT).exists(), (
        "a timed-out submission leaves no half-written autograded folder")


@pytest.mark.slow
def test_a_faulty_batch_leaves_the_submissions_unchanged(faults):
    assert tree_digests(faults["course"] / "submitted") == faults["digests"], (
        "grading changed files under submitted/")


@pytest.mark.slow
def test_a_student_nbgrader_cannot_grade_makes_the_exit_status_1(generated_course, tmp_path):
    course = course_copy(generated_course, tmp_path / "course")
    key = answer_key(course)
    nbformat.write(key, submission_folder(course, "fine") / f"{NOTEBOOK}.ipynb")
    # Metadata of a newer nbgrader: nbgrader refuses the notebook before running anything.
    future = copy.deepcopy(key)
    future.cells[-1].metadata.setdefault("nbgrader", {})["schema_version"] = 99
    nbformat.write(future, submission_folder(course, "future") / f"{NOTEBOOK}.ipynb")
    result = parallel_grade(course, "--workers=2")
    assert result.returncode == 1, f"expected exit status 1:\n{result.stdout}\n{result.stderr}"
    line = summary_line(result.stdout, "future")
    assert "not graded" in line and "newer version of the nbgrader metadata" in line, line
    assert FULL_SCORE in summary_line(result.stdout, "fine"), "the batch must go on"
    assert "1 of 2 students graded; not graded: future" in result.stdout, result.stdout


# Longer than SQLite's own default wait (5 s): without the added timeout the command would fail.
LOCK_SECONDS = 15


@pytest.mark.slow
def test_a_locked_gradebook_makes_the_command_wait_not_fail(generated_course, tmp_path):
    course = course_copy(generated_course, tmp_path / "course")
    nbformat.write(answer_key(course), submission_folder(course, "patient") / f"{NOTEBOOK}.ipynb")
    lock = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    # A URL without a timeout, as an instructor might give it: the command adds one.
    cmd = [sys.executable, "-m", "course_tools.parallel_grade", ASSIGNMENT, f"--course={course}",
           "--workers=2", f"--db-url=sqlite:///{course / 'gradebook.db'}"]
    process = subprocess.Popen(cmd, cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=tool_environment())
    try:
        time.sleep(LOCK_SECONDS)
        still_waiting = process.poll() is None
    finally:
        lock.execute("COMMIT")
        lock.close()
    stdout, stderr = process.communicate(timeout=300)
    assert still_waiting, f"the command ended while the gradebook was locked:\n{stdout}\n{stderr}"
    assert process.returncode == 0, f"the command failed after the lock:\n{stdout}\n{stderr}"
    assert "locked" not in stdout + stderr, f"a lock error was reported:\n{stdout}\n{stderr}"
    assert all_grades(course)["patient"]["score"] == PRIMARY.points[0], "the answer key earns every point"


@pytest.mark.slow
def test_a_gradebook_locked_beyond_its_timeout_is_a_clear_error(generated_course, tmp_path,
                                                                capsys):
    course = course_copy(generated_course, tmp_path / "course")
    lock = sqlite3.connect(course / "gradebook.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        code = main([ASSIGNMENT, f"--course={course}",
                     f"--db-url=sqlite:///{course / 'gradebook.db'}?timeout=1"])
    finally:
        lock.execute("COMMIT")
        lock.close()
    err = capsys.readouterr().err
    assert code == 1, "a gradebook that stays locked must fail the command"
    assert "the gradebook could not be used" in err and "database is locked" in err, err
