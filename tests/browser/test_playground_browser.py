"""The playground explorer in a real browser: play trains in the kernel and the picture moves.

Two notebooks are written into the workspace of the student view and run in JupyterLab: one with
the setup imports and ``PlaygroundExplorer(affine_forward, affine_backward)`` on course_lib's
layers, and one with assignment 03's own cells as released (its setup cell, the dense layer that
the student has not written yet, and the playground cell, which then trains with course_lib's
layers and says so). In each, the playground's play button is pressed. Its ``ipywidgets.Play`` timer runs in
the browser; each tick reaches the kernel, which trains and redraws. The test waits until the
displayed training loss, the PNG and the decision boundary's part of it have changed, then
pauses and checks that training stops.
"""
from __future__ import annotations

import nbformat
import pytest

from .conftest import jupyter_environment, lab_server
from .test_lab_browser import TIMEOUT_MS, Lab

pytestmark = pytest.mark.slow

NOTEBOOK = "playground_check.ipynb"
RELEASE = "03_networks_from_scratch/networks_from_scratch.ipynb"
RELEASED_NOTEBOOK = "playground_as_released.ipynb"
SETUP = ("from course_lib.layers import affine_forward, affine_backward\n"
         "from course_lib.widgets import PlaygroundExplorer")
WIDGET = "PlaygroundExplorer(affine_forward, affine_backward)"
# Play runs until the status shows this epoch: several ticks of three epochs, a few seconds.
EPOCHS_PLAYED = 15
PLAY_TIMEOUT_MS = 30_000

# In the browser: a checksum of the pixels of a rectangle of an <img>, given as fractions of its
# width and height (the playground's decision boundary is the middle panel of the figure).
_REGION_CHECKSUM = """(img, [left, top, right, bottom]) => {
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const x = Math.round(left * img.naturalWidth), y = Math.round(top * img.naturalHeight);
    const w = Math.round((right - left) * img.naturalWidth);
    const h = Math.round((bottom - top) * img.naturalHeight);
    const data = context.getImageData(x, y, w, h).data;
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum * 31 + data[i]) % 1000000007;
    return sum;
}"""
# The output panel in fractions of the picture from its top left corner, a little inside it
# (PlaygroundExplorer.build gives its axes x 0.485-0.755 of the figure; with aspect 1 they
# span about 0.15-0.85 of the height).
BOUNDARY = (0.50, 0.17, 0.74, 0.83)


@pytest.fixture(scope="module")
def playground_lab(browser, tmp_path_factory, course_root):
    """The student view, with two playground notebooks written into its workspace: the setup
    and widget cells on course_lib's layers, and assignment 03's own cells as released (its
    setup cell, the dense layer still to be written, and the playground cell).

    Asks for the browser first, so that without one no server is started.
    """
    folder = tmp_path_factory.mktemp("playground-lab")
    workspace = folder / "work"
    env = dict(jupyter_environment(folder), COURSE_WORKSPACE=str(workspace))
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    released = nbformat.read(course_root / "release" / RELEASE, as_version=4)
    setup = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    layer = [c for c in released.cells
             if c.metadata.get("nbgrader", {}).get("grade_id") in ("affine_forward", "affine_backward")]
    widget = [c for c in released.cells if c.cell_type == "code" and c.source.strip() == WIDGET]
    assert len(setup) == 1 and len(layer) == 2 and len(widget) == 1, (
        f"{RELEASE} should have a setup cell, the dense layer's two cells and the cell {WIDGET}")
    with lab_server([], workspace, folder, env) as server:
        for name, cells in ((NOTEBOOK, [nbformat.v4.new_code_cell(SETUP),
                                        nbformat.v4.new_code_cell(WIDGET)]),
                            (RELEASED_NOTEBOOK, setup + layer + widget)):
            notebook = nbformat.v4.new_notebook()
            notebook.cells = cells
            notebook.metadata["kernelspec"] = kernelspec
            nbformat.write(notebook, server.root_dir / name)
        yield server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("notebook", [NOTEBOOK, RELEASED_NOTEBOOK])
