"""A class on JupyterHub, end to end: deploy/jupyterhub_config.py, an instructor, two students.

Everything goes through the hub and the users' own servers, reached through the hub's proxy,
as the browser of each user would: the instructor generates and releases assignment 01 with
formgrader's buttons (its REST API), each student fetches it with the Assignment List (nbgrader's
server extension), alice saves the answer key into her copy (Jupyter's contents API) and bob
leaves his untouched, both submit, the instructor collects, autogrades, generates and releases
feedback, and each student fetches the feedback and reads their score in it. Grading runs in the
instructor's server with the course's nbgrader_config.py (with its sandbox where this machine
allows it). Where the suite runs as root, test_ordinary_user_hub.py runs the same hub as an
ordinary user and proves that Autograde grades in the sandbox's user-namespace mode.

The test also checks the two views of the hub (students have no formgrader, instructors do), that
a student's token cannot open another user's server, and that ``nbgrader db student add`` run in
a terminal of the instructor's server enrols the student in the course's JupyterHub group
(nbgrader's JupyterHubAuthPlugin, allowed by the instructors' role; the instructor is no admin).

Tests that only read deploy/'s files (no hub) run first and fast.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import requests
import websocket
from traitlets.config.loader import PyFileConfigLoader

from ..conftest import COURSE_ROOT
from ..assignments.material import primary
from ..pipeline.test_nbgrader_pipeline import visible_text
from .conftest import (COURSE_ID, DEPLOY_CONFIG, EXCHANGE_VARIABLE_MISSING, INSTRUCTOR, STUDENTS,
                       course_exchange_with)

DEPLOY = DEPLOY_CONFIG.parent
# The assignment the class works on (COURSE_TEST_ASSIGNMENT chooses another).
PRIMARY = primary()
ASSIGNMENT, NOTEBOOK = PRIMARY.name, PRIMARY.notebook
STUDENT_GROUP = f"nbgrader-{COURSE_ID}"
INSTRUCTOR_GROUP = f"formgrade-{COURSE_ID}"
# alice submits the answer key, bob the release notebook exactly as he fetched it.
SUBMITS = {"alice": "answer_key", "bob": "release"}
# A student enrolled by the instructor in formgrader during the test (no server of their own).
LATE_STUDENT = "carol"
INSTRUCTOR_ONLY_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                           "@jupyter/nbgrader:course-list")


# --- deploy/'s files, read without a hub ------------------------------------------------------

def load_hub_config(env: dict[str, str], monkeypatch) -> object:
    for name in [k for k in os.environ if k.startswith("COURSE_HUB_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader(DEPLOY_CONFIG.name, path=str(DEPLOY)).load_config()


def deployment_env(tmp_path: Path) -> dict[str, str]:
    return {"COURSE_HUB_COURSE_ROOT": str(tmp_path / "home" / "teacher" / COURSE_ID),
            "COURSE_HUB_EXCHANGE_ROOT": str(tmp_path / "exchange"),
            "COURSE_HUB_STATE_DIR": str(tmp_path / "state"),
            "COURSE_HUB_INSTRUCTORS": "teacher, ta",
            "COURSE_HUB_STUDENTS": "s1,s2"}


def test_hub_config_builds_nbgraders_groups_from_the_environment(tmp_path, monkeypatch):
    cfg = load_hub_config(deployment_env(tmp_path), monkeypatch)
    groups = {name: sorted(spec["users"]) for name, spec in cfg.JupyterHub.load_groups.items()}
    assert groups == {INSTRUCTOR_GROUP: ["ta", "teacher"], STUDENT_GROUP: ["s1", "s2"]}, (
        f"groups should follow nbgrader's formgrade-/nbgrader-<course> convention: {groups}")
    assert cfg.Authenticator.allowed_users == {"teacher", "ta", "s1", "s2"}, (
        f"everyone of the class may log in: {cfg.Authenticator.allowed_users}")
    assert cfg.Authenticator.admin_users == {"teacher", "ta"}, "admins default to the instructors"
    assert (tmp_path / "exchange").is_dir(), "the hub creates a missing exchange"
    assert (tmp_path / "exchange").stat().st_mode & 0o1777 == 0o1777, (
        "every user must be able to write into the exchange (mode 1777, like /tmp)")


@pytest.mark.parametrize("variable, value, named", [
    ("COURSE_HUB_INSTRUCTORS", "Teacher;ta", "COURSE_HUB_INSTRUCTORS"),
    ("COURSE_HUB_INSTRUCTORS", " , ", "COURSE_HUB_INSTRUCTORS"),
    ("COURSE_HUB_COURSE_ROOT", "relative/course", "COURSE_HUB_COURSE_ROOT"),
    ("COURSE_HUB_COURSE_ID", "dl+2026", "COURSE_HUB_COURSE_ID"),
    ("COURSE_HUB_STUDENTS", "s1,teacher", "teacher"),
])
def test_hub_config_names_the_bad_setting(tmp_path, monkeypatch, variable, value, named):
    env = deployment_env(tmp_path) | {variable: value}
    with pytest.raises(Exception) as error:
        load_hub_config(env, monkeypatch)
    assert named in str(error.value), f"the error should name {named}: {error.value}"


def test_exchange_inside_the_course_folder_is_refused(tmp_path, monkeypatch):
    env = deployment_env(tmp_path)
    env["COURSE_HUB_EXCHANGE_ROOT"] = env["COURSE_HUB_COURSE_ROOT"] + "/exchange"
    with pytest.raises(Exception, match="must not lie inside the course folder"):
        load_hub_config(env, monkeypatch)


def test_hub_views_match_the_course_views():
    """The hub's student and instructor folders show the plugins and server extensions of the
    views that course_tools.lab_views defines for JupyterLab on one machine."""
    lab_views = pytest.importorskip("course_tools.lab_views")
    for view in (lab_views.STUDENT, lab_views.INSTRUCTOR):
        folder = DEPLOY / "jupyter" / view.name
        page = json.loads((folder / "labconfig" / "page_config.json").read_text())
        assert page["disabledExtensions"] == view.disabled_extensions(), (
            f"deploy/jupyter/{view.name} hides other plugins than the {view.name} view")
        (server_file,) = (folder / "jupyter_server_config.d").glob("*.json")
        enabled = json.loads(server_file.read_text())["ServerApp"]["jpserver_extensions"]
        expected = {f"nbgrader.server_extensions.{ext}": ext in view.server_extensions
                    for ext in lab_views.NBGRADER_SERVER_EXTENSIONS}
        assert enabled == expected, (
            f"{server_file.name} turns on other server extensions than the {view.name} view")


def test_course_config_uses_the_hubs_exchange(tmp_path, monkeypatch):
    """The course's nbgrader_config.py is loaded last by nbgrader in the instructor's server:
    it must take the shared exchange from NBGRADER_EXCHANGE_ROOT, and hide it from graded code."""
    monkeypatch.delenv("NBGRADER_EXCHANGE_ROOT", raising=False)
    exchange = tmp_path / "exchange"
    root, hidden = course_exchange_with(COURSE_ROOT, exchange, monkeypatch)
    assert root == str(exchange), f"{EXCHANGE_VARIABLE_MISSING}; it sets {root!r}"
    assert str(exchange) in hidden, f"graded code must not see the hub's exchange: hides {hidden}"
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_ROOT)).load_config()
    assert cfg.Exchange.root == str(COURSE_ROOT / "exchange"), (
        f"without NBGRADER_EXCHANGE_ROOT the exchange stays in the course: {cfg.Exchange.root}")


# --- the class on a running hub ----------------------------------------------------------------

class UserServer:
    """One user's single-user server, reached through the hub's proxy with the user's token."""

    def __init__(self, hub, name: str, token: str):
        self.hub, self.name = hub, name
        self.base = f"{hub.url}/user/{name}"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201), **kwargs):
        response = self.session.request(method, f"{self.base}{path}", timeout=300, **kwargs)
        assert response.status_code in expect, (
            f"{self.name}: {method} {path} answered {response.status_code}: "
            f"{response.text[:800]}\n--- hub log ---\n{self.hub.log_tail()}")
        return response

    def nbgrader(self, path: str, **kwargs) -> dict:
        """A formgrader API call that must report success (nbgrader's {"success", "log"})."""
        result = self.call("POST", f"/formgrader/api{path}", **kwargs).json()
        assert result.get("success"), (
            f"{self.name}: formgrader {path} failed:\n{result.get('error')}\n{result.get('log')}")
        return result

    def assignments(self, action: str = "") -> list[dict]:
        """nbgrader's Assignment List: the list, or an action (fetch, submit, fetch_feedback)."""
        if action:
            body = {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT}
            response = self.call("POST", f"/assignments/{action}", data=json.dumps(body))
        else:
            response = self.call("GET", "/assignments", params={"course_id": COURSE_ID})
        result = response.json()
        assert result.get("success"), f"{self.name}: assignment list {action or 'GET'}: {result}"
        return result["value"]

    def read(self, path: str) -> dict:
        return self.call("GET", f"/api/contents/{path}", params={"content": 1}).json()

    def run_in_terminal(self, command: str, timeout: float = 120) -> tuple[int, str]:
        """Run a shell command in a JupyterLab terminal of this server; (exit status, output)."""
        name = self.call("POST", "/api/terminals").json()["name"]
        url = self.base.replace("http://", "ws://", 1) + f"/terminals/websocket/{name}"
        auth = f"Authorization: {self.session.headers['Authorization']}"
        ws = websocket.create_connection(url, header=[auth], timeout=timeout)
        try:
            # The terminal echoes the command line with a literal "$?": only digits end the wait.
            ws.send(json.dumps(["stdin", f"{command}; echo __EXIT__$?\r"]))
            output, deadline = "", time.monotonic() + timeout
            while (done := re.search(r"__EXIT__(\d+)", output)) is None:
                assert time.monotonic() < deadline, (
                    f"{self.name}: {command!r} still runs:\n{output}")
                kind, *data = json.loads(ws.recv())
                if kind == "stdout":
                    output += data[0]
            return int(done.group(1)), output
        finally:
            ws.close()
            self.call("DELETE", f"/api/terminals/{name}", expect=(204,))

    def page_config(self) -> dict:
        """The page config JupyterLab sends to this user's browser with /lab."""
        page = self.call("GET", "/lab").text
        match = re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
        assert match, f"{self.name}: /lab has no jupyter-config-data"
        return json.loads(match.group(1))


