"""Each assignment's test material, found by folder, and the one builder of submissions.

Every assignment of ``source/`` has a folder ``tests/assignments/<assignment>/`` beside this
file::

    fixtures.toml         fixture submissions that the real nbgrader pipeline grades: the answer
                          key, the untouched release, common mistakes (with the cells they must
                          fail and the hint their feedback must contain) and a kernel fault
    fixtures/             the code of the cells that those fixtures replace
    honest_variants/      honest, correct solutions in other styles (``# cell: <grade_id>``
                          sections): they must earn every point and never be flagged
    cheats.toml           optional: cheats that only make sense for this assignment (the
                          generic ones of tests/grading/red_team/ apply to every assignment)
    wrong_implementations.py, realistic_mistakes.py, realistic_expected.py
                          the mistake catalogue's proofs (tests/assignments/test_mistake_hints.py)

Tests that are about "an assignment" take theirs from ``ASSIGNMENTS`` (parametrized), so a new
assignment is covered by adding its folder. Tests that need just one (the browser, the hub, the
benchmarks, the serial red-team batch) take ``primary()``, which the setting
``COURSE_TEST_ASSIGNMENT`` chooses (default: the first assignment).
"""
from __future__ import annotations

import copy
import functools
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_tools.generate import list_assignments, strip_region_markers

HERE = Path(__file__).resolve().parent
COURSE_ROOT = HERE.parent.parent


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def read_variant(path: Path) -> dict[str, str]:
    """grade_id -> code, from a file of ``# cell: <grade_id>`` sections."""
    cells, current = {}, None
    for line in path.read_text().splitlines(keepends=True):
        match = re.match(r"# cell: (\S+)\s*$", line)
        if match:
            current = match.group(1)
            cells[current] = ""
        elif current is not None:
            cells[current] += line
    assert cells, f"{path} names no cell"
    return cells


def answers_of(source_nb) -> dict[str, str]:
    """grade_id -> the answer key's source, for every solution cell of a source notebook: the
    code of the solution cells and the model answers of the written ones."""
    return {nbgrader_meta(c)["grade_id"]: strip_region_markers(c.source)
            for c in source_nb.cells if nbgrader_meta(c).get("solution")}


class AnswerKeyCells:
    """The answer key's code cells of a source notebook, for writing each wrong implementation
    (``wrong_implementations.py``) as the answer key's own cell with one change.

    ``imports`` starts every changed cell, followed by the setup cell's given tools (from its
    ``# Given`` line on, without its imports of course_lib and matplotlib).
    """

    def __init__(self, notebook: Path, imports: str = "import numpy as np\n"):
        cells = nbformat.read(notebook, as_version=4).cells
        self.cells = {nbgrader_meta(c)["grade_id"]: c.source for c in cells
                      if nbgrader_meta(c).get("solution") and c.cell_type == "code"}
        setup = next(c.source for c in cells if nbgrader_meta(c).get("grade_id") == "setup")
        self.given = imports + setup[setup.index("# Given"):] + "\n\n"

    def changed(self, cell: str, *edits: tuple[str, str]) -> str:
        """The answer key's cell with each (old, new) replaced exactly once, after its first
        docstring (the change is in the code), with the given tools first."""
        text = strip_region_markers(self.cells[cell])
        docstring_end = text.index('"""', text.index('"""') + 3) + 3
        head, text = text[:docstring_end], text[docstring_end:]
        for old, new in edits:
            assert text.count(old) == 1, f"{cell}: {old!r} occurs {text.count(old)} times"
            text = text.replace(old, new)
        return self.given + head + text


def build_submission(release_nb, answers: dict[str, str] | None, replace: dict[str, str] = {},
                     append: dict[str, str] = {}):
    """A student's notebook made from the release as the student receives it.

    ``answers=None`` leaves every solution cell as released (the untouched release); otherwise
    every solution cell gets the answer key's source (code, or the model answer of a written
    answer), then the code of ``replace`` for the cells it names, then ``append``'s code after it.
    """
    nb = copy.deepcopy(release_nb)
    if answers is None:
        return nb
    unknown = (set(replace) | set(append)) - set(answers)
    assert not unknown, f"these are not solution cells: {sorted(unknown)}"
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            grade_id = meta["grade_id"]
            cell.source = replace.get(grade_id, answers[grade_id])
            if grade_id in append:
                cell.source += "\n" + append[grade_id]
    return nb


