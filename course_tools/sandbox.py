"""Run student code in a sandbox: bubblewrap, a uid or user namespace of its own, and limits.

Everything that executes a submission goes through `sandbox_command`: the grading kernel that
nbgrader starts (`SandboxedKernelManager`) and the process that re-runs a student's code for the
checks made outside the kernel (`course_tools.recheck`). Inside the sandbox a process

* cannot act as the grader: started by root, it runs as an unprivileged uid of its own
  (bubblewrap started by root alone isolates nothing: root keeps its capabilities and can unmount
  what is hidden); started by an ordinary user (an instructor on JupyterHub), it runs in a user
  namespace of its own with no capabilities, as the same uid, so everything that user can read
  and the sandbox needs not is hidden as well: the home folder and ``/run`` (where PostgreSQL's
  and the session's sockets lie);
* sees the machine read-only, with the course folder and the exchange replaced by empty
  folders, except the interpreter and ``course_lib`` that student code needs;
* can write only its scratch folder (a copy of the assignment's data files), has no network,
  and has limits on memory, file size, open files and processes;
* dies with its parent, and takes every process it started with it (its own PID namespace).

Requires ``bwrap`` (Debian package ``bubblewrap``) and ``prlimit`` (util-linux); root mode also
``setpriv`` (util-linux), user-namespace mode a kernel that lets ordinary users create user
namespaces (`user_namespace_problem`). `sandbox_available` says whether this machine can do it
and `sandbox_mode` which of the two it uses.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Int, List, Unicode

COURSE_ROOT = Path(__file__).resolve().parent.parent
FIRST_SANDBOX_UID = 61000
MAX_SCRATCH_COPY_BYTES = 200 * 2**20  # data files of an assignment folder copied to scratch


# Variables that carry credentials or grading state, never passed to student code: a hub's API
# token (JUPYTERHUB_API_TOKEN, JPY_API_TOKEN) would let a submission act as its instructor.
SECRET_VARIABLE = re.compile(
    r"^(JUPYTERHUB_|JPY_API|NBGRADER_|PG|AWS_|AZURE_|GOOGLE_|GITHUB_|GH_|CI_JOB_)"
    r"|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY|PRIVATE_KEY|DB_URL|DATABASE_URL",
    re.IGNORECASE)


# Numerical libraries run on one thread in a process that runs student code. OpenBLAS restarts
# its thread pool after a fork; a submission that has used up its processes (the `Limits`) would
# leave the next matrix product waiting forever for threads that cannot start. One thread per
# kernel is also the right share of the cores when several grading workers run side by side.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def student_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a process that runs student code: `base` (default: this process's)
    without the variables that match `SECRET_VARIABLE`, with numerical libraries on one thread
    (`SINGLE_THREADED`)."""
    base = os.environ if base is None else base
    env = {name: value for name, value in base.items() if not SECRET_VARIABLE.search(name)}
    return {**env, **SINGLE_THREADED}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process tree."""

    memory_bytes: int = 3 * 2**30   # address space; numpy + matplotlib use about 1 GiB
    file_bytes: int = 64 * 2**20    # largest file it may write
    open_files: int = 256
    processes: int = 256            # counts threads; per uid (root mode) or per sandbox


ROOT_MODE, USER_NAMESPACE_MODE = "separate uid", "user namespace"

#: What to change where ordinary users may not create user namespaces.
USER_NAMESPACE_SETTINGS = (
    "enable unprivileged user namespaces: on Debian and older Ubuntu kernels "
    "`sysctl kernel.unprivileged_userns_clone=1`; on Ubuntu 23.10 and newer (AppArmor) "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile that "
    "allows bwrap `userns`; on any kernel `user.max_user_namespaces` must be above 0 (in a "
    "container, the runtime must allow it too); or grade as root, which uses a separate uid")


def sandbox_mode() -> str:
    """`ROOT_MODE` when this process is root (student code runs as a uid of its own), else
    `USER_NAMESPACE_MODE` (an unprivileged user namespace, as the same uid)."""
    return ROOT_MODE if os.geteuid() == 0 else USER_NAMESPACE_MODE


@functools.lru_cache(maxsize=1)
def user_namespace_problem() -> str:
    """Why bwrap cannot start a sandbox in a user namespace of its own here ("" when it can)."""
    try:
        probe = subprocess.run(["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net",
                                "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                                "--die-with-parent", "--", "true"],
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not be run ({exc})"
    if probe.returncode == 0:
        return ""
    said = (probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"])[-1]
    return (f"this kernel does not let an ordinary user create a user namespace (bwrap said: "
            f"{said}); {USER_NAMESPACE_SETTINGS}")


def sandbox_available() -> tuple[bool, str]:
    """Whether sandboxed grading can run here, and if not, why."""
    tools = ("bwrap", "setpriv", "prlimit") if sandbox_mode() == ROOT_MODE else ("bwrap", "prlimit")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        return False, f"missing {', '.join(missing)} (apt-get install bubblewrap util-linux)"
    if sandbox_mode() == USER_NAMESPACE_MODE:
        problem = user_namespace_problem()
        if problem:
            return False, problem
    return True, ""


def sandbox_uid() -> int:
    """The uid student code runs as: in root mode one of its own for each grading process, so
    that processes and files never mix; in user-namespace mode this process's own."""
    if sandbox_mode() == USER_NAMESPACE_MODE:
        return os.getuid()
    return FIRST_SANDBOX_UID + os.getpid() % 4000


