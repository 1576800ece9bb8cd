"""Grading kernels forked from a sandboxed zygote that imported ipykernel, numpy and matplotlib.

Starting a grading kernel costs about a second of CPU: the interpreter, then ipykernel, numpy,
matplotlib and the course's grading helpers are imported afresh for every notebook. A grading
process instead keeps one *kernel zygote*: a process in the sandbox (`sandbox.sandbox_command`,
the same limits, hidden folders and namespaces as a kernel of its own) that imported them once.
For each notebook the zygote kills every other process of its sandbox and empties its /tmp (so
nothing of the previous student is left), then forks a kernel that works in a fresh scratch
folder with the environment and arguments the kernel manager asked for
(`course_tools.student_runner.kernel_process`).

The kernel manager (`sandbox.SandboxedKernelManager`) sees the forked kernel through
`ForkedKernel`, which behaves as the ``Popen`` of a kernel: the kernel holds one end of a Unix
socket, so its end is seen at once (a kernel that was killed or exited is dead), and killing it
asks the zygote to clear its sandbox. A zygote that died (a student may kill it: it runs as the
same uid) is started again for the next kernel; one that cannot start or fork leaves the kernel
manager to start a kernel of its own, as without the zygote.

Shared by the kernels of one grading process, one after another, are the zygote's namespaces:
its SysV IPC objects and abstract Unix sockets are not removed between students (processes
are). ``c.SandboxedKernelManager.use_zygote = False`` starts every kernel afresh.
"""
from __future__ import annotations

import atexit
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_tools import sandbox

RUNNER_SOURCE = (Path(__file__).parent / "student_runner.py").read_text()
START_TIMEOUT = 120.0
FORK_TIMEOUT = 20.0


class ZygoteError(RuntimeError):
    """The zygote could not start, or could not fork a kernel."""


def is_ipykernel_command(cmd: list[str]) -> bool:
    """Whether ``cmd`` starts the IPython kernel the way its kernel spec does."""
    return len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]


class ForkedKernel:
    """The ``Popen`` of a kernel forked by the zygote, as jupyter_client's provisioner uses it."""

    stdin = stdout = stderr = None
    pid = None  # a pid of the zygote's namespace: never signalled from outside

    def __init__(self, alive: socket.socket, zygote: "KernelZygote"):
        self._alive, self._zygote, self.returncode = alive, zygote, None

    def poll(self) -> int | None:
        if self.returncode is None:
            readable, _, _ = select.select([self._alive], [], [], 0)
            if readable:
                try:
                    data = self._alive.recv(1)
                except OSError:
                    data = b""
                if not data:
                    self.returncode = -signal.SIGKILL
                    self._alive.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("forked kernel", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if signum in (signal.SIGKILL, signal.SIGTERM):
            self.kill()
        # Interrupts go by message (the kernel spec's interrupt_mode); others are not sent.

    def kill(self) -> None:
        if self.poll() is None:
            self._zygote.clear()

    terminate = kill


class KernelZygote:
    """One sandboxed zygote for the grading kernels of this process (see the module)."""

    def __init__(self, course_root: Path, hidden: list[Path], limits: sandbox.Limits,
                 env: dict[str, str]):
        self.uid = sandbox.sandbox_uid()
        self.pool = Path(tempfile.mkdtemp(prefix="grading-kernels-"))
        self.pool.chmod(0o755)  # root mode: root's, so the sandbox uid cannot rename in it
        home = sandbox.make_scratch(self.uid, parent=self.pool, name="zygote")
        from course_tools.student_runner import KERNEL_PRELOAD

        cmd = sandbox.sandbox_command(
            [sys.executable, "-c", RUNNER_SOURCE, "kernel-zygote", *KERNEL_PRELOAD],
            scratch=home, uid=self.uid, hidden=[course_root, *hidden], binds=[self.pool],
            limits=limits, course_root=course_root)
        env = dict(env)
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
        ready = self._read(START_TIMEOUT)
        if ready is None or "ready" not in ready:
            self.close()
            raise ZygoteError("the sandboxed kernel zygote did not start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self, timeout: float, nonce: str | None = None) -> dict | None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if not ready:
                return None
            line = self.proc.stdout.readline()
            if not line:
                return None
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if nonce is None or nonce in (answer.get("forked"), answer.get("cleared")):
                return answer
        return None

    def _send(self, request: dict, timeout: float) -> dict | None:
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return None
        return self._read(timeout, request["nonce"])

    def runtime_folder(self) -> Path:
        """A folder for one kernel's connection file and sockets, inside the zygote's sandbox."""
        folder = self.pool / f"kernel-{secrets.token_hex(8)}"
        folder.mkdir()
        sandbox.give_to_sandbox(folder, self.uid)
        return folder

    def scratch_folder(self, workdir: Path) -> Path:
        return sandbox.make_scratch(self.uid, copy_from=workdir, parent=self.pool,
                                    name=f"scratch-{secrets.token_hex(8)}")

    def fork(self, scratch: Path, env: dict[str, str], arguments: list[str]) -> ForkedKernel:
        if not self.alive():
            raise ZygoteError("the kernel zygote has ended")
        address = self.pool / f"{secrets.token_hex(8)}.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(address))
            address.chmod(0o666)
            listener.listen(1)
            request = {"op": "fork", "nonce": secrets.token_hex(16), "scratch": str(scratch),
                       "socket": str(address), "env": env, "arguments": arguments}
            if self._send(request, FORK_TIMEOUT) is None:
                self.close()
                raise ZygoteError("the kernel zygote did not fork in time")
            listener.settimeout(FORK_TIMEOUT)
            try:
                alive, _ = listener.accept()
            except OSError as exc:
                raise ZygoteError(f"the forked kernel did not connect ({exc})")
            return ForkedKernel(alive, self)
        finally:
            listener.close()
            address.unlink(missing_ok=True)

    def clear(self) -> None:
        """Kill the kernel and everything it started; a zygote that does not answer is closed."""
        if self.alive() and self._send({"op": "clear", "nonce": secrets.token_hex(16)},
                                       FORK_TIMEOUT) is None:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.pool, ignore_errors=True)


_zygotes: dict[tuple, KernelZygote] = {}


def zygote_for(course_root: Path, hidden: list[Path], limits: sandbox.Limits,
               env: dict[str, str]) -> KernelZygote:
    """This process's kernel zygote for these settings, started (again) when needed."""
    key = (os.getpid(), sandbox.sandbox_uid(), str(course_root), tuple(map(str, hidden)), limits)
    zygote = _zygotes.get(key)
    if zygote is None or not zygote.alive():
        if zygote is not None:
            zygote.close()
        zygote = _zygotes[key] = KernelZygote(course_root, hidden, limits, env)
    return zygote


def _close_all() -> None:
    for zygote in _zygotes.values():
        zygote.close()
    _zygotes.clear()


atexit.register(_close_all)
