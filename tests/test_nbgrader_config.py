"""nbgrader_config.py loads cleanly, from any working directory, with the course's settings.

nbgrader only logs a config file that raises and carries on with its defaults, so a broken
config would pass unnoticed without these checks.
"""
import importlib
import os
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader


def load_as_set(course_root: Path, cwd: Path):
    """The course's config as nbgrader reads it from cwd, with the environment as it is."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    finally:
        os.chdir(old)


def load(course_root: Path, cwd: Path):
    """The course's config as nbgrader reads it on one machine (no hub variables set)."""
    saved = {name: os.environ.pop(name) for name in ("NBGRADER_EXCHANGE_ROOT", "NBGRADER_DB_URL")
             if name in os.environ}
    try:
        return load_as_set(course_root, cwd)
    finally:
        os.environ.update(saved)


def test_config_resolves_every_path_against_its_own_folder(course_root, tmp_path):
    cfg = load(course_root, tmp_path)
    assert Path(cfg.CourseDirectory.root) == course_root
    assert cfg.CourseDirectory.course_id == "deep-learning-foundations"
    assert cfg.CourseDirectory.db_url == f"sqlite:///{course_root / 'gradebook.db'}?timeout=60"
    assert Path(cfg.Exchange.root) == course_root / "exchange", "the exchange lives in the course"
    assert Path(cfg.IncludeHeaderFooter.header) == course_root / "source" / "header.ipynb"
    assert Path(cfg.IncludeHeaderFooter.header).exists()


def test_cells_have_a_timeout_and_are_interrupted(course_root, tmp_path):
    cfg = load(course_root, tmp_path)
    assert 0 < cfg.Execute.timeout <= 300
    assert cfg.Execute.interrupt_on_timeout is True


def test_feedback_preprocessors_exist_and_redaction_runs_first(course_root, tmp_path):
    names = load(course_root, tmp_path).GenerateFeedback.preprocessors
    assert names[0] == "course_tools.feedback.RedactHiddenTestOutputs"
    assert names.index("course_tools.feedback.RedactHiddenTestOutputs") < names.index(
        "nbgrader.preprocessors.ClearHiddenTests"), "outputs must be redacted while the markers are there"
    for dotted in names:
        module, cls = dotted.rsplit(".", 1)
        assert hasattr(importlib.import_module(module), cls), f"{dotted} cannot be imported"
    assert "nbgrader.preprocessors.GetGrades" in names, "feedback needs the scores"


def test_a_hub_moves_the_exchange_and_the_gradebook_and_the_sandbox_hides_that_exchange(
        course_root, tmp_path, monkeypatch):
    shared = tmp_path / "srv" / "exchange"
    url = "postgresql+psycopg://grader@127.0.0.1:5432/gradebook"
    monkeypatch.setenv("NBGRADER_EXCHANGE_ROOT", str(shared))
    monkeypatch.setenv("NBGRADER_DB_URL", url)
    cfg = load_as_set(course_root, tmp_path)
    assert cfg.Exchange.root == str(shared)
    assert cfg.CourseDirectory.db_url == url
    assert cfg.SandboxedKernelManager.hidden_paths == [str(shared)], (
        "grading kernels must not see the shared exchange")
    assert cfg.RecheckOutsideKernel.hidden_path == str(shared)


def test_empty_hub_variables_mean_one_machine(course_root, tmp_path, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXCHANGE_ROOT", "")
    monkeypatch.setenv("NBGRADER_DB_URL", "")
    cfg = load_as_set(course_root, tmp_path)
    assert Path(cfg.Exchange.root) == course_root / "exchange"
    assert cfg.CourseDirectory.db_url.startswith("sqlite:///")
