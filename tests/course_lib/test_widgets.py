"""The explorers build, setting their controls from code updates what they show, and a
student's broken function is shown in the figure instead of raised."""
import ipywidgets as widgets
import numpy as np
import pytest

from course_lib.widgets import (SATURATION_THRESHOLD, ActivationExplorer, Explorer,
                                SoftmaxExplorer, plot_activation, plot_softmax)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_activation_draws_f_and_its_derivative_with_saturation_shaded():
    fig = plot_activation(np.tanh, lambda x: 1 - np.tanh(x) ** 2, x_range=(-5, 5), name="tanh")
    ax_f, ax_g = fig.axes
    x, y = ax_f.lines[0].get_data()
    np.testing.assert_allclose(y, np.tanh(x), err_msg="left panel must show f(x)")
    x, dy = ax_g.lines[0].get_data()
    np.testing.assert_allclose(dy, 1 - np.tanh(x) ** 2, err_msg="right panel must show f'(x)")
    # tanh' < 0.05 for |x| > 2.29: one shaded band on each side, in both panels
    assert len(ax_f.patches) == 2 and len(ax_g.patches) == 2, "two saturated bands expected"


def test_plot_activation_shows_a_broken_function_in_the_title_instead_of_raising():
    def broken(x):
        raise ValueError("boom")
    fig = plot_activation(broken, broken)
    assert "ValueError: boom" in fig._suptitle.get_text()


def test_activation_explorer_redraws_when_the_function_changes():
    explorer = ActivationExplorer()
    first = explorer.image.value
    assert bytes(first).startswith(PNG_SIGNATURE), "the explorer must show a PNG"
    explorer.function.value = "relu"
    assert explorer.image.value != first, "choosing relu must redraw the picture"
    np.testing.assert_array_equal(explorer.y, np.maximum(explorer.x, 0.0))
    np.testing.assert_array_equal(explorer.saturated, explorer.x <= 0,
                                  err_msg="ReLU is flat (dead) exactly for x <= 0")


def test_alpha_slider_applies_to_leaky_relu_and_is_disabled_for_sigmoid():
    explorer = ActivationExplorer()
    explorer.function.value = "sigmoid"
    assert explorer.alpha.disabled, "sigmoid has no alpha"
    explorer.function.value = "leaky_relu"
    assert not explorer.alpha.disabled
    before = explorer.image.value
    explorer.alpha.value = 0.5
    assert explorer.image.value != before, "moving alpha must redraw"
    negative = explorer.x < 0
    np.testing.assert_allclose(explorer.y[negative], 0.5 * explorer.x[negative])


def test_x_range_slider_changes_the_plotted_interval():
    explorer = ActivationExplorer()
    explorer.x_range.value = (-2.0, 10.0)
    assert explorer.x[0] == pytest.approx(-2.0) and explorer.x[-1] == pytest.approx(10.0)
    s = 1 / (1 + np.exp(-explorer.x))
    np.testing.assert_array_equal(explorer.saturated, s * (1 - s) < SATURATION_THRESHOLD)


def test_activation_explorer_runs_student_functions_and_reports_their_errors():
    def bad_grad(x):
        raise TypeError("not yet")
    explorer = ActivationExplorer({"mine": (np.sin, bad_grad)})
    assert explorer.error == "your mine's derivative raised TypeError: not yet", explorer.error
    with pytest.raises(TypeError, match=r"functions\['x'\] must be a pair"):
        ActivationExplorer({"x": np.sin})


