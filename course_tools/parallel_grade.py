"""Autograde every submission of an assignment with several worker processes.

Each worker is a process of its own that grades one student at a time through nbgrader's Python
API (``NbGraderAPI.autograde``) with the course's ``nbgrader_config.py``, so the scores are those
of a serial ``nbgrader autograde ASSIGNMENT``. Before grading, every submission is checked:

- a notebook of the assignment that is missing, empty (0 bytes, or no cells) or not valid JSON is
  replaced, in a staging copy, by the release notebook, which earns 0 automatic points; the
  student gets that score and the reason in the summary;
- a missing notebook with exactly one unexpected notebook beside it is taken as renamed and is
  graded under the expected name (the summary says so).

``submitted/`` is only ever read. A student whose grading runs longer than
``--timeout-per-notebook`` seconds per notebook has the worker (and its kernel) killed, gets 0
for every cell and is reported as timed out; the batch goes on with a fresh worker.

The gradebook is the course's (``CourseDirectory.db_url``) unless ``--db-url`` names another one,
e.g. ``postgresql+psycopg://user@host/gradebook`` for a large class (needs ``psycopg[binary]``).
Each worker opens its own connections. A SQLite URL without a ``timeout`` gets ``timeout=60``, so
a worker waits up to a minute for a lock held by another process instead of failing.

Part of a class, e.g. one node of several that share the course folder and a PostgreSQL
gradebook (``deploy/README.md``, "A class of thousands"):

- ``--shard K/N`` grades the K-th of N shards (1 <= K <= N) of the students that have a folder
  ``submitted/<student>/<assignment>``: their sorted names dealt out round-robin, the first name
  to shard 1, the second to shard 2, ... (:func:`shard_of`). Every node computes the same split
  from the same folder without talking to the others; the N shards are disjoint and together
  hold every student, their sizes differ by at most one. Collect before the shards start: a
  submission that arrives meanwhile changes the split of the nodes that list it later.
- ``--students NAME[,NAME...]`` grades the students named (each must have a submission), e.g.
  to grade a few again.

The two are exclusive. A run grades, stages, times out, zeroes and records its own students only.
The per-assignment batch record (``course_tools.grading_record``) of a shard goes to a file of
its own, ``autograded/<assignment>.shard-K-of-N.batch.json``, so shards never write one file;
a ``--students`` run, like a run over everybody, updates ``autograded/<assignment>.batch.json``
(under a lock), keeping the entries of the students it did not grade. The class report
(``course_tools.report``) merges the record and the shard records, the newest entry of each
student winning.

Usage::

    python -m course_tools.parallel_grade ASSIGNMENT [--workers N] [--course ROOT]
        [--db-url URL] [--timeout-per-notebook S] [--shard K/N | --students NAME[,NAME...]]
        [--Class.trait=VALUE ...]

Options of the form ``--Class.trait=VALUE`` go to nbgrader's configuration, as on its command
line (e.g. ``--Execute.timeout=30``). Prints a progress line while grading, then one line per
student: score / max, errors, and the cells flagged for manual review. Exit status 0 when every
student got a score (even 0), 1 when some student could not be graded (or the gradebook, the
assignment or a student named by ``--students`` was not found), 2 for a bad command line (such
as a shard K outside 1..N).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

FLAG_PREFIX = "Flagged for manual review"
SQLITE_TIMEOUT = 60
DEFAULT_TIMEOUT_PER_NOTEBOOK = 600
STAND_IN = "graded the unanswered release notebook instead (0 points)"


# ---------------------------------------------------------------------------------------------
# Configuration and gradebook


def with_sqlite_timeout(db_url: str, seconds: int = SQLITE_TIMEOUT) -> str:
    """``db_url`` with ``timeout=seconds`` added if it is a SQLite URL without a timeout."""
    if not db_url.startswith("sqlite"):
        return db_url
    base, _, query = db_url.partition("?")
    params = parse_qsl(query, keep_blank_values=True)
    if any(key == "timeout" for key, _ in params):
        return db_url
    return f"{base}?{urlencode(params + [('timeout', str(seconds))])}"


def load_config(root: Path, overrides: list[str], db_url: str | None = None):
    """The course's nbgrader configuration, with command-line overrides and the database URL."""
    from traitlets.config.loader import Config, KVArgParseConfigLoader, PyFileConfigLoader

    config = Config()
    if (root / "nbgrader_config.py").exists():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    if overrides:
        config.merge(KVArgParseConfigLoader(overrides).load_config())
    config.CourseDirectory.root = str(root)
    if db_url is not None:
        config.CourseDirectory.db_url = db_url
    from nbgrader.coursedir import CourseDirectory

    config.CourseDirectory.db_url = with_sqlite_timeout(CourseDirectory(config=config).db_url)
    return config


