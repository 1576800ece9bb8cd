"""Preprocessors that nbgrader runs while it writes feedback.

nbgrader's ``ClearHiddenTests`` removes hidden tests from the source shown in feedback, but the
outputs still give them away: a traceback quotes the failing line and its neighbours, and a
failed check's message shows the hidden input and the expected value. ``RedactHiddenTestOutputs``
runs first and replaces every output of a cell that holds hidden tests by one sentence that says
whether the hidden tests passed, and how many points they carry.
"""
from __future__ import annotations

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


def has_hidden_tests(cell) -> bool:
    """True if a code cell holds a hidden-test region."""
    return cell.get("cell_type") == "code" and HIDDEN_BEGIN in cell.get("source", "")


def redacted_outputs(cell) -> list:
    """The outputs shown in place of a hidden-test cell's real outputs."""
    failed = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
    points = cell.get("metadata", {}).get("nbgrader", {}).get("points")
    worth = f" ({points:g} point{'s' if points != 1 else ''})" if points is not None else ""
    if failed:
        text = (f"Hidden tests{worth}: FAILED. They check your function on other inputs than "
                f"the public tests; what they test is not shown. Make sure your function is "
                f"correct for every input the docstring allows, not only the public examples.\n")
    else:
        text = f"Hidden tests{worth}: passed.\n"
    return [nbformat.v4.new_output("stream", name="stdout", text=text)]


class RedactHiddenTestOutputs(Preprocessor):
    """Replace the outputs of hidden-test cells by a verdict that reveals nothing of the tests."""

    # nbconvert registers preprocessors named in a list disabled unless they enable themselves.
    enabled = Bool(True).tag(config=True)
    begin_delimiter = Unicode(HIDDEN_BEGIN, help="Marks the start of a hidden-test region."
                              ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code" and self.begin_delimiter in cell.get("source", ""):
            cell.outputs = redacted_outputs(cell)
        return cell, resources
