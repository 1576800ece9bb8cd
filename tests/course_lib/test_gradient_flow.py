"""The gradient-flow explorer [E4-E6]: its controls, the student's functions called (and their
errors shown), and the physics it shows checked against a forward and backward pass written here.

Nothing is timed: ``benchmarks/bench_widgets.py`` does that.
"""
import ipywidgets as widgets
import numpy as np
import pytest

from course_lib import init as course_init
from course_lib import vanishing
from course_lib.widgets import Explorer, GradientFlowExplorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CONTROLS = {  # name -> (widget class, default value)
    "depth": (widgets.IntSlider, 10),
    "width": (widgets.IntSlider, 100),
    "activation": (widgets.Dropdown, "sigmoid"),
    "init": (widgets.Dropdown, "normal"),
    "weight_scale": (widgets.FloatLogSlider, 1.0),
    "seed": (widgets.BoundedIntText, 0),
}

PHI = {  # (φ, φ') written here, not taken from course_lib
    "sigmoid": (lambda s: 0.5 * (1 + np.tanh(s / 2)),
                lambda s: 0.25 * (1 - np.tanh(s / 2) ** 2)),
    "tanh": (np.tanh, lambda s: 1 - np.tanh(s) ** 2),
    "relu": (lambda s: np.maximum(s, 0.0), lambda s: (s > 0).astype(float)),
}


def reference_stack(depth, width, activation, init, seed, scale=1.0, n=64):
    """Forward and backward pass of layer_gradient_norms's stack, in its documented draw order
    (weights, biases, inputs, G); the weights' standard deviations are written here."""
    rng = np.random.default_rng(seed)
    std = {"normal": 1.0, "xavier": np.sqrt(2 / (2 * width)), "he": np.sqrt(2 / width)}[init]
    Ws = [scale * rng.normal(0.0, std, size=(width, width)) for _ in range(depth)]
    bs = [rng.normal(0.0, 1.0, size=width) if init == "normal" else np.zeros(width)
          for _ in range(depth)]
    X, G = rng.standard_normal((n, width)), rng.standard_normal((n, width))
    phi, dphi = PHI[activation]
    xs, ss = [X], []
    for W, b in zip(Ws, bs):
        ss.append(xs[-1] @ W + b)
        xs.append(phi(ss[-1]))
    norms, dout = np.zeros(depth), G
    for l in reversed(range(depth)):
        delta = dout * dphi(ss[l])
        norms[l] = np.linalg.norm(xs[l].T @ delta)
        dout = delta @ Ws[l].T
    return norms, xs[1:], ss


def explorer(**settings):
    return GradientFlowExplorer(**settings)


# ---------------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------------
def test_the_controls_are_named_attributes_with_their_defaults():
    e = explorer()
    assert isinstance(e, Explorer), "the explorer is an Explorer of course_lib.widgets"
    assert set(e.controls) == set(CONTROLS), sorted(e.controls)
    for name, (kind, default) in CONTROLS.items():
        control = getattr(e, name)
        assert control is e.controls[name], f"control {name!r} must be the attribute {name}"
        assert isinstance(control, kind), f"{name} is a {type(control).__name__}, not {kind}"
        assert control.value == pytest.approx(default), f"{name} starts at {control.value!r}"
    assert list(e.activation.options) == ["sigmoid", "tanh", "relu"], e.activation.options
    assert list(e.init.options) == ["normal", "xavier", "he"], e.init.options
    assert bytes(e.image.value).startswith(PNG_SIGNATURE), "the explorer must show a PNG"
    assert e.error is None, e.error


def test_setting_a_control_updates_the_results_and_the_picture():
    e = explorer()
    before = e.image.value
    e.depth.value = 4
    assert e.norms.shape == (4,) and e.histograms.shape == (4, e.bin_edges.size - 1), (
        e.norms.shape, e.histograms.shape)
    assert len(e.layer_outputs) == 4 and e.layer_outputs[0].shape == (64, 100)
    assert e.image.value != before, "a new depth must redraw the picture"