def course_directory(config):
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


def gradebook(coursedir):
    from nbgrader.api import Gradebook

    return Gradebook(coursedir.db_url, coursedir.course_id)


def expected_notebooks(coursedir, assignment: str) -> list[str]:
    """Names (without .ipynb) of the assignment's notebooks, from the gradebook."""
    from nbgrader.api import MissingEntry

    with gradebook(coursedir) as gb:
        try:
            return sorted(nb.name for nb in gb.find_assignment(assignment).notebooks)
        except MissingEntry:
            return []


# ---------------------------------------------------------------------------------------------
# Checking submissions before grading


def notebook_problem(path: Path) -> str | None:
    """Why the file at ``path`` cannot be graded as a notebook, or ``None`` if it can."""
    import nbformat

    data = path.read_bytes()
    if not data:
        return "is empty (0 bytes)"
    if not data.strip():
        return "is empty (only whitespace)"
    try:
        raw = json.loads(data)
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    if not isinstance(raw, dict) or "nbformat" not in raw:
        return "is JSON but not a notebook (no nbformat field)"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises many kinds for notebooks it cannot convert
        return f"is not a readable notebook ({type(exc).__name__}: {exc})"
    if not nb.cells:
        return "is empty (no cells)"
    return None


@dataclass
class Plan:
    """How one student's submission is graded."""

    student: str
    folder: Path
    # expected notebook name -> file to grade under that name (None: the release notebook)
    sources: dict[str, Path | None]
    notes: list[str] = field(default_factory=list)

    @property
    def needs_staging(self) -> bool:
        return any(src != self.folder / f"{name}.ipynb" for name, src in self.sources.items())


def plan_submission(student: str, folder: Path, expected: list[str]) -> Plan:
    """Check a student's folder against the assignment's notebooks and decide what to grade."""
    present = {p.stem: p for p in sorted(folder.glob("*.ipynb")) if p.is_file()}
    missing = [name for name in expected if name not in present]
    unknown = [name for name in present if name not in expected]
    plan = Plan(student, folder, {})
    for name in expected:
        if name in present:
            problem = notebook_problem(present[name])
            plan.sources[name] = None if problem else present[name]
            if problem:
                plan.notes.append(f"{name}.ipynb {problem}: {STAND_IN}")
        elif len(missing) == 1 and len(unknown) == 1:
            other = present[unknown[0]]
            problem = notebook_problem(other)
            plan.sources[name] = None if problem else other
            if problem:
                plan.notes.append(f"{name}.ipynb is missing and {other.name}, the only other "
                                  f"notebook, {problem}: {STAND_IN}")
            else:
                plan.notes.append(f"{name}.ipynb is missing: graded {other.name} in its place "
                                  f"(renamed)")
        else:
            plan.sources[name] = None
            found = f" (found {', '.join(present[n].name for n in unknown)})" if unknown else ""
            plan.notes.append(f"{name}.ipynb is missing{found}: {STAND_IN}")
    return plan


def stage(plan: Plan, release_folder: Path, staging_submitted: Path, assignment: str) -> None:
    """Copy a submission into ``staging_submitted/<student>/<assignment>`` as it will be graded.

    Files other than the top-level notebooks (timestamp.txt, data files) are copied as they
    are; each expected notebook comes from the plan, the release notebook standing in for a
    missing or broken one. Nothing under the student's folder is changed.
    """
    target = staging_submitted / plan.student / assignment
    top_level_notebooks = {p.name for p in plan.folder.glob("*.ipynb")}
    shutil.copytree(plan.folder, target, symlinks=True,
                    ignore=lambda d, names: [n for n in names if Path(d) == plan.folder
                                             and n in top_level_notebooks])
    for name, source in plan.sources.items():
        source = source if source is not None else release_folder / f"{name}.ipynb"
        if not source.exists():
            raise FileNotFoundError(f"no release notebook {source} to stand in for "
                                    f"{name}.ipynb: run nbgrader generate_assignment first")
        shutil.copyfile(source, target / f"{name}.ipynb")