def test_softmax_explorer_follows_logits_temperature_and_label():
    explorer = SoftmaxExplorer(logits=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(explorer.probabilities, [0.0900306, 0.2447285, 0.6652410], atol=1e-7)
    assert explorer.loss == pytest.approx(-np.log(0.6652410), abs=1e-6)
    picture = explorer.image.value
    explorer.logits[0].value = 3.0
    z = np.array([3.0, 2.0, 3.0])
    np.testing.assert_allclose(explorer.probabilities, np.exp(z) / np.exp(z).sum())
    assert explorer.image.value != picture
    cold_entropy = -np.sum(explorer.probabilities * np.log(explorer.probabilities))
    explorer.temperature.value = 10.0
    hot_entropy = -np.sum(explorer.probabilities * np.log(explorer.probabilities))
    assert hot_entropy > cold_entropy, "a higher temperature must flatten the distribution"
    explorer.label.value = 1
    assert explorer.loss == pytest.approx(-np.log(explorer.probabilities[1]))


def test_softmax_explorer_shows_an_error_of_the_students_softmax():
    explorer = SoftmaxExplorer(softmax=lambda z: 1 / 0)
    assert explorer.error.startswith("your softmax raised ZeroDivisionError"), explorer.error
    assert explorer.probabilities is None and explorer.loss is None, "no stale results"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="logits must be a vector"):
        SoftmaxExplorer(logits=[1.0])
    with pytest.raises(ValueError, match="temperature must be positive"):
        plot_softmax([1.0, 2.0], temperature=0.0)
    with pytest.raises(ValueError, match="x_range"):
        plot_activation(np.tanh, np.tanh, x_range=(1.0, -1.0))


# ---------------------------------------------------------------------------------------------
# The Explorer base class: what every explorer gets from it
# ---------------------------------------------------------------------------------------------
def shown_message(explorer):
    """The error message the figure shows (wrapped lines joined), or None; and whether any axes
    are still visible."""
    texts = [t.get_text() for t in explorer.figure.texts if t.get_visible() and t.get_text()]
    message = next((" ".join(t.split()) for t in texts if t.startswith("your ")), None)
    return message, any(ax.get_visible() for ax in explorer.figure.axes)


def another_value(control):
    """A value of ``control`` different from its current one."""
    if isinstance(control, widgets.Dropdown):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(v for v in values if v != control.value)
    if isinstance(control, widgets.FloatRangeSlider):
        lo, hi = control.value
        return (lo + 1.0, hi) if lo + 1.0 < hi else (lo - 1.0, hi)
    if isinstance(control, widgets.FloatLogSlider):
        return control.base ** control.max if control.value != control.base ** control.max \
            else control.base ** control.min
    return control.max if control.value != control.max else control.min


class LineExplorer(Explorer):
    """The smallest explorer: a slider k, a line k * f(x)."""

    def __init__(self, f):
        self.f = f
        super().__init__({"k": widgets.FloatSlider(value=1.0, min=0.0, max=2.0)})

    def build(self, figure):
        self.x = np.linspace(0.0, 1.0, 11)
        self.ax = figure.subplots()
        (self.line,) = self.ax.plot(self.x, self.x)
        self.ax.set_ylim(-3, 3)

    def draw(self):
        self.line.set_ydata(self.k.value * self.call(self.f, self.x, name="f",
                                                     shape=self.x.shape))


EXPLORERS = {
    "activation": lambda: ActivationExplorer(),
    "softmax": lambda: SoftmaxExplorer(logits=[1.0, 2.0, 3.0]),
    "tiny subclass": lambda: LineExplorer(np.sin),
}
CONTROLS = [(kind, name) for kind, make in EXPLORERS.items() for name in make().controls]


@pytest.mark.parametrize("kind, name", CONTROLS, ids=[f"{k}-{n}" for k, n in CONTROLS])
def test_changing_any_control_redraws_the_png(kind, name):
    explorer = EXPLORERS[kind]()
    if kind == "activation":
        explorer.function.value = "leaky_relu"  # so that alpha matters
    control = explorer.controls[name]
    assert getattr(explorer, name) is control, f"control {name!r} must be the attribute {name}"
    before = explorer.image.value
    assert bytes(before).startswith(PNG_SIGNATURE), "the explorer must show a PNG"
    control.value = another_value(control)
    assert explorer.image.value != before, f"changing {name} of the {kind} explorer must redraw"
    assert explorer.error is None, f"the {kind} explorer reported {explorer.error!r}"


