"""The playground explorer [J1]: its controls, reproducible runs, real learning, the student's
dense layer (used when right, replaced and named when wrong) and backprop checked against
central differences of an objective written here independently.

Every explorer here draws 200 points (the playground draws 500) so that a test trains for a few
hundred milliseconds at most. Nothing is timed: ``benchmarks/bench_widgets.py`` does that.
"""
import io
import threading

import ipywidgets as widgets
import numpy as np
import pytest

from course_lib import layers
from course_lib.playground import (FEATURES, HIDDEN_ACTIVATIONS, check_affine_layers,
                                   input_features)
from course_lib.widgets import Explorer, PlaygroundExplorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
N = 200

CONTROLS = {  # name -> (widget class, default value)
    "dataset": (widgets.Dropdown, "circle"),
    "noise": (widgets.IntSlider, 0),
    "train_percent": (widgets.IntSlider, 50),
    "batch_size": (widgets.IntSlider, 10),
    "seed": (widgets.BoundedIntText, 0),
    **{f"feature_{name}": (widgets.ToggleButton, name in ("x1", "x2")) for name in FEATURES},
    "hidden_layers": (widgets.IntSlider, 2),
    **{f"neurons_{k}": (widgets.BoundedIntText, 4) for k in range(1, 7)},
    "activation": (widgets.Dropdown, "tanh"),
    **{f"activation_{k}": (widgets.Dropdown, "tanh") for k in range(1, 7)},
    "learning_rate": (widgets.Dropdown, 0.03),
    "regularization": (widgets.Dropdown, "none"),
    "regularization_rate": (widgets.Dropdown, 0.0),
    "play": (widgets.Play, 0),
}


def playground(affine_forward=layers.affine_forward, affine_backward=layers.affine_backward,
               **settings):
    return PlaygroundExplorer(affine_forward, affine_backward, num_points=N, **settings)


def another_value(control):
    """A value of ``control`` different from its current one (a new run or a new setting)."""
    if isinstance(control, widgets.Dropdown):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(v for v in values if v != control.value)
    if isinstance(control, widgets.ToggleButton):
        return not control.value
    return control.max if control.value != control.max else control.min


# ---------------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------------
def test_the_controls_are_named_ipywidgets_with_the_playgrounds_defaults():
    p = playground()
    assert isinstance(p, Explorer), "the playground is an Explorer of course_lib.widgets"
    assert set(p.controls) == set(CONTROLS), (
        f"controls missing: {sorted(set(CONTROLS) - set(p.controls))}, "
        f"unexpected: {sorted(set(p.controls) - set(CONTROLS))}")
    for name, (kind, default) in CONTROLS.items():
        control = getattr(p, name)
        assert control is p.controls[name], f"control {name!r} must be the attribute {name}"
        assert isinstance(control, kind), f"{name} is a {type(control).__name__}, not {kind}"
        assert control.value == default, f"{name} starts at {control.value!r}, not {default!r}"
    assert isinstance(p.step_button, widgets.Button) and isinstance(p.reset_button,
                                                                    widgets.Button)
    assert p.features == ("x1", "x2") and p.hidden == (4, 4), (p.features, p.hidden)
    assert p.layer_activations == ("tanh", "tanh") and p.task == "classification"
    assert bytes(p.image.value).startswith(PNG_SIGNATURE), "the explorer must show a PNG"
    assert p.epoch == 0 and p.history["train_loss"].shape == (1,), "epoch 0 is recorded"
    assert "epoch 0" in p.status.value and f"{p.train_loss:.3f}" in p.status.value, p.status.value


OPTIMIZER_CONTROLS = ("learning_rate", "batch_size", "regularization", "regularization_rate")


@pytest.mark.parametrize("name", sorted(set(CONTROLS) - {"play", *OPTIMIZER_CONTROLS}))
def test_changing_a_data_or_network_control_starts_a_new_run_and_redraws(name):
    p = playground()
    if name.startswith(("neurons_", "activation_")):
        p.hidden_layers.value = 6  # so that every layer's controls matter
    p.step(2)
    before = p.image.value
    control = p.controls[name]
    control.value = another_value(control)
    assert p.epoch == 0, f"changing {name} must start a new run"
    assert p.image.value != before, f"changing {name} must redraw"
    assert p.error is None, p.error


