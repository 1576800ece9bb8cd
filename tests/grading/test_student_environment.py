"""Student code never sees the grader's credentials.

On a JupyterHub the instructor's server holds ``JUPYTERHUB_API_TOKEN`` (and ``JPY_API_TOKEN``);
a submission that read it from its environment could act on the hub as the instructor. Every
process that runs student code (the grading kernel, the re-check process, the zygote and what it
forks) gets `sandbox.student_environment()`, which drops such variables.
"""
from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from course_tools import recheck, sandbox

ROOT = Path(__file__).resolve().parents[2]

SECRETS = {
    "JUPYTERHUB_API_TOKEN": "hub-token-of-the-instructor",
    "JPY_API_TOKEN": "old-name-of-the-hub-token",
    "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
    "NBGRADER_DB_URL": "postgresql+psycopg://grader:pw@db/gradebook",
    "NBGRADER_EXECUTION": "autograde",
    "PGPASSWORD": "pw",
    "GITHUB_TOKEN": "ghp_x",
    "MY_SERVICE_SECRET": "s",
    "aws_secret_access_key": "lower-case names count too",
}
HARMLESS = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
            "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "SSH_AUTH_SOCK_COUNT": "1"}

available, why = sandbox.sandbox_available()
needs_sandbox = pytest.mark.skipif(not available, reason=f"no sandbox here: {why}")

READ_ENVIRONMENT = "import os, json\nprint(json.dumps(sorted(os.environ)))"


def test_secrets_are_dropped_and_the_rest_is_kept():
    env = sandbox.student_environment({**SECRETS, **HARMLESS})
    assert not set(env) & set(SECRETS), f"left in: {sorted(set(env) & set(SECRETS))}"
    assert env == {**HARMLESS, **sandbox.SINGLE_THREADED}, "a variable student code needs was dropped"


def test_numerical_libraries_run_on_one_thread():
    # OpenBLAS restarts its threads after a fork: with every process slot used up, a matrix
    # product would wait forever (the kernel fault fork_bomb_then_matrix_product).
    env = sandbox.student_environment({"OPENBLAS_NUM_THREADS": "8", **HARMLESS})
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"


def test_the_default_is_this_process_environment(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t")
    monkeypatch.setenv("LANG", "C.UTF-8")
    env = sandbox.student_environment()
    assert "JUPYTERHUB_API_TOKEN" not in env
    assert env["LANG"] == "C.UTF-8"


# The runner answers "names" with the callables the student's namespace defines: one function per
# variable of the environment makes the names readable through the protocol itself.
DEFINE_ONE_FUNCTION_PER_VARIABLE = """
import os
for _name in os.environ:
    if ('ENV_' + _name).isidentifier():
        globals()['ENV_' + _name] = lambda: 0.0
"""


def environment_of(process) -> set[str]:
    reply = process.request({"op": "exec", "code": DEFINE_ONE_FUNCTION_PER_VARIABLE}, timeout=60)
    assert "error" not in reply, reply
    reply = process.request({"op": "names"}, timeout=30)
    return {name[len("ENV_"):] for name in reply["names"] if name.startswith("ENV_")}


@pytest.mark.slow
@needs_sandbox
@pytest.mark.parametrize("how", ["process", "zygote"])
def test_the_recheck_process_sees_no_secret(how, monkeypatch, tmp_path):
    for name, val in SECRETS.items():
        monkeypatch.setenv(name, val)
    if how == "process":
        process = recheck.StudentProcess(tmp_path, course_root=ROOT, hidden=[])
        zygote = None
    else:
        zygote = recheck.Zygote(course_root=ROOT, hidden=[])
        process = zygote.fork(tmp_path)
    try:
        seen = environment_of(process)
        assert "PATH" in seen, f"could not read the student's environment: {seen}"
        assert not seen & set(SECRETS), f"the student process sees {sorted(seen & set(SECRETS))}"
    finally:
        process.close()
        if zygote is not None:
            zygote.close()


@pytest.mark.slow
@needs_sandbox
def test_the_grading_kernel_sees_no_secret(monkeypatch):
    for name, val in SECRETS.items():
        monkeypatch.setenv(name, val)

    async def environment_in_kernel() -> list[str]:
        km = sandbox.SandboxedKernelManager(kernel_name="python3", course_root=str(ROOT))
        await km.start_kernel()
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            lines = []
            reply = await client.execute_interactive(
                READ_ENVIRONMENT, timeout=60,
                output_hook=lambda msg: lines.append(msg["content"].get("text", "")))
            assert reply["content"]["status"] == "ok", reply["content"]
            return json.loads("".join(lines))
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)

    # A thread of its own: in the full suite an earlier test may leave an event loop running in
    # this thread, and asyncio.run refuses to start inside one.
    with ThreadPoolExecutor(1) as pool:
        seen = set(pool.submit(asyncio.run, environment_in_kernel()).result())
    assert "PATH" in seen, "could not read the kernel's environment"
    assert not seen & set(SECRETS), f"the grading kernel sees {sorted(seen & set(SECRETS))}"