def start_servers(hub, names) -> dict[str, UserServer]:
    """Start each user's server through the hub API (in parallel), mint a token for each user."""
    for name in names:
        hub.api("POST", f"/users/{name}/server")
    deadline = time.monotonic() + 180
    pending = set(names)
    while pending:
        for name in sorted(pending):
            model = hub.api("GET", f"/users/{name}").json()
            if model["servers"].get("", {}).get("ready"):
                pending.discard(name)
        assert time.monotonic() < deadline, (
            f"servers of {sorted(pending)} not ready after 180 s:\n{hub.log_tail()}")
        time.sleep(0.5)
    servers = {}
    for name in names:
        token = hub.api("POST", f"/users/{name}/tokens",
                        json={"note": "e2e test", "expires_in": 3600}).json()["token"]
        servers[name] = UserServer(hub, name, token)
    return servers


def points_of(source: nbformat.NotebookNode) -> tuple[float, float]:
    """(automatic points, all points) of an nbgrader source notebook."""
    graded = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    auto = sum(c.metadata.nbgrader.points for c in graded
               if c.cell_type == "code" and not c.metadata.nbgrader.get("solution"))
    return float(auto), float(sum(c.metadata.nbgrader.points for c in graded))


FEEDBACK_SCORE = re.compile(rf"{NOTEBOOK} \(Score: ([0-9.]+) / ([0-9.]+)\)")


