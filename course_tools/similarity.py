"""Similarity report: solution code that is a near copy of another student's or of course_lib.

For one assignment, the code of every solution cell of each student's notebooks goes into one
Python file per student; copydetect (winnowing, as MOSS does) then compares every student with
every other student and with the reference implementation, the source of the ``course_lib``
functions that the assignment asks students to write (and of the ``course_lib`` helpers those
call). The release notebook's solution cells (signatures, docstrings, ``raise
NotImplementedError()``) are boilerplate: code that every student received is never a match.

copydetect replaces names by placeholders before it compares, so renamed variables and changed
comments do not hide a copy. A pair is *similar* when the larger of its two shares of matching
code reaches the threshold (for the reference: the share of the student's code found in the
reference). A high score is a reason to read both solutions side by side in the HTML report,
not a proof: short formulas written the obvious way can coincide.

Usage::

    python -m course_tools.similarity ASSIGNMENT [--course ROOT] [--from submitted|autograded]
                                                 [--threshold T] [--out DIR]

The summary goes to standard output, copydetect's HTML report (the matching code highlighted) to
``--out`` (default ``<course>/reports/similarity/<assignment>/report.html``), and the pairs to
``pairs.csv`` beside it (the class report, ``course_tools.report``, reads them). A notebook that
cannot be read is skipped with a warning naming the student; a missing assignment or one without
submissions exits with status 2.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

COURSE_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("submitted", "autograded")
REFERENCE = "course_lib reference"
DEFAULT_THRESHOLD = 0.5
# copydetect's k: the shortest run of matching characters of *filtered* code (names replaced by
# one letter, whitespace and comments removed) that counts. ``x = np.asarray(x, dtype=float)``
# filters to ``V=V.V(V,V=float)``, 16 characters; with copydetect's default of 25, that line
# and its neighbours made independent solutions of assignment 01 share a third of their code,
# with 30 a fifth, while renamed copies still match entirely. Window 1 (noise = guarantee)
# fingerprints every k-gram, so the scores do not depend on Python's per-process string hashing.
NOISE_CHARS = 30
# Modules of course_lib that are not the reference implementation of a formula.
NOT_REFERENCE_MODULES = {"grading", "mistakes", "widgets"}


class SimilarityError(Exception):
    """Bad input: no such assignment, no submissions, an invalid threshold."""


class SkippedNotebookWarning(UserWarning):
    """A student's notebook could not be read and is left out of the report."""


@dataclass(frozen=True)
class Pair:
    """Two codes that share at least ``threshold`` of one of them.

    ``other`` is another student's id, or ``REFERENCE`` for course_lib's reference functions.
    ``student_share`` is the share of the student's own (non-boilerplate) code found in the
    other's, ``other_share`` the reverse; ``similarity`` is the larger of the two (for the
    reference, the student's share only: the reference holds much more than one assignment's
    code). ``matching_chars`` counts the matching characters of filtered code.
    """

    student: str
    other: str
    similarity: float
    student_share: float
    other_share: float
    matching_chars: int

    @property
    def with_reference(self) -> bool:
        return self.other == REFERENCE