def give_to_sandbox(path: Path, uid: int) -> None:
    """Make ``path`` belong to the sandbox uid (root mode; in user-namespace mode it already
    belongs to this process's user, which the sandbox runs as)."""
    if sandbox_mode() == ROOT_MODE:
        os.chown(path, uid, uid, follow_symlinks=False)


def user_mode_hidden() -> list[Path]:
    """What user-namespace mode hides beyond the course and the exchange: this user's home
    folder (the instructor's files, tokens and keys) and /run (sockets of PostgreSQL, D-Bus
    and the user's session, reachable without a network)."""
    home = Path(os.path.expanduser("~"))
    found = [p for p in (home, Path("/run"), Path("/var/run"), Path("/var/tmp"))
             if p.is_dir() and p != Path("/")]
    return list(dict.fromkeys(p.resolve() for p in found))


def exposed_paths(course_root: Path) -> list[Path]:
    """What student code needs, read-only, wherever it lies: the interpreter and course_lib.

    Always bound, since the course (and so the virtual environment) may sit in a hidden folder
    such as the course root or /tmp.
    """
    import course_lib

    needed = [Path(sys.prefix), Path(course_lib.__file__).resolve().parent]
    return list(dict.fromkeys(p.resolve() for p in needed))


def machinery_checkout() -> list[Path]:
    """The course checkout this machinery runs from, when it is one (it holds ``source/``).

    It is hidden too, whatever course folder is graded: grading a copy of the course, or another
    course, from a checkout must not leave that checkout's ``source/`` (the answer keys) in
    sight. Installed as a package, the machinery lies in the interpreter's folder, which stays.
    """
    return [COURSE_ROOT] if (COURSE_ROOT / "source").is_dir() else []


