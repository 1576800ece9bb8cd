"""Interactive explorers for the notebooks, built on ipywidgets and matplotlib.

Each explorer has a plain plotting function that draws one static figure (``plot_activation``,
``plot_softmax``), and a class whose controls are named attributes (``explorer.function``,
``explorer.alpha``, ...), so that a test or a student can set them from code as well as with the
mouse. The picture is a PNG in an ``ipywidgets.Image``: it renders in JupyterLab, in a notebook
run by nbconvert, and in tests, without an interactive matplotlib backend.

Explorers accept the student's own functions, so that a student sees their implementation
behave; if it raises, or returns an array of the wrong shape, the figure says so ("your softmax
raised ValueError: ...") and the explorer keeps working.

Writing a new explorer
----------------------
Subclass :class:`Explorer`. The constructor stores what ``draw`` needs, then hands the named
controls to the base class; ``build`` creates the figure's axes and artists once; ``draw`` reads
the controls, calls the student's function through ``self.call`` and updates those artists in
place (``set_data``, ``set_height``, ``set_text``, axis limits). The base class does the rest:
it redraws when a control changes, renders the PNG, shows a student's error in the figure and
displays the explorer in a notebook::

    class SineExplorer(Explorer):
        '''Drag k, see the student's sine of k x.'''

        def __init__(self, sine):
            self.sine = sine
            super().__init__({"k": widgets.FloatSlider(value=1.0, min=0.5, max=5.0)})

        def build(self, figure):
            self.x = np.linspace(-np.pi, np.pi, 201)
            ax = figure.subplots()
            (self.line,) = ax.plot(self.x, np.zeros_like(self.x))
            ax.set_ylim(-1.1, 1.1)

        def draw(self):
            y = self.call(self.sine, self.k.value * self.x, name="sine", shape=self.x.shape)
            self.line.set_ydata(y)

Building the figure once and updating its artists keeps a redraw well under 50 ms
(``benchmarks/bench_widgets.py`` measures it); building a new figure per change takes about three
times longer. So the sliders redraw while they are dragged (``continuous_update``, the
ipywidgets default); ipywidgets sends the kernel only the latest value while it is busy, so
changes do not queue up. Keep ``draw`` cheap: no new axes, no ``tight_layout`` (it draws the
figure once more), fixed positions for titles and axis labels (see ``_fix_label_positions``).
"""
from __future__ import annotations

import inspect
import io
import textwrap
from typing import Callable, Mapping

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from . import activations, losses

__all__ = ["Explorer", "StudentFunctionError", "call_student", "plot_activation",
           "ActivationExplorer", "plot_softmax", "SoftmaxExplorer", "SATURATION_THRESHOLD"]

#: |f'(x)| below this marks a saturated (or dead) region: a gradient passing through a unit
#: there is multiplied by less than 0.05, and a chain of such units makes it vanish [E2, E4].
SATURATION_THRESHOLD = 0.05

ERROR_COLOR = "crimson"


# ---------------------------------------------------------------------------------------------
# The base class
# ---------------------------------------------------------------------------------------------
class StudentFunctionError(Exception):
    """A student's function raised, or returned something an explorer cannot plot.

    The message is the sentence shown in the figure, e.g. ``"your softmax raised ValueError:
    ..."``; the original exception, if any, is the ``__cause__``.
    """


