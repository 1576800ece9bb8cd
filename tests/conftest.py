"""Fixtures shared by the whole test suite."""
from pathlib import Path

import numpy as np
import pytest

COURSE_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test: tests never share random state."""
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def course_root():
    """The folder that holds nbgrader_config.py."""
    return COURSE_ROOT


def copy_course(root: Path, target: Path) -> Path:
    """Copy what nbgrader needs of the course (not its gradebook, exchange or grading output)."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for name in ("source", "release", "solutions"):
        shutil.copytree(root / name, target / name)
    shutil.copy2(root / "nbgrader_config.py", target / "nbgrader_config.py")
    return target


@pytest.fixture(scope="session")
def generated_course(tmp_path_factory, course_root):
    """A copy of the course in which nbgrader has just generated release/ from source/.

    The committed release/ is kept aside as ``committed_release`` for comparison; the copy's
    gradebook knows every assignment, so the same folder serves the pipeline tests.
    """
    import shutil

    from course_tools.generate import generate_release, list_assignments

    course = copy_course(course_root, tmp_path_factory.mktemp("course") / "course")
    shutil.move(course / "release", course / "committed_release")
    generate_release(list_assignments(course), root=course)
    return course


@pytest.fixture(scope="session")
def fixture_batches(generated_course, tmp_path_factory):
    """assignment -> its fixture submissions graded by the real nbgrader pipeline.

    Each assignment is graded once per session, when a test first asks: the pipeline tests and
    the comparison of parallel with serial grading read the same batch (they only read it).
    """
    from .pipeline.test_nbgrader_pipeline import grade_fixtures

    batches: dict[str, dict] = {}

    def batch(assignment) -> dict:
        if assignment.name not in batches:
            batches[assignment.name] = grade_fixtures(
                assignment, generated_course,
                tmp_path_factory.mktemp(f"pipeline_{assignment.name}") / "course")
        return batches[assignment.name]
    return batch


def grading_overrides() -> list[str]:
    """nbgrader options for grading in tests: none where the sandbox works here.

    Where it cannot (no bubblewrap, not root), grading runs without it, and the tests that
    depend on it say so by a warning; the re-check outside the kernel still decides the points.
    """
    import warnings

    from course_tools.sandbox import sandbox_available

    ok, why = sandbox_available()
    if ok:
        return []
    warnings.warn(f"grading without the sandbox in this run: {why}")
    return ["--SandboxedExecute.use_sandbox=False", "--RecheckOutsideKernel.use_sandbox=False"]


def course_copy(generated_course: Path, target: Path) -> Path:
    """A gradable copy of the generated course: source, release, config and a gradebook that
    knows the assignments and no student."""
    import shutil

    from nbgrader.api import Gradebook

    target.mkdir(parents=True)
    for name in ("source", "release"):
        shutil.copytree(generated_course / name, target / name)
    for name in ("nbgrader_config.py", "gradebook.db"):
        shutil.copy2(generated_course / name, target / name)
    with Gradebook(f"sqlite:///{target / 'gradebook.db'}") as gb:
        for student in list(gb.students):
            gb.remove_student(student.id)
    return target


