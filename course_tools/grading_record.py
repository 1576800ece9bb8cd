"""Facts of a grading run that nbgrader's gradebook has no place for, kept beside it.

Two small JSON files, read by the class report (``course_tools.report``); neither changes a
score or a table of the gradebook:

- ``<notebook>.grading.json`` next to each autograded notebook
  (``autograded/<student>/<assignment>/``): how long grading that notebook took. Written by two
  autograde steps of ``nbgrader_config.py``, `StartGradingClock` first and `RecordGradingTime`
  last, whether grading runs through ``nbgrader autograde`` or ``make grade``.
- ``autograded/<assignment>.batch.json``: what ``make grade`` (``course_tools.parallel_grade``)
  knows of each student and nbgrader does not: wall time, a timeout, a dead grading process, a
  corrupt or renamed notebook and what was graded instead. A run over one shard of the class
  (``parallel_grade --shard K/N``, e.g. one node of several) writes the same record for its own
  students to ``autograded/<assignment>.shard-K-of-N.batch.json`` instead, so that shards that
  run at the same time never write one file; :func:`read_batch_records` merges them for the
  report.

The sidecar name matches :data:`SIDECAR_PATTERN`, which ``nbgrader_config.py`` adds to
``CourseDirectory.ignore``: ``generate_feedback`` copies every other file of the autograded folder
into the student's feedback, this one never. It holds a time, nothing about the tests or the scan.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import re
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


def shard_record_path(autograded_root: Path, assignment: str, shard: tuple[int, int]) -> Path:
    """The batch record of shard ``shard`` = (K, N): ``<assignment>.shard-K-of-N.batch.json``."""
    k, n = shard
    return Path(autograded_root) / f"{assignment}.shard-{k}-of-{n}{BATCH_SUFFIX}"


def shard_record_paths(autograded_root: Path, assignment: str) -> dict[tuple[int, int], Path]:
    """(K, N) -> path of every shard record of ``assignment`` in ``autograded_root``."""
    pattern = re.compile(re.escape(assignment) + r"\.shard-(\d+)-of-(\d+)"
                         + re.escape(BATCH_SUFFIX))
    folder = Path(autograded_root)
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.iterdir()):
        match = pattern.fullmatch(path.name)
        if match and path.is_file():
            found[(int(match[1]), int(match[2]))] = path
    return found


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path``'s hidden lock file meanwhile: two runs that update one
    record at the same time (``--students`` runs) keep each other's students."""
    lock = path.with_name(f".{path.name}.lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_batch_record(autograded_root: Path, assignment: str, students: dict[str, dict],
                       seconds: float, shard: tuple[int, int] | None = None) -> Path:
    """Write ``autograded/<assignment>.batch.json``: per student ``graded``, ``seconds`` and
    ``faults`` (sentences), and the batch's wall time and when it started and ended. Students of
    an earlier record that this batch did not grade are kept.

    With ``shard`` = (K, N) the record goes to the shard's own file
    (:func:`shard_record_path`) and says which shard it is (``"shard": [K, N]``); the record of
    the whole class and those of other shards are left alone.
    """
    path = (batch_record_path(autograded_root, assignment) if shard is None
            else shard_record_path(autograded_root, assignment, shard))
    path.parent.mkdir(parents=True, exist_ok=True)
    ended = datetime.now(timezone.utc)
    with _locked(path):
        earlier = (read_json(path) or {}).get("students", {})
        record = {"assignment": assignment,
                  "started_at": datetime.fromtimestamp(ended.timestamp() - seconds, timezone.utc
                                                       ).isoformat(timespec="seconds"),
                  "graded_at": ended.isoformat(timespec="seconds"),
                  "seconds": round(seconds, 3),
                  "students": {**earlier, **students}}
        if shard is not None:
            record["shard"] = list(shard)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        temporary.replace(path)
    return path


def _time(record: dict, key: str) -> datetime | None:
    try:
        return datetime.fromisoformat(record[key])
    except (KeyError, TypeError, ValueError):
        return None


def read_batch_records(autograded_root: Path, assignment: str) -> dict:
    """What the class report reads of the batch records: the record of the whole class and the
    shard records merged, as one record.

    ``students``: per student, the entry of the newest record (by ``graded_at``) that holds
    them. ``seconds``: the wall time of the newest run; when that is a sharded run, from the
    earliest start to the latest end of the records of its N shards (shards that ran at the same
    time count once). ``shards``: None for a run over the whole class, else ``[recorded, N]``,
    how many of its N shards left a record. Empty when there is no record.
    """
    whole = read_json(batch_record_path(autograded_root, assignment))
    shards = {key: record for key, path in shard_record_paths(autograded_root, assignment).items()
              if (record := read_json(path)) is not None}
    if not shards:
        return whole or {}
    never = datetime.min.replace(tzinfo=timezone.utc)
    records = ([(None, whole)] if whole else []) + [(key, shards[key]) for key in sorted(shards)]
    records.sort(key=lambda item: _time(item[1], "graded_at") or never)  # stable: whole first
    students: dict[str, dict] = {}
    for _, record in records:
        students.update(record.get("students") or {})
    newest_key, newest = records[-1]
    merged = {"assignment": assignment, "students": students, "shards": None,
              "seconds": newest.get("seconds"), "graded_at": newest.get("graded_at")}
    if newest_key is not None:
        n = newest_key[1]
        run = [record for (_, of), record in shards.items() if of == n]
        starts = [_time(r, "started_at") for r in run]
        ends = [_time(r, "graded_at") for r in run]
        if all(starts) and all(ends):
            merged["seconds"] = round((max(ends) - min(starts)).total_seconds(), 3)
        else:
            merged["seconds"] = max((r.get("seconds") or 0) for r in run) or None
        merged["shards"] = [len(run), n]
    return merged
