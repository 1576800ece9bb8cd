"""The TensorFlow Playground in a notebook: a small network trained live on 2-D data [J1].

``PlaygroundExplorer(affine_forward, affine_backward)`` is the playground of
playground.tensorflow.org as an explorer of ``course_lib.widgets``: choose a data set, its noise
and the share of training data, the input features, up to six hidden layers of up to eight
neurons, their activations, the learning rate and a weight penalty; press play and watch the
training and test loss fall, the decision boundary form and each neuron's picture of the plane.

What it computes
----------------
- Data: the playground's classification sets ``circle``, ``xor``, ``gauss``, ``spiral``
  (``datasets.make_playground``) and its regression sets ``plane``, ``multi_gauss``
  (``datasets.make_playground_regression``), split into training and test points [G6].
- Input features of a point ``(x1, x2)``: ``x1, x2, x1², x2², x1·x2, sin x1, sin x2``
  (``FEATURES``); ``x1·x2`` makes XOR linearly separable [A6].
- The network: dense layers ``z = a W + b`` [A1], each hidden one followed by its activation
  ``a = φ(z)`` [A2], [B1]-[B3], fed forward [A3]. The output layer is one unit chosen by the
  task [A8]: a sigmoid and binary cross-entropy for classification [C2], the identity and mean
  squared error for regression [C1].
- Training: mini-batch gradient descent [F1], [D10] on the data loss plus ``λ Σ ‖W‖₁`` or
  ``λ Σ ‖W‖₂²`` over the weight matrices (not the biases) [C6], [G1], [G2]; backpropagation
  through the activations is the delta recursion [D6]. One *step* is one epoch: a pass over the
  training points in shuffled mini-batches, as the playground's step button.
- The dense layers are the student's ``affine_forward`` / ``affine_backward`` when they agree
  with ``course_lib.layers`` on a small random input (``check_affine_layers``); otherwise, or if
  they fail later, course_lib's own, and a note in the widget says which function failed and
  why. Everything else (activations, loss, penalty, update) is the explorer's own, built from
  course_lib's functions.

Reproducibility: the seed control fixes the data, the split, the initial weights (Xavier, He for
ReLU layers [E6]; biases 0) and the order of the mini-batches, each from its own stream
``numpy.random.default_rng([seed, k])``. Reset starts the same run again; a new seed draws a new
one.

How it runs in JupyterLab
-------------------------
Play is an ``ipywidgets.Play``: its timer runs in the browser and raises the control's value
every ``interval`` milliseconds; each change that reaches the kernel trains ``epochs_per_frame``
epochs and redraws once. No thread is started, so the kernel stays free between frames, and
while a frame is being computed ipywidgets sends only the latest value, so frames never queue
up. The picture is one reused matplotlib figure (see ``course_lib.widgets.Explorer``); the
neurons' maps are one image array drawn with ``set_data``, not one axes per neuron
(``benchmarks/bench_widgets.py`` times a step and every control).
"""
from __future__ import annotations

import html
import io
from contextlib import contextmanager
from numbers import Integral
from typing import Callable, Sequence

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image as PILImage

from . import activations, datasets, layers, losses, regularization
from .init import he_init, xavier_init
from .optim import sgd_update

from .widgets import Explorer, StudentFunctionError, _fix_label_positions

__all__ = ["PlaygroundExplorer", "check_affine_layers", "input_features", "FEATURES",
           "HIDDEN_ACTIVATIONS", "DATASETS", "LEARNING_RATES", "REGULARIZATIONS",
           "REGULARIZATION_RATES", "MAX_HIDDEN_LAYERS", "MAX_NEURONS"]

# ---------------------------------------------------------------------------------------------
# The playground's menus
# ---------------------------------------------------------------------------------------------
#: Input features by name: (label, function of the coordinates x1, x2) [J1], [A6].
FEATURES: dict[str, tuple[str, Callable]] = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1_squared": ("x₁²", lambda x1, x2: x1 * x1),
    "x2_squared": ("x₂²", lambda x1, x2: x2 * x2),
    "x1_x2": ("x₁x₂", lambda x1, x2: x1 * x2),
    "sin_x1": ("sin x₁", lambda x1, x2: np.sin(x1)),
    "sin_x2": ("sin x₂", lambda x1, x2: np.sin(x2)),
}


def _linear_grad(x):
    """The derivative of the identity: ones of the shape of ``x``."""
    return np.ones_like(np.asarray(x, dtype=np.float64))


#: Hidden activations by name: (f, f_grad) [B1]-[B3]; "linear" is the identity [A8].
HIDDEN_ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "relu": activations.ACTIVATIONS["relu"],
    "tanh": activations.ACTIVATIONS["tanh"],
    "sigmoid": activations.ACTIVATIONS["sigmoid"],
    "linear": (activations.identity, _linear_grad),
}

#: Data set name -> its label in the menu; the last two are regression data sets.
DATASETS: dict[str, str] = {
    "circle": "circle", "xor": "exclusive or", "gauss": "gaussian", "spiral": "spiral",
    "plane": "plane (regression)", "multi_gauss": "multi gaussian (regression)",
}
#: The playground's learning rates and regularization rates.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Weight penalties: none, L1 [G1], L2 [G2].
REGULARIZATIONS = {"none": "none", "l1": "L1", "l2": "L2"}
MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 8

#: The heat maps cover the square [-DOMAIN, DOMAIN]² of the playground.
DOMAIN = 6.0
_GRID = 60          # output heat map: _GRID × _GRID points
_TILE_STEP = 3      # neuron maps: every third grid point, 20 × 20
_TILE = _GRID // _TILE_STEP
_ROW_GAP, _COLUMN_GAP = 6, 34   # pixels of the network picture between tiles

# The playground's colours: orange for class 0 (its -1), blue for class 1 (its +1).
_COLORS = LinearSegmentedColormap.from_list("playground", ["#f59322", "#e8eaeb", "#0877bd"])
_LUT = np.round(255 * _COLORS(np.linspace(0.0, 1.0, 256))[:, :3]).astype(np.uint8)

# The controls that apply from the next step and keep the weights; a change of any other control
# (data, features, network) starts a new run: new data, new initial weights.
_OPTIMIZER_CONTROLS = ("learning_rate", "batch_size", "regularization", "regularization_rate")


