"""Which errors of nbclient say that the grading kernel's messages could not be read.

`SandboxedExecute` grades a notebook whose kernel garbled its messages (the cells from there on
fail, the earlier ones keep their points) instead of letting nbgrader drop the submission; any
other error still ends the notebook's grading as before. The red team's kernel fault
``fork_bomb_then_large_output`` shows it on a real kernel, in every assignment's batch.
"""
from __future__ import annotations

import nbformat
import pytest
from nbclient.exceptions import CellTimeoutError

from course_tools.sandbox import kernel_garbled

CELL = nbformat.v4.new_code_cell("print('x' * 300_000)")


@pytest.mark.parametrize("exc", [
    ValueError("Invalid Signature: b'59461173c8f0ca3d0cbb9b78a6baf24dd13d28185c15a26933dbce2ae167a306'"),
    ValueError("Duplicate Signature: b'aa'"),
    CellTimeoutError.error_from_timeout_and_cell("Timeout waiting for IOPub output", 4, CELL),
], ids=["torn message", "replayed message", "no end of output"])
def test_a_kernel_whose_messages_cannot_be_read_is_recognised(exc):
    assert kernel_garbled(exc)


@pytest.mark.parametrize("exc", [
    ValueError("could not convert string to float: 'x'"),
    CellTimeoutError.error_from_timeout_and_cell("Timeout waiting for execute reply", 10, CELL),
    RuntimeError("Invalid Signature"),
    KeyError("Invalid Signature"),
], ids=["other ValueError", "cell timeout", "other type, same words", "KeyError"])
def test_other_errors_are_not_taken_for_a_garbled_kernel(exc):
    assert not kernel_garbled(exc)
