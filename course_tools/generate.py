"""Generate ``release/`` and ``solutions/`` from ``source/``.

``release/`` is what students get: nbgrader's ``generate_assignment`` removes solutions and
hidden tests and adds the student header. ``solutions/`` holds the executed answer keys: the
source notebooks with the header added and nbgrader's region markers removed (the solution code
and the hidden tests stay), executed so that their outputs are stored and nbval can check them.

Usage::

    python -m course_tools.generate release [ASSIGNMENT ...]
    python -m course_tools.generate solutions [ASSIGNMENT ...]
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

COURSE_ROOT = Path(__file__).resolve().parent.parent
HEADER = "header.ipynb"

# Lines that open or close an nbgrader region; they are dropped from the answer keys.
MARKER_LINE = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")
MARKDOWN_MARKER_LINE = re.compile(r"^\s*=+\s*(BEGIN|END) (MARK SCHEME)\s*=+\s*$")


def list_assignments(root: Path = COURSE_ROOT) -> list[str]:
    """Assignment folders of ``source/``, in order (each holds at least one notebook)."""
    return sorted(p.name for p in (root / "source").iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def notebooks_of(root: Path, folder: str, assignment: str) -> list[Path]:
    """The notebooks of one assignment in ``source/``, ``release/`` or ``solutions/``."""
    return sorted((root / folder / assignment).glob("*.ipynb"))


def strip_region_markers(source: str) -> str:
    """Remove the lines that open and close solution and hidden-test regions."""
    kept = [line for line in source.split("\n")
            if not MARKER_LINE.match(line) and not MARKDOWN_MARKER_LINE.match(line)]
    return "\n".join(kept)


def answer_key(source_nb: nbformat.NotebookNode, root: Path = COURSE_ROOT
               ) -> nbformat.NotebookNode:
    """The answer key of a source notebook: header added, region markers removed, no outputs."""
    nb = copy.deepcopy(source_nb)
    header = nbformat.read(root / "source" / HEADER, as_version=4)
    nb.cells = copy.deepcopy(header.cells) + nb.cells
    for cell in nb.cells:
        cell.source = strip_region_markers(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def execute_notebook(nb: nbformat.NotebookNode, workdir: Path, timeout: int = 600
                     ) -> nbformat.NotebookNode:
    """Run every cell in a fresh kernel started in ``workdir``; outputs are stored in ``nb``."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    # A print may arrive as several stream messages; store each stream as one output.
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.outputs)
    return nb


def _coalesce_streams(outputs: list) -> list:
    merged: list = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def tool_environment() -> dict[str, str]:
    """The environment for nbgrader subprocesses: this interpreter's bin folder first on PATH.

    nbgrader runs ``alembic`` (its database migrations) as a command, which must be found on
    PATH even when the virtual environment is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate_release(assignments: list[str], root: Path = COURSE_ROOT) -> None:
    """Run nbgrader's generate_assignment for each assignment (writes release/<assignment>)."""
    for assignment in assignments:
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
               f"--CourseDirectory.root={root}"]
        result = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                                env=tool_environment())
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n"
                               f"{result.stdout}\n{result.stderr}")


def generate_solutions(assignments: list[str], root: Path = COURSE_ROOT,
                       execute: bool = True) -> list[Path]:
    """Write the executed answer keys to solutions/<assignment>/."""
    written = []
    for assignment in assignments:
        out_dir = root / "solutions" / assignment
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in notebooks_of(root, "source", assignment):
            nb = answer_key(nbformat.read(path, as_version=4), root)
            if execute:
                execute_notebook(nb, out_dir)
            target = out_dir / path.name
            nbformat.write(nb, target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["release", "solutions"])
    parser.add_argument("assignments", nargs="*", help="default: every folder of source/")
    args = parser.parse_args(argv)
    assignments = args.assignments or list_assignments()
    unknown = set(assignments) - set(list_assignments())
    if unknown:
        parser.error(f"no such assignment in source/: {', '.join(sorted(unknown))}")
    if args.what == "release":
        generate_release(assignments)
    else:
        for path in generate_solutions(assignments):
            print(f"wrote {path.relative_to(COURSE_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
