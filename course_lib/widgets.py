"""Interactive explorers for the notebooks, built on ipywidgets and matplotlib.

Each explorer has a plain plotting function that draws one static figure, and a class whose
controls are named attributes (``explorer.function``, ``explorer.alpha``, ...), so that a test or a
student can set them from code as well as with the mouse. The picture is a PNG in an
``ipywidgets.Image``: it renders in JupyterLab, in a notebook run by nbconvert, and in tests,
without an interactive matplotlib backend.

Explorers accept the student's own functions, so that a student sees their implementation
behave (and, if it fails, the error in the figure's title).
"""
from __future__ import annotations

import inspect
import io
from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import activations, losses

__all__ = ["plot_activation", "ActivationExplorer", "plot_softmax", "SoftmaxExplorer",
           "SATURATION_THRESHOLD"]

#: |f'(x)| below this marks a saturated (or dead) region: a gradient passing through a unit
#: there is multiplied by less than 0.05, and a chain of such units makes it vanish [E2, E4].
SATURATION_THRESHOLD = 0.05


def _takes_alpha(func: Callable) -> bool:
    try:
        return "alpha" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _call(func: Callable, x: np.ndarray, alpha: float | None) -> np.ndarray:
    out = func(x, alpha) if alpha is not None and _takes_alpha(func) else func(x)
    return np.asarray(out, dtype=np.float64)


