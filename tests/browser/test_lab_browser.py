"""The course in a real browser: JupyterLab as the student and as the instructor see it.

Student view (``make lab``): the release of assignment 01, completed with the answer key's
solutions, runs in JupyterLab; both explorers of ``course_lib.widgets`` render a plot, and
changing a control redraws it; nbgrader's Validate button passes that notebook and reports the
failing tests of the untouched release; formgrader and Create Assignment are absent. Instructor
view (``make instructor``): formgrader and Create Assignment are present, and formgrader lists
assignment 01 of a course whose gradebook knows it.
"""
from __future__ import annotations

import itertools

import nbformat
import pytest

from ..conftest import course_copy
from ..assignments.material import primary
from .conftest import jupyter_environment, lab_server

pytestmark = pytest.mark.slow

# The assignment in the browser (COURSE_TEST_ASSIGNMENT chooses another).
PRIMARY = primary()
ASSIGNMENT = PRIMARY.name
NOTEBOOK = f"{PRIMARY.notebook}.ipynb"
RELEASE_PATH = f"{ASSIGNMENT}/{NOTEBOOK}"
ANSWER_KEY_PATH = f"{ASSIGNMENT}/answer_key.ipynb"
# Widget rendering, a redraw and nbgrader's validation of the whole notebook stay well below.
TIMEOUT_MS = 60_000
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list")
INSTRUCTOR_COMMANDS = ("nbgrader:open-formgrader", "nbgrader:open-create-assignment",
                       "nbgrader:open-course-list")

_workspace_names = itertools.count()

# In the browser: the main-area widget that shows the notebook at `path`.
_PANEL = ("(path) => Array.from(window.jupyterapp.shell.widgets('main'))"
          ".find(w => w.context && w.context.path === path)")
# SHA-256 of what an <img> shows (its blob: URL is revoked once the widget redraws).
_IMAGE_DIGEST = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
}"""


class Lab:
    """One browser tab on a JupyterLab server, with the few actions the tests need."""

    def __init__(self, page, server):
        self.page, self.server = page, server

    def open(self, path: str = "") -> None:
        """Load JupyterLab (in a fresh workspace, so no earlier tab reopens) at path."""
        workspace = f"browser-test-{next(_workspace_names)}"
        tree = f"/tree/{path}" if path else ""
        self.page.goto(f"{self.server.url}/lab/workspaces/{workspace}{tree}"
                       f"?token={self.server.token}")
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=TIMEOUT_MS)
        self.page.evaluate("async () => { await window.jupyterapp.started;"
                           " await window.jupyterapp.restored; }")

    def open_notebook(self, path: str) -> None:
        """Open a notebook and wait until its document and kernel are ready and idle.

        The state is polled (``wait_for_function`` asks again until the answer is yes) rather
        than awaited: an ``evaluate`` that awaits a promise of JupyterLab's can fail with
        "Resulting promise was garbage collected" when Chromium collects the promise before it
        resolves (a known Playwright and V8 behaviour).
        """
        self.open(path)
        panel = f"({_PANEL})({path!r})"
        self.page.wait_for_function(
            f"() => {panel} !== undefined && {panel}.context.isReady"
            f" && {panel}.sessionContext.isReady", timeout=TIMEOUT_MS)
        self.page.evaluate(f"() => window.jupyterapp.shell.activateById({panel}.id)")
        self.page.wait_for_function(
            f"() => {panel}.sessionContext.session?.kernel?.status === 'idle'",
            timeout=TIMEOUT_MS)

    def run_all(self) -> bool:
        """Run every cell of the current notebook; True when none raised."""
        return self.page.evaluate(
            "() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

    def code_cell(self, path: str, text: str):
        """The one code cell of the notebook at path whose source contains text, scrolled into
        view (JupyterLab renders cells far off screen lazily)."""
        matches = self.page.evaluate(f"""async ([path, text]) => {{
            const notebook = ({_PANEL})(path).content;
            const found = notebook.widgets.flatMap((cell, i) => cell.model.type === 'code'
                && cell.model.sharedModel.getSource().includes(text) ? [i] : []);
            if (found.length === 1) {{
                await notebook.scrollToItem(found[0], 'start');
                notebook.widgets[found[0]].node.dataset.courseTestCell = text;
            }}
            return found.length;
        }}""", [path, text])
        assert matches == 1, (
            f"{path} should have one code cell containing {text!r}, found {matches}")
        return self.page.locator(f".jp-CodeCell[data-course-test-cell={text!r}]")

    def commands(self) -> set[str]:
        return set(self.page.evaluate("() => window.jupyterapp.commands.listCommands()"
                                      ".filter(c => c.startsWith('nbgrader'))"))

    def active_plugins(self) -> set[str]:
        return set(self.page.evaluate(
            "() => window.jupyterapp.listPlugins().filter(p => p.startsWith('@jupyter/nbgrader')"
            " && window.jupyterapp.isPluginActivated(p))"))

    def nbgrader_menu(self) -> list[str]:
        """Open the Nbgrader menu; the labels it shows (commands that do not exist show none)."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        menu = self.page.locator(".lm-Menu").last
        menu.wait_for()
        return [label for label in menu.locator(".lm-Menu-itemLabel").all_inner_texts()
                if label.strip()]

    def validate(self) -> tuple[str, str]:
        """Click nbgrader's Validate button; the verdict's kind and text (the dialog stays open)."""
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .validate-button").click()
        message = self.page.locator(".jp-Dialog #validation-message")
        message.wait_for(timeout=TIMEOUT_MS)
        kinds = [c for c in message.get_attribute("class").split() if c.startswith("validation-")]
        return " ".join(kinds), message.inner_text()

    def image_digest(self, image) -> str:
        return image.evaluate(_IMAGE_DIGEST)