@pytest.mark.parametrize("name", OPTIMIZER_CONTROLS)
def test_an_optimizer_control_keeps_the_weights_and_changes_the_next_steps(name):
    # (a regularization rate matters with a penalty, a penalty with a rate above 0)
    penalty = {"regularization": {"regularization_rate": 0.01},
               "regularization_rate": {"regularization": "l2"}}.get(name, {})
    p, same = playground(**penalty), playground(**penalty)
    p.step(2)
    same.step(2)
    control = p.controls[name]
    control.value = another_value(control)
    assert p.epoch == 2, f"changing {name} must keep the run"
    np.testing.assert_array_equal(p.weights()[0][0], same.weights()[0][0])
    p.step(1)
    same.step(1)
    assert not np.allclose(p.weights()[0][0], same.weights()[0][0]), (
        f"{name} = {control.value!r} must change the next step")


def test_data_and_network_controls_restart_the_run_optimizer_controls_do_not():
    p = playground()
    p.step(5)
    trained = p.weights()
    p.learning_rate.value = 0.1
    p.batch_size.value = 20
    p.regularization.value = "l2"
    p.regularization_rate.value = 0.01
    assert p.epoch == 5, "learning rate, batch size and penalty must keep the run going"
    for (W, b), (W0, b0) in zip(p.weights(), trained):
        np.testing.assert_array_equal(W, W0, err_msg="the weights must be kept")
    p.step(2)
    assert p.epoch == 7
    p.feature_x1_x2.value = True
    assert p.epoch == 0 and p.features == ("x1", "x2", "x1_x2"), "a new feature: a new run"
    assert p.weights()[0][0].shape == (3, 4), "the first layer takes the three features"
    p.step(1)
    p.neurons_5.value = 2  # layer 5 does not exist: nothing to restart
    assert p.epoch == 1, "a control of a hidden-away layer changes nothing"
    p.dataset.value = "spiral"
    assert p.epoch == 0 and p.task == "classification"


def test_the_activation_menu_sets_every_layer_and_a_layer_can_differ():
    p = playground()
    p.activation.value = "relu"
    assert p.layer_activations == ("relu", "relu"), p.layer_activations
    p.activation_2.value = "sigmoid"
    assert p.layer_activations == ("relu", "sigmoid"), p.layer_activations
    p.hidden_layers.value = 3
    assert p.hidden == (4, 4, 4) and p.layer_activations == ("relu", "sigmoid", "relu")
    assert [W.shape for W, _ in p.weights()] == [(2, 4), (4, 4), (4, 4), (4, 1)]
    shown = [column.layout.display for column in p._layer_columns]
    assert shown == [None] * 3 + ["none"] * 3, f"only three layers' controls are shown: {shown}"


def test_the_last_input_feature_cannot_be_turned_off():
    p = playground()
    p.feature_x2.value = False
    p.feature_x1.value = False
    assert p.feature_x1.value and p.features == ("x1",), "one feature must stay on"
    assert "at least one input feature" in p.status.value, p.status.value


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------
def test_a_seed_reproduces_the_data_the_weights_and_the_run():
    a, b, other = playground(seed=7), playground(seed=7), playground(seed=8)
    for part in ("train_data", "test_data"):
        for got, want in zip(getattr(a, part), getattr(b, part)):
            np.testing.assert_array_equal(got, want, err_msg=f"seed 7 twice: {part} differ")
    assert not np.allclose(a.train_data[0][:10], other.train_data[0][:10]), "seed 8: new data"
    for (Wa, ba), (Wb, bb) in zip(a.weights(), b.weights()):
        np.testing.assert_array_equal(Wa, Wb, err_msg="seed 7 twice: initial weights differ")
    assert not np.allclose(a.weights()[0][0], other.weights()[0][0]), "seed 8: new weights"
    assert a.train_data[0].shape == (N // 2, 2) and a.test_data[0].shape == (N // 2, 2), (
        "50 % training data: half of the points")
    start = a.weights()
    a.step(10)
    b.step(4)
    b.step(6)
    np.testing.assert_array_equal(a.history["train_loss"], b.history["train_loss"],
                                  err_msg="the same seed must give the same loss curve")
    a.reset()
    assert a.epoch == 0
    for (W, _), (W0, _) in zip(a.weights(), start):
        np.testing.assert_array_equal(W, W0, err_msg="reset must start the same run again")


