"""nbgrader with a PostgreSQL gradebook gives exactly the scores of the default SQLite one.

A private PostgreSQL cluster (tests/services/postgres.py) serves two databases. Four fixture
submissions of submissions/manifest.toml (the answer key, the untouched release and two
mistakes) are graded on three copies of the course: by ``nbgrader autograde`` with the course's
SQLite gradebook, by ``nbgrader autograde --CourseDirectory.db_url=<postgresql URL>``, and by
``python -m course_tools.parallel_grade --db-url <postgresql URL>``; then ``nbgrader export``
runs on each. Every per-cell score and every exported total must agree, and the rows must really
be in PostgreSQL (the SQLite files of the PostgreSQL copies stay without a single grade).
The last test checks that the helper stops and removes its cluster when a test fails.
"""
from __future__ import annotations

import csv
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import sqlalchemy

from ..conftest import course_copy, grading_overrides
from ..grading.test_parallel_grade import notebooks_of_course, parallel_grade, submission_folder
from ..services.postgres import postgres_cluster, postgres_fixture
from .test_nbgrader_pipeline import CELL_TIMEOUT, nbgrader
from ..grading.test_parallel_grade import ASSIGNMENT, NOTEBOOK, PRIMARY, build_submission

pytestmark = pytest.mark.slow

# The answer key, the untouched release and the first two mistakes of the fixtures.
CHOSEN = ["answer_key", *[s["student"] for s in PRIMARY.fixtures if s["base"] == "release"][:1],
          *[s["student"] for s in PRIMARY.fixtures if "hint" in s][:2]]
SPECS = {s["student"]: s for s in PRIMARY.fixtures if s["student"] in CHOSEN}
RUNS = ("sqlite", "postgres_cli", "postgres_parallel")
# Columns of nbgrader's export that grading decides (timestamps and names are left out).
SCORE_COLUMNS = ("assignment", "student_id", "raw_score", "late_submission_penalty", "score",
                 "max_score")

postgres = postgres_fixture(scope="module")


def sqlite_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def failure(step: str, result: subprocess.CompletedProcess) -> str:
    return (f"{step} failed (exit status {result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


@pytest.fixture(scope="module")
def graded(generated_course, postgres, tmp_path_factory):
    assert set(SPECS) == set(CHOSEN), f"the manifest lacks {set(CHOSEN) - set(SPECS)}"
    base = tmp_path_factory.mktemp("postgres_gradebook")
    courses = {run: course_copy(generated_course, base / run) for run in RUNS}
    release, source = notebooks_of_course(courses["sqlite"])
    for student, spec in SPECS.items():
        for course in courses.values():
            nbformat.write(build_submission(release, source, spec),
                           submission_folder(course, student) / f"{NOTEBOOK}.ipynb")

    options = [f"--Execute.timeout={CELL_TIMEOUT}", *grading_overrides()]
    urls = {"sqlite": sqlite_url(courses["sqlite"]), "postgres_cli": postgres.url}
    steps = {}

    def postgres_cli():
        # PostgreSQL learns the assignment as the SQLite gradebook did: by generate_assignment.
        course, db = courses["postgres_cli"], f"--CourseDirectory.db_url={urls['postgres_cli']}"
        steps["generate_assignment postgres_cli"] = nbgrader(
            course, "generate_assignment", ASSIGNMENT, "--force", db)
        if steps["generate_assignment postgres_cli"].returncode == 0:
            # The parallel run gets a copy of that database: the same cells, no student yet.
            urls["postgres_parallel"] = postgres.create_database("parallel",
                                                                 template=postgres.database)
            steps["autograde postgres_cli"] = nbgrader(course, "autograde", ASSIGNMENT,
                                                       "--force", *options, db)

    def sqlite():
        steps["autograde sqlite"] = nbgrader(courses["sqlite"], "autograde", ASSIGNMENT,
                                             "--force", *options)

    # The runs use separate copies and gradebooks: two at a time keep both cores busy.
    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(sqlite), pool.submit(postgres_cli)]:
            future.result()
    assert "postgres_parallel" in urls, failure("nbgrader generate_assignment on PostgreSQL",
                                                steps["generate_assignment postgres_cli"])
    steps["parallel_grade postgres_parallel"] = parallel_grade(
        courses["postgres_parallel"], "--workers=2", f"--db-url={urls['postgres_parallel']}",
        *options)
    exports = {run: course / "grades.csv" for run, course in courses.items()}
    with ThreadPoolExecutor(len(RUNS)) as pool:
        done = {run: pool.submit(nbgrader, course, "export", f"--to={exports[run]}",
                                 f"--CourseDirectory.db_url={urls[run]}")
                for run, course in courses.items()}
    steps.update({f"export {run}": future.result() for run, future in done.items()})
    return dict(courses=courses, urls=urls, steps=steps, exports=exports)


