"""The explorers build, setting their controls from code updates what they show, and a
student's broken function (or Value class) is shown in the figure instead of raised."""
import ipywidgets as widgets
import numpy as np
import pytest

from course_lib import widgets as course_widgets
from course_lib.autodiff import Value
from course_lib.widgets import (SATURATION_THRESHOLD, ActivationExplorer, Explorer,
                                GraphExplorer, SoftmaxExplorer, plot_activation, plot_softmax)

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


class StudentValue:
    """What a student writes in assignment 02: the skeleton's __init__, micrograd's operators;
    no label, no checks. (``type(self)`` so that a test's subclass builds its own nodes.)"""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out


class UnfinishedMul(StudentValue):
    def __mul__(self, other):
        raise NotImplementedError("write __mul__")


EXPLORERS = {
    "activation": lambda: ActivationExplorer(),
    "softmax": lambda: SoftmaxExplorer(logits=[1.0, 2.0, 3.0]),
    "graph": lambda: GraphExplorer.notes_circuit(),
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
    "graph's __mul__ raises": (lambda: GraphExplorer.notes_circuit(UnfinishedMul),
                               "your Value class raised NotImplementedError: write __mul__"),
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


# ---------------------------------------------------------------------------------------------
# The computational-graph explorer [D1-D4]
# ---------------------------------------------------------------------------------------------
def assert_grads(explorer, expected, what):
    got = explorer.grads
    assert set(got) == set(expected), f"{what}: grads for {sorted(got)}, expected {sorted(expected)}"
    for name, value in expected.items():
        assert got[name] is not None, f"{what}: the grad of {name} is still '?'"
        assert got[name] == pytest.approx(value, abs=1e-4), (
            f"{what}: grad of {name} is {got[name]}, expected {value}")


def box_texts(explorer):
    """The text of each node's box, in the order of explorer.nodes."""
    return [text.get_text() for _, text in explorer._boxes[:len(explorer.nodes)]]


@pytest.mark.parametrize("value_class", [None, StudentValue], ids=["course Value", "student's"])
def test_the_notes_circuit_shows_its_data_and_after_run_all_its_gradients(value_class):
    explorer = GraphExplorer.notes_circuit(value_class)
    assert explorer.error is None, explorer.error
    assert explorer.root.data == pytest.approx(-12.0), "[D2] (x + y) z at -2, 5, -4 is -12"
    assert "data -12" in box_texts(explorer)[-1], box_texts(explorer)[-1]
    assert explorer.grads == {"x": None, "y": None, "z": None}, "no gradient before the first step"
    assert all(text.endswith("grad ?") for text in box_texts(explorer)), box_texts(explorer)
    explorer.run_all()
    assert_grads(explorer, {"x": -4.0, "y": -4.0, "z": 3.0}, "[D2] after run all")
    assert box_texts(explorer)[0] == "x\ndata -2\ngrad -4", box_texts(explorer)[0]
    assert explorer.local_grads == {(0, 2): 1.0, (1, 2): 1.0, (2, 4): -4.0, (3, 4): 3.0}, (
        "edges carry ∂(parent)/∂(child): 1 into +, z = -4 and x + y = 3 into *")
    assert explorer.step_button.disabled and explorer.run_all_button.disabled
    assert not explorer.reset_button.disabled


def test_stepping_passes_gradients_on_in_reverse_topological_order_one_node_per_step():
    explorer = GraphExplorer.sigmoid_neuron()
    nodes = explorer.nodes
    operations = [i for i in reversed(range(len(nodes))) if nodes[i]._prev]
    assert explorer.num_steps == 1 + len(operations) == 9, "seed + 8 gates of [D4]"
    explorer.run_all()
    final = list(explorer.shown_grads)
    explorer.reset()
    assert explorer.shown_grads == [None] * len(nodes) and explorer.highlighted is None
    explorer.step()
    assert explorer.highlighted == len(nodes) - 1, "step 1 seeds the output"
    assert explorer.shown_grads == [None] * (len(nodes) - 1) + [1.0], "only ∂f/∂f = 1 is known"
    shown = {len(nodes) - 1}
    for step, p in enumerate(operations, start=2):
        explorer.step()
        assert explorer.steps_done == step
        assert explorer.highlighted == p, (
            f"step {step} must pass on the gradient of node {p} ({nodes[p]._op}), "
            f"the next operation in reverse topological order; got {explorer.highlighted}")
        shown |= {nodes.index(child) for child in nodes[p]._prev}
        assert {i for i, g in enumerate(explorer.shown_grads) if g is not None} == shown, (
            f"after step {step} exactly the output and the inputs of the operations passed on "
            "so far must show a grad; the others '?'")
        for i in shown:
            assert explorer.shown_grads[i] == pytest.approx(final[i]), f"grad of node {i}"
    assert_grads(explorer, {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898,
                            "w2": 0.1966}, "[D4] after the last step")
    picture = explorer.image.value
    explorer.step()  # nothing left to do
    assert explorer.steps_done == explorer.num_steps and explorer.image.value == picture


def test_a_slider_rebuilds_the_graph_and_keeps_the_layout_and_the_step():
    explorer = GraphExplorer.notes_circuit()
    explorer.run_all()
    layout, boxes = explorer._layouts.copy(), [box.get_x() for box, _ in explorer._boxes]
    patches = list(explorer.ax.patches)
    picture = explorer.image.value
    explorer.x.value = 1.0
    assert explorer.image.value != picture, "moving the x slider must change the PNG"
    assert explorer.root.data == pytest.approx(-24.0), "(1 + 5)(-4)"
    assert_grads(explorer, {"x": -4.0, "y": -4.0, "z": 6.0}, "the pass stays complete")
    assert explorer._layouts == layout, "the same shape must reuse its layout"
    assert [box.get_x() for box, _ in explorer._boxes] == boxes
    assert list(explorer.ax.patches) == patches, "boxes and arrows are updated, not recreated"


def test_the_layout_is_computed_once_per_graph_shape(monkeypatch):
    calls = []
    layout = course_widgets._graph_layout
    monkeypatch.setattr(course_widgets, "_graph_layout",
                        lambda children: calls.append(1) or layout(children))
    explorer = GraphExplorer.sigmoid_neuron()
    for value in (0.5, 1.5, -2.5):
        explorer.w0.value = value
    explorer.step()
    explorer.run_all()
    assert len(calls) == 1, f"the layout was computed {len(calls)} times for one shape"


def test_the_layout_runs_inputs_left_to_output_right():
    explorer = GraphExplorer.notes_circuit()
    x, y = course_widgets._graph_layout([[], [], [0, 1], [], [2, 3]])
    np.testing.assert_array_equal(x, [0, 0, 1, 1, 2], err_msg="columns by depth")
    assert y[0] > y[1] and y[2] > y[3], "the first child of an operation is drawn on top"
    assert len(explorer.ax.patches) == 5 + 4, "one box per node, one arrow per edge"


def test_a_students_minimal_value_class_works_and_a_node_used_twice_sums_its_gradient():
    for value_class in (StudentValue, Value):
        explorer = GraphExplorer(lambda x: x * x, {"x": 3.0}, value_class)
        assert explorer.error is None, explorer.error
        assert explorer.local_grads == {(0, 1): pytest.approx(6.0)}, (
            "x * x: one arrow, ∂(x²)/∂x = 2x = 6 (both uses of x)")
        explorer.run_all()
        assert_grads(explorer, {"x": 6.0}, f"x * x with {value_class.__name__}")
        assert "(2 uses)" in explorer._edges[0][1].get_text()


def test_a_students_wrong_local_gradient_shows_in_the_picture():
    class ForgetsTheOtherFactor(StudentValue):
        def __mul__(self, other):
            out = ForgetsTheOtherFactor(self.data * other.data, (self, other), "*")

            def _backward():  # the bug: out.grad passed on as if * were +
                self.grad += out.grad
                other.grad += out.grad
            out._backward = _backward
            return out
    explorer = GraphExplorer.notes_circuit(ForgetsTheOtherFactor)
    explorer.run_all()
    assert explorer.local_grads[3, 4] == 1.0, "the arrow z -> * shows the student's 1, not 3"
    assert_grads(explorer, {"x": 1.0, "y": 1.0, "z": 1.0}, "the student's closures are used")


def test_a_value_class_without_an_operation_is_shown_not_raised():
    explorer = GraphExplorer.sigmoid_neuron(StudentValue)  # no __neg__, __truediv__ or exp
    message, axes_visible = shown_message(explorer)
    assert message and message.startswith("your Value class raised TypeError"), message
    assert not axes_visible and explorer.root is None and explorer.grads == {
        name: None for name in ("w0", "x0", "w1", "x1", "w2")}
    explorer.step()  # the buttons do nothing, and raise nothing
    assert explorer.step_button.disabled and explorer.steps_done == 0


def test_a_raising_backward_and_a_non_value_result_are_shown_not_raised():
    class BrokenBackward(StudentValue):
        def __add__(self, other):
            out = BrokenBackward(self.data + other.data, (self, other), "+")
            out._backward = lambda: 1 / 0
            return out
    explorer = GraphExplorer(lambda x, y: x + y, {"x": 1.0, "y": 2.0}, BrokenBackward)
    assert explorer.error.startswith("your _backward of the '+' node raised ZeroDivisionError"), (
        explorer.error)

    class ReturnsFloat(StudentValue):
        def __add__(self, other):
            return self.data + other.data
    explorer = GraphExplorer(lambda x, y: x + y, {"x": 1.0, "y": 2.0}, ReturnsFloat)
    assert explorer.error.startswith("your expression returned a float, not a Value"), (
        explorer.error)
