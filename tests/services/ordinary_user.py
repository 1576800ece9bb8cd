"""Run a command as an ordinary user, to prove grading without root.

Where the suite runs as root, a throw-away account (`ACCOUNT`) is created once per session and
the command runs as it: in a private mount namespace in which the folders on the way to the
interpreter, the virtual environment and the checkout that ordinary users may not pass (such as
``/root`` for a Python installed under it) are replaced by passable empty ones with only those
paths bound back, read-only. Nothing of the machine changes but the account, which is removed
when the session ends. Where the suite already runs as an ordinary user, commands run as it.

The account has a home folder of its own: tests put the "instructor's" secrets there.
"""
from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ACCOUNT = "dlf-ordinary-grader"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class OrdinaryUser:
    name: str
    uid: int
    gid: int
    home: Path
    created: bool = False

    def command(self, cmd: list[str], env: dict[str, str] | None = None) -> list[str]:
        """``cmd`` as this user, with ``env`` (default: this process's) and HOME, USER of it."""
        env = dict(os.environ if env is None else env, HOME=str(self.home), USER=self.name,
                   LOGNAME=self.name)
        env.pop("XDG_RUNTIME_DIR", None)
        assignments = [f"{k}={v}" for k, v in env.items()]
        if os.geteuid() != 0:
            return ["env", "-i", *assignments, *cmd]
        script = "\n".join(["set -e", *_passable_mounts(), "exec \"$@\""])
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
                "setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--",
                "env", "-i", *assignments, *cmd]

    def run(self, cmd: list[str], env: dict[str, str] | None = None, **kw):
        return subprocess.run(self.command(cmd, env), **kw)

    def give(self, path: Path) -> None:
        """Make ``path`` and everything in it this user's (as root; a no-op otherwise)."""
        if os.geteuid() != 0:
            return
        for item in [path, *path.rglob("*")]:
            os.chown(item, self.uid, self.gid, follow_symlinks=False)

    def folder(self, prefix: str) -> Path:
        """A fresh folder of this user's that it can reach (outside root's private /tmp
        folders)."""
        base = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir="/tmp"))
        base.chmod(0o755)
        self.give(base)
        return base


def _impassable_ancestor(path: Path) -> Path | None:
    """The highest folder on the way to ``path`` that others may not pass."""
    for ancestor in reversed(path.parents):
        if ancestor != Path("/") and not ancestor.stat().st_mode & 0o001:
            return ancestor
    return None


def _passable_mounts() -> list[str]:
    needed = {Path(p).resolve() for p in (sys.base_prefix, sys.prefix, ROOT,
                                          Path(sys.executable).resolve().parent)}
    lines, done = [], set()
    for path in sorted(needed):
        blocked = _impassable_ancestor(path)
        if blocked is None or blocked in done:
            continue
        keep = f"\"$keep{len(done)}\""
        # The blocked folder, kept aside; an empty passable one in its place; the needed
        # paths under it bound back read-only.
        lines += [f"keep{len(done)}=$(mktemp -d)", f"mount --bind {shlex.quote(str(blocked))} {keep}",
                  f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(blocked))}"]
        tops = sorted({p.relative_to(blocked).parts[0] for p in needed if blocked in p.parents})
        for first in tops:
            rel, top = Path(first), blocked / first
            lines += [f"mkdir -p {shlex.quote(str(top))}",
                      f"mount --rbind -o ro {keep}/{shlex.quote(rel.parts[0])} "
                      f"{shlex.quote(str(top))}"]
        lines += [f"umount -l {keep}", f"rmdir {keep}"]
        done.add(blocked)
    return lines


def ordinary_user() -> OrdinaryUser | None:
    """The ordinary user to grade as: the throw-away account (created if missing) as root,
    this user otherwise; None where no account can be made."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return OrdinaryUser(entry.pw_name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))
    created = False
    try:
        entry = pwd.getpwnam(ACCOUNT)
    except KeyError:
        if shutil.which("useradd") is None:
            return None
        subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin",
                        "--comment", "throw-away account of the course's tests", ACCOUNT],
                       check=True, capture_output=True)
        entry, created = pwd.getpwnam(ACCOUNT), True
    home = Path(entry.pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    return OrdinaryUser(entry.pw_name, entry.pw_uid, entry.pw_gid, home, created)


def remove(user: OrdinaryUser) -> None:
    """Remove the account if this session created it."""
    if user.created:
        subprocess.run(["userdel", "--remove", user.name], capture_output=True)
