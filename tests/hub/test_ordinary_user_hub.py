"""formgrader's Autograde for an instructor without root: the class hub run as an ordinary user.

Where the suite runs as root, ``ordinary_user_hub`` (tests/hub/conftest.py) runs the hub with
deploy/jupyterhub_config.py as the throw-away ordinary account, so the instructor's server and
every kernel it grades with run as that account: the course's sandbox works in its user-namespace
mode, and the instructor's config is the course's alone (no ``use_sandbox = False`` fallback).
The instructor releases the assignment, alice fetches it and submits the answer key, the
instructor collects it and presses Autograde (formgrader's REST API).

alice's first solution cell also carries a look around: it tries to read the instructor's secret
file, the gradebook and ``source/``, writes a file into the instructor's home, and prints its uid,
its user namespace's uid map and the name of its PID namespace's first process. Graded without
the sandbox it would read all three, leave the file in the instructor's home and run in the
machine's namespaces; in root mode's sandbox it would run as a uid of its own. The test asserts
that it ran as the instructor's own uid in a user namespace that maps that uid alone, under
bwrap, and reached none of it, and that the answer key still earned every automatic point.

Where the suite runs as an ordinary user the fixture skips: the hub of test_jupyterhub_e2e.py
already runs as that user.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import psutil
import pytest

from ..assignments.material import answers_of, build_submission
from .conftest import INSTRUCTOR
from .test_jupyterhub_e2e import ASSIGNMENT, NOTEBOOK, points_of, start_servers

STUDENT = "alice"
PROBE_MARK = "SANDBOX-PROBE "
SECRET_TEXT = "THE INSTRUCTOR'S SECRET"
MARKER_NAME = "written-by-a-submission.txt"

PROBE = '''
# (the hub test's look around from inside the grader; it changes nothing the tests read)
def _look_around(targets, marker):
    import json, os
    seen = {"uid": os.getuid()}
    for name, path in [("uid_map", "/proc/self/uid_map"), ("pid 1", "/proc/1/comm")]:
        try:
            with open(path) as f:
                seen[name] = f.read().split()
        except OSError as exc:
            seen[name] = type(exc).__name__
    for name, path in targets.items():
        try:
            if os.path.isdir(path):
                seen[name] = sorted(os.listdir(path))
            else:
                with open(path, "rb") as f:
                    seen[name] = f.read(60).decode(errors="replace")
        except OSError as exc:
            seen[name] = type(exc).__name__
    try:
        with open(marker, "w") as f:
            f.write("a submission wrote this")
        seen["write"] = "done"
    except OSError as exc:
        seen["write"] = type(exc).__name__
    print(@MARK@ + json.dumps(seen, sort_keys=True))
_look_around(@TARGETS@, @MARKER@)
del _look_around
'''


def probe_code(hub) -> str:
    home = hub.homes / INSTRUCTOR
    targets = {"secret": str(home / "secret.txt"), "gradebook": str(hub.course / "gradebook.db"),
               "source": str(hub.course / "source" / ASSIGNMENT)}
    return (PROBE.replace("@MARK@", repr(PROBE_MARK)).replace("@TARGETS@", repr(targets))
            .replace("@MARKER@", repr(str(home / MARKER_NAME))))


def probe_outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    """What every run of the look around printed into the graded notebook."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                found += [json.loads(m) for m in re.findall(
                    rf"^{re.escape(PROBE_MARK)}(.*)$", output.get("text", ""), re.M)]
    return found


def account_uids(process: psutil.Process) -> set[int]:
    """The real uids of a process and every process under it."""
    uids = set()
    for each in [process, *process.children(recursive=True)]:
        try:
            uids.add(each.uids().real)
        except psutil.NoSuchProcess:
            pass
    return uids


