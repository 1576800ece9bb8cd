"""Facts of a grading run that nbgrader's gradebook has no place for, kept beside it.

Two small JSON files, read by the class report (``course_tools.report``); neither changes a
score or a table of the gradebook:

- ``<notebook>.grading.json`` next to each autograded notebook
  (``autograded/<student>/<assignment>/``): how long grading that notebook took. Written by two
  autograde steps of ``nbgrader_config.py``, `StartGradingClock` first and `RecordGradingTime`
  last, whether grading runs through ``nbgrader autograde`` or ``make grade``.
- ``autograded/<assignment>.batch.json``: what ``make grade`` (``course_tools.parallel_grade``)
  knows of each student and nbgrader does not: wall time, a timeout, a dead grading process, a
  corrupt or renamed notebook and what was graded instead.

The sidecar name matches :data:`SIDECAR_PATTERN`, which ``nbgrader_config.py`` adds to
``CourseDirectory.ignore``: ``generate_feedback`` copies every other file of the autograded folder
into the student's feedback, this one never. It holds a time, nothing about the tests or the scan.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

SIDECAR_SUFFIX = ".grading.json"
SIDECAR_PATTERN = "*" + SIDECAR_SUFFIX
BATCH_SUFFIX = ".batch.json"
_STARTED = "course_tools_grading_started"


def sidecar_name(notebook: str) -> str:
    """The sidecar file's name for the notebook ``notebook`` (its name without .ipynb)."""
    return f"{notebook}{SIDECAR_SUFFIX}"


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``; None when the file is missing or not a JSON object."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class StartGradingClock(Preprocessor):
    """First autograde step: note when grading of the notebook started."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        resources[_STARTED] = time.monotonic()
        return nb, resources


class RecordGradingTime(Preprocessor):
    """Last autograde step: write ``<notebook>.grading.json`` beside the autograded notebook.

    The file goes through nbconvert's ``resources["outputs"]``, which nbgrader's writer saves in
    the autograded folder with the notebook; without `StartGradingClock` earlier in the list it
    records no time.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        notebook = resources.get("nbgrader", {}).get("notebook") or resources.get("unique_key")
        started = resources.get(_STARTED)
        if not notebook:
            return nb, resources
        record = {
            "notebook": notebook,
            "seconds": round(time.monotonic() - started, 3) if started is not None else None,
            "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        resources.setdefault("outputs", {})[sidecar_name(notebook)] = (
            json.dumps(record, indent=1) + "\n").encode("utf-8")
        return nb, resources


def batch_record_path(autograded_root: Path, assignment: str) -> Path:
    return Path(autograded_root) / f"{assignment}{BATCH_SUFFIX}"


def write_batch_record(autograded_root: Path, assignment: str, students: dict[str, dict],
                       seconds: float) -> Path:
    """Write ``autograded/<assignment>.batch.json``: per student ``graded``, ``seconds`` and
    ``faults`` (sentences), and the batch's wall time. Students of an earlier record that this
    batch did not grade are kept."""
    path = batch_record_path(autograded_root, assignment)
    earlier = (read_json(path) or {}).get("students", {})
    record = {"assignment": assignment,
              "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "seconds": round(seconds, 3),
              "students": {**earlier, **students}}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
