"""The sandbox of an instructor without root: a user namespace of its own, as the same uid.

The fast tests read the command `sandbox_command` builds in each mode, and check that a machine
without unprivileged user namespaces stops grading with an error that names the setting and the
switch, never grading unprotected. The slow tests run student code in the real sandbox as an
ordinary user (tests/services/ordinary_user.py): it cannot read the instructor's home, the
gradebook, ``source/`` or another student's submission, cannot signal the grader, cannot reach
the network, and a fork bomb in one sandbox leaves another sandbox of the same user its
processes.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_tools import sandbox

from ..services.ordinary_user import ordinary_user, remove

ROOT = Path(__file__).resolve().parents[2]


def _after(cmd: list[str], token: str) -> list[str]:
    return cmd[cmd.index(token) + 1:]


def test_user_namespace_mode_puts_the_limits_inside_the_sandbox_and_hides_home_and_run(
        monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "sandbox_mode", lambda: sandbox.USER_NAMESPACE_MODE)
    monkeypatch.setenv("HOME", str(tmp_path))
    cmd = sandbox.sandbox_command(["python3"], scratch=tmp_path / "scratch", uid=os.getuid(),
                                  hidden=[ROOT])
    assert cmd[0] == "bwrap", "a process limit before bwrap would cap the user's processes outside"
    inner = _after(cmd, "--")
    assert inner[0] == "prlimit" and "--nproc=256" in inner, inner
    assert "setpriv" in inner and not any(a.startswith("--reuid") for a in cmd), cmd
    for flag in ("--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-net"):
        assert flag in cmd, flag
    tmpfs = {cmd[i + 1] for i, a in enumerate(cmd) if a == "--tmpfs"}
    assert {str(tmp_path.resolve()), "/run", str(ROOT)} <= tmpfs, tmpfs


def test_root_mode_switches_uid_and_keeps_the_limits_on_bwrap(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "sandbox_mode", lambda: sandbox.ROOT_MODE)
    cmd = sandbox.sandbox_command(["python3"], scratch=tmp_path, uid=61234, hidden=[ROOT])
    assert cmd[0] == "prlimit" and "--unshare-user" not in cmd, cmd
    assert "--reuid=61234" in cmd


@pytest.fixture
def no_user_namespaces(monkeypatch, tmp_path):
    """A bwrap that fails as Debian's does where user namespaces are off."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new "
                                "namespace, likely because the kernel does not allow "
                                "non-privileged user namespaces.' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    monkeypatch.setattr(sandbox, "sandbox_mode", lambda: sandbox.USER_NAMESPACE_MODE)
    sandbox.user_namespace_problem.cache_clear()
    yield
    sandbox.user_namespace_problem.cache_clear()


def test_without_user_namespaces_the_sandbox_says_which_setting_to_change(no_user_namespaces):
    ok, why = sandbox.sandbox_available()
    assert not ok
    assert "kernel.unprivileged_userns_clone" in why and "apparmor_restrict_unprivileged_userns" in why
    assert "No permissions to creating new namespace" in why, why


def test_without_user_namespaces_grading_stops_and_names_the_switch(no_user_namespaces):
    import nbformat

    execute = sandbox.SandboxedExecute()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    with pytest.raises(RuntimeError) as raised:
        execute.preprocess(nb, {"metadata": {"path": "."}})
    message = str(raised.value)
    assert "user namespace" in message and "c.SandboxedExecute.use_sandbox = False" in message
    assert nb.cells[0].get("outputs") == [], "nothing ran"


# ---------------------------------------------------------------------------------------------
# The real sandbox, as an ordinary user

PROBE = textwrap.dedent('''
    import json, os, signal, socket, sys
    from pathlib import Path
    targets, grader_pid, port = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seen = {}
    for name, path in targets.items():
        try:
            p = Path(path)
            seen[name] = sorted(os.listdir(p)) if p.is_dir() else p.read_bytes().decode()[:40]
        except OSError as exc:
            seen[name] = type(exc).__name__
    def attempt(f):
        try:
            f()
            return "done"
        except OSError as exc:
            return type(exc).__name__
    seen["signal the grader"] = attempt(lambda: os.kill(grader_pid, 0))
    seen["signal every process"] = attempt(lambda: os.kill(-1, signal.SIGCONT))
    seen["connect to the grader's port"] = attempt(
        lambda: socket.create_connection(("127.0.0.1", port), timeout=3))
    seen["reach the internet"] = attempt(
        lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
    print(json.dumps(seen))
''')

DRIVER = textwrap.dedent('''
    import json, subprocess, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from course_tools import sandbox
    ok, why = sandbox.sandbox_available()
    if not ok:
        print(json.dumps({"unavailable": why}))
        raise SystemExit(0)
    uid = sandbox.sandbox_uid()
    scratch = sandbox.make_scratch(uid)
    hidden = [Path(p) for p in json.loads(sys.argv[2])]
    inner = json.loads(sys.argv[3])
    cmd = sandbox.sandbox_command(inner, scratch=scratch, uid=uid, hidden=hidden)
    result = subprocess.run(cmd, capture_output=True, text=True, env=sandbox.student_environment())
    print(json.dumps({"mode": sandbox.sandbox_mode(), "stdout": result.stdout,
                      "stderr": result.stderr[-2000:]}))
''')


