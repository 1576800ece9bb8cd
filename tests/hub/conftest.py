"""A JupyterHub class on loopback, for the end-to-end test of deploy/jupyterhub_config.py.

The hub runs deploy/jupyterhub_config.py, loaded by a small test file that changes only what a
test machine needs: the dummy authenticator, JupyterHub's SimpleLocalProcessSpawner (no system
accounts: every home is a folder under the test's temporary folder), free loopback ports, and one
service token with which the test drives the hub's REST API. Everything the hub writes (its
database, cookie secret, the users' homes, the exchange, the instructor's copy of the course)
lives in that temporary folder, and the hub, its proxy and every server it started are stopped
in teardown, also when a test fails.

Two hubs share that machinery (`start_hub`): ``hub``, whose servers run as the account that runs
the test (root in CI), and ``ordinary_user_hub``, which where the suite runs as root runs the whole
hub (and so, with SimpleLocalProcessSpawner, every server) as the throw-away ordinary account of
tests/services/ordinary_user.py, in folders of that account's: an instructor without root, whose
grading sandbox runs in a user namespace of its own.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import psutil
import pytest
import requests

from course_tools.sandbox import USER_NAMESPACE_MODE

from ..conftest import COURSE_ROOT, copy_course, grading_overrides
from ..services.ordinary_user import OrdinaryUser, ordinary_user, remove

DEPLOY_CONFIG = COURSE_ROOT / "deploy" / "jupyterhub_config.py"
COURSE_ID = "deep-learning-foundations"
INSTRUCTOR = "instructor"
STUDENTS = ("alice", "bob")
PROXY_INSTALL = "npm install --prefix .venv configurable-http-proxy (Node.js 20 or newer)"
# Scopes of the service token the test drives the hub with (an operator's automation would
# hold the same): start servers, mint user tokens, read users and groups, create a user.
DRIVER_SCOPES = ["admin:users", "admin:servers", "tokens", "list:users", "read:users",
                 "list:groups", "read:groups"]


def proxy_command() -> str | None:
    """configurable-http-proxy from the virtual environment's npm folder, else from PATH."""
    local = Path(sys.prefix) / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hub_config_text(deploy_config: Path, homes: Path, ports: dict[str, int], proxy: str,
                token: str, as_root: bool | None = None) -> str:
    """The hub's config file for the test: the deployment's file, then the test machine's.
    ``as_root``: whether the hub (and so every server) runs as root (default: whether this
    process does)."""
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return f'''\
c = get_config()
load_subconfig({str(deploy_config)!r})

c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(homes / "{username}")!r}
# Every server runs as the account that runs the hub.
c.Spawner.args = {["--allow-root"] if as_root else []!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.bind_url = "http://127.0.0.1:{ports["public"]}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports["hub"]}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.services = [{{"name": "e2e-driver", "api_token": {token!r}}}]
c.JupyterHub.load_roles.append(
    {{"name": "e2e-driver", "scopes": {DRIVER_SCOPES!r}, "services": ["e2e-driver"]}})
'''


def course_exchange_with(course: Path, exchange: Path, monkeypatch) -> tuple[str, list[str]]:
    """(Exchange.root, the sandbox's hidden paths) that the course's nbgrader_config.py sets when
    the hub names ``exchange`` in NBGRADER_EXCHANGE_ROOT."""
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("NBGRADER_EXCHANGE_ROOT", str(exchange))
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    monkeypatch.delenv("NBGRADER_EXCHANGE_ROOT")
    return cfg.Exchange.root, list(cfg.SandboxedKernelManager.hidden_paths)


EXCHANGE_VARIABLE_MISSING = (
    "the course's nbgrader_config.py must take the exchange from NBGRADER_EXCHANGE_ROOT when it is "
    "set (and hide that folder from graded code), or the hub's students never see a release: "
    "see deploy/README.md")