def test_the_train_percent_splits_the_points():
    p = playground(train_percent=80)
    assert p.train_data[0].shape == (160, 2) and p.test_data[0].shape == (40, 2)
    points = np.concatenate([p.train_data[0], p.test_data[0]])
    assert np.unique(points, axis=0).shape[0] == N, "training and test points are disjoint"


# ---------------------------------------------------------------------------------------------
# Learning
# ---------------------------------------------------------------------------------------------
def test_a_hidden_layer_learns_xor():
    p = playground(dataset="xor", hidden=(8,), learning_rate=0.1)
    start = p.train_loss
    # A network whose output is 0.5 everywhere has cross-entropy ln 2 = 0.693 (chance level);
    # the initial weights start near it.
    assert abs(start - np.log(2)) < 0.1, f"initial loss {start:.3f}, expected about ln 2"
    p.step(100)
    # Below 0.2 the geometric mean of the probability given to the right class exceeds
    # e^-0.2 = 0.82; with seeds 0-7 this network reaches 0.03-0.09 in 100 epochs.
    assert p.train_loss < 0.2, f"training loss {start:.3f} -> {p.train_loss:.3f} in 100 epochs"
    assert p.train_accuracy >= 0.95 and p.test_accuracy >= 0.9, (
        f"accuracy: training {p.train_accuracy}, test {p.test_accuracy}")
    assert np.all(np.diff(p.history["train_loss"][::10]) < 0.02), (
        "the loss curve must go down, with at most small bumps")


def test_without_hidden_layers_the_feature_x1_x2_makes_xor_learnable():
    product = playground(dataset="xor", hidden=(), features=("x1_x2",))
    plain = playground(dataset="xor", hidden=(), features=("x1", "x2"))
    product.step(60)
    plain.step(60)
    # With x1·x2 the classes are the two signs of the one feature: separable [A6].
    assert product.train_accuracy >= 0.97, f"x1·x2: training accuracy {product.train_accuracy}"
    # With x1, x2 the model is logistic regression, a straight boundary; a line leaves at least
    # one of XOR's four quadrants (a quarter of the points each) on the wrong side, so it gets
    # about 75 % at best (exactly 75 % on this training set).
    assert plain.train_accuracy <= 0.8, f"x1, x2: training accuracy {plain.train_accuracy}"
    assert product.test_accuracy - plain.test_accuracy >= 0.2, (
        f"test accuracy with x1·x2 {product.test_accuracy}, with x1, x2 {plain.test_accuracy}")


def test_the_regression_data_set_trains_with_a_linear_output_and_squared_error():
    p = playground(dataset="plane")
    assert p.task == "regression" and p.train_accuracy is None
    p.step(60)
    # The target (x1 + x2)/10 with x ~ U(-6, 6) has variance 2·12/100 = 0.24: predicting its
    # mean 0 costs 0.24. Below 0.024 the network explains over 90 % of it.
    assert p.train_loss < 0.024 and p.test_loss < 0.024, (p.train_loss, p.test_loss)
    X, y = p.test_data
    assert np.max(np.abs(p.predict(X) - y)) < 0.5, "the output is the value, not a probability"
    p.dataset.value = "multi_gauss"
    start = p.train_loss
    p.step(30)
    assert p.train_loss < 0.6 * start, f"multi_gauss: {start:.3f} -> {p.train_loss:.3f}"


