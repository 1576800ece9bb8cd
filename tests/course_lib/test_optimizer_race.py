"""The optimizer race [D10], [F2]-[F6]: its paths are those of torch.optim on the same surfaces,
step for step; the student's functions are the ones called (and their errors named); a run that
leaves the view goes on, and only a run that blows up stops, without an exception or a warning;
every control redraws.

The surfaces are written again here in torch, and torch's autograd gives their gradients, so the
oracle shares no code with the explorer. Nothing is timed: ``benchmarks/bench_widgets.py``
does that.
"""
import warnings

import ipywidgets as widgets
import numpy as np
import pytest
import torch

from course_lib import optim
from course_lib.optimizer_race import DIVERGENCE_BOUND, OPTIMIZERS, SURFACES
from course_lib.widgets import Explorer, OptimizerRace

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: The documented factor on the slider's rate for each optimizer.
MULTIPLIERS = {"sgd": 1.0, "momentum": 1.0, "adagrad": 10.0, "rmsprop": 10.0, "adam": 10.0}

TORCH_SURFACES = {  # f(w) in torch, the formulas of the module docstring
    "ill_conditioned": lambda w: 0.5 * (w[0] ** 2 + 100.0 * w[1] ** 2),
    "rosenbrock": lambda w: (1.0 - w[0]) ** 2 + 100.0 * (w[1] - w[0] ** 2) ** 2,
    "saddle": lambda w: w[0] ** 2 - w[1] ** 2 + w[1] ** 4 / 4.0,
}

CONTROLS = {  # name -> (widget class, default value)
    "surface": (widgets.Dropdown, "ill_conditioned"),
    "start": (widgets.Dropdown, (-4.0, 1.0)),
    "lr": (widgets.FloatLogSlider, 10.0 ** -1.75),
    "momentum": (widgets.FloatSlider, 0.9),
    "beta1": (widgets.FloatSlider, 0.9),
    "beta2": (widgets.FloatSlider, 0.999),
    "num_steps": (widgets.IntSlider, 100),
    **{f"show_{name}": (widgets.ToggleButton, True) for name in OPTIMIZERS},
}


def torch_run(name, surface, start, lr, num_steps, momentum=0.9, beta1=0.9, beta2=0.999):
    """``num_steps`` steps of torch.optim's optimizer ``name`` on ``surface`` (float64, CPU),
    with the hyper-parameters of course_lib.optim's defaults; the points ``(num_steps + 1, 2)``
    and the losses at them."""
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    make = {
        "sgd": lambda: torch.optim.SGD([w], lr=lr),
        "momentum": lambda: torch.optim.SGD([w], lr=lr, momentum=momentum),
        "adagrad": lambda: torch.optim.Adagrad([w], lr=lr),
        "rmsprop": lambda: torch.optim.RMSprop([w], lr=lr),
        "adam": lambda: torch.optim.Adam([w], lr=lr, betas=(beta1, beta2)),
    }
    optimizer, f = make[name](), TORCH_SURFACES[surface]
    points, losses = [w.detach().clone()], []
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = f(w)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        points.append(w.detach().clone())
    losses.append(f(w).item())
    return torch.stack(points).numpy(), np.array(losses)


def another_value(control):
    if isinstance(control, widgets.Dropdown):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return next(v for v in values if v != control.value)
    if isinstance(control, widgets.ToggleButton):
        return not control.value
    return control.max if control.value != control.max else control.min


def assert_matches_torch(race, surface, settings=None, names=OPTIMIZERS):
    settings = settings or {}
    start, num_steps = race.start.value, race.num_steps.value
    for name in names:
        lr = race.lr.value * MULTIPLIERS[name]
        assert race.learning_rates[name] == pytest.approx(lr, rel=1e-15), name
        path = race.trajectories[name]
        steps = path.shape[0] - 1
        assert steps == num_steps or race.diverged[name] is not None, (name, path.shape)
        expected, losses = torch_run(name, surface, start, lr, steps, **settings)
        np.testing.assert_allclose(path, expected, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name} on {surface} must follow torch.optim")
        np.testing.assert_allclose(race.losses[name], losses, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name}'s losses on {surface}")


