"""Open the course in JupyterLab for a student working on their own machine.

The student works on a copy of ``release/`` in ``my_work/`` (made once, never overwritten, so
that ``make lab`` can be run again without losing work; an assignment added to ``release/`` later
is copied in on the next run; the environment variable COURSE_WORKSPACE names another folder).
JupyterLab opens on that folder. Extra arguments are passed to
``jupyter lab`` (e.g. ``--no-browser --port 8890``).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent


def prepare_workspace(root: Path = COURSE_ROOT, workspace: Path | None = None) -> Path:
    """Copy every released assignment that the workspace does not have yet; return the folder."""
    workspace = workspace or Path(os.environ.get("COURSE_WORKSPACE", root / "my_work"))
    workspace.mkdir(exist_ok=True)
    for assignment in sorted((root / "release").iterdir()):
        target = workspace / assignment.name
        if assignment.is_dir() and not target.exists():
            shutil.copytree(assignment, target)
    return workspace


def lab_command(workspace: Path, extra: list[str]) -> list[str]:
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={workspace}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + extra


def main(argv: list[str] | None = None) -> None:
    extra = list(sys.argv[1:] if argv is None else argv)
    workspace = prepare_workspace()
    print(f"Your work is kept in {workspace}; release/ stays as published.", flush=True)
    cmd = lab_command(workspace, extra)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