@pytest.fixture(scope="module")
def user():
    found = ordinary_user()
    if found is None:
        pytest.skip("no ordinary user to grade as (useradd is missing)")
    yield found
    remove(found)


def run_sandboxed(user, hidden: list[Path], inner: list[str], timeout: float = 120) -> dict:
    result = user.run([sys.executable, "-c", DRIVER, str(ROOT), json.dumps(list(map(str, hidden))),
                       json.dumps(inner)], capture_output=True, text=True, timeout=timeout,
                      cwd="/")
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if "unavailable" in answer:
        pytest.fail(f"an ordinary user cannot use the sandbox here: {answer['unavailable']}")
    assert answer["mode"] == sandbox.USER_NAMESPACE_MODE
    return answer


@pytest.mark.slow
def test_student_code_reaches_nothing_of_the_instructor_the_course_or_the_grader(user):
    course = user.folder("ordinary-user-course")
    for path, text in {"gradebook.db": "GRADEBOOK", "source/a/a.ipynb": "SOURCE",
                       "submitted/other/a/a.ipynb": "OTHER STUDENT"}.items():
        (course / path).parent.mkdir(parents=True, exist_ok=True)
        (course / path).write_text(text)
    secret = user.home / "instructor-secret.txt"
    secret.write_text("INSTRUCTOR")
    user.give(course)
    user.give(secret)
    targets = {"home": str(user.home), "secret": str(secret),
               "gradebook": str(course / "gradebook.db"), "source": str(course / "source"),
               "other submission": str(course / "submitted/other/a/a.ipynb")}
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        answer = run_sandboxed(user, [course], [sys.executable, "-I", "-c", PROBE,
                                                json.dumps(targets), str(os.getpid()),
                                                str(listener.getsockname()[1])])
    finally:
        listener.close()
        secret.unlink()
        subprocess.run(["rm", "-rf", str(course)])
    seen = json.loads(answer["stdout"].strip().splitlines()[-1])
    assert seen["home"] == [], seen          # the home folder is an empty one
    for name in ("secret", "gradebook", "other submission"):
        assert seen[name] == "FileNotFoundError", (name, seen)
    assert seen["source"] == "FileNotFoundError", seen
    assert seen["signal the grader"] == "ProcessLookupError", seen
    assert seen["connect to the grader's port"] in ("ConnectionRefusedError", "OSError"), seen
    assert seen["reach the internet"] != "done", seen


FORK_BOMB = textwrap.dedent('''
    import os, time
    n = 0
    for _ in range(2000):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
    print(n, flush=True)
    time.sleep(8)
''')

NEIGHBOUR = textwrap.dedent('''
    import os, time
    time.sleep(4)
    forked = 0
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        forked += 1
    print(forked)
''')


@pytest.mark.slow
def test_a_fork_bomb_uses_up_its_own_sandbox_not_the_users_processes(user):
    """Two sandboxes of one user side by side: the one that forks without end reaches its own
    limit, and the other still forks 50 processes."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        bomb = pool.submit(run_sandboxed, user, [], [sys.executable, "-I", "-c", FORK_BOMB])
        neighbour = pool.submit(run_sandboxed, user, [], [sys.executable, "-I", "-c", NEIGHBOUR])
        bombed, beside = bomb.result(), neighbour.result()
    forked = int(bombed["stdout"].split()[0])
    assert 200 <= forked < sandbox.Limits.processes, bombed
    assert beside["stdout"].split() == ["50"], beside


#: Test modules of the sandbox's machinery that run again as the ordinary user, in the sandbox's
#: user-namespace mode: the zygotes of the re-check and of the grading kernels (students in a
#: row, nothing of one reaches the next or the zygote) and the secrets kept from student code.
SANDBOX_TESTS = ["tests/grading/test_zygote.py", "tests/grading/test_kernel_zygote.py",
                 "tests/grading/test_student_environment.py"]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="the suite already runs them as this ordinary user")
def test_the_sandboxs_own_tests_pass_as_an_ordinary_user(user):
    result = user.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                       "-o", "addopts=", *SANDBOX_TESTS], capture_output=True, text=True,
                      cwd=ROOT, timeout=900)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    assert " passed" in summary and "skipped" not in summary, summary


def test_the_checkout_the_machinery_runs_from_is_hidden_whatever_course_is_graded(tmp_path):
    """Grading a copy of the course (as the tests do) or another course from this checkout must
    not leave the checkout's source/ (the answer keys) in sight."""
    assert (ROOT / "source").is_dir() and sandbox.machinery_checkout() == [ROOT]
    cmd = sandbox.sandbox_command(["python3"], scratch=tmp_path, uid=os.getuid(),
                                  hidden=[tmp_path / "another_course"])
    tmpfs = {cmd[i + 1] for i, a in enumerate(cmd) if a == "--tmpfs"}
    assert str(ROOT) in tmpfs, tmpfs