# ---------------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------------
def test_the_controls_are_named_attributes_with_their_defaults():
    race = OptimizerRace()
    assert isinstance(race, Explorer), "the race is an Explorer of course_lib.widgets"
    assert set(race.controls) == set(CONTROLS), sorted(race.controls)
    for name, (kind, default) in CONTROLS.items():
        control = getattr(race, name)
        assert control is race.controls[name], f"control {name!r} must be the attribute {name}"
        assert isinstance(control, kind), f"{name} is a {type(control).__name__}, not {kind}"
        assert control.value == pytest.approx(default), f"{name} starts at {control.value!r}"
    assert [o[1] for o in race.surface.options] == list(SURFACES), race.surface.options
    assert bytes(race.image.value).startswith(PNG_SIGNATURE), "the race must show a PNG"
    assert race.error is None, race.error
    assert set(race.trajectories) == set(OPTIMIZERS), sorted(race.trajectories)


def test_changing_any_control_redraws_once():
    race = OptimizerRace(num_steps=30)
    updates, update = [], race.update
    race.update = lambda: (updates.append(1), update())
    for name, control in race.controls.items():
        before, count = race.image.value, len(updates)
        control.value = another_value(control)
        assert len(updates) == count + 1, (
            f"changing {name} must redraw once, not {len(updates) - count} times")
        assert race.image.value != before, f"changing {name} must change the picture"
        assert race.error is None, race.error


def test_a_new_surface_brings_its_starts_and_its_rate():
    race = OptimizerRace(num_steps=20)
    race.lr.value = 0.5
    race.surface.value = "rosenbrock"
    assert [o[1] for o in race.start.options] == list(SURFACES["rosenbrock"].starts)
    assert race.start.value == (-1.2, 1.0) and race.lr.value == pytest.approx(1e-3)
    assert race.trajectories["sgd"][0].tolist() == [-1.2, 1.0], "the run starts there"


def test_a_start_of_ones_own_is_added_to_the_surfaces_starts():
    race = OptimizerRace(surface="saddle", start=(1.0, -0.5), num_steps=5)
    assert race.start.value == (1.0, -0.5), race.start.value
    assert [o[1] for o in race.start.options][1:] == list(SURFACES["saddle"].starts)
    np.testing.assert_array_equal(race.trajectories["adam"][0], [1.0, -0.5])


def test_the_toggle_buttons_choose_who_races():
    race = OptimizerRace(num_steps=10)
    for name in ("sgd", "rmsprop", "adam"):
        race.controls[f"show_{name}"].value = False
    assert set(race.trajectories) == {"momentum", "adagrad"}, sorted(race.trajectories)
    assert not race.paths["sgd"].get_visible() and race.paths["momentum"].get_visible()
    for name in ("momentum", "adagrad"):
        race.controls[f"show_{name}"].value = False
    assert race.trajectories == {} and race.error is None
    assert "no optimizer chosen" in race.note.get_text(), race.note.get_text()


def test_the_same_figure_and_artists_are_reused_and_the_contours_drawn_once_per_surface():
    race = OptimizerRace(num_steps=10)
    figure, axes = race.figure, list(race.figure.axes)
    artists = [list(ax.lines) + list(ax.texts) + list(ax.collections) for ax in axes]
    backdrop = race.backdrop.pixels
    for surface in ("rosenbrock", "saddle", "ill_conditioned"):
        race.surface.value = surface
    race.lr.value = 0.01
    assert race.figure is figure and list(figure.axes) == axes, "the axes must be kept"
    assert [list(ax.lines) + list(ax.texts) + list(ax.collections) for ax in axes] == artists, (
        "the lines and texts must be updated in place, not added again")
    assert race.backdrop.pixels is backdrop, "the quadratic's contours are drawn only once"
    assert OptimizerRace(num_steps=1).backdrop.pixels is backdrop, "and shared by every race"