@dataclass(frozen=True)
class Assignment:
    """One assignment of ``source/`` and its test material."""

    name: str
    root: Path = COURSE_ROOT

    def __str__(self) -> str:
        return self.name

    @property
    def folder(self) -> Path:
        """tests/assignments/<assignment>/ (the test material)."""
        return HERE / self.name

    @property
    def notebook(self) -> str:
        """The stem of the assignment's one notebook."""
        found = sorted((self.root / "source" / self.name).glob("*.ipynb"))
        assert len(found) == 1, (f"source/{self.name} must hold exactly one notebook, "
                                 f"found {[p.name for p in found]}")
        return found[0].stem

    def path(self, folder: str, root: Path | None = None) -> Path:
        """The notebook in ``source``, ``release`` or ``solutions`` of a course folder."""
        return (root or self.root) / folder / self.name / f"{self.notebook}.ipynb"

    def read(self, folder: str = "source", root: Path | None = None):
        return nbformat.read(self.path(folder, root), as_version=4)

    @property
    def points(self) -> tuple[float, float]:
        """(automatic points, points graded by hand) of the source notebook."""
        auto = manual = 0.0
        for cell in self.read().cells:
            meta = nbgrader_meta(cell)
            if meta.get("grade"):
                if cell.cell_type == "code":
                    auto += meta.get("points", 0)
                else:
                    manual += meta.get("points", 0)
        return auto, manual

    @property
    def total_points(self) -> float:
        return sum(self.points)

    @functools.cached_property
    def fixtures(self) -> list[dict]:
        """The fixture submissions of fixtures.toml, each with its cells' code read in; none
        when the file is missing (the course standard and the pipeline test say so)."""
        manifest_path = self.folder / "fixtures.toml"
        if not manifest_path.exists():
            return []
        specs = tomllib.loads(manifest_path.read_text())["submission"]
        for spec in specs:
            spec["replace_code"] = {grade_id: (self.folder / "fixtures" / name).read_text()
                                    for grade_id, name in spec.get("replace", {}).items()}
        return specs

    def build(self, spec: dict, release_nb, source_nb):
        """The notebook of one fixture submission."""
        if spec["base"] == "release":
            return build_submission(release_nb, None)
        return build_submission(release_nb, answers_of(source_nb), spec.get("replace_code", {}))

    @property
    def honest_variants(self) -> list[tuple[str, dict[str, str]]]:
        """(name, grade_id -> code) of every honest variant."""
        return [(p.stem, read_variant(p))
                for p in sorted((self.folder / "honest_variants").glob("*.py"))]

    @property
    def cheats(self) -> list[dict]:
        """The assignment's own cheats (cheats.toml), in the red-team corpus's format."""
        path = self.folder / "cheats.toml"
        return tomllib.loads(path.read_text()).get("cheat", []) if path.exists() else []


ASSIGNMENTS: list[Assignment] = [Assignment(name) for name in list_assignments(COURSE_ROOT)]

#: The assignment whose cells the grading machinery's own tests name (the red-team corpus, the
#: static scan, the output cap, the zygote, the similarity report): a specimen, not a subject.
SPECIMEN = Assignment("01_activations_and_losses")


def primary() -> Assignment:
    """The assignment that single-assignment tests use: ``COURSE_TEST_ASSIGNMENT`` or the first."""
    name = os.environ.get("COURSE_TEST_ASSIGNMENT") or ASSIGNMENTS[0].name
    known = {a.name: a for a in ASSIGNMENTS}
    if name not in known:
        raise ValueError(f"COURSE_TEST_ASSIGNMENT={name!r} is not an assignment of source/ "
                         f"(known: {', '.join(known)})")
    return known[name]