def sandbox_command(inner: list[str], *, scratch: Path, uid: int, hidden: list[Path],
                    binds: list[Path] = (), limits: Limits = Limits(),
                    course_root: Path = COURSE_ROOT) -> list[str]:
    """The command that runs ``inner`` in the sandbox, with ``scratch`` as home and workdir.

    Parameters
    ----------
    inner : list of str
        The command to run.
    scratch : Path
        The only folder it may write (must already belong to ``uid``).
    uid : int
        The uid (and gid) it runs as.
    hidden : list of Path
        Folders replaced by empty ones (the course, the exchange; `machinery_checkout` and, in
        user-namespace mode, `user_mode_hidden` are added).
    binds : list of Path
        Further folders it may write (e.g. the kernel's socket folder).
    limits : Limits
    """
    limit = ["prlimit", f"--as={limits.memory_bytes}", f"--fsize={limits.file_bytes}",
             f"--nofile={limits.open_files}", f"--nproc={limits.processes}", "--core=0", "--"]
    user_mode = sandbox_mode() == USER_NAMESPACE_MODE
    hidden = list(dict.fromkeys([*map(Path, hidden), *machinery_checkout(),
                                 *(user_mode_hidden() if user_mode else [])]))
    # Root mode: the limits go on bwrap (the uid switch below keeps them). User-namespace mode:
    # inside the sandbox, since a process limit set before bwrap creates the namespace would
    # also cap the user's processes outside, which other sandboxes share.
    cmd = ([] if user_mode else limit) + [
        "bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
    for path in hidden:
        if path.exists():
            cmd += ["--tmpfs", str(path)]
    emptied = [Path("/tmp"), Path("/dev/shm"), *hidden]
    made: set[Path] = set()
    for path in exposed_paths(course_root):
        # bwrap makes missing mount points 0700 (root's); the sandbox uid must pass through.
        for ancestor in reversed(path.parents):
            if any(root in ancestor.parents for root in emptied) and ancestor not in made:
                cmd += ["--perms", "0755", "--dir", str(ancestor)]
                made.add(ancestor)
        cmd += ["--ro-bind", str(path), str(path)]
    for path in [scratch, *binds]:
        cmd += ["--bind", str(path), str(path)]
    cmd += ["--chdir", str(scratch), "--setenv", "HOME", str(scratch),
            "--setenv", "IPYTHONDIR", str(scratch / ".ipython"),
            "--setenv", "MPLCONFIGDIR", str(scratch / ".matplotlib"),
            "--setenv", "JPY_PARENT_PID", "1", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
            "--unsetenv", "NBGRADER_EXECUTION",
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    if user_mode:
        # A user namespace of its own, in which it holds no capability and may not make another.
        cmd += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--", *limit,
                "setpriv", "--no-new-privs", "--"]
    else:
        # No user namespace: inside one, root could not switch to a real uid below.
        cmd += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + list(inner)


def matplotlib_font_cache() -> Path | None:
    """matplotlib's font list of this process, built once; copied into every scratch folder.

    A sandboxed process starts with an empty matplotlib folder and would otherwise rebuild the
    list (a third of a second) in every kernel.
    """
    global _font_cache
    if _font_cache is None:
        try:
            import matplotlib
            import matplotlib.font_manager  # noqa: F401 (writes the list when it is missing)

            found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-v*.json"))
            _font_cache = found[-1] if found else False
        except Exception:
            _font_cache = False
    return _font_cache or None


_font_cache = None


def make_scratch(uid: int, copy_from: Path | None = None, parent: Path | None = None,
                 name: str | None = None) -> Path:
    """A fresh folder owned by ``uid``, holding a copy of the files of ``copy_from``.

    It is made in ``parent`` (default: the system's temporary folder), named ``name`` when
    given, and starts with a copy of matplotlib's font list.
    """
    if name is not None and parent is not None:
        scratch = parent / name
        scratch.mkdir()
    else:
        scratch = Path(tempfile.mkdtemp(prefix="grading-scratch-", dir=parent))
    budget = MAX_SCRATCH_COPY_BYTES
    if copy_from is not None and copy_from.is_dir():
        for item in sorted(copy_from.rglob("*")):
            relative = item.relative_to(copy_from)
            if item.is_symlink() or any(part.startswith(".") for part in relative.parts):
                continue
            if item.is_dir():
                (scratch / relative).mkdir(parents=True, exist_ok=True)
            elif item.is_file() and item.suffix != ".ipynb" and item.stat().st_size <= budget:
                (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(item, scratch / relative)
                budget -= item.stat().st_size
    font_cache = matplotlib_font_cache()
    if font_cache is not None:
        (scratch / ".matplotlib").mkdir()
        shutil.copy2(font_cache, scratch / ".matplotlib" / font_cache.name)
    for path in [scratch, *scratch.rglob("*")]:
        give_to_sandbox(path, uid)
    scratch.chmod(0o700)
    return scratch


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts every kernel inside `sandbox_command`.

    Set it as nbgrader's ``c.Execute.kernel_manager_class``. Each kernel gets its own uid,
    scratch folder (a copy of the assignment folder's data files, never the submission itself)
    and socket folder; the kernel talks over IPC sockets since it has no network.
    """

    course_root = Unicode(str(COURSE_ROOT), help="The course folder, hidden from the kernel."
                          ).tag(config=True)
    hidden_paths = List(Unicode(), help="More folders to hide (e.g. the exchange)."
                        ).tag(config=True)
    memory_limit = Int(Limits.memory_bytes, help="Address-space limit in bytes.").tag(config=True)

    use_zygote = Bool(True, help="Fork grading kernels from a sandboxed zygote that imported "
                      "ipykernel, numpy and matplotlib once (course_tools.kernel_zygote)."
                      ).tag(config=True)

    def _zygote(self):
        """This process's kernel zygote, or None (not wanted, or it cannot start)."""
        if not self.use_zygote:
            return None
        from course_tools import kernel_zygote

        try:
            return kernel_zygote.zygote_for(
                Path(self.course_root), self._hidden(), Limits(memory_bytes=self.memory_limit),
                student_environment(os.environ))
        except kernel_zygote.ZygoteError as exc:
            self.log.warning("starting the kernel afresh: %s", exc)
            return None

    def _hidden(self) -> list[Path]:
        return [Path(self.course_root), *map(Path, self.hidden_paths)]

    async def _async_pre_start_kernel(self, **kw):
        self._sandbox_uid = sandbox_uid()
        self._kernel_zygote = self._zygote()
        if self._kernel_zygote is not None:
            self._runtime = self._kernel_zygote.runtime_folder()
        else:
            self._runtime = Path(tempfile.mkdtemp(prefix="grading-kernel-"))
            give_to_sandbox(self._runtime, self._sandbox_uid)
        self.transport = "ipc"
        self.ip = str(self._runtime / "kernel")
        self.connection_file = str(self._runtime / "connection.json")
        # A signal would reach the sandbox's wrapper, not the kernel: interrupt by message.
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        uid = self._sandbox_uid
        give_to_sandbox(Path(self.connection_file), uid)
        workdir = Path(kw.get("cwd") or os.getcwd())
        env = student_environment(kw.get("env") or os.environ)
        zygote = self._kernel_zygote
        if zygote is not None and zygote.alive():
            from course_tools import kernel_zygote

            if kernel_zygote.is_ipykernel_command(kernel_cmd):
                self._scratch = zygote.scratch_folder(workdir)
                try:
                    process = zygote.fork_kernel(self._scratch, env, list(kernel_cmd[3:]))
                except kernel_zygote.ZygoteError as exc:
                    self.log.warning("starting the kernel afresh: %s", exc)
                else:
                    self.provisioner.process = process
                    self.provisioner.pid = self.provisioner.pgid = None
                    self.provisioner.cwd = str(self._scratch)
                    self._reconcile_connection_info(self.provisioner.connection_info)
                    return
        self._scratch = make_scratch(uid, copy_from=workdir)
        kw["cwd"] = str(self._scratch)
        kw["env"] = env
        cmd = sandbox_command(kernel_cmd, scratch=self._scratch, uid=uid, hidden=self._hidden(),
                              binds=[self._runtime],
                              limits=Limits(memory_bytes=self.memory_limit),
                              course_root=Path(self.course_root))
        return await super()._async_launch_kernel(cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            for folder in (getattr(self, "_scratch", None), getattr(self, "_runtime", None)):
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)


#: The errors grading writes into a cell that the kernel could not run, by name (the class
#: report, course_tools.report, counts them as faults).
KERNEL_DIED, KERNEL_GARBLED, NOTEBOOK_TIME_LIMIT = "KernelDied", "KernelGarbled", "NotebookTimeLimit"


def kernel_garbled(exc: BaseException) -> bool:
    """Whether ``exc`` says that the kernel's messages could not be read: a message whose
    signature does not match (it arrived torn), or no end of a cell's output within nbclient's
    ``iopub_timeout`` after the kernel had answered."""
    text = str(exc)
    if isinstance(exc, ValueError):
        return text.startswith(("Invalid Signature", "Duplicate Signature"))
    return isinstance(exc, CellTimeoutError) and "Timeout waiting for IOPub output" in text


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _error_output(ename: str, text: str):
    return nbformat.v4.new_output("error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"])


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel in the sandbox and the notebook under a time limit.

    A kernel that dies (killed, out of memory, ``os._exit``) does not end the grading of the
    notebook: the cells that had not run yet fail with a message that says so, and every
    test cell still gets a score. The same holds for a kernel whose messages can no longer be
    read (`kernel_garbled`): a submission that has used up its processes leaves the kernel
    unable to start the thread that sends a large output, and the message arrives torn.
    """

    use_sandbox = Bool(True, help="Start grading kernels in the sandbox (bwrap; as root, or "
                       "as an ordinary user where user namespaces are enabled)."
                       ).tag(config=True)
    notebook_timeout = Float(600.0, help="Wall-clock limit in seconds for a whole notebook."
                             ).tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.use_sandbox:
            self.kernel_manager_class = SandboxedKernelManager

    def preprocess(self, nb, resources=None, km=None):
        if self.use_sandbox:
            ok, why = sandbox_available()
            if not ok:
                raise RuntimeError(f"cannot grade in a sandbox here: {why}. Set "
                                   f"c.SandboxedExecute.use_sandbox = False to grade "
                                   f"without one (only for code you trust).")
            self.kernel_manager_class = SandboxedKernelManager
        self._started = time.monotonic()
        self._running = None
        try:
            return super().preprocess(nb, resources, km=km)
        except DeadKernelError as exc:
            self.log.warning("the kernel died: %s", exc)
            for cell in nb.cells:
                if cell.cell_type == "code" and cell.get("execution_count") is None:
                    cell.outputs = [_error_output(
                        KERNEL_DIED, "The kernel died before this cell ran (it was "
                        "killed, ran out of memory, or exited).")]
            return nb, resources
        except Exception as exc:
            if not kernel_garbled(exc):
                raise
            self.log.warning("the kernel's messages could not be read: %s", exc)
            if self._running is not None:
                self._running.outputs.append(_error_output(
                    KERNEL_GARBLED, "The kernel's answer to this cell could not be read "
                    f"({_first_line(exc)}); the cell counts as failed."))
            for cell in nb.cells:
                if (cell.cell_type == "code" and cell.get("execution_count") is None
                        and cell is not self._running):
                    cell.outputs = [_error_output(
                        KERNEL_GARBLED, "Not run: the kernel's messages could not be read "
                        "after an earlier cell (did the submission use up its processes or "
                        "flood its output?).")]
            return nb, resources

    def preprocess_cell(self, cell, resources, index):
        self._running = cell
        remaining = self.notebook_timeout - (time.monotonic() - self._started)
        if cell.cell_type == "code" and remaining <= 0:
            cell.outputs = [_error_output(
                NOTEBOOK_TIME_LIMIT, f"Not run: the whole notebook may take at most "
                f"{self.notebook_timeout:g} s.")]
            return cell, resources
        return super().preprocess_cell(cell, resources, index)
