"""Open the course in JupyterLab: the student's view (``make lab``) or the instructor's.

Student view (``python -m course_tools.open_lab``): the student works on a copy of ``release/``
in ``my_work/`` (made once, never overwritten, so that ``make lab`` can be run again without
losing work; an assignment added to ``release/`` later is copied in on the next run; the
environment variable COURSE_WORKSPACE names another folder). JupyterLab opens on that folder with
nbgrader's Assignment List and Validate button, without formgrader, Create Assignment and the
course list.

Instructor view (``python -m course_tools.open_lab --instructor``, ``make instructor``):
JupyterLab opens on the course folder itself (``source/``, ``release/``, the gradebook) with
every nbgrader tool: formgrader (Nbgrader → Formgrader), Create Assignment (right sidebar), the
course list. The course's exchange folder is created if it is configured inside the course and
missing, so that formgrader offers Release and Collect from the start.

``--course DIR`` opens another course (a folder holding ``nbgrader_config.py``); every other
argument is passed to ``jupyter lab`` (e.g. ``--no-browser --port 8890``). JupyterLab runs in the
course folder, because nbgrader's formgrader and Validate read ``nbgrader_config.py`` from the
server's working folder. How each view turns nbgrader's parts on and off without changing any
Jupyter configuration file is explained in ``course_tools.lab_views``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .lab_views import INSTRUCTOR, STUDENT, View, write_view_config

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


def lab_command(root_dir: Path, extra: list[str], view: View = STUDENT) -> list[str]:
    """The ``jupyter lab`` command line of a view, serving root_dir, then the extra options."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root_dir}"]
    cmd += view.server_extension_args()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd + extra


def lab_environment(view: View) -> dict[str, str]:
    """This process's environment with the view's config folder first on JUPYTER_CONFIG_PATH.

    The folder is written under the Jupyter runtime folder (JUPYTER_RUNTIME_DIR when set).
    """
    from jupyter_core.paths import jupyter_runtime_dir

    runtime_dir = Path(jupyter_runtime_dir())
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as Jupyter makes it
    folder = write_view_config(view, runtime_dir)
    env = dict(os.environ)
    paths = [str(folder)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def ensure_exchange(course: Path) -> Path | None:
    """Create the course's exchange folder if it is configured inside the course and missing.

    formgrader offers Release and Collect only once the exchange exists, and nbgrader makes it
    only on the first ``nbgrader release_assignment``. It is made as nbgrader makes it: writable
    by everyone, so that students on the same machine can submit. An exchange configured
    elsewhere (a JupyterHub's shared folder) is left alone. Returns the folder created, or None.
    """
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    if "root" not in config.Exchange:
        return None
    exchange = Path(config.Exchange.root).resolve()
    if exchange.exists() or not exchange.is_relative_to(course.resolve()):
        return None
    exchange.mkdir(parents=True)
    exchange.chmod(0o777)
    return exchange


def course_folder(path: str) -> Path:
    """The course folder named on the command line; it must hold nbgrader_config.py."""
    course = Path(path).expanduser().resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise argparse.ArgumentTypeError(f"{course} is not a course folder "
                                         "(it has no nbgrader_config.py)")
    return course


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.open_lab", allow_abbrev=False,
        description="Open the course in JupyterLab, as a student (default) or as the instructor.",
        epilog="Other arguments are passed to `jupyter lab`.")
    parser.add_argument("--instructor", action="store_true",
                        help="open the course folder with formgrader and Create Assignment")
    parser.add_argument("--course", type=course_folder, default=COURSE_ROOT,
                        help="the course folder (default: this checkout)")
    return parser.parse_known_args(argv)


def main(argv: list[str] | None = None) -> None:
    args, extra = parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.instructor:
        view, root_dir = INSTRUCTOR, args.course
        ensure_exchange(root_dir)
        print(f"Instructor view of {root_dir}: Nbgrader → Formgrader to grade, "
              "View → Right Sidebar for Create Assignment.", flush=True)
    else:
        view, root_dir = STUDENT, prepare_workspace(args.course)
        print(f"Your work is kept in {root_dir}; release/ stays as published.", flush=True)
    cmd = lab_command(root_dir, extra, view)
    env = lab_environment(view)
    os.chdir(args.course)
    os.execve(cmd[0], cmd, env)


if __name__ == "__main__":
    main()
