"""Two shards graded at the same time into one PostgreSQL gradebook give the grades of one run.

A private PostgreSQL cluster (tests/services/postgres.py) holds two copies of a gradebook that
``nbgrader generate_assignment`` filled with the primary assignment. Five fixture submissions
(those of tests/pipeline/test_postgres_gradebook.py and one more mistake) are placed in two
copies of the course. In the first, two ``python -m course_tools.parallel_grade --shard K/2
--workers 1`` processes run at the same time on the same course folder and the same database,
as two nodes of a class would; in the second, one ``parallel_grade`` grades everybody into the
other database. Every per-cell grade and every total of ``nbgrader export`` must agree, the two
shards must have graded disjoint halves that together are the class, and their batch records
must say that they ran at the same time. The class report reads the two shard records as one
batch.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import nbformat
import pytest

from course_tools import grading_record
from course_tools.parallel_grade import shard_of

from ..conftest import course_copy, grading_overrides
from ..grading.test_parallel_grade import (ASSIGNMENT, NOTEBOOK, PRIMARY, build_submission,
                                           notebooks_of_course, parallel_grade, submission_folder)
from ..services.postgres import postgres_fixture
from .test_nbgrader_pipeline import CELL_TIMEOUT, nbgrader
from .test_postgres_gradebook import (CHOSEN, count_rows, cell_scores, exported, failure,
                                      sqlite_url)

pytestmark = pytest.mark.slow

# test_postgres_gradebook's four submissions and the next mistake: shards of 3 and 2.
STUDENTS = sorted([*CHOSEN, next(s["student"] for s in PRIMARY.fixtures
                                 if "hint" in s and s["student"] not in CHOSEN)])
SPECS = {s["student"]: s for s in PRIMARY.fixtures if s["student"] in STUDENTS}
SHARDS = (1, 2), (2, 2)

postgres = postgres_fixture(scope="module")


def listed(stdout: str) -> set[str]:
    """The students of parallel_grade's summary table."""
    return {line.split(" ", 1)[0] for line in stdout.splitlines()} & set(STUDENTS)


@pytest.fixture(scope="module")
def graded(generated_course, postgres, tmp_path_factory):
    assert set(SPECS) == set(STUDENTS) and len(STUDENTS) == 5, f"the manifest lacks {STUDENTS}"
    base = tmp_path_factory.mktemp("sharded_grading")
    courses = {run: course_copy(generated_course, base / run) for run in ("sharded", "single")}
    release, source = notebooks_of_course(courses["sharded"])
    for student, spec in SPECS.items():
        for course in courses.values():
            nbformat.write(build_submission(release, source, spec),
                           submission_folder(course, student) / f"{NOTEBOOK}.ipynb")
    steps = {"generate_assignment": nbgrader(courses["sharded"], "generate_assignment",
                                             ASSIGNMENT, "--force",
                                             f"--CourseDirectory.db_url={postgres.url}")}
    assert steps["generate_assignment"].returncode == 0, failure(
        "nbgrader generate_assignment on PostgreSQL", steps["generate_assignment"])
    # Two copies of that database: the assignment's cells, no student yet.
    urls = {run: postgres.create_database(run, template=postgres.database) for run in courses}

    options = [f"--Execute.timeout={CELL_TIMEOUT}", *grading_overrides()]
    # Both shards at once, one worker each (two cores), on one course folder and one database.
    with ThreadPoolExecutor(len(SHARDS)) as pool:
        futures = {shard: pool.submit(parallel_grade, courses["sharded"],
                                      f"--shard={shard[0]}/{shard[1]}", "--workers=1",
                                      f"--db-url={urls['sharded']}", *options)
                   for shard in SHARDS}
        shards = {shard: future.result() for shard, future in futures.items()}
    for (k, n), result in shards.items():
        steps[f"parallel_grade --shard {k}/{n}"] = result
    steps["parallel_grade (everybody)"] = parallel_grade(
        courses["single"], "--workers=2", f"--db-url={urls['single']}", *options)
    exports = {run: course / "grades.csv" for run, course in courses.items()}
    with ThreadPoolExecutor(len(courses)) as pool:
        done = {run: pool.submit(nbgrader, course, "export", f"--to={exports[run]}",
                                 f"--CourseDirectory.db_url={urls[run]}")
                for run, course in courses.items()}
    steps.update({f"export {run}": future.result() for run, future in done.items()})
    autograded = courses["sharded"] / "autograded"
    records = {shard: grading_record.read_json(
        grading_record.shard_record_path(autograded, ASSIGNMENT, shard)) for shard in SHARDS}
    return dict(courses=courses, urls=urls, steps=steps, shards=shards, exports=exports,
                records=records)


