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
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_tools.generate import generate_release, strip_region_markers, tool_environment  # noqa: E402
from course_tools.parallel_grade import default_workers  # noqa: E402

ASSIGNMENT = "01_activations_and_losses"
NOTEBOOK = "activations_and_losses"
FIXTURES = ROOT / "tests" / "pipeline" / "submissions"
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
    release = nbformat.read(ROOT / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: strip_region_markers(c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    manifest = tomllib.loads((FIXTURES / "manifest.toml").read_text())
    variants = [{}] + [{k: (FIXTURES / v).read_text() for k, v in s.get("replace", {}).items()}
                       for s in manifest["submission"]
                       if s.get("base") == "answer_key" and s["student"] != "infinite_loop"]
    out = []
    for i in range(n):
        nb = copy.deepcopy(release)
        replace = variants[i % len(variants)]
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                cell.source = replace.get(meta["grade_id"], answers[meta["grade_id"]])
        out.append(nb)
    return out


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
