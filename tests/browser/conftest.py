"""JupyterLab servers and a Chromium browser for the browser tests.

A server is started by the course's own launcher (``python -m course_tools.open_lab``, the code
path of ``make lab`` and ``make instructor``) on a free loopback port, with every Jupyter folder
(config, data, runtime, settings, workspaces, IPython) in a temporary folder, and is stopped,
with the kernels it started, when its fixture ends, even after a failure.

Chromium is Debian's (``apt-get install chromium``), driven by Playwright for Python; Playwright's
own browser download is never used. Without either, the tests skip and say what to install.
Screenshots go to ``reports/screenshots/`` (or the folder named by COURSE_SCREENSHOTS).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from ..conftest import COURSE_ROOT

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
# Headless, as root (the sandbox needs an unprivileged user), and quiet: no network of its own.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(os.environ.get("COURSE_SCREENSHOTS", COURSE_ROOT / "reports" / "screenshots"))
#: Screenshots of these tests start with this prefix (others may share the folder).
SCREENSHOT_PREFIX = "lab_"
SERVER_START_TIMEOUT = 60
SERVER_STOP_TIMEOUT = 20


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_environment(folder: Path) -> dict[str, str]:
    """This process's environment with every per-user Jupyter folder inside folder.

    The nbgrader lab extension and the Python kernel are still found: they live in the
    environment's ``share/jupyter``, which Jupyter searches through ``sys.prefix``. JupyterLab's
    news and update checks are switched off (they would open a toast over the notebook).
    """
    names = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data",
             "JUPYTER_RUNTIME_DIR": "runtime", "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
             "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces", "IPYTHONDIR": "ipython"}
    env = {k: v for k, v in os.environ.items() if k not in ("JUPYTER_CONFIG_PATH", "JUPYTER_PATH")}
    for variable, name in names.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        env[variable] = str(folder / name)
    env["PYTHONNOUSERSITE"] = "1"  # no ~/.local site-packages, no ~/.local/etc/jupyter
    notification = folder / "lab-settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}\n')
    return env


@dataclass
class LabServer:
    """A running JupyterLab: its address, token, the folder it serves and its log."""

    url: str
    token: str
    root_dir: Path
    log: Path

    def get(self, path: str) -> tuple[int, str]:
        """GET url/path with the token; the status and the body (also for 4xx/5xx)."""
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}",
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


@contextmanager
def lab_server(launcher_args: list[str], root_dir: Path, folder: Path,
               env: dict[str, str] | None = None) -> Iterator[LabServer]:
    """Start ``python -m course_tools.open_lab <launcher_args>`` on a free port; stop it after.

    root_dir is the folder the view serves (the workspace or the course); the Jupyter folders,
    the log and (for the student view) the workspace are under folder. The launcher runs in its
    own process group, so that a server which ignores SIGTERM is killed with its kernels.
    """
    port, token = free_port(), "browser-test-token"
    env = env or jupyter_environment(folder)
    log = folder / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "course_tools.open_lab", *launcher_args, "--no-browser",
             f"--port={port}", "--port-retries=0", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True"],
            cwd=COURSE_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    lab = LabServer(f"http://127.0.0.1:{port}", token, root_dir, log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                if lab.get("api/status")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None, f"jupyter lab exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, (
                f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.3)
        yield lab
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright, or a skip that names what to install."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Python package playwright is missing: pip install -e '.[test]' (or pip install "
               "playwright; never `playwright install`, the tests use Debian's Chromium)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (as root; "
                    "`make test` does it where it can), or set COURSE_CHROMIUM to a Chromium")
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        except sync_api.Error as error:
            pytest.fail(f"Chromium at {CHROMIUM} is installed but did not start: {error}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshot():
    """save(page_or_element, name): a PNG in the screenshot folder; returns its path.

    The folder's earlier screenshots of these tests are removed first, so that every file in it
    comes from this run.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{SCREENSHOT_PREFIX}*.png"):
        old.unlink()

    def save(target, name: str) -> Path:
        path = SCREENSHOTS / f"{SCREENSHOT_PREFIX}{name}.png"
        if hasattr(target, "scroll_into_view_if_needed"):
            target.scroll_into_view_if_needed()
            target.screenshot(path=str(path))
        else:
            target.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0, f"empty screenshot {path}"
        return path

    return save