def allow_grading_without_sandbox(home: Path) -> None:
    """Where the grading sandbox cannot work here, let the instructor's server grade without it
    (with a warning), through the instructor's own nbgrader config: the same options the
    pipeline tests pass on nbgrader's command line."""
    overrides = grading_overrides()
    if overrides:
        (home / ".jupyter").mkdir(parents=True, exist_ok=True)
        lines = ["c." + option.removeprefix("--").replace("=", " = ", 1) for option in overrides]
        (home / ".jupyter" / "nbgrader_config.py").write_text("\n".join(lines) + "\n")


@dataclass
class Hub:
    """A running hub: its public URL (through the proxy) and the service token that drives it."""

    url: str
    token: str
    log: Path
    homes: Path
    exchange: Path
    course: Path
    process: subprocess.Popen
    # The ordinary account the hub and its servers run as (None: the account running the test).
    user: OrdinaryUser | None = None

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(text[-lines:])

    def api(self, method: str, path: str, expect: tuple[int, ...] = (200, 201, 202, 204),
            **kwargs):
        """Call the hub's REST API as the test's service; fail on an unexpected status."""
        response = requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                                    headers={"Authorization": f"token {self.token}"}, **kwargs)
        assert response.status_code in expect, (
            f"hub API {method} {path} answered {response.status_code}: {response.text[:500]}\n"
            f"--- hub log ---\n{self.log_tail()}")
        return response


def hub_environment(tmp: Path, course: Path, exchange: Path, state: Path) -> dict[str, str]:
    """The hub's environment: the deployment's variables, Jupyter's folders in tmp, no Jupyter
    or JupyterHub variable of the calling shell."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "JPY_", "COURSE_HUB_", "NBGRADER_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for name in ("config", "data", "runtime"):
        (tmp / "jupyter" / name).mkdir(parents=True, exist_ok=True)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "jupyter" / "config"),
        JUPYTER_DATA_DIR=str(tmp / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter" / "runtime"),
        COURSE_HUB_COURSE_ID=COURSE_ID,
        COURSE_HUB_COURSE_ROOT=str(course),
        COURSE_HUB_EXCHANGE_ROOT=str(exchange),
        COURSE_HUB_INSTRUCTORS=INSTRUCTOR,
        COURSE_HUB_STUDENTS=",".join(STUDENTS),
        # No admin: what instructors may do on the hub comes from their role alone.
        COURSE_HUB_ADMINS="",
        COURSE_HUB_STATE_DIR=str(state),
    )
    return env


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop the hub (which stops its proxy and the servers it started), then anything of its
    process tree still alive, by process id."""
    try:
        tree = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        tree = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    _, alive = psutil.wait_procs(tree, timeout=5)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)


def needs_hub_tools() -> str:
    """configurable-http-proxy's command; skips the test where JupyterHub or the proxy is
    missing."""
    pytest.importorskip("jupyterhub", reason="JupyterHub is not installed: "
                        "pip install jupyterhub (make test installs it with the test extra)")
    proxy = proxy_command()
    if proxy is None:
        pytest.skip(f"configurable-http-proxy is not installed: {PROXY_INSTALL}")
    return proxy


