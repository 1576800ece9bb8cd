"""Cap the outputs of a graded notebook in bytes.

nbgrader's ``LimitOutput`` counts lines: a 30 MB print on one line survives it and the autograded
notebook (and its feedback page) keeps all 30 MB. ``CapOutputBytes`` runs after it, in
``c.Autograde.autograde_preprocessors`` before ``SaveAutoGrades``, and limits the outputs of each
cell to ``max_bytes_per_cell`` and those of the whole notebook to ``max_bytes_per_notebook``.
What is cut is replaced by a note ``[output truncated: N bytes removed]``.

The cap never changes a grade. nbgrader scores a test cell from its outputs (see
``nbgrader.utils.determine_grade``): the first output that is an error or a ``stderr`` stream
gives 0, the first ``execute_result`` may give partial credit from its ``text/plain``, anything
else gives full points. So those outputs (the *grade-relevant* ones) are never removed and
never added: an error keeps its type, its exception name and the start of its message, with a
shortened traceback; a ``stderr`` stream stays a ``stderr`` stream; an ``execute_result`` whose
``text/plain`` reads as a number keeps it unchanged. Every other output (``stdout``, displays,
images, HTML) is shortened or dropped, and the note goes into a ``stdout`` stream, which nbgrader
ignores when it grades.

Sizes are measured on an output's JSON form (UTF-8), as it is stored in the notebook. Kept
stubs of grade-relevant outputs may exceed an exhausted budget by a few hundred bytes each.
"""
from __future__ import annotations

import copy
import json

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

NOTE = "[output truncated: {removed} bytes removed]"
# What a stub of a grade-relevant output keeps at least, whatever the budget.
STUB_NAME_CHARS = 100
STUB_MESSAGE_CHARS = 300
# A shortened non-relevant output is only kept if at least this much of it can be shown.
MIN_SHOWN_BYTES = 200
# Mime types whose value can be cut as plain text (others are dropped whole when over budget).
CUTTABLE_TEXT = ("text/plain",)


def json_size(value) -> int:
    """Bytes of ``value`` in its JSON form (UTF-8), as a notebook stores it."""
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def note(removed: int) -> str:
    return NOTE.format(removed=removed)


def is_grade_relevant(output) -> bool:
    """True for the outputs nbgrader reads to score a test cell."""
    kind = output.get("output_type")
    return (kind in ("error", "execute_result")
            or (kind == "stream" and output.get("name") == "stderr"))