def call_student(func: Callable, *args, name: str,
                 shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Call a student's function; return its result as a float64 array.

    Parameters
    ----------
    func : callable
        The student's function.
    *args
        Its arguments.
    name : str
        What the student calls it, for the message ("softmax", "relu's derivative").
    shape : tuple of int, optional
        The shape the result must have.

    Returns
    -------
    ndarray
        ``func(*args)`` as float64.

    Raises
    ------
    StudentFunctionError
        If ``func`` raises, returns something that is not an array of numbers, or returns an
        array of another shape. Explorers catch it and show its message in the figure.
    """
    try:
        out = func(*args)
    except Exception as exc:  # any error of the student's code is reported, not raised
        raise StudentFunctionError(f"your {name} raised {type(exc).__name__}: {exc}") from exc
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise StudentFunctionError(f"your {name} returned a {type(out).__name__}, "
                                   "not an array of numbers") from exc
    if shape is not None and out.shape != tuple(shape):
        raise StudentFunctionError(f"your {name} returned an array of shape {out.shape}; "
                                   f"expected shape {tuple(shape)}")
    return out


class Explorer:
    """Base class of the explorers: named controls, one reused figure, a PNG image.

    A subclass sets what it needs, then calls ``super().__init__(controls)``; it implements
    ``build`` (create the axes and artists, once) and ``draw`` (update them for the current
    values of the controls), and may override ``layout``. See the module docstring.

    Parameters
    ----------
    controls : mapping of str to ipywidgets.ValueWidget
        The controls by name; each becomes an attribute of the same name
        (``explorer.temperature``). Changing the value of any of them calls ``update``.
    figsize : (float, float)
        Size of the figure in inches.
    width : str
        Width of the displayed image (CSS), e.g. ``"540px"``.
    dpi : float
        Resolution of the PNG; its width in pixels is ``figsize[0] * dpi``.

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        The named controls.
    figure : matplotlib.figure.Figure
        The one figure, drawn again by every ``update``.
    image : ipywidgets.Image
        The rendered figure (PNG).
    error : str or None
        The message shown for the student's function in the last update, or None if it worked.
    widget : ipywidgets.Widget
        The whole explorer, as built by ``layout``; displaying the explorer displays this.
    """

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], *,
                 figsize: tuple[float, float] = (6.0, 3.2), width: str = "540px",
                 dpi: float = 100.0):
        self.controls = dict(controls)
        for name, control in self.controls.items():
            if hasattr(self, name):
                raise ValueError(f"the control name {name!r} is already an attribute of "
                                 f"{type(self).__name__}")
            setattr(self, name, control)
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self._canvas = FigureCanvasAgg(self.figure)
        self.image = widgets.Image(format="png", layout=widgets.Layout(width=width))
        self.error: str | None = None
        self.build(self.figure)
        self._message = self.figure.text(0.5, 0.5, "", ha="center", va="center",
                                         color=ERROR_COLOR, fontsize=11, visible=False)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.widget = self.layout()
        self.update()

    # -- what a subclass writes ---------------------------------------------------------------
    def build(self, figure: Figure) -> None:
        """Create the axes and artists of ``figure``; called once, before the first ``draw``."""
        raise NotImplementedError(f"{type(self).__name__} must define build(figure)")

    def draw(self) -> None:
        """Update the artists for the current values of the controls.

        Call the student's functions through ``self.call``; a ``StudentFunctionError`` it
        raises is caught by ``update`` and shown in the figure. Set result attributes (the last
        computed values) to None before calling, so that after an error none is stale.
        """
        raise NotImplementedError(f"{type(self).__name__} must define draw()")

    def layout(self) -> widgets.Widget:
        """The widget shown in the notebook: by default the controls in a column, then the
        image."""
        return widgets.HBox([widgets.VBox(list(self.controls.values())), self.image])

    # -- what the base class does -------------------------------------------------------------
    call = staticmethod(call_student)

    def update(self) -> None:
        """Redraw once for the current values of the controls and render the PNG.

        Called whenever a control changes; a student's error is shown in the figure instead of
        the plot, and stored in ``error``.
        """
        try:
            self.draw()
        except StudentFunctionError as exc:
            self.error = str(exc)
        else:
            self.error = None
        self._show_error(self.error)
        self.image.value = self.render_png()

    def render_png(self) -> bytes:
        """The figure as it is now, as PNG bytes."""
        self._canvas.draw()
        width, height = self._canvas.get_width_height(physical=True)
        picture = PILImage.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba(),
                                      "raw", "RGBA", 0, 1).convert("RGB")  # opaque figure
        buffer = io.BytesIO()
        # The fastest compression (zlib level 1): a PNG some 10% larger than at the default
        # level, encoded in about 60% of the time.
        picture.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()

    def _show_error(self, message: str | None) -> None:
        """Hide the axes and show ``message`` in their place; or show the axes again."""
        for ax in self.figure.axes:
            ax.set_visible(message is None)
        self._message.set_visible(message is not None)
        if message is not None:
            columns = int(self.figure.get_figwidth() * 10)  # about 10 characters per inch
            self._message.set_text(textwrap.fill(message, columns))

    def _on_change(self, change) -> None:
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# ---------------------------------------------------------------------------------------------
# Activation functions
# ---------------------------------------------------------------------------------------------
def _takes_alpha(func: Callable) -> bool:
    try:
        return "alpha" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _call_activation(func: Callable, x: np.ndarray, alpha: float | None,
                     name: str) -> np.ndarray:
    args = (x, alpha) if alpha is not None and _takes_alpha(func) else (x,)
    return call_student(func, *args, name=name, shape=x.shape)


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


def _padded_limits(values: np.ndarray, include: float | None = None,
                   margin: float = 0.05) -> tuple[float, float]:
    """(low, high) around the finite values (and ``include``), widened by ``margin``."""
    finite = values[np.isfinite(values)]
    if include is not None:
        finite = np.append(finite, include)
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = margin * (hi - lo) if hi > lo else max(abs(lo), 1.0) * margin * 10
    return lo - pad, hi + pad


def _fix_label_positions(ax, x_label_y: float, y_label_x: float) -> None:
    """Place the title and the axis labels of ``ax`` at fixed positions (axes coordinates).

    By default matplotlib places them anew at every draw, measuring every tick label to avoid
    them; that takes a third of the time of redrawing a small figure. The positions given here
    clear tick labels of up to about five characters.
    """
    ax.set_title(ax.get_title() or " ", y=1.0)  # giving y turns the automatic placing off
    ax.xaxis.set_label_coords(0.5, x_label_y)
    ax.yaxis.set_label_coords(y_label_x, 0.5)


class _ActivationPlot:
    """The two panels of ``plot_activation``, built once and updated in place by ``show``."""

    def __init__(self, figure: Figure):
        self.axes = figure.subplots(1, 2)
        self.lines, self.spans = [], []
        for ax, color in zip(self.axes, ("tab:blue", "tab:orange")):
            self.lines.append(ax.plot([], [], color=color, lw=2)[0])  # lines[0]: the curve
            self.spans.append([])  # the shaded bands, reused: hidden when not needed
            ax.axhline(0, color="black", lw=0.5)
            ax.axvline(0, color="black", lw=0.5)
            ax.set_xlabel("x")
            ax.grid(alpha=0.3)
            _fix_label_positions(ax, x_label_y=-0.14, y_label_x=-0.1)
        self.title = figure.suptitle("", fontsize=10)
        figure.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.80, wspace=0.22)

    def show(self, x: np.ndarray, y: np.ndarray, dy: np.ndarray, saturated: np.ndarray,
             name: str, alpha: float | None) -> None:
        spans = _saturated_spans(x, saturated)
        x_limits = _padded_limits(x)
        for ax, line, pool, values, label in zip(self.axes, self.lines, self.spans, (y, dy),
                                                 (f"{name}(x)", f"{name}'(x)")):
            line.set_data(x, values)
            while len(pool) < len(spans):
                pool.append(ax.axvspan(0.0, 0.0, color="grey", alpha=0.2, lw=0))
            for k, band in enumerate(pool):
                band.set_visible(k < len(spans))
                if k < len(spans):
                    band.set_x(spans[k][0])
                    band.set_width(spans[k][1] - spans[k][0])
            ax.set_xlim(*x_limits)
            ax.set_ylim(*_padded_limits(values, include=0.0))
            ax.title.set_text(label)
        self.title.set_text(f"{name}" + (f" (alpha = {alpha:g})" if alpha is not None else "")
                            + f"; shaded: |f'(x)| < {SATURATION_THRESHOLD}")


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
        If ``f`` or ``f_grad`` raises or returns another shape than x, the title says so.
    """
    lo, hi = float(x_range[0]), float(x_range[1])
    if not lo < hi:
        raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
    x = np.linspace(lo, hi, num_points)
    title = name or getattr(f, "__name__", "f")
    fig = Figure(figsize=(9, 3.2))
    plot = _ActivationPlot(fig)
    try:
        y = _call_activation(f, x, alpha, title)
        dy = _call_activation(f_grad, x, alpha, f"{title}'s derivative")
    except StudentFunctionError as exc:  # shown to the student in the figure, not raised
        fig.suptitle(str(exc), color=ERROR_COLOR, fontsize=9)
        for ax in plot.axes:
            ax.set_visible(False)
        return fig
    plot.show(x, y, dy, np.abs(dy) < SATURATION_THRESHOLD, title, alpha)
    return fig


class ActivationExplorer(Explorer):
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
    x, y, dy : ndarray, shape (601,)
        The last plotted grid, f(x) and f'(x) (y and dy are None after an error).
    saturated : ndarray of bool, shape (601,)
        Where |f'(x)| < SATURATION_THRESHOLD in the last plot.

    The other attributes (``image``, ``figure``, ``error``, ``widget``) are those of
    :class:`Explorer`.
    """

    num_points = 601

    def __init__(self, functions: Mapping[str, tuple[Callable, Callable]] | None = None,
                 x_range: tuple[float, float] = (-6.0, 6.0)):
        self.functions = dict(functions if functions is not None else activations.ACTIVATIONS)
        if not self.functions:
            raise ValueError("functions must name at least one (f, f_grad) pair")
        for key, pair in self.functions.items():
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(map(callable, pair))):
                raise TypeError(f"functions[{key!r}] must be a pair (f, f_grad) of functions")
        self.x = self.y = self.dy = self.saturated = None
        super().__init__({
            "function": widgets.Dropdown(options=list(self.functions), description="function"),
            "alpha": widgets.FloatSlider(value=0.1, min=0.0, max=2.0, step=0.01,
                                         description="alpha"),
            "x_range": widgets.FloatRangeSlider(value=tuple(x_range), min=-20.0, max=20.0,
                                                step=0.5, description="x range"),
        }, figsize=(9, 3.2), width="720px")

    def build(self, figure: Figure) -> None:
        self._plot = _ActivationPlot(figure)

    def draw(self) -> None:
        name = self.function.value
        f, f_grad = self.functions[name]
        uses_alpha = _takes_alpha(f)
        self.alpha.disabled = not uses_alpha
        alpha = self.alpha.value if uses_alpha else None
        lo, hi = self.x_range.value
        if lo == hi:
            hi = lo + 0.5
        self.x = np.linspace(lo, hi, self.num_points)
        self.y = self.dy = self.saturated = None
        self._plot.title.set_text(name)  # what stays above an error message
        y = _call_activation(f, self.x, alpha, name)
        dy = _call_activation(f_grad, self.x, alpha, f"{name}'s derivative")
        self.y, self.dy, self.saturated = y, dy, np.abs(dy) < SATURATION_THRESHOLD
        self._plot.show(self.x, y, dy, self.saturated, name, alpha)

    def layout(self) -> widgets.Widget:
        return widgets.VBox([widgets.HBox([self.function, self.alpha]), self.x_range,
                             self.image])


# ---------------------------------------------------------------------------------------------
# Softmax and cross-entropy
# ---------------------------------------------------------------------------------------------
def _check_logits(logits) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1:
        raise ValueError(f"logits must be one vector of shape (K,), got shape {z.shape}")
    return z


def _softmax_probabilities(softmax: Callable, z: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(z / T) for one vector z of shape (K,), called as the notes do on a (1, K) batch."""
    p = call_student(softmax, (z / temperature)[None, :], name="softmax", shape=(1, z.size))
    return p[0]


def _cross_entropy(p: np.ndarray, label: int) -> float:
    """-log p[label] [C3]; p[label] is floored at 1e-300 so that a zero gives a large loss."""
    return float(-np.log(max(p[label], 1e-300)))


class _SoftmaxPlot:
    """The bar chart of ``plot_softmax`` for K classes, built once and updated by ``show``."""

    def __init__(self, figure: Figure, num_classes: int):
        self.ax = figure.subplots()
        classes = np.arange(num_classes)
        self.bars = self.ax.bar(classes, np.zeros(num_classes), color="tab:blue")
        self.values = [self.ax.text(k, 0.02, "", ha="center", fontsize=9) for k in classes]
        self.ax.set_xticks(classes, [f"class {k}" for k in classes])
        self.ax.set_ylabel("probability")
        _fix_label_positions(self.ax, x_label_y=-0.1, y_label_x=-0.09)
        self.title = self.ax.title
        self.title.set_fontsize(10)
        self.warning = self.ax.text(0.01, 0.98, "", transform=self.ax.transAxes, va="top",
                                    color=ERROR_COLOR, fontsize=9)
        figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.88)

    def show(self, p: np.ndarray, temperature: float, label: int | None) -> None:
        heights = np.where(np.isfinite(p), p, 0.0)
        # 0 to 1.1 for probabilities; wider if a softmax returns values outside [0, 1]
        lo, hi = min(0.0, 1.2 * heights.min()), max(1.1, 1.15 * heights.max())
        self.ax.set_ylim(lo, hi)
        gap = 0.02 * (hi - lo)  # between a bar and its value
        for k, (bar, text, pk, height) in enumerate(zip(self.bars, self.values, p, heights)):
            bar.set_height(height)
            bar.set_color("tab:green" if k == label else "tab:blue")
            text.set_text(f"{pk:.3f}")
            text.set_y(height + gap if height >= 0 else height - gap)
            text.set_verticalalignment("bottom" if height >= 0 else "top")
        title = f"softmax(z / {temperature:g})"
        if label is not None:
            title += f";  cross-entropy for class {label}: {_cross_entropy(p, label):.4f}"
        self.title.set_text(title)
        total = p.sum()
        self.warning.set_text("" if abs(total - 1.0) < 1e-6 else
                              f"these 'probabilities' sum to {total:.4g}, not 1")