@pytest.fixture(scope="module")
def course_run(hub):
    """The whole flow of one assignment through the hub; returns what each user saw."""
    seen: dict = {"students": {}}
    servers = start_servers(hub, [INSTRUCTOR, *STUDENTS])
    seen["servers"] = servers
    instructor = servers[INSTRUCTOR]

    # The instructor generates the student version and releases it (formgrader's buttons).
    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/assign")
    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/release")
    source = nbformat.read(hub.course / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    seen["points"] = points_of(source)

    def student_works(name: str) -> dict:
        me = servers[name]
        listed = me.assignments()
        fetched = me.assignments("fetch")
        (mine,) = [a for a in fetched
                   if a["assignment_id"] == ASSIGNMENT and a["status"] == "fetched"]
        (notebook,) = [n for n in mine["notebooks"] if n["notebook_id"] == NOTEBOOK]
        release_nb = nbformat.from_dict(me.read(notebook["path"])["content"])
        if SUBMITS[name] == "answer_key":
            work = PRIMARY.build({"base": "answer_key"}, release_nb, source)
            me.call("PUT", f"/api/contents/{notebook['path']}",
                    data=json.dumps({"type": "notebook", "format": "json", "content": work}))
        submitted = me.assignments("submit")
        return dict(listed=listed, submitted=submitted, courses=me.call("GET", "/courses").json())

    with ThreadPoolExecutor(len(STUDENTS)) as pool:
        for name, result in zip(STUDENTS, pool.map(student_works, STUDENTS)):
            seen["students"][name] = result
    seen["inbound"] = sorted(p.name.split("+")[0]
                             for p in (hub.exchange / COURSE_ID / "inbound").iterdir())

    # The instructor collects, autogrades each submission, and returns feedback.
    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/collect")
    for name in STUDENTS:
        instructor.nbgrader(f"/submission/{ASSIGNMENT}/{name}/autograde")
    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/generate_feedback")
    instructor.nbgrader(f"/assignment/{ASSIGNMENT}/release_feedback")
    submissions = instructor.call("GET", f"/formgrader/api/submissions/{ASSIGNMENT}").json()
    seen["gradebook"] = {s["student"]: (s["score"], s["max_score"]) for s in submissions}

    for name in STUDENTS:
        me = servers[name]
        listed = me.assignments("fetch_feedback")
        (mine,) = [a for a in listed
                   if a["assignment_id"] == ASSIGNMENT and a["status"] == "submitted"]
        paths = [s["local_feedback_path"] for s in mine["submissions"]
                 if s.get("local_feedback_path")]
        assert paths, f"{name}: no feedback after fetch_feedback: {mine}"
        page = me.read(f"{paths[-1]}/{NOTEBOOK}.html")["content"]
        seen["students"][name]["feedback"] = visible_text(page)

    # The instructor enrols one more student with nbgrader's command, in a terminal of their
    # server (formgrader's Manage Students does not call the auth plugin in nbgrader 0.9.6).
    hub.api("POST", f"/users/{LATE_STUDENT}")
    # A terminal's login shell resets PATH: name the course's environment first, as a
    # deployment does in /etc/profile.d (deploy/README.md).
    seen["enrol"] = instructor.run_in_terminal(
        f"PATH={Path(sys.executable).parent}:$PATH "
        f"nbgrader db student add {LATE_STUDENT} --first-name=Carol --last-name=Late")
    return seen


@pytest.mark.slow
def test_hub_loads_the_deployments_groups(hub):
    groups = {g["name"]: sorted(g["users"]) for g in hub.api("GET", "/groups").json()}
    assert groups.get(INSTRUCTOR_GROUP) == [INSTRUCTOR], f"instructors' group: {groups}"
    assert set(STUDENTS) <= set(groups.get(STUDENT_GROUP, [])), f"students' group: {groups}"


@pytest.mark.slow
def test_students_see_the_course_and_its_release(course_run):
    for name in STUDENTS:
        student = course_run["students"][name]
        assert student["courses"] == {"success": True, "value": [COURSE_ID]}, (
            f"{name}'s course list (from the hub's groups): {student['courses']}")
        released = [(a["course_id"], a["assignment_id"], a["status"]) for a in student["listed"]]
        assert released == [(COURSE_ID, ASSIGNMENT, "released")], (
            f"{name} should see exactly the released assignment: {released}")


@pytest.mark.slow
def test_each_submission_is_filed_under_its_students_hub_name(course_run, hub):
    assert course_run["inbound"] == sorted(STUDENTS), (
        f"the exchange's inbound should hold one submission per student: {course_run['inbound']}")
    for name in STUDENTS:
        own = [(s["student_id"], s["status"]) for a in course_run["students"][name]["submitted"]
               if a["status"] == "submitted" for s in a["submissions"]]
        assert own == [(name, "submitted")], (
            f"{name}'s Assignment List should show one submission of their own: {own}")
        submitted = hub.course / "submitted" / name / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        assert submitted.exists(), f"collect did not file {name}'s submission at {submitted}"


@pytest.mark.slow
def test_the_gradebook_holds_the_right_scores(course_run):
    auto, total = course_run["points"]
    assert auto > 0, "assignment 01 has autograded tests"
    assert course_run["gradebook"] == {"alice": (auto, total), "bob": (0.0, total)}, (
        f"formgrader's scores: expected alice {auto}/{total} (the answer key earns every "
        f"automatic point; the written answer awaits a person) and bob 0/{total}: "
        f"{course_run['gradebook']}")


@pytest.mark.slow
@pytest.mark.parametrize("name", STUDENTS)
def test_each_student_reads_their_score_in_their_feedback(course_run, name):
    auto, total = course_run["points"]
    expected = auto if SUBMITS[name] == "answer_key" else 0.0
    feedback = course_run["students"][name]["feedback"]
    match = FEEDBACK_SCORE.search(feedback)
    assert match, f"{name}'s feedback shows no score line: {feedback[:300]}"
    assert (float(match.group(1)), float(match.group(2))) == (expected, total), (
        f"{name} submitted the {SUBMITS[name]} and should read {expected:g} / {total:g}: "
        f"{match.group(0)}")


@pytest.mark.slow
def test_feedback_is_made_with_the_courses_own_config(course_run):
    """The instructor's server grades with the course's nbgrader_config.py (loaded last by
    nbgrader): its feedback preprocessor reports hidden tests without showing them."""
    hidden = re.compile(r"Hidden tests \(\d+ points?\): (passed|FAILED)")
    verdicts = {name: set(hidden.findall(course_run["students"][name]["feedback"]))
                for name in STUDENTS}
    assert verdicts == {"alice": {"passed"}, "bob": {"FAILED"}}, (
        f"hidden-test verdicts in the feedback (course_tools.feedback): {verdicts}")


@pytest.mark.slow
def test_students_have_no_formgrader_and_instructors_do(course_run):
    servers = course_run["servers"]
    servers[INSTRUCTOR].call("GET", "/formgrader/api/status", expect=(200,))
    courses = servers[INSTRUCTOR].call("GET", "/formgraders").json()
    listed = [(c["course_id"], c["kind"], c["url"].split("/user/", 1)[-1])
              for c in courses.get("value", [])]
    assert listed == [(COURSE_ID, "local", f"{INSTRUCTOR}/formgrader")], (
        f"the instructor's course list should offer their own formgrader: {courses}")
    instructor_disabled = servers[INSTRUCTOR].page_config().get("disabledExtensions", [])
    shown = [p for p in INSTRUCTOR_ONLY_PLUGINS if p in instructor_disabled]
    assert not shown, f"the instructor's JupyterLab hides {shown}"
    for name in STUDENTS:
        servers[name].call("GET", "/formgrader/api/status", expect=(404,))
        servers[name].call("GET", "/formgraders", expect=(404,))
        disabled = servers[name].page_config().get("disabledExtensions", [])
        missing = [p for p in INSTRUCTOR_ONLY_PLUGINS if p not in disabled]
        assert not missing, f"{name}'s JupyterLab still loads {missing}"


@pytest.mark.slow
def test_a_students_token_opens_no_other_server(course_run):
    alice = course_run["servers"]["alice"]
    for other in ("bob", INSTRUCTOR):
        response = alice.session.get(f"{alice.hub.url}/user/{other}/api/status", timeout=30,
                                     allow_redirects=False)
        assert response.status_code == 403, (
            f"alice's token reached {other}'s server: {response.status_code}")


@pytest.mark.slow
def test_adding_a_student_to_the_gradebook_enrols_them_on_the_hub(course_run, hub):
    status, output = course_run["enrol"]
    assert status == 0, f"nbgrader db student add failed in the instructor's terminal:\n{output}"
    members = hub.api("GET", f"/groups/{STUDENT_GROUP}").json()["users"]
    assert LATE_STUDENT in members, (
        f"nbgrader should add {LATE_STUDENT} to {STUDENT_GROUP} with the instructor's server "
        f"token (JupyterHubAuthPlugin, the instructors' role): members are {members}\n{output}")