# ---------------------------------------------------------------------------------------------
# The student's functions
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation, init", [("sigmoid", "normal"), ("tanh", "xavier"),
                                              ("relu", "he")])
def test_the_bars_are_layer_gradient_norms_for_the_same_settings_and_seed(activation, init):
    e = explorer(depth=6, width=50, activation=activation, init=init, seed=3)
    expected = vanishing.layer_gradient_norms(6, 50, activation, init,
                                              np.random.default_rng(3), num_samples=64)
    assert e.norms_source == "layer_gradient_norms", e.norms_source
    np.testing.assert_allclose(e.norms, expected, rtol=1e-12,
                               err_msg="the bars must be course_lib's layer_gradient_norms")
    e.seed.value = 4
    expected = vanishing.layer_gradient_norms(6, 50, activation, init, np.random.default_rng(4))
    np.testing.assert_allclose(e.norms, expected, rtol=1e-12, err_msg="a new seed, new bars")


def test_the_students_functions_are_the_ones_called():
    calls = {"norms": [], "init": []}

    def my_norms(depth, width, activation, init, rng, num_samples=64):
        calls["norms"].append((depth, width, activation, init, num_samples))
        return np.arange(1.0, depth + 1)

    def my_init(init, fan_in, fan_out, rng):
        calls["init"].append((init, fan_in, fan_out))
        return np.full((fan_in, fan_out), 0.01)

    e = GradientFlowExplorer(my_norms, my_init, depth=3, width=20)
    assert calls["norms"] == [(3, 20, "sigmoid", "normal", 64)], calls["norms"]
    assert calls["init"] == [("normal", 20, 20)] * 3, calls["init"]
    np.testing.assert_array_equal(e.norms, [1.0, 2.0, 3.0], err_msg="the bars are theirs")
    # the activations are of the stack built from the student's weights (all 0.01, no draws:
    # the biases come first from the seed's stream, then the inputs)
    rng = np.random.default_rng(0)
    b1 = rng.normal(0.0, 1.0, size=20)
    rng.normal(0.0, 1.0, size=(2, 20))  # the biases of layers 2 and 3
    X = rng.standard_normal((64, 20))
    np.testing.assert_allclose(e.layer_outputs[0], PHI["sigmoid"][0](X @ np.full((20, 20), 0.01)
                                                                     + b1), rtol=1e-12,
                               err_msg="layer 1 must be σ(X W + b) with the student's W")
    e.activation.value = "tanh"
    assert calls["norms"][-1] == (3, 20, "tanh", "normal", 64), calls["norms"]


def test_the_histograms_are_of_the_stack_built_with_the_students_init_weight():
    def my_init(init, fan_in, fan_out, rng):
        return np.zeros((fan_in, fan_out))  # no draw: each layer's output is φ(b)

    e = GradientFlowExplorer(init_weight=my_init, depth=3, width=20, activation="tanh")
    rng = np.random.default_rng(0)  # no weight draws: the biases come first
    for layer in range(3):
        b = rng.normal(0.0, 1.0, size=20)
        np.testing.assert_allclose(e.layer_outputs[layer], np.tile(np.tanh(b), (64, 1)),
                                   err_msg=f"layer {layer + 1} must be tanh(b) for W = 0")


def test_away_from_scale_1_the_bars_are_the_backprop_of_the_scaled_stack():
    e = explorer(depth=8, width=60, activation="tanh", init="xavier", seed=2)
    e.weight_scale.value = 0.5
    expected, outputs, _ = reference_stack(8, 60, "tanh", "xavier", 2, scale=0.5)
    assert e.norms_source == "explorer", e.norms_source
    np.testing.assert_allclose(e.norms, expected, rtol=1e-9,
                               err_msg="the bars must be ‖∂L/∂W‖ of the scaled stack")
    np.testing.assert_allclose(e.layer_outputs[-1], outputs[-1], rtol=1e-9, atol=1e-12)


