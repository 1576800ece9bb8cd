"""Gradient flow through a deep stack: depth, activation and initialization as an explorer [E4-E6].

``GradientFlowExplorer(layer_gradient_norms, init_weight)`` is the widget of the assignment on
depth and initialization. Choose the depth and width of a stack of dense layers, its activation
(sigmoid, tanh, ReLU), its initialization (the notes' ``N(0, 1)``, Xavier, He [E6]), a factor
that multiplies every weight, and a seed; see the norm of each layer's weight gradient (bars, on
a log scale) and the histogram of each layer's activations (one row per layer).

What it computes, and whose code runs
-------------------------------------
- The stack is the one of ``course_lib.vanishing.layer_gradient_norms``: ``depth`` layers of
  ``width`` units, ``x^l = φ(x^{l−1} W_l + b_l)`` [A1], [A2], a batch of ``num_samples``
  standard-normal inputs, and the linear loss ``L = Σ G ⊙ x^L`` with a standard-normal ``G``.
  Everything is drawn from ``numpy.random.default_rng(seed)`` in that function's order: the
  weights ``W_1..W_L``, then the biases (``N(0, 1)`` for ``"normal"``, zeros otherwise), then
  the inputs, then ``G``.
- The bars are the student's ``layer_gradient_norms(depth, width, activation, init, rng,
  num_samples)``, called with a fresh ``default_rng(seed)``, when the weight scale is 1. Their
  function has no weight scale, so for any other scale the bars are the norms of
  ``course_lib.vanishing.stack_weight_gradients`` [D6] through the scaled stack;
  ``norms_source`` says which, and so does the figure.
- The weights of the stack whose activations are histogrammed are the student's
  ``init_weight(init, width, width, rng)``, times the weight scale; the forward pass is the
  explorer's. With the same seed it is the stack that their ``layer_gradient_norms`` measured,
  if that draws its numbers in the order above (as course_lib's does).

What to look for
----------------
- [E4] A deep gradient is many ``W`` times many ``φ'``. Sigmoid with small weights (Xavier, or a
  weight scale below 1) shrinks it by ``|σ'| ≤ 1/4`` per layer [E2]: the first layers' bars are
  orders of magnitude below the last. With the notes' ``N(0, 1)`` at width 100 the units
  saturate (``φ' ≈ 0``, activations piled at the ends of their range) but the weights are large
  too, and for tanh the product grows: the first layers' gradients explode.
- [E5] ReLU's ``φ'`` is 0 or 1; with He's scale the bars stay level across the layers. Its
  zeros make the activations sparse (about half are 0), and a unit whose input is negative for
  every sample of the batch is dead: no gradient passes through it (``dead_fraction``).
- [E6] Xavier keeps tanh's signal at one size from layer to layer, He keeps ReLU's.

The explorer only draws what the student's functions return; if one raises, or returns an array
of another shape, or negative or NaN norms, the figure says so and every result attribute is
None until the next update that works.
"""
from __future__ import annotations

from numbers import Integral, Real
from typing import Callable

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from . import vanishing
from .activations import ACTIVATIONS
from .init import INIT_SCHEMES, init_weight as course_init_weight
from .widgets import (SATURATION_THRESHOLD, Explorer, StudentFunctionError,
                      _fix_label_positions, call_student)

__all__ = ["GradientFlowExplorer", "FLOW_ACTIVATIONS", "HISTOGRAM_RANGES", "MAX_DEPTH",
           "MAX_WIDTH", "NUM_BINS"]

#: The activations offered, with the range of their activations' histograms [B1]-[B3].
FLOW_ACTIVATIONS = ("sigmoid", "tanh", "relu")

#: The interval of values each activation's histogram covers; values outside it (ReLU's
#: exploding activations) are counted in its first or last bin.
HISTOGRAM_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 4.0)}

NUM_BINS = 40
#: The largest stack: a redraw of depth 20 or width 200 takes about 55 ms on two cores, and the
#: median of a sweep of either slider stays within 50 ms (benchmarks/bench_widgets.py).
MAX_DEPTH = 20
MAX_WIDTH = 200
MIN_WIDTH = 10
MAX_SEED = 2**31 - 1
#: The weight scale's slider: a factor from 10^-2 to 10^1 (steps of 10^0.1).
SCALE_EXPONENTS = (-2.0, 1.0, 0.1)