def wait_for_redraw(image, old_src: str) -> None:
    image.page.wait_for_function("([img, old]) => img.src !== old && img.src.startsWith('blob:')",
                                 arg=[image.element_handle(), old_src], timeout=TIMEOUT_MS)




@pytest.fixture(scope="module")
def student_lab(tmp_path_factory, course_root):
    """The student view of this checkout, its workspace in a temporary folder."""
    folder = tmp_path_factory.mktemp("student-lab")
    env = dict(jupyter_environment(folder), COURSE_WORKSPACE=str(folder / "work"))
    with lab_server([], folder / "work", folder, env) as server:
        yield server


@pytest.fixture(scope="module")
def instructor_lab(browser, tmp_path_factory, generated_course):
    """The instructor view of a course copy whose gradebook knows every assignment.

    Asks for the browser first, so that without one nothing is generated or started.
    """
    folder = tmp_path_factory.mktemp("instructor-lab")
    course = course_copy(generated_course, folder / "course")
    with lab_server(["--instructor", f"--course={course}"], course, folder) as server:
        yield server


@pytest.fixture(scope="module")
def answer_key(student_lab, course_root) -> str:
    """The student's release of assignment 01 completed with the answer key's solutions, saved
    beside it in the workspace; its path for JupyterLab."""
    release = nbformat.read(student_lab.root_dir / RELEASE_PATH, as_version=4)
    source = nbformat.read(course_root / "source" / RELEASE_PATH, as_version=4)
    nbformat.write(PRIMARY.build({"base": "answer_key"}, release, source),
                   student_lab.root_dir / ANSWER_KEY_PATH)
    return ANSWER_KEY_PATH


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_student_workspace_is_the_release(student_lab, course_root):
    copied = student_lab.root_dir / RELEASE_PATH
    assert copied.is_file(), f"the student view did not copy release/ into {student_lab.root_dir}"
    assert copied.read_bytes() == (course_root / "release" / RELEASE_PATH).read_bytes(), (
        "the student's copy differs from release/")