def input_features(points, names: Sequence[str]) -> np.ndarray:
    """The playground's input features of 2-D points [J1], [A6].

    Parameters
    ----------
    points : ndarray, shape (N, 2)
        The coordinates ``(x1, x2)``.
    names : sequence of str
        Keys of ``FEATURES``, in the order of the columns wanted.

    Returns
    -------
    ndarray, shape (N, D)
        One column per name, float64 (``D = len(names)``).

    Examples
    --------
    >>> input_features(np.array([[2.0, 3.0]]), ["x1", "x1_x2", "x2_squared"])
    array([[2., 6., 9.]])
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}")
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; the features are {tuple(FEATURES)}")
    x1, x2 = points[:, 0], points[:, 1]
    columns = [FEATURES[name][1](x1, x2) for name in names]
    return np.stack(columns, axis=1) if columns else np.empty((points.shape[0], 0))


# ---------------------------------------------------------------------------------------------
# The student's dense layer: a check at construction, a guard while training
# ---------------------------------------------------------------------------------------------
def _as_numbers(value) -> np.ndarray | None:
    """``value`` as a float64 array, or None if it is None or not an array of numbers."""
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _describe(value) -> str:
    """A few words for what a function returned: "None", "a tuple of 3 values", "an ndarray"."""
    if value is None:
        return "None"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} values"
    return f"a {type(value).__name__}"


def check_affine_layers(affine_forward: Callable, affine_backward: Callable) -> str | None:
    """Compare a dense layer with ``course_lib.layers`` on one small random input [A1].

    The forward must return ``(out, cache)`` with ``out = x W + b``; the backward, given that
    cache, ``(dx, dW, db) = (dout Wᵀ, xᵀ dout, Σ_n dout)``. Shapes first, then values (to a
    relative 1e-6), and neither may change its input arrays.

    Parameters
    ----------
    affine_forward : callable
        ``affine_forward(x, W, b) -> (out, cache)`` with ``x (N, D)``, ``W (D, M)``, ``b (M,)``.
    affine_backward : callable
        ``affine_backward(dout, cache) -> (dx, dW, db)``.

    Returns
    -------
    str or None
        None if both agree with course_lib's; otherwise what is wrong, in plain words, naming the
        function (``"your affine_backward returned dW of shape (2, 3); expected (3, 2), the shape
        of W"``).

    Notes
    -----
    The check uses ``N = 5, D = 3, M = 2``: three different sizes, so that a transposed or
    swapped product has a wrong shape or fails to multiply.
    """
    rng = np.random.default_rng(3)
    x, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    dout = rng.normal(size=(5, 2))
    out_ref, cache_ref = layers.affine_forward(x, W, b)
    grads_ref = layers.affine_backward(dout, cache_ref)
    inputs = {"x": x, "W": W, "b": b}
    saved = {name: array.copy() for name, array in inputs.items()}

    try:
        result = affine_forward(x, W, b)
    except Exception as exc:  # any error of the student's code is reported, not raised
        return f"your affine_forward raised {type(exc).__name__}: {exc}"
    changed = [name for name, array in inputs.items() if not np.array_equal(array, saved[name])]
    if changed:
        return f"your affine_forward changed its input {changed[0]} in place"
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return f"your affine_forward returned {_describe(result)}; expected a pair (out, cache)"
    out = _as_numbers(result[0])
    if out is None:
        return (f"your affine_forward returned out as {_describe(result[0])}, "
                "not an array of numbers")
    if out.shape != out_ref.shape:
        return (f"your affine_forward returned out of shape {out.shape} for x of shape (5, 3) "
                f"and W of shape (3, 2); expected {out_ref.shape}, that is (N, M)")
    if not np.allclose(out, out_ref, rtol=1e-6, atol=1e-9):
        error = float(np.max(np.abs(out - out_ref)))
        return f"your affine_forward's out differs from x W + b by up to {error:.3g}"

    saved_dout = dout.copy()
    try:
        grads = affine_backward(dout, result[1])
    except Exception as exc:
        return f"your affine_backward raised {type(exc).__name__}: {exc}"
    if not np.array_equal(dout, saved_dout):
        return "your affine_backward changed its input dout in place"
    if not isinstance(grads, (tuple, list)) or len(grads) != 3:
        return (f"your affine_backward returned {_describe(grads)}; "
                "expected three gradients (dx, dW, db)")
    formulas = {"dx": "dout Wᵀ", "dW": "xᵀ dout", "db": "the sum of dout over the batch"}
    for (name, formula), got, want, of in zip(formulas.items(), grads, grads_ref, "xWb"):
        array = _as_numbers(got)
        if array is None:
            return (f"your affine_backward returned {name} as {_describe(got)}, "
                    "not an array of numbers")
        if array.shape != want.shape:
            return (f"your affine_backward returned {name} of shape {array.shape}; "
                    f"expected {want.shape}, the shape of {of}")
        if not np.allclose(array, want, rtol=1e-6, atol=1e-9):
            error = float(np.max(np.abs(array - want)))
            return (f"your affine_backward's {name} is wrong: it differs from {formula} "
                    f"by up to {error:.3g}")
    return None


class _StudentLayers:
    """The student's dense layer, called with a check of what it returns.

    Any error, a result that is not ``(out, cache)`` or three gradients, or an array of the wrong
    shape raises ``StudentFunctionError`` with the sentence the widget shows.
    """

    def __init__(self, affine_forward: Callable, affine_backward: Callable):
        self._forward, self._backward = affine_forward, affine_backward

    def forward(self, x, W, b):
        where = f"on x of shape {x.shape} and W of shape {W.shape}"
        try:
            result = self._forward(x, W, b)
        except Exception as exc:
            raise StudentFunctionError(f"your affine_forward raised {type(exc).__name__}: "
                                       f"{exc} ({where})") from exc
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise StudentFunctionError(f"your affine_forward returned {_describe(result)} "
                                       f"{where}; expected a pair (out, cache)")
        out = _as_numbers(result[0])
        expected = (x.shape[0], W.shape[1])
        if out is None or out.shape != expected:
            shape = "no array" if out is None else f"shape {out.shape}"
            raise StudentFunctionError(f"your affine_forward returned out with {shape} {where}; "
                                       f"expected shape {expected}")
        return out, result[1]

    def backward(self, dout, cache, shapes):
        try:
            grads = self._backward(dout, cache)
        except Exception as exc:
            raise StudentFunctionError(f"your affine_backward raised {type(exc).__name__}: "
                                       f"{exc} (on dout of shape {dout.shape})") from exc
        if not isinstance(grads, (tuple, list)) or len(grads) != 3:
            raise StudentFunctionError(f"your affine_backward returned {_describe(grads)}; "
                                       "expected three gradients (dx, dW, db)")
        checked = []
        for name, got, shape in zip(("dx", "dW", "db"), grads, shapes):
            array = _as_numbers(got)
            if array is None or array.shape != shape:
                found = "no array" if array is None else f"shape {array.shape}"
                raise StudentFunctionError(f"your affine_backward returned {name} with {found} "
                                           f"on dout of shape {dout.shape}; expected {shape}")
            checked.append(array)
        return tuple(checked)


class _CourseLayers:
    """course_lib's dense layer [A1], with the interface of ``_StudentLayers``."""

    @staticmethod
    def forward(x, W, b):
        return layers.affine_forward(x, W, b)

    @staticmethod
    def backward(dout, cache, shapes):
        return layers.affine_backward(dout, cache)


# ---------------------------------------------------------------------------------------------
# Settings: checked once, for the constructor and configure
# ---------------------------------------------------------------------------------------------
def _integer(name: str, value, low: int, high: int, what: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}{what}, got {value!r}")
    return int(value)


def _choice(name: str, value, options) -> object:
    if isinstance(value, str):
        value = value.lower()
    try:
        if value in options:
            return value
    except TypeError:  # an unhashable value is not among the options either
        pass
    raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")


def _number_choice(name: str, value, options: Sequence[float]) -> float:
    if not isinstance(value, bool) and isinstance(value, (int, float, np.number)):
        for option in options:
            if np.isclose(float(value), option, rtol=1e-9, atol=0.0):
                return option
    raise ValueError(f"{name} must be one of the playground's {name.replace('_', ' ')}s "
                     f"{tuple(options)}, got {value!r}")


def _settings_to_controls(settings: dict, hidden_layers: int) -> dict:
    """Check ``configure``'s keyword settings; the control values they stand for, by control name.

    ``hidden_layers`` is the current number of hidden layers (for a per-layer ``activation``
    given without ``hidden``). Raises ValueError naming the first setting that is wrong.
    """
    values = {}
    if settings.get("dataset") is not None:
        values["dataset"] = _choice("dataset", settings["dataset"], DATASETS)
    if settings.get("noise") is not None:
        values["noise"] = _integer("noise", settings["noise"], 0, 50, " (percent)")
    if settings.get("train_percent") is not None:
        values["train_percent"] = _integer("train_percent", settings["train_percent"], 10, 90)
    if settings.get("batch_size") is not None:
        values["batch_size"] = _integer("batch_size", settings["batch_size"], 1, 30)
    if settings.get("seed") is not None:
        values["seed"] = _integer("seed", settings["seed"], 0, 2**31 - 1)
    if settings.get("features") is not None:
        names = settings["features"]
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise ValueError(f"features must be a sequence of feature names such as "
                             f"('x1', 'x2'), got {names!r}")
        for name in names:
            if not isinstance(name, str) or name not in FEATURES:
                raise ValueError(f"features: unknown feature {name!r}; the features are "
                                 f"{tuple(FEATURES)}")
        if not names:
            raise ValueError(f"features must name at least one of {tuple(FEATURES)}")
        values.update({f"feature_{name}": name in names for name in FEATURES})
    if settings.get("hidden") is not None:
        hidden = settings["hidden"]
        if isinstance(hidden, str) or not isinstance(hidden, Sequence):
            raise ValueError(f"hidden must be a sequence of neuron counts such as (4, 4), "
                             f"got {hidden!r}")
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"hidden must have 0 to {MAX_HIDDEN_LAYERS} hidden layers, "
                             f"got {len(hidden)}: {tuple(hidden)!r}")
        for k, neurons in enumerate(hidden):
            values[f"neurons_{k + 1}"] = _integer(f"hidden[{k}] (neurons of hidden layer "
                                                  f"{k + 1})", neurons, 1, MAX_NEURONS)
        values["hidden_layers"] = hidden_layers = len(hidden)
    if settings.get("activation") is not None:
        activation = settings["activation"]
        if isinstance(activation, str):
            name = _choice("activation", activation, HIDDEN_ACTIVATIONS)
            values["activation"] = name
            values.update({f"activation_{k}": name for k in range(1, MAX_HIDDEN_LAYERS + 1)})
        elif isinstance(activation, Sequence):
            if len(activation) != hidden_layers:
                raise ValueError(f"activation must be one name, or one per hidden layer "
                                 f"({hidden_layers}), got {len(activation)}: {activation!r}")
            for k, name in enumerate(activation):
                values[f"activation_{k + 1}"] = _choice(f"activation[{k}]", name,
                                                        HIDDEN_ACTIVATIONS)
        else:
            raise ValueError(f"activation must be one of {tuple(HIDDEN_ACTIVATIONS)} or a "
                             f"sequence of them, got {activation!r}")
    if settings.get("learning_rate") is not None:
        values["learning_rate"] = _number_choice("learning_rate", settings["learning_rate"],
                                                 LEARNING_RATES)
    if settings.get("regularization") is not None:
        values["regularization"] = _choice("regularization", settings["regularization"],
                                           REGULARIZATIONS)
    if settings.get("regularization_rate") is not None:
        values["regularization_rate"] = _number_choice(
            "regularization_rate", settings["regularization_rate"], REGULARIZATION_RATES)
    return values


