"""The optimizer race: the student's five update rules on 2-D loss surfaces [D10], [F2]-[F6].

``OptimizerRace(sgd_update, momentum_update, adagrad_update, rmsprop_update, adam_update)`` is
the widget of the assignment on optimization. It runs the five rules from one start on a loss
surface of two parameters ``w = (x, y)`` and draws each optimizer's path on the contours of the
surface and, beside it, its loss ``f(w_t) − min f`` against the step ``t`` on a log scale.

Controls: ``surface`` (a dropdown of ``SURFACES``); ``start`` (a dropdown of three starts chosen
for each surface, so that every start is inside the view and shows something); ``lr`` (a log
slider, 1e-4 to 1); ``momentum``; Adam's ``beta1`` and ``beta2``; ``num_steps`` (1 to
``MAX_STEPS``); and one toggle button per optimizer (``show_sgd`` ... ``show_adam``) for those
that race.

What it computes, and whose code runs
-------------------------------------
- The surfaces, each drawn in a fixed view:

  * ``"ill_conditioned"``: ``f = (x² + 100 y²) / 2``, curvatures 1 and 100 (condition number
    100), minimum 0 at ``(0, 0)``;
  * ``"rosenbrock"``: ``f = (1 − x)² + 100 (y − x²)²``, a curved valley, minimum 0 at ``(1, 1)``;
  * ``"saddle"``: ``f = x² − y² + y⁴/4``, a saddle point at ``(0, 0)`` (``f = 0``) between two
    minima ``f = −1`` at ``(0, ±√2)``; the quartic term keeps it bounded below, so that a run
    that escapes the saddle has somewhere to go.

- Every step of every run is the student's update rule, called with course_lib.optim's
  signature: ``w ← sgd_update(w, dw, lr)``, ``(w, v) ← momentum_update(w, dw, v, lr,
  momentum=...)``, ``(w, cache) ← adagrad_update(w, dw, cache, lr)``, ``(w, cache) ←
  rmsprop_update(w, dw, cache, lr)`` (``alpha`` and every ``eps`` left at the function's
  defaults) and ``(w, m, v) ← adam_update(w, dw, m, v, t, lr, beta1=..., beta2=...)`` with
  ``t = 1, 2, ...``. The states start at zeros; ``dw`` is the exact gradient of the surface at
  ``w`` (the explorer's). ``momentum``, ``beta1`` and ``beta2`` are passed by keyword when the
  student's function declares a parameter of that name (or ``**kwargs``); when it does not, the
  legend says that the control does not reach it.
- One learning-rate slider, times a fixed factor per optimizer (``LR_MULTIPLIERS``): 1 for SGD
  and momentum, 10 for Adagrad, RMSprop and Adam. A step of SGD is ``lr · dw``, its size set by
  the gradient; a step of an adaptive rule is about ``lr`` in each coordinate whatever the
  gradient's size. No one factor makes the two kinds equal on every surface; 10 lets all five
  make progress at each surface's default rate. The legend prints the rate each optimizer
  actually ran with.
- A run may leave the view and go on: the path is drawn clipped at the edge of the view, and the
  legend adds "left the view at step t", whether or not the run comes back. A run stops only
  when it blows up: at the first step whose ``w`` is not finite (NaN or inf) or has a
  coordinate beyond ``DIVERGENCE_BOUND`` (1e6) in size, or whose loss is not finite. Then the
  legend says "diverged at step t" and why, and the path ends in a cross at its last point
  that can be drawn (or at the edge of the view). Below the bound no surface's gradient or loss
  overflows, so a diverging run gives no warning. Losses below ``LOSS_FLOOR`` (1e-12) are drawn
  at it.
- Choosing a surface sets the start to that surface's first start and the learning rate to its
  default (``Surface.lr``); the other controls keep their values.

What to look for
----------------
- [D10], [F2] SGD on the quadratic: the steep direction ``y`` (curvature 100) overshoots and
  zig-zags across the valley while the flat direction ``x`` (curvature 1) crawls, each step
  multiplying ``x`` by ``1 − lr``. Above ``lr = 2/100`` the zig-zag grows and the run diverges.
  From ``y = 1`` the first step of SGD and of momentum goes to ``y = 1 − 100 lr``, out of the
  view (``|y| <= 2``) once ``lr > 0.03``; momentum comes back and converges up to about
  ``lr = 0.039``, where it too diverges.
- [F4] Momentum adds up the steps that agree (along ``x``) and cancels those that alternate
  (across the valley): at the same rate it ends orders of magnitude lower. On Rosenbrock's
  function it is the one that follows the curved valley to the minimum; from ``(1.5, −0.5)``
  its speed carries it out of the view at step 7, and at the default rate it diverges
  (``|w| > 1e6`` at step 15).
- [F3] Adagrad divides each coordinate by the root of its summed squared gradients: the steep
  and the flat direction get steps of the same size at once, but the sum only grows, so its
  steps shrink like ``1/√t`` and it stalls on a long way (Rosenbrock's valley).
- [F5] RMSprop averages instead of summing, so it does not stall; its average starts at zero,
  so its first steps are ``1/√(1 − alpha) = 10`` times its rate: the jump at the start.
- [F6] Adam is momentum on the gradient and RMSprop on its square, with bias correction: its
  first step is its rate in each coordinate, no jump.
- The saddle, started just off the ridge ``y = 0``: the gradient across the ridge is tiny, so
  SGD slides to the saddle point and lingers at ``f = 0``; momentum, and the adaptive rules,
  which divide the tiny gradient by its own size, escape to a minimum. Started exactly on the
  ridge, every optimizer ends at the saddle: the gradient has no component that leads off it.

The explorer only draws what the student's functions return. If one raises, or returns
something other than its documented tuple of arrays of shape ``(2,)``, the figure says which
function, at which step, and what was wrong, and every result attribute is None until the next
update that works; switching that optimizer off races the others.

How an update stays under 50 ms
-------------------------------
The contours, ticks and title of the path panel change only with the surface: they are drawn
once per surface into a picture put behind the paths (``_backdrop``), and the paths' axes draw
lines and markers only. Each optimizer keeps its latest run (``_Trace``): a control that does
not concern it (Adam's betas for SGD, a toggle button) reuses the run, and a longer
``num_steps`` continues it, since a run of ``n`` steps is the start of any longer one with the
same settings. ``benchmarks/bench_widgets.py`` times every control.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, NullLocator

from . import optim
from .optim import _check_int, _check_real
from .widgets import (Explorer, StudentFunctionError, _fix_label_positions, _keywords_taken,
                      call_student)

__all__ = ["OptimizerRace", "Surface", "SURFACES", "OPTIMIZERS", "LR_MULTIPLIERS",
           "MAX_STEPS", "DIVERGENCE_BOUND", "LOSS_FLOOR"]

#: The optimizers, in the order of the constructor's arguments and of the legend.
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")

#: Each optimizer's learning rate is the slider's ``lr`` times this factor (module docstring).
LR_MULTIPLIERS = {"sgd": 1.0, "momentum": 1.0, "adagrad": 10.0, "rmsprop": 10.0, "adam": 10.0}

LABELS = {"sgd": "SGD", "momentum": "momentum", "adagrad": "Adagrad", "rmsprop": "RMSprop",
          "adam": "Adam"}
#: matplotlib's tab:blue, tab:orange, tab:green, tab:red, tab:purple (lines and buttons).
COLORS = {"sgd": "#1f77b4", "momentum": "#ff7f0e", "adagrad": "#2ca02c", "rmsprop": "#d62728",
          "adam": "#9467bd"}

MAX_STEPS = 500
#: The learning rate's slider: 10^-4 to 10^0 in steps of 10^0.05.
LR_EXPONENTS = (-4.0, 0.0, 0.05)
#: The ranges of the sliders of momentum, beta1 and beta2: (low, high, step).
MOMENTUM_RANGE = (0.0, 0.99, 0.01)
BETA1_RANGE = (0.0, 0.99, 0.01)
BETA2_RANGE = (0.9, 0.9999, 0.0001)
#: Losses ``f − min f`` below this are drawn at it on the log scale.
LOSS_FLOOR = 1e-12
#: A run has diverged, and stops, once a coordinate of ``w`` is larger than this in size.
DIVERGENCE_BOUND = 1e6
GRID_POINTS = 200  # per side of the grid of the contours
PATH_RECT = (0.055, 0.13, 0.40, 0.74)  # the path panel, in figure coordinates


@dataclass(frozen=True)
class _Rule:
    """How the race calls one update rule: its name, its states and the settings it takes."""

    function: str                 # the constructor's argument and the student's name for it
    states: tuple[str, ...]       # the state arrays after dw, as course_lib.optim names them
    settings: tuple[str, ...]     # the controls passed by keyword
    counts_steps: bool = False    # takes the step number t after its states (Adam)


RULES = {
    "sgd": _Rule("sgd_update", (), ()),
    "momentum": _Rule("momentum_update", ("v",), ("momentum",)),
    "adagrad": _Rule("adagrad_update", ("cache",), ()),
    "rmsprop": _Rule("rmsprop_update", ("cache",), ()),
    "adam": _Rule("adam_update", ("m", "v"), ("beta1", "beta2"), counts_steps=True),
}


# ---------------------------------------------------------------------------------------------
# The surfaces
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Surface:
    """A loss surface of two parameters, with the view it is drawn in and its starts.

    Attributes
    ----------
    label, formula : str
        Its name in the dropdown and its formula, for the title.
    gap : callable
        ``gap(x, y) = f(x, y) − min f >= 0``, elementwise on arrays, written so that it does not
        cancel near the minimum.
    grad : callable
        ``grad(w) -> ndarray, shape (2,)``: the gradient of ``f`` at ``w = (x, y)``.
    f_min : float
        The minimum of ``f``.
    minima : tuple of (float, float)
        Where ``f`` has its minimum.
    view : ((float, float), (float, float))
        ``((x_low, x_high), (y_low, y_high))``: what is drawn; a run that leaves it goes on,
        drawn clipped at its edge.
    starts : tuple of (float, float)
        The starts offered, the first the default.
    lr : float
        The default learning rate (before ``LR_MULTIPLIERS``).
    levels : tuple of float
        The values of ``gap`` at which contours are drawn.
    """

    label: str
    formula: str
    gap: Callable
    grad: Callable
    f_min: float
    minima: tuple
    view: tuple
    starts: tuple
    lr: float
    levels: tuple

    def f(self, x, y):
        """The loss ``f(x, y)``, elementwise."""
        return self.gap(x, y) + self.f_min

    def contains(self, x: float, y: float) -> bool:
        """Whether ``(x, y)`` lies in the view (False for NaN)."""
        (x_low, x_high), (y_low, y_high) = self.view
        return x_low <= x <= x_high and y_low <= y <= y_high


SURFACES = {
    "ill_conditioned": Surface(
        label="ill-conditioned quadratic", formula="f = (x² + 100 y²) / 2",
        gap=lambda x, y: 0.5 * (x * x + 100.0 * y * y),
        grad=lambda w: np.array([w[0], 100.0 * w[1]]),
        f_min=0.0, minima=((0.0, 0.0),), view=((-5.0, 5.0), (-2.0, 2.0)),
        starts=((-4.0, 1.0), (-4.5, 0.1), (2.0, -1.5)), lr=10.0 ** -1.75,
        levels=tuple(np.geomspace(0.05, 200.0, 13))),
    "rosenbrock": Surface(
        label="Rosenbrock", formula="f = (1 − x)² + 100 (y − x²)²",
        gap=lambda x, y: (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2,
        grad=lambda w: np.array([-2.0 * (1.0 - w[0]) - 400.0 * w[0] * (w[1] - w[0] * w[0]),
                                 200.0 * (w[1] - w[0] * w[0])]),
        f_min=0.0, minima=((1.0, 1.0),), view=((-2.0, 2.0), (-1.0, 3.0)),
        starts=((-1.2, 1.0), (-1.5, 2.5), (1.5, -0.5)), lr=1e-3,
        levels=tuple(np.geomspace(0.05, 2500.0, 14))),
    "saddle": Surface(
        label="saddle", formula="f = x² − y² + y⁴/4",
        # f + 1 = x² + (y²/2 − 1)²: the same polynomial, without cancellation near the minima
        gap=lambda x, y: x * x + (0.5 * y * y - 1.0) ** 2,
        grad=lambda w: np.array([2.0 * w[0], w[1] * (w[1] * w[1] - 2.0)]),
        f_min=-1.0, minima=((0.0, math.sqrt(2.0)), (0.0, -math.sqrt(2.0))),
        view=((-2.0, 2.0), (-2.5, 2.5)),
        starts=((-1.8, 1e-3), (-1.8, 0.0), (-1.8, 0.3)), lr=10.0 ** -1.7,
        levels=(0.03, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.25, 3.5, 5.0, 7.5)),
}


def _start_label(start: tuple[float, float]) -> str:
    return f"({start[0]:g}, {start[1]:g})"


#: Why a run stopped, as the legend says it (short: the legend's column is narrow).
_REASONS = {"too large": f"|w| > {DIVERGENCE_BOUND:.0e}".replace("e+0", "e"),
            "w is not finite": "w not finite", "loss is not finite": "loss not finite"}


@dataclass
class _Run:
    """What a run shows: its points, their losses, and where and why it stopped."""

    points: np.ndarray           # (k + 1, 2)
    losses: np.ndarray           # (k + 1,)
    stopped_at: int | None       # the step that blew up (a key of _REASONS says how)
    reason: str | None
    left_view_at: int | None     # the first step outside the view, within these steps


class _Trace:
    """One optimizer's run for one surface, start, rate and settings, extended on demand.

    A run of ``n`` steps is the first ``n`` steps of any longer run with the same settings, so
    a longer ``num_steps`` continues the trace from its last state and a shorter one shows a
    prefix of it; the student's function is called once per step of the longest run asked for.
    """

    def __init__(self, key: tuple, start, num_states: int):
        self.key = key
        self.points = np.empty((MAX_STEPS + 1, 2))
        self.points[0] = start
        self.w = self.points[0].copy()
        self.states = [np.zeros(2) for _ in range(num_states)]
        self.steps = 0               # steps taken (and not blown up)
        self.stopped_at = self.reason = None
        self.left_view_at = None     # the first step outside the view

    def run(self, surface: Surface, num_steps: int) -> _Run:
        """The first ``num_steps`` steps (fewer if the run stopped before)."""
        if self.stopped_at is not None and self.stopped_at <= num_steps:
            count = self.stopped_at + (self.reason != "w is not finite")
            stopped_at, reason = self.stopped_at, self.reason
        else:
            count, stopped_at, reason = num_steps + 1, None, None
        points = self.points[:count].copy()
        with np.errstate(over="ignore", invalid="ignore"):  # only at a point beyond the bound
            losses = surface.f(points[:, 0], points[:, 1])
        left = self.left_view_at
        return _Run(points, losses, stopped_at, reason,
                    left if left is not None and left < count else None)


class OptimizerRace(Explorer):
    """Five optimizers, the student's own update rules, raced on a 2-D loss surface [F2]-[F6].

    Parameters
    ----------
    sgd_update, momentum_update, adagrad_update, rmsprop_update, adam_update : callable, optional
        The update rules, with the signatures and returns of ``course_lib.optim``'s (the
        defaults); pass your own to race them.
    surface : {"ill_conditioned", "rosenbrock", "saddle"}, optional
        Initial surface (``SURFACES``).
    start : (float, float), optional
        Initial start, inside the surface's view; default the surface's first start. A start
        that is not one of the surface's is added to its dropdown.
    lr : float, optional
        Initial learning rate, 1e-4 to 1; default the surface's ``lr``. Adagrad, RMSprop and
        Adam run with ``10 · lr`` (``LR_MULTIPLIERS``).
    momentum : float, optional
        The momentum coefficient, 0 to 0.99 (0.9).
    beta1, beta2 : float, optional
        Adam's decay rates, 0 to 0.99 (0.9) and 0.9 to 0.9999 (0.999).
    num_steps : int, optional
        Steps per run, 1 to ``MAX_STEPS`` (100).

    Attributes
    ----------
    surface, start : ipywidgets.Dropdown
        The surface and the start (its values are ``(x, y)`` pairs; its options change with
        the surface).
    lr : ipywidgets.FloatLogSlider
    momentum, beta1, beta2 : ipywidgets.FloatSlider
    num_steps : ipywidgets.IntSlider
    show_sgd, show_momentum, show_adagrad, show_rmsprop, show_adam : ipywidgets.ToggleButton
        Which optimizers run and are drawn (all at first).
    update_rules : dict of str to callable
        The five functions by optimizer name (``OPTIMIZERS``).
    learning_rates : dict of str to float
        The rate each shown optimizer ran with: ``lr · LR_MULTIPLIERS[name]``.
    trajectories : dict of str to ndarray, shape (k + 1, 2)
        For each shown optimizer, ``w_0 = start, w_1, ..., w_k``, points outside the view
        included; ``k = num_steps`` unless the run diverged at step ``t``: then ``k = t`` if
        ``w_t`` is finite (the first point beyond ``DIVERGENCE_BOUND``), ``k = t − 1`` if not.
    losses : dict of str to ndarray, shape (k + 1,)
        ``f`` at each point of the trajectory (``inf`` where it overflows, beyond the bound).
    diverged : dict of str to int or None
        The step at which the run blew up: a ``w`` beyond ``DIVERGENCE_BOUND`` or not finite,
        or a loss that is not finite; None if it ran all its steps.
    left_view : dict of str to int or None
        The first step whose ``w`` is outside the view (whether or not the run came back or
        diverged later); None if it stayed in the view.
    status : dict of str to str
        The legend's sentence for each shown optimizer.
    ignored_settings : dict of str to tuple of str
        For each optimizer, the controls (``"momentum"``, ``"beta1"``, ``"beta2"``) that its
        function does not accept by keyword, so that they do not reach it.

    After an update in which a student's function failed, ``learning_rates``, ``trajectories``,
    ``losses``, ``diverged`` and ``status`` are None and ``error`` holds the message shown. The
    other attributes (``image``, ``figure``, ``error``, ``widget``) are those of
    :class:`course_lib.widgets.Explorer`.

    Raises
    ------
    TypeError
        If an update rule is not callable, or a setting is not a number (an integer for
        ``num_steps``); the message names it.
    ValueError
        If a setting is outside its range or the surface is unknown; the message names it.
    """

    def __init__(self, sgd_update: Callable = optim.sgd_update,
                 momentum_update: Callable = optim.momentum_update,
                 adagrad_update: Callable = optim.adagrad_update,
                 rmsprop_update: Callable = optim.rmsprop_update,
                 adam_update: Callable = optim.adam_update, *, surface: str = "ill_conditioned",
                 start: tuple[float, float] | None = None, lr: float | None = None,
                 momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
                 num_steps: int = 100):
        functions = dict(zip(OPTIMIZERS, (sgd_update, momentum_update, adagrad_update,
                                          rmsprop_update, adam_update)))
        for name, func in functions.items():
            if not callable(func):
                raise TypeError(f"{RULES[name].function} must be a function, "
                                f"got {type(func).__name__}")
        self.update_rules = functions
        self._keywords = {name: _keywords_taken(func, RULES[name].settings)
                          for name, func in functions.items()}
        self.ignored_settings = {name: tuple(s for s in RULES[name].settings
                                             if s not in self._keywords[name])
                                 for name in OPTIMIZERS}
        if not isinstance(surface, str) or surface not in SURFACES:
            raise ValueError(f"surface must be one of {tuple(SURFACES)}, got {surface!r}")
        self._starts = {key: list(s.starts) for key, s in SURFACES.items()}
        start = self._check_start(surface, start)
        if start not in self._starts[surface]:
            self._starts[surface].insert(0, start)
        low, high, step = LR_EXPONENTS
        lr = SURFACES[surface].lr if lr is None else _check_real("lr", lr)
        if not 10.0 ** low * (1 - 1e-9) <= lr <= 10.0 ** high * (1 + 1e-9):
            raise ValueError(f"lr must be from {10.0 ** low:g} to {10.0 ** high:g}, got {lr!r}")

        def slider(name, value, bounds, readout):
            value = _check_real(name, value, low=bounds[0], high=bounds[1])
            return widgets.FloatSlider(value=value, min=bounds[0], max=bounds[1],
                                       step=bounds[2], description=name,
                                       readout_format=readout)

        controls = {
            "surface": widgets.Dropdown(options=[(s.label, key) for key, s in SURFACES.items()],
                                        value=surface, description="surface"),
            "start": widgets.Dropdown(options=self._start_options(surface), value=start,
                                      description="start"),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=low, max=high, step=step,
                                         description="lr", readout_format=".3g"),
            "momentum": slider("momentum", momentum, MOMENTUM_RANGE, ".2f"),
            "beta1": slider("beta1", beta1, BETA1_RANGE, ".2f"),
            "beta2": slider("beta2", beta2, BETA2_RANGE, ".4f"),
            "num_steps": widgets.IntSlider(value=self._check_steps(num_steps), min=1,
                                           max=MAX_STEPS, description="steps"),
        }
        for name in OPTIMIZERS:
            controls[f"show_{name}"] = widgets.ToggleButton(
                value=True, description=LABELS[name], tooltip=f"race {LABELS[name]}",
                style={"text_color": COLORS[name]}, layout=widgets.Layout(width="96px"))
        self._syncing = False
        self._traces: dict = {}     # optimizer -> its _Trace for the latest settings
        self._clear_results()
        super().__init__(controls, figsize=(10.0, 4.0), width="860px")

    # -- checks of the constructor's arguments ---------------------------------------------------
    @staticmethod
    def _check_start(surface: str, start) -> tuple[float, float]:
        if start is None:
            return SURFACES[surface].starts[0]
        if isinstance(start, (str, bytes)) or not hasattr(start, "__len__") or len(start) != 2:
            raise TypeError(f"start must be a pair (x, y) of numbers, got {start!r}")
        x = _check_real("start[0]", start[0])
        y = _check_real("start[1]", start[1])
        if not SURFACES[surface].contains(x, y):
            (x_low, x_high), (y_low, y_high) = SURFACES[surface].view
            raise ValueError(f"start must lie in the view of the {surface} surface, x in "
                             f"[{x_low:g}, {x_high:g}] and y in [{y_low:g}, {y_high:g}]; "
                             f"got {start!r}")
        return (x, y)

    @staticmethod
    def _check_steps(num_steps) -> int:
        num_steps = _check_int("num_steps", num_steps, low=1)
        if num_steps > MAX_STEPS:
            raise ValueError(f"num_steps must be <= {MAX_STEPS}, got {num_steps}")
        return num_steps

    def _start_options(self, surface: str) -> list:
        return [(_start_label(s), s) for s in self._starts[surface]]

    # -- Explorer -------------------------------------------------------------------------------
    def _on_change(self, change) -> None:
        """Redraw once per change; a new surface first gets its starts and its default rate
        (changing those two controls here does not redraw on its own)."""
        if self._syncing:
            return
        if change["owner"] is self.surface:
            self._syncing = True
            try:
                self.start.options = self._start_options(self.surface.value)
                self.lr.value = SURFACES[self.surface.value].lr
            finally:
                self._syncing = False
        self.update()

    def build(self, figure: Figure) -> None:
        # The path panel's contours, ticks, labels and title do not change while the surface
        # stays: they are drawn once per surface into a picture (``_backdrop``) that the figure
        # shows behind the paths' axes, which draw only the lines and markers.
        self.backdrop = figure.add_artist(_Picture())
        self.path_ax = figure.add_axes(PATH_RECT)
        self.path_ax.set_axis_off()
        self.loss_ax = figure.add_axes((0.53, 0.13, 0.27, 0.74))
        self.legend_ax = figure.add_axes((0.815, 0.13, 0.18, 0.74))
        self.legend_ax.set_axis_off()
        ax = self.path_ax
        (self.minimum_marker,) = ax.plot([], [], ls="none", marker="*", ms=11, color="gold",
                                         mec="black", mew=0.6, zorder=4)
        (self.start_marker,) = ax.plot([], [], ls="none", marker="o", ms=6, color="black",
                                       zorder=5)
        self.paths, self.path_ends, self.loss_lines, self.loss_ends, self.legend = (
            {}, {}, {}, {}, {})
        for name in OPTIMIZERS:
            color = COLORS[name]
            (self.paths[name],) = ax.plot([], [], color=color, lw=1.3, marker=".", ms=3,
                                          zorder=3)
            (self.path_ends[name],) = ax.plot([], [], ls="none", color=color, ms=8, mew=2,
                                              zorder=6)
            (self.loss_lines[name],) = self.loss_ax.plot([], [], color=color, lw=1.4)
            (self.loss_ends[name],) = self.loss_ax.plot([], [], ls="none", color=color, ms=8,
                                                        mew=2)
            self.legend[name] = self.legend_ax.text(0.0, 1.0, "", color=color, fontsize=8.5,
                                                    va="top", transform=self.legend_ax.transAxes,
                                                    linespacing=1.3)
        self.note = self.legend_ax.text(0.0, 0.0, "", fontsize=8, va="bottom", color="0.3",
                                        transform=self.legend_ax.transAxes, linespacing=1.3)
        loss = self.loss_ax
        loss.set_yscale("log")
        # few ticks: each tick label is drawn anew at every update, about 0.5 ms apiece
        loss.yaxis.set_major_locator(LogLocator(base=10.0, numticks=6))
        loss.yaxis.set_minor_locator(NullLocator())
        loss.yaxis.set_minor_formatter(NullFormatter())
        loss.xaxis.set_major_locator(MaxNLocator(5, integer=True, steps=[1, 2, 5, 10]))
        loss.set_xlabel("step t")
        loss.set_ylabel("f(w) − min f (log scale)")
        loss.grid(alpha=0.3)
        _fix_label_positions(loss, x_label_y=-0.1, y_label_x=-0.17)

    def draw(self) -> None:
        self._clear_results()
        key = self.surface.value
        surface = SURFACES[key]
        self._show_surface(key, surface)
        lr, num_steps = float(self.lr.value), int(self.num_steps.value)
        settings = {"momentum": float(self.momentum.value), "beta1": float(self.beta1.value),
                    "beta2": float(self.beta2.value)}
        shown = [name for name in OPTIMIZERS if self.controls[f"show_{name}"].value]
        rates = {name: lr * LR_MULTIPLIERS[name] for name in shown}
        runs = {name: self._race(name, key, self.start.value, rates[name], num_steps, settings)
                for name in shown}
        self.learning_rates = rates
        self.trajectories = {name: run.points for name, run in runs.items()}
        self.losses = {name: run.losses for name, run in runs.items()}
        self.diverged = {name: run.stopped_at for name, run in runs.items()}
        self.left_view = {name: run.left_view_at for name, run in runs.items()}
        self.status = {name: self._status(name, run, surface) for name, run in runs.items()}
        self._show_runs(surface, runs, num_steps)

    def render_png(self) -> bytes:
        """The figure as PNG bytes, its text drawn without hinting (as ``GraphExplorer``'s)."""
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            return super().render_png()

    def _show_error(self, message: str | None) -> None:
        super()._show_error(message)
        self.backdrop.set_visible(message is None)  # a figure image, not one of the axes

    def layout(self) -> widgets.Widget:
        toggles = [self.controls[f"show_{name}"] for name in OPTIMIZERS]
        return widgets.VBox([
            widgets.HBox([widgets.VBox([self.surface, self.start, self.lr, self.num_steps]),
                          widgets.VBox([self.momentum, self.beta1, self.beta2])]),
            widgets.HBox(toggles), self.image])

    # -- the steps of draw ----------------------------------------------------------------------
    def _clear_results(self) -> None:
        self.learning_rates = self.trajectories = self.losses = None
        self.diverged = self.left_view = self.status = None

    def _race(self, name: str, key: str, start, lr: float, num_steps: int,
              settings: dict) -> _Run:
        """The run of the student's rule ``name``: the trace kept for these settings, extended
        to ``num_steps`` steps if it is shorter (and has not stopped)."""
        rule = RULES[name]
        keywords = {s: settings[s] for s in self._keywords[name]}
        trace_key = (key, start, lr, tuple(keywords.items()))
        trace = self._traces.get(name)
        if trace is None or trace.key != trace_key:
            trace = self._traces[name] = _Trace(trace_key, start, len(rule.states))
        surface = SURFACES[key]
        if trace.stopped_at is None and trace.steps < num_steps:
            func = self.update_rules[name]
            self._extend(trace, name, functools.partial(func, **keywords) if keywords else func,
                         surface, lr, num_steps)
        return trace.run(surface, num_steps)

    @staticmethod
    def _extend(trace: _Trace, name: str, call: Callable, surface: Surface, lr: float,
                num_steps: int) -> None:
        """Take the steps ``trace.steps + 1 .. num_steps`` with the student's rule; note the
        first ``w`` outside the view, and stop at the first that blows up."""
        rule = RULES[name]
        outputs = ("w",) + rule.states if rule.states else None
        w, states = trace.w, trace.states
        for t in range(trace.steps + 1, num_steps + 1):
            dw = surface.grad(w)
            args = (w, dw, *states, t, lr) if rule.counts_steps else (w, dw, *states, lr)
            try:
                if outputs is None:
                    w = call_student(call, *args, name=rule.function, shape=(2,))
                else:
                    w, *states = call_student(call, *args, name=rule.function, shape=(2,),
                                              outputs=outputs)
            except StudentFunctionError as exc:
                raise StudentFunctionError(
                    f"{exc} (at step {t} of {LABELS[name]}; switch {LABELS[name]} off to "
                    "race the others)") from exc.__cause__
            x, y = w.tolist()
            if not (math.isfinite(x) and math.isfinite(y)):
                trace.stopped_at, trace.reason = t, "w is not finite"
                break
            trace.points[t] = w
            if trace.left_view_at is None and not surface.contains(x, y):
                trace.left_view_at = t
            if max(abs(x), abs(y)) > DIVERGENCE_BOUND:
                trace.stopped_at, trace.reason = t, "too large"
                break
            if not math.isfinite(float(surface.gap(x, y))):
                trace.stopped_at, trace.reason = t, "loss is not finite"
                break
            trace.w, trace.states, trace.steps = w, states, t

    def _status(self, name: str, run: _Run, surface: Surface) -> str:
        """The legend's two lines (one more if the run left the view, one more if a control
        does not reach the function)."""
        words = f"{LABELS[name]}, lr {self.learning_rates[name]:.3g}\n"
        if run.stopped_at is not None:
            words += f"diverged at step {run.stopped_at}: {_REASONS[run.reason]}"
        else:
            words += f"f − min f = {float(surface.gap(*run.points[-1])):.2g}"
        if run.left_view_at is not None and run.left_view_at != run.stopped_at:
            words += f"\nleft the view at step {run.left_view_at}"
        ignored = self.ignored_settings[name]
        if ignored:
            words += f"\n(takes no {' or '.join(ignored)})"
        return words

    def _show_surface(self, key: str, surface: Surface) -> None:
        """Show the backdrop of ``surface`` (drawn once per surface), its view and minima."""
        width, height = self.figure.get_size_inches()
        self.backdrop.pixels, self.backdrop.x0, self.backdrop.y0 = _backdrop(
            key, float(width), float(height), float(self.figure.dpi))
        self.path_ax.set_xlim(surface.view[0])
        self.path_ax.set_ylim(surface.view[1])
        self.minimum_marker.set_data(*zip(*surface.minima))
        self.start_marker.set_data([self.start.value[0]], [self.start.value[1]])

    def _show_runs(self, surface: Surface, runs: dict, num_steps: int) -> None:
        """Set the paths, the loss curves and the legend for the runs of the shown optimizers."""
        low, high = np.inf, 0.0
        row, top = 0, 1.0  # legend entries shown, and where the next one starts (axes units)
        for name in OPTIMIZERS:
            artists = (self.paths[name], self.path_ends[name], self.loss_lines[name],
                       self.loss_ends[name], self.legend[name])
            run = runs.get(name)
            for artist in artists:
                artist.set_visible(run is not None)
            if run is None:
                continue
            points = run.points
            if run.reason == "too large":  # the point beyond the bound is not drawn as it is
                points = points[:-1] if not surface.contains(*points[-2]) else np.vstack(
                    [points[:-1], _edge_point(points[-2], points[-1], surface.view)])
            gaps = np.maximum(surface.gap(points[:, 0], points[:, 1]), LOSS_FLOOR)
            marker = "x" if run.stopped_at is not None else "o"
            # the axes clip the path at the edge of the view; its end is shown at the edge
            (x_low, x_high), (y_low, y_high) = surface.view
            end = [min(max(points[-1, 0], x_low), x_high), min(max(points[-1, 1], y_low), y_high)]
            self.paths[name].set_data(points[:, 0], points[:, 1])
            self.path_ends[name].set_data([end[0]], [end[1]])
            self.path_ends[name].set_marker(marker)
            steps = np.arange(gaps.shape[0])
            self.loss_lines[name].set_data(steps, gaps)
            self.loss_ends[name].set_data(steps[-1:], gaps[-1:])
            self.loss_ends[name].set_marker(marker if marker == "x" else "")
            self.legend[name].set_text(self.status[name])
            self.legend[name].set_y(top)
            top -= 0.055 * (self.status[name].count("\n") + 1) + 0.06  # its lines and a gap
            row += 1
            low, high = min(low, gaps.min()), max(high, gaps.max())
        if row == 0:
            low, high = 1e-3, 1.0
        self.loss_ax.set_xlim(0, num_steps)
        self.loss_ax.set_ylim(low / 3, max(high * 3, low * 30))
        self.note.set_text(f"after {num_steps} steps" if row else
                           "no optimizer chosen:\npress a button below")


@functools.lru_cache(maxsize=None)
def _backdrop(key: str, width: float, height: float, dpi: float) -> tuple[np.ndarray, int, int]:
    """The path panel of ``SURFACES[key]`` without its paths: contours, ticks, labels, title.

    Drawn once per surface and figure size (and shared by every race) on a figure of ``width``
    by ``height`` inches at ``dpi``, the path axes at ``PATH_RECT``, and cut to the panel's box,
    so that a :class:`_Picture` with these pixels puts each of them where the path axes of a
    figure of that size draw over it.

    Returns
    -------
    pixels : ndarray of uint8, shape (rows, columns, 4)
        The panel (opaque, on white), its bottom row first; shared, so never changed (Agg's
        ``draw_image`` takes only writeable arrays, so it is not marked read-only).
    x0, y0 : int
        Its lower left corner in pixels from the lower left of the figure.
    """
    surface = SURFACES[key]
    figure = Figure(figsize=(width, height), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    ax = figure.add_axes(PATH_RECT)
    (x_low, x_high), (y_low, y_high) = surface.view
    X, Y = np.meshgrid(np.linspace(x_low, x_high, GRID_POINTS),
                       np.linspace(y_low, y_high, GRID_POINTS))
    ax.contour(X, Y, surface.gap(X, Y), levels=list(surface.levels), colors="0.6",
               linewidths=0.7)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    _fix_label_positions(ax, x_label_y=-0.1, y_label_x=-0.1)
    ax.title.set_text(f"{surface.label}: {surface.formula}")
    ax.title.set_fontsize(10)
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        canvas.draw()
        box = ax.get_tightbbox(canvas.get_renderer())
    columns, rows = canvas.get_width_height(physical=True)
    x0, x1 = max(int(box.x0) - 1, 0), min(int(np.ceil(box.x1)) + 1, columns)
    y0, y1 = max(int(box.y0) - 1, 0), min(int(np.ceil(box.y1)) + 1, rows)
    pixels = np.asarray(canvas.buffer_rgba())  # top row first
    return np.ascontiguousarray(pixels[rows - y1:rows - y0, x0:x1][::-1]), x0, y0


class _Picture(Artist):
    """Pixels put on the figure as they are, no resampling: the path panel's backdrop.

    Notes
    -----
    ``Figure.figimage`` would do the same through matplotlib's image pipeline, which converts
    and resamples the picture at every draw (about 6 ms for this one); the renderer's
    ``draw_image`` copies it (well under 1 ms). ``zorder`` -1 puts it below the axes.
    """

    def __init__(self):
        super().__init__()
        self.pixels, self.x0, self.y0 = None, 0, 0
        self.set_zorder(-1)

    def draw(self, renderer) -> None:
        if not self.get_visible() or self.pixels is None:
            return
        gc = renderer.new_gc()
        renderer.draw_image(gc, self.x0, self.y0, self.pixels)
        gc.restore()


def _edge_point(inside: np.ndarray, outside: np.ndarray, view) -> np.ndarray:
    """Where the segment from ``inside`` (in the view) to ``outside`` (finite, far beyond it)
    crosses the edge of the view.

    Notes
    -----
    ``outside`` may be as large as a float gets; the direction ``d`` is computed on both points
    divided by the larger of 1 and ``max |outside|``, so that nothing overflows, and the edge
    is ``inside + s d`` for the smallest ``s`` that reaches a bound.
    """
    scale = max(1.0, float(np.abs(outside).max()))
    d = outside / scale - inside / scale
    s = np.inf
    with np.errstate(divide="ignore", over="ignore"):  # a coordinate that barely moved
        for k, (low, high) in enumerate(view):
            if outside[k] > high:
                s = min(s, (high - inside[k]) / d[k])
            elif outside[k] < low:
                s = min(s, (low - inside[k]) / d[k])
    edge = inside + s * d
    return edge if np.all(np.isfinite(edge)) else inside.copy()
