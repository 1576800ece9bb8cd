"""Interactive explorers for the notebooks, built on ipywidgets and matplotlib.

Each explorer has a plain plotting function that draws one static figure (``plot_activation``,
``plot_softmax``; the graph explorer draws its first state), and a class whose controls are named attributes (``explorer.function``,
``explorer.alpha``, ...), so that a test or a student can set them from code as well as with the
mouse. The picture is a PNG in an ``ipywidgets.Image``: it renders in JupyterLab, in a notebook
run by nbconvert, and in tests, without an interactive matplotlib backend.

``GraphExplorer`` draws the computational graph of an expression built with the student's own
``Value`` class (assignment 02) and steps through its backward pass with the student's
``_backward`` closures.

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
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from PIL import Image as PILImage

from . import activations, autodiff, losses

__all__ = ["Explorer", "StudentFunctionError", "call_student", "plot_activation",
           "ActivationExplorer", "plot_softmax", "SoftmaxExplorer", "GraphExplorer",
           "SATURATION_THRESHOLD", "MAX_GRAPH_NODES", "PlaygroundExplorer",
           "GradientFlowExplorer", "OptimizerRace"]

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


def call_student(func: Callable, *args, name: str, shape: tuple[int, ...] | None = None,
                 outputs: tuple[str, ...] | None = None):
    """Call a student's function; return its result as a float64 array (or a tuple of them).

    Parameters
    ----------
    func : callable
        The student's function.
    *args
        Its arguments.
    name : str
        What the student calls it, for the message ("softmax", "relu's derivative").
    shape : tuple of int, optional
        The shape the result must have (each of its outputs, if ``outputs`` is given).
    outputs : tuple of str, optional
        For a function that returns a tuple, the names of its outputs (``("w", "v")`` for
        ``momentum_update``); the result must then be a tuple (or list) of that many arrays.

    Returns
    -------
    ndarray, or tuple of ndarray
        ``func(*args)`` as float64; with ``outputs``, a tuple of float64 arrays.

    Raises
    ------
    StudentFunctionError
        If ``func`` raises, returns something that is not an array of numbers (or not a tuple of
        ``len(outputs)`` of them), or returns an array of another shape. Explorers catch it and
        show its message in the figure.
    """
    try:
        out = func(*args)
    except Exception as exc:  # any error of the student's code is reported, not raised
        raise StudentFunctionError(f"your {name} raised {type(exc).__name__}: {exc}") from exc
    if outputs is None:
        return _student_array(out, name, None, shape)
    if not isinstance(out, (tuple, list)) or len(out) != len(outputs):
        got = (f"a {type(out).__name__} of {len(out)} values" if isinstance(out, (tuple, list))
               else f"a {type(out).__name__}")
        raise StudentFunctionError(f"your {name} returned {got}; expected a tuple "
                                   f"({', '.join(outputs)})")
    return tuple(_student_array(value, name, label, shape) for value, label in zip(out, outputs))


def _student_array(value, name: str, label: str | None, shape) -> np.ndarray:
    """``value`` (the output ``label`` of the student's ``name``) as a float64 array."""
    try:
        out = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        what = f"{label} as a" if label else "a"
        raise StudentFunctionError(f"your {name} returned {what} {type(value).__name__}, "
                                   "not an array of numbers") from exc
    if shape is not None and out.shape != tuple(shape):
        raise StudentFunctionError(f"your {name} returned {label or 'an array'} of shape "
                                   f"{out.shape}; expected shape {tuple(shape)}")
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


def _keywords_taken(func: Callable, names: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``names`` that a student's ``func`` accepts as keyword arguments: all of them
    if it takes ``**kwargs`` or its signature cannot be read (the contract asks for them)."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return tuple(names)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return tuple(names)
    by_keyword = {p.name for p in parameters
                  if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                inspect.Parameter.KEYWORD_ONLY)}
    return tuple(name for name in names if name in by_keyword)


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


# ---------------------------------------------------------------------------------------------
# Computational graphs and backpropagation [D1-D4]
# ---------------------------------------------------------------------------------------------
#: The most nodes a graph may have to be drawn legibly.
MAX_GRAPH_NODES = 40

_BOX_WIDTH, _BOX_HEIGHT = 0.64, 0.62  # in columns and rows of the layout
_COLORS = {  # box face, box edge, edge line, for each state of a node
    "unreached": ("#f2f2f2", "0.55"),
    "partial": ("#fcf3cf", "goldenrod"),
    "reached": ("#dff0d8", "forestgreen"),
    "passing": ("#ffd8a8", "darkorange"),
}
_EDGE_COLOR, _ACTIVE_EDGE_COLOR = "0.6", "darkorange"


def _fmt(value: float) -> str:
    """A number in at most 4 significant digits; -0 shown as 0."""
    return f"{value + 0.0:.4g}"


def _student_step(func: Callable, what: str):
    """Run ``func()`` (student code); turn an exception into a StudentFunctionError."""
    try:
        return func()
    except StudentFunctionError:
        raise
    except Exception as exc:  # any error of the student's code is reported, not raised
        raise StudentFunctionError(f"your {what} raised {type(exc).__name__}: {exc}") from exc


def _as_number(value, what: str) -> float:
    """``value`` as a float, or a StudentFunctionError naming ``what``."""
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise StudentFunctionError(f"your {what} is a {type(value).__name__}, "
                                   "not a number") from exc


def _is_node(obj) -> bool:
    return all(hasattr(obj, name) for name in ("data", "grad", "_prev", "_backward"))


def _graph_order(root) -> list:
    """The nodes ``root`` depends on in topological order (children first, ``root`` last).

    The depth-first search of ``course_lib.autodiff`` (children in the order of ``_prev``),
    written against the protocol only, so that it walks a student's ``Value`` as their
    ``backward()`` would; an explicit stack instead of recursion.
    """
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(tuple(node._prev)):
            if not _is_node(child):
                raise StudentFunctionError(
                    f"your '{getattr(node, '_op', '')}' node has a {type(child).__name__} in "
                    "_prev; _prev must hold the Value nodes it was computed from")
            if id(child) not in visited:
                stack.append((child, False))
    return order


def _graph_layout(children: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the nodes of a graph, left (inputs) to right (output).

    Parameters
    ----------
    children : list of list of int
        For each node, in topological order (the output last), its distinct children.

    Returns
    -------
    x, y : ndarray, shape (n,)
        The column and the row of each node (rows 1 apart, the first child on top).

    Notes
    -----
    A node's column is set by its distance from the output (the longest path to it), so a
    constant sits just left of the operation that uses it. Columns are placed from the output
    leftwards; each node goes where its parents put their children, then nodes that would
    overlap are pushed one row apart and the column is centred on where they wanted to be.
    """
    n = len(children)
    parents: list[list[int]] = [[] for _ in range(n)]
    for p, kids in enumerate(children):
        for c in kids:
            parents[c].append(p)
    level = np.zeros(n, dtype=int)
    for i in range(n - 2, -1, -1):  # reverse topological order: parents come first
        level[i] = max(level[p] + 1 for p in parents[i])
    y = np.zeros(n)
    for lev in range(1, level.max() + 1 if n else 1):
        column = [i for i in range(n) if level[i] == lev]
        wanted = {}
        for i in column:
            spots = [y[p] - (children[p].index(i) - (len(children[p]) - 1) / 2)
                     for p in parents[i]]
            wanted[i] = float(np.mean(spots))
        column.sort(key=lambda i: (-wanted[i], i))  # top row first
        rows = []
        for i in column:
            rows.append(wanted[i] if not rows else min(wanted[i], rows[-1] - 1.0))
        shift = np.mean([wanted[i] - r for i, r in zip(column, rows)])
        for i, r in zip(column, rows):
            y[i] = r + shift
    return (level.max() - level).astype(float), y


class GraphExplorer(Explorer):
    """A computational graph with data and grad on every node; step through backpropagation.

    The explorer builds the graph of ``expression`` with your ``Value`` class and draws one box
    per node (its operation, ``data`` and ``grad``) and an arrow from each input of an
    operation to the operation, labelled with the local gradient ∂(operation)/∂(input) [D3].
    A slider per input rebuilds the graph for new values. The buttons walk the backward pass
    [D1] with your own ``_backward`` closures, so a wrong local gradient shows in the picture:
    "step" first seeds the output's grad with ∂f/∂f = 1, then calls the ``_backward`` of one
    operation per press, in reverse topological order (inputs and constants have nothing to
    pass on, so the walk skips them); "run all" completes the pass; "reset" starts again.

    Parameters
    ----------
    expression : callable
        A plain function of the input nodes, in the order of ``inputs``, returning the output
        node, e.g. ``lambda x, y, z: (x + y) * z``.
    inputs : mapping of str to float
        The inputs' names and starting values, e.g. ``{"x": -2.0, "y": 5.0, "z": -4.0}``.
    value_class : type, optional
        Your ``Value`` class (default ``course_lib.autodiff.Value``). The explorer relies only on
        ``Value(data)`` and the attributes ``data``, ``grad``, ``_prev`` (the children),
        ``_op`` and ``_backward``; a ``label``, if any, names a node. Inputs get their name as
        ``label``.

    Attributes
    ----------
    x, y, ... : ipywidgets.FloatSlider
        One slider per input, named as in ``inputs``.
    step_button, run_all_button, reset_button : ipywidgets.Button
        The buttons; ``step()``, ``run_all()`` and ``reset()`` do the same from code.
    buttons : dict of str to ipywidgets.Button
        The same buttons by their label ("step", "run all", "reset").
    root : Value
        The output node of the last graph (None after an error).
    nodes : list of Value
        The nodes of the last graph in topological order (inputs first, ``root`` last).
    steps_done, num_steps : int
        Steps taken of the backward pass, and the steps to complete it (1 + the number of
        operations).
    shown_grads : list of float or None
        For each node of ``nodes``, the grad shown in the picture, or None (shown as "?") if the
        backward pass has not reached the node yet.
    highlighted : int or None
        Index in ``nodes`` of the node whose gradient the last step passed on (the output
        after the seeding step); None before the first step.
    local_grads : dict of (int, int) to float
        ∂(parent)/∂(child) for each edge (child index, parent index), from your ``_backward``.

    The other attributes (``image``, ``figure``, ``error``, ``widget``) are those of
    :class:`Explorer`.

    Notes
    -----
    A local gradient is read by calling the operation's ``_backward`` once with its ``grad``
    set to 1 and its children's set to 0; the grads are restored afterwards. A node used twice
    by one operation (``x * x``) gets one arrow with the sum of both uses (``2x``), which is
    what ``+=`` in ``_backward`` accumulates. A node used by several operations shows its grad
    "so far" until all of them have passed their gradient on.

    Examples
    --------
    >>> explorer = GraphExplorer.notes_circuit()
    >>> explorer.run_all()
    >>> explorer.grads
    {'x': -4.0, 'y': -4.0, 'z': 3.0}
    """

    def __init__(self, expression: Callable, inputs: Mapping[str, float],
                 value_class: type | None = None):
        if not callable(expression):
            raise TypeError("expression must be a function of the input nodes, "
                            f"got {type(expression).__name__}")
        self.expression = expression
        self.inputs = {name: float(value) for name, value in dict(inputs).items()}
        if not self.inputs:
            raise ValueError("inputs must name at least one input")
        self.value_class = value_class if value_class is not None else autodiff.Value
        self.root, self.nodes, self.input_nodes = None, [], {}
        self.shown_grads, self.local_grads, self.highlighted = [], {}, None
        self.steps_done = self.num_steps = 0
        self._layouts: dict = {}  # graph shape -> (x, y, edges), computed once per shape
        self._shape = None        # the shape whose layout the artists show
        self._boxes, self._edges = [], []  # pools of artists, reused and repositioned
        self.buttons = {label: widgets.Button(description=label, layout=widgets.Layout(
            width="90px")) for label in ("step", "run all", "reset")}
        self.step_button, self.run_all_button, self.reset_button = self.buttons.values()
        self.step_button.on_click(lambda _: self.step())
        self.run_all_button.on_click(lambda _: self.run_all())
        self.reset_button.on_click(lambda _: self.reset())
        sliders = {}
        for name, value in self.inputs.items():
            low, high = min(-5.0, np.floor(value) - 1.0), max(5.0, np.ceil(value) + 1.0)
            sliders[name] = widgets.FloatSlider(value=value, min=low, max=high, step=0.1,
                                                description=name)
        super().__init__(sliders, figsize=(9.0, 4.0), width="760px")

    @classmethod
    def notes_circuit(cls, value_class: type | None = None) -> "GraphExplorer":
        """The circuit ``f = (x + y) z`` at x = -2, y = 5, z = -4 [D2]: f = -12."""
        return cls(lambda x, y, z: (x + y) * z, {"x": -2.0, "y": 5.0, "z": -4.0}, value_class)

    @classmethod
    def sigmoid_neuron(cls, value_class: type | None = None) -> "GraphExplorer":
        """The neuron ``1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))`` at w = (2, -3, -3), x = (-1, -2)
        [D4]: f = 0.7311. Needs ``+ * / -x``, ``1 + v``, ``1 / v`` and ``exp()``."""
        return cls(lambda w0, x0, w1, x1, w2: 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp()),
                   {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}, value_class)

    # -- the backward pass, from code or the buttons --------------------------------------------
    def step(self) -> None:
        """One step of the backward pass (none if it is complete); redraw."""
        if self.steps_done < self.num_steps:
            self.steps_done += 1
            self.update()

    def run_all(self) -> None:
        """Complete the backward pass; redraw."""
        if self.steps_done < self.num_steps:
            self.steps_done = self.num_steps
            self.update()

    def reset(self) -> None:
        """Back to the forward pass only, no gradient known; redraw."""
        if self.steps_done:
            self.steps_done = 0
            self.update()

    @property
    def grads(self) -> dict[str, float | None]:
        """The grad shown for each input by name (None: not reached yet, or no graph)."""
        index = {id(node): i for i, node in enumerate(self.nodes)}
        return {name: (self.shown_grads[index[id(node)]] if id(node) in index else None)
                for name, node in self.input_nodes.items()}

    # -- Explorer -------------------------------------------------------------------------------
    def build(self, figure: Figure) -> None:
        self.ax = figure.add_axes((0.01, 0.01, 0.98, 0.86))
        self.ax.set_axis_off()
        self.status = self.ax.text(0.0, 1.1, "", transform=self.ax.transAxes, va="top",
                                   fontsize=9, clip_on=False)

    def render_png(self) -> bytes:
        """The figure as PNG bytes, its text drawn without hinting.

        Notes
        -----
        The figure holds some 60 lines of text, and FreeType's automatic hinting (matplotlib's
        default) of their glyphs takes about a third of a redraw; unhinted text looks the same
        at this size. The setting applies to this figure's drawing only.
        """
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            return super().render_png()

    def layout(self) -> widgets.Widget:
        return widgets.VBox([
            widgets.HBox([widgets.VBox(list(self.controls.values())),
                          widgets.VBox(list(self.buttons.values()))]),
            self.image])

    def draw(self) -> None:
        self.root, self.nodes, self.input_nodes = None, [], {}
        self.shown_grads, self.local_grads, self.highlighted = [], {}, None
        self.num_steps = 0
        try:
            self._forward()
            children = self._read_local_grads()
            self.num_steps = 1 + sum(1 for kids in children if kids)
            self.steps_done = min(self.steps_done, self.num_steps)
            states = self._backward_walk(children)
        finally:
            self.step_button.disabled = self.run_all_button.disabled = (
                self.steps_done >= self.num_steps)
            self.reset_button.disabled = self.steps_done == 0
        self._place(children)
        self._show(children, states)

    # -- the steps of draw ----------------------------------------------------------------------
    def _forward(self) -> None:
        """Build the input nodes and the graph of the expression; set root and nodes."""
        for name, slider in self.controls.items():
            node = _student_step(lambda: self.value_class(float(slider.value)),
                                 f"Value({float(slider.value):g})")
            try:
                node.label = name
            except AttributeError:  # a class with __slots__ and no label: named by the explorer
                pass
            self.input_nodes[name] = node
        try:
            root = _student_step(lambda: self.expression(*self.input_nodes.values()),
                                 "Value class")
        except StudentFunctionError as exc:
            if isinstance(exc.__cause__, (TypeError, AttributeError)):  # most often: not written
                raise StudentFunctionError(f"{exc} (does your Value class define this "
                                           "operation yet?)") from exc.__cause__
            raise
        if not _is_node(root):
            raise StudentFunctionError(
                f"your expression returned a {type(root).__name__}, not a Value: an operation of "
                "your Value class returns a plain number instead of a new Value")
        nodes = _graph_order(root)
        if len(nodes) > MAX_GRAPH_NODES:
            raise StudentFunctionError(f"your expression has {len(nodes)} nodes; the explorer "
                                       f"draws at most {MAX_GRAPH_NODES}")
        for node in nodes:
            _as_number(node.data, f"'{self._title(node)}' node's data")
        self.root, self.nodes = root, nodes

    def _read_local_grads(self) -> list[list[int]]:
        """Each operation's distinct children (indices in nodes); fills local_grads."""
        index = {id(node): i for i, node in enumerate(self.nodes)}
        children = [list(dict.fromkeys(index[id(c)] for c in node._prev)) for node in self.nodes]
        saved = [node.grad for node in self.nodes]
        try:
            for p, kids in enumerate(children):
                if not kids:
                    continue
                parent = self.nodes[p]
                for c in kids:
                    self.nodes[c].grad = 0.0
                parent.grad = 1.0
                _student_step(parent._backward, f"_backward of the '{self._title(parent)}' node")
                for c in kids:
                    self.local_grads[c, p] = _as_number(
                        self.nodes[c].grad, f"'{self._title(parent)}' node's _backward's grad")
        finally:
            for node, grad in zip(self.nodes, saved):
                node.grad = grad
        return children

    def _backward_walk(self, children: list[list[int]]) -> list[str]:
        """Replay the first ``steps_done`` steps on the fresh graph; the state of each node."""
        n = len(self.nodes)
        parents_left = [0] * n  # distinct parents that have not passed their gradient on yet
        for kids in children:
            for c in kids:
                parents_left[c] += 1
        states = ["unreached"] * n
        for node in self.nodes:
            node.grad = 0.0
        if self.steps_done >= 1:
            self.root.grad = 1.0  # ∂f/∂f = 1
            states[-1], self.highlighted = "reached", n - 1
        operations = [i for i in range(n - 1, -1, -1) if children[i]]  # reverse topological
        for p in operations[:max(self.steps_done - 1, 0)]:
            node = self.nodes[p]
            _student_step(node._backward, f"_backward of the '{self._title(node)}' node")
            self.highlighted = p
            for c in children[p]:
                parents_left[c] -= 1
                states[c] = "reached" if parents_left[c] == 0 else "partial"
        self.shown_grads = [
            None if state == "unreached"
            else _as_number(node.grad, f"'{self._title(node)}' node's grad")
            for node, state in zip(self.nodes, states)]
        return states

    def _title(self, node) -> str:
        label = getattr(node, "label", "")
        op = getattr(node, "_op", "")
        if not tuple(node._prev):
            return label if isinstance(label, str) and label else "constant"
        return str(op) or "?op"

    def _place(self, children: list[list[int]]) -> None:
        """Position the pooled artists for this graph's shape (layout cached per shape)."""
        shape = tuple((self._title(node) if not kids else "", tuple(kids))
                      for node, kids in zip(self.nodes, children))
        if shape == self._shape:
            return
        if shape not in self._layouts:
            x, y = _graph_layout(children)
            edges = [(c, p) for p, kids in enumerate(children) for c in kids]
            self._layouts[shape] = (x, y, edges)
        x, y, edges = self._layouts[shape]
        ax = self.ax
        while len(self._boxes) < len(x):
            box = FancyBboxPatch((0, 0), _BOX_WIDTH, _BOX_HEIGHT, boxstyle="round,pad=0.02",
                                 lw=1.2)
            ax.add_patch(box)
            self._boxes.append((box, ax.text(0, 0, "", ha="center", va="center", fontsize=8,
                                             linespacing=1.25)))
        while len(self._edges) < len(edges):
            arrow = FancyArrowPatch((0, 0), (1, 0), arrowstyle="-|>", mutation_scale=9,
                                    shrinkA=0, shrinkB=0, lw=1.0)
            ax.add_patch(arrow)
            label = ax.text(0, 0, "", ha="center", va="center", fontsize=7.5,
                            bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none"))
            self._edges.append((arrow, label))
        for k, (box, text) in enumerate(self._boxes):
            box.set_visible(k < len(x))
            text.set_visible(k < len(x))
            if k < len(x):
                box.set_x(x[k] - _BOX_WIDTH / 2)
                box.set_y(y[k] - _BOX_HEIGHT / 2)
                text.set_position((x[k], y[k]))
        for k, (arrow, label) in enumerate(self._edges):
            arrow.set_visible(k < len(edges))
            label.set_visible(k < len(edges))
            if k < len(edges):
                c, p = edges[k]
                start, end = (x[c] + _BOX_WIDTH / 2, y[c]), (x[p] - _BOX_WIDTH / 2, y[p])
                arrow.set_positions(start, end)
                label.set_position((0.5 * (start[0] + end[0]), 0.5 * (start[1] + end[1])))
        columns, rows = max(x.max() + 1, 5.0), max(y.max() - y.min() + 1, 3.5)
        ax.set_xlim((x.max() - columns) / 2 - 0.05, (x.max() + columns) / 2 + 0.05)
        middle = (y.max() + y.min()) / 2
        ax.set_ylim(middle - rows / 2, middle + rows / 2)
        self._edge_list, self._shape = edges, shape

    def _show(self, children: list[list[int]], states: list[str]) -> None:
        """Set the texts and colours of the boxes and arrows for the current step."""
        for k, (node, state, grad) in enumerate(zip(self.nodes, states, self.shown_grads)):
            box, text = self._boxes[k]
            shown = "?" if grad is None else _fmt(grad) + (" so far" if state == "partial" else "")
            text.set_text(f"{self._title(node)}\ndata {_fmt(float(node.data))}\ngrad {shown}")
            passing = k == self.highlighted
            face, edge = _COLORS["passing" if passing else state]
            box.set_facecolor(face)
            box.set_edgecolor(edge)
            box.set_linewidth(2.2 if passing else 1.2)
        active = self.highlighted if self.steps_done >= 2 else None
        for (arrow, label), (c, p) in zip(self._edges, self._edge_list):
            uses = sum(1 for child in self.nodes[p]._prev if child is self.nodes[c])
            local = f"{self.local_grads[c, p] + 0.0:.3g}"  # 3 digits: it fits between columns
            label.set_text(local + (f" ({uses} uses)" if uses > 1 else ""))
            color = _ACTIVE_EDGE_COLOR if p == active else _EDGE_COLOR
            arrow.set_color(color)
            arrow.set_linewidth(2.0 if p == active else 1.0)
            label.set_color(_ACTIVE_EDGE_COLOR if p == active else "0.25")
        f = _fmt(float(self.root.data))
        if self.steps_done == 0:
            words = (f"forward pass: f = {f}. Arrows: local gradient ∂(operation)/∂(input). "
                     "Press step to start the backward pass.")
        elif self.steps_done == 1:
            words = f"step 1 of {self.num_steps}: seed the output, grad = ∂f/∂f = 1"
        else:
            grad = _fmt(self.shown_grads[self.highlighted])
            words = (f"step {self.steps_done} of {self.num_steps}: the "
                     f"'{self._title(self.nodes[self.highlighted])}' node passes on its grad "
                     f"{grad}: each input's grad += local gradient × {grad}")
        if self.steps_done == self.num_steps and self.steps_done:
            words += ". Backward pass complete."
        self.status.set_text(words)



#: The explorers that live in modules of their own (each builds on ``Explorer``), by the module.
_EXPLORER_MODULES = {"PlaygroundExplorer": "playground", "GradientFlowExplorer": "gradient_flow",
                     "OptimizerRace": "optimizer_race"}


def __getattr__(name: str):
    """``PlaygroundExplorer``, ``GradientFlowExplorer`` and ``OptimizerRace`` are imported from
    their own modules (`_EXPLORER_MODULES`) when first asked for here."""
    if name in _EXPLORER_MODULES:
        from importlib import import_module

        return getattr(import_module(f".{_EXPLORER_MODULES[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