def test_play_trains_in_the_kernel_and_the_loss_and_boundary_change(playground_lab, page,
                                                                    screenshot, notebook):
    """On course_lib's layers the playground uses them; in the released assignment, whose dense
    layer is not written yet, it trains with course_lib's and its note says so."""
    lab = Lab(page, playground_lab)
    lab.open_notebook(notebook)
    assert lab.run_all() is True, "a cell of the playground notebook raised in JupyterLab"

    cell = lab.code_cell(notebook, WIDGET)
    playground = cell.locator(".jp-OutputArea-output .course-playground")
    playground.wait_for(timeout=TIMEOUT_MS)
    image = playground.locator(".widget-image")
    page.wait_for_function("(img) => img.src.startsWith('blob:') && img.naturalWidth > 500",
                           arg=image.element_handle(timeout=TIMEOUT_MS), timeout=TIMEOUT_MS)
    # The status is an HTML widget: each redraw replaces its content, so it is read anew each
    # time, through its container.
    status = playground.locator(".course-playground-status")
    assert epoch_shown(status) == 0, f"a new playground shows {status.inner_text()}"
    note = playground.locator(".course-playground-note")
    if notebook == NOTEBOOK:
        assert note.is_hidden(), "course_lib's own layers pass the check: no fallback note may show"
        assert "your affine layers" in status.inner_text(), status.inner_text()
    else:
        assert note.is_visible(), "the release's layers are not written: the note must say so"
        assert "affine_forward" in note.inner_text(), note.inner_text()
    screenshot(playground, f"{notebook.removesuffix('.ipynb')}_before_play")

    before_src = image.get_attribute("src")
    before_loss = training_loss_shown(status)
    before_digest = lab.image_digest(image)
    before_boundary = boundary_checksum(image)

    play = playground.locator(".widget-play button").first  # play / pause
    play.click()
    page.wait_for_function(
        "([img, status, oldSrc, oldLoss]) => img.src !== oldSrc && img.src.startsWith('blob:')"
        " && status.querySelector('.course-playground-train-loss').textContent.trim()"
        " !== oldLoss",
        arg=[image.element_handle(), status.element_handle(), before_src, before_loss],
        timeout=PLAY_TIMEOUT_MS)
    # A few more frames, so that the boundary has visibly moved.
    page.wait_for_function(
        f"(status) => parseInt(status.querySelector('b').textContent.replace('epoch', ''))"
        f" >= {EPOCHS_PLAYED}", arg=status.element_handle(), timeout=PLAY_TIMEOUT_MS)
    play.click()  # pause
    page.wait_for_timeout(600)  # the frame in flight, if any, arrives
    paused_epoch = epoch_shown(status)
    after_loss = training_loss_shown(status)
    assert lab.image_digest(image) != before_digest, "playing did not change the picture"
    assert boundary_checksum(image) != before_boundary, (
        "playing did not change the decision boundary")
    assert float(after_loss) < float(before_loss), (
        f"the training loss should fall while playing: {before_loss} -> {after_loss}")
    screenshot(playground, f"{notebook.removesuffix('.ipynb')}_after_play")

    page.wait_for_timeout(1000)
    assert epoch_shown(status) == paused_epoch, (
        f"training went on after pause: epoch {paused_epoch} -> {epoch_shown(status)}")
    page.wait_for_function(
        "(path) => Array.from(window.jupyterapp.shell.widgets('main')).find("
        "w => w.context && w.context.path === path).sessionContext.session.kernel.status"
        " === 'idle'", arg=notebook, timeout=TIMEOUT_MS)


def epoch_shown(status) -> int:
    """The epoch that the playground's status line shows."""
    return int(status.locator("b").inner_text().replace("epoch", "").strip())


def training_loss_shown(status) -> str:
    """The training loss that the playground's status line shows, as text ("0.693")."""
    return status.locator(".course-playground-train-loss").inner_text().strip()


def boundary_checksum(image) -> int:
    """A checksum of the decision boundary's panel of the playground's picture."""
    return image.evaluate(_REGION_CHECKSUM, list(BOUNDARY))
