"""Grading kernels forked from the sandboxed kernel zygote (course_tools.kernel_zygote).

The kernels of one grading process come from one zygote, one after another, so these tests play
students in a row and check that nothing of one reaches the next (files, processes, the
environment), that a kernel that dies or kills the zygote is seen dead and harms only itself,
that a notebook gives the outputs of a kernel started afresh, and that grading still works when
the zygote cannot start.
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from course_tools import kernel_zygote, sandbox

from ..assignments.material import primary

available, why = sandbox.sandbox_available()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not available, reason=f"no sandbox here: {why}")]


def run(codes: list[str], workdir: Path, use_zygote: bool = True, timeout: int = 60):
    """Execute cells in a sandboxed kernel; the executed notebook."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in codes])
    return execute(nb, workdir, use_zygote, timeout)


def execute(nb, workdir: Path, use_zygote: bool = True, timeout: int = 60):
    client = NotebookClient(nb, timeout=timeout, allow_errors=True,
                            kernel_manager_class=sandbox.SandboxedKernelManager,
                            resources={"metadata": {"path": str(workdir)}})
    km = client.create_kernel_manager()
    km.use_zygote = use_zygote
    client.km = km
    client.execute()
    return nb


def text(nb, index: int) -> str:
    """Everything a cell printed, its errors by name."""
    outputs = nb.cells[index].get("outputs", [])
    return "".join(o.get("text", "") if o["output_type"] == "stream" else
                   o.get("ename", "") + "\n" if o["output_type"] == "error" else ""
                   for o in outputs)


def zygotes() -> list:
    return [z for z in kernel_zygote._zygotes.values() if z.alive()]


def test_a_forked_kernel_runs_the_answer_key_as_a_fresh_kernel_does(tmp_path):
    """Cell by cell the same printed text and the same kinds of output (a figure included)."""
    a = primary()
    solution = a.read("solutions")
    plot = nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [1, 0])\nplt.show()")
    solution.cells.append(plot)
    folder = a.root / "solutions" / a.name
    fresh = execute(nbformat.from_dict(solution), folder, use_zygote=False)
    forked = execute(nbformat.from_dict(solution), folder, use_zygote=True)
    assert zygotes(), "no zygote forked the kernel"
    for index, cell in enumerate(fresh.cells):
        if cell.cell_type != "code":
            continue
        assert text(forked, index) == text(fresh, index), f"cell {index} printed differently"
        kinds = lambda nb: sorted({o["output_type"] for o in nb.cells[index].outputs})  # noqa: E731
        assert kinds(forked) == kinds(fresh), f"cell {index}: {kinds(forked)} != {kinds(fresh)}"
    figure = forked.cells[-1].outputs
    assert any("image/png" in o.get("data", {}) for o in figure), f"no figure shown: {figure}"


# /tmp and /dev/shm are not the student's to write (as in a kernel started afresh); the scratch
# folder is, and it is the kernel's own.
LEAVE_BEHIND = """
import os, subprocess
open('left_by_the_first', 'w').write('answers')
os.environ['LEFT_BY_THE_FIRST'] = '1'
child = subprocess.Popen(['sleep', '300'])
print(os.getcwd())
"""

LOOK_AROUND = """
import os
others = []
for entry in os.listdir('/proc'):
    if entry.isdigit() and int(entry) not in (1, os.getpid(), os.getppid()):
        try:
            state = open(f'/proc/{entry}/stat').read().rsplit(')', 1)[1].split()[0]
        except OSError:
            continue
        if state not in 'ZX':
            others.append(open(f'/proc/{entry}/cmdline').read().replace('\\0', ' '))
print(os.path.exists(FIRST + '/left_by_the_first'), os.environ.get('LEFT_BY_THE_FIRST'), others)
"""