def test_the_penalties_shrink_the_weights_and_l1_makes_some_vanish():
    runs = {penalty: playground(dataset="gauss", hidden=(4,), regularization=penalty,
                                regularization_rate=0.1) for penalty in ("none", "l1", "l2")}
    size, vanished = {}, {}
    for penalty, p in runs.items():
        p.step(40)
        size[penalty] = sum(np.abs(W).sum() for W, _ in p.weights())
        vanished[penalty] = sum(int((np.abs(W) < 0.05).sum()) for W, _ in p.weights())
        assert p.test_accuracy >= 0.95, f"{penalty}: the blobs stay separated"
    assert size["l1"] < 0.6 * size["none"] and size["l2"] < 0.6 * size["none"], (
        f"Σ|W| after 40 epochs with λ = 0.1: {size}")
    # L1 pulls with the constant λ·sign(w) [G1], L2 with 2λw, which fades near 0 [G2].
    assert vanished["l1"] >= 3 and vanished["l1"] > vanished["l2"], (
        f"weights below 0.05 in size: {vanished}")


def test_a_diverging_run_stops_and_says_so():
    p = playground(dataset="plane", hidden=(8, 8), activation="relu", learning_rate=10.0)
    p.play.playing = True
    p.step(20)
    assert p.diverged, f"lr 10 on squared error should blow up; losses {p.history['train_loss']}"
    assert not p.play.playing, "play must pause when training stops"
    assert "training stopped" in p.status.value, p.status.value
    assert all(np.all(np.isfinite(W)) for W, _ in p.weights()), "the last finite weights stay"
    epoch = p.epoch
    p.step(3)
    assert p.epoch == epoch, "a diverged run does not train on"
    p.learning_rate.value = 0.001  # from the last finite weights, with a smaller rate
    assert not p.diverged


# ---------------------------------------------------------------------------------------------
# The gradient, against central differences of an objective written here
# ---------------------------------------------------------------------------------------------
ACTIVATION_FUNCTIONS = {"tanh": np.tanh, "relu": lambda s: np.maximum(s, 0.0),
                        "sigmoid": lambda s: 1.0 / (1.0 + np.exp(-s)), "linear": lambda s: s}


def reference_objective(points, y, weights, acts, task, penalty, lam):
    """The playground's objective from its definition, in plain numpy [A3], [C1], [C2], [C6]."""
    x1, x2 = points[:, 0], points[:, 1]
    a = np.column_stack([x1, x2 * x2, np.sin(x1)])  # the features x1, x2², sin x1
    for (W, b), act in zip(weights[:-1], acts):
        a = ACTIVATION_FUNCTIONS[act](a @ W + b)
    z = (a @ weights[-1][0] + weights[-1][1])[:, 0]
    if task == "classification":  # -mean(y log σ(z) + (1 - y) log(1 - σ(z)))
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
    else:
        loss = np.mean((z - y) ** 2)
    size = {"none": lambda W: 0.0, "l1": lambda W: np.abs(W).sum(),
            "l2": lambda W: (W * W).sum()}[penalty]
    return loss + lam * sum(size(W) for W, _ in weights)


def central_differences(f, weights, h=1e-6):
    """(df/dW, df/db) per layer by central differences, each entry of each array in turn."""
    grads = []
    for pair in weights:
        numeric = []
        for array in pair:
            g = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                saved = array[index]
                array[index] = saved + h
                plus = f()
                array[index] = saved - h
                minus = f()
                array[index] = saved
                g[index] = (plus - minus) / (2 * h)
            numeric.append(g)
        grads.append(numeric)
    return grads


GRADIENT_CASES = {
    "tanh, relu, L1": dict(dataset="xor", hidden=(4, 3), activation=("tanh", "relu"),
                           regularization="l1", regularization_rate=0.1),
    "sigmoid, linear, L2": dict(dataset="spiral", hidden=(3, 4),
                                activation=("sigmoid", "linear"), regularization="l2",
                                regularization_rate=0.3),
    "regression, relu, L2": dict(dataset="multi_gauss", hidden=(5,), activation="relu",
                                 regularization="l2", regularization_rate=0.03),
    "no hidden layer": dict(dataset="circle", hidden=()),
}


