"""Class report: what an instructor learns from a graded batch of one assignment.

Reads what grading recorded, and changes none of it:

- the gradebook (SQLite or PostgreSQL, through nbgrader's ``Gradebook``): every score, which
  cells wait for a person, the static scan's flags (``course_tools.static_scan`` writes them as
  automatic comments) and the submission ids that formgrader's pages are named by;
- the autograded notebooks: the hints that the public tests printed ("Hint (<mistake>): ...",
  ``course_lib.grading``), and the kernel faults that grading wrote into cells (a dead kernel,
  unreadable kernel messages, the notebook's time limit, a cell interrupted after its timeout);
- ``course_tools.grading_record``'s files: grading time per notebook, and the faults that only
  ``make grade`` knows (a timeout, a corrupt or renamed notebook and what was graded instead);
  a class graded in shards (``parallel_grade --shard K/N``) has one batch record per shard, which
  are read together (``grading_record.read_batch_records``);
- the similarity report's pairs (``make similarity`` writes
  ``reports/similarity/<assignment>/pairs.csv``), for each student's nearest neighbour: the
  other student, or the course_lib reference, that shares the most code with them above the
  similarity report's threshold. Comparing every pair is quadratic in the class size, so the
  class report reads that file rather than comparing again.

It writes ``<out>/index.html``, one self-contained page (plots embedded as PNG, with alt text),
and CSV files beside it: ``students.csv``, ``test_cells.csv``, ``mistakes.csv``, ``flags.csv``,
``waiting_for_grade.csv``, ``notebooks.csv``.

Usage::

    python -m course_tools.report ASSIGNMENT [--course ROOT] [--db-url URL] [--out DIR]
                                             [--formgrader-url URL] [--similarity CSV]

``--out`` defaults to ``<course>/reports/<assignment>``. An autograded notebook that cannot be
read is listed in the report (and on standard error) and the report goes on without it; an
unknown assignment, one the gradebook does not hold, or one without graded submissions exits
with status 2 and says which.
"""
from __future__ import annotations

import argparse
import ast
import base64
import csv
import html
import io
import json
import re
import sys
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from course_tools.grading_record import read_batch_records, read_json, sidecar_name
from course_tools.sandbox import KERNEL_DIED, KERNEL_GARBLED, NOTEBOOK_TIME_LIMIT
from course_tools.static_scan import REVIEW_HEADING

COURSE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FORMGRADER_URL = "http://localhost:8888/formgrader"
#: "Hint (<mistake name>): <what to do>", as course_lib.grading prints it; a name may hold one
#: level of parentheses ("returns σ(x)").
HINT = re.compile(r"Hint \(((?:[^()\n]|\([^()\n]*\))+)\): ")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Error outputs that grading writes into a cell when the kernel fails (course_tools.sandbox).
KERNEL_FAULTS = {
    KERNEL_DIED: "the kernel died",
    KERNEL_GARBLED: "the kernel's messages could not be read",
    NOTEBOOK_TIME_LIMIT: "the notebook reached its time limit",
}
#: A cell that ran into nbgrader's cell timeout is interrupted: it ends in a KeyboardInterrupt.
CELL_TIMEOUT_ERROR = "KeyboardInterrupt"
HIDDEN_TESTS_MARKER = "BEGIN HIDDEN TESTS"
SLOWEST = 10
TOP_MISTAKES = 15


class ReportError(Exception):
    """Bad input: an unknown assignment, a gradebook without it, no graded submissions."""


class UnreadableNotebookWarning(UserWarning):
    """An autograded notebook could not be read; the report goes on without it."""


# ---------------------------------------------------------------------------------------------
# What the report holds
# ---------------------------------------------------------------------------------------------
@dataclass
class TestCell:
    """One autograded test cell of the assignment, over the whole batch."""

    notebook: str
    name: str
    max_score: float
    public: bool
    function: str | None
    passed: int = 0
    graded: int = 0
    points_lost: float = 0.0

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None