def reads_as_number(text) -> bool:
    """True if nbgrader's partial credit would read ``text`` as a number."""
    if isinstance(text, list):
        text = text[0] if len(text) == 1 else None
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def fit_text(text: str, limit: int) -> str:
    """The longest start of ``text`` (whole characters) whose JSON form fits in ``limit`` bytes."""
    if limit <= 2:
        return ""
    if json_size(text) <= limit:
        return text
    cut = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    # Escapes (quotes, control characters) make the JSON form longer than the text: shrink.
    while cut and json_size(cut) > limit:
        cut = cut[:max(0, len(cut) * limit // json_size(cut) - 1)]
    return cut


def shorten_text(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to about ``limit`` bytes with the note appended, and the bytes removed.

    The result always carries the note; ``limit`` is what the kept text may take.
    """
    kept = fit_text(text, limit)
    removed = len(text.encode("utf-8")) - len(kept.encode("utf-8"))
    sep = "" if not kept or kept.endswith("\n") else "\n"
    return f"{kept}{sep}{note(removed)}\n", removed


def shorten_lines(lines: list[str], limit: int) -> tuple[list[str], int]:
    """A traceback cut to about ``limit`` bytes: its first and last lines, a note between."""
    total = sum(len(line.encode("utf-8")) for line in lines)
    head, tail, used = [], [], 0
    i, j = 0, len(lines) - 1
    # Alternate: the first line says where it happened, the last ones what happened.
    while i <= j:
        line = lines[j] if len(tail) < len(head) else lines[i]
        size = json_size(line) + 2
        if used + size > limit:
            break
        used += size
        if len(tail) < len(head):
            tail.insert(0, line)
            j -= 1
        else:
            head.append(line)
            i += 1
    if i > j:
        return list(lines), 0
    removed = total - sum(len(line.encode("utf-8")) for line in head + tail)
    return head + [note(removed)] + tail, removed


def shorten_error(output, limit: int) -> tuple[dict, int]:
    """An error output cut to about ``limit`` bytes; it stays an error output.

    Returns the new output and the bytes removed that no note inside it reports (none here).
    """
    out = copy.deepcopy(output)
    ename = out.get("ename", "")
    if len(ename) > STUB_NAME_CHARS:
        out["ename"] = ename[:STUB_NAME_CHARS]
    evalue = out.get("evalue", "")
    keep_value = max(STUB_MESSAGE_CHARS, limit // 4)
    if json_size(evalue) > keep_value:
        out["evalue"], _ = shorten_text(evalue, keep_value)
    room = max(0, limit - json_size({k: v for k, v in out.items() if k != "traceback"}))
    out["traceback"], _ = shorten_lines(list(out.get("traceback", [])), room)
    return out, 0


def shorten_stream(output, limit: int) -> tuple[dict | None, int]:
    """A stream cut to about ``limit`` bytes, or ``None`` for a stdout stream with no room."""
    text = output.get("text", "")
    if isinstance(text, list):
        text = "".join(text)
    if output.get("name") != "stderr" and limit < MIN_SHOWN_BYTES:
        return None, 0
    out = copy.deepcopy(output)
    out["text"], _ = shorten_text(text, max(0, limit - json_size({**out, "text": ""})))
    return out, 0


def shorten_bundle(output, limit: int) -> tuple[dict | None, int]:
    """A display or result output cut to about ``limit`` bytes.

    ``text/plain`` comes first: kept, or cut with a note (an ``execute_result`` whose text reads
    as a number keeps it unchanged, partial credit depends on it). Other mime types are kept
    whole while they fit and dropped otherwise. A display with nothing left becomes ``None``;
    an ``execute_result`` is always kept, and ``text/plain`` is never added to or removed from
    one. Returns the new output and the bytes dropped that no note inside it reports.
    """
    relevant = output.get("output_type") == "execute_result"
    data = output.get("data", {})
    metadata = output.get("metadata", {})
    out = copy.deepcopy(output)
    out["data"], out["metadata"] = {}, {}
    unnoted = 0
    room = limit - json_size(out)
    order = [m for m in CUTTABLE_TEXT if m in data] + [m for m in data if m not in CUTTABLE_TEXT]
    for mime in order:
        value = data[mime]
        size = json_size({mime: value})
        if size <= room or (relevant and mime == "text/plain" and reads_as_number(value)):
            out["data"][mime] = value
            room -= size
            if mime in metadata:
                out["metadata"][mime] = metadata[mime]
                room -= json_size({mime: metadata[mime]})
        elif mime in CUTTABLE_TEXT and (relevant or room >= MIN_SHOWN_BYTES):
            text = "".join(value) if isinstance(value, list) else value
            out["data"][mime], _ = shorten_text(text, max(0, room - json_size({mime: ""})))
            room = 0
        else:
            unnoted += size
    unnoted += json_size(metadata) - json_size(out["metadata"])
    if not relevant and not out["data"]:
        return None, 0
    return out, unnoted


SHORTEN = {"error": shorten_error, "stream": shorten_stream,
           "execute_result": shorten_bundle, "display_data": shorten_bundle}


def cap_outputs(outputs: list, budget: int) -> tuple[list, int]:
    """Outputs of one cell within ``budget`` bytes (-1: no limit), and the bytes they take.

    Outputs that fit are kept as they are (the same objects), in their order. Grade-relevant
    outputs get the budget first (an error's message is worth more than the flood before it),
    then the others in order. The first output that does not fit is cut to the room left;
    later ones shrink to stubs if grade-relevant and are dropped otherwise. Bytes removed that
    no note reports are counted in one trailing stdout note.
    """
    sizes = [json_size(out) for out in outputs]
    if budget < 0 or sum(sizes) <= budget:
        return list(outputs), sum(sizes)
    priority = sorted(range(len(outputs)), key=lambda i: not is_grade_relevant(outputs[i]))
    new_outputs: dict[int, dict] = {}
    used, unnoted = 0, 0
    for i in priority:
        out, size = outputs[i], sizes[i]
        room = max(0, budget - used)
        if size <= room:
            new_outputs[i] = out
            used += size
            continue
        shorten = SHORTEN.get(out.get("output_type"))
        if shorten is None:
            new, lost = (out, 0) if is_grade_relevant(out) else (None, 0)
        else:
            new, lost = shorten(out, room)
        if new is None:
            unnoted += size
            continue
        unnoted += lost
        new_outputs[i] = nbformat.from_dict(new)
        used += json_size(new)
    kept = [new_outputs[i] for i in range(len(outputs)) if i in new_outputs]
    if unnoted:
        trailer = nbformat.v4.new_output("stream", name="stdout", text=note(unnoted) + "\n")
        kept.append(trailer)
        used += json_size(trailer)
    return kept, used


class CapOutputBytes(Preprocessor):
    """Limit the bytes of every code cell's outputs, and of all outputs of the notebook.

    For ``c.Autograde.autograde_preprocessors``, after nbgrader's ``LimitOutput`` and before
    ``SaveAutoGrades``. Grade-relevant outputs keep their type, so scores do not change.
    """

    # nbconvert registers preprocessors named in a list disabled unless they enable themselves.
    enabled = Bool(True).tag(config=True)
    max_bytes_per_cell = Integer(
        100_000, help="Most bytes the outputs of one cell may take (-1: no limit).").tag(config=True)
    max_bytes_per_notebook = Integer(
        2_000_000, help="Most bytes all outputs of a notebook may take (-1: no limit)."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        remaining = self.max_bytes_per_notebook
        for cell in nb.cells:
            if cell.get("cell_type") != "code" or not cell.get("outputs"):
                continue
            budget = self.max_bytes_per_cell
            if remaining >= 0:
                budget = remaining if budget < 0 else min(budget, remaining)
            cell.outputs, used = cap_outputs(cell.outputs, budget)
            if remaining >= 0:
                remaining = max(0, remaining - used)
        return nb, resources
