"""`make lab`'s launcher: the server starts, serves the release notebook on localhost, stops."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from course_tools.open_lab import prepare_workspace

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_prepare_workspace_copies_release_once_and_keeps_student_work(tmp_path, course_root):
    workspace = prepare_workspace(course_root, tmp_path / "work")
    notebook = workspace / "01_activations_and_losses" / "activations_and_losses.ipynb"
    assert notebook.read_bytes() == (course_root / "release" / notebook.relative_to(workspace)).read_bytes()
    notebook.write_text("my own work")
    prepare_workspace(course_root, workspace)
    assert notebook.read_text() == "my own work", "a second `make lab` must not overwrite work"


def test_lab_serves_the_release_notebook_and_stops(tmp_path, course_root):
    port, token = free_port(), "smoke-test-token"
    env = dict(os.environ, COURSE_WORKSPACE=str(tmp_path / "work"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    server = subprocess.Popen(
        [sys.executable, "-m", "course_tools.open_lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--port-retries=0"],
        cwd=course_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = get(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, f"jupyter lab exited:\n{server.stdout.read()}"
                assert time.monotonic() < deadline, "jupyter lab did not answer within 60 s"
                time.sleep(0.5)
        assert status == 200
        status, body = get(f"{base}/api/contents/01_activations_and_losses/activations_and_losses.ipynb", token)
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in model["content"]["cells"]]
        assert any("def sigmoid(x):" in s and "YOUR CODE HERE" in s for s in sources), (
            "the served notebook must be the student release")
        status, page = get(f"{base}/lab", token)
        assert status == 200 and "JupyterLab" in page
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail("jupyter lab did not stop within 20 s of SIGTERM")
    assert server.returncode is not None