def _saturated_spans(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Intervals of x where mask holds, as (start, stop) pairs."""
    spans, start = [], None
    for xi, m in zip(x, mask):
        if m and start is None:
            start = xi
        elif not m and start is not None:
            spans.append((start, xi))
            start = None
    if start is not None:
        spans.append((start, x[-1]))
    return spans


def _to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def plot_activation(f: Callable, f_grad: Callable, *, alpha: float | None = None,
                    x_range: tuple[float, float] = (-6.0, 6.0), name: str | None = None,
                    num_points: int = 601) -> Figure:
    """Plot an activation function and its derivative, shading where it saturates.

    Parameters
    ----------
    f, f_grad : callable
        The activation and its derivative, elementwise on arrays [B1-B7].
    alpha : float, optional
        Passed to functions that take an ``alpha`` argument (leaky ReLU, ELU).
    x_range : (float, float)
        The interval of x to plot.
    name : str, optional
        The title (default: the function's name).
    num_points : int
        Number of points on the x grid.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: f(x) and f'(x); the regions where |f'(x)| < SATURATION_THRESHOLD are shaded.
    """
    lo, hi = float(x_range[0]), float(x_range[1])
    if not lo < hi:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
    x = np.linspace(lo, hi, num_points)
    fig = Figure(figsize=(9, 3.2))
    ax_f, ax_g = fig.subplots(1, 2)
    title = name or getattr(f, "__name__", "f")
    try:
        y, dy = _call(f, x, alpha), _call(f_grad, x, alpha)
        if y.shape != x.shape or dy.shape != x.shape:
            raise ValueError(f"expected outputs of shape {x.shape}, got {y.shape} and {dy.shape}")
    except Exception as exc:  # shown to the student in the figure, not raised
        fig.suptitle(f"{title}: {type(exc).__name__}: {exc}", color="crimson", fontsize=9)
        return fig
    saturated = np.abs(dy) < SATURATION_THRESHOLD
    for ax, values, label in ((ax_f, y, f"{title}(x)"), (ax_g, dy, f"{title}'(x)")):
        ax.plot(x, values, color="tab:blue" if ax is ax_f else "tab:orange", lw=2)
        for a, b in _saturated_spans(x, saturated):
            ax.axvspan(a, b, color="grey", alpha=0.2, lw=0)
        ax.axhline(0, color="black", lw=0.5)
        ax.axvline(0, color="black", lw=0.5)
        ax.set_title(label)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{title}" + (f" (alpha = {alpha:g})" if alpha is not None else "")
                 + f"; shaded: |f'(x)| < {SATURATION_THRESHOLD}", fontsize=10)
    fig.tight_layout()
    return fig


class ActivationExplorer:
    """Choose an activation, see f and f' over a range; a slider for alpha where it applies.

    Parameters
    ----------
    functions : mapping of str to (f, f_grad), optional
        The activations to offer (default: ``course_lib.activations.ACTIVATIONS``). Pass your own
        to see your implementation.
    x_range : (float, float)
        Initial interval of x.

    Attributes
    ----------
    function : ipywidgets.Dropdown
        Which activation is shown.
    alpha : ipywidgets.FloatSlider
        The alpha of leaky ReLU and ELU; disabled for functions without it.
    x_range : ipywidgets.FloatRangeSlider
        The interval of x.
    image : ipywidgets.Image
        The rendered figure (PNG).
    x, y, dy : ndarray
        The last plotted grid, f(x) and f'(x).
    saturated : ndarray of bool
        Where |f'(x)| < SATURATION_THRESHOLD in the last plot.
    error : str or None
        The error raised by the chosen function, if any.
    widget : ipywidgets.VBox
        The whole explorer; displaying the explorer displays this.
    """

    def __init__(self, functions: Mapping[str, tuple[Callable, Callable]] | None = None,
                 x_range: tuple[float, float] = (-6.0, 6.0)):
        self.functions = dict(functions if functions is not None else activations.ACTIVATIONS)
        if not self.functions:
            raise ValueError("functions must name at least one (f, f_grad) pair")
        for key, pair in self.functions.items():
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(map(callable, pair))):
                raise TypeError(f"functions[{key!r}] must be a pair (f, f_grad) of functions")
        self.function = widgets.Dropdown(options=list(self.functions), description="function")
        self.alpha = widgets.FloatSlider(value=0.1, min=0.0, max=2.0, step=0.01,
                                         description="alpha", continuous_update=False)
        self.x_range = widgets.FloatRangeSlider(value=tuple(x_range), min=-20.0, max=20.0,
                                                step=0.5, description="x range",
                                                continuous_update=False)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="720px"))
        self.x = self.y = self.dy = self.saturated = None
        self.error: str | None = None
        for control in (self.function, self.alpha, self.x_range):
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.function, self.alpha]), self.x_range,
                                    self.image])
        self.render()

    def _on_change(self, change) -> None:
        self.render()

    def render(self) -> None:
        """Redraw the figure for the current values of the controls."""
        f, f_grad = self.functions[self.function.value]
        uses_alpha = _takes_alpha(f)
        self.alpha.disabled = not uses_alpha
        alpha = self.alpha.value if uses_alpha else None
        lo, hi = self.x_range.value
        if lo == hi:
            hi = lo + 0.5
        fig = plot_activation(f, f_grad, alpha=alpha, x_range=(lo, hi), name=self.function.value)
        self.x = np.linspace(lo, hi, 601)
        try:
            self.y, self.dy = _call(f, self.x, alpha), _call(f_grad, self.x, alpha)
            self.saturated = np.abs(self.dy) < SATURATION_THRESHOLD
            self.error = None
        except Exception as exc:  # shown in the figure's title as well
            self.y = self.dy = self.saturated = None
            self.error = f"{type(exc).__name__}: {exc}"
        self.image.value = _to_png(fig)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def plot_softmax(logits, *, softmax: Callable | None = None, temperature: float = 1.0,
                 label: int | None = None) -> Figure:
    """Bar chart of softmax(logits / temperature), with the cross-entropy for one label.

    Parameters
    ----------
    logits : array_like, shape (K,)
        One vector of logits [B9].
    softmax : callable, optional
        The softmax to use (default ``course_lib.losses.softmax``); it is called on a (1, K)
        array.
    temperature : float
        Divides the logits; large values flatten the distribution, small ones sharpen it.
    label : int, optional
        The true class; the title then shows the cross-entropy -log p[label] [C3].

    Returns
    -------
    matplotlib.figure.Figure
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1:
        raise ValueError(f"logits must be one vector of shape (K,), got shape {z.shape}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    fn = softmax or losses.softmax
    p = np.asarray(fn((z / temperature)[None, :]), dtype=np.float64).reshape(-1)
    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    colors = ["tab:green" if k == label else "tab:blue" for k in range(len(p))]
    ax.bar(np.arange(len(p)), p, color=colors)
    for k, pk in enumerate(p):
        ax.text(k, pk + 0.02, f"{pk:.3f}", ha="center", fontsize=9)
    ax.set_ylim(0, 1.1)
    ax.set_xticks(np.arange(len(p)), [f"class {k}" for k in range(len(p))])
    ax.set_ylabel("probability")
    title = f"softmax(z / {temperature:g})"
    if label is not None:
        title += f";  cross-entropy for class {label}: {-np.log(max(p[label], 1e-300)):.4f}"
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


class SoftmaxExplorer:
    """Sliders for the logits and a temperature; bars of the probabilities; the cross-entropy.

    Parameters
    ----------
    softmax : callable, optional
        The softmax to use (default ``course_lib.losses.softmax``); pass your own to see it.
    logits : sequence of float
        Initial logits; their number K fixes the number of sliders.

    Attributes
    ----------
    logits : list of ipywidgets.FloatSlider
        One slider per logit z_k.
    temperature : ipywidgets.FloatLogSlider
        T in softmax(z / T).
    label : ipywidgets.Dropdown
        The true class for the cross-entropy.
    image : ipywidgets.Image
        The rendered bar chart (PNG).
    probabilities : ndarray, shape (K,)
        The last computed probabilities.
    loss : float
        The last cross-entropy -log p[label].
    error : str or None
        The error raised by the softmax, if any.
    widget : ipywidgets.VBox
    """

    def __init__(self, softmax: Callable | None = None, logits=(1.0, 2.0, 3.0)):
        z0 = np.asarray(logits, dtype=np.float64)
        if z0.ndim != 1 or not 2 <= z0.size <= 8:
            raise ValueError(f"logits must be a vector of 2 to 8 numbers, got shape {z0.shape}")
        self.softmax = softmax or losses.softmax
        self.logits = [widgets.FloatSlider(value=float(v), min=-10.0, max=10.0, step=0.1,
                                           description=f"z{k}", continuous_update=False)
                       for k, v in enumerate(z0)]
        self.temperature = widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05,
                                                  description="temperature",
                                                  continuous_update=False)
        self.label = widgets.Dropdown(options=list(range(z0.size)), value=z0.size - 1,
                                      description="true class")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="540px"))
        self.probabilities = None
        self.loss = None
        self.error: str | None = None
        for control in (*self.logits, self.temperature, self.label):
            control.observe(self._on_change, names="value")
        self.widget = widgets.HBox([widgets.VBox([*self.logits, self.temperature, self.label]),
                                    self.image])
        self.render()

    def _on_change(self, change) -> None:
        self.render()

    def render(self) -> None:
        """Recompute the probabilities and redraw."""
        z = np.array([s.value for s in self.logits])
        try:
            fig = plot_softmax(z, softmax=self.softmax, temperature=self.temperature.value,
                               label=self.label.value)
            p = np.asarray(self.softmax((z / self.temperature.value)[None, :]),
                           dtype=np.float64).reshape(-1)
            self.probabilities = p
            self.loss = float(-np.log(max(p[self.label.value], 1e-300)))
            self.error = None
        except Exception as exc:  # shown to the student instead of a chart
            fig = Figure(figsize=(6, 3.2))
            fig.suptitle(f"softmax raised {type(exc).__name__}: {exc}", color="crimson",
                         fontsize=9)
            self.probabilities, self.loss = None, None
            self.error = f"{type(exc).__name__}: {exc}"
        self.image.value = _to_png(fig)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