def failing(kind):
    """A student's layer_gradient_norms that fails (raises, wrong shape, NaN) at depth 5."""
    def norms(depth, width, activation, init, rng, num_samples=64):
        if depth == 5:
            if kind == "raises":
                raise RuntimeError("not written yet")
            if kind == "shape":
                return np.ones(depth + 1)
            return np.full(depth, np.nan)
        return vanishing.layer_gradient_norms(depth, width, activation, init, rng, num_samples)
    return norms


@pytest.mark.parametrize("kind, words", [("raises", "raised RuntimeError: not written yet"),
                                         ("shape", "shape (6,); expected shape (5,)"),
                                         ("nan", "negative or NaN")])
def test_a_failing_layer_gradient_norms_shows_its_error_and_no_stale_result(kind, words):
    e = GradientFlowExplorer(failing(kind), depth=4, width=20)
    assert e.error is None and e.norms is not None, e.error
    e.depth.value = 5
    assert e.error is not None and "layer_gradient_norms" in e.error and words in e.error, (
        e.error)
    for name in ("norms", "norms_source", "layer_outputs", "histograms", "dead_fraction",
                 "saturated_fraction", "activation_std"):
        assert getattr(e, name) is None, f"{name} must be None after an error, not stale"
    assert e._message.get_visible() and not e.bar_ax.get_visible(), "the figure shows the error"
    e.depth.value = 6
    assert e.error is None and e.norms.shape == (6,), "it recovers on the next good setting"


def test_an_init_weight_that_raises_or_returns_the_wrong_shape_shows_its_error():
    def wrong_shape(init, fan_in, fan_out, rng):
        return np.ones((fan_out, fan_in + 1))

    def raises(init, fan_in, fan_out, rng):
        raise ValueError(f"unknown init {init!r}")

    e = GradientFlowExplorer(init_weight=wrong_shape, depth=3, width=20)
    assert "init_weight" in e.error and "expected shape (20, 20)" in e.error, e.error
    assert e.norms is None and e.histograms is None
    e = GradientFlowExplorer(init_weight=raises, depth=3, width=20)
    assert "your init_weight raised ValueError: unknown init 'normal'" in e.error, e.error


# ---------------------------------------------------------------------------------------------
# The physics shown, against the computation of this file
# ---------------------------------------------------------------------------------------------
def test_sigmoid_with_small_weights_vanishes_toward_the_input():
    """[E2] |σ'| ≤ 1/4: with Xavier's std 0.1 at width 100 (‖W‖₂ ≈ 2) each layer multiplies the
    backward signal by at most about 1/2, so nine layers shrink it by far more than 100."""
    e = explorer(activation="sigmoid", init="xavier")
    expected, _, _ = reference_stack(10, 100, "sigmoid", "xavier", 0)
    np.testing.assert_allclose(e.norms, expected, rtol=1e-9)
    assert e.norms[0] < 1e-2 * e.norms[-1], f"sigmoid + Xavier must vanish: {e.norms}"
    assert np.all(np.diff(e.norms) > 0), f"the norms must grow toward the output: {e.norms}"


def test_sigmoid_with_normal_weights_saturates_but_the_large_weights_balance_it():
    """[E4], [E6] N(0, 1) at width 100: pre-activations of std ≈ 6 saturate most units, yet
    ‖W‖ ≈ 10 times an average σ' of about 0.1 keeps each layer's factor near 1."""
    e = explorer(activation="sigmoid", init="normal")
    expected, _, ss = reference_stack(10, 100, "sigmoid", "normal", 0)
    np.testing.assert_allclose(e.norms, expected, rtol=1e-9)
    saturated = np.array([np.mean(PHI["sigmoid"][1](s) < 0.05) for s in ss])
    np.testing.assert_allclose(e.saturated_fraction, saturated, atol=1e-12)
    assert np.all(saturated > 0.5), f"most sigmoid units saturate under N(0, 1): {saturated}"
    assert 0.2 < e.norms[0] / e.norms[-1] < 5, f"no vanishing at width 100: {e.norms}"