# ---------------------------------------------------------------------------------------------
# Collecting code
# ---------------------------------------------------------------------------------------------
def solution_code(nb) -> str:
    """The code of a notebook's solution cells (code cells only), in notebook order."""
    return "\n\n".join(cell.source for cell in nb.cells
                       if cell.cell_type == "code"
                       and cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def defined_functions(code: str) -> list[str]:
    """Names of the top-level functions that ``code`` defines, in order.

    Code that is not plain Python (an IPython magic, say) falls back to the ``def`` lines that
    start at the left margin.
    """
    try:
        return [node.name for node in ast.parse(code).body
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    except SyntaxError:
        return re.findall(r"^(?:async\s+)?def\s+(\w+)", code, flags=re.M)


def _reference_modules():
    import course_lib

    for info in sorted(pkgutil.iter_modules(course_lib.__path__), key=lambda m: m.name):
        if info.name not in NOT_REFERENCE_MODULES:
            yield importlib.import_module(f"course_lib.{info.name}")


def reference_functions(names: list[str]) -> list:
    """The course_lib functions with these names, and the course_lib functions they call.

    A name is looked up in every numerical module of course_lib, among the functions the module
    defines itself (not those it imports); helpers are followed through each function's globals.
    """
    wanted, found = set(names), []
    for module in _reference_modules():
        for name in sorted(wanted):
            obj = getattr(module, name, None)
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                found.append(obj)
    todo, seen = list(found), set()
    ordered = []
    while todo:
        func = todo.pop(0)
        if func in seen:
            continue
        seen.add(func)
        ordered.append(func)
        for value in inspect.getclosurevars(func).globals.values():
            if (inspect.isfunction(value) and value.__module__.startswith("course_lib.")
                    and value.__module__.rsplit(".", 1)[-1] not in NOT_REFERENCE_MODULES):
                todo.append(value)
    return ordered


def reference_source(names: list[str]) -> str:
    """The source of ``reference_functions(names)``, one after the other."""
    return "\n\n".join(inspect.getsource(func) for func in reference_functions(names))


def release_notebooks(course_root: Path, assignment: str) -> list[Path]:
    """The release notebooks of an assignment; a clear error if there are none."""
    course_root = Path(course_root)
    if not (course_root / "source" / assignment).is_dir() and not (
            course_root / "release" / assignment).is_dir():
        known = sorted(p.name for p in (course_root / "source").glob("*") if p.is_dir())
        raise SimilarityError(f"no assignment {assignment!r} in {course_root / 'source'} "
                              f"(known: {', '.join(known) or 'none'})")
    notebooks = sorted((course_root / "release" / assignment).glob("*.ipynb"))
    if not notebooks:
        raise SimilarityError(f"assignment {assignment!r} has no release notebook in "
                              f"{course_root / 'release' / assignment}: generate it first "
                              f"(make release)")
    return notebooks


def student_code(course_root: Path, assignment: str, source: str = "submitted"
                 ) -> dict[str, str]:
    """student id -> the code of the solution cells of their notebooks of ``assignment``.

    A notebook that cannot be read, or a student without any notebook, is left out with a
    ``SkippedNotebookWarning`` that names the student.
    """
    if source not in SOURCES:
        raise SimilarityError(f"the source folder must be one of {', '.join(SOURCES)}; "
                              f"got {source!r}")
    base = Path(course_root) / source
    folders = sorted(p for p in base.glob(f"*/{assignment}") if p.is_dir())
    if not folders:
        raise SimilarityError(f"no submissions of {assignment!r} in {base} "
                              f"(expected {base}/<student>/{assignment}/*.ipynb)")
    codes = {}
    for folder in folders:
        student = folder.parent.name
        parts = []
        notebooks = sorted(folder.glob("*.ipynb"))
        if not notebooks:
            warnings.warn(f"{student}: no notebook in {folder}; left out of the report",
                          SkippedNotebookWarning, stacklevel=2)
        for path in notebooks:
            try:
                nb = nbformat.read(path, as_version=4)
                parts.append(solution_code(nb))
            except Exception as err:  # any unreadable notebook: skip it, never stop the report
                warnings.warn(f"{student}: cannot read {path.name} ({type(err).__name__}: "
                              f"{str(err).splitlines()[0] if str(err) else 'no detail'}); "
                              f"left out of the report", SkippedNotebookWarning, stacklevel=2)
        if parts:
            codes[student] = "\n\n".join(parts)
    if not codes:
        raise SimilarityError(f"no readable submission of {assignment!r} in {base}")
    return codes


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------
def _check_threshold(threshold: float) -> float:
    if not 0 < threshold <= 1:
        raise SimilarityError(f"the threshold is a share of code in (0, 1]; got {threshold}")
    return float(threshold)


def similarity_report(course_root: Path, assignment: str, source: str = "submitted",
                      threshold: float = DEFAULT_THRESHOLD, html_report: Path | None = None
                      ) -> list[Pair]:
    """Student pairs and students near the reference whose similarity reaches ``threshold``.

    Sorted by similarity, highest first. With ``html_report``, copydetect's HTML report of the
    same pairs is written to that file (its folder is created).
    """
    from copydetect import CopyDetector

    threshold = _check_threshold(threshold)
    course_root = Path(course_root)
    release = release_notebooks(course_root, assignment)
    codes = student_code(course_root, assignment, source)
    boilerplate = "\n\n".join(solution_code(nbformat.read(p, as_version=4)) for p in release)
    reference = reference_source(defined_functions(boilerplate))

    with tempfile.TemporaryDirectory(prefix="similarity-") as tmp:
        tmp = Path(tmp)
        for folder in ("students", "reference", "boilerplate"):
            (tmp / folder).mkdir()
        detector = CopyDetector(
            extensions=["py"], noise_t=NOISE_CHARS, guarantee_t=NOISE_CHARS,
            display_t=threshold, autoopen=False, silent=True, out_file=str(tmp / "report.html"))
        # Files are added one by one, in a fixed order: copydetect's own folder search returns
        # them in an order that changes from run to run.
        names = {}
        for student, code in codes.items():
            path = tmp / "students" / f"{student}.py"
            path.write_text(code, encoding="utf-8")
            names[str(path)] = student
            detector.add_file(str(path), type="testref")
        if reference:
            path = tmp / "reference" / "course_lib.py"
            path.write_text(reference, encoding="utf-8")
            names[str(path)] = REFERENCE
            detector.add_file(str(path), type="ref")
        path = tmp / "boilerplate" / "release.py"
        path.write_text(boilerplate, encoding="utf-8")
        detector.add_file(str(path), type="boilerplate")
        detector.run()
        pairs = _pairs(detector, names, threshold)
        if html_report is not None:
            with warnings.catch_warnings():
                # copydetect 0.5 reads its template with importlib.resources.open_text.
                warnings.filterwarnings("ignore", "open_text is deprecated", DeprecationWarning)
                page = detector.generate_html_report(output_mode="return")
            html_report = Path(html_report)
            html_report.parent.mkdir(parents=True, exist_ok=True)
            html_report.write_text(page.replace(str(tmp) + "/", ""), encoding="utf-8")
    return pairs


def _pairs(detector, names: dict[str, str], threshold: float) -> list[Pair]:
    sim, overlap = detector.similarity_matrix, detector.token_overlap_matrix
    best: dict[tuple[str, str], Pair] = {}
    for i, test_file in enumerate(detector.test_files):
        for j, ref_file in enumerate(detector.ref_files):
            if sim[i, j, 0] < 0:  # not compared (the same file)
                continue
            student, other = names[test_file], names[ref_file]
            student_share, other_share = float(sim[i, j, 0]), float(sim[i, j, 1])
            if other == REFERENCE:
                key, similarity = (student, other), student_share
            else:
                if other < student:
                    student, other = other, student
                    student_share, other_share = other_share, student_share
                key, similarity = (student, other), max(student_share, other_share)
            if similarity >= threshold and key not in best:
                best[key] = Pair(student, other, round(similarity, 4), round(student_share, 4),
                                 round(other_share, 4), int(overlap[i, j]))
    return sorted(best.values(), key=lambda p: (-p.similarity, p.student, p.other))


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------
def format_summary(pairs: list[Pair], assignment: str, threshold: float) -> str:
    """The plain-text summary: student pairs, then students near the reference."""
    lines = [f"Similarity of the solution code of {assignment} (threshold {threshold:.0%})", "",
             "Student pairs:"]
    students = [p for p in pairs if not p.with_reference]
    lines += [f"  {p.similarity:4.0%}  {p.student} <-> {p.other}   ({p.student_share:.0%} of "
              f"{p.student}'s code is in {p.other}'s, {p.other_share:.0%} the other way)"
              for p in students] or ["  none above the threshold"]
    lines += ["", "Near the course_lib reference:"]
    lines += [f"  {p.similarity:4.0%}  {p.student}   ({p.student_share:.0%} of their code is "
              f"in course_lib)" for p in pairs if p.with_reference] or [
        "  none above the threshold"]
    return "\n".join(lines)


PAIRS_CSV = "pairs.csv"
PAIRS_HEADER = ["student", "other", "similarity", "student_share", "other_share",
                "matching_chars"]


def write_pairs(pairs: list[Pair], path: Path) -> None:
    """The pairs as CSV, one row each, highest similarity first."""
    import csv

    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PAIRS_HEADER)
        writer.writerows([p.student, p.other, p.similarity, p.student_share, p.other_share,
                          p.matching_chars] for p in pairs)


def _threshold(text: str) -> float:
    try:
        return _check_threshold(float(text))
    except (ValueError, SimilarityError) as err:
        raise argparse.ArgumentTypeError(
            f"must be a number in (0, 1], such as 0.5; got {text!r}") from err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.similarity",
        description="Report solution code that is a near copy of another student's or of "
                    "course_lib's reference implementation.")
    parser.add_argument("assignment")
    parser.add_argument("--course", type=Path, default=COURSE_ROOT,
                        help="the course folder (holds nbgrader_config.py); default: this one")
    parser.add_argument("--from", dest="source", choices=SOURCES, default="submitted",
                        help="read <course>/submitted (default) or <course>/autograded")
    parser.add_argument("--threshold", type=_threshold, default=DEFAULT_THRESHOLD,
                        help=f"report a pair when this share of one code is found in the "
                             f"other (default {DEFAULT_THRESHOLD})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder of the HTML report; default "
                             "<course>/reports/similarity/<assignment>")
    args = parser.parse_args(argv)
    out = args.out or args.course / "reports" / "similarity" / args.assignment
    report = out / "report.html"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SkippedNotebookWarning)
        try:
            pairs = similarity_report(args.course, args.assignment, args.source,
                                      args.threshold, html_report=report)
        except SimilarityError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    for warning in caught:
        if issubclass(warning.category, SkippedNotebookWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    write_pairs(pairs, out / PAIRS_CSV)
    print(format_summary(pairs, args.assignment, args.threshold))
    print(f"\nHTML report (matching code highlighted): {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