# ---------------------------------------------------------------------------------------------
# Workers


def _worker(conn, root: str, overrides: list[str], db_url: str, log_path: str) -> None:
    """Grade the students sent over ``conn`` one by one; runs in a process of its own."""
    os.setsid()  # its own process group: a timeout kills the worker and everything it started
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.chdir(root)
    from nbgrader.apps import NbGraderAPI

    base = load_config(Path(root), overrides, db_url)
    conn.send(("ready",))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        assignment, student, submitted_directory = task
        config = copy.deepcopy(base)
        if submitted_directory is not None:
            config.CourseDirectory.submitted_directory = submitted_directory
        try:
            api = NbGraderAPI(course_directory(config), config=config)
            result = dict(api.autograde(assignment, student))
        except Exception:  # report it as nbgrader reports its own failures
            result = {"success": False, "error": traceback.format_exc()}
        conn.send(("done", student, result))


def kill_tree(pid: int) -> None:
    """Kill a worker, its kernel (which has a session of its own) and their children."""
    import psutil

    try:
        worker = psutil.Process(pid)
        processes = [worker] + worker.children(recursive=True)
    except psutil.NoSuchProcess:
        return
    own_group = os.getpgrp()
    for proc in processes:
        try:
            group = os.getpgid(proc.pid)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
            proc.kill()
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    psutil.wait_procs(processes, timeout=10)


class Slot:
    """One worker process, restarted after a timeout or a crash."""

    def __init__(self, index: int, ctx, args: tuple, log_dir: Path):
        self.index, self.ctx, self.args, self.log_dir = index, ctx, args, log_dir
        self.starts = 0
        self.process = self.conn = self.student = None
        self.deadline = self.started = None
        self.ready = False

    def start(self) -> None:
        self.starts += 1
        self.log_path = self.log_dir / f"worker-{self.index}-{self.starts}.log"
        parent, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_worker, args=(child, *self.args, str(self.log_path)),
                                        daemon=True)
        self.process.start()
        child.close()
        self.conn, self.student, self.deadline, self.ready = parent, None, None, False

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            kill_tree(self.process.pid)
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            kill_tree(self.process.pid)
            self.process.join()
        self.conn.close()
        self.process = self.conn = self.student = self.deadline = self.started = None
        self.ready = False

    def log_tail(self, lines: int = 5) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ---------------------------------------------------------------------------------------------
# Outcomes and the summary


@dataclass
class Outcome:
    student: str
    graded: bool = False  # True when the student has a score in the gradebook
    score: float | None = None
    max_score: float | None = None
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    detail: str = ""  # full nbgrader error and log, for students that could not be graded
    seconds: float | None = None  # wall time from handing the student to a worker to its end


def condense(result: dict, width: int = 200) -> str:
    """nbgrader's failure in one line: its first logged error (continuation lines joined; not
    a traceback or the closing "error processing" lines), else the exception line."""
    entries, current = [], None
    for line in (result.get("log") or "").splitlines():
        if line.startswith("["):
            current = [line] if line.startswith("[ERROR]") else None
            if current is not None:
                entries.append(current)
        elif current is not None:
            current.append(line)
    for entry in entries:
        text = " ".join(" ".join(entry)[len("[ERROR]"):].split())
        if not text.startswith(("Traceback", "There was an error processing", "Please see")):
            return text[:width]
    lines = [ln.strip() for ln in (result.get("error") or "").splitlines() if ln.strip()]
    return lines[-1][:width] if lines else "nbgrader reported a failure without a message"


def record_zero(coursedir, assignment: str, student: str) -> None:
    """Give every cell of a student's submission 0 automatic points, as nbgrader does for a
    missing notebook."""
    with gradebook(coursedir) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()


