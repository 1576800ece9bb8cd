"""The lab launcher (``make lab``, ``make instructor``) and the two views it opens.

Fast tests check the pieces (the view table, the command line, the config folder, the exchange);
slow ones start the real server and read what JupyterLab serves: the release notebook, the page
config that decides which nbgrader plugins load, and whether ``/formgrader`` exists, also when
the user's own Jupyter configuration says the opposite.
"""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from course_tools import open_lab
from course_tools.lab_views import (INSTRUCTOR, NBGRADER_PLUGINS, STUDENT, View,
                                    write_view_config)
from course_tools.open_lab import ensure_exchange, lab_command, lab_environment, prepare_workspace

from .browser.conftest import free_port, jupyter_environment, lab_server
from .conftest import copy_course

INSTRUCTOR_ONLY = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:course-list"}


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def page_config(server) -> dict:
    """The page config JupyterLab embeds in /lab (what the browser's plugin loader reads)."""
    status, page = server.get("lab")
    assert status == 200, f"/lab answered {status}"
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      page, re.S)
    assert match, "/lab has no jupyter-config-data script"
    return json.loads(match.group(1))


def disabled_plugins(config: dict) -> set[str]:
    disabled = config.get("disabledExtensions", {})
    names = disabled if isinstance(disabled, list) else [k for k, v in disabled.items() if v]
    return {name for name in names if name.startswith("@jupyter/nbgrader")}


# ---------------------------------------------------------------- the pieces, without a server

def test_student_view_hides_the_instructor_plugins_and_server_extensions():
    assert STUDENT.disabled_extensions() == {
        "@jupyter/nbgrader:assignment-list": False, "@jupyter/nbgrader:validate-assignment": False,
        "@jupyter/nbgrader:course-list": True, "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:formgrader": True}, "the student view must follow nbgrader's table"
    assert sorted(STUDENT.server_extension_args()) == sorted([
        "--ServerApp.jpserver_extensions=nbgrader.server_extensions.assignment_list=True",
        "--ServerApp.jpserver_extensions=nbgrader.server_extensions.validate_assignment=True",
        "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False",
        "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=False",
    ]), "the student view must switch off formgrader and the course list on the server"


def test_instructor_view_shows_every_nbgrader_tool():
    assert not any(INSTRUCTOR.disabled_extensions().values()), "the instructor sees every plugin"
    assert len(INSTRUCTOR.disabled_extensions()) == len(NBGRADER_PLUGINS), (
        "the instructor view must name every plugin, to win over a user's disabling")
    assert all(arg.endswith("=True") for arg in INSTRUCTOR.server_extension_args()), (
        "the instructor view must switch every nbgrader server extension on")


def test_a_view_naming_an_unknown_plugin_is_refused():
    with pytest.raises(ValueError, match="formgrade'"):
        View("typo", plugins=frozenset({"formgrade"}), server_extensions=frozenset())


def test_view_config_is_written_whole_and_rewritten_in_place(tmp_path):
    folder = write_view_config(STUDENT, tmp_path)
    again = write_view_config(STUDENT, tmp_path)
    assert folder == again == tmp_path / "course-lab-views" / "student", f"unexpected {folder}"
    written = json.loads((folder / "labconfig" / "page_config.json").read_text())
    assert written == {"disabledExtensions": STUDENT.disabled_extensions()}, written
    assert [p.name for p in (folder / "labconfig").iterdir()] == ["page_config.json"], (
        "no partial file may be left behind")


def test_lab_environment_puts_the_view_first_and_keeps_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", os.pathsep.join(["/a", "/b"]))
    env = lab_environment(INSTRUCTOR)
    view_folder = str(tmp_path / "runtime" / "course-lab-views" / "instructor")
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [view_folder, "/a", "/b"], (
        env["JUPYTER_CONFIG_PATH"])
    assert os.environ["JUPYTER_CONFIG_PATH"] == os.pathsep.join(["/a", "/b"]), (
        "the launcher's own environment must not change")


