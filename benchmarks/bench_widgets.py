"""Time one redraw of each explorer of ``course_lib.widgets``, for each kind of interaction.

An interaction sets one named control of an explorer from code, as the slider or dropdown in
JupyterLab does: the control's observer calls ``explorer.update()`` once, which recomputes,
redraws the figure and encodes the PNG. The interaction is timed from setting the value until
the observer returns; for most explorers that is the one ``update()``, while the playground's
observers first train (a tick of play) or start a new run (its data and network controls).
Each control is moved ``--repeat`` times through distinct values (a dropdown cycles through its
options, a slider or number box sweeps its range, a toggle button flips, a play control ticks),
after a few warm-up redraws; the figures are the median and the 90th percentile of those times,
in milliseconds. The target is a median of at most 50 ms, so that an explorer follows a dragged
slider and the playground plays smoothly; it is reported, never asserted. Other processes on
the machine slow every figure down: compare figures taken under the same load.

A button (the graph explorer's "step", "run all", "reset"; the playground's "step", one epoch and
a redraw, and "reset") is clicked ``--repeat`` times; when it is disabled (nothing left to step,
nothing to reset), its partner named in ``CASES`` is clicked first, untimed. The explorers run
with ``course_lib``'s own functions (the notebook passes the student's, which cost about the
same). Every control of every explorer in ``CASES`` is timed, so a new explorer needs one line
there; ``--only`` times the explorers whose label contains a word. Run from the repository
root::

    .venv/bin/python benchmarks/bench_widgets.py --repeat 30
    .venv/bin/python benchmarks/bench_widgets.py --only Playground
"""

import argparse
import time

import ipywidgets as widgets
import numpy as np

from course_lib.optimizer_race import OPTIMIZERS, SURFACES
from course_lib.playground import FEATURES
from course_lib.widgets import (ActivationExplorer, GradientFlowExplorer, GraphExplorer,
                                OptimizerRace, PlaygroundExplorer, SoftmaxExplorer)

TARGET_MS = 50.0
WARM_UP = 3

# (name, factory, values set before each control is timed, buttons to click: each with the
# partner clicked when it is disabled): leaky ReLU so that alpha matters; the graphs' sliders
# are timed with the backward pass complete, every grad shown; the playground's controls are
# timed from its default settings (the circle, two hidden layers of four tanh neurons), so that
# a sweep of one control (up to six layers, a learning rate of 10) does not change the next.
GRAPH_BUTTONS = {"step": "reset", "run all": "reset", "reset": "run all"}
PLAYGROUND_DEFAULTS = {
    "dataset": "circle", "noise": 0, "train_percent": 50, "batch_size": 10, "seed": 0,
    **{f"feature_{name}": name in ("x1", "x2") for name in FEATURES},
    "hidden_layers": 2, "neurons_1": 4, "neurons_2": 4, "activation": "tanh",
    "activation_1": "tanh", "activation_2": "tanh", "learning_rate": 0.03,
    "regularization": "none", "regularization_rate": 0.0,
}
# The race's controls are timed from its defaults: the quadratic (set first, since choosing a
# surface sets the start and the rate), its first start and rate, 100 steps, all five shown.
RACE_DEFAULTS = {
    "surface": "ill_conditioned", "start": SURFACES["ill_conditioned"].starts[0],
    "lr": SURFACES["ill_conditioned"].lr, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999,
    "num_steps": 100, **{f"show_{name}": True for name in OPTIMIZERS},
}


def _completed(explorer):
    explorer.run_all()
    return explorer


CASES = [
    ("ActivationExplorer", ActivationExplorer, {"function": "leaky_relu"}, {}),
    ("SoftmaxExplorer", lambda: SoftmaxExplorer(logits=[1.0, 2.0, 3.0]), {}, {}),
    ("Graph notes_circuit", lambda: _completed(GraphExplorer.notes_circuit()), {},
     GRAPH_BUTTONS),
    ("Graph sigmoid_neuron", lambda: _completed(GraphExplorer.sigmoid_neuron()), {},
     GRAPH_BUTTONS),
    ("PlaygroundExplorer", PlaygroundExplorer, PLAYGROUND_DEFAULTS,
     {"step": "reset", "reset": "step"}),
    ("GradientFlowExplorer", GradientFlowExplorer,
     {"depth": 10, "width": 100, "weight_scale": 1.0}, {}),
    ("OptimizerRace", OptimizerRace, RACE_DEFAULTS, {}),
]