def read_scores(coursedir, assignment: str, outcomes: dict[str, Outcome]) -> None:
    """Fill in score, max score and review flags of every graded student from the gradebook."""
    from nbgrader.api import MissingEntry

    with gradebook(coursedir) as gb:
        for outcome in outcomes.values():
            if not outcome.graded:
                continue
            try:
                submission = gb.find_submission(assignment, outcome.student)
            except MissingEntry:
                outcome.graded = False
                outcome.errors.append("no submission in the gradebook after grading")
                continue
            outcome.score, outcome.max_score = submission.score, submission.max_score
            for notebook in submission.notebooks:
                for comment in notebook.comments:
                    if (comment.auto_comment or "").startswith(FLAG_PREFIX):
                        outcome.flags.append(comment.name)


class Progress:
    """A one-line progress bar on a terminal; one line per finished student otherwise."""

    def __init__(self, total: int, stream=sys.stderr, width: int = 30):
        self.total, self.done, self.stream, self.width = total, 0, stream, width
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.show("")

    def show(self, last: str) -> None:
        if not self.tty:
            if last:
                print(f"[{self.done}/{self.total}] {last}", file=self.stream, flush=True)
            return
        filled = self.width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.start
        text = f"\r[{bar}] {self.done}/{self.total}  {elapsed:4.0f} s  {last}"[:120]
        print(text.ljust(120), end="", file=self.stream, flush=True)

    def advance(self, last: str) -> None:
        self.done += 1
        self.show(last)

    def close(self) -> None:
        if self.tty:
            print(file=self.stream, flush=True)


def score_text(outcome: Outcome) -> str:
    if not outcome.graded or outcome.score is None:
        return "not graded"
    return f"{outcome.score:g} / {outcome.max_score:g}"