# ---------------------------------------------------------------------------------------------
# The paths against torch.optim
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_path_is_torch_optims_step_for_step(surface):
    race = OptimizerRace(surface=surface)
    assert race.error is None, race.error
    assert_matches_torch(race, surface)


def test_the_momentum_and_the_betas_reach_the_rules():
    settings = {"momentum": 0.5, "beta1": 0.8, "beta2": 0.99}
    race = OptimizerRace(lr=0.01, num_steps=60, **settings)
    assert_matches_torch(race, "ill_conditioned", settings, names=("momentum", "adam"))
    race.momentum.value, race.beta1.value = 0.95, 0.5
    assert_matches_torch(race, "ill_conditioned", {**settings, "momentum": 0.95, "beta1": 0.5},
                         names=("momentum", "adam"))


def test_a_run_that_leaves_the_view_goes_on_as_torchs_until_it_blows_up():
    """From (1.5, −0.5) momentum's speed carries it out of Rosenbrock's view: the explorer's run
    goes on outside the view, step for step torch's, until a coordinate passes the bound."""
    race = OptimizerRace(surface="rosenbrock", start=(1.5, -0.5))
    left, step = race.left_view["momentum"], race.diverged["momentum"]
    assert left is not None and step is not None and left < step, (left, step)
    assert race.trajectories["momentum"].shape == (step + 1, 2), step
    assert_matches_torch(race, "rosenbrock")
    path, _ = torch_run("momentum", "rosenbrock", (1.5, -0.5), 1e-3, step)
    surface = SURFACES["rosenbrock"]
    assert not surface.contains(*path[left]) and all(surface.contains(*p) for p in path[:left])
    assert np.abs(path[step]).max() > DIVERGENCE_BOUND >= np.abs(path[:step]).max()
    assert race.status["momentum"].endswith(
        f"diverged at step {step}: |w| > 1e6\nleft the view at step {left}"), race.status


def test_a_longer_run_continues_the_kept_one_and_a_shorter_one_is_its_start():
    calls = []

    def adam_update(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999):
        calls.append(t)
        return optim.adam_update(w, dw, m, v, t, lr, beta1=beta1, beta2=beta2)

    race = OptimizerRace(adam_update=adam_update, num_steps=40)
    race.num_steps.value = 70
    assert calls == list(range(1, 71)), "steps 41..70 continue the run of 40 steps"
    assert_matches_torch(race, "ill_conditioned", names=("adam",))
    race.num_steps.value = 25
    race.show_sgd.value = False
    assert len(calls) == 70, "a shorter run, or another optimizer's button, runs nothing new"
    np.testing.assert_array_equal(race.trajectories["adam"].shape, (26, 2))
    race.beta2.value = 0.99
    assert calls[70:] == list(range(1, 26)), "new betas: Adam runs again from the start"


# ---------------------------------------------------------------------------------------------
# The student's functions
# ---------------------------------------------------------------------------------------------
def spies():
    """course_lib's five rules, each recording its call's keyword arguments and step."""
    calls = {name: [] for name in OPTIMIZERS}

    def sgd_update(w, dw, lr):
        calls["sgd"].append({})
        return optim.sgd_update(w, dw, lr)

    def momentum_update(w, dw, v, lr, momentum=0.9, **kwargs):
        calls["momentum"].append({"momentum": momentum, **kwargs})
        return optim.momentum_update(w, dw, v, lr, momentum)

    def adagrad_update(w, dw, cache, lr, eps=1e-10):
        calls["adagrad"].append({})
        return optim.adagrad_update(w, dw, cache, lr, eps)

    def rmsprop_update(w, dw, cache, lr, alpha=0.99, eps=1e-8):
        calls["rmsprop"].append({})
        return optim.rmsprop_update(w, dw, cache, lr, alpha, eps)

    def adam_update(w, dw, m, v, t, lr, *, beta1=0.9, beta2=0.999):  # keywords only
        calls["adam"].append({"t": t, "beta1": beta1, "beta2": beta2})
        return optim.adam_update(w, dw, m, v, t, lr, beta1, beta2)

    return calls, (sgd_update, momentum_update, adagrad_update, rmsprop_update, adam_update)