@pytest.mark.parametrize("kind", list(EXPLORERS))
def test_the_same_figure_and_artists_are_reused_across_updates(kind):
    explorer = EXPLORERS[kind]()
    figure, axes = explorer.figure, list(explorer.figure.axes)
    artists = [list(ax.lines) + list(ax.texts) for ax in axes]
    for name, control in explorer.controls.items():
        for _ in range(2):
            control.value = another_value(control)
    explorer.update()
    assert explorer.figure is figure, "update() must redraw the same Figure, not build one"
    assert list(figure.axes) == axes, "the axes must be kept, not rebuilt"
    assert [list(ax.lines) + list(ax.texts) for ax in axes] == artists, (
        "the lines and texts must be updated in place, not added again")


def test_the_tiny_subclass_plots_the_students_function():
    explorer = LineExplorer(np.cos)
    np.testing.assert_allclose(explorer.line.get_ydata(), np.cos(explorer.x),
                               err_msg="draw() must run once on construction")
    explorer.k.value = 2.0
    np.testing.assert_allclose(explorer.line.get_ydata(), 2 * np.cos(explorer.x),
                               err_msg="moving k must call draw() again")
    bundle = explorer._repr_mimebundle_()
    assert bundle == explorer.widget._repr_mimebundle_(), (
        "displaying the explorer must display its widget")
    assert explorer.image in explorer.widget.children, "the default layout must show the image"


def raises(x):
    raise ValueError("not implemented yet")


def wrong_shape(x):
    return np.zeros(3)


BROKEN = {
    "activation raises": (lambda: ActivationExplorer({"mine": (raises, np.cos)}),
                          "your mine raised ValueError: not implemented yet"),
    "activation wrong shape": (lambda: ActivationExplorer({"mine": (np.sin, wrong_shape)}),
                               "your mine's derivative returned an array of shape (3,); "
                               "expected shape (601,)"),
    "softmax raises": (lambda: SoftmaxExplorer(softmax=raises),
                       "your softmax raised ValueError: not implemented yet"),
    "softmax wrong shape": (lambda: SoftmaxExplorer(softmax=lambda z: z.sum(axis=1)),
                            "your softmax returned an array of shape (1,); "
                            "expected shape (1, 3)"),
    "softmax returns None": (lambda: SoftmaxExplorer(softmax=lambda z: None),
                             "your softmax returned an array of shape (); "
                             "expected shape (1, 3)"),
    "subclass raises": (lambda: LineExplorer(raises),
                        "your f raised ValueError: not implemented yet"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_student_function_is_shown_in_the_figure_not_raised(case):
    make, expected = BROKEN[case]
    explorer = make()  # must not raise
    assert explorer.error == expected, f"error: {explorer.error!r}\nexpected: {expected!r}"
    message, axes_visible = shown_message(explorer)
    assert message == expected, f"the figure shows {message!r} instead of {expected!r}"
    assert not axes_visible, "the empty axes must be hidden while the error is shown"
    assert bytes(explorer.image.value).startswith(PNG_SIGNATURE), "the error must be a PNG too"
    control = list(explorer.controls.values())[-1]  # a slider or a dropdown of several values
    control.value = another_value(control)  # a broken function does not break the controls
    assert explorer.error == expected


def test_the_plot_comes_back_when_the_student_function_is_fixed():
    broken = True

    def softmax(z):
        if broken:
            raise RuntimeError("fix me")
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    explorer = SoftmaxExplorer(softmax=softmax)
    assert shown_message(explorer) == ("your softmax raised RuntimeError: fix me", False)
    broken = False
    explorer.update()
    assert explorer.error is None and shown_message(explorer) == (None, True), (
        "after a successful update the message must go and the axes come back")
    np.testing.assert_allclose(explorer.probabilities.sum(), 1.0, err_msg="probabilities")


def test_plot_softmax_shows_a_broken_softmax_in_the_title_instead_of_raising():
    fig = plot_softmax([1.0, 2.0], softmax=raises)
    assert fig._suptitle.get_text() == "your softmax raised ValueError: not implemented yet"


def test_a_control_may_not_hide_an_attribute_of_the_explorer():
    class Clash(LineExplorer):
        def __init__(self):
            Explorer.__init__(self, {"update": widgets.FloatSlider()})
    with pytest.raises(ValueError, match="'update' is already an attribute"):
        Clash()