def values_for(control, n):
    """``n`` values for ``control``, each different from the one before it."""
    if isinstance(control, widgets.Dropdown):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]  # (label, value)
        start = options.index(control.value)
        return [options[(start + 1 + i) % len(options)] for i in range(n)]
    if isinstance(control, widgets.ToggleButton):
        return [(not control.value) if i % 2 == 0 else control.value for i in range(n)]
    if isinstance(control, widgets.Play):  # the browser's timer: one tick after the other
        return [control.value + 1 + i for i in range(n)]
    if isinstance(control, widgets.FloatRangeSlider):  # drag the lower handle
        high = control.value[1]
        lows = np.linspace(control.min, high - 1.0, n)
        return [(float(low), high) for low in lows]
    if isinstance(control, widgets.FloatLogSlider):
        exponents = np.linspace(control.min, control.max, n)
        return [float(control.base ** e) for e in exponents]
    if isinstance(control, (widgets.IntSlider, widgets.BoundedIntText)) and (
            control.max - control.min < n):  # a short range: up and down it, n steps
        period = 2 * (control.max - control.min)
        return [control.min + min(i % period, period - i % period) for i in range(1, n + 1)]
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider, widgets.BoundedIntText)):
        values = np.linspace(control.min, control.max, n)
        return [type(control.value)(v) for v in values]
    raise TypeError(f"no values to try for a {type(control).__name__}")


def _timed(explorer, interactions, what):
    """Seconds of each interaction (a function) that is timed, from its start until the
    control's observer has returned.

    The explorer's observers call ``update`` through the instance, so a counting wrapper set on
    the instance sees exactly the calls that an interaction causes (one each, checked).
    ``interactions`` yields pairs (interaction, timed); untimed ones prepare the next.
    """
    times, updates = [], []
    update = explorer.update

    def counted_update():
        updates.append(1)
        update()

    explorer.update = counted_update
    try:
        for interaction, timed in interactions:
            before = len(updates)
            start = time.perf_counter()
            interaction()
            elapsed = time.perf_counter() - start
            if len(updates) != before + 1:
                raise RuntimeError(f"{what} caused {len(updates) - before} updates, not 1")
            if timed:
                times.append(elapsed)
    finally:
        del explorer.update
    return np.array(times[WARM_UP:])


def time_control(explorer, name, n):
    """Seconds of each of ``n`` changes of ``explorer.controls[name]``, with its redraw."""
    control = explorer.controls[name]

    def changes():
        for value in values_for(control, n + WARM_UP):
            if control.value != value:  # no change, no update
                yield (lambda: setattr(control, "value", value)), True
    return _timed(explorer, changes(), f"setting {name}")


def time_button(explorer, label, partner, n):
    """Seconds of each of ``n`` clicks of ``explorer.buttons[label]``, with its redraw;
    ``explorer.buttons[partner]`` is clicked (untimed) whenever the button is disabled."""
    button, other = explorer.buttons[label], explorer.buttons[partner]

    def clicks():
        for _ in range(n + WARM_UP):
            if button.disabled:
                yield other.click, False
            yield button.click, True
    return _timed(explorer, clicks(), f"clicking {label}")


def main(argv=None):
    """Parse the arguments, time every control of every explorer and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed changes per control")
    parser.add_argument("--only", default="",
                        help="time only the explorers whose label contains this word")
    args = parser.parse_args(argv)
    if args.repeat < 2:
        parser.error("--repeat: expected at least 2 changes per control")
    cases = [case for case in CASES if args.only.lower() in case[0].lower()]
    if not cases:
        parser.error(f"--only: no explorer label contains {args.only!r}; the labels are "
                     f"{[case[0] for case in CASES]}")

    print(f"one interaction and its update(), {args.repeat} changes per control (ms)")
    slowest = (0.0, "", 0.0)
    for label, factory, state, buttons in cases:
        explorer = factory()
        timings = [(name, lambda name=name: time_control(explorer, name, args.repeat))
                   for name in explorer.controls]
        timings += [(f"[{button}]", lambda button=button, partner=partner: time_button(
            explorer, button, partner, args.repeat)) for button, partner in buttons.items()]
        for name, timing in timings:
            for other, value in state.items():
                if other != name:  # (setting the value a control has changes nothing)
                    explorer.controls[other].value = value
            ms = timing() * 1e3
            median, p90 = float(np.median(ms)), float(np.percentile(ms, 90))
            print(f"  {label:<22}{name:<21}median {median:7.2f} ms   p90 {p90:7.2f} ms"
                  f"   ({ms.size} changes)")
            if median > slowest[0]:
                slowest = (median, f"{label}.{name}", p90)
    median, where, p90 = slowest
    verdict = "within" if median <= TARGET_MS else "ABOVE"
    print(f"slowest median update: {median:.2f} ms ({where}; p90 {p90:.2f} ms), "
          f"{verdict} the {TARGET_MS:g} ms target")


if __name__ == "__main__":
    main()