def test_the_students_functions_are_the_ones_called_with_the_settings_by_keyword():
    calls, rules = spies()
    race = OptimizerRace(*rules, surface="saddle", momentum=0.7, beta1=0.6, beta2=0.95,
                         num_steps=12)
    for name in OPTIMIZERS:
        assert len(calls[name]) == 12, f"{name}: {len(calls[name])} calls for 12 steps"
    assert calls["momentum"] == [{"momentum": 0.7}] * 12, calls["momentum"][:2]
    assert calls["adam"] == [{"t": t, "beta1": 0.6, "beta2": 0.95} for t in range(1, 13)], (
        "Adam's step counts from 1 and its betas come by keyword")
    assert race.ignored_settings == {name: () for name in OPTIMIZERS}, race.ignored_settings
    assert_matches_torch(race, "saddle", {"momentum": 0.7, "beta1": 0.6, "beta2": 0.95})


def test_a_wrong_rule_gives_another_path():
    def sgd_update(w, dw, lr):  # a plus: gradient ascent
        return w + lr * dw

    def adam_update(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999):  # no bias correction
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw * dw
        return w - lr * m / (np.sqrt(v) + 1e-8), m, v

    race = OptimizerRace(sgd_update=sgd_update, adam_update=adam_update, surface="rosenbrock",
                         num_steps=30)
    right = OptimizerRace(surface="rosenbrock", num_steps=30)
    assert race.left_view["sgd"] is not None, "gradient ascent must leave the view"
    assert "left the view at step" in race.status["sgd"], race.status["sgd"]
    steps = race.trajectories["adam"].shape[0]
    assert not np.allclose(race.trajectories["adam"], right.trajectories["adam"][:steps]), (
        "Adam without bias correction must take other steps")
    assert_matches_torch(race, "rosenbrock", names=("momentum", "adagrad", "rmsprop"))


def test_a_setting_that_the_students_function_does_not_take_is_named_in_the_legend():
    def momentum_update(w, dw, v, lr, mu=0.9):  # another name for the momentum
        v = mu * v + dw
        return w - lr * v, v

    race = OptimizerRace(momentum_update=momentum_update, num_steps=10, momentum=0.5)
    assert race.ignored_settings["momentum"] == ("momentum",), race.ignored_settings
    assert "takes no momentum" in race.status["momentum"], race.status["momentum"]
    expected, _ = torch_run("momentum", "ill_conditioned", (-4.0, 1.0), race.lr.value, 10,
                            momentum=0.9)
    np.testing.assert_allclose(race.trajectories["momentum"], expected, rtol=1e-9,
                               err_msg="its own default 0.9 is what ran")


def _raises(*args, **kwargs):
    raise NotImplementedError("write the Adam update")


