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
import os
import secrets
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

from course_tools import sandbox
from course_tools.recheck import RunnerError, Zygote
from course_tools.student_runner import KERNEL_PRELOAD

START_TIMEOUT = 120.0
FORK_TIMEOUT = 20.0


#: What a zygote raises when it cannot start, or cannot fork a kernel.
ZygoteError = RunnerError


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


class KernelZygote(Zygote):
    """One sandboxed zygote for the grading kernels of this process (see the module): the
    re-check's zygote, started as the kernel is (no ``-I``) with what a kernel imports."""

    PYTHON_OPTIONS, MODE, PRELOAD = (), "kernel-zygote", KERNEL_PRELOAD

    def __init__(self, course_root: Path, hidden: list[Path], limits: sandbox.Limits,
                 env: dict[str, str]):
        super().__init__(course_root, hidden, limits, start_timeout=START_TIMEOUT,
                         env={"MPLBACKEND": "module://matplotlib_inline.backend_inline", **env})

    def runtime_folder(self) -> Path:
        """A folder for one kernel's connection file and sockets, inside the zygote's sandbox."""
        folder = self.pool / f"kernel-{secrets.token_hex(8)}"
        folder.mkdir()
        sandbox.give_to_sandbox(folder, self.uid)
        return folder

    def scratch_folder(self, workdir: Path) -> Path:
        return sandbox.make_scratch(self.uid, copy_from=workdir, parent=self.pool,
                                    name=f"scratch-{secrets.token_hex(8)}")

    def fork_kernel(self, scratch: Path, env: dict[str, str],
                    arguments: list[str]) -> ForkedKernel:
        if not self.alive():
            raise ZygoteError("the kernel zygote has ended")
        try:
            alive = self.fork_child({"scratch": str(scratch), "env": env, "arguments": arguments},
                                    self.pool / f"{secrets.token_hex(8)}.sock", FORK_TIMEOUT,
                                    "a kernel")
        except RunnerError:
            self.close()  # the next kernel gets a new zygote
            raise
        return ForkedKernel(alive, self)


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
