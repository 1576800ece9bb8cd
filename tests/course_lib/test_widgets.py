"""The explorers build, and setting their controls from code updates what they show."""
import numpy as np
import pytest

from course_lib.widgets import (SATURATION_THRESHOLD, ActivationExplorer, SoftmaxExplorer,
                                plot_activation, plot_softmax)

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
    assert explorer.error == "TypeError: not yet"
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
    assert explorer.error.startswith("ZeroDivisionError") and explorer.probabilities is None


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="logits must be a vector"):
        SoftmaxExplorer(logits=[1.0])
    with pytest.raises(ValueError, match="temperature must be positive"):
        plot_softmax([1.0, 2.0], temperature=0.0)
    with pytest.raises(ValueError, match="x_range"):
        plot_activation(np.tanh, np.tanh, x_range=(1.0, -1.0))