# ---------------------------------------------------------------------------------------------
# The explorer
# ---------------------------------------------------------------------------------------------
def _colors(values: np.ndarray) -> np.ndarray:
    """RGB bytes of values in [-1, 1] (clipped; NaN as 0): orange, grey, blue."""
    index = np.nan_to_num((np.asarray(values) + 1.0) * 127.5, nan=127.5, posinf=255.0,
                          neginf=0.0)
    return _LUT[np.clip(index, 0.0, 255.0).astype(np.intp)]


class PlaygroundExplorer(Explorer):
    """The TensorFlow Playground, trained with the student's dense layer [J1].

    Parameters
    ----------
    affine_forward : callable, optional
        ``affine_forward(x, W, b) -> (out, cache)`` [A1]; default ``course_lib.layers``'.
    affine_backward : callable, optional
        ``affine_backward(dout, cache) -> (dx, dW, db)``; default ``course_lib.layers``'.
        Both are used when they pass ``check_affine_layers``; otherwise course_lib's are, and
        ``fallback_note`` says why.
    num_points : int, optional
        Points in the data set, even, from 10 to 2000 (the playground draws 500).
    epochs_per_frame : int, optional
        Epochs trained per tick of play (1 to 50).
    dataset, noise, train_percent, batch_size, seed, features, hidden, activation,
    learning_rate, regularization, regularization_rate
        The starting settings, as for ``configure``. The defaults are the playground's, with two
        hidden layers of four tanh neurons.

    Attributes
    ----------
    dataset : ipywidgets.Dropdown
        ``"circle"``, ``"xor"``, ``"gauss"``, ``"spiral"`` (classification), ``"plane"``,
        ``"multi_gauss"`` (regression).
    noise : ipywidgets.IntSlider
        The playground's noise in percent, 0 to 50.
    train_percent : ipywidgets.IntSlider
        Percent of the points used for training, 10 to 90; the rest are test points [G6].
    batch_size : ipywidgets.IntSlider
        Points per mini-batch, 1 to 30 [F1].
    seed : ipywidgets.BoundedIntText
        Fixes data, split, initial weights and mini-batch order.
    feature_x1, feature_x2, feature_x1_squared, feature_x2_squared, feature_x1_x2, \
feature_sin_x1, feature_sin_x2 : ipywidgets.ToggleButton
        Which input features feed the network (``FEATURES``); at least one stays on.
    hidden_layers : ipywidgets.IntSlider
        Number of hidden layers, 0 to 6.
    neurons_1 ... neurons_6 : ipywidgets.BoundedIntText
        Neurons of each hidden layer, 1 to 8 (those beyond ``hidden_layers`` are hidden).
    activation : ipywidgets.Dropdown
        ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``: choosing one sets every layer's.
    activation_1 ... activation_6 : ipywidgets.Dropdown
        The activation of each hidden layer.
    learning_rate : ipywidgets.Dropdown
        One of ``LEARNING_RATES``.
    regularization : ipywidgets.Dropdown
        ``"none"``, ``"l1"`` or ``"l2"``.
    regularization_rate : ipywidgets.Dropdown
        λ, one of ``REGULARIZATION_RATES``.
    play : ipywidgets.Play
        Its play / pause / stop buttons; each tick trains ``epochs_per_frame`` epochs.
    step_button, reset_button : ipywidgets.Button
        Call ``step()`` and ``reset()``.
    status : ipywidgets.HTML
        Epoch, training and test loss (and accuracy), and whose layers train.
    note : ipywidgets.HTML
        The fallback note, shown only when course_lib's layers replace the student's.

    Changing the data set, noise, split, seed, features or the network starts a new run; the
    learning rate, batch size and penalty apply from the next step and keep the weights. The
    other attributes (``image``, ``figure``, ``error``, ``widget``) are those of
    :class:`~course_lib.widgets.Explorer`.

    ``step(n)``, ``reset()`` and ``configure(...)`` do from code what the buttons and controls
    do; ``weights()``, ``predict(points)`` and ``loss_and_grads(points, targets)`` give the
    network; the read-only ``epoch``, ``train_loss``, ``test_loss``, ``train_accuracy``,
    ``test_accuracy``, ``history``, ``train_data``, ``test_data``, ``diverged``,
    ``uses_student_layers`` and ``fallback_note`` describe the run.

    Examples
    --------
    >>> playground = PlaygroundExplorer(dataset="xor", hidden=(4,), num_points=200)
    >>> playground.step(100)
    >>> playground.train_loss < playground.history["train_loss"][0]
    True
    """

    def __init__(self, affine_forward: Callable = layers.affine_forward,
                 affine_backward: Callable = layers.affine_backward, *,
                 num_points: int = 500, epochs_per_frame: int = 3,
                 dataset: str = "circle", noise: int = 0, train_percent: int = 50,
                 batch_size: int = 10, seed: int = 0,
                 features: Sequence[str] = ("x1", "x2"), hidden: Sequence[int] = (4, 4),
                 activation: str | Sequence[str] = "tanh", learning_rate: float = 0.03,
                 regularization: str = "none", regularization_rate: float = 0.0):
        for name, func in (("affine_forward", affine_forward),
                           ("affine_backward", affine_backward)):
            if not callable(func):
                raise TypeError(f"{name} must be a function, got {type(func).__name__}")
        if (isinstance(num_points, bool) or not isinstance(num_points, Integral)
                or not 10 <= num_points <= 2000 or num_points % 2):
            raise ValueError(f"num_points must be an even integer from 10 to 2000, "
                             f"got {num_points!r}")
        self.num_points = int(num_points)
        self.epochs_per_frame = _integer("epochs_per_frame", epochs_per_frame, 1, 50)
        start = {"activation": "tanh"}
        start.update({f"{kind}_{k}": value for k in range(1, MAX_HIDDEN_LAYERS + 1)
                      for kind, value in (("neurons", 4), ("activation", "tanh"))})
        start.update(_settings_to_controls(dict(
            dataset=dataset, noise=noise, train_percent=train_percent, batch_size=batch_size,
            seed=seed, features=features, hidden=hidden, activation=activation,
            learning_rate=learning_rate, regularization=regularization,
            regularization_rate=regularization_rate), hidden_layers=0))
        if not isinstance(activation, str) and start["hidden_layers"]:
            start["activation"] = start["activation_1"]  # the menu for all shows the first

        problem = check_affine_layers(affine_forward, affine_backward)
        self._course_layers = _CourseLayers()
        self._layers = (_StudentLayers(affine_forward, affine_backward) if problem is None
                        else self._course_layers)
        self._fallback_note = None if problem is None else self._explain(problem, "check")

        self._hold = 0
        self._diverged = False
        self._notice = ""
        self.status = widgets.HTML(layout=widgets.Layout(margin="0 0 0 12px"))
        self.note = widgets.HTML(layout=widgets.Layout(display="none"))
        self.status.add_class("course-playground-status")  # for finding them in a browser
        self.note.add_class("course-playground-note")
        self.step_button = widgets.Button(description="step", icon="step-forward",
                                          tooltip="train one epoch",
                                          layout=widgets.Layout(width="80px"))
        self.reset_button = widgets.Button(description="reset", icon="undo",
                                           tooltip="start this configuration again",
                                           layout=widgets.Layout(width="80px"))
        self.buttons = {"step": self.step_button, "reset": self.reset_button}
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        controls = self._make_controls(start)
        self._control_names = {id(control): name for name, control in controls.items()}
        super().__init__(controls, figsize=(9.6, 3.7), width="960px")
        self.widget.add_class("course-playground")

    # -- the controls -----------------------------------------------------------------------
    @staticmethod
    def _make_controls(start: dict) -> dict:
        wide = {"description_width": "initial"}
        controls = {
            "dataset": widgets.Dropdown(options=[(label, name) for name, label in
                                                 DATASETS.items()], value=start["dataset"],
                                        description="data", style=wide,
                                        layout=widgets.Layout(width="260px")),
            "noise": widgets.IntSlider(value=start["noise"], min=0, max=50, step=5,
                                       description="noise %", style=wide),
            "train_percent": widgets.IntSlider(value=start["train_percent"], min=10, max=90,
                                               step=10, description="training data %",
                                               style=wide),
            "batch_size": widgets.IntSlider(value=start["batch_size"], min=1, max=30,
                                            description="batch size", style=wide),
            "seed": widgets.BoundedIntText(value=start["seed"], min=0, max=2**31 - 1,
                                           description="seed", style=wide,
                                           layout=widgets.Layout(width="140px")),
        }
        for name, (label, _) in FEATURES.items():
            controls[f"feature_{name}"] = widgets.ToggleButton(
                value=start[f"feature_{name}"], description=label, tooltip=f"feature {label}",
                layout=widgets.Layout(width="64px"))
        controls["hidden_layers"] = widgets.IntSlider(
            value=start["hidden_layers"], min=0, max=MAX_HIDDEN_LAYERS,
            description="hidden layers", style=wide)
        controls["activation"] = widgets.Dropdown(options=list(HIDDEN_ACTIVATIONS),
                                                  value=start["activation"],
                                                  description="activation (all layers)",
                                                  style=wide,
                                                  layout=widgets.Layout(width="240px"))
        for k in range(1, MAX_HIDDEN_LAYERS + 1):
            controls[f"neurons_{k}"] = widgets.BoundedIntText(
                value=start[f"neurons_{k}"], min=1, max=MAX_NEURONS,
                tooltip=f"neurons of hidden layer {k}", layout=widgets.Layout(width="82px"))
            controls[f"activation_{k}"] = widgets.Dropdown(
                options=list(HIDDEN_ACTIVATIONS), value=start[f"activation_{k}"],
                tooltip=f"activation of hidden layer {k}", layout=widgets.Layout(width="82px"))
        controls["learning_rate"] = widgets.Dropdown(
            options=[(f"{rate:g}", rate) for rate in LEARNING_RATES],
            value=start["learning_rate"], description="learning rate", style=wide,
            layout=widgets.Layout(width="190px"))
        controls["regularization"] = widgets.Dropdown(
            options=[(label, name) for name, label in REGULARIZATIONS.items()],
            value=start["regularization"], description="regularization", style=wide,
            layout=widgets.Layout(width="190px"))
        controls["regularization_rate"] = widgets.Dropdown(
            options=[(f"{rate:g}", rate) for rate in REGULARIZATION_RATES],
            value=start["regularization_rate"], description="rate λ", style=wide,
            layout=widgets.Layout(width="140px"))
        controls["play"] = widgets.Play(value=0, min=0, max=10**9, interval=100,
                                        show_repeat=False, tooltip="play / pause / stop")
        return controls

    def layout(self) -> widgets.Widget:
        columns = [widgets.VBox([widgets.Label(f"layer {k}"), self.controls[f"neurons_{k}"],
                                 self.controls[f"activation_{k}"]])
                   for k in range(1, MAX_HIDDEN_LAYERS + 1)]
        self._layer_columns = columns
        self._show_layer_controls()
        self._show_note()
        return widgets.VBox([
            widgets.HBox([self.play, self.step_button, self.reset_button, self.status]),
            self.note,
            widgets.HBox([self.dataset, self.noise, self.train_percent]),
            widgets.HBox([self.batch_size, self.seed, self.learning_rate, self.regularization,
                          self.regularization_rate]),
            widgets.HBox([widgets.Label("features", layout=widgets.Layout(width="64px")),
                          *(self.controls[f"feature_{name}"] for name in FEATURES)]),
            widgets.HBox([self.hidden_layers, self.activation]),
            widgets.HBox(columns),
            self.image,
        ])

    def _show_layer_controls(self) -> None:
        for k, column in enumerate(self._layer_columns, start=1):
            column.layout.display = None if k <= self.hidden_layers.value else "none"

    @contextmanager
    def _holding(self):
        """Set controls without reacting to each change (one restart and redraw after)."""
        self._hold += 1
        try:
            yield
        finally:
            self._hold -= 1

    def _on_change(self, change) -> None:
        if self._hold:
            return
        name = self._control_names[id(change["owner"])]
        self._notice = ""
        if name == "play":
            if change["new"] > change["old"]:  # a tick; stop sets the value back: no training
                self._train(self.epochs_per_frame)
                self.update()
            return
        if name == "activation":
            with self._holding():
                for k in range(1, MAX_HIDDEN_LAYERS + 1):
                    self.controls[f"activation_{k}"].value = change["new"]
        if name.startswith("feature_") and not self.features:
            with self._holding():
                change["owner"].value = True
            self._notice = "the network needs at least one input feature"
            self.update()
            return
        if name == "hidden_layers":
            self._show_layer_controls()
        if name in _OPTIMIZER_CONTROLS:
            self._diverged = False  # e.g. a smaller learning rate: go on from the last weights
        elif not (name.startswith(("neurons_", "activation_"))
                  and int(name.rsplit("_", 1)[1]) > self.hidden_layers.value):
            self._restart()  # (a layer that is not shown changes nothing)
        self.update()

    def configure(self, *, dataset: str | None = None, noise: int | None = None,
                  train_percent: int | None = None, batch_size: int | None = None,
                  seed: int | None = None, features: Sequence[str] | None = None,
                  hidden: Sequence[int] | None = None,
                  activation: str | Sequence[str] | None = None,
                  learning_rate: float | None = None, regularization: str | None = None,
                  regularization_rate: float | None = None) -> None:
        """Change several settings at once (one restart, one redraw); None keeps a setting.

        Parameters
        ----------
        dataset : str
            A key of ``DATASETS``.
        noise : int
            Percent, 0 to 50.
        train_percent : int
            Percent of the points for training, 10 to 90.
        batch_size : int
            1 to 30.
        seed : int
            0 to 2**31 - 1.
        features : sequence of str
            Keys of ``FEATURES``, at least one.
        hidden : sequence of int
            Neurons per hidden layer: 0 to 6 layers of 1 to 8 neurons; ``()`` for none.
        activation : str or sequence of str
            A key of ``HIDDEN_ACTIVATIONS`` for every hidden layer, or one per hidden layer.
        learning_rate : float
            One of ``LEARNING_RATES``.
        regularization : {"none", "l1", "l2"}
        regularization_rate : float
            One of ``REGULARIZATION_RATES``.

        Raises
        ------
        ValueError
            If a setting is out of range or unknown; the message names it. Nothing changes then.
        """
        values = _settings_to_controls(dict(
            dataset=dataset, noise=noise, train_percent=train_percent, batch_size=batch_size,
            seed=seed, features=features, hidden=hidden, activation=activation,
            learning_rate=learning_rate, regularization=regularization,
            regularization_rate=regularization_rate), self.hidden_layers.value)
        with self._holding():
            for name, value in values.items():
                self.controls[name].value = value
        self._show_layer_controls()
        if any(name not in _OPTIMIZER_CONTROLS for name in values):
            self._restart()
        else:
            self._diverged = False
        self.update()

    # -- settings, as plain values ----------------------------------------------------------
    @property
    def features(self) -> tuple[str, ...]:
        """The names of the input features that are on, in the order of ``FEATURES``."""
        return tuple(name for name in FEATURES if self.controls[f"feature_{name}"].value)

    @property
    def hidden(self) -> tuple[int, ...]:
        """Neurons of each hidden layer (empty: no hidden layer)."""
        return tuple(self.controls[f"neurons_{k}"].value
                     for k in range(1, self.hidden_layers.value + 1))

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """The activation of each hidden layer."""
        return tuple(self.controls[f"activation_{k}"].value
                     for k in range(1, self.hidden_layers.value + 1))

    @property
    def task(self) -> str:
        """``"regression"`` for ``plane`` and ``multi_gauss``, else ``"classification"``."""
        return ("regression" if self.dataset.value in datasets.PLAYGROUND_REGRESSION_DATASETS
                else "classification")

    # -- results ------------------------------------------------------------------------------
    @property
    def uses_student_layers(self) -> bool:
        """True while the network trains with the functions passed to the constructor."""
        return self._layers is not self._course_layers

    @property
    def fallback_note(self) -> str | None:
        """Why course_lib's dense layer replaced the student's, or None while theirs is used."""
        return self._fallback_note

    @property
    def epoch(self) -> int:
        """Epochs trained since the last restart."""
        return len(self._history["train_loss"]) - 1

    @property
    def train_loss(self) -> float:
        """Data loss (cross-entropy or squared error, no penalty) on the training points."""
        return self._history["train_loss"][-1]

    @property
    def test_loss(self) -> float:
        """Data loss on the test points."""
        return self._history["test_loss"][-1]

    @property
    def train_accuracy(self) -> float | None:
        """Fraction of training points classified right (None for regression)."""
        return self._accuracy[0]

    @property
    def test_accuracy(self) -> float | None:
        """Fraction of test points classified right (None for regression)."""
        return self._accuracy[1]

    @property
    def history(self) -> dict[str, np.ndarray]:
        """The loss curves: ``"epoch"``, ``"train_loss"``, ``"test_loss"``, from epoch 0 on."""
        return {"epoch": np.arange(self.epoch + 1),
                "train_loss": np.array(self._history["train_loss"]),
                "test_loss": np.array(self._history["test_loss"])}

    @property
    def diverged(self) -> bool:
        """True when training stopped because the loss or the weights stopped being finite."""
        return self._diverged

    @property
    def train_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The training points ``(N_train, 2)`` and their labels or targets ``(N_train,)``."""
        return self._points[0].copy(), self._targets[0][:, 0].copy()

    @property
    def test_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The test points ``(N_test, 2)`` and their labels or targets ``(N_test,)``."""
        return self._points[1].copy(), self._targets[1][:, 0].copy()

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Copies of the weights, one ``(W (D, M), b (M,))`` per dense layer, input to output.

        The shapes follow the network: ``D`` features, then each hidden layer's neurons, then
        one output unit. ``np.savez(path, *[a for pair in playground.weights() for a in pair])``
        stores them.
        """
        return [(W.copy(), b.copy()) for W, b in self._weights]

    def predict(self, points) -> np.ndarray:
        """The network's output at points ``(N, 2)``: P(class 1) [A7], or the regression value.

        Returns
        -------
        ndarray, shape (N,)
        """
        X = input_features(points, self.features)
        with np.errstate(all="ignore"):
            outputs, _ = self._guarded(lambda: self._forward(X, self._weights))
        z = outputs[-1][:, 0]
        return activations.sigmoid(z) if self.task == "classification" else z

    def loss_and_grads(self, points, targets, weights=None):
        """The training objective on some points and its gradient [C6], [D6].

        Parameters
        ----------
        points : ndarray, shape (N, 2)
            Coordinates; the current features are computed from them.
        targets : ndarray, shape (N,)
            Labels 0/1 (classification) or values (regression).
        weights : list of (ndarray, ndarray), optional
            ``(W, b)`` per layer as ``weights()`` returns them; default the current weights.

        Returns
        -------
        objective : float
            The data loss (mean over the points) plus the current penalty ``λ Σ Ω(W)``.
        grads : list of (ndarray, ndarray)
            ``(dW, db)`` per layer, the shapes of ``weights``.
        """
        X = input_features(points, self.features)
        y = np.asarray(targets, dtype=np.float64).reshape(-1, 1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"targets must have shape (N,) = ({X.shape[0]},), "
                             f"got {np.shape(targets)}")
        weights = self._weights if weights is None else [
            (np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64))
            for W, b in weights]
        shapes = [(W.shape, b.shape) for W, b in self._weights]
        if [(W.shape, b.shape) for W, b in weights] != shapes:
            raise ValueError(f"weights must have the shapes of weights(), {shapes}")
        with np.errstate(all="ignore"):
            result = self._guarded(lambda: self._objective(X, y, weights))
        if result is None:
            raise ValueError("the loss is not finite for these weights")
        return result

    # -- the buttons --------------------------------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Train ``n`` epochs (mini-batch gradient descent [F1]), then redraw once."""
        self._train(_integer("n", n, 1, 100_000))
        self.update()

    def reset(self) -> None:
        """Start this configuration again: the same data and initial weights; redraw."""
        self._restart()
        self.update()

    # -- the network ----------------------------------------------------------------------------
    def _forward(self, X, weights):
        """Feed forward [A3]: each layer's output (activated for hidden ones) and its tape."""
        outputs, tape = [], []
        a = X
        acts = self.layer_activations
        for index, (W, b) in enumerate(weights):
            z, cache = self._layers.forward(a, W, b)
            tape.append((cache, z, (a.shape, W.shape, b.shape)))
            a = HIDDEN_ACTIVATIONS[acts[index]][0](z) if index < len(acts) else z
            outputs.append(a)
        return outputs, tape

    def _data_loss(self, z, y):
        """Mean loss of the output ``z (N, 1)`` and its gradient ``dz``: [C2] or [C1]."""
        if self.task == "classification":
            return losses.bce_with_logits(z, y)  # sigmoid output + binary cross-entropy
        return losses.mse_loss(z, y)             # linear output + squared error

    def _objective(self, X, y, weights):
        """Data loss plus penalty and the gradients of every (W, b) [C6], [D6]; None if the
        output is not finite."""
        outputs, tape = self._forward(X, weights)
        z = outputs[-1]
        if not np.all(np.isfinite(z)):
            return None
        loss, delta = self._data_loss(z, y)
        rate = self.regularization_rate.value
        penalty = (regularization.PENALTIES[self.regularization.value]
                   if self.regularization.value != "none" and rate > 0 else None)
        acts = self.layer_activations
        grads = [None] * len(weights)
        for index in reversed(range(len(weights))):
            cache, s, shapes = tape[index]  # s: the layer's pre-activation, as in the notes
            if index < len(acts):  # δ = (δ of the layer above, through W) · φ'(s) [D6]
                delta = delta * HIDDEN_ACTIVATIONS[acts[index]][1](s)
            dx, dW, db = self._layers.backward(delta, cache, shapes)
            if penalty is not None:
                value, dpenalty = penalty(weights[index][0], rate)  # [G1], [G2]
                loss, dW = loss + value, dW + dpenalty
            grads[index] = (dW, db)
            delta = dx
        return loss, grads

    def _guarded(self, compute):
        """``compute()``; if the student's layer fails in it, fall back and compute again."""
        try:
            return compute()
        except StudentFunctionError as exc:
            self._layers = self._course_layers
            self._fallback_note = self._explain(str(exc), "training")
            self._show_note()
            return compute()

    @staticmethod
    def _explain(problem: str, when: str) -> str:
        found = ("does not pass the check on a small random input" if when == "check"
                 else "failed while training")
        function = "affine_backward" if "affine_backward" in problem else "affine_forward"
        return (f"Your {function} {found}: {problem}. The playground trains with course_lib's "
                "affine_forward and affine_backward instead; fix yours and run this cell again.")

    def _show_note(self) -> None:
        if self._fallback_note is None:
            self.note.layout.display = "none"
            self.note.value = ""
            return
        self.note.layout.display = None
        self.note.value = ("<div style='border-left: 4px solid crimson; padding: 2px 8px; "
                           "margin: 4px 0; background: #fff0f0'>"
                           f"{html.escape(self._fallback_note)}</div>")

    def _restart(self) -> None:
        """New data, split and initial weights for the current settings; epoch 0."""
        seed = self.seed.value
        noise = self.noise.value / 100.0
        data_rng = np.random.default_rng([seed, 0])
        if self.task == "classification":
            points, targets = datasets.make_playground(self.dataset.value, self.num_points,
                                                       noise, data_rng)
        else:
            points, targets = datasets.make_playground_regression(
                self.dataset.value, self.num_points, noise, data_rng)
        train, _, test = datasets.train_val_test_indices(
            targets, np.random.default_rng([seed, 1]), val_fraction=0.0,
            test_fraction=1.0 - self.train_percent.value / 100.0, stratify=False)
        names = self.features
        self._points = (points[train], points[test])
        self._targets = tuple(targets[part].astype(np.float64)[:, None] for part in (train,
                                                                                     test))
        self._inputs = tuple(input_features(part, names) for part in self._points)
        self._grid_inputs = input_features(self._grid_points, names)

        init_rng = np.random.default_rng([seed, 2])
        sizes = [len(names), *self.hidden, 1]
        acts = self.layer_activations
        self._weights = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            init = he_init if index < len(acts) and acts[index] == "relu" else xavier_init
            self._weights.append((init(fan_in, fan_out, init_rng), np.zeros(fan_out)))
        self._batch_rng = np.random.default_rng([seed, 3])
        self._diverged = False
        self._history = {"train_loss": [], "test_loss": []}
        self._record()
        self._arrange_network()
        self._show_points()

    def _train(self, epochs: int) -> None:
        with np.errstate(all="ignore"):  # overflow is caught below as divergence
            for _ in range(epochs):
                if self._diverged:
                    return
                self._train_epoch()

    def _train_epoch(self) -> None:
        """One epoch of mini-batch gradient descent [F1], [D10]; record the losses."""
        lr = self.learning_rate.value
        X, y = self._inputs[0], self._targets[0][:, 0]
        for X_batch, y_batch in datasets.iterate_minibatches(X, y, self.batch_size.value,
                                                             self._batch_rng):
            y_batch = y_batch[:, None]
            result = self._guarded(lambda: self._objective(X_batch, y_batch, self._weights))
            finite = result is not None and np.isfinite(result[0]) and all(
                np.all(np.isfinite(g)) for pair in result[1] for g in pair)
            if finite:
                updated = [(sgd_update(W, dW, lr), sgd_update(b, db, lr))
                           for (W, b), (dW, db) in zip(self._weights, result[1])]
                finite = all(np.all(np.isfinite(p)) for pair in updated for p in pair)
            if not finite:  # keep the last finite weights and stop
                self._diverged = True
                self.play.playing = False
                break
            self._weights = updated
        self._record()

    def _evaluate(self, X, y):
        outputs, _ = self._forward(X, self._weights)
        z = outputs[-1]
        if not np.all(np.isfinite(z)):
            return float("nan"), None
        loss, _ = self._data_loss(z, y)
        accuracy = (float(np.mean((z > 0) == (y > 0.5))) if self.task == "classification"
                    else None)
        return loss, accuracy

    def _record(self) -> None:
        with np.errstate(all="ignore"):
            (train_loss, train_acc), (test_loss, test_acc) = (
                self._guarded(lambda: self._evaluate(X, y))
                for X, y in zip(self._inputs, self._targets))
        self._history["train_loss"].append(train_loss)
        self._history["test_loss"].append(test_loss)
        self._accuracy = (train_acc, test_acc)

    # -- Explorer -------------------------------------------------------------------------------
    def build(self, figure: Figure) -> None:
        centres = np.linspace(-DOMAIN, DOMAIN, 2 * _GRID + 1)[1::2]  # the cells' centres
        g1, g2 = np.meshgrid(centres, centres)  # row i: x2 = centres[i] (drawn bottom up)
        self._grid_points = np.column_stack([g1.ravel(), g2.ravel()])

        # The network: a tile per feature and neuron, the weights as lines between them.
        self.network_ax = figure.add_axes((0.005, 0.02, 0.44, 0.9))
        self.network_ax.set_axis_off()
        self._mosaic = self.network_ax.imshow(np.ones((1, 1, 3)), interpolation="nearest",
                                              extent=(0, 1, 1, 0))
        self._links = LineCollection([], zorder=3, capstyle="butt")
        self.network_ax.add_collection(self._links)
        self._column_labels = [self.network_ax.text(0, 0, "", ha="center", va="bottom",
                                                    fontsize=7.5, linespacing=1.1)
                               for _ in range(MAX_HIDDEN_LAYERS + 2)]
        self._layout_version = 0  # counts the arrangements of the network (see render_png)
        self._background, self._background_key = None, None

        # The output: heat map of the network's output with the training and test points.
        self.output_ax = figure.add_axes((0.485, 0.13, 0.27, 0.75))
        self._heat = self.output_ax.imshow(np.ones((_GRID, _GRID, 3)), origin="lower",
                                           extent=(-DOMAIN, DOMAIN, -DOMAIN, DOMAIN),
                                           interpolation="bilinear")
        self._train_scatter = self.output_ax.scatter([], [], s=13, edgecolors="white",
                                                     linewidths=0.6, zorder=3)
        self._test_scatter = self.output_ax.scatter([], [], s=13, edgecolors="black",
                                                    linewidths=0.6, zorder=3)
        self.output_ax.set_xlim(-DOMAIN, DOMAIN)
        self.output_ax.set_ylim(-DOMAIN, DOMAIN)
        self.output_ax.set_xticks([-5, 0, 5])
        self.output_ax.set_yticks([-5, 0, 5])
        self.output_ax.tick_params(labelsize=7, length=2)
        self.output_ax.set_xlabel("x₁", fontsize=8)
        self.output_ax.set_ylabel("x₂", fontsize=8)
        _fix_label_positions(self.output_ax, x_label_y=-0.1, y_label_x=-0.1)
        self.output_ax.title.set_fontsize(8.5)

        # The loss curves.
        self.loss_ax = figure.add_axes((0.81, 0.15, 0.18, 0.7))
        (self._train_line,) = self.loss_ax.plot([], [], color="0.55", lw=1.4, label="training")
        (self._test_line,) = self.loss_ax.plot([], [], color="black", lw=1.4, label="test")
        self.loss_ax.legend(fontsize=7, loc="upper right", frameon=False)
        self.loss_ax.set_xlabel("epoch", fontsize=8)
        # few ticks: each label costs about half a millisecond of a full draw
        self.loss_ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        self.loss_ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        self.loss_ax.tick_params(labelsize=7, length=2)
        self.loss_ax.grid(alpha=0.3)
        _fix_label_positions(self.loss_ax, x_label_y=-0.12, y_label_x=-0.2)
        self.loss_ax.title.set_fontsize(8.5)
        self._restart()

    def _arrange_network(self) -> None:
        """Place the tiles, the weights' lines and the column labels for this network shape."""
        sizes = [len(self.features), *self.hidden, 1]
        columns, rows = len(sizes), max(sizes)
        step_x, step_y = _TILE + _COLUMN_GAP, _TILE + _ROW_GAP
        width, height = columns * step_x - _COLUMN_GAP, rows * step_y - _ROW_GAP
        # The view fits the network, but at least 5 columns and 5 rows, so that a small network
        # does not get huge tiles; aspect 1 keeps them square.
        view_width = max(width, 5 * step_x - _COLUMN_GAP)
        view_height = max(height, 5 * step_y - _ROW_GAP)
        left = 0.0
        margin = _COLUMN_GAP / 2  # room for the column labels, which are wider than a tile
        self.network_ax.set_xlim((width - view_width) / 2 - margin,
                                 (width + view_width) / 2 + margin)
        self.network_ax.set_ylim((height + view_height) / 2 + 2,
                                 (height - view_height) / 2 - 0.13 * view_height)
        tops = [[(rows - n) * step_y / 2 + k * step_y for k in range(n)] for n in sizes]
        self._tile_origins = [[(c * step_x, int(round(top))) for top in column]
                              for c, column in enumerate(tops)]
        self._mosaic_pixels = np.full((height, width, 3), 255, dtype=np.uint8)
        self._mosaic.set_extent((left, left + width, height, 0))
        segments = []
        for c in range(columns - 1):
            for top_in in self._tile_origins[c]:
                for top_out in self._tile_origins[c + 1]:
                    segments.append([(left + top_in[0] + _TILE, top_in[1] + _TILE / 2),
                                     (left + top_out[0], top_out[1] + _TILE / 2)])
        self._links.set_segments(segments)
        acts = self.layer_activations
        output = "σ" if self.task == "classification" else "linear"
        names = (["features"] + [f"{n} {act}" for n, act in zip(self.hidden, acts)]
                 + [f"output\n{output}"])
        for c, text in enumerate(self._column_labels):
            text.set_visible(c < columns)
            if c < columns:
                text.set_text(names[c] if c in (0, columns - 1) else f"layer {c}\n{names[c]}")
                text.set_position((left + c * step_x + _TILE / 2, -3))
        self._layout_version += 1

    def _show_points(self) -> None:
        """The training and test points, coloured by label or target."""
        for scatter, points, targets in zip((self._train_scatter, self._test_scatter),
                                            self._points, self._targets):
            values = (2.0 * targets[:, 0] - 1.0 if self.task == "classification"
                      else targets[:, 0])
            scatter.set_offsets(points)
            scatter.set_facecolors(_colors(values) / 255.0)

    def draw(self) -> None:
        with np.errstate(all="ignore"):
            outputs, _ = self._guarded(lambda: self._forward(self._grid_inputs, self._weights))
        z = outputs[-1][:, 0]
        if self.task == "classification":
            shown = 2.0 * activations.sigmoid(np.nan_to_num(z)) - 1.0  # P(class 1) in [-1, 1]
        else:
            shown = z
        self._heat.set_data(_colors(shown.reshape(_GRID, _GRID)))
        self._draw_network([self._grid_inputs, *outputs[:-1], shown[:, None]])
        self._draw_losses()
        self._write_status()

    def _draw_network(self, maps: list[np.ndarray]) -> None:
        """Fill the tiles with each unit's output over the square, and colour the weights."""
        pixels = self._mosaic_pixels
        for column, values in zip(self._tile_origins, maps):
            tiles = values.reshape(_GRID, _GRID, -1)[::_TILE_STEP, ::_TILE_STEP][::-1]
            # a unit's values are divided by their largest magnitude when it exceeds 1
            scale = np.maximum(np.nanmax(np.abs(tiles), axis=(0, 1)), 1.0)
            colors = _colors(tiles / scale)
            for k, (x, y) in enumerate(column):
                pixels[y:y + _TILE, x:x + _TILE] = colors[:, :, k]
        self._mosaic.set_data(pixels)
        weights = np.concatenate([W.ravel() for W, _ in self._weights]) if self._weights else []
        weights = np.nan_to_num(np.asarray(weights))
        self._links.set_linewidths(np.clip(1.5 * np.abs(weights), 0.2, 4.0))
        self._links.set_colors(_colors(np.sign(weights)) / 255.0)

    def _draw_losses(self) -> None:
        history = self.history
        epochs = history["epoch"]
        train, test = history["train_loss"], history["test_loss"]
        self._train_line.set_data(epochs, train)
        self._test_line.set_data(epochs, test)
        self.loss_ax.set_xlim(0, _round_up(epochs[-1]))
        finite = np.concatenate([train[np.isfinite(train)], test[np.isfinite(test)]])
        top = float(finite.max()) if finite.size else 1.0
        self.loss_ax.set_ylim(0, 1.08 * top if top > 0 else 1.0)
        loss = "cross-entropy" if self.task == "classification" else "squared error"
        self.loss_ax.title.set_text(f"loss ({loss})\ntraining {self.train_loss:.3f}, "
                                    f"test {self.test_loss:.3f}")
        if self.task == "classification":
            self.output_ax.title.set_text(f"P(class 1); test accuracy "
                                          f"{_percent(self.test_accuracy)}")
        else:
            self.output_ax.title.set_text("output (regression)")

    def _write_status(self) -> None:
        parts = [f"<b>epoch {self.epoch}</b>",
                 f"training loss <span class='course-playground-train-loss'>"
                 f"{self.train_loss:.3f}</span>",
                 f"test loss <span class='course-playground-test-loss'>"
                 f"{self.test_loss:.3f}</span>"]
        if self.task == "classification":
            parts.append(f"test accuracy {_percent(self.test_accuracy)}")
        parts.append("your affine layers" if self.uses_student_layers
                     else "course_lib's affine layers")
        if self._diverged:
            parts.append("<span style='color: crimson'>training stopped: the loss is no longer "
                         "finite (learning rate too large); lower it or press reset</span>")
        if self._notice:
            parts.append(f"<span style='color: crimson'>{html.escape(self._notice)}</span>")
        self.status.value = " · ".join(parts)

    def render_png(self) -> bytes:
        """The figure as PNG bytes: a stored background, and on it what changes.

        Notes
        -----
        Most of the time of drawing this figure goes into text: tick labels, the legend, the
        column labels. They change only with the network's arrangement or the loss axes'
        limits, so the figure is drawn in full, without the artists that change every step,
        only then; its pixels are kept (``copy_from_bbox``). Every other redraw restores them
        and draws the images, points, lines and titles on top (blitting), in about half the
        time of a full draw. Text is drawn without hinting, as in ``GraphExplorer``.
        """
        changing = [self._mosaic, self._links, self._heat, self._train_scatter,
                    self._test_scatter, *self.output_ax.spines.values(), self._train_line,
                    self._test_line, self.loss_ax.title, self.output_ax.title, self._message]
        key = (self._layout_version, self.loss_ax.get_xlim(), self.loss_ax.get_ylim(),
               self.error)
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            if key != self._background_key:
                shown = [artist.get_visible() for artist in changing]
                for artist in changing:
                    artist.set_visible(False)
                self._canvas.draw()
                self._background = self._canvas.copy_from_bbox(self.figure.bbox)
                self._background_key = key
                for artist, visible in zip(changing, shown):
                    artist.set_visible(visible)
            else:
                self._canvas.restore_region(self._background)
            renderer = self._canvas.get_renderer()
            for artist in changing:  # each draws itself only if it is visible
                if artist.axes is None or artist.axes.get_visible():
                    artist.draw(renderer)
        width, height = self._canvas.get_width_height(physical=True)
        picture = PILImage.frombuffer("RGBA", (width, height), self._canvas.buffer_rgba(),
                                      "raw", "RGBA", 0, 1).convert("RGB")
        buffer = io.BytesIO()
        picture.save(buffer, format="png", compress_level=1)  # as Explorer.render_png
        return buffer.getvalue()


def _round_up(epoch: int) -> int:
    """The smallest of 10, 20, 50, 100, 200, 500, ... that is at least ``epoch``."""
    bound = 10
    while bound < epoch:
        bound = bound * 5 // 2 if str(bound)[0] == "2" else bound * 2
    return bound


def _percent(fraction: float | None) -> str:
    return "–" if fraction is None else f"{100 * fraction:.1f} %"
