"""JupyterHub for a class of the course on one machine, with nbgrader's exchange.

Run it with ``jupyterhub -f deploy/jupyterhub_config.py`` (deploy/README.md walks through it).
It follows nbgrader's "Using nbgrader with JupyterHub" conventions for one course:

* the course id names two JupyterHub groups: ``formgrade-<course>`` holds the instructors,
  ``nbgrader-<course>`` the students. nbgrader's ``JupyterHubAuthPlugin`` reads them to decide
  which courses a user sees, and adds a student to ``nbgrader-<course>`` when an instructor adds
  them in formgrader (Manage Students);
* every single-user server reads nbgrader's settings from the folders of ``deploy/jupyter/``,
  put on ``JUPYTER_CONFIG_PATH`` by the spawner: ``common/`` (course id, shared exchange, the
  JupyterHub auth plugin) and one view, ``instructor/`` (the course folder, formgrader and every
  nbgrader tool) or ``student/`` (Assignment List and Validate only: no formgrader, Create
  Assignment or course list, and submissions filed under the JupyterHub user name);
* the exchange is one folder shared by every user; the instructors' course folder (a checkout of
  this repository, with its ``nbgrader_config.py``) holds the gradebook and never the exchange.

What differs between deployments comes from the environment of the ``jupyterhub`` process:

=============================  ================================================================
``COURSE_HUB_COURSE_ID``       nbgrader's course id (default ``deep-learning-foundations``, the
                               one ``nbgrader_config.py`` sets)
``COURSE_HUB_COURSE_ROOT``     the instructors' course folder, absolute (default
                               ``~<first instructor>/deep-learning-foundations``); formgrader
                               needs it inside the instructor's home (the server's root folder)
``COURSE_HUB_EXCHANGE_ROOT``   the shared exchange, absolute (default
                               ``/srv/nbgrader/exchange``; created world-writable if missing)
``COURSE_HUB_INSTRUCTORS``     comma-separated user names of the instructors (default
                               ``instructor``)
``COURSE_HUB_STUDENTS``        comma-separated user names of the students (default none: add
                               them later in the admin panel or formgrader)
``COURSE_HUB_ADMINS``          comma-separated JupyterHub admins (default: the instructors)
``COURSE_HUB_STATE_DIR``       the hub's own files: its database, cookie secret and proxy pid
                               (default ``/srv/jupyterhub``)
=============================  ================================================================

The single-user servers receive ``NBGRADER_COURSE_ID``, ``NBGRADER_EXCHANGE_ROOT`` and, for
instructors, ``NBGRADER_COURSE_ROOT``; the course's ``nbgrader_config.py`` reads
``NBGRADER_EXCHANGE_ROOT`` so that grading uses (and hides from student code) the shared exchange.

Users log in with their accounts on the machine (PAM) and each server runs as that user
(``LocalProcessSpawner``), so file permissions keep students out of the course folder and out of
each other's homes. Options given on the ``jupyterhub`` command line or in a file that loads this
one (``load_subconfig``) override these defaults, e.g. another authenticator.
"""
import os
import re

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

DEPLOY = os.path.dirname(os.path.abspath(__file__))
# Folders put on JUPYTER_CONFIG_PATH of the single-user servers, highest priority first.
VIEW_CONFIG = {view: [os.path.join(DEPLOY, "jupyter", view),
                      os.path.join(DEPLOY, "jupyter", "common")]
               for view in ("instructor", "student")}
USER_NAME = re.compile(r"[a-z0-9_][a-z0-9_.-]*")
COURSE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def user_names(variable: str, default: str = "") -> list[str]:
    """The user names listed, comma-separated, in an environment variable."""
    names = [name.strip() for name in os.environ.get(variable, default).split(",") if name.strip()]
    bad = [name for name in names if not USER_NAME.fullmatch(name)]
    if bad:
        raise ValueError(f"{variable} lists invalid user names {bad}: use lower-case letters, "
                         "digits, '_', '.' and '-', separated by commas")
    return names


def absolute_path(variable: str, default: str) -> str:
    """An absolute path from an environment variable (with ``~user`` expanded)."""
    path = os.path.expanduser(os.environ.get(variable) or default)
    if not os.path.isabs(path):
        raise ValueError(f"{variable} must be an absolute path, got {path!r}")
    return os.path.normpath(path)


