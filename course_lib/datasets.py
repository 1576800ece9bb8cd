"""Data sets: playground data [J1], logic gates [A6], digits, a memory task, data splits [G6].

- ``make_playground`` draws the four classification data sets of the TensorFlow Playground
  (playground.tensorflow.org) [J1]: ``circle``, ``xor``, ``gauss`` and ``spiral``, as its
  ``dataset.ts`` defines them, with the playground's noise slider (0 to 50 %) as ``noise`` in
  ``[0, 0.5]``. ``make_playground_regression`` draws its two regression data sets, ``plane`` and
  ``multi_gauss``, whose target is a smooth function of the point.
- ``logic_gate_data`` returns the truth tables of AND, OR and XOR [A6]; AND and OR are linearly
  separable, XOR becomes so only with the extra feature ``x1·x2``.
- ``load_digits`` returns the 8×8 handwritten digits that scikit-learn ships with its package
  (no download).
- ``make_sequence_task`` builds a long-memory classification task on which an LSTM learns and a
  vanilla RNN of the same size stays near chance [I3, I4].
- ``train_val_test_split`` (and ``train_val_test_indices``) split a data set into disjoint
  training, validation and test sets, stratified by label [G6]; ``iterate_minibatches`` serves
  the mini-batches of one epoch of mini-batch gradient descent [F1].

Contract
--------
- Features ``X`` are float64 arrays with the samples along axis 0, labels ``y`` are int64 class
  indices ``0 .. K-1``. The playground's labels ``+1`` and ``-1`` become ``1`` and ``0``.
  Regression targets ``y`` are float64.
- Every function that draws random numbers takes ``rng: numpy.random.Generator``; the same seed
  gives the same data. Nothing modifies its caller's arrays.
- Bad input (an unknown name, a count or fraction out of range, mismatched lengths, a non-generator
  ``rng``) raises ``ValueError`` or ``TypeError`` naming the argument and what was expected.
"""
import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "PLAYGROUND_DATASETS",
    "make_playground",
    "PLAYGROUND_REGRESSION_DATASETS",
    "make_playground_regression",
    "logic_gate_data",
    "load_digits",
    "make_sequence_task",
    "train_val_test_indices",
    "train_val_test_split",
    "iterate_minibatches",
]

#: The names ``make_playground`` accepts, in the order the playground shows them.
PLAYGROUND_DATASETS = ("circle", "xor", "gauss", "spiral")

#: The names ``make_playground_regression`` accepts, in the order the playground shows them.
PLAYGROUND_REGRESSION_DATASETS = ("plane", "multi_gauss")

#: The six bumps of ``multi_gauss``: centre ``(x, y)`` and the sign of the target there.
_MULTI_GAUSS_BUMPS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                               [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])

LOGIC_GATES = ("and", "or", "xor")


# ----------------------------------------------------------------------------------------------
# Argument checks
# ----------------------------------------------------------------------------------------------
def _check_int(value, name, minimum):
    """Return ``value`` as an int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_real(value, name, low, high):
    """Return ``value`` as a float, or raise if it is not a real number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