def test_nothing_of_one_student_reaches_the_next_kernel(tmp_path):
    first = run([LEAVE_BEHIND], tmp_path)
    where = text(first, 0).strip()
    assert where.startswith("/"), where
    before = zygotes()
    second = run([f"FIRST = {where!r}\n" + LOOK_AROUND], tmp_path)
    assert text(second, 0).strip() == "False None []", text(second, 0)
    assert zygotes() == before and before, "the second kernel did not come from the same zygote"


def test_a_kernel_that_exits_is_seen_dead_and_the_next_one_starts(tmp_path):
    with pytest.raises(DeadKernelError):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os\nos._exit(3)"),
                                             nbformat.v4.new_code_cell("print('after')")])
        client = NotebookClient(nb, timeout=30, kernel_manager_class=sandbox.SandboxedKernelManager,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    assert text(run(["print(6 * 7)"], tmp_path), 0) == "42\n"


def test_a_student_who_kills_the_zygote_harms_only_their_own_kernel(tmp_path):
    run(["print(1)"], tmp_path)
    (killed,) = zygotes() or [None]
    assert killed is not None
    with pytest.raises(DeadKernelError):
        nb = nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("import os, signal\nos.kill(-1, signal.SIGKILL)"),
            nbformat.v4.new_code_cell("import time\ntime.sleep(5)")])
        client = NotebookClient(nb, timeout=30, kernel_manager_class=sandbox.SandboxedKernelManager,
                                resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    assert not killed.alive()
    assert text(run(["print(6 * 7)"], tmp_path), 0) == "42\n"
    assert zygotes() and zygotes()[0] is not killed, "a new zygote should have started"


def test_where_the_zygote_cannot_start_the_kernel_starts_afresh(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise kernel_zygote.ZygoteError("the sandboxed kernel zygote did not start")

    monkeypatch.setattr(kernel_zygote, "zygote_for", refuse)
    nb = run(["import os\nprint(os.getcwd() != '/', 6 * 7)"], tmp_path)
    assert text(nb, 0) == "True 42\n"


def test_the_command_is_recognised_only_when_it_is_ipykernel():
    assert kernel_zygote.is_ipykernel_command(["python", "-m", "ipykernel_launcher", "-f", "c"])
    assert not kernel_zygote.is_ipykernel_command(["python", "-m", "other_kernel", "-f", "c"])
    assert not kernel_zygote.is_ipykernel_command(["ipykernel_launcher"])


ENVIRONMENT = """
import os, sys
folders = ("HOME", "PWD", "IPYTHONDIR", "MPLCONFIGDIR")
print(repr((sys.path, sys.flags.dont_write_bytecode, os.getcwd() == os.environ["HOME"],
            sorted((k, "<folder>" if k in folders else v) for k, v in os.environ.items()))))
"""


def test_a_forked_kernel_has_the_environment_and_paths_of_a_fresh_one(tmp_path):
    import ast

    seen = {use: ast.literal_eval(text(run([ENVIRONMENT], tmp_path, use_zygote=use), 0).strip())
            for use in (True, False)}
    assert seen[True] == seen[False]


def test_the_kernel_zygote_imported_everything_a_grading_kernel_needs_and_has_one_thread(tmp_path):
    """A module that failed to import in the sandbox would be imported again by every kernel
    (scikit-learn's datasets: a second of each notebook that loads the digits); a second thread
    would be lost, with any lock it held, in every fork."""
    run(["print(1)"], tmp_path)
    (zygote,) = zygotes()
    assert zygote.loaded == list(kernel_zygote.KERNEL_PRELOAD)
    assert zygote.threads == 1


def test_a_forked_kernel_finds_the_preloaded_modules_already_imported(tmp_path):
    probe = ("import sys\nprint(sorted(m for m in ('sklearn.datasets', 'ipywidgets', "
             "'course_lib.widgets') if m in sys.modules))")
    assert text(run([probe], tmp_path), 0).strip() == (
        "['course_lib.widgets', 'ipywidgets', 'sklearn.datasets']")
    assert text(run([probe], tmp_path, use_zygote=False), 0).strip() == "[]"
