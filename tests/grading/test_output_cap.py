"""CapOutputBytes: outputs capped in bytes, and never a grade changed.

Unit tests on notebooks built here (nbgrader's own ``determine_grade`` decides what a grade is),
then a real ``nbgrader autograde`` of submissions that flood their outputs, with the
autograde preprocessor list that nbgrader_config.py is to carry.
"""
from __future__ import annotations

import json

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade

from course_tools.output_cap import CapOutputBytes, cap_outputs, json_size

from ..assignments.material import SPECIMEN
from ..pipeline.test_nbgrader_pipeline import nbgrader
from .test_parallel_grade import all_grades, course_copy, with_code_appended

# The cap is shown on the specimen's cells (sigmoid, relu).
ASSIGNMENT, NOTEBOOK = SPECIMEN.name, SPECIMEN.notebook


def notebooks_of_course(course):
    return SPECIMEN.read("release", course), SPECIMEN.read("source", course)


def build_submission(release, source, spec):
    return SPECIMEN.build(spec, release, source)


def submission_folder(course, student):
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    return folder

NOTE_START = "[output truncated: "
# What a kept stub of one grade-relevant output may add beyond an exhausted budget.
STUB_ALLOWANCE = 1_000


def graded_cell(outputs, points=2):
    """An autograded test cell with these outputs."""
    cell = new_code_cell("check(f)", outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t", "points": points}
    return cell


def stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def error(evalue="wrong", traceback_lines=3, line="  File <cell>, line 1"):
    return new_output("error", ename="AssertionError", evalue=evalue,
                      traceback=[line] * traceback_lines + [f"AssertionError: {evalue[:50]}"])


def capped(cells, per_cell=10_000, per_notebook=-1):
    nb = new_notebook(cells=cells)
    nb, _ = CapOutputBytes(max_bytes_per_cell=per_cell,
                           max_bytes_per_notebook=per_notebook).preprocess(nb, {})
    return nb


def all_text(outputs) -> str:
    return json.dumps(outputs)


def test_outputs_within_the_cap_are_kept_as_they_are():
    outputs = [stream("hello\n"), error(), new_output("display_data", data={"text/plain": "x"})]
    nb = capped([graded_cell(list(outputs))])
    assert nb.cells[0].outputs == outputs, "outputs under the cap must not change"
    assert all(a is b for a, b in zip(nb.cells[0].outputs, outputs)), "nor be copied"


def test_a_single_long_line_is_cut_to_the_cell_cap_with_a_note():
    text = "x" * 3_000_000
    nb = capped([graded_cell([stream(text)])], per_cell=10_000)
    outputs = nb.cells[0].outputs
    assert json_size(outputs) <= 10_000 + STUB_ALLOWANCE, f"{json_size(outputs)} bytes kept"
    assert len(outputs) == 1 and outputs[0]["name"] == "stdout", outputs
    kept, _, tail = outputs[0]["text"].partition("\n" + NOTE_START)
    removed = int(tail.split(" ")[0])
    assert kept == text[:len(kept)] and len(kept) > 9_000, "the start of the line is kept"
    assert len(kept) + removed == len(text), f"the note must count the bytes removed: {tail}"


def test_a_failing_test_stays_failing_when_its_error_is_huge():
    flood = stream("y" * 500_000)
    huge = error(evalue="z" * 1_000_000, traceback_lines=200, line="w" * 5_000)
    cell = graded_cell([flood, huge])
    before = determine_grade(cell)
    nb = capped([cell], per_cell=10_000)
    outputs = nb.cells[0].outputs
    assert determine_grade(nb.cells[0]) == before == (0, 2), "a failing test must keep failing"
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "AssertionError", outputs
    assert errors[0]["evalue"].startswith("zzz") and NOTE_START in errors[0]["evalue"], (
        "the start of the message is kept, with a note")
    assert any(NOTE_START in line for line in errors[0]["traceback"]), "traceback shortened"
    assert json_size(outputs) <= 10_000 + STUB_ALLOWANCE, f"{json_size(outputs)} bytes kept"


def test_an_error_after_a_flood_gets_the_budget_before_the_flood():
    cell = graded_cell([stream("y" * 500_000), error(evalue="sigmoid_grad returns sigma")])
    outputs = capped([cell], per_cell=10_000).cells[0].outputs
    assert outputs[1] == cell.outputs[1], "a small error after a flood is kept whole"
    assert outputs[0]["text"].startswith("yyy") and NOTE_START in outputs[0]["text"], outputs[0]


def test_a_passing_test_gains_no_error_and_no_stderr():
    cell = graded_cell([stream("r" * 300_000), stream("s" * 300_000),
                      new_output("display_data", data={"image/png": "A" * 400_000,
                                                       "text/plain": "<Figure>"})])
    nb = capped([cell], per_cell=10_000)
    kinds = [(o["output_type"], o.get("name")) for o in nb.cells[0].outputs]
    assert determine_grade(nb.cells[0]) == (2, 2), f"a passing test must keep passing: {kinds}"
    assert ("stream", "stderr") not in kinds and ("error", None) not in kinds, kinds
    assert NOTE_START in all_text(nb.cells[0].outputs), "what was dropped must be reported"


def test_a_stderr_flood_stays_on_stderr():
    cell = graded_cell([stream("e" * 200_000, name="stderr")])
    nb = capped([cell], per_cell=5_000)
    assert [o["name"] for o in nb.cells[0].outputs] == ["stderr"], nb.cells[0].outputs
    assert determine_grade(nb.cells[0]) == (0, 2), "nbgrader fails a test that writes to stderr"


def test_partial_credit_survives_an_exhausted_notebook_budget():
    flood = graded_cell([stream("f" * 50_000)])
    partial = graded_cell([new_output("execute_result", execution_count=1,
                                    data={"text/plain": "1.5", "text/html": "<b>" * 10_000})])
    nb = capped([flood, partial], per_cell=100_000, per_notebook=20_000)
    result = nb.cells[1].outputs[0]
    assert result["output_type"] == "execute_result" and result["data"]["text/plain"] == "1.5", (
        f"the partial-credit value must be kept: {nb.cells[1].outputs}")
    assert determine_grade(nb.cells[1]) == (1.5, 2), "partial credit must not change"
    assert "text/html" not in result["data"], "the HTML did not fit and is dropped"


def test_images_and_html_are_dropped_and_text_kept():
    display = new_output("display_data", data={"image/png": "i" * 100_000,
                                               "text/html": "<p>" * 10_000,
                                               "text/plain": "<Figure size 640x480>"},
                         metadata={"image/png": {"width": 640}})
    nb = capped([graded_cell([display])], per_cell=2_000)
    outputs = nb.cells[0].outputs
    assert outputs[0]["data"] == {"text/plain": "<Figure size 640x480>"}, outputs[0]
    assert outputs[0]["metadata"] == {}, "metadata of dropped mime types goes too"
    assert NOTE_START in outputs[-1].get("text", ""), f"a note says what was dropped: {outputs}"


def test_the_notebook_cap_bounds_the_sum_of_all_cells():
    cells = [graded_cell([stream("n" * 50_000)]) for _ in range(40)]
    nb = capped(cells, per_cell=60_000, per_notebook=200_000)
    total = sum(json_size(c.outputs) for c in nb.cells)
    assert total <= 200_000 + 40 * STUB_ALLOWANCE, f"{total} bytes of outputs kept"
    assert json_size(nb.cells[0].outputs) > 49_000, "the first cells keep their output"
    assert NOTE_START in all_text(nb.cells[-1].outputs), "later cells say what was removed"


def test_a_cap_of_minus_one_means_no_limit():
    cell = graded_cell([stream("u" * 300_000)])
    nb = capped([cell], per_cell=-1, per_notebook=-1)
    assert nb.cells[0].outputs[0]["text"] == "u" * 300_000, "nothing may be cut without a cap"


def test_registered_by_name_it_runs_and_reads_its_configuration():
    # nbconvert registers a preprocessor named in a list disabled unless it enables itself.
    from nbconvert.exporters import NotebookExporter
    from traitlets.config import Config

    config = Config()
    config.CapOutputBytes.max_bytes_per_cell = 1_000
    exporter = NotebookExporter(config=config)
    exporter.register_preprocessor("course_tools.output_cap.CapOutputBytes")
    nb = new_notebook(cells=[graded_cell([stream("c" * 50_000)])])
    body, _ = exporter.from_notebook_node(nb)
    outputs = nbformat.reads(body, as_version=4).cells[0].outputs
    assert json_size(outputs) <= 1_000 + STUB_ALLOWANCE, "the configured cap must apply"


OUTPUT = st.one_of(
    st.builds(lambda n, name: stream("s" * n, name), st.integers(0, 30_000),
              st.sampled_from(["stdout", "stderr"])),
    st.builds(lambda n, lines: error("v" * n, lines, "t" * 300), st.integers(0, 30_000),
              st.integers(0, 60)),
    st.builds(lambda text, n: new_output("execute_result", execution_count=1,
                                         data={"text/plain": text, "text/html": "h" * n}),
              st.sampled_from(["0.5", "2", "'text'", "x" * 20_000]), st.integers(0, 30_000)),
    st.builds(lambda n: new_output("display_data", data={"image/png": "p" * n,
                                                         "text/plain": "<Figure>"}),
              st.integers(0, 30_000)),
)


@settings(max_examples=150, deadline=None)
@given(outputs=st.lists(OUTPUT, max_size=6), budget=st.integers(0, 20_000))
def test_capping_never_changes_a_grade_and_respects_the_budget(outputs, budget):
    cell = graded_cell(outputs)
    before = determine_grade(cell)
    relevant = sum(o["output_type"] in ("error", "execute_result") or o.get("name") == "stderr"
                   for o in outputs)
    kept, used = cap_outputs(cell.outputs, budget)
    after = determine_grade(graded_cell(kept))
    assert after == before, f"grade {before} became {after}"
    assert used == sum(json_size(o) for o in kept), "the bytes reported are the bytes kept"
    assert used <= max(budget, 0) + (relevant + 1) * STUB_ALLOWANCE, (
        f"{used} bytes kept for a budget of {budget} with {relevant} grade-relevant outputs")


# ---------------------------------------------------------------------------------------------
# A real autograde

# The exact setting proposed for nbgrader_config.py: nbgrader's autograde list with the cap
# added after LimitOutput.
PROPOSED_CONFIG = '''
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "course_tools.output_cap.CapOutputBytes",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''
FLOOD_BYTES = 30_000_000
NOTEBOOK_CAP = CapOutputBytes.max_bytes_per_notebook.default_value


@pytest.fixture(scope="module")
def flooded(generated_course, tmp_path_factory):
    course = course_copy(generated_course, tmp_path_factory.mktemp("flood") / "course")
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(PROPOSED_CONFIG)
    release, source = notebooks_of_course(course)
    key = build_submission(release, source, {"base": "answer_key"})
    # 30 MB on one line in a solution cell: LimitOutput alone keeps all of it.
    flood = with_code_appended(key, "sigmoid", f"print('x' * {FLOOD_BYTES})")
    nbformat.write(flood, submission_folder(course, "one_line_flood") / f"{NOTEBOOK}.ipynb")
    # A wrong sigmoid_grad (its tests fail) and a relu that prints 300 kB on every call, so
    # that passing and failing test cells both carry large outputs.
    spec = next(s for s in SPECIMEN.fixtures if s["student"] == "sigmoid_grad_returns_sigmoid")
    noisy = build_submission(release, source, spec)
    for cell in noisy.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "relu":
            assert "def relu(x):" in cell.source, "the relu solution cell changed shape"
            cell.source = cell.source.replace(
                "def relu(x):", "def relu(x):\n    print('r' * 300_000)", 1)
    nbformat.write(noisy, submission_folder(course, "noisy_tests") / f"{NOTEBOOK}.ipynb")
    result = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return dict(course=course, result=result, spec=spec)


@pytest.mark.slow
def test_a_30_mb_line_leaves_a_small_autograded_notebook(flooded):
    assert flooded["result"].returncode == 0, (
        f"nbgrader autograde failed:\n{flooded['result'].stderr[-3000:]}")
    for student in ("one_line_flood", "noisy_tests"):
        path = flooded["course"] / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        size = path.stat().st_size
        assert size < NOTEBOOK_CAP, f"{student}: the autograded notebook is {size} bytes"
    nb = nbformat.read(flooded["course"] / "autograded" / "one_line_flood" / ASSIGNMENT
                       / f"{NOTEBOOK}.ipynb", as_version=4)
    sigmoid = next(c for c in nb.cells
                   if c.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid")
    assert NOTE_START in all_text(sigmoid.outputs), "the cut output must say so"


@pytest.mark.slow
def test_capping_leaves_the_scores_unchanged(flooded):
    grades = all_grades(flooded["course"])
    auto = {student: {cell: score for (_, cell), (score, _, top) in g["cells"].items()
                      if cell.startswith(("test_", "hidden_"))}
            for student, g in grades.items()}
    tops = {cell: top for (_, cell), (_, _, top) in grades["one_line_flood"]["cells"].items()}
    assert auto["one_line_flood"] and all(
        score == tops[cell] for cell, score in auto["one_line_flood"].items()), (
        f"the answer key with a flood must earn every test point: {auto['one_line_flood']}")
    fails = set(flooded["spec"]["fails"])
    wrong = {cell: score for cell, score in auto["noisy_tests"].items()
             if score != (0 if cell in fails else tops[cell])}
    assert not wrong, f"noisy_tests: expected 0 exactly for {sorted(fails)}, got {wrong}"