def _check_rng(rng):
    """Raise unless ``rng`` is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )


def _check_bool(value, name):
    """Raise unless ``value`` is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def _check_X_y(X, y):
    """Return ``X`` and ``y`` as arrays with the same number of samples along axis 0."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim < 1:
        raise ValueError("X must have the samples along axis 0, got a scalar")
    if y.ndim != 1:
        raise ValueError(f"y must have shape (N,), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must hold the same number of samples, got X with {X.shape[0]} "
            f"and y with {y.shape[0]}"
        )
    return X, y


# ----------------------------------------------------------------------------------------------
# TensorFlow Playground data [J1]
# ----------------------------------------------------------------------------------------------
def _playground_circle(half, noise, rng):
    """Two rings: ``half`` points with r < 2.5 (mostly label 1), ``half`` with 3.5 <= r < 5."""
    radius = 5.0
    points, labels = [], []
    for r_low, r_high in ((0.0, radius * 0.5), (radius * 0.7, radius)):
        r = rng.uniform(r_low, r_high, size=half)
        angle = rng.uniform(0.0, 2.0 * np.pi, size=half)
        x = r * np.sin(angle)
        y = r * np.cos(angle)
        noise_xy = rng.uniform(-radius, radius, size=(half, 2)) * noise
        # The label is decided at the noisy point; the point stored is the noise-free one.
        noisy_r = np.hypot(x + noise_xy[:, 0], y + noise_xy[:, 1])
        points.append(np.stack([x, y], axis=1))
        labels.append(noisy_r < radius * 0.5)
    return np.concatenate(points), np.concatenate(labels)


def _playground_xor(n, noise, rng):
    """Uniform points in the square, pushed 0.3 away from both axes; label = sign of x·y."""
    padding = 0.3
    xy = rng.uniform(-5.0, 5.0, size=(n, 2))
    xy = xy + np.where(xy > 0, padding, -padding)
    noise_xy = rng.uniform(-5.0, 5.0, size=(n, 2)) * noise
    noisy = xy + noise_xy
    labels = noisy[:, 0] * noisy[:, 1] >= 0
    return xy, labels


def _playground_gauss(half, noise, rng):
    """Two Gaussian blobs around (2, 2) (label 1) and (-2, -2) (label 0)."""
    variance = 0.5 + (4.0 - 0.5) * noise / 0.5  # the linear map [0, 0.5] -> [0.5, 4]
    std = math.sqrt(variance)
    positive = rng.normal(2.0, std, size=(half, 2))
    negative = rng.normal(-2.0, std, size=(half, 2))
    labels = np.concatenate([np.ones(half, dtype=bool), np.zeros(half, dtype=bool)])
    return np.concatenate([positive, negative]), labels


def _playground_spiral(half, noise, rng):
    """Two interleaved spiral arms, the second one the first rotated by pi."""
    points = []
    i = np.arange(half)
    for delta_t in (0.0, np.pi):
        r = i / half * 5.0
        t = 1.75 * i / half * 2.0 * np.pi + delta_t
        x = r * np.sin(t) + rng.uniform(-1.0, 1.0, size=half) * noise
        y = r * np.cos(t) + rng.uniform(-1.0, 1.0, size=half) * noise
        points.append(np.stack([x, y], axis=1))
    labels = np.concatenate([np.ones(half, dtype=bool), np.zeros(half, dtype=bool)])
    return np.concatenate(points), labels


def make_playground(name, n, noise, rng):
    """Draw one of the TensorFlow Playground's classification data sets [J1].

    Parameters
    ----------
    name : str
        ``"circle"``, ``"xor"``, ``"gauss"`` or ``"spiral"`` (see ``PLAYGROUND_DATASETS``).
    n : int
        Number of points N, even and at least 2 (the playground draws N/2 per class or ring).
    noise : float
        The playground's noise slider divided by 100, in ``[0, 0.5]``.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    X : ndarray, shape (N, 2)
        The points ``(x, y)``, float64.
    y : ndarray, shape (N,)
        Labels, int64: 1 where the playground says +1 (blue), 0 where it says -1 (orange).

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``n`` is odd or below 2, or ``noise`` lies outside ``[0, 0.5]``.
    TypeError
        If ``n`` is not an integer, ``noise`` not a real number or ``rng`` not a Generator.

    Notes
    -----
    The definitions follow the playground's ``dataset.ts``:

    - ``circle``: radius 5. N/2 points with ``r ~ U(0, 2.5)`` and N/2 with ``r ~ U(3.5, 5)``,
      angle ``~ U(0, 2π)``, point ``(r sin a, r cos a)``. The label is 1 when the *noisy* point
      ``(x + εx, y + εy)``, ``ε ~ U(-5, 5)·noise``, lies within radius 2.5 of the origin; the
      point returned is the noise-free one. With noise, some labels are therefore "wrong" for
      where the point is drawn.
    - ``xor``: ``x, y ~ U(-5, 5)``, each pushed 0.3 away from zero; label 1 when
      ``(x + εx)(y + εy) >= 0`` with ``ε ~ U(-5, 5)·noise``; again the noise-free point is
      returned.
    - ``gauss``: N/2 points from ``N((2, 2), σ²I)`` with label 1 and N/2 from
      ``N((-2, -2), σ²I)`` with label 0, where the variance ``σ²`` maps ``noise`` linearly from
      ``[0, 0.5]`` to ``[0.5, 4]``. Noise widens the blobs; it does not touch labels.
    - ``spiral``: per class, ``i = 0 .. N/2-1``, ``r = 5 i/(N/2)``,
      ``t = 1.75 · 2π i/(N/2) + Δt``, point ``(r sin t, r cos t) + U(-1, 1)·noise`` per
      coordinate; ``Δt = 0`` for label 1 and ``π`` for label 0.

    The rows come in the order the playground generates them (for ``circle``: the inner ring,
    then the outer ring; for ``gauss`` and ``spiral``: label 1, then label 0). The playground
    shuffles before it splits into training and test data; ``train_val_test_split`` and
    ``iterate_minibatches`` do that here. The random numbers are drawn in the same order for
    every ``noise``, so that one seed gives the same points at every noise level and only the
    labels (circle, xor) or the spread (gauss, spiral) change.
    """
    if not isinstance(name, str) or name not in PLAYGROUND_DATASETS:
        raise ValueError(f"name must be one of {PLAYGROUND_DATASETS}, got {name!r}")
    n = _check_int(n, "n", 2)
    if n % 2:
        raise ValueError(f"n must be even (the playground draws n/2 points per class), got {n}")
    noise = _check_real(noise, "noise", 0.0, 0.5)
    _check_rng(rng)

    half = n // 2
    if name == "circle":
        X, labels = _playground_circle(half, noise, rng)
    elif name == "xor":
        X, labels = _playground_xor(n, noise, rng)
    elif name == "gauss":
        X, labels = _playground_gauss(half, noise, rng)
    else:
        X, labels = _playground_spiral(half, noise, rng)
    return X.astype(np.float64, copy=False), labels.astype(np.int64)


def _multi_gauss_target(points):
    """The ``multi_gauss`` target at each point: the signed bump that is largest in magnitude."""
    distance = np.hypot(points[:, None, 0] - _MULTI_GAUSS_BUMPS[:, 0],
                        points[:, None, 1] - _MULTI_GAUSS_BUMPS[:, 1])
    bumps = _MULTI_GAUSS_BUMPS[:, 2] * np.clip(1.0 - distance / 2.0, 0.0, 1.0)  # (n, 6)
    strongest = np.argmax(np.abs(bumps), axis=1)  # the first of equals, as the playground's loop
    return bumps[np.arange(points.shape[0]), strongest]


def make_playground_regression(name, n, noise, rng):
    """Draw one of the TensorFlow Playground's regression data sets [J1].

    Parameters
    ----------
    name : str
        ``"plane"`` or ``"multi_gauss"`` (see ``PLAYGROUND_REGRESSION_DATASETS``).
    n : int
        Number of points N, at least 1.
    noise : float
        The playground's noise slider divided by 100, in ``[0, 0.5]``.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    X : ndarray, shape (N, 2)
        The points ``(x, y)``, uniform in the square ``[-6, 6]²``, float64.
    y : ndarray, shape (N,)
        The targets, float64: at noise 0 in ``[-1, 1]`` for ``multi_gauss`` and in
        ``[-1.2, 1.2]`` for ``plane``.

    Raises
    ------
    ValueError
        If ``name`` is unknown, ``n`` is below 1, or ``noise`` lies outside ``[0, 0.5]``.
    TypeError
        If ``n`` is not an integer, ``noise`` not a real number or ``rng`` not a Generator.

    Notes
    -----
    The definitions follow the playground's ``regressPlane`` and ``regressGaussian`` in
    ``dataset.ts``. The point is drawn from ``U(-6, 6)²``; the target is computed at the *noisy*
    point ``(x + εx, y + εy)``, ``ε ~ U(-6, 6)·noise``, and the noise-free point is returned, as
    for ``make_playground``'s ``circle`` and ``xor``:

    - ``plane``: ``(x + y) / 10``, a plane through the origin, scaled by the playground's linear
      map ``[-10, 10] -> [-1, 1]`` and not clipped: corners of the square reach ``±1.2``, noisy
      points beyond.
    - ``multi_gauss``: six bumps ``±max(0, 1 - d/2)`` of radius 2, where ``d`` is the distance
      to the bump's centre: ``+`` at ``(-4, 2.5)``, ``(4, 2.5)`` and ``(0, -2.5)``, ``-`` at
      ``(0, 2.5)``, ``(-4, -2.5)`` and ``(4, -2.5)``. The target is the bump largest in
      magnitude (0 far from every centre).

    The random numbers are drawn in the same order for every ``noise``: one seed gives the same
    points at every noise level, and only the targets change.
    """
    if not isinstance(name, str) or name not in PLAYGROUND_REGRESSION_DATASETS:
        raise ValueError(f"name must be one of {PLAYGROUND_REGRESSION_DATASETS}, got {name!r}")
    n = _check_int(n, "n", 1)
    noise = _check_real(noise, "noise", 0.0, 0.5)
    _check_rng(rng)

    radius = 6.0
    X = rng.uniform(-radius, radius, size=(n, 2))
    noisy = X + rng.uniform(-radius, radius, size=(n, 2)) * noise
    if name == "plane":
        y = (noisy[:, 0] + noisy[:, 1]) / 10.0
    else:
        y = _multi_gauss_target(noisy)
    return X, y.astype(np.float64, copy=False)


# ----------------------------------------------------------------------------------------------
# Logic gates [A6]
# ----------------------------------------------------------------------------------------------
def logic_gate_data(name, with_product_feature=False):
    """The truth table of a logic gate as a 4-sample classification data set [A6].

    Parameters
    ----------
    name : str
        ``"and"``, ``"or"`` or ``"xor"`` (case-insensitive).
    with_product_feature : bool, optional
        Append the feature ``x1·x2`` as a third column.

    Returns
    -------
    X : ndarray, shape (4, 2) or (4, 3)
        The inputs ``(x1, x2)`` = (0, 0), (0, 1), (1, 0), (1, 1), float64, with ``x1·x2`` as a
        third column when asked.
    y : ndarray, shape (4,)
        The gate's output, int64 (0 or 1).

    Notes
    -----
    AND and OR are linearly separable: one neuron ``step(w·x + b)`` computes them (AND:
    ``x1 + x2 - 1.5``, OR: ``x1 + x2 - 0.5``). XOR is not: its two positive points (0, 1) and
    (1, 0) have the same midpoint (0.5, 0.5) as its two negative points (0, 0) and (1, 1), so
    any line that put both positives on one side would put that midpoint there too, and likewise
    for the negatives. With the extra feature ``x1·x2`` one neuron suffices:
    ``x1 + x2 - 2·x1·x2 - 0.5`` is positive exactly on the XOR points. A network with one hidden
    layer learns such a feature from ``x1`` and ``x2`` alone.
    """
    if not isinstance(name, str) or name.lower() not in LOGIC_GATES:
        raise ValueError(f"name must be one of {LOGIC_GATES}, got {name!r}")
    with_product_feature = _check_bool(with_product_feature, "with_product_feature")
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    a = X[:, 0].astype(bool)
    b = X[:, 1].astype(bool)
    gate = {"and": a & b, "or": a | b, "xor": a ^ b}[name.lower()]
    if with_product_feature:
        X = np.column_stack([X, X[:, 0] * X[:, 1]])
    return X, gate.astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Handwritten digits
# ----------------------------------------------------------------------------------------------
def load_digits(as_images=False):
    """The 1797 handwritten 8×8 digits that scikit-learn ships, scaled to ``[0, 1]``.

    Parameters
    ----------
    as_images : bool, optional
        Return ``X`` as images with one channel instead of flat vectors.

    Returns
    -------
    X : ndarray, shape (1797, 64), or (1797, 1, 8, 8) with ``as_images=True``
        Grey values in ``[0, 1]``, float64 (the raw pixels count 0 to 16 and are divided by 16).
    y : ndarray, shape (1797,)
        The digit 0-9, int64.

    Notes
    -----
    The data are the test set of the UCI "Optical Recognition of Handwritten Digits" data set,
    stored inside the scikit-learn package, so that loading them needs no network. scikit-learn
    is imported here rather than at the top of the module, so that ``course_lib.datasets``
    imports without it.
    """
    as_images = _check_bool(as_images, "as_images")
    try:
        from sklearn.datasets import load_digits as _sklearn_load_digits
    except ImportError as error:  # pragma: no cover - scikit-learn is a course dependency
        raise ImportError("load_digits needs scikit-learn (pip install scikit-learn)") from error
    digits = _sklearn_load_digits()
    X = np.asarray(digits.data, dtype=np.float64) / 16.0
    y = np.asarray(digits.target, dtype=np.int64)
    if as_images:
        X = X.reshape(-1, 1, 8, 8)
    return X, y


# ----------------------------------------------------------------------------------------------
# A long-memory sequence task [I3, I4]
# ----------------------------------------------------------------------------------------------
def make_sequence_task(n, length, rng, num_classes=2, noise_std=5.0):
    """First-symbol recall: classify a sequence by the symbol shown at its first step.

    Parameters
    ----------
    n : int
        Number of sequences N, at least 1.
    length : int
        Sequence length T, at least 1. The main control of difficulty: the class is shown only
        at step 0 and must be carried through the ``T - 1`` distractor steps that follow.
    rng : numpy.random.Generator
        Source of all randomness.
    num_classes : int, optional
        Number of classes K, at least 2. Chance level is ``1 / K``.
    noise_std : float, optional
        Standard deviation of the distractors, a finite number ``>= 0``. The second control of
        difficulty: distractors much larger than the cue (which is 1) wash a plain recurrent
        state out.

    Returns
    -------
    X : ndarray, shape (N, T, K + 1)
        Inputs, float64. Step 0: the one-hot code of the class in columns ``0 .. K-1`` and 1 in
        the marker column ``K``. Steps ``1 .. T-1``: independent ``N(0, noise_std²)`` noise in
        columns ``0 .. K-1`` and 0 in the marker column.
    y : ndarray, shape (N,)
        The class shown at step 0, int64. The classes are balanced: each occurs
        ``N // K`` or ``N // K + 1`` times.

    Notes
    -----
    The label is ``argmax(X[:, 0, :K])``: a function of the first step alone. The distractors are
    drawn independently of the label, so that nothing after step 0 carries information about it;
    a model that reads the sequence and classifies from its last hidden state must remember the
    first step for ``T - 1`` steps. The distractors use the same input columns as the cue, so a
    network cannot simply give them zero weight: it has to *gate* its input (the marker column
    tells it when to listen).

    A vanilla RNN [I1] fails here for two reasons that the course discusses: its gradient
    through ``T`` steps vanishes [I3], and every distractor is written into its state. An LSTM
    [I4] can learn to open its input gate only at the marker and to keep its cell state with a
    forget gate near 1.

    Intended difficulty: with ``length=20`` and the defaults (``num_classes=2``,
    ``noise_std=5``, chance 50 %), an LSTM with 32 hidden units and a linear read-out of its
    last hidden state, trained with Adam (learning rate 1e-2, batches of 64, gradient-norm
    clipping at 1) for 400 steps on 1024 sequences (about a second on one CPU core), reaches
    over 99 % test accuracy, provided that its forget-gate bias starts at +1 (a common
    initialization; in PyTorch, set the forget slice ``[H:2H]`` of ``bias_ih`` to 1 and of
    ``bias_hh`` to 0). With PyTorch's default of about 0 the forget gate starts near 0.5 and
    keeps only ``0.5**19`` of the cue, and training usually stalls. The accuracy typically sits
    at chance for 100-300 steps and then jumps. A vanilla tanh RNN of the same size stays at
    45-55 % even after 1000 such steps. Shorter sequences are easier: at ``length=5`` the
    vanilla RNN learns the task too, at ``length=10`` it sometimes does, and the LSTM then
    learns even with a forget-gate bias of 0. Smaller ``noise_std`` (about 1) also lets the
    vanilla RNN succeed more often.
    """
    n = _check_int(n, "n", 1)
    length = _check_int(length, "length", 1)
    _check_rng(rng)
    num_classes = _check_int(num_classes, "num_classes", 2)
    noise_std = _check_real(noise_std, "noise_std", 0.0, math.inf)
    if math.isinf(noise_std):
        raise ValueError("noise_std must be finite, got inf")

    y = rng.permutation(np.arange(n) % num_classes).astype(np.int64)
    X = np.zeros((n, length, num_classes + 1))
    X[np.arange(n), 0, y] = 1.0
    X[:, 0, num_classes] = 1.0
    X[:, 1:, :num_classes] = rng.normal(0.0, noise_std, size=(n, length - 1, num_classes))
    return X, y


# ----------------------------------------------------------------------------------------------
# Training / validation / test split [G6] and mini-batches [F1]
# ----------------------------------------------------------------------------------------------
def _apportion(total, quotas, caps):
    """Integer counts that sum to ``total``, each close to its quota and at most its cap.

    Largest-remainder rounding: every group first gets the floor of its quota (capped); the
    units still missing go one at a time to the group with the largest remaining quota that is
    below its cap (ties to the lower group index).
    """
    counts = np.minimum(np.floor(quotas).astype(np.int64), caps)
    for _ in range(total - int(counts.sum())):
        remainder = np.where(counts < caps, quotas - counts, -np.inf)
        counts[int(np.argmax(remainder))] += 1
    return counts


def train_val_test_indices(y, rng, val_fraction=0.2, test_fraction=0.2, stratify=True):
    """Random indices that split N samples into training, validation and test sets [G6].

    Parameters
    ----------
    y : ndarray, shape (N,)
        Labels (any values that ``numpy.unique`` can sort); used only when ``stratify`` is set,
        and for N.
    rng : numpy.random.Generator
        Source of all randomness.
    val_fraction, test_fraction : float, optional
        Fractions of the samples for validation and for testing, each in ``[0, 1)``, summing to
        less than 1. The set sizes are ``val_fraction·N`` and ``test_fraction·N`` rounded half
        up; the training set takes the rest and must not be empty.
    stratify : bool, optional
        Keep the class proportions of ``y`` in each of the three sets (as far as whole samples
        allow).

    Returns
    -------
    train_idx, val_idx, test_idx : ndarray, shape (N_train,), (N_val,), (N_test,)
        int64 indices into the samples, disjoint, together covering ``0 .. N-1``, each in a
        random order.

    Notes
    -----
    With ``stratify=True`` the test set's size is shared out among the classes in proportion to
    their counts, rounding by largest remainders so that the sizes still add up; the validation
    set is then shared out the same way among what is left of each class. Within each class the
    samples are assigned at random.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must have shape (N,), got shape {y.shape}")
    _check_rng(rng)
    val_fraction = _check_real(val_fraction, "val_fraction", 0.0, 1.0)
    test_fraction = _check_real(test_fraction, "test_fraction", 0.0, 1.0)
    stratify = _check_bool(stratify, "stratify")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            "val_fraction + test_fraction must be < 1 to leave a training set, got "
            f"{val_fraction} + {test_fraction}"
        )
    n = y.shape[0]
    n_test = math.floor(test_fraction * n + 0.5)  # round half up
    n_val = math.floor(val_fraction * n + 0.5)
    if n - n_test - n_val < 1:
        raise ValueError(
            f"the split leaves no training sample: N={n}, {n_val} for validation, {n_test} for "
            "testing; use more samples or smaller val_fraction/test_fraction"
        )

    if not stratify:
        order = rng.permutation(n)
        test_idx, val_idx, train_idx = np.split(order, [n_test, n_test + n_val])
        return (train_idx.astype(np.int64), val_idx.astype(np.int64),
                test_idx.astype(np.int64))

    classes, y_codes = np.unique(y, return_inverse=True)
    class_counts = np.bincount(y_codes, minlength=classes.size)
    quotas_share = class_counts / n
    test_counts = _apportion(n_test, n_test * quotas_share, class_counts)
    val_counts = _apportion(n_val, n_val * quotas_share, class_counts - test_counts)

    train_parts, val_parts, test_parts = [], [], []
    for c in range(classes.size):
        members = rng.permutation(np.flatnonzero(y_codes == c))
        test_parts.append(members[: test_counts[c]])
        val_parts.append(members[test_counts[c] : test_counts[c] + val_counts[c]])
        train_parts.append(members[test_counts[c] + val_counts[c] :])
    return tuple(
        rng.permutation(np.concatenate(parts)).astype(np.int64)
        for parts in (train_parts, val_parts, test_parts)
    )