@pytest.mark.parametrize("case", list(GRADIENT_CASES))
def test_backprop_agrees_with_central_differences(case):
    settings = GRADIENT_CASES[case]
    p = playground(features=("x1", "x2_squared", "sin_x1"), **settings)
    p.step(3)  # away from the initial weights (biases 0)
    points, y = p.train_data
    points, y = points[:30], y[:30]
    weights = p.weights()
    def objective():
        return reference_objective(points, y, weights, p.layer_activations, p.task,
                                   p.regularization.value, p.regularization_rate.value)

    value, grads = p.loss_and_grads(points, y, weights)
    assert value == pytest.approx(objective(), rel=1e-10), (
        "the widget's objective must be the data loss plus the penalty")
    numeric = central_differences(objective, weights)
    for k, ((dW, db), (nW, nb)) in enumerate(zip(grads, numeric)):
        for name, got, want in (("W", dW, nW), ("b", db, nb)):
            error = np.max(np.abs(got - want)) / max(1e-8, np.max(np.abs(want)))
            assert error < 1e-6, (f"{case}: d objective / d {name}{k + 1} differs from central "
                                  f"differences by {error:.2e} (relative)")


# ---------------------------------------------------------------------------------------------
# The student's dense layer
# ---------------------------------------------------------------------------------------------
def test_course_libs_layers_pass_the_check():
    assert check_affine_layers(layers.affine_forward, layers.affine_backward) is None


def test_the_students_correct_layers_are_used_and_train_like_course_libs():
    calls = {"forward": 0, "backward": 0}

    def affine_forward(x, W, b):  # written as a student might: einsum, another cache
        calls["forward"] += 1
        return np.einsum("nd,dm->nm", x, W) + b, (x, W)

    def affine_backward(dout, cache):
        calls["backward"] += 1
        x, W = cache
        return dout.dot(W.T), x.T.dot(dout), np.sum(dout, axis=0)

    student = playground(affine_forward, affine_backward, dataset="xor", seed=3)
    reference = playground(dataset="xor", seed=3)
    assert student.uses_student_layers and student.fallback_note is None
    assert student.note.layout.display == "none", "no note while the student's layers work"
    assert "your affine layers" in student.status.value, student.status.value
    before = dict(calls)
    student.step(20)
    reference.step(20)
    assert calls["forward"] > before["forward"] and calls["backward"] > before["backward"], (
        f"training must call the student's functions: {before} -> {calls}")
    np.testing.assert_allclose(student.history["train_loss"], reference.history["train_loss"],
                               rtol=1e-9, err_msg="same seed: the same loss curve")
    for (W, b), (W0, b0) in zip(student.weights(), reference.weights()):
        np.testing.assert_allclose(W, W0, rtol=1e-9, atol=1e-12, err_msg="the same weights")


def forward_ok(x, W, b):
    return x @ W + b, (x, W, b)


