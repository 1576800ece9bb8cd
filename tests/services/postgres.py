"""A private PostgreSQL cluster for tests: on loopback, on a free port, in a temporary folder.

The server binaries are Debian's (``/usr/lib/postgresql/<version>/bin``, the newest version
installed), else ``initdb`` and ``pg_ctl`` on PATH. As root the cluster runs as the ``postgres``
system user (``runuser``), who owns its folder; otherwise as the current user. It accepts TCP
connections on 127.0.0.1 only, with a random password, and has no Unix socket. Durability is
switched off (``fsync=off``): it is a throw-away cluster.

Two ways to use it::

    from tests.services.postgres import postgres_cluster, postgres_fixture

    postgres = postgres_fixture(scope="module")       # in a test module: a fixture named postgres

    def test_something(postgres):
        engine = sqlalchemy.create_engine(postgres.url)                 # database "gradebook"
        other = postgres.create_database("other", template="gradebook")  # its URL

    with postgres_cluster(database="gradebook") as cluster:            # anywhere in a test
        ...

``cluster.url`` is the SQLAlchemy URL of the database created at start
(``postgresql+psycopg://postgres:<password>@127.0.0.1:<port>/<database>``); nbgrader takes it as
``--CourseDirectory.db_url``. Where the server binaries or psycopg are missing, both skip the
test with a message that says what to install. The cluster is stopped and its folder removed when
the ``with`` block (or the fixture's scope) ends, whether the test passed or failed.
"""
from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_USER = "postgres"  # the system user that runs the server when the tests run as root
SUPERUSER = "postgres"  # the cluster's superuser, whose password goes in the URLs
INSTALL_HINT = ("install PostgreSQL with `apt-get install postgresql` (as root; `make test` "
                "does this where it can)")
START_TIMEOUT = 30
STOP_TIMEOUT = 30
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: Debian's newest version, else PATH's."""
    def version(folder: str) -> tuple[int, ...]:
        number = Path(folder).parent.name
        if not re.fullmatch(r"\d+(\.\d+)*", number):
            return ()
        return tuple(int(part) for part in number.split("."))

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for folder in candidates:
        if all(os.access(Path(folder) / name, os.X_OK)
               for name in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def missing_requirement() -> str | None:
    """Why a cluster cannot be started here (naming what to install), or ``None`` if it can."""
    if find_server_binaries() is None:
        return ("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
                f"/usr/lib/postgresql/*/bin or on PATH: {INSTALL_HINT}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return ("the PostgreSQL driver psycopg is not installed: install the test extra "
                "(pip install -e '.[test]') or `pip install 'psycopg[binary]'`")
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return (f"PostgreSQL refuses to run as root and there is no {SERVER_USER!r} system "
                    f"user to run it as: {INSTALL_HINT}")
        if shutil.which("runuser") is None:
            return "runuser (util-linux) is needed to start PostgreSQL as root"
    return None


def check_name(database: str) -> None:
    """Refuse a database name that would need quoting (names go into SQL as they are)."""
    if not _NAME.match(database):
        raise ValueError(f"database name {database!r} is not allowed here: use lower-case "
                         f"letters, digits and _ (at most 63, not starting with a digit)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running private cluster. ``url`` is the database created at start."""

    port: int
    password: str
    database: str
    version: str
    folder: Path
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return self.url_of(self.database)

    def url_of(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` in this cluster."""
        return (f"postgresql+psycopg://{SUPERUSER}:{self.password}@{self.host}:{self.port}/"
                f"{database}")

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database ``name`` (a copy of ``template`` if given) and return its URL.

        A template must have no open connection (dispose of its engines first).
        """
        for what in filter(None, (name, template)):
            check_name(what)
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=SUPERUSER,
                             password=self.password, dbname="postgres", autocommit=True) as conn:
            copy_of = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{copy_of}')
        return self.url_of(name)

    def log(self) -> str:
        """The server's log so far (for failure messages)."""
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else "(no server log)"


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], folder: Path, timeout: float, what: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    result = subprocess.run(_as_server_user(cmd), cwd=folder, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        log = folder / "server.log"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise RuntimeError(f"{what} failed (exit status {result.returncode}): {' '.join(cmd)}\n"
                           f"{result.stdout}{result.stderr}{tail}")


def _make_folder(parent: str | None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="test-postgres-", dir=parent))
    if os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam(SERVER_USER)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        probe = subprocess.run(_as_server_user(["test", "-w", str(folder), "-a", "-x",
                                                str(folder)]), capture_output=True)
        if probe.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"the {SERVER_USER!r} user cannot write to {folder}: choose a "
                               f"parent folder it can reach (TMPDIR, or the `parent` argument)")
    return folder


def _stop(bin_dir: Path, folder: Path) -> None:
    """Stop the server if it runs; kill it if ``pg_ctl stop`` does not succeed in time."""
    data = folder / "data"
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        _run([str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w",
              "-t", str(STOP_TIMEOUT)], folder, STOP_TIMEOUT + 10, "stopping PostgreSQL")
    except (RuntimeError, subprocess.TimeoutExpired):
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)


def _start(bin_dir: Path, folder: Path, attempts: int = 3) -> int:
    """Start the server on a free loopback port (TCP only); return the port."""
    failure = None
    for _ in range(attempts):  # another process may take the port before the server does
        port = free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' "
                   f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        try:
            _run([str(bin_dir / "pg_ctl"), "start", "-D", str(folder / "data"), "-w",
                  "-t", str(START_TIMEOUT), "-l", str(folder / "server.log"), "-o", options],
                 folder, START_TIMEOUT + 10, "starting PostgreSQL")
            return port
        except RuntimeError as exc:
            _stop(bin_dir, folder)
            failure = exc
    raise failure


@contextlib.contextmanager
def postgres_cluster(database: str = "gradebook", parent: str | None = None
                     ) -> Iterator[PostgresCluster]:
    """Start a private cluster with one database ``database``; stop and remove it afterwards.

    ``parent`` is where its temporary folder goes (default: the system's temporary folder; as
    root it must be reachable by the ``postgres`` user, which pytest's own tmp_path is not).
    Skips the calling test when the server or psycopg is missing (see ``missing_requirement``).
    """
    reason = missing_requirement()
    if reason:
        pytest.skip(reason)
    check_name(database)
    bin_dir = find_server_binaries()
    version = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True,
                             text=True).stdout.strip()
    folder = _make_folder(parent)
    try:
        password = secrets.token_hex(16)
        pwfile = folder / "password"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            import pwd

            os.chown(pwfile, pwd.getpwnam(SERVER_USER).pw_uid, -1)
        _run([str(bin_dir / "initdb"), "-D", str(folder / "data"), "--username", SUPERUSER,
              "--pwfile", str(pwfile), "--auth", "scram-sha-256", "--locale", "C",
              "--encoding", "UTF8", "--no-sync", "--no-instructions"],
             folder, 120, "initdb")
        pwfile.unlink()
        cluster = PostgresCluster(port=_start(bin_dir, folder), password=password,
                                  database=database, version=version, folder=folder)
        cluster.create_database(database)
        yield cluster
    finally:
        _stop(bin_dir, folder)
        shutil.rmtree(folder, ignore_errors=True)


def postgres_fixture(scope: str = "module", database: str = "gradebook"):
    """A pytest fixture (assign it to the name tests ask for) yielding a ``PostgresCluster``."""
    @pytest.fixture(scope=scope)
    def _postgres():
        with postgres_cluster(database=database) as cluster:
            yield cluster

    return _postgres