def train_val_test_split(X, y, rng, val_fraction=0.2, test_fraction=0.2, stratify=True):
    """Split a data set at random into training, validation and test sets [G6].

    The training set fits the parameters, the validation set chooses hyper-parameters and the
    moment to stop (early stopping [G5]), and the test set is looked at once, at the end, to
    estimate the error on new data.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
        Samples along axis 0 (e.g. ``(N, D)``, ``(N, C, H, W)`` or ``(N, T, D)``).
    y : ndarray, shape (N,)
        Labels.
    rng : numpy.random.Generator
        Source of all randomness.
    val_fraction, test_fraction : float, optional
        Fractions of the samples for validation and testing (see ``train_val_test_indices``).
    stratify : bool, optional
        Keep the class proportions of ``y`` in each set.

    Returns
    -------
    (X_train, y_train), (X_val, y_val), (X_test, y_test) : tuple of three (ndarray, ndarray)
        Copies of the selected rows of ``X`` and ``y``; the three sets are disjoint and together
        hold every sample once.

    Notes
    -----
    The playground's "ratio of training to test data" [J1] of 50 % is
    ``val_fraction=0, test_fraction=0.5``.
    """
    X, y = _check_X_y(X, y)
    train_idx, val_idx, test_idx = train_val_test_indices(
        y, rng, val_fraction=val_fraction, test_fraction=test_fraction, stratify=stratify
    )
    return (X[train_idx], y[train_idx]), (X[val_idx], y[val_idx]), (X[test_idx], y[test_idx])