def plot_softmax(logits, *, softmax: Callable | None = None, temperature: float = 1.0,
                 label: int | None = None) -> Figure:
    """Bar chart of softmax(logits / temperature), with the cross-entropy for one label.

    Parameters
    ----------
    logits : array_like, shape (K,)
        One vector of logits [B9].
    softmax : callable, optional
        The softmax to use (default ``course_lib.losses.softmax``); it is called on a (1, K)
        array and must return one of the same shape.
    temperature : float
        Divides the logits; large values flatten the distribution, small ones sharpen it.
    label : int, optional
        The true class; the title then shows the cross-entropy -log p[label] [C3].

    Returns
    -------
    matplotlib.figure.Figure
        If ``softmax`` raises or returns another shape, the title says so.
    """
    z = _check_logits(logits)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    fig = Figure(figsize=(6, 3.2))
    plot = _SoftmaxPlot(fig, z.size)
    try:
        p = _softmax_probabilities(softmax or losses.softmax, z, temperature)
    except StudentFunctionError as exc:  # shown to the student in the figure, not raised
        fig.suptitle(str(exc), color=ERROR_COLOR, fontsize=9)
        plot.ax.set_visible(False)
        return fig
    plot.show(p, temperature, label)
    return fig


class SoftmaxExplorer(Explorer):
    """Sliders for the logits and a temperature; bars of the probabilities; the cross-entropy.

    Parameters
    ----------
    softmax : callable, optional
        The softmax to use (default ``course_lib.losses.softmax``); pass your own to see it. It
        is called on a (1, K) array and must return one of the same shape.
    logits : sequence of float
        Initial logits; their number K (2 to 8) fixes the number of sliders.

    Attributes
    ----------
    z0, z1, ... : ipywidgets.FloatSlider
        One slider per logit z_k.
    logits : list of ipywidgets.FloatSlider
        The same sliders, in the order of k.
    temperature : ipywidgets.FloatLogSlider
        T in softmax(z / T).
    label : ipywidgets.Dropdown
        The true class for the cross-entropy.
    probabilities : ndarray, shape (K,)
        The last computed probabilities (None after an error).
    loss : float
        The last cross-entropy -log p[label] (None after an error).

    The other attributes (``image``, ``figure``, ``error``, ``widget``) are those of
    :class:`Explorer`.
    """

    def __init__(self, softmax: Callable | None = None, logits=(1.0, 2.0, 3.0)):
        z0 = np.asarray(logits, dtype=np.float64)
        if z0.ndim != 1 or not 2 <= z0.size <= 8:
            raise ValueError(f"logits must be a vector of 2 to 8 numbers, got shape {z0.shape}")
        self.softmax = softmax or losses.softmax
        self.logits = [widgets.FloatSlider(value=float(v), min=-10.0, max=10.0, step=0.1,
                                           description=f"z{k}") for k, v in enumerate(z0)]
        self.probabilities = self.loss = None
        super().__init__({
            **{f"z{k}": slider for k, slider in enumerate(self.logits)},
            "temperature": widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.05,
                                                  description="temperature"),
            "label": widgets.Dropdown(options=list(range(z0.size)), value=z0.size - 1,
                                      description="true class"),
        }, figsize=(6, 3.2), width="540px")

    def build(self, figure: Figure) -> None:
        self._plot = _SoftmaxPlot(figure, len(self.logits))

    def draw(self) -> None:
        z = np.array([slider.value for slider in self.logits])
        temperature, label = self.temperature.value, self.label.value
        self.probabilities = self.loss = None
        p = _softmax_probabilities(self.softmax, z, temperature)
        self.probabilities, self.loss = p, _cross_entropy(p, label)
        self._plot.show(p, temperature, label)
