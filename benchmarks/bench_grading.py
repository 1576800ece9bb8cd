"""Grading throughput: plain serial nbgrader against the course's protected parallel grading.

For each assignment asked for (default: 01, and 05, the heaviest: its answer key runs longest),
grades the same N submissions (the answer key, and the fixture mistakes of
tests/assignments/<assignment>/ in turn) twice, in temporary copies of the course:

1. plain: ``nbgrader autograde`` with nbgrader's default preprocessors (no sandbox, no re-check,
   no scan), one process;
2. protected: ``python -m course_tools.parallel_grade --workers W`` with the course's own
   configuration (sandboxed kernel, re-check outside the kernel, scan, output cap).

It prints, per assignment, both wall times, the speed-up plain/protected (target: >= 2 on two
cores) and the overhead per submission of the protections (target: <= 0.5 CPU-s): the CPU time
the protected run used per submission minus the plain run's. CPU time is measured twice, and
the larger figure counts: the user + system time of the command and every process it waited
for, and the busy time of the whole machine meanwhile (/proc/stat; run it on a quiet machine).
The sandbox
mode is the one of the user who runs it: a separate uid as root, a user namespace otherwise.
``--ordinary-user`` run as root measures the second mode: the benchmark runs again as the test
suite's throw-away account (``tests/services/ordinary_user.py``), created for the run and removed
after it.

Usage: python benchmarks/bench_grading.py [--submissions 40] [--workers N] [--assignment A ...]
[--ordinary-user]
(default workers: parallel_grade's own default, the number of CPUs plus one)
"""
from __future__ import annotations

import argparse
import os
import resource
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
from course_tools.sandbox import sandbox_available, sandbox_mode  # noqa: E402

from tests.assignments.material import Assignment, primary  # noqa: E402

#: The primary assignment, and 05, the heaviest (its answer key runs longest).
DEFAULT_ASSIGNMENTS = [primary().name, "05_optimization"]
PLAIN_CONFIG = '''
# benchmark: nbgrader's own autograde preprocessors, nothing of the course's protections
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''


def make_course(base: Path, assignment: Assignment, plain: bool) -> Path:
    course = base / assignment.name / ("plain" if plain else "protected")
    for name in ("source", "release"):
        shutil.copytree(ROOT / name, course / name)
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    if plain:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(PLAIN_CONFIG)
    generate_release([assignment.name], root=course)
    return course


def submissions(assignment: Assignment, n: int) -> list[nbformat.NotebookNode]:
    """n notebooks: the answer key and the fixtures' mistakes in turn (no kernel fault)."""
    release = assignment.read("release")
    source = assignment.read("source")
    specs = [{"base": "answer_key"}] + [s for s in assignment.fixtures
                                        if s["base"] == "answer_key" and not s.get("fault")]
    return [assignment.build(specs[i % len(specs)], release, source) for i in range(n)]


def place(course: Path, assignment: Assignment, notebooks) -> None:
    for i, nb in enumerate(notebooks):
        folder = course / "submitted" / f"student{i:03d}" / assignment.name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment.notebook}.ipynb")


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent busy since boot (/proc/stat: all but idle and
    iowait), summed over its CPUs."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds of cmd, its CPU seconds (user + system, with every process it waited for)
    and the machine's busy CPU-seconds meanwhile (a check on the first: run on a quiet machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds()
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=tool_environment())
    elapsed = time.perf_counter() - start
    busy = machine_busy_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        print(result.stdout[-2000:], result.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{cmd[2:5]} failed with exit code {result.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, busy


def bench(assignment: Assignment, n: int, workers: int, tmp: Path) -> dict:
    notebooks = submissions(assignment, n)
    plain = make_course(tmp, assignment, True)
    protected = make_course(tmp, assignment, False)
    place(plain, assignment, notebooks)
    place(protected, assignment, notebooks)
    wall_plain, cpu_plain, busy_plain = timed([sys.executable, "-m", "nbgrader", "autograde", assignment.name,
                                   f"--CourseDirectory.root={plain}"], plain)
    wall_protected, cpu_protected, busy_protected = timed(
        [sys.executable, "-m", "course_tools.parallel_grade", assignment.name,
         "--workers", str(workers), "--course", str(protected)], protected)
    return dict(wall_plain=wall_plain, cpu_plain=cpu_plain, busy_plain=busy_plain,
                wall_protected=wall_protected, cpu_protected=cpu_protected,
                busy_protected=busy_protected)


def run_as_ordinary_user(arguments: list[str]) -> int:
    """This benchmark with ``arguments``, run as the throw-away ordinary account; its exit code."""
    from tests.services.ordinary_user import ordinary_user, remove

    user = ordinary_user()
    if user is None:
        raise SystemExit("no ordinary account can be made here (no useradd)")
    try:
        return user.run([sys.executable, str(Path(__file__).resolve()), *arguments],
                        cwd="/tmp").returncode
    finally:
        remove(user)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--assignment", action="append", dest="assignments",
                        help="an assignment of source/ (repeat for more; default: "
                             f"{', '.join(DEFAULT_ASSIGNMENTS)})")
    parser.add_argument("--ordinary-user", action="store_true",
                        help="as root, run the benchmark as a throw-away ordinary account "
                             "(the unprivileged sandbox mode)")
    args = parser.parse_args(argv)
    if args.ordinary_user and os.geteuid() == 0:
        raise SystemExit(run_as_ordinary_user([a for a in (sys.argv[1:] if argv is None else argv)
                                               if a != "--ordinary-user"]))
    ok, why = sandbox_available()
    if not ok:
        raise SystemExit(f"the sandbox cannot run here ({why}): nothing to compare")
    n = args.submissions
    print(f"submissions per assignment {n}; CPUs {os.cpu_count()}; workers {args.workers}; "
          f"sandbox: {sandbox_mode()}")
    for name in args.assignments or DEFAULT_ASSIGNMENTS:
        with tempfile.TemporaryDirectory() as tmp:
            r = bench(Assignment(name), n, args.workers, Path(tmp))
        # The larger of the two measures of each run: a process the command did not wait for
        # escapes the first, another program's work inflates the second.
        cpu_plain = max(r["cpu_plain"], r["busy_plain"])
        cpu_protected = max(r["cpu_protected"], r["busy_protected"])
        overhead = (cpu_protected - cpu_plain) / n
        print(f"\n{name}")
        for label, kind in (("plain serial nbgrader ", "plain"),
                            (f"protected, {args.workers} workers  ", "protected")):
            cpu = max(r[f"cpu_{kind}"], r[f"busy_{kind}"])
            print(f"  {label} {r[f'wall_{kind}']:7.1f} s wall  {cpu:7.1f} CPU-s  "
                  f"({r[f'wall_{kind}'] / n:.2f} s, {cpu / n:.2f} CPU-s per submission; "
                  f"waited-for processes {r[f'cpu_{kind}']:.1f}, machine busy "
                  f"{r[f'busy_{kind}']:.1f} CPU-s)")
        print(f"  speed-up plain/protected  {r['wall_plain'] / r['wall_protected']:5.2f}x  (target >= 2x)")
        print(f"  protection overhead     {overhead:+7.2f} CPU-s per submission  (target <= 0.5)")
        print(f"  submissions per core-hour, protected  "
              f"{3600 * n / cpu_protected:7.0f}")


if __name__ == "__main__":
    main()