@dataclass
class Mistake:
    """A named mistake whose hint public tests of one graded function printed."""

    function: str
    name: str
    students: list[str] = field(default_factory=list)  # who lost points with it, sorted
    shown: int = 0  # test cells that printed it, over the batch


@dataclass
class Flag:
    student: str
    notebook: str
    cell: str
    category: str
    reason: str


@dataclass
class Student:
    student: str
    automatic: float = 0.0
    manual: float = 0.0
    total: float = 0.0
    max_score: float = 0.0
    failed_tests: list[str] = field(default_factory=list)
    hints: list[tuple[str, str]] = field(default_factory=list)  # (function, mistake), sorted
    flags: list[Flag] = field(default_factory=list)
    neighbour: tuple[str, float] | None = None
    seconds: float | None = None
    faults: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # written answers without a grade
    links: dict[str, str] = field(default_factory=dict)  # notebook -> formgrader page


@dataclass
class NotebookTime:
    student: str
    notebook: str
    seconds: float


@dataclass
class ClassReport:
    assignment: str
    students: list[Student]
    cells: list[TestCell]
    mistakes: list[Mistake]
    max_automatic: float
    max_manual: float
    notebook_times: list[NotebookTime]
    unreadable: list[str]
    similarity_note: str = ""
    batch_seconds: float | None = None
    batch_shards: tuple[int, int] | None = None  # (shards recorded, N) of a sharded batch

    @property
    def waiting(self) -> list[tuple[str, str]]:
        """(student, "notebook/cell") of every written answer still waiting for a grade."""
        return [(s.student, w) for s in self.students for w in s.waiting]

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds for t in self.notebook_times)

    @property
    def slowest(self) -> list[NotebookTime]:
        return sorted(self.notebook_times, key=lambda t: (-t.seconds, t.student))[:SLOWEST]


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile), interpolated linearly between the values."""
    q1, median, q3 = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return float(q1), float(median), float(q3)


# ---------------------------------------------------------------------------------------------
# Reading the gradebook
# ---------------------------------------------------------------------------------------------
def load_config(course_root: Path, db_url: str | None):
    from course_tools.parallel_grade import course_directory, load_config as grading_config

    return course_directory(grading_config(course_root, [], db_url))


def _known_assignments(course_root: Path, gb) -> list[str]:
    names = {a.name for a in gb.assignments}
    names |= {p.name for p in (course_root / "source").glob("*") if p.is_dir()}
    return sorted(names)


def _graded_function(test_source: str, solution_functions: set[str]) -> str | None:
    """The first function of the solution cells that a test cell's code names."""
    try:
        # ast.walk is breadth first: order the names as they stand in the code.
        positions = {}
        for node in ast.walk(ast.parse(test_source)):
            if isinstance(node, ast.Name) and node.id in solution_functions:
                positions[node.id] = min(positions.get(node.id, (1 << 30, 0)),
                                         (node.lineno, node.col_offset))
        if positions:
            return min(positions, key=positions.get)
    except SyntaxError:
        found = [(m.start(), m.group(0)) for name in solution_functions
                 for m in re.finditer(rf"\b{re.escape(name)}\b", test_source)]
        if found:
            return min(found)[1]
    return None