def _integer(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return int(value)


def _choice(name: str, value, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _weight_scale(value) -> float:
    low, high = 10.0 ** SCALE_EXPONENTS[0], 10.0 ** SCALE_EXPONENTS[1]
    if (isinstance(value, bool) or not isinstance(value, Real)
            or not low * (1 - 1e-9) <= value <= high * (1 + 1e-9)):
        raise ValueError(f"weight_scale must be a number from {low:g} to {high:g}, "
                         f"got {value!r}")
    return float(value)


def _is_one(scale: float) -> bool:
    """A log slider's 10^0 may arrive as 1 ± a few ulps; that is the unscaled stack."""
    return abs(scale - 1.0) <= 1e-9


def draw_stack(init_weight: Callable, depth: int, width: int, init: str, num_samples: int,
               rng: np.random.Generator, weight_scale: float = 1.0):
    """The weights, biases, inputs and upstream gradient of ``layer_gradient_norms``'s stack.

    Drawn from ``rng`` in that function's order (weights, biases, inputs, ``G``), the weights by
    ``init_weight`` (the student's, checked for shape) and multiplied by ``weight_scale``.

    Returns
    -------
    weights : list of ndarray, shape (width, width)
    biases : list of ndarray, shape (width,)
    X : ndarray, shape (num_samples, width)
    G : ndarray, shape (num_samples, width)

    Raises
    ------
    StudentFunctionError
        If ``init_weight`` raises or returns another shape than ``(width, width)``.
    """
    weights = []
    for _ in range(depth):
        W = call_student(init_weight, init, width, width, rng, name="init_weight",
                         shape=(width, width))
        weights.append(weight_scale * W)
    if init == "normal":  # the notes' b ~ N(0, 1) [E6]; the scaled schemes start at 0
        biases = [rng.normal(0.0, 1.0, size=width) for _ in range(depth)]
    else:
        biases = [np.zeros(width) for _ in range(depth)]
    X = rng.standard_normal((num_samples, width))
    G = rng.standard_normal((num_samples, width))
    return weights, biases, X, G


class GradientFlowExplorer(Explorer):
    """Bars of each layer's gradient norm and histograms of its activations, live [E4-E6].

    Parameters
    ----------
    layer_gradient_norms : callable, optional
        ``layer_gradient_norms(depth, width, activation, init, rng, num_samples)`` returning the
        norms of the weight gradients, shape ``(depth,)``, first layer first (default
        ``course_lib.vanishing.layer_gradient_norms``). Pass your own to see it.
    init_weight : callable, optional
        ``init_weight(init, fan_in, fan_out, rng)`` returning a ``(fan_in, fan_out)`` weight
        matrix (default ``course_lib.init.init_weight``); it draws the weights of the stack
        whose activations are histogrammed, and of the scaled stack.
    depth, width : int, optional
        Initial depth (1 to 20, default 10) and width (10 to 200, default 100).
    activation : {"sigmoid", "tanh", "relu"}, optional
        Initial activation, default ``"sigmoid"`` as in the notes.
    init : {"normal", "xavier", "he"}, optional
        Initial initialization, default the notes' ``"normal"``, ``N(0, 1)`` [E6].
    weight_scale : float, optional
        Initial factor on every weight, 0.01 to 10, default 1.
    seed : int, optional
        Initial seed, default 0.
    num_samples : int, optional
        The batch size ``N`` (1 to 1000, default 64); not a control.

    Attributes
    ----------
    depth, width : ipywidgets.IntSlider
    activation, init : ipywidgets.Dropdown
    weight_scale : ipywidgets.FloatLogSlider
        Multiplies every weight (not the biases).
    seed : ipywidgets.BoundedIntText
    norms : ndarray, shape (depth,)
        The bars: ``‖∂L/∂W_l‖`` per layer, first layer first [E4].
    norms_source : str
        ``"layer_gradient_norms"`` (the student's function, weight scale 1) or ``"explorer"``
        (course_lib's backpropagation through the scaled stack).
    layer_outputs : list of ndarray, shape (num_samples, width)
        The activations ``x^1..x^L`` of the stack.
    bin_edges : ndarray, shape (NUM_BINS + 1,)
        The histograms' bins, over ``HISTOGRAM_RANGES[activation]``.
    histograms : ndarray, shape (depth, NUM_BINS)
        Per layer, the fraction of its ``num_samples · width`` activations in each bin (values
        outside the range counted in the end bins); each row sums to 1.
    activation_std : ndarray, shape (depth,)
        The standard deviation of each layer's activations.
    saturated_fraction : ndarray, shape (depth,)
        The fraction of each layer's (sample, unit) pairs with ``|φ'(s)| <
        SATURATION_THRESHOLD``: a gradient through them is multiplied by less than 0.05 [E4].
    dead_fraction : ndarray, shape (depth,)
        The fraction of each layer's units with ``φ'(s) = 0`` for every sample of the batch:
        dead units, through which no gradient passes (ReLU with negative input [E5]).

    After an update in which a student's function failed, every result attribute is None and
    ``error`` holds the message shown. The other attributes (``image``, ``figure``, ``error``,
    ``widget``) are those of :class:`course_lib.widgets.Explorer`.

    Raises
    ------
    TypeError
        If ``layer_gradient_norms`` or ``init_weight`` is not callable.
    ValueError
        If a setting is outside its range; the message names the setting.
    """

    def __init__(self, layer_gradient_norms: Callable = vanishing.layer_gradient_norms,
                 init_weight: Callable = course_init_weight, *, depth: int = 10,
                 width: int = 100, activation: str = "sigmoid", init: str = "normal",
                 weight_scale: float = 1.0, seed: int = 0, num_samples: int = 64):
        for name, func in (("layer_gradient_norms", layer_gradient_norms),
                           ("init_weight", init_weight)):
            if not callable(func):
                raise TypeError(f"{name} must be a function, got {type(func).__name__}")
        self.layer_gradient_norms = layer_gradient_norms
        self.init_weight = init_weight
        self.num_samples = _integer("num_samples", num_samples, 1, 1000)
        low, high, step = SCALE_EXPONENTS
        controls = {
            "depth": widgets.IntSlider(value=_integer("depth", depth, 1, MAX_DEPTH), min=1,
                                       max=MAX_DEPTH, description="depth"),
            "width": widgets.IntSlider(value=_integer("width", width, MIN_WIDTH, MAX_WIDTH),
                                       min=MIN_WIDTH, max=MAX_WIDTH, step=10,
                                       description="width"),
            "activation": widgets.Dropdown(options=list(FLOW_ACTIVATIONS),
                                           value=_choice("activation", activation,
                                                         FLOW_ACTIVATIONS),
                                           description="activation"),
            "init": widgets.Dropdown(options=list(INIT_SCHEMES),
                                     value=_choice("init", init, INIT_SCHEMES),
                                     description="init"),
            "weight_scale": widgets.FloatLogSlider(value=_weight_scale(weight_scale), base=10,
                                                   min=low, max=high, step=step,
                                                   description="weights ×",
                                                   readout_format=".3g"),
            "seed": widgets.BoundedIntText(value=_integer("seed", seed, 0, MAX_SEED), min=0,
                                           max=MAX_SEED, description="seed"),
        }
        self._clear_results()
        super().__init__(controls, figsize=(9.0, 3.4), width="760px")

    # -- Explorer -------------------------------------------------------------------------------
    def build(self, figure: Figure) -> None:
        self.bar_ax, self.hist_ax = figure.subplots(1, 2)
        layers = np.arange(1, MAX_DEPTH + 1)
        self.bars = self.bar_ax.bar(layers, np.ones(MAX_DEPTH), color="tab:blue", log=True)
        self.bar_ax.set_xlabel("layer (1 = next to the input)")
        self.bar_ax.set_ylabel("‖∂L/∂W‖")
        self.bar_ax.grid(alpha=0.3, axis="y")
        self.bar_ax.yaxis.set_minor_locator(NullLocator())  # ticks at the decades only
        _fix_label_positions(self.bar_ax, x_label_y=-0.14, y_label_x=-0.15)
        self.bar_ax.title.set_fontsize(9)
        self.heatmap = self.hist_ax.imshow(np.zeros((1, NUM_BINS)), aspect="auto",
                                           origin="lower", cmap="viridis", vmin=0.0, vmax=1.0,
                                           interpolation="nearest")
        self.hist_ax.set_xlabel("activation (end bins: values beyond)")
        self.hist_ax.set_ylabel("layer")
        _fix_label_positions(self.hist_ax, x_label_y=-0.14, y_label_x=-0.1)
        self.hist_ax.title.set_fontsize(9)
        self.title = figure.suptitle("", fontsize=10)
        figure.subplots_adjust(left=0.1, right=0.98, bottom=0.16, top=0.82, wspace=0.22)

    def draw(self) -> None:
        self._clear_results()
        depth, width = self.depth.value, self.width.value
        activation, init = self.activation.value, self.init.value
        scale = 1.0 if _is_one(self.weight_scale.value) else float(self.weight_scale.value)
        seed, n = self.seed.value, self.num_samples
        self.title.set_text(f"{activation}, {init} weights × {scale:.3g}, depth {depth}, "
                            f"width {width}, seed {seed}")
        weights, biases, X, G = draw_stack(self.init_weight, depth, width, init, n,
                                           np.random.default_rng(seed), scale)
        pre_activations, outputs = self._forward(X, weights, biases, activation)
        if _is_one(scale):
            norms = self.call(self.layer_gradient_norms, depth, width, activation, init,
                              np.random.default_rng(seed), n, name="layer_gradient_norms",
                              shape=(depth,))
            if not np.all(norms >= 0):  # also catches NaN
                raise StudentFunctionError(
                    "your layer_gradient_norms returned a negative or NaN norm: "
                    f"{np.array2string(norms, precision=3, threshold=6)}; a norm is >= 0")
            source = "layer_gradient_norms"
        else:
            gradients = vanishing.stack_weight_gradients(X, weights, biases, activation, G)
            norms = np.array([np.linalg.norm(dW) for dW in gradients])
            source = "explorer"
        self._set_results(norms, source, pre_activations, outputs, activation)
        self._show(depth, activation, scale)

    def render_png(self) -> bytes:
        """The figure as PNG bytes, its text drawn without hinting (as ``GraphExplorer``'s).

        Notes
        -----
        FreeType's automatic hinting of the glyphs (matplotlib's default) takes about a third
        of a redraw of this figure's tick labels and titles; unhinted text looks the same at
        this size. The setting applies to this figure's drawing only.
        """
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            return super().render_png()

    def layout(self) -> widgets.Widget:
        return widgets.VBox([
            widgets.HBox([widgets.VBox([self.depth, self.width, self.seed]),
                          widgets.VBox([self.activation, self.init, self.weight_scale])]),
            self.image])

    # -- the steps of draw ----------------------------------------------------------------------
    def _clear_results(self) -> None:
        self.norms = self.norms_source = self.layer_outputs = self.bin_edges = None
        self.histograms = self.activation_std = None
        self.saturated_fraction = self.dead_fraction = None

    @staticmethod
    def _forward(X, weights, biases, activation):
        """Pre-activations ``s^l = x^{l−1} W_l + b_l`` [A1] and activations ``x^l = φ(s^l)``."""
        phi = ACTIVATIONS[activation][0]
        pre_activations, outputs, x = [], [], X
        for W, b in zip(weights, biases):
            s = x @ W + b
            x = phi(s)
            pre_activations.append(s)
            outputs.append(x)
        return pre_activations, outputs

    def _set_results(self, norms, source, pre_activations, outputs, activation) -> None:
        low, high = HISTOGRAM_RANGES[activation]
        a = np.stack(outputs)  # (depth, N, width)
        depth = a.shape[0]
        # bin k holds [low + k h, low + (k+1) h); values beyond the range go to the end bins
        index = np.clip(np.floor((a - low) / (high - low) * NUM_BINS), 0, NUM_BINS - 1)
        index = index.astype(np.int64).reshape(depth, -1) + NUM_BINS * np.arange(depth)[:, None]
        counts = np.bincount(index.ravel(), minlength=depth * NUM_BINS)
        phi_grad = np.stack([ACTIVATIONS[activation][1](s) for s in pre_activations])
        self.norms, self.norms_source, self.layer_outputs = norms, source, outputs
        self.bin_edges = np.linspace(low, high, NUM_BINS + 1)
        self.histograms = counts.reshape(depth, NUM_BINS) / (a.shape[1] * a.shape[2])
        self.activation_std = a.std(axis=(1, 2))
        self.saturated_fraction = (np.abs(phi_grad) < SATURATION_THRESHOLD).mean(axis=(1, 2))
        self.dead_fraction = (phi_grad == 0).all(axis=1).mean(axis=1)

    def _show(self, depth: int, activation: str, scale: float) -> None:
        norms = self.norms
        for k, bar in enumerate(self.bars):
            bar.set_visible(k < depth)
            if k < depth:
                bar.set_height(norms[k])
        positive = norms[np.isfinite(norms) & (norms > 0)]
        if positive.size:
            self.bar_ax.set_ylim(positive.min() / 3, positive.max() * 3)
        else:  # every gradient is 0 (or not finite): nothing to put on a log scale
            self.bar_ax.set_ylim(1e-3, 1.0)
        self.bar_ax.set_xlim(0.4, depth + 0.6)
        ratio = norms[0] / norms[-1] if norms[-1] > 0 else np.inf
        who = ("your layer_gradient_norms" if self.norms_source == "layer_gradient_norms"
               else "the explorer's backprop")
        self.bar_ax.title.set_text(f"{who}: first / last = {ratio:.3g}")
        # each row scaled to its largest bin, so that every layer's shape is visible, and its
        # square root shown, so that a spike (ReLU's zeros) does not hide the rest
        peaks = self.histograms.max(axis=1, keepdims=True)
        self.heatmap.set_data(np.sqrt(self.histograms / np.where(peaks > 0, peaks, 1.0)))
        low, high = HISTOGRAM_RANGES[activation]
        self.heatmap.set_extent((low, high, 0.5, depth + 0.5))
        words = f"activations: {self.saturated_fraction.mean():.0%} saturated"
        if activation == "relu":
            words += f", dead units up to {self.dead_fraction.max():.0%}"
        self.hist_ax.title.set_text(words)