@pytest.fixture(scope="module")
def graded(ordinary_user_hub):
    """Release, fetch, submit (the answer key with the look around), collect, Autograde."""
    hub = ordinary_user_hub
    home = hub.homes / INSTRUCTOR
    (home / "secret.txt").write_text(SECRET_TEXT)
    hub.user.give(home / "secret.txt")
    servers = start_servers(hub, [INSTRUCTOR, STUDENT])
    instructor, student = servers[INSTRUCTOR], servers[STUDENT]
    seen = {"uids": account_uids(psutil.Process(hub.process.pid))}

    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/assign")
    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/release")
    source = nbformat.read(hub.course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    seen["points"] = points_of(source)

    fetched = student.assignments("fetch")
    (mine,) = [a for a in fetched if a["assignment_id"] == ASSIGNMENT and a["status"] == "fetched"]
    (notebook,) = [n for n in mine["notebooks"] if n["notebook_id"] == NOTEBOOK]
    release_nb = nbformat.from_dict(student.read(notebook["path"])["content"])
    answers = answers_of(source)
    first_code = next(c.metadata.nbgrader.grade_id for c in source.cells
                      if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    work = build_submission(release_nb, answers, append={first_code: probe_code(hub)})
    student.call("PUT", f"/api/contents/{notebook['path']}",
                 data=json.dumps({"type": "notebook", "format": "json", "content": work}))
    student.assignments("submit")

    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/collect")
    seen["autograde"] = instructor.nbgrader(f"/submission/{ASSIGNMENT}/{STUDENT}/autograde")
    submissions = instructor.call("GET", f"/formgrader/api/submissions/{ASSIGNMENT}").json()
    (seen["submission"],) = [s for s in submissions if s["student"] == STUDENT]
    autograded = hub.course / "autograded" / STUDENT / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    seen["probes"] = probe_outputs(nbformat.read(autograded, as_version=4))
    seen["marker left"] = (home / MARKER_NAME).exists()
    return seen


@pytest.mark.slow
def test_the_hub_and_every_server_run_as_the_ordinary_user(ordinary_user_hub, graded):
    assert graded["uids"] == {ordinary_user_hub.user.uid}, (
        f"the hub's processes should all run as {ordinary_user_hub.user.name} "
        f"(uid {ordinary_user_hub.user.uid}): their uids are {graded['uids']}")


@pytest.mark.slow
def test_autograde_gives_the_answer_key_every_automatic_point(graded):
    auto, total = graded["points"]
    submission = graded["submission"]
    assert auto > 0, "the assignment has autograded tests"
    assert submission["max_code_score"] == auto and submission["max_score"] == total, (
        f"the gradebook's maxima should be the source's {auto}/{total}: {submission}")
    assert submission["code_score"] == submission["max_code_score"], (
        f"the answer key (with a look around in a solution cell) should earn every automatic "
        f"point: {submission['code_score']} of {submission['max_code_score']}\n"
        f"{graded['autograde'].get('log')}")


@pytest.mark.slow
def test_grading_ran_in_the_sandbox_in_user_namespace_mode(ordinary_user_hub, graded):
    user = ordinary_user_hub.user
    home = ordinary_user_hub.homes / INSTRUCTOR
    overrides = [p for p in (home / ".jupyter").rglob("*.py")] if (home / ".jupyter").exists() \
        else []
    assert not overrides, f"the instructor's own config must not change grading: {overrides}"
    probes = graded["probes"]
    assert probes, ("the look around printed nothing into the autograded notebook: did the "
                    "solution cell run?")
    for seen in probes:
        assert seen["uid"] == user.uid, (
            f"user-namespace mode runs student code as the instructor's own uid {user.uid} "
            f"(root mode would use one of its own): {seen}")
        inside, _, count = seen["uid_map"]
        assert (inside, count) == (str(user.uid), "1"), (
            f"student code should run in a user namespace that maps the instructor's uid "
            f"alone (bwrap's; the machine's own maps 0 0 4294967295): {seen}")
        assert seen["pid 1"] == ["bwrap"], f"no bwrap at the root of its PID namespace: {seen}"
        for name in ("secret", "gradebook", "source"):
            assert seen[name] == "FileNotFoundError", (
                f"student code reached the instructor's {name}: {seen}")
    assert not graded["marker left"], (
        f"a submission wrote {home / MARKER_NAME} into the instructor's home")