BROKEN = {  # optimizer -> (its broken rule, words of the message)
    "raises": ("adam", _raises, "your adam_update raised NotImplementedError: write the Adam "
                                "update (at step 1 of Adam; switch Adam off to race the others)"),
    "only w": ("momentum", lambda w, dw, v, lr, momentum=0.9: w - lr * dw,
               "your momentum_update returned a ndarray; expected a tuple (w, v)"),
    "too many": ("adagrad", lambda w, dw, cache, lr: (w, cache, 1),
                 "your adagrad_update returned a tuple of 3 values; expected a tuple (w, cache)"),
    "wrong shape": ("rmsprop", lambda w, dw, cache, lr: (w, np.zeros(3)),
                    "your rmsprop_update returned cache of shape (3,); expected shape (2,)"),
    "not numbers": ("adam", lambda w, dw, m, v, t, lr, beta1, beta2: (w, m, "v"),
                    "your adam_update returned v as a str, not an array of numbers"),
    "None": ("sgd", lambda w, dw, lr: None,
             "your sgd_update returned an array of shape (); expected shape (2,)"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_rule_is_named_in_the_figure_and_no_result_is_stale(case):
    name, rule, words = BROKEN[case]
    race = OptimizerRace(num_steps=5, **{f"{name}_update": rule})
    assert race.error is not None and words in race.error, race.error
    for attribute in ("trajectories", "losses", "diverged", "left_view", "status",
                      "learning_rates"):
        assert getattr(race, attribute) is None, f"{attribute} must be None after an error"
    assert race._message.get_visible() and race._message.get_text().startswith(
        words[:30]), race._message.get_text()
    assert not race.path_ax.get_visible() and not race.backdrop.get_visible(), (
        "the error replaces the whole picture")
    race.controls[f"show_{name}"].value = False
    assert race.error is None and set(race.trajectories) == set(OPTIMIZERS) - {name}, (
        "switched off, the others race")
    assert race.backdrop.get_visible() and race.path_ax.get_visible()


def test_a_rule_that_fails_late_fails_when_the_run_gets_there():
    def sgd_update(w, dw, lr):
        if abs(w[0]) < 3.0:
            raise ValueError("lost")
        return w - lr * dw

    race = OptimizerRace(sgd_update=sgd_update, num_steps=5)
    assert race.error is None, race.error
    race.num_steps.value = 100
    assert "your sgd_update raised ValueError: lost (at step" in race.error, race.error
    race.num_steps.value = 5
    assert race.error is None and race.trajectories["sgd"].shape == (6, 2)


# ---------------------------------------------------------------------------------------------
# Divergence
# ---------------------------------------------------------------------------------------------
def test_a_rate_too_large_diverges_and_stops_at_the_bound_without_a_warning():
    """[F2] On the quadratic SGD multiplies y by 1 − 100 lr: at lr = 0.05 that is −4, so
    y = 1 → −4 leaves the view (|y| <= 2) at step 1, and |y| = 4^t passes 1e6 at step 10."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        race = OptimizerRace(lr=0.05, num_steps=200)
        race.lr.value = 1.0
        race.lr.value = 0.05
    assert race.error is None, race.error
    assert race.left_view["sgd"] == 1 and race.diverged["sgd"] == 10, (race.left_view,
                                                                       race.diverged)
    path = race.trajectories["sgd"]
    assert path.shape == (11, 2), path.shape
    np.testing.assert_allclose(path[:2], [[-4.0, 1.0], [-4.0 + 0.2, -4.0]], rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], (-4.0) ** np.arange(11), rtol=1e-12)
    assert race.status["sgd"] == ("SGD, lr 0.05\ndiverged at step 10: |w| > 1e6\n"
                                  "left the view at step 1"), race.status["sgd"]
    x, y = race.paths["sgd"].get_data()
    assert len(x) == 10, "the point beyond the bound is not drawn (its predecessor is outside)"
    assert race.path_ends["sgd"].get_marker() == "x", "the end is marked with a cross"
    end = np.concatenate(race.path_ends["sgd"].get_data())
    assert SURFACES["ill_conditioned"].contains(*end), f"at the edge of the view, not {end}"
    assert race.paths["sgd"].get_clip_on(), "the axes clip the path at the edge of the view"
    assert race.left_view["rmsprop"] == 1 and race.diverged["rmsprop"] is None, (
        "RMSprop's first step, ten times its rate, leaves the view, and it comes back")


def test_a_run_that_leaves_the_view_and_comes_back_has_not_diverged():
    """[F4] At lr = 10^−1.5 ≈ 0.0316 momentum's first step takes y = 1 to 1 − 3.16, out of the
    view; it comes back and converges, as torch's run does. Only at about 0.04 it diverges."""
    race = OptimizerRace(lr=10.0 ** -1.5)
    assert race.left_view["momentum"] == 1 and race.diverged["momentum"] is None, (
        race.left_view, race.diverged)
    assert race.trajectories["momentum"].shape == (101, 2)
    assert_matches_torch(race, "ill_conditioned", names=("momentum",))
    assert race.losses["momentum"][-1] < 1e-3, race.losses["momentum"][-1]
    assert race.status["momentum"].startswith("momentum, lr 0.0316\nf − min f = "), race.status
    assert race.status["momentum"].endswith("\nleft the view at step 1"), race.status
    assert "diverged" not in race.status["momentum"], race.status
    assert race.path_ends["momentum"].get_marker() == "o", "no cross: it ran all its steps"
    for lr in (10.0 ** -1.45, 10.0 ** -1.4):  # 0.0355 comes back; 0.0398 diverges
        race.lr.value = lr
    assert race.diverged["momentum"] is not None, race.status["momentum"]
    race.lr.value = 10.0 ** -1.45
    assert race.diverged["momentum"] is None and race.left_view["momentum"] == 1, race.status


def test_a_run_inside_the_view_says_nothing_about_the_view():
    race = OptimizerRace()
    assert race.left_view == {name: None for name in OPTIMIZERS}, race.left_view
    assert race.diverged == {name: None for name in OPTIMIZERS}, race.diverged
    assert not any("view" in words for words in race.status.values()), race.status


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e300])
def test_a_rule_that_returns_nan_inf_or_a_huge_w_stops_without_a_warning(bad):
    def adagrad_update(w, dw, cache, lr):
        w, cache = optim.adagrad_update(w, dw, cache, lr)
        return (w if len(calls) < 3 else np.array([w[0], bad])), cache

    calls = []
    spy = lambda *args: calls.append(1) or adagrad_update(*args)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        race = OptimizerRace(adagrad_update=spy, num_steps=50)
    assert race.error is None, race.error
    assert race.diverged["adagrad"] == 3 and len(calls) == 3, (race.diverged, len(calls))
    finite = np.isfinite(bad)
    assert race.trajectories["adagrad"].shape == (4 if finite else 3, 2)
    assert np.all(np.isfinite(race.trajectories["adagrad"][:3]))
    reason = "|w| > 1e6" if finite else "w not finite"
    assert race.status["adagrad"].endswith(f"diverged at step 3: {reason}"), race.status
    assert race.left_view["adagrad"] == (3 if finite else None), race.left_view
    x, y = race.paths["adagrad"].get_data()
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y)), "only finite points are drawn"


# ---------------------------------------------------------------------------------------------
# Invalid arguments
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("setting, value, error", [
    ("surface", "bowl", ValueError), ("surface", 1, ValueError),
    ("start", (10.0, 0.0), ValueError), ("start", "ab", TypeError), ("start", (1.0,), TypeError),
    ("start", (0.0, float("nan")), ValueError), ("lr", 0.0, ValueError), ("lr", 3.0, ValueError),
    ("lr", "0.1", TypeError), ("momentum", 1.5, ValueError), ("beta1", -0.1, ValueError),
    ("beta2", 0.5, ValueError), ("beta2", 1.0, ValueError), ("num_steps", 0, ValueError),
    ("num_steps", 501, ValueError), ("num_steps", 10.5, TypeError),
    ("sgd_update", 3, TypeError), ("adam_update", None, TypeError),
])
def test_an_invalid_argument_raises_naming_it(setting, value, error):
    with pytest.raises(error, match=setting):
        OptimizerRace(**{setting: value})