def _defined_functions(code: str) -> set[str]:
    try:
        return {node.name for node in ast.parse(code).body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    except SyntaxError:
        return set(re.findall(r"^(?:async\s+)?def\s+(\w+)", code, flags=re.M))


def _flags_of(comment: str) -> list[tuple[str, str]]:
    """(category, reason) of each flag in the static scan's comment."""
    found = []
    for line in comment.splitlines():
        match = re.match(r"- (?:code cell \d+, )?line \d+ \(([^)]+)\): (.*)", line.strip())
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def read_gradebook(coursedir, course_root: Path, assignment: str):
    """The assignment's test cells, its students' grades, comments and submission ids."""
    from nbgrader.api import (BaseCell, Comment, Gradebook, Grade, GradeCell, MissingEntry,
                              Notebook, SubmittedAssignment, SubmittedNotebook)

    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            found = gb.find_assignment(assignment)
        except MissingEntry:
            known = _known_assignments(course_root, gb)
            if assignment in known:
                raise ReportError(
                    f"the gradebook {coursedir.db_url} has no assignment {assignment!r}: run "
                    f"nbgrader generate_assignment {assignment}, then grade it "
                    f"(make grade ASSIGNMENT={assignment})") from None
            raise ReportError(f"no assignment {assignment!r} in the gradebook or in "
                              f"{course_root / 'source'} (known: {', '.join(known) or 'none'})"
                              ) from None
        cells = {}
        for notebook in found.notebooks:
            functions = set()
            for solution in notebook.solution_cells:
                source = next((s.source for s in notebook.source_cells
                               if s.name == solution.name), "") or ""
                functions |= _defined_functions(source)
            sources = {s.name: s.source or "" for s in notebook.source_cells}
            for cell in notebook.grade_cells:
                if cell.cell_type != "code":
                    continue
                text = sources.get(cell.name, "")
                cells[(notebook.name, cell.name)] = TestCell(
                    notebook.name, cell.name, cell.max_score, HIDDEN_TESTS_MARKER not in text,
                    _graded_function(text, functions))
        max_auto = sum(c.max_score for nb in found.notebooks for c in nb.grade_cells
                       if c.cell_type == "code")
        max_manual = sum(c.max_score for nb in found.notebooks for c in nb.grade_cells
                         if c.cell_type == "markdown")
        grades = (gb.db.query(SubmittedAssignment.student_id, Notebook.name, GradeCell.name,
                              GradeCell.cell_type, GradeCell.max_score, Grade.score,
                              Grade.auto_score, Grade.manual_score, Grade.needs_manual_grade,
                              SubmittedNotebook.id)
                  .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                  .join(SubmittedAssignment,
                        SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                  .join(GradeCell, Grade.cell_id == GradeCell.id)
                  .join(Notebook, GradeCell.notebook_id == Notebook.id)
                  .filter(SubmittedAssignment.assignment_id == found.id)
                  .all())
        comments = (gb.db.query(SubmittedAssignment.student_id, Notebook.name, BaseCell.name,
                                Comment.auto_comment)
                    .join(SubmittedNotebook, Comment.notebook_id == SubmittedNotebook.id)
                    .join(SubmittedAssignment,
                          SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                    .join(BaseCell, Comment.cell_id == BaseCell.id)
                    .join(Notebook, BaseCell.notebook_id == Notebook.id)
                    .filter(SubmittedAssignment.assignment_id == found.id)
                    .filter(Comment.auto_comment.like(f"%{REVIEW_HEADING}%"))
                    .all())
    return cells, float(max_auto), float(max_manual), grades, comments


# ---------------------------------------------------------------------------------------------
# Reading the autograded notebooks
# ---------------------------------------------------------------------------------------------
def _output_text(output: dict) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
    elif kind == "error":
        text = "\n".join([output.get("evalue", ""), *output.get("traceback", [])])
    else:
        text = output.get("data", {}).get("text/plain", "")
    return ANSI.sub("", "".join(text) if isinstance(text, list) else str(text))


def read_autograded(path: Path) -> tuple[dict[str, set[str]], list[str]]:
    """grade_id -> the mistake names its outputs hint at, and the kernel faults in the notebook.

    Raises ``ValueError`` (with the reason) for a file that is not a readable notebook.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("its cells are not a list")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                         ) from None
    hints, faults = {}, []
    for position, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        outputs = cell.get("outputs", [])
        errors = [o.get("ename") for o in outputs if o.get("output_type") == "error"]
        for ename in errors:
            if ename in KERNEL_FAULTS:
                fault = KERNEL_FAULTS[ename]
                if fault not in faults:
                    faults.append(fault)
            elif ename == CELL_TIMEOUT_ERROR:
                where = meta.get("grade_id") or f"code cell {position + 1}"
                faults.append(f"{where} was interrupted (cell timeout)")
        if meta.get("grade"):
            names = {m.group(1) for o in outputs for m in HINT.finditer(_output_text(o))}
            if names:
                hints[meta.get("grade_id")] = names
    return hints, faults


# ---------------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------------
def similarity_pairs_path(course_root: Path, assignment: str) -> Path:
    from course_tools.similarity import PAIRS_CSV

    return Path(course_root) / "reports" / "similarity" / assignment / PAIRS_CSV


def nearest_neighbours(pairs_csv: Path, assignment: str) -> tuple[dict, str]:
    """student -> (nearest other student or the course_lib reference, similarity), from the
    similarity report's pairs, and a note when there are none to read."""
    from course_tools.similarity import REFERENCE

    try:
        with Path(pairs_csv).open(newline="", encoding="utf-8") as f:
            pairs = [(r["student"], r["other"], float(r["similarity"]))
                     for r in csv.DictReader(f)]
    except FileNotFoundError:
        return {}, (f"no similarity report in {pairs_csv}: run make similarity "
                    f"ASSIGNMENT={assignment} for the nearest neighbours")
    except (OSError, KeyError, ValueError) as err:
        return {}, f"the similarity report {pairs_csv} cannot be read ({err})"
    best: dict[str, tuple[str, float]] = {}
    for student, other, similarity in sorted(pairs, key=lambda p: -p[2]):
        best.setdefault(student, (other, similarity))
        if other != REFERENCE:
            best.setdefault(other, (student, similarity))
    return best, ""


def _progress(items, description: str, show: bool):
    from tqdm import tqdm

    return tqdm(items, desc=description, unit="notebook", disable=None if show else True,
                leave=False, file=sys.stderr)


def in_notebook_order(cells: list[TestCell], course_root: Path, assignment: str
                      ) -> list[TestCell]:
    """Test cells in the order of the source notebooks (by name where there is none)."""
    position = {}
    for path in sorted((course_root / "source" / assignment).glob("*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for i, cell in enumerate(nb.get("cells", [])):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id:
                position[(path.stem, grade_id)] = i
    return sorted(cells, key=lambda c: (c.notebook, position.get((c.notebook, c.name), 1 << 30),
                                        c.name))


def build_report(course_root: Path, assignment: str, db_url: str | None = None,
                 formgrader_url: str = DEFAULT_FORMGRADER_URL, similarity: Path | None = None,
                 progress: bool = True) -> ClassReport:
    """Read the graded batch of ``assignment`` and compute every figure of the report.

    ``similarity`` is the similarity report's pairs.csv (default: where ``make similarity``
    writes it). An autograded notebook that cannot be read is left out with an
    ``UnreadableNotebookWarning`` and listed in ``ClassReport.unreadable``.
    """
    course_root = Path(course_root).resolve()
    coursedir = load_config(course_root, db_url)
    cells, max_auto, max_manual, grades, comments = read_gradebook(coursedir, course_root,
                                                                   assignment)
    if not grades:
        raise ReportError(f"no graded submissions of {assignment!r} in the gradebook "
                          f"{coursedir.db_url}: grade them first (make grade "
                          f"ASSIGNMENT={assignment})")
    students: dict[str, Student] = {}
    lost_by: dict[tuple[str, str], set[str]] = defaultdict(set)  # (notebook, cell) -> students
    notebook_ids: dict[tuple[str, str], str] = {}
    for (student, notebook, cell, cell_type, max_score, score, auto, manual, needs_manual,
         submission_id) in grades:
        row = students.setdefault(student, Student(student, max_score=max_auto + max_manual))
        notebook_ids[(student, notebook)] = submission_id
        score = float(score or 0.0)
        if cell_type == "code":
            row.automatic += score
            test = cells[(notebook, cell)]
            test.graded += 1
            if score >= max_score:
                test.passed += 1
            else:
                test.points_lost += max_score - score
                row.failed_tests.append(cell)
                lost_by[(notebook, cell)].add(student)
        else:
            row.manual += score
            if needs_manual and manual is None:
                row.waiting.append(f"{notebook}/{cell}")
        row.total += score
    for student, notebook, cell, comment in comments:
        for category, reason in _flags_of(comment or ""):
            students[student].flags.append(Flag(student, notebook, cell, category, reason))
    for (student, notebook), submission_id in notebook_ids.items():
        students[student].links[notebook] = (f"{formgrader_url.rstrip('/')}/submissions/"
                                             f"{submission_id}/")

    autograded_root = Path(coursedir.root) / coursedir.autograded_directory
    batch = read_batch_records(autograded_root, assignment)
    recorded = batch.get("students", {})
    notebooks = sorted({nb for _, nb in notebook_ids})
    unreadable, times = [], []
    mistakes: dict[tuple[str, str], Mistake] = {}
    test_of = {(c.notebook, c.name): c for c in cells.values()}
    for student, notebook in _progress(sorted(notebook_ids), f"reading {assignment}", progress):
        row = students[student]
        folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        path = folder / f"{notebook}.ipynb"
        sidecar = read_json(folder / sidecar_name(notebook)) or {}
        if isinstance(sidecar.get("seconds"), (int, float)):
            times.append(NotebookTime(student, notebook, float(sidecar["seconds"])))
        if not path.exists():
            if not recorded.get(student, {}).get("faults"):
                row.faults.append(f"{notebook}.ipynb has no autograded notebook")
            continue
        try:
            hints, faults = read_autograded(path)
        except ValueError as exc:
            message = f"{student}: cannot read {path.name} ({exc})"
            unreadable.append(message)
            row.faults.append(f"the autograded {path.name} cannot be read")
            warnings.warn(f"{message}; left out of the report", UnreadableNotebookWarning,
                          stacklevel=2)
            continue
        row.faults += faults
        seen = set()
        for cell, names in hints.items():
            test = test_of.get((notebook, cell))
            if test is None or not test.public:
                continue
            function = test.function or cell
            for name in sorted(names):
                mistake = mistakes.setdefault((function, name), Mistake(function, name))
                mistake.shown += 1
                if student in lost_by[(notebook, cell)] and (function, name) not in seen:
                    seen.add((function, name))
                    mistake.students.append(student)
        row.hints = sorted(seen)
    for student, facts in recorded.items():
        if student in students:
            students[student].faults = list(facts.get("faults", [])) + students[student].faults
            if facts.get("seconds") is not None and not any(t.student == student
                                                            for t in times):
                times.append(NotebookTime(student, "(whole submission)", float(facts["seconds"])))
    per_student = defaultdict(float)
    for t in times:
        per_student[t.student] += t.seconds
    for student, seconds in per_student.items():
        students[student].seconds = seconds

    neighbours, note = nearest_neighbours(
        similarity or similarity_pairs_path(course_root, assignment), assignment)
    for student, neighbour in neighbours.items():
        if student in students:
            students[student].neighbour = neighbour
    for mistake in mistakes.values():
        mistake.students.sort()
    ordered = sorted(mistakes.values(), key=lambda m: (-len(m.students), -m.shown, m.function,
                                                       m.name))
    return ClassReport(assignment, [students[s] for s in sorted(students)],
                       in_notebook_order(list(cells.values()), course_root, assignment), ordered, max_auto, max_manual, times, unreadable,
                       note, batch.get("seconds"),
                       tuple(batch["shards"]) if batch.get("shards") else None)


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------
def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plot_scores(report: ClassReport) -> tuple[str, str]:
    import matplotlib.pyplot as plt

    parts = [("automatic", [s.automatic for s in report.students], report.max_automatic),
             ("manual", [s.manual for s in report.students], report.max_manual),
             ("total", [s.total for s in report.students],
              report.max_automatic + report.max_manual)]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), constrained_layout=True)
    alt = []
    for ax, (title, values, top) in zip(axes, parts):
        bins = np.linspace(0, max(top, 1), 11)
        ax.hist(values, bins=bins, color="#4c72b0", edgecolor="white")
        q1, median, q3 = quartiles(values)
        ax.axvline(median, color="#c44e52", linewidth=2, label=f"median {median:g}")
        ax.axvspan(q1, q3, color="#c44e52", alpha=0.12, label=f"quartiles {q1:g}–{q3:g}")
        ax.set_title(f"{title} (of {top:g})")
        ax.set_xlabel("points")
        ax.set_ylabel("students")
        ax.legend(fontsize=8, loc="upper left")
        alt.append(f"{title}: median {median:g} of {top:g}, quartiles {q1:g} and {q3:g}")
    return _png(fig), (f"Histograms of the {len(report.students)} students' scores. "
                       + "; ".join(alt) + ".")


def plot_pass_rates(report: ClassReport) -> tuple[str, str]:
    import matplotlib.pyplot as plt

    cells = [c for c in report.cells if c.graded]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(cells) + 1), constrained_layout=True)
    rates = [100 * c.pass_rate for c in cells]
    colours = ["#55a868" if c.public else "#8172b2" for c in cells]
    ax.barh(range(len(cells)), rates, color=colours)
    ax.set_yticks(range(len(cells)), [c.name for c in cells], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed (%)  —  green: public test, purple: hidden test")
    worst = sorted(cells, key=lambda c: (c.pass_rate, c.name))[:3]
    return _png(fig), ("Bar chart of the pass rate of each test cell, in notebook order. Lowest: "
                       + ", ".join(f"{c.name} {100 * c.pass_rate:.0f} %" for c in worst) + ".")


def plot_mistakes(report: ClassReport) -> tuple[str, str] | None:
    import matplotlib.pyplot as plt

    top = [m for m in report.mistakes if m.students][:TOP_MISTAKES]
    if not top:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(top) + 1), constrained_layout=True)
    ax.barh(range(len(top)), [len(m.students) for m in top], color="#dd8452")
    ax.set_yticks(range(len(top)), [f"{m.function}: {m.name}" for m in top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("students who lost points with this mistake")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig), ("Bar chart of the most frequent mistakes: "
                       + ", ".join(f"{m.function} {m.name} ({len(m.students)})"
                                   for m in top[:5]) + ".")


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fault td { background: #fff3f3; } tr.flagged td:first-child { border-left: 4px solid #c44e52; }
.figure { max-width: 100%; } .note { color: #666; } .low { color: #b22; font-weight: 600; }
code { background: #f4f4f4; padding: 0 .2em; }
"""


def _e(value) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        cells = "\n".join(f'<td class="num">{c}</td>' if j in numeric else f"<td>{c}</td>"
                          for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{chr(10).join(body)}</tbody></table>"


def _figure(plot: tuple[str, str] | None) -> str:
    if plot is None:
        return '<p class="note">No named mistake cost any student points.</p>'
    data, alt = plot
    return f'<img class="figure" src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def render_html(report: ClassReport) -> str:
    n = len(report.students)
    rows = []
    for title, values, top in (("automatic", [s.automatic for s in report.students],
                                report.max_automatic),
                               ("manual", [s.manual for s in report.students], report.max_manual),
                               ("total", [s.total for s in report.students],
                                report.max_automatic + report.max_manual)):
        q1, median, q3 = quartiles(values)
        rows.append([title, f"{top:g}", f"{median:g}", f"{q1:g}", f"{q3:g}",
                     f"{min(values):g}", f"{max(values):g}"])
    parts = [f"<h1>Class report: {_e(report.assignment)}</h1>",
             f"<p>{n} graded submissions. {len(report.waiting)} written answers wait for a "
             f"grade; {sum(1 for s in report.students if s.flags)} submissions are flagged; "
             f"{sum(1 for s in report.students if s.faults)} had a grading fault.</p>"]
    if report.unreadable:
        parts.append("<p class='low'>Autograded notebooks that could not be read (left out):</p>"
                     "<ul>" + "".join(f"<li>{_e(u)}</li>" for u in report.unreadable) + "</ul>")
    parts += ["<h2>Scores</h2>",
              _table(["score", "of", "median", "first quartile", "third quartile", "lowest",
                      "highest"], rows, numeric={1, 2, 3, 4, 5, 6}),
              _figure(plot_scores(report))]

    parts.append("<h2>Test cells</h2>")
    cell_rows = [[_e(c.name), "public" if c.public else "hidden", _e(c.function or ""),
                  f"{c.max_score:g}",
                  (f'<span class="low">{100 * c.pass_rate:.0f} %</span>' if c.pass_rate < 0.5
                   else f"{100 * c.pass_rate:.0f} %") if c.graded else "",
                  f"{c.passed}/{c.graded}", f"{c.points_lost:g}"] for c in report.cells]
    parts += [_table(["test cell", "kind", "graded function", "points", "pass rate", "passed",
                      "points lost in total"], cell_rows, numeric={3, 4, 5, 6}),
              _figure(plot_pass_rates(report))]

    parts.append("<h2>Mistakes the public tests named</h2>"
                 "<p class='note'>Per graded function, sorted by the students it cost points "
                 "(a hint printed by a test that still passed is counted under “shown” only)."
                 "</p>")
    parts.append(_table(["graded function", "mistake", "students who lost points", "shown",
                         "who"],
                        [[_e(m.function), _e(m.name), str(len(m.students)), str(m.shown),
                          _e(", ".join(m.students))] for m in report.mistakes],
                        numeric={2, 3}) if report.mistakes else
                 "<p class='note'>No public test printed a hint.</p>")
    parts.append(_figure(plot_mistakes(report)))

    parts.append("<h2>Students</h2>")
    if report.similarity_note:
        parts.append(f"<p class='note'>{_e(report.similarity_note)}</p>")
    student_rows, classes = [], []
    for s in report.students:
        links = " ".join(f'<a href="{_e(url)}">{_e(nb)}</a>' for nb, url in s.links.items())
        flags = "<br>".join(f"{_e(f.cell)}: <b>{_e(f.category)}</b> — {_e(f.reason)}"
                            for f in s.flags)
        neighbour = (f"{_e(s.neighbour[0])} ({100 * s.neighbour[1]:.0f} %)" if s.neighbour
                     else "")
        student_rows.append([
            _e(s.student), f"{s.total:g} / {s.max_score:g}", f"{s.automatic:g}",
            f"{s.manual:g}", _e(", ".join(s.failed_tests)),
            _e(", ".join(f"{fn}: {name}" for fn, name in s.hints)), flags, neighbour,
            _seconds(s.seconds), _e("; ".join(s.faults)), links])
        classes.append(" ".join(filter(None, ["fault" if s.faults else "",
                                              "flagged" if s.flags else ""])))
    parts.append(_table(["student", "score", "automatic", "manual", "failed tests",
                         "hints received", "flags (static scan)", "nearest neighbour",
                         "grading time (s)", "faults", "formgrader"], student_rows,
                        numeric={1, 2, 3, 8}, classes=classes))

    parts.append("<h2>Written answers waiting for a grade</h2>")
    waiting = defaultdict(list)
    for student, cell in report.waiting:
        waiting[cell].append(student)
    parts.append(_table(["answer", "waiting", "students"],
                        [[_e(c), str(len(w)), _e(", ".join(w))] for c, w in sorted(waiting.items())],
                        numeric={1}) if waiting else "<p>None: every written answer is graded.</p>")

    parts.append("<h2>Grading time</h2>")
    if report.notebook_times:
        total = report.total_seconds
        batch = (f"; the batch took {report.batch_seconds:.1f} s of wall time"
                 if report.batch_seconds else "")
        if report.batch_seconds and report.batch_shards:
            recorded, n = report.batch_shards
            batch += (f" in {n} shards, from the first one's start to the last one's end"
                      + (f" ({recorded} of the {n} shards recorded)" if recorded != n else ""))
        parts.append(f"<p>{len(report.notebook_times)} notebooks took {total:.1f} s to grade in "
                     f"total ({total / len(report.notebook_times):.1f} s each on average){batch}."
                     f"</p>")
        parts.append(_table(["student", "notebook", "seconds"],
                            [[_e(t.student), _e(t.notebook), f"{t.seconds:.1f}"]
                             for t in report.slowest], numeric={2}))
    else:
        parts.append("<p class='note'>No grading time was recorded (grading predates "
                     "course_tools.grading_record).</p>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>Class report: {_e(report.assignment)}</title><style>{STYLE}</style>"
            "</head><body>" + "\n".join(parts) + "</body></html>\n")


def _write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_report(report: ClassReport, out: Path) -> Path:
    """Write index.html and the CSV files into ``out``; returns the page's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "students.csv",
               ["student", "total", "automatic", "manual", "max_score", "failed_tests", "hints",
                "flags", "nearest_neighbour", "similarity", "grading_seconds", "faults",
                "formgrader"],
               [[s.student, s.total, s.automatic, s.manual, s.max_score,
                 ";".join(s.failed_tests), ";".join(f"{fn}: {n}" for fn, n in s.hints),
                 ";".join(f"{f.cell}: {f.category}" for f in s.flags),
                 s.neighbour[0] if s.neighbour else "", s.neighbour[1] if s.neighbour else "",
                 "" if s.seconds is None else round(s.seconds, 3), ";".join(s.faults),
                 " ".join(s.links.values())] for s in report.students])
    _write_csv(out / "test_cells.csv",
               ["notebook", "test_cell", "kind", "graded_function", "max_score", "graded",
                "passed", "pass_rate", "points_lost"],
               [[c.notebook, c.name, "public" if c.public else "hidden", c.function or "",
                 c.max_score, c.graded, c.passed,
                 "" if c.pass_rate is None else round(c.pass_rate, 6), c.points_lost]
                for c in report.cells])
    _write_csv(out / "mistakes.csv", ["graded_function", "mistake", "students", "shown", "who"],
               [[m.function, m.name, len(m.students), m.shown, ";".join(m.students)]
                for m in report.mistakes])
    _write_csv(out / "flags.csv", ["student", "notebook", "cell", "category", "reason"],
               [[f.student, f.notebook, f.cell, f.category, f.reason]
                for s in report.students for f in s.flags])
    _write_csv(out / "waiting_for_grade.csv", ["student", "answer"], report.waiting)
    _write_csv(out / "notebooks.csv", ["student", "notebook", "grading_seconds"],
               [[t.student, t.notebook, t.seconds] for t in
                sorted(report.notebook_times, key=lambda t: (-t.seconds, t.student))])
    page = out / "index.html"
    page.write_text(render_html(report), encoding="utf-8")
    return page


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.report",
        description="Write the class report of a graded assignment: scores, test cells, the "
                    "mistakes the hints named, flags, similarity, faults and grading time.")
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=COURSE_ROOT,
                        help="the course folder (holds nbgrader_config.py); default: this one")
    parser.add_argument("--db-url", help="gradebook URL (default: the course's db_url)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder of the report; default <course>/reports/<assignment>")
    parser.add_argument("--formgrader-url", default=DEFAULT_FORMGRADER_URL,
                        help=f"formgrader's address, for the links to each submission "
                             f"(default {DEFAULT_FORMGRADER_URL}; on a hub "
                             f"https://HUB/user/INSTRUCTOR/formgrader)")
    parser.add_argument("--similarity", type=Path, default=None, metavar="CSV",
                        help="the similarity report's pairs (default "
                             "<course>/reports/similarity/<assignment>/pairs.csv, written by "
                             "make similarity)")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        parser.error(f"no nbgrader_config.py in {course}: pass --course")
    out = args.out or course / "reports" / args.assignment
    import sqlalchemy.exc

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnreadableNotebookWarning)
        try:
            report = build_report(course, args.assignment, args.db_url, args.formgrader_url,
                                  similarity=args.similarity)
        except ReportError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except sqlalchemy.exc.SQLAlchemyError as err:
            print(f"error: the gradebook could not be read: {str(err).splitlines()[0]}",
                  file=sys.stderr)
            return 2
    for warning in caught:
        if issubclass(warning.category, UnreadableNotebookWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
    page = write_report(report, out)
    print(f"Class report of {args.assignment}: {len(report.students)} submissions, "
          f"{len(report.waiting)} written answers waiting, "
          f"{sum(1 for s in report.students if s.flags)} flagged.")
    print(f"HTML report: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
