"""The zygote that forks student processes for the re-check outside the kernel.

One zygote serves every notebook a grading process handles, so these tests play two students in
a row against the same zygote and check that nothing of the first reaches the second: no process,
no file, no way into the zygote itself. They also check that the re-check decides the same with
and without the zygote, and with and without skipping the release's demonstration cells.
"""
from __future__ import annotations

import copy
import signal
import time
from pathlib import Path

import nbformat
import pytest

from course_tools import recheck, sandbox

from ..pipeline.test_nbgrader_pipeline import ASSIGNMENT, NOTEBOOK

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
SOLUTIONS = ROOT / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"

available, why = sandbox.sandbox_available()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not available, reason=f"no sandbox here: {why}")]


@pytest.fixture
def zygote(tmp_path):
    z = recheck.Zygote(course_root=ROOT, hidden=[])
    yield z
    z.close()


def run(process, code: str, timeout: float = 20.0) -> dict:
    return process.request({"op": "exec", "code": code}, timeout=timeout)


def value(process, code: str, timeout: float = 20.0) -> float:
    """Define ``probe()`` from ``code`` (its body) in the student process and call it."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    reply = run(process, f"def probe():\n{body}\n")
    assert "error" not in reply, f"defining the probe failed: {reply}"
    reply = process.request({"op": "call", "name": "probe", "args": [], "kwargs": {}},
                            timeout=timeout)
    assert "error" not in reply, f"the probe raised: {reply}"
    return recheck.decode(reply["value"])


LIVE_OTHERS = """
import os
me, parent = os.getpid(), os.getppid()
n = 0
for entry in os.listdir('/proc'):
    if entry.isdigit() and int(entry) not in (me, parent, 1):
        with open(f'/proc/{entry}/stat') as f:
            if f.read().rsplit(')', 1)[1].split()[0] not in 'ZX':
                n += 1
