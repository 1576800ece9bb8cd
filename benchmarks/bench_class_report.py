"""Class report on a large batch: how long ``course_tools.report`` takes for N submissions.

The batch is synthetic, built from real grading: the fixture submissions of the primary
assignment (tests/assignments/<assignment>/fixtures.toml, without the kernel fault, which only
costs a timeout) are graded once by ``course_tools.parallel_grade`` in a temporary copy of the
course; then each of the N students is a copy of one graded fixture, in turn: its submitted and
autograded notebooks, its grading record, and its gradebook rows (scores, comments and flags,
written through nbgrader's Gradebook API). Only the report is timed (it reads the similarity
report's pairs when there are any; comparing every pair is `make similarity`'s work).

Usage: python benchmarks/bench_class_report.py [--submissions 300] [--graded COURSE]
(``--graded``: a course folder whose batch is already graded, e.g. one kept from the pipeline
test; it is copied, never changed)
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_tools.generate import generate_release, tool_environment  # noqa: E402
from course_tools.parallel_grade import tool_path  # noqa: E402

from tests.assignments.material import primary  # noqa: E402

PRIMARY = primary()
ASSIGNMENT, NOTEBOOK = PRIMARY.name, PRIMARY.notebook


def graded_fixtures(base: Path) -> Path:
    """A course copy in which the fixtures (no kernel fault) are graded."""
    course = base / "graded"
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    generate_release([ASSIGNMENT], root=course)
    release, source = PRIMARY.read("release", course), PRIMARY.read("source", course)
    for spec in PRIMARY.fixtures:
        if spec.get("fault"):
            continue
        folder = course / "submitted" / spec["student"] / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(PRIMARY.build(spec, release, source), folder / f"{NOTEBOOK}.ipynb")
    from tests.conftest import grading_overrides

    result = subprocess.run([sys.executable, "-m", "course_tools.parallel_grade", ASSIGNMENT,
                             f"--course={course}", *grading_overrides()], cwd=course,
                            capture_output=True, text=True, env=tool_environment())
    if result.returncode != 0:
        raise SystemExit(f"grading the fixtures failed:\n{result.stdout[-2000:]}\n"
                         f"{result.stderr[-2000:]}")
    return course


def clone_batch(graded: Path, target: Path, n: int) -> list[str]:
    """Copy ``graded`` to ``target`` with n students, each a copy of a graded fixture."""
    from nbgrader.api import Gradebook

    shutil.copytree(graded, target, ignore=shutil.ignore_patterns("feedback", "reports"))
    with Gradebook(f"sqlite:///{target / 'gradebook.db'}") as gb:
        models = sorted(s.student_id for s in gb.find_assignment(ASSIGNMENT).submissions)
        rows = {}
        for model in models:
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, model)
            rows[model] = ([(g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                            for g in nb.grades],
                           [(c.name, c.auto_comment) for c in nb.comments], nb.flagged)
        students = []
        for i in range(n):
            model = models[i % len(models)]
            student = f"student{i:03d}"
            students.append(student)
            for folder in ("submitted", "autograded"):
                shutil.copytree(target / folder / model / ASSIGNMENT,
                                target / folder / student / ASSIGNMENT)
            grades, comments, flagged = rows[model]
            gb.add_student(student)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nbgrader's add_submission trips an SAWarning
                gb.add_submission(ASSIGNMENT, student)
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
            by_name = {g.name: g for g in nb.grades}
            for name, auto, manual, needs in grades:
                grade = by_name[name]
                grade.auto_score, grade.manual_score, grade.needs_manual_grade = auto, manual, needs
            by_cell = {c.name: c for c in nb.comments}
            for name, text in comments:
                by_cell[name].auto_comment = text
            nb.flagged = flagged
        gb.db.commit()
        for model in models:
            gb.remove_submission(ASSIGNMENT, model)
            gb.remove_student(model)
    for model in models:
        for folder in ("submitted", "autograded"):
            shutil.rmtree(target / folder / model)
    return students


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--graded", type=Path, help="an already graded course to copy")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, tool_path():
        tmp = Path(tmp)
        graded = args.graded.resolve() if args.graded else graded_fixtures(tmp)
        course = tmp / "batch"
        started = time.perf_counter()
        clone_batch(graded, course, args.submissions)
        built_in = time.perf_counter() - started
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "course_tools.report", ASSIGNMENT,
                                 f"--course={course}", f"--out={tmp / 'report'}"],
                                capture_output=True, text=True, env=tool_environment())
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"the report failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    print(f"assignment                  {ASSIGNMENT}")
    print(f"submissions                 {args.submissions}  (batch built in {built_in:.1f} s)")
    print(f"class report                {elapsed:7.1f} s  (target < 30 s)")


if __name__ == "__main__":
    main()
