"""Grading throughput: plain serial nbgrader against the course's protected parallel grading.

Grades the same N submissions of assignment 01 (the answer key, and the fixture mistakes of
tests/pipeline/submissions in turn) twice, in temporary copies of the course:

1. plain: ``nbgrader autograde`` with nbgrader's default preprocessors (no sandbox, no re-check,
   no scan), one process;
2. protected: ``python -m course_tools.parallel_grade --workers W`` with the course's own
   configuration (sandboxed kernel, re-check outside the kernel, scan, output cap).

It prints both wall times, the ratio plain/protected (the target is >= 1.6 on two cores), and
the overhead per submission of the protections: the CPU-seconds the protected run occupies per
submission (wall time x the CPUs it can use, min(workers, CPUs)) minus the plain run's seconds
per submission, which are almost all spent executing the notebook.

Usage: python benchmarks/bench_grading.py [--submissions 40] [--workers N]
(default workers: parallel_grade's own default, the number of CPUs plus one)
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_tools.generate import generate_release, tool_environment  # noqa: E402
from course_tools.parallel_grade import default_workers  # noqa: E402

from tests.assignments.material import primary  # noqa: E402

# The assignment to grade: COURSE_TEST_ASSIGNMENT, or the first of source/.
PRIMARY = primary()
ASSIGNMENT, NOTEBOOK = PRIMARY.name, PRIMARY.notebook
PLAIN_CONFIG = '''
# benchmark: nbgrader's own autograde preprocessors, nothing of the course's protections
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''


def make_course(base: Path, plain: bool) -> Path:
    course = base / ("plain" if plain else "protected")
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    if plain:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(PLAIN_CONFIG)
    generate_release([ASSIGNMENT], root=course)
    return course


def submissions(n: int) -> list[nbformat.NotebookNode]:
    """n notebooks: the answer key and the fixtures' mistakes in turn (no kernel fault)."""
    release = PRIMARY.read("release")
    source = PRIMARY.read("source")
    specs = [{"base": "answer_key"}] + [s for s in PRIMARY.fixtures
                                        if s["base"] == "answer_key" and not s.get("fault")]
    return [PRIMARY.build(specs[i % len(specs)], release, source) for i in range(n)]


def place(course: Path, notebooks) -> None:
    for i, nb in enumerate(notebooks):
        folder = course / "submitted" / f"student{i:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{NOTEBOOK}.ipynb")


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=tool_environment())
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{cmd[2:5]} failed with exit code {result.returncode}")
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args(argv)
    notebooks = submissions(args.submissions)
    with tempfile.TemporaryDirectory() as tmp:
        plain, protected = make_course(Path(tmp), True), make_course(Path(tmp), False)
        place(plain, notebooks)
        place(protected, notebooks)
        t_plain = timed([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT,
                         f"--CourseDirectory.root={plain}"], plain)
        t_protected = timed([sys.executable, "-m", "course_tools.parallel_grade", ASSIGNMENT,
                             "--workers", str(args.workers), "--course", str(protected)], protected)
    n = args.submissions
    per_plain = t_plain / n
    cpus = min(args.workers, os.cpu_count() or 1)
    per_protected_cpu = t_protected * cpus / n
    print(f"submissions                      {n}  (CPUs: {os.cpu_count()})")
    print(f"plain serial nbgrader            {t_plain:7.1f} s  ({per_plain:.2f} s per submission)")
    print(f"protected, {args.workers} workers              {t_protected:7.1f} s  "
          f"({t_protected / n:.2f} s per submission)")
    print(f"speed-up plain / protected       {t_plain / t_protected:7.2f}x  (target >= 1.6x)")
    print(f"protection overhead              {per_protected_cpu - per_plain:+7.2f} s per submission "
          f"({per_protected_cpu:.2f} CPU-s on {cpus} CPUs against {per_plain:.2f} s plain)")


if __name__ == "__main__":
    main()