return float(n)
"""


def test_a_forked_student_answers_like_a_fresh_process(zygote, tmp_path):
    process = zygote.fork(tmp_path)
    try:
        assert value(process, "import numpy as np\nreturn float(np.tanh(0.5))") == pytest.approx(
            0.46211715726000974), "the forked process computed a wrong tanh(0.5)"
        assert value(process, "import os\nreturn float(os.getuid())") == zygote.uid, (
            "the student process does not run as the sandbox uid")
        assert value(process, "import os\nreturn float(os.path.exists('" + str(ROOT / "source")
                     + "'))") == 0.0, "the course's source/ is visible to the student process"
    finally:
        process.close()


def test_nothing_of_one_student_survives_into_the_next(zygote, tmp_path):
    first = zygote.fork(tmp_path)
    run(first, "import subprocess, os\n"
               "subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
               "open('/tmp/left-behind', 'w').write('x')\n"
               "open('secret.txt', 'w').write('answers')\n")
    scratch_of_first = first.scratch
    assert value(first, LIVE_OTHERS) >= 1.0, (
        "control failed: the first student's detached process is not running")
    first.close()

    second = zygote.fork(tmp_path)
    try:
        assert value(second, LIVE_OTHERS) == 0.0, (
            "a process of the previous student is still alive beside the next student")
        assert value(second, "import os\nreturn float(os.path.exists('/tmp/left-behind'))") == 0.0, (
            "a file the previous student left in /tmp is visible to the next")
        assert value(second, f"import os\nreturn float(os.path.exists('{scratch_of_first}'))") == 0.0, (
            "the previous student's scratch folder still exists")
    finally:
        second.close()


def processes_of(uid: int) -> list[str]:
    """Live processes of ``uid``, seen from outside the sandbox."""
    import psutil

    seen = []
    for p in psutil.process_iter(["uids", "status", "cmdline"]):
        info = p.info
        if info["uids"] and info["uids"].real == uid and info["status"] != psutil.STATUS_ZOMBIE:
            seen.append(" ".join(info["cmdline"] or [])[:80])
    return seen


def test_closing_a_student_kills_what_it_started_at_once(zygote, tmp_path):
    """Leftovers run as the uid of the next grading kernel and would eat its process limit."""
    before = len(processes_of(zygote.uid))
    process = zygote.fork(tmp_path)
    run(process, "import os, time\n"
                 "for _ in range(40):\n"
                 "    if os.fork() == 0:\n"
                 "        os.setsid()\n"
                 "        time.sleep(600)\n"
                 "        os._exit(0)\n")
    assert len(processes_of(zygote.uid)) >= before + 40, (
        "control failed: the student's 40 sleeping children are not running")
    process.close()
    left = processes_of(zygote.uid)
    assert len(left) <= before, f"after close, the student's processes still run: {left}"
    assert zygote.alive(), "clearing the student's processes ended the zygote"


def test_the_zygote_cannot_be_traced_or_read(zygote, tmp_path):
    process = zygote.fork(tmp_path)
    try:
        code = ("import os\ntry:\n    open(f'/proc/{os.getppid()}/mem', 'rb').read(1)\n"
                "    return 1.0\nexcept OSError:\n    return 0.0")
        assert value(process, code) == 0.0, "the student process could read the zygote's memory"
        code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                "return float(libc.ptrace(16, os.getppid(), 0, 0))")  # PTRACE_ATTACH
        assert value(process, code) == -1.0, "the student process could ptrace the zygote"
        # The zygote's control channel (two pipes) is closed in the child: only the socket is open.
        code = ("import os\nreturn float(sum(os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:')"
                " for fd in os.listdir('/proc/self/fd') if os.path.exists(f'/proc/self/fd/{fd}')))")
        assert value(process, code) == 0.0, "the student process holds a pipe of the zygote"
    finally:
        process.close()


@pytest.mark.parametrize("attack", ["kill", "stop"])
def test_a_student_who_kills_or_stops_the_zygote_harms_only_itself(tmp_path, monkeypatch, attack):
    monkeypatch.setattr(recheck, "FORK_TIMEOUT", 3.0)
    monkeypatch.setattr(recheck, "_zygotes", {})
    sig = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP}[attack]
    try:
        first = recheck.start_student(tmp_path, ROOT, [])
        assert isinstance(first, recheck.ForkedStudentProcess), "no zygote was used"
        run(first, f"import os\nos.kill(os.getppid(), {int(sig)})")
        first.close()
        started = time.monotonic()
        second = recheck.start_student(tmp_path, ROOT, [])
        try:
            assert value(second, "return 2.0 + 2.0") == 4.0, (
                f"after a zygote was {attack}ed, the next student's process does not compute")
        finally:
            second.close()
        assert time.monotonic() - started < 60, "replacing the zygote took over a minute"
    finally:
        recheck._close_zygotes()


def _verdicts(nb, tmp_path, **kw):
    return recheck.recheck_notebook(nb, tmp_path, ROOT, [], **kw)


def _with_solution(nb, grade_id: str, code: str):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code
            return nb
    raise AssertionError(f"no cell {grade_id}")


def test_zygote_and_skipped_demonstrations_decide_as_a_fresh_full_run(tmp_path):
    answer_key = nbformat.read(SOLUTIONS, as_version=4)
    wrong = _with_solution(answer_key, "sigmoid",
                           "import numpy as np\ndef sigmoid(x):\n    return np.tanh(x)\n")
    skip = recheck.released_demo_sources(RELEASE)
    assert len(skip) >= 5, f"found only {len(skip)} demonstration cells in the release notebook"
    try:
        for nb, expect_failures in ((answer_key, False), (wrong, True)):
            reference = _verdicts(nb, tmp_path, use_zygote=False)
            fast = _verdicts(nb, tmp_path, use_zygote=True, skip_sources=skip)
            assert fast == reference, "the zygote with skipped demonstrations decided otherwise"
            failures = [g for g, v in reference.items() if v]
            assert bool(failures) == expect_failures, f"unexpected failures: {failures}"
    finally:
        recheck._close_zygotes()


def test_a_solution_relying_on_a_demonstration_cell_is_still_decided_on_every_cell(tmp_path):
    """Skipping demonstrations is only a shortcut: the preprocessor re-runs all when they matter."""
    answer_key = nbformat.read(SOLUTIONS, as_version=4)
    demo = next(c for c in answer_key.cells if c.cell_type == "code"
                and not c.metadata.get("nbgrader") and "x_demo =" in c.source)
    relying = _with_solution(answer_key, "softmax", "import numpy as np\n"
                             "def softmax(z):\n    _ = x_demo  # defined by a demonstration cell\n"
                             "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                             "    return e / e.sum(axis=-1, keepdims=True)\n")
    assert demo.source.strip() in recheck.released_demo_sources(RELEASE), (
        "control failed: the cell defining x_demo is not a release demonstration")
    resources = {"nbgrader": {"assignment": ASSIGNMENT, "notebook": NOTEBOOK},
                 "metadata": {"path": str(tmp_path)}}
    preprocessor = recheck.RecheckOutsideKernel(course_root=str(ROOT))
    try:
        skipped = _verdicts(relying, tmp_path, skip_sources=recheck.released_demo_sources(RELEASE))
        assert any(v for g, v in skipped.items() if "softmax" in g), (
            "control failed: with demonstrations skipped the softmax tests should fail")
        nb, _ = preprocessor.preprocess(relying, resources)
        rechecked = [c for c in nb.cells for out in c.get("outputs", [])
                     if out.get("ename") == "RecheckFailed"]
        assert not rechecked, (
            "an honest solution that uses a demonstration cell's variable failed the re-check")
    finally:
        recheck._close_zygotes()


def test_the_zygote_imported_every_module_it_preloads_and_has_one_thread(zygote):
    assert zygote.loaded == list(recheck.Zygote.PRELOAD)
    assert zygote.threads == 1