def summary(outcomes: list[Outcome]) -> str:
    """The per-student table, one line each: student, score / max, flags (a column only when
    some student is flagged), errors."""
    with_flags = any(o.flags for o in outcomes)
    header = ["student", "score"] + (["flagged for review"] if with_flags else []) + ["errors"]
    rows = [header]
    for o in outcomes:
        rows.append([o.student, score_text(o)] + ([", ".join(o.flags)] if with_flags else [])
                    + ["; ".join(o.errors)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    rule = ["-" * w for w in widths] + ["-" * len(header[-1])]
    lines = ["  ".join([c.ljust(w) for c, w in zip(row, widths)] + [row[-1]]).rstrip()
             for row in [header, rule] + rows[1:]]
    return "\n".join(lines)


def failure_detail(result: dict) -> str:
    """nbgrader's log from its first error on (the whole log if it logged no error), or the
    traceback when there is no log."""
    log = result.get("log") or ""
    start = log.find("[ERROR]")
    if log:
        return log[start:] if start >= 0 else log
    return result.get("error") or ""


# ---------------------------------------------------------------------------------------------
# The batch


def list_students(coursedir, assignment: str) -> list[str]:
    """Students with a folder ``submitted/<student>/<assignment>``, as nbgrader would find them."""
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    excluded = set(filter(None, coursedir.student_id_exclude.split(",")))
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir()
                  if not p.name.startswith(".") and (p / assignment).is_dir()
                  and p.name not in excluded)


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N), the K-th of N shards; ValueError naming what is wrong otherwise."""
    parts = text.strip().split("/")
    try:
        if len(parts) != 2:
            raise ValueError
        k, n = (int(part.strip()) for part in parts)
    except ValueError:
        raise ValueError(f"--shard takes K/N, the K-th of N shards (e.g. 1/4), got {text!r}") \
            from None
    if n < 1:
        raise ValueError(f"--shard {text}: the number of shards N must be at least 1, got {n}")
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: the shard K must be between 1 and N={n}, got {k}")
    return k, n


def parse_students(text: str) -> list[str]:
    """``"ann,ben"`` -> ["ann", "ben"] (sorted, each once); ValueError for an empty name."""
    names = [name.strip() for name in text.split(",")]
    if not text.strip() or any(not name for name in names):
        raise ValueError(f"--students takes NAME[,NAME...] without empty names, got {text!r}")
    return sorted(set(names))


def shard_of(students: list[str], k: int, n: int) -> list[str]:
    """The K-th of N shards (1-based) of ``students``: their sorted names dealt round-robin."""
    return sorted(students)[k - 1::n]


def choose_students(everyone: list[str], names: list[str] | None = None,
                    shard: tuple[int, int] | None = None, assignment: str = "",
                    coursedir=None) -> list[str]:
    """Who this run grades, sorted: ``everyone`` (the students with a submission), the named
    ones, or one shard. ValueError names every named student who has no submission."""
    if names is not None and shard is not None:
        raise ValueError("--students and --shard cannot be used together")
    if shard is not None:
        return shard_of(everyone, *shard)
    if names is None:
        return sorted(everyone)
    missing = [name for name in names if name not in set(everyone)]
    if missing:
        where = "submitted"
        excluded = set()
        if coursedir is not None:
            where = coursedir.submitted_directory
            excluded = set(filter(None, coursedir.student_id_exclude.split(",")))
        reasons = [f"{name} (excluded by CourseDirectory.student_id_exclude)"
                   if name in excluded else name for name in missing]
        raise ValueError(f"--students: no submission {where}/<student>/{assignment} for "
                         f"{', '.join(reasons)}")
    return sorted(names)


@contextlib.contextmanager
def tool_path():
    """This interpreter's bin folder first on PATH (inherited by the workers) meanwhile:
    nbgrader runs its ``alembic`` command when it creates a gradebook."""
    from course_tools.generate import tool_environment

    saved = os.environ.get("PATH")
    os.environ["PATH"] = tool_environment()["PATH"]
    try:
        yield
    finally:
        if saved is None:
            del os.environ["PATH"]
        else:
            os.environ["PATH"] = saved


def grade(assignment: str, root: Path, workers: int = 2, db_url: str | None = None,
          timeout_per_notebook: float = DEFAULT_TIMEOUT_PER_NOTEBOOK,
          overrides: list[str] | None = None, progress_stream=sys.stderr,
          students: list[str] | None = None, shard: tuple[int, int] | None = None
          ) -> list[Outcome]:
    """Grade the submissions of ``assignment``: every one, those of the ``students`` named, or
    those of ``shard`` = (K, N) (:func:`shard_of`); one outcome per student, sorted by student."""
    with tool_path():
        return _grade(assignment, root, workers, db_url, timeout_per_notebook,
                      list(overrides or []), progress_stream, students, shard)


def _grade(assignment, root, workers, db_url, timeout_per_notebook, overrides, progress_stream,
           names=None, shard=None):
    config = load_config(root, overrides, db_url)
    coursedir = course_directory(config)
    everyone = list_students(coursedir, assignment)
    students = choose_students(everyone, names, shard, assignment, coursedir)
    expected = expected_notebooks(coursedir, assignment)
    if not expected:
        raise ValueError(f"assignment {assignment!r} has no notebooks in the gradebook "
                         f"{coursedir.db_url}: run nbgrader generate_assignment {assignment}")
    if shard is not None:
        print(f"shard {shard[0]}/{shard[1]}: {len(students)} of the {len(everyone)} students "
              f"with a submission", file=progress_stream, flush=True)
    if not students:
        return []
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    release_folder = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    outcomes = {s: Outcome(s) for s in students}
    started = time.monotonic()
    progress = Progress(len(students), progress_stream)
    with tempfile.TemporaryDirectory(prefix="grade-staging-") as scratch:
        scratch = Path(scratch)
        tasks = []
        for student in students:
            plan = plan_submission(student, submitted / student / assignment, expected)
            outcomes[student].errors += plan.notes
            staged = None
            if plan.needs_staging:
                staged = scratch / "submitted"
                try:
                    stage(plan, release_folder, staged, assignment)
                except OSError as exc:
                    outcomes[student].errors.append(f"could not stage the submission: {exc}")
                    progress.advance(f"{student}: not graded")
                    continue
            tasks.append((student, str(staged) if staged else None))
        limit = timeout_per_notebook * len(expected) if timeout_per_notebook else None
        batch = Batch(assignment, coursedir, outcomes, progress, limit)
        try:
            batch.run(tasks, min(workers, len(tasks)), (str(root), overrides,
                                                        config.CourseDirectory.db_url), scratch)
        finally:
            progress.close()
    read_scores(coursedir, assignment, outcomes)
    record_batch(coursedir, assignment, outcomes, time.monotonic() - started, shard)
    return [outcomes[s] for s in students]


def record_batch(coursedir, assignment: str, outcomes: dict[str, Outcome], seconds: float,
                 shard: tuple[int, int] | None = None) -> None:
    """What the batch knows of each student and nbgrader does not (wall time, timeout, stand-in
    notebook, dead worker), for the class report: ``autograded/<assignment>.batch.json``, or
    for a shard ``autograded/<assignment>.shard-K-of-N.batch.json``, which holds the shard's
    students only."""
    from course_tools.grading_record import write_batch_record

    write_batch_record(Path(coursedir.root) / coursedir.autograded_directory, assignment,
                       {o.student: {"graded": o.graded, "faults": list(o.errors),
                                    "seconds": None if o.seconds is None else round(o.seconds, 3)}
                        for o in outcomes.values()}, seconds, shard)


class Batch:
    """Hands students to the workers, collects results, and enforces the time limit."""

    def __init__(self, assignment: str, coursedir, outcomes: dict[str, Outcome],
                 progress: Progress, limit: float | None):
        self.assignment, self.coursedir, self.outcomes = assignment, coursedir, outcomes
        self.progress, self.limit = progress, limit
        self.slots: list[Slot] = []
        self.queue: list[tuple[str, str | None]] = []

    def run(self, tasks: list[tuple[str, str | None]], workers: int, args: tuple,
            log_dir: Path) -> None:
        self.queue = list(reversed(tasks))
        ctx = multiprocessing.get_context("spawn")
        self.slots = [Slot(i, ctx, args, log_dir) for i in range(workers)]
        try:
            for slot in self.slots:
                slot.start()
            while self.queue or any(slot.student for slot in self.slots):
                self.dispatch()
                live = [s.conn for s in self.slots if s.conn is not None]
                for conn in wait(live, timeout=self.time_left()):
                    self.receive(next(s for s in self.slots if s.conn is conn))
                self.expire()
        finally:
            for slot in self.slots:
                slot.stop(kill=slot.student is not None)

    def dispatch(self) -> None:
        for slot in self.slots:
            if slot.ready and slot.student is None and self.queue:
                student, staged = self.queue.pop()
                slot.conn.send((self.assignment, student, staged))
                slot.student = student
                slot.started = time.monotonic()
                slot.deadline = slot.started + self.limit if self.limit else None

    def time_left(self) -> float | None:
        deadlines = [s.deadline for s in self.slots if s.deadline is not None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def receive(self, slot: Slot) -> None:
        try:
            message = slot.conn.recv()
        except (EOFError, OSError):
            self.worker_died(slot)
            return
        if message[0] == "ready":
            slot.ready = True
            return
        _, student, result = message
        outcome = self.outcomes[student]
        outcome.seconds = self.elapsed(slot)
        outcome.graded = bool(result.get("success"))
        if not outcome.graded:
            outcome.errors.append(condense(result))
            outcome.detail = failure_detail(result)
        slot.student = slot.deadline = slot.started = None
        self.progress.advance(f"{student}: {'graded' if outcome.graded else 'failed'}")

    @staticmethod
    def elapsed(slot: Slot) -> float | None:
        return time.monotonic() - slot.started if slot.started is not None else None

    def expire(self) -> None:
        now = time.monotonic()
        for slot in self.slots:
            if slot.deadline is not None and now >= slot.deadline:
                self.timed_out(slot)

    def replace(self, slot: Slot) -> None:
        """Stop a worker for good; start a fresh one if students are still waiting."""
        slot.stop(kill=True)
        if self.queue:
            slot.start()

    def worker_died(self, slot: Slot) -> None:
        slot.process.join(timeout=5)
        code, tail, student = slot.process.exitcode, slot.log_tail(), slot.student
        seconds = self.elapsed(slot)
        if student is None:
            raise RuntimeError(f"a grading worker could not start (exit code {code}):\n{tail}")
        self.replace(slot)
        outcome = self.outcomes[student]
        outcome.seconds = seconds
        outcome.errors.append(f"the grading process died (exit code {code})")
        outcome.detail = tail
        self.progress.advance(f"{student}: failed")

    def timed_out(self, slot: Slot) -> None:
        student, seconds = slot.student, self.elapsed(slot)
        self.replace(slot)
        # Like nbgrader after a failure: no half-written autograded folder is left behind.
        partial = Path(self.coursedir.format_path(self.coursedir.autograded_directory, student,
                                                  self.assignment))
        if partial.is_dir():
            shutil.rmtree(partial)
        record_zero(self.coursedir, self.assignment, student)
        outcome = self.outcomes[student]
        outcome.graded = True
        outcome.seconds = seconds
        outcome.errors.append(f"timed out after {self.limit:g} s: grading was stopped, 0 points")
        self.progress.advance(f"{student}: timed out")


def default_workers() -> int:
    """One worker more than there are CPUs.

    A worker alternates between its trusted process and the student's kernel, and waits on the
    kernel's messages, so as many workers as CPUs leave a CPU idle now and then (about 5 % on two
    cores, more while workers start). On this course's two-core CI machine, 40 submissions of
    assignment 01 graded 7 % faster with three workers than with two
    (``benchmarks/bench_grading.py``). Each worker holds one kernel, so memory grows with it.
    """
    return (os.cpu_count() or 1) + 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.parallel_grade",
        description="Autograde every submission of an assignment with several worker processes "
                    "(or those of some students, or of one shard of the class).",
        epilog="Other options of the form --Class.trait=VALUE go to nbgrader's configuration.")
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="worker processes (default: the number of CPUs plus one)")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="folder that holds nbgrader_config.py (default: the current one)")
    parser.add_argument("--db-url", help="gradebook URL (default: the course's db_url), e.g. "
                        "postgresql+psycopg://user@host/gradebook for a large class")
    parser.add_argument("--timeout-per-notebook", type=float, default=DEFAULT_TIMEOUT_PER_NOTEBOOK,
                        metavar="S", help="wall-clock seconds per notebook before a student's "
                        f"grading is stopped with 0 points; 0: no limit (default {DEFAULT_TIMEOUT_PER_NOTEBOOK})")
    part = parser.add_mutually_exclusive_group()
    part.add_argument("--shard", metavar="K/N",
                      help="grade only the K-th of N shards (1 <= K <= N) of the students with a "
                      "submission: their sorted names dealt round-robin, so that N runs (e.g. on "
                      "N nodes sharing the course folder and a PostgreSQL gradebook) split the "
                      "class without overlap; the batch record goes to "
                      "autograded/ASSIGNMENT.shard-K-of-N.batch.json")
    part.add_argument("--students", metavar="NAME[,NAME...]",
                      help="grade only these students (each needs a submission); their entries "
                      "of autograded/ASSIGNMENT.batch.json are updated, the others kept")
    import sqlalchemy.exc

    args, overrides = parser.parse_known_args(argv)
    bad = [o for o in overrides if not (o.startswith("--") and "=" in o
                                        and "." in o[2:].split("=", 1)[0])]
    if bad:
        parser.error(f"unrecognised arguments: {' '.join(bad)} "
                     f"(nbgrader options are written --Class.trait=VALUE)")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.timeout_per_notebook < 0:
        parser.error(f"--timeout-per-notebook must be 0 or more, got {args.timeout_per_notebook}")
    try:
        shard = parse_shard(args.shard) if args.shard is not None else None
        names = parse_students(args.students) if args.students is not None else None
    except ValueError as exc:
        parser.error(str(exc))
    root = args.course.resolve()
    if not (root / "nbgrader_config.py").is_file():
        parser.error(f"no nbgrader_config.py in {root}: run from the course folder or pass --course")

    try:
        outcomes = grade(args.assignment, root, args.workers, args.db_url,
                         args.timeout_per_notebook, overrides, students=names, shard=shard)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlalchemy.exc.SQLAlchemyError as exc:
        print(f"error: the gradebook could not be used (busy for longer than its timeout, or "
              f"unreachable): {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the workers were stopped", file=sys.stderr)
        return 130
    if not outcomes:
        part = f" for shard {shard[0]}/{shard[1]}" if shard else ""
        print(f"No submissions of {args.assignment} in {root / 'submitted'}{part}.")
        return 0
    print(summary(outcomes))
    failed = [o for o in outcomes if not o.graded]
    for outcome in failed:
        if outcome.detail:
            print(f"\n--- {outcome.student}: details ---\n{outcome.detail.rstrip()}")
    graded = len(outcomes) - len(failed)
    print(f"\n{graded} of {len(outcomes)} students graded"
          + (f"; not graded: {', '.join(o.student for o in failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