def test_lab_command_serves_the_folder_with_the_view_and_passes_extra_options(tmp_path):
    cmd = lab_command(tmp_path, ["--no-browser", "--port=8890"], STUDENT)
    assert cmd[:4] == [sys.executable, "-m", "jupyter", "lab"], cmd
    assert f"--ServerApp.root_dir={tmp_path}" in cmd, cmd
    assert set(STUDENT.server_extension_args()) <= set(cmd), cmd
    assert cmd[-2:] == ["--no-browser", "--port=8890"], "extra options come last, as given"


def test_arguments_not_for_the_launcher_go_to_jupyter_lab(course_root):
    args, extra = open_lab.parse_args(["--instructor", "--no-browser", "--port", "8890"])
    assert args.instructor and args.course == course_root, args
    assert extra == ["--no-browser", "--port", "8890"], extra


def test_a_course_folder_without_nbgrader_config_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        open_lab.parse_args(["--instructor", f"--course={tmp_path}"])
    error = capsys.readouterr().err
    assert f"--course: {tmp_path} is not a course folder (it has no nbgrader_config.py)" in error, (
        error)


def test_exchange_inside_the_course_is_created_once_writable_by_all(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(
        "import os\nc = get_config()\n"
        "c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'exchange')\n")
    assert ensure_exchange(course) == course / "exchange", "the exchange should be created"
    assert stat.S_IMODE((course / "exchange").stat().st_mode) == 0o777, (
        "nbgrader's exchange is writable by every user")
    assert ensure_exchange(course) is None, "an existing exchange is left as it is"


def test_exchange_outside_the_course_or_unset_is_left_alone(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    elsewhere = tmp_path / "shared-exchange"
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(elsewhere)!r}\n")
    assert ensure_exchange(course) is None and not elsewhere.exists(), (
        "an exchange outside the course belongs to the deployment")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    assert ensure_exchange(course) is None, "no exchange configured: nothing to create"


def test_prepare_workspace_copies_release_once_and_keeps_student_work(tmp_path, course_root):
    workspace = prepare_workspace(course_root, tmp_path / "work")
    notebook = workspace / "01_activations_and_losses" / "activations_and_losses.ipynb"
    assert notebook.read_bytes() == (course_root / "release" / notebook.relative_to(workspace)).read_bytes()
    notebook.write_text("my own work")
    prepare_workspace(course_root, workspace)
    assert notebook.read_text() == "my own work", "a second `make lab` must not overwrite work"


# ---------------------------------------------------------------- the real server

@pytest.mark.slow
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


def user_config(folder, disabled: dict[str, bool]) -> dict[str, str]:
    """Jupyter folders in folder whose user config disables (or enables) these plugins."""
    env = jupyter_environment(folder)
    labconfig = folder / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}))
    return env


@pytest.mark.slow
def test_student_view_wins_over_a_user_config_that_enables_instructor_tools(tmp_path):
    env = user_config(tmp_path, {name: False for name in INSTRUCTOR_ONLY})
    env["COURSE_WORKSPACE"] = str(tmp_path / "work")
    with lab_server([], tmp_path / "work", tmp_path, env) as server:
        disabled = disabled_plugins(page_config(server))
        formgrader_status = server.get("formgrader")[0]
    assert disabled == INSTRUCTOR_ONLY, f"the student view disabled {sorted(disabled)}"
    assert formgrader_status == 404, f"/formgrader answered {formgrader_status} to a student"


@pytest.mark.slow
def test_instructor_view_wins_over_a_user_config_that_disables_them(tmp_path, course_root):
    course = copy_course(course_root, tmp_path / "course")
    env = user_config(tmp_path, {name: True for name in INSTRUCTOR_ONLY})
    with lab_server(["--instructor", f"--course={course}"], course, tmp_path, env) as server:
        disabled = disabled_plugins(page_config(server))
        status, body = server.get("formgrader")
    assert disabled == set(), f"the instructor view disabled {sorted(disabled)}"
    assert status == 200 and "Manage Assignments" in body, (
        f"/formgrader answered {status} to the instructor: {body[:300]}")
    assert (course / "exchange").is_dir(), "the instructor view should create the course's exchange"