def backward_ok(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def raises(*args):
    raise NotImplementedError("write affine_forward")


BROKEN = {  # case -> (forward, backward, the function named, words of the reason)
    "dW = dout @ x": (forward_ok, lambda dout, c: (dout @ c[1].T, dout @ c[0], dout.sum(0)),
                      "affine_backward", "raised ValueError"),
    "dW transposed": (forward_ok, lambda dout, c: (dout @ c[1].T, dout.T @ c[0], dout.sum(0)),
                      "affine_backward", "dW of shape (2, 3); expected (3, 2)"),
    "db is the mean": (forward_ok, lambda dout, c: (dout @ c[1].T, c[0].T @ dout,
                                                    dout.mean(0)),
                       "affine_backward", "db is wrong"),
    "forward raises": (raises, backward_ok, "affine_forward",
                       "raised NotImplementedError: write affine_forward"),
    "forward forgets b": (lambda x, W, b: (x @ W, (x, W, b)), backward_ok, "affine_forward",
                          "differs from x W + b"),
    "forward returns no cache": (lambda x, W, b: x @ W + b, backward_ok, "affine_forward",
                                 "expected a pair (out, cache)"),
    "backward returns None": (forward_ok, lambda dout, c: None, "affine_backward",
                              "returned None"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_student_layers_are_replaced_and_the_note_names_the_function(case):
    forward, backward, function, reason = BROKEN[case]
    p = playground(forward, backward, seed=1)
    assert not p.uses_student_layers, f"{case}: the broken layers must not train"
    note = p.fallback_note
    assert note and f"Your {function}" in note and reason in note, f"{case}: note {note!r}"
    assert "course_lib" in note, "the note must say whose layers train instead"
    assert p.note.layout.display != "none" and function in p.note.value, "the note is shown"
    assert "course_lib's affine layers" in p.status.value, p.status.value
    p.step(5)
    reference = playground(seed=1)
    reference.step(5)
    np.testing.assert_array_equal(p.history["train_loss"], reference.history["train_loss"],
                                  err_msg="with course_lib's layers the run is course_lib's")


def test_a_student_layer_that_fails_only_while_training_is_replaced_then():
    def forward(x, W, b):  # right on the check's batch of 5, wrong for a batch of one
        if x.shape[0] == 1:
            raise IndexError("my loop starts at 1")
        return x @ W + b, (x, W, b)

    p = playground(forward, backward_ok, batch_size=1)
    assert p.uses_student_layers, "the check at construction passes"
    p.step(2)  # must not raise
    assert not p.uses_student_layers and p.epoch == 2, "training goes on with course_lib's"
    note = p.fallback_note
    assert "failed while training" in note and "IndexError: my loop starts at 1" in note, note
    assert "x of shape (1, 2)" in note, note

    def backward(dout, cache):  # db of the wrong shape for the one output unit
        dx, dW, db = backward_ok(dout, cache)
        return dx, dW, (db if db.shape[0] > 1 else float(db[0]))

    p = playground(forward_ok, backward)
    assert p.uses_student_layers
    p.step(1)
    assert not p.uses_student_layers and "returned db with shape ()" in p.fallback_note, (
        p.fallback_note)


# ---------------------------------------------------------------------------------------------
# Results, play, the figure
# ---------------------------------------------------------------------------------------------
def test_weights_have_the_shapes_of_the_chosen_layers_and_are_copies():
    p = playground(features=("x1", "x2", "x1_x2"), hidden=(5, 2, 7))
    shapes = [(W.shape, b.shape) for W, b in p.weights()]
    assert shapes == [((3, 5), (5,)), ((5, 2), (2,)), ((2, 7), (7,)), ((7, 1), (1,))], shapes
    p.weights()[0][0][:] = 99.0
    assert not np.any(p.weights()[0][0] == 99.0), "weights() must return copies"
    buffer = io.BytesIO()
    np.savez(buffer, *[array for pair in p.weights() for array in pair])
    buffer.seek(0)
    stored = np.load(buffer)
    np.testing.assert_array_equal(stored["arr_6"], p.weights()[3][0], err_msg="exportable")
    p.configure(hidden=())
    assert [(W.shape, b.shape) for W, b in p.weights()] == [((3, 1), (1,))]


def test_play_ticks_train_in_the_kernel_without_threads():
    p = playground()
    threads = threading.active_count()
    picture = p.image.value
    p.play.value += 1  # what the browser's timer does
    assert p.epoch == p.epochs_per_frame, f"one tick: {p.epochs_per_frame} epochs, {p.epoch}"
    assert p.image.value != picture and f"epoch {p.epoch}" in p.status.value
    p.play.value += 1
    assert p.epoch == 2 * p.epochs_per_frame
    p.play.value = 0  # the stop button sets the value back
    assert p.epoch == 2 * p.epochs_per_frame, "stop does not train"
    p.step_button.click()
    assert p.epoch == 2 * p.epochs_per_frame + 1, "the step button trains one epoch"
    p.reset_button.click()
    assert p.epoch == 0
    assert threading.active_count() == threads, "play must not start a thread"


def test_the_stored_background_gives_the_picture_of_a_full_draw():
    p = playground(hidden=(3, 5))
    p.step(7)
    blitted = p.image.value
    p._background_key = None  # forces the full draw
    assert p.render_png() == blitted, "blitting must draw what a full redraw draws"
    p.step(200)  # the loss axes' x limit grows from 10 to 500: a new background
    assert p.history["epoch"][-1] == 207 and p.loss_ax.get_xlim() == (0.0, 500.0)
    blitted = p.image.value
    p._background_key = None
    assert p.render_png() == blitted


def test_the_figure_shows_each_unit_and_the_output():
    p = playground(features=("x1", "x2", "sin_x1"), hidden=(3,))
    mosaic = p._mosaic.get_array()
    tiles = len(p.features) + sum(p.hidden) + 1
    filled = sum(np.any(mosaic[y:y + 20, x:x + 20] != 255)
                 for column in p._tile_origins for x, y in column)
    assert filled == tiles == 7, f"one tile per feature, neuron and output: {filled} of {tiles}"
    assert len(p._links.get_segments()) == 3 * 3 + 3 * 1, "one line per weight"
    heat = p._heat.get_array()
    assert heat.shape == (60, 60, 3) and heat.dtype == np.uint8
    assert len(p._train_scatter.get_offsets()) == N // 2, "the training points are drawn"


def test_input_features_are_the_playgrounds():
    got = input_features(np.array([[2.0, -3.0]]), list(FEATURES))
    want = [[2.0, -3.0, 4.0, 9.0, -6.0, np.sin(2.0), np.sin(-3.0)]]
    np.testing.assert_allclose(got, want, err_msg=f"features {list(FEATURES)}")
    assert set(HIDDEN_ACTIVATIONS) == {"relu", "tanh", "sigmoid", "linear"}


# ---------------------------------------------------------------------------------------------
# Bad settings
# ---------------------------------------------------------------------------------------------
BAD_SETTINGS = [
    ({"dataset": "moons"}, r"dataset must be one of .*'moons'"),
    ({"hidden": (4,) * 7}, r"hidden must have 0 to 6 hidden layers, got 7"),
    ({"hidden": (4, 9)}, r"hidden\[1\] \(neurons of hidden layer 2\) must be an integer "
                         r"from 1 to 8, got 9"),
    ({"hidden": (0,)}, r"hidden\[0\]"),
    ({"hidden": 4}, r"hidden must be a sequence"),
    ({"activation": "softmax"}, r"activation must be one of .*'softmax'"),
    ({"activation": ("relu",)}, r"activation must be one name, or one per hidden layer \(2\)"),
    ({"features": ()}, r"features must name at least one"),
    ({"features": ("x1", "x3")}, r"unknown feature 'x3'"),
    ({"noise": 60}, r"noise must be an integer from 0 to 50 \(percent\), got 60"),
    ({"noise": 0.1}, r"noise must be an integer"),
    ({"train_percent": 95}, r"train_percent must be an integer from 10 to 90"),
    ({"batch_size": 0}, r"batch_size must be an integer from 1 to 30"),
    ({"seed": -1}, r"seed must be an integer"),
    ({"learning_rate": 0.05}, r"learning_rate must be one of the playground's learning rates"),
    ({"regularization": "l3"}, r"regularization must be one of \('none', 'l1', 'l2'\)"),
    ({"regularization_rate": -1.0}, r"regularization_rate must be one of"),
]


@pytest.mark.parametrize("settings, message", BAD_SETTINGS,
                         ids=[next(iter(s)) + "=" + repr(next(iter(s.values())))
                              for s, _ in BAD_SETTINGS])
def test_bad_settings_raise_a_value_error_that_names_them(settings, message):
    with pytest.raises(ValueError, match=message):
        PlaygroundExplorer(num_points=N, **settings)
    p = playground()
    with pytest.raises(ValueError, match=message):
        p.configure(**settings)
    assert p.dataset.value == "circle" and p.hidden == (4, 4) and p.features == ("x1", "x2"), (
        "a refused configure must change nothing")


def test_bad_constructor_arguments_and_step_counts_are_named():
    with pytest.raises(ValueError, match="num_points must be an even integer from 10 to 2000"):
        PlaygroundExplorer(num_points=7)
    with pytest.raises(ValueError, match="epochs_per_frame"):
        PlaygroundExplorer(num_points=N, epochs_per_frame=0)
    with pytest.raises(TypeError, match="affine_backward must be a function"):
        PlaygroundExplorer(layers.affine_forward, None)
    p = playground()
    with pytest.raises(ValueError, match="n must be an integer from 1"):
        p.step(0)
    with pytest.raises(ValueError, match="targets must have shape"):
        p.loss_and_grads(np.zeros((3, 2)), np.zeros(4))