def test_every_command_succeeds(graded):
    for step, result in graded["steps"].items():
        assert result.returncode == 0, failure(step, result)


def test_the_shards_are_disjoint_and_together_the_whole_class(graded):
    graded_by = {shard: listed(result.stdout) for shard, result in graded["shards"].items()}
    one, two = (graded_by[shard] for shard in SHARDS)
    assert not one & two, f"both shards graded {sorted(one & two)}"
    assert sorted(one | two) == STUDENTS, f"the shards graded {sorted(one)} and {sorted(two)}"
    for (k, n), students in graded_by.items():
        assert sorted(students) == shard_of(STUDENTS, k, n), f"shard {k}/{n}: {sorted(students)}"
        assert f"{len(students)} of {len(students)} students graded" in (
            graded["shards"][(k, n)].stdout)
    assert sorted(map(len, graded_by.values())) == [2, 3], graded_by


def test_each_shard_records_its_own_students_only(graded):
    autograded = graded["courses"]["sharded"] / "autograded"
    assert not grading_record.batch_record_path(autograded, ASSIGNMENT).exists(), (
        "a shard wrote the record of the whole class")
    assert set(grading_record.shard_record_paths(autograded, ASSIGNMENT)) == set(SHARDS)
    for (k, n), record in graded["records"].items():
        assert record is not None, f"shard {k}/{n} left no batch record"
        assert record["shard"] == [k, n]
        assert sorted(record["students"]) == shard_of(STUDENTS, k, n), (
            f"shard {k}/{n} recorded {sorted(record['students'])}")
        assert all(entry["graded"] for entry in record["students"].values()), record


def test_the_two_shards_ran_at_the_same_time(graded):
    (start_1, end_1), (start_2, end_2) = (
        (datetime.fromisoformat(record["started_at"]), datetime.fromisoformat(record["graded_at"]))
        for record in (graded["records"][shard] for shard in SHARDS))
    assert start_1 <= end_2 and start_2 <= end_1, (
        f"shard 1 graded from {start_1} to {end_1}, shard 2 from {start_2} to {end_2}")


def test_the_shards_wrote_into_postgresql(graded):
    for run in ("sharded", "single"):
        assert count_rows(graded["urls"][run], "student") == len(STUDENTS), run
        fallback = sqlite_url(graded["courses"][run])
        assert count_rows(fallback, "student") == 0, f"{run}: students in the course's SQLite file"
    assert count_rows(graded["urls"]["sharded"], "grade") == count_rows(
        graded["urls"]["single"], "grade") > 0


def test_every_cell_scores_as_in_one_run(graded):
    expected = cell_scores(graded["urls"]["single"])
    got = cell_scores(graded["urls"]["sharded"])
    assert sorted(expected) == STUDENTS, f"the single run graded {sorted(expected)}"
    assert sorted(got) == STUDENTS, f"the shards graded {sorted(got)}"
    for student in STUDENTS:
        assert got[student] == expected[student], (
            f"{student}: cell scores of the shards differ from one run's:\n"
            f"one run {expected[student]}\nshards  {got[student]}")


def test_the_export_is_that_of_one_run(graded):
    expected = exported(graded["exports"]["single"])
    got = exported(graded["exports"]["sharded"])
    assert sorted(expected) == STUDENTS, f"the single run's export lists {sorted(expected)}"
    assert got == expected, f"nbgrader export of the shards differs:\n{expected}\n{got}"
    # The grades are real: the answer key earns every automatic point, the release none.
    assert float(got["answer_key"]["raw_score"]) == pytest.approx(PRIMARY.points[0])
    assert float(got["untouched_release"]["raw_score"]) == 0
    assert len({row["raw_score"] for row in got.values()}) >= 3, got


def test_the_class_report_reads_the_shards_as_one_batch(graded):
    from course_tools.report import build_report

    report = build_report(graded["courses"]["sharded"], ASSIGNMENT,
                          db_url=graded["urls"]["sharded"], progress=False)
    assert [s.student for s in report.students] == STUDENTS
    assert report.batch_shards == (2, 2)
    longest = max(record["seconds"] for record in graded["records"].values())
    assert report.batch_seconds >= longest - 1, (report.batch_seconds, longest)
    assert all(s.seconds for s in report.students), [(s.student, s.seconds)
                                                     for s in report.students]