def cell_scores(url: str) -> dict[str, dict]:
    """student -> {(notebook, cell): (auto_score, manual_score, max_score)} from a gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        return {sub.student_id: {(nb.name, g.name): (g.auto_score, g.manual_score, g.max_score)
                                 for nb in sub.notebooks for g in nb.grades}
                for sub in gb.assignment_submissions(ASSIGNMENT)}


def exported(path: Path) -> dict[str, dict]:
    """student -> the export's score columns for ASSIGNMENT (a gradebook that knows the other
    assignments too exports a row for each of them and every student)."""
    with path.open() as handle:
        return {row["student_id"]: {k: row[k] for k in SCORE_COLUMNS}
                for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT}


def count_rows(url: str, table: str) -> int:
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sqlalchemy.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def test_every_command_succeeds(graded):
    for step, result in graded["steps"].items():
        assert result.returncode == 0, failure(step, result)


def test_the_grades_are_really_stored_in_postgresql(graded):
    expected_rows = count_rows(graded["urls"]["sqlite"], "grade")
    assert expected_rows > 0, "the SQLite run stored no grade"
    for run in ("postgres_cli", "postgres_parallel"):
        url = graded["urls"][run]
        assert sqlalchemy.engine.make_url(url).get_backend_name() == "postgresql", url
        assert count_rows(url, "grade") == expected_rows, (
            f"{run}: PostgreSQL holds another number of grade rows than the SQLite gradebook")
        assert count_rows(url, "student") == len(CHOSEN), f"{run}: students missing in PostgreSQL"
        # Nothing went to the course's own SQLite file instead (it knows no student).
        fallback = sqlite_url(graded["courses"][run])
        assert count_rows(fallback, "grade") == 0 and count_rows(fallback, "student") == 0, (
            f"{run}: grades were written to the SQLite gradebook of the course, not to PostgreSQL")


@pytest.mark.parametrize("run", ["postgres_cli", "postgres_parallel"])
def test_every_cell_scores_as_with_sqlite(graded, run):
    expected = cell_scores(graded["urls"]["sqlite"])
    got = cell_scores(graded["urls"][run])
    assert sorted(expected) == sorted(CHOSEN), f"the SQLite run graded {sorted(expected)}"
    assert sorted(got) == sorted(CHOSEN), f"{run} graded {sorted(got)}"
    for student in CHOSEN:
        assert got[student] == expected[student], (
            f"{run}, {student}: cell scores differ from SQLite's:\n"
            f"sqlite {expected[student]}\n{run} {got[student]}")


@pytest.mark.parametrize("run", ["postgres_cli", "postgres_parallel"])
def test_the_export_is_the_same_as_with_sqlite(graded, run):
    expected = exported(graded["exports"]["sqlite"])
    got = exported(graded["exports"][run])
    assert sorted(expected) == sorted(CHOSEN), f"the SQLite export lists {sorted(expected)}"
    assert got == expected, f"{run}: nbgrader export differs from SQLite's:\n{expected}\n{got}"


def test_the_totals_are_those_the_manifest_expects(graded):
    """In PostgreSQL: the answer key earns every automatic point, the release none, and each
    mistake loses exactly the cells the manifest names."""
    rows = exported(graded["exports"]["postgres_parallel"])
    scores = cell_scores(graded["urls"]["postgres_parallel"])
    auto_max = sum(top for auto, _, top in scores["answer_key"].values() if auto is not None)
    assert auto_max == PRIMARY.points[0], (
        f"{ASSIGNMENT}: {auto_max} automatic points in PostgreSQL, {PRIMARY.points[0]:g} in the notebook")
    for student, spec in SPECS.items():
        auto = {cell: (score, top) for (_, cell), (score, _, top) in scores[student].items()
                if score is not None}
        fails = set(auto) if spec["fails"] == "all" else set(spec["fails"])
        earned = sum(top for cell, (_, top) in auto.items() if cell not in fails)
        assert float(rows[student]["raw_score"]) == pytest.approx(earned), (
            f"{student}: exported {rows[student]['raw_score']}, expected {earned:g} "
            f"(all automatic points but those of {sorted(fails)})")
        assert float(rows[student]["max_score"]) == pytest.approx(PRIMARY.total_points), student
    assert float(rows["answer_key"]["raw_score"]) == pytest.approx(auto_max), "answer key"
    assert float(rows["untouched_release"]["raw_score"]) == 0, "untouched release"


def test_the_cluster_is_stopped_and_removed_even_when_the_test_fails():
    with pytest.raises(KeyError, match="raised inside"):
        with postgres_cluster(database="scratch") as cluster:
            engine = sqlalchemy.create_engine(cluster.url, poolclass=sqlalchemy.pool.NullPool)
            with engine.connect() as conn:
                assert conn.execute(sqlalchemy.text("SELECT 1")).scalar_one() == 1, "no answer"
            raise KeyError("raised inside")
    assert not cluster.folder.exists(), f"{cluster.folder} was left behind"
    with pytest.raises(sqlalchemy.exc.OperationalError):
        with engine.connect():
            pass