def test_tanh_with_normal_weights_explodes_toward_the_input():
    """[E4] N(0, 1) at width 100: tanh' of the saturated units is small, but ‖W‖ ≈ 10 wins."""
    e = explorer(activation="tanh", init="normal")
    expected, _, _ = reference_stack(10, 100, "tanh", "normal", 0)
    np.testing.assert_allclose(e.norms, expected, rtol=1e-9)
    assert e.norms[0] > 100 * e.norms[-1], f"tanh + N(0, 1) must explode: {e.norms}"


def test_relu_with_he_stays_level_and_zeroes_half_of_its_inputs():
    """[E5], [E6] He's std sqrt(2/width) keeps ReLU's signal at one size; given the previous
    layer, each pre-activation is symmetric about 0 (zero bias, symmetric weights), so about
    half of the activations are exactly 0."""
    e = explorer(activation="relu", init="he")
    expected, outputs, _ = reference_stack(10, 100, "relu", "he", 0)
    np.testing.assert_allclose(e.norms, expected, rtol=1e-9)
    assert e.norms.max() < 3 * e.norms.min(), f"ReLU + He must stay level: {e.norms}"
    zeros = np.array([np.mean(a == 0) for a in outputs])
    assert np.all(np.abs(zeros - 0.5) < 0.2), f"about half of ReLU's outputs are 0: {zeros}"
    np.testing.assert_allclose(e.histograms[:, 0], zeros + np.array(
        [np.mean((a > 0) & (a < 0.1)) for a in outputs]), atol=1e-12,
        err_msg="the first bin [0, 0.1) holds the zeros and the small values")


def test_dead_units_are_those_whose_input_is_negative_for_every_sample():
    """[E5] A ReLU unit is dead when φ'(s) = 0 for all samples. In layer 1 of He's stack the
    inputs are standard normal and s is symmetric: a unit is dead with probability 2^-64, so no
    unit is. Sigmoid's φ' is never 0 for these inputs, so it has no dead unit at all."""
    e = explorer(activation="relu", init="normal", seed=1)
    _, _, ss = reference_stack(10, 100, "relu", "normal", 1)
    dead = np.array([np.mean(np.all(s <= 0, axis=0)) for s in ss])
    np.testing.assert_allclose(e.dead_fraction, dead, atol=1e-12)
    assert dead.max() > 0, "N(0, 1) biases kill some units of a deep ReLU stack"
    e.init.value = "he"
    assert e.dead_fraction[0] == 0, f"no dead unit in layer 1: {e.dead_fraction}"
    e.activation.value = "sigmoid"
    np.testing.assert_array_equal(e.dead_fraction, np.zeros(10))


def test_the_histograms_count_every_activation_once():
    e = explorer(activation="tanh", depth=5, width=30)
    _, outputs, _ = reference_stack(5, 30, "tanh", "normal", 0)
    np.testing.assert_allclose(e.histograms.sum(axis=1), np.ones(5), atol=1e-12)
    np.testing.assert_allclose(e.bin_edges[[0, -1]], [-1.0, 1.0])
    for layer, a in enumerate(outputs):
        counts, _ = np.histogram(a, bins=e.bin_edges)
        np.testing.assert_allclose(e.histograms[layer], counts / a.size, atol=1e-12,
                                   err_msg=f"layer {layer + 1}'s histogram")
        assert e.activation_std[layer] == pytest.approx(a.std(), rel=1e-9)


# ---------------------------------------------------------------------------------------------
# Invalid settings
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("setting, value", [("depth", 0), ("depth", 31), ("width", 5),
                                            ("width", 10.5), ("activation", "softmax"),
                                            ("init", "uniform"), ("weight_scale", 0.0),
                                            ("weight_scale", 100.0), ("seed", -1),
                                            ("num_samples", 0)])
def test_an_invalid_setting_raises_a_value_error_naming_it(setting, value):
    with pytest.raises(ValueError, match=setting):
        GradientFlowExplorer(**{setting: value})


def test_functions_that_are_not_callable_raise_a_type_error_naming_them():
    with pytest.raises(TypeError, match="layer_gradient_norms"):
        GradientFlowExplorer("layer_gradient_norms")
    with pytest.raises(TypeError, match="init_weight"):
        GradientFlowExplorer(init_weight=course_init.he_init(2, 2, np.random.default_rng(0)))