def test_student_view_has_no_instructor_tools(student_lab, page, screenshot):
    lab = Lab(page, student_lab)
    lab.open()
    plugins, commands = lab.active_plugins(), lab.commands()
    student_plugins = {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"}
    assert student_plugins <= plugins, (
        f"the student view must keep the assignment list and Validate; active: {sorted(plugins)}")
    assert not plugins & set(INSTRUCTOR_PLUGINS), (
        f"instructor plugins in the student view: {sorted(plugins & set(INSTRUCTOR_PLUGINS))}")
    assert not commands & set(INSTRUCTOR_COMMANDS), (
        f"instructor commands in the student view: {sorted(commands & set(INSTRUCTOR_COMMANDS))}")
    menu = lab.nbgrader_menu()
    screenshot(page, "student_nbgrader_menu")
    assert menu == ["Assignment List"], f"the student's Nbgrader menu shows {menu}"
    status, _ = student_lab.get("formgrader")
    assert status == 404, f"/formgrader answered {status} in the student view (expected 404)"


def test_widgets_render_and_redraw_when_a_control_changes(student_lab, answer_key, page,
                                                          screenshot):
    lab = Lab(page, student_lab)
    lab.open_notebook(answer_key)
    assert lab.run_all() is True, "a cell of the completed notebook raised when run in JupyterLab"

    activation = lab.code_cell(answer_key, "ActivationExplorer({")
    softmax = lab.code_cell(answer_key, "SoftmaxExplorer(softmax")
    images = {}
    for name, cell in (("activation", activation), ("softmax", softmax)):
        image = cell.locator(".jp-OutputArea-output .widget-image")
        page.wait_for_function("(img) => img.src.startsWith('blob:') && img.naturalWidth > 100",
                               arg=image.element_handle(timeout=TIMEOUT_MS), timeout=TIMEOUT_MS)
        images[name] = image
        screenshot(cell, f"{name}_explorer_rendered")
    screenshot(page, "student_notebook_after_run_all")

    # Activation explorer: another function in the dropdown, then the alpha slider.
    image = images["activation"]
    before = image.get_attribute("src"), lab.image_digest(image)
    activation.locator(".widget-dropdown select").select_option("leaky_relu")
    wait_for_redraw(image, before[0])
    after_dropdown = image.get_attribute("src"), lab.image_digest(image)
    assert after_dropdown[1] != before[1], "choosing leaky_relu did not change the picture"

    alpha = activation.locator(".widget-slider").filter(has_text="alpha")
    assert alpha.locator(".widget-readout").text_content().strip() == "0.10", (
        "the alpha slider should start at 0.10")
    alpha.locator(".noUi-handle").press("End")  # one change: alpha to its maximum, 2
    wait_for_redraw(image, after_dropdown[0])
    readout = alpha.locator(".widget-readout").text_content().strip()
    assert readout == "2.00", f"the alpha slider should be at its maximum 2.00, reads {readout}"
    assert lab.image_digest(image) != after_dropdown[1], (
        f"moving alpha to {readout} did not change the picture")
    screenshot(activation, "activation_explorer_after_alpha_slider")

    # Softmax explorer: the temperature slider.
    image = images["softmax"]
    before = image.get_attribute("src"), lab.image_digest(image)
    temperature = softmax.locator(".widget-slider").filter(has_text="temperature")
    temperature.locator(".noUi-handle").press("End")  # one change: T = 10, nearly uniform
    wait_for_redraw(image, before[0])
    readout = temperature.locator(".widget-readout").text_content().strip()
    assert readout == "10.0", f"the temperature slider should be at its maximum 10, reads {readout}"
    assert lab.image_digest(image) != before[1], (
        f"moving the temperature to {readout} did not change the bar chart")
    screenshot(softmax, "softmax_explorer_after_temperature_slider")


def test_validate_passes_the_completed_notebook(student_lab, answer_key, page, screenshot):
    lab = Lab(page, student_lab)
    lab.open_notebook(answer_key)
    kind, text = lab.validate()
    screenshot(page, "validate_completed_notebook")
    assert kind == "validation-success" and "passes all the tests" in text, (
        f"Validate on the answer key said {kind}: {text[:500]}")


def test_validate_reports_the_failing_tests_of_the_release(student_lab, page, screenshot):
    lab = Lab(page, student_lab)
    lab.open_notebook(RELEASE_PATH)
    kind, text = lab.validate()
    screenshot(page, "validate_release")
    assert kind == "validation-failed", (
        f"Validate on the untouched release said {kind}: {text[:500]}")
    assert "The following cell failed" in text and "NotImplementedError" in text, (
        f"the verdict should show a failing test cell and its error:\n{text[:1000]}")
    assert "# Public test: sigmoid on small inputs" in text, (
        f"the first failing test of the release is sigmoid's:\n{text[:1000]}")


def test_instructor_view_has_formgrader_and_create_assignment(instructor_lab, page, screenshot):
    lab = Lab(page, instructor_lab)
    lab.open()
    plugins, commands = lab.active_plugins(), lab.commands()
    assert set(INSTRUCTOR_PLUGINS) <= plugins, (
        f"instructor plugins missing: {sorted(set(INSTRUCTOR_PLUGINS) - plugins)}")
    assert set(INSTRUCTOR_COMMANDS) <= commands, (
        f"instructor commands missing: {sorted(set(INSTRUCTOR_COMMANDS) - commands)}")
    menu = lab.nbgrader_menu()
    screenshot(page, "instructor_nbgrader_menu")
    assert "Formgrader" in menu, f"the instructor's Nbgrader menu shows {menu}"


def test_formgrader_lists_the_assignment_ready_to_release(instructor_lab, page, screenshot):
    page.goto(f"{instructor_lab.url}/formgrader?token={instructor_lab.token}")
    row = page.locator("tr", has_text=ASSIGNMENT)
    row.first.wait_for(timeout=TIMEOUT_MS)
    screenshot(page, "instructor_formgrader")
    assert row.count() == 1, f"formgrader lists {ASSIGNMENT} {row.count()} times"
    assert row.locator(".status").inner_text().strip() == "draft", (
        f"a generated, unreleased assignment should be a draft: {row.inner_text()}")
    assert page.locator("#warning-exchange").count() == 0, (
        "formgrader says the exchange is missing: the instructor view should create it")
    assert row.locator(".release .glyphicon-cloud-upload").count() == 1, (
        f"formgrader offers no Release button for {ASSIGNMENT}")