def iterate_minibatches(X, y, batch_size, rng, shuffle=True):
    """The mini-batches of one epoch of mini-batch gradient descent [F1].

    Parameters
    ----------
    X : ndarray, shape (N, ...)
        Samples along axis 0.
    y : ndarray, shape (N,)
        Labels or targets.
    batch_size : int
        Samples per batch B, at least 1.
    rng : numpy.random.Generator or None
        Source of the shuffling; may be None when ``shuffle=False``.
    shuffle : bool, optional
        Visit the samples in a fresh random order (True) or in their stored order (False).

    Returns
    -------
    batches : generator of (ndarray, ndarray)
        Pairs ``(X_batch (B, ...), y_batch (B,))``, copies of the rows. Each sample appears in
        exactly one batch; the last batch holds the ``N mod B`` leftover samples when ``B``
        does not divide N. Call the function again for the next epoch (with ``shuffle=True``
        it then draws a new order from ``rng``).

    Notes
    -----
    The arguments are checked when the function is called, not when the first batch is taken.
    """
    X, y = _check_X_y(X, y)
    batch_size = _check_int(batch_size, "batch_size", 1)
    shuffle = _check_bool(shuffle, "shuffle")
    if shuffle:
        _check_rng(rng)
        order = rng.permutation(X.shape[0])
    else:
        order = np.arange(X.shape[0])

    def batches():
        for start in range(0, order.size, batch_size):
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]

    return batches()