@contextmanager
def start_hub(tmp: Path, proxy: str, user: OrdinaryUser | None = None,
              allow_fallback: bool = True) -> Iterator[Hub]:
    """JupyterHub with deploy/jupyterhub_config.py on loopback, with everything it writes in
    ``tmp``: an instructor (who holds a copy of the course in their home) and two students, no
    server started yet; stopped (with every server it started) on leaving.

    ``user``: run the hub, and so every server, as this ordinary account (``tmp`` must be a
    folder of its, `OrdinaryUser.folder`); default the account that runs the test.
    ``allow_fallback``: let the instructor grade without the sandbox where it cannot work here
    (`allow_grading_without_sandbox`); with False the instructor's config is the course's alone.
    """
    homes, exchange, state = tmp / "homes", tmp / "exchange", tmp / "state"
    course = copy_course(COURSE_ROOT, homes / INSTRUCTOR / COURSE_ID)
    with pytest.MonkeyPatch.context() as monkeypatch:
        root, hidden = course_exchange_with(course, exchange, monkeypatch)
    assert root == str(exchange) and str(exchange) in hidden, (
        f"{EXCHANGE_VARIABLE_MISSING} (it sets {root!r}, hides {hidden})")
    if allow_fallback:
        allow_grading_without_sandbox(homes / INSTRUCTOR)
    ports = {name: free_port() for name in ("public", "hub", "proxy_api")}
    token = secrets.token_hex(32)
    as_root = user is None and hasattr(os, "geteuid") and os.geteuid() == 0
    config = tmp / "jupyterhub_e2e_config.py"
    config.write_text(hub_config_text(DEPLOY_CONFIG, homes, ports, proxy, token, as_root))
    env = hub_environment(tmp, course, exchange, state)
    command = [sys.executable, "-m", "jupyterhub", "-f", str(config)]
    if user is not None:
        user.give(tmp)
        command = user.command(command, env)
    log = tmp / "jupyterhub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    running = Hub(url=f"http://127.0.0.1:{ports['public']}", token=token, log=log, homes=homes,
                  exchange=exchange, course=course, process=process, user=user)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (
                f"jupyterhub exited with {process.returncode}:\n{running.log_tail()}")
            try:
                if requests.get(f"{running.url}/hub/api/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, (
                f"jupyterhub did not answer within 90 s:\n{running.log_tail()}")
            time.sleep(0.3)
        yield running
    finally:
        stop(process)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The class hub, run by the account that runs the test (root in CI)."""
    proxy = needs_hub_tools()
    with start_hub(tmp_path_factory.mktemp("hub"), proxy) as running:
        yield running


#: What the ordinary user's sandbox says about itself, run as that user.
SANDBOX_PROBE = """\
import json, sys
sys.path.insert(0, sys.argv[1])
from course_tools import sandbox
print(json.dumps([sandbox.sandbox_mode(), *sandbox.sandbox_available()]))
"""


def sandbox_of(user: OrdinaryUser) -> tuple[str, bool, str]:
    """(sandbox_mode(), available, why not) of the course's sandbox in a process of ``user``."""
    result = user.run([sys.executable, "-c", SANDBOX_PROBE, str(COURSE_ROOT)],
                      capture_output=True, text=True, timeout=120, cwd="/")
    assert result.returncode == 0, f"the sandbox probe failed as {user.name}:\n{result.stderr}"
    mode, ok, why = json.loads(result.stdout.strip().splitlines()[-1])
    return mode, ok, why


@pytest.fixture(scope="module")
def ordinary_user_hub():
    """The class hub run as an ordinary user (root runs the test): the hub, every server and
    every file they write belong to the throw-away account, and the instructor grades with the
    course's config alone, in the sandbox's user-namespace mode (never the no-sandbox fallback).
    """
    if os.geteuid() != 0:
        pytest.skip("the suite runs as an ordinary user: the `hub` fixture's servers already run "
                    "as it, so test_jupyterhub_e2e.py's Autograde is already that of a non-root "
                    "instructor")
    proxy = needs_hub_tools()
    user = ordinary_user()
    if user is None:
        pytest.skip("no ordinary account to run the hub as (useradd is missing)")
    tmp = user.folder("hub-ordinary-user")
    try:
        mode, ok, why = sandbox_of(user)
        assert mode == USER_NAMESPACE_MODE, f"{user.name}'s sandbox mode is {mode!r}"
        if not ok:
            pytest.fail(f"an ordinary user cannot use the grading sandbox here, and this hub "
                        f"never grades without it: {why}")
        with start_hub(tmp, proxy, user=user, allow_fallback=False) as running:
            yield running
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        remove(user)
