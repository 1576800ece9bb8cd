"""RedactHiddenTestOutputs, on a notebook built here, without nbgrader's pipeline."""
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_tools.feedback import RedactHiddenTestOutputs


def graded_cell(source, outputs, points=2):
    cell = new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": points, "solution": False}
    return cell


def test_hidden_test_outputs_are_replaced_by_a_verdict_and_visible_ones_kept():
    error = new_output("error", ename="AssertionError", evalue="f(x=[7.25]) is wrong",
                       traceback=["x_hidden = np.array([7.25])", "AssertionError: f(x=[7.25])"])
    hidden_failed = graded_cell("# hidden\n### BEGIN HIDDEN TESTS\nx_hidden = 1\n### END HIDDEN TESTS",
                                [new_output("stream", name="stdout", text="7.25"), error])
    hidden_passed = graded_cell("### BEGIN HIDDEN TESTS\nx_hidden = 1\n### END HIDDEN TESTS", [], 1)
    public = graded_cell("check(f)", [error])
    nb = new_notebook(cells=[hidden_failed, hidden_passed, public])
    nb, _ = RedactHiddenTestOutputs().preprocess(nb, {})
    verdict = nb.cells[0].outputs
    assert len(verdict) == 1 and verdict[0]["output_type"] == "stream"
    assert verdict[0]["text"].startswith("Hidden tests (2 points): FAILED.")
    assert "7.25" not in nbformat.writes(new_notebook(cells=[nb.cells[0]])), (
        "nothing of the hidden test's input may remain")
    assert nb.cells[1].outputs[0]["text"] == "Hidden tests (1 point): passed.\n"
    assert nb.cells[2].outputs == [error], "public test outputs must be kept as they are"