course_id = os.environ.get("COURSE_HUB_COURSE_ID", "deep-learning-foundations")
if not COURSE_ID.fullmatch(course_id):
    raise ValueError(f"COURSE_HUB_COURSE_ID={course_id!r}: nbgrader needs letters, digits, '_', "
                     "'.' and '-' (no '+', no '/')")
instructors = user_names("COURSE_HUB_INSTRUCTORS", "instructor")
if not instructors:
    raise ValueError("COURSE_HUB_INSTRUCTORS names nobody: a course needs an instructor")
students = user_names("COURSE_HUB_STUDENTS")
admins = user_names("COURSE_HUB_ADMINS", ",".join(instructors))
both = sorted(set(instructors) & set(students))
if both:
    raise ValueError(f"{both} are listed as instructors and as students: choose one")
course_root = absolute_path("COURSE_HUB_COURSE_ROOT",
                            f"~{instructors[0]}/deep-learning-foundations")
exchange_root = absolute_path("COURSE_HUB_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
state_dir = absolute_path("COURSE_HUB_STATE_DIR", "/srv/jupyterhub")
if os.path.commonpath([course_root, exchange_root]) == course_root:
    raise ValueError(f"the exchange ({exchange_root}) must not lie inside the course folder "
                     f"({course_root}): every student needs to reach it")

INSTRUCTOR_GROUP = f"formgrade-{course_id}"
STUDENT_GROUP = f"nbgrader-{course_id}"

# --- the hub and its proxy -------------------------------------------------------------------
os.makedirs(state_dir, mode=0o700, exist_ok=True)
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state_dir, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state_dir, "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(state_dir, "jupyterhub-proxy.pid")
# Put HTTPS in front (a reverse proxy, or c.JupyterHub.ssl_cert / ssl_key) before real use.
c.JupyterHub.bind_url = "http://:8000"

# --- who may log in, and the course's groups ---------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(instructors) | set(students) | set(admins)
c.Authenticator.admin_users = set(admins)
# Membership is added, never removed, at each start: students enrolled later stay enrolled.
c.JupyterHub.load_groups = {
    INSTRUCTOR_GROUP: {"users": instructors},
    STUDENT_GROUP: {"users": students},
}
# What instructors may do on the hub, and so their servers' tokens: enrol students (nbgrader's
# JupyterHubAuthPlugin adds a student to the students' group on `nbgrader db student add`), and
# list the hub's services (nbgrader's course list looks for a formgrader service of the course).
INSTRUCTOR_SCOPES = [f"groups!group={STUDENT_GROUP}", f"list:groups!group={STUDENT_GROUP}",
                     "list:services", "read:services"]
c.JupyterHub.load_roles = [
    {
        "name": f"{course_id}-instructor",
        "description": f"Enrol students in {course_id} and see the hub's services",
        "scopes": INSTRUCTOR_SCOPES,
        "groups": [INSTRUCTOR_GROUP],
    },
]


def is_instructor(spawner) -> bool:
    """Whether the user of this spawner is in the course's instructors' group."""
    return any(group.name == INSTRUCTOR_GROUP for group in spawner.user.groups)


def view_of(spawner) -> str:
    return "instructor" if is_instructor(spawner) else "student"


def server_token_scopes(spawner) -> list[str]:
    """What the server's $JUPYTERHUB_API_TOKEN may do: JupyterHub's ``server`` role, reading the
    user's own groups (nbgrader's course list), and for instructors enrolling students."""
    scopes = ["users:activity!user", "access:servers!server",
              "read:users:name!user", "read:users:groups!user"]
    return scopes + (INSTRUCTOR_SCOPES if is_instructor(spawner) else [])


# --- the single-user servers -----------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.server_token_scopes = server_token_scopes
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": lambda spawner: os.pathsep.join(VIEW_CONFIG[view_of(spawner)]),
    "NBGRADER_COURSE_ID": course_id,
    "NBGRADER_EXCHANGE_ROOT": exchange_root,
    # Students never need the course folder: they get an empty value.
    "NBGRADER_COURSE_ROOT": lambda spawner: course_root if is_instructor(spawner) else "",
}

# --- the exchange ------------------------------------------------------------------------------
# Every user writes into it (nbgrader's default exchange relies on file modes): like /tmp.
if not os.path.isdir(exchange_root):
    os.makedirs(exchange_root)
    os.chmod(exchange_root, 0o1777)
