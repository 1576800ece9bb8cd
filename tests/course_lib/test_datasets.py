"""Tests of course_lib.datasets: the playground data sets, logic gates, digits, the sequence task,
the training/validation/test split and the mini-batch iterator.

The references are the definitions of the TensorFlow Playground's ``dataset.ts`` (geometry worked
by hand), the truth tables, and separability checked with a perceptron and a convex-hull
certificate written here.
"""
import math
import socket
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import datasets as ds

NAMES = ["circle", "xor", "gauss", "spiral"]


def gen(seed=0):
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------------------------
# Playground [J1]: shapes, determinism, errors
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [2, 10, 200])
def test_playground_shapes_and_dtypes(name, n, rng):
    X, y = ds.make_playground(name, n, 0.1, rng)
    assert X.shape == (n, 2), f"{name}: X has shape {X.shape}, expected {(n, 2)}"
    assert y.shape == (n,), f"{name}: y has shape {y.shape}, expected {(n,)}"
    assert X.dtype == np.float64, f"{name}: X dtype {X.dtype}, expected float64"
    assert y.dtype == np.int64, f"{name}: y dtype {y.dtype}, expected int64"
    assert set(np.unique(y)) <= {0, 1}, f"{name}: labels {np.unique(y)} are not in {{0, 1}}"
    assert np.all(np.isfinite(X)), f"{name}: X holds non-finite values"


@pytest.mark.parametrize("name", NAMES)
def test_playground_is_deterministic_for_a_seed(name):
    X1, y1 = ds.make_playground(name, 50, 0.3, gen(7))
    X2, y2 = ds.make_playground(name, 50, 0.3, gen(7))
    X3, _ = ds.make_playground(name, 50, 0.3, gen(8))
    np.testing.assert_array_equal(X1, X2, err_msg=f"{name}: same seed gave different points")
    np.testing.assert_array_equal(y1, y2, err_msg=f"{name}: same seed gave different labels")
    assert not np.allclose(X1, X3), f"{name}: different seeds gave the same points"


@pytest.mark.parametrize("name", ["gauss", "spiral"])
def test_playground_two_blocks_of_equal_size(name, rng):
    n = 40
    _, y = ds.make_playground(name, n, 0.5, rng)
    np.testing.assert_array_equal(y[: n // 2], 1, err_msg=f"{name}: first half must be label 1")
    np.testing.assert_array_equal(y[n // 2 :], 0, err_msg=f"{name}: second half must be label 0")


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_playground_labels_are_roughly_balanced(name, rng):
    _, y = ds.make_playground(name, 4000, 0.0, rng)
    share = y.mean()
    if name == "circle":
        assert abs(share - 0.5) < 1e-12, f"circle at noise 0: share of label 1 is {share}, not 0.5"
    else:
        # Four quadrants of equal area, two of each label: 0.5 ± 4 standard errors (0.008).
        assert abs(share - 0.5) < 0.032, f"xor: share of label 1 is {share}, expected about 0.5"


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("moons", 10, 0.0), ValueError, "name"),
        ((None, 10, 0.0), ValueError, "name"),
        (("circle", 11, 0.0), ValueError, "n must be even"),
        (("circle", 0, 0.0), ValueError, "n must be >= 2"),
        (("circle", -4, 0.0), ValueError, "n must be >= 2"),
        (("circle", 10.0, 0.0), TypeError, "n must be an integer"),
        (("circle", True, 0.0), TypeError, "n must be an integer"),
        (("xor", 10, -0.01), ValueError, "noise"),
        (("xor", 10, 0.51), ValueError, "noise"),
        (("xor", 10, 50), ValueError, "noise"),
        (("xor", 10, float("nan")), ValueError, "noise"),
        (("xor", 10, "0.1"), TypeError, "noise"),
    ],
)
def test_playground_rejects_bad_arguments(args, error, match, rng):
    with pytest.raises(error, match=match):
        ds.make_playground(*args, rng)


def test_playground_rejects_legacy_random_state():
    with pytest.raises(TypeError, match="rng"):
        ds.make_playground("circle", 10, 0.0, np.random.RandomState(0))


def test_playground_accepts_numpy_integers_and_bounds(rng):
    X, _ = ds.make_playground("spiral", np.int64(6), np.float64(0.5), rng)
    assert X.shape == (6, 2), f"numpy scalars as n/noise: X has shape {X.shape}, expected (6, 2)"
    X, _ = ds.make_playground("gauss", 2, 0, rng)
    assert X.shape == (2, 2), f"n=2, noise=0: X has shape {X.shape}, expected (2, 2)"


# ----------------------------------------------------------------------------------------------
# Playground geometry, worked from the definitions in dataset.ts
# ----------------------------------------------------------------------------------------------
def test_circle_geometry_at_noise_zero(rng):
    n = 1000
    X, y = ds.make_playground("circle", n, 0.0, rng)
    r = np.hypot(X[:, 0], X[:, 1])
    inner, outer = r[: n // 2], r[n // 2 :]
    assert inner.min() >= 0.0 and inner.max() < 2.5, (
        f"inner ring radii span [{inner.min():.3f}, {inner.max():.3f}], expected within [0, 2.5)"
    )
    assert outer.min() >= 3.5 and outer.max() < 5.0, (
        f"outer ring radii span [{outer.min():.3f}, {outer.max():.3f}], expected within [3.5, 5)"
    )
    np.testing.assert_array_equal(y, (r < 2.5).astype(np.int64),
                                  err_msg="circle at noise 0: label must be 1 exactly for r < 2.5")
    # r ~ U(a, b): both bands are filled, not a single radius.
    assert inner.max() - inner.min() > 2.0 and outer.max() - outer.min() > 1.0, (
        "radii do not spread over their bands: r must be uniform in [0, 2.5) and [3.5, 5)"
    )


def test_circle_angles_cover_the_full_turn(rng):
    X, _ = ds.make_playground("circle", 2000, 0.0, rng)
    angle = np.arctan2(X[:, 0], X[:, 1])  # x = r sin(a), y = r cos(a)
    counts = np.histogram(angle, bins=8, range=(-np.pi, np.pi))[0]
    assert counts.min() > 150, f"angles are not uniform over the circle: octant counts {counts}"


@pytest.mark.parametrize("name", ["circle", "xor"])
def test_noise_moves_labels_not_points(name):
    X0, y0 = ds.make_playground(name, 2000, 0.0, gen(3))
    X5, y5 = ds.make_playground(name, 2000, 0.5, gen(3))
    np.testing.assert_allclose(X5, X0, rtol=0, atol=0,
                               err_msg=f"{name}: the stored point must be the noise-free one")
    flipped = np.mean(y5 != y0)
    assert 0.02 < flipped < 0.5, (
        f"{name}: noise 0.5 flipped {flipped:.3f} of the labels, expected some but not most"
    )
    _, y1 = ds.make_playground(name, 2000, 0.1, gen(3))
    assert np.mean(y1 != y0) < flipped, f"{name}: noise 0.1 flipped more labels than noise 0.5"


def test_circle_noise_flips_in_both_directions():
    X, y = ds.make_playground("circle", 2000, 0.5, gen(4))
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.any((r < 2.5) & (y == 0)), "noise never labelled an inner point 0"
    assert np.any((r >= 2.5) & (y == 1)), "noise never labelled an outer point 1"


def test_xor_geometry_at_noise_zero(rng):
    X, y = ds.make_playground("xor", 2000, 0.0, rng)
    absx = np.abs(X)
    assert absx.min() >= 0.3, f"xor: min |coordinate| = {absx.min():.4f}, padding 0.3 missing"
    assert absx.max() <= 5.3, f"xor: max |coordinate| = {absx.max():.4f}, expected <= 5 + 0.3"
    expected = (X[:, 0] * X[:, 1] >= 0).astype(np.int64)
    np.testing.assert_array_equal(y, expected,
                                  err_msg="xor at noise 0: label must be 1 exactly when x*y >= 0")
    quadrants = np.bincount(2 * (X[:, 0] > 0) + (X[:, 1] > 0), minlength=4)
    assert quadrants.min() > 400, f"xor: points are not spread over the quadrants: {quadrants}"


@pytest.mark.parametrize("noise, variance", [(0.0, 0.5), (0.25, 2.25), (0.5, 4.0)])
def test_gauss_means_and_variance_mapping(noise, variance, rng):
    n = 20000
    X, y = ds.make_playground("gauss", n, noise, rng)
    for label, centre in [(1, 2.0), (0, -2.0)]:
        pts = X[y == label]
        se = math.sqrt(variance / pts.shape[0])
        np.testing.assert_allclose(pts.mean(axis=0), [centre, centre], atol=5 * se,
                                   err_msg=f"gauss label {label}: mean is not {centre} in x, y")
        var = pts.var(axis=0, ddof=1)
        # The variance estimate has a standard error of variance * sqrt(2 / (N/2)) = 2 %.
        np.testing.assert_allclose(var, [variance, variance], rtol=0.08,
                                   err_msg=f"gauss at noise {noise}: variance {var} is not the "
                                           f"linear map of [0, 0.5] to [0.5, 4] = {variance}")
        cov = np.cov(pts.T)[0, 1]
        assert abs(cov) < 0.05 * variance, f"gauss: x and y are correlated (cov {cov:.3f})"


def test_spiral_geometry_at_noise_zero():
    n = 400
    half = n // 2
    X, _ = ds.make_playground("spiral", n, 0.0, gen())
    r = np.hypot(X[:, 0], X[:, 1])
    i = np.arange(half)
    for arm in (slice(0, half), slice(half, n)):
        np.testing.assert_allclose(r[arm], 5.0 * i / half, atol=1e-12,
                                   err_msg="spiral radius must be r = 5 i / (N/2)")
        assert np.all(np.diff(r[arm]) > 0), "spiral radii must increase along each arm"
    assert r[0] < 1e-12 and 4.9 < r[half - 1] < 5.0, (
        f"spiral radii must run from 0 to just below 5, got {r[0]} to {r[half - 1]}"
    )
    np.testing.assert_allclose(X[half:], -X[:half], atol=1e-12,
                               err_msg="the label-0 arm must be the label-1 arm rotated by pi")


def test_spiral_points_worked_by_hand():
    # N = 8: N/2 = 4. For i = 2: r = 2.5, t = 1.75 * 0.5 * 2 pi = 1.75 pi,
    # (r sin t, r cos t) = (-2.5/sqrt(2), 2.5/sqrt(2)). For i = 1: r = 1.25, t = 0.875 pi.
    X, y = ds.make_playground("spiral", 8, 0.0, gen())
    c = 2.5 / math.sqrt(2.0)
    np.testing.assert_allclose(X[2], [-c, c], atol=1e-12, err_msg="spiral point i=2, label 1")
    np.testing.assert_allclose(X[6], [c, -c], atol=1e-12, err_msg="spiral point i=2, label 0")
    t = 0.875 * math.pi
    np.testing.assert_allclose(X[1], [1.25 * math.sin(t), 1.25 * math.cos(t)], atol=1e-12,
                               err_msg="spiral point i=1, label 1")
    np.testing.assert_array_equal(y, [1, 1, 1, 1, 0, 0, 0, 0], err_msg="spiral labels")


@pytest.mark.parametrize("noise", [0.1, 0.5])
def test_spiral_noise_is_uniform_within_noise(noise):
    X0, _ = ds.make_playground("spiral", 2000, 0.0, gen(5))
    Xn, _ = ds.make_playground("spiral", 2000, noise, gen(5))
    shift = Xn - X0
    assert np.abs(shift).max() <= noise + 1e-12, (
        f"spiral noise moved a point by {np.abs(shift).max():.4f} > noise {noise}"
    )
    assert np.abs(shift).max() > 0.9 * noise, "spiral noise must be U(-1, 1) * noise per axis"
    assert abs(shift.mean()) < 0.05 * noise, f"spiral noise is not centred: mean {shift.mean()}"


# ----------------------------------------------------------------------------------------------
# Playground regression data [J1], worked from regressPlane and regressGaussian in dataset.ts
# ----------------------------------------------------------------------------------------------
REGRESSION_NAMES = ["plane", "multi_gauss"]


@pytest.mark.parametrize("name", REGRESSION_NAMES)
@pytest.mark.parametrize("n", [1, 7, 300])
def test_playground_regression_shapes_range_and_determinism(name, n):
    X, y = ds.make_playground_regression(name, n, 0.0, gen(2))
    assert X.shape == (n, 2) and X.dtype == np.float64, f"{name}: X {X.shape} {X.dtype}"
    assert y.shape == (n,) and y.dtype == np.float64, f"{name}: y {y.shape} {y.dtype}"
    assert np.abs(X).max() <= 6.0, f"{name}: a point outside [-6, 6]²: {np.abs(X).max()}"
    bound = 1.2 if name == "plane" else 1.0  # plane: (x + y) / 10 with |x|, |y| <= 6
    assert np.abs(y).max() <= bound, f"{name}: targets at noise 0 must lie in [-{bound}, {bound}]"
    X2, y2 = ds.make_playground_regression(name, n, 0.0, gen(2))
    np.testing.assert_array_equal(X2, X, err_msg=f"{name}: same seed gave different points")
    np.testing.assert_array_equal(y2, y, err_msg=f"{name}: same seed gave different targets")


def test_plane_target_is_the_scaled_sum_at_noise_zero():
    X, y = ds.make_playground_regression("plane", 500, 0.0, gen(3))
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 10.0, atol=1e-15,
                               err_msg="plane: target must be (x + y) / 10, [-10, 10] -> [-1, 1]")


def test_multi_gauss_target_worked_by_hand():
    # Bumps sign * max(0, 1 - d/2): at a centre |target| = 1; 1 away from (-4, 2.5) it is 0.5;
    # the origin is 2.5 from (0, ±2.5) and farther from the others, so no bump reaches it.
    points = np.array([[-4.0, 2.5], [0.0, 2.5], [4.0, 2.5], [-4.0, -2.5], [0.0, -2.5],
                       [4.0, -2.5], [-4.0, 1.5], [0.0, 0.0], [2.0, 2.5]])
    expected = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 0.5, 0.0, 0.0]
    np.testing.assert_allclose(ds._multi_gauss_target(points), expected, atol=1e-12,
                               err_msg="multi_gauss targets at the centres and in between")
    X, y = ds.make_playground_regression("multi_gauss", 2000, 0.0, gen(4))
    np.testing.assert_allclose(y, ds._multi_gauss_target(X), atol=0,
                               err_msg="multi_gauss: the target of the stored point at noise 0")
    assert np.mean(y > 0.5) > 0.05 and np.mean(y < -0.5) > 0.05, "both signs of bump occur"


@pytest.mark.parametrize("name", REGRESSION_NAMES)
def test_regression_noise_moves_targets_not_points(name):
    X0, y0 = ds.make_playground_regression(name, 1000, 0.0, gen(5))
    X5, y5 = ds.make_playground_regression(name, 1000, 0.5, gen(5))
    np.testing.assert_array_equal(X5, X0, err_msg=f"{name}: the stored point must be noise-free")
    assert np.mean(np.abs(y5 - y0) > 0.05) > 0.3, f"{name}: noise 0.5 must change the targets"
    if name == "plane":  # the noisy point is at most 6 * 0.5 = 3 away on each axis
        assert np.abs(y5 - y0).max() <= 0.6 + 1e-12, "plane: noise shifts x + y by at most 6"


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("circle", 10, 0.0), ValueError, "plane"),
        (("plane", 0, 0.0), ValueError, "n must be >= 1"),
        (("plane", 2.0, 0.0), TypeError, "n must be an integer"),
        (("plane", 10, 0.6), ValueError, "noise"),
    ],
)
def test_playground_regression_rejects_bad_arguments(args, error, match, rng):
    with pytest.raises(error, match=match):
        ds.make_playground_regression(*args, rng)


# ----------------------------------------------------------------------------------------------
# Logic gates [A6]
# ----------------------------------------------------------------------------------------------
def perceptron_separates(X, y, epochs=100):
    """Rosenblatt's perceptron with a bias; True if it classifies all points with margin > 0.

    For linearly separable data it stops after finitely many updates (the convergence theorem);
    on 4 points with coordinates in {0, 1} that is far below 100 epochs.
    """
    Xb = np.column_stack([X, np.ones(len(X))])
    t = 2 * y - 1
    w = np.zeros(Xb.shape[1])
    for _ in range(epochs):
        errors = 0
        for xi, ti in zip(Xb, t):
            if ti * (xi @ w) <= 0:
                w = w + ti * xi
                errors += 1
        if errors == 0:
            return bool(np.all(t * (Xb @ w) > 0))
    return False


@pytest.mark.parametrize(
    "name, expected",
    [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0]), ("XOR", [0, 1, 1, 0])],
)
def test_logic_gate_truth_tables(name, expected):
    X, y = ds.logic_gate_data(name)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]], err_msg="gate inputs")
    np.testing.assert_array_equal(y, expected, err_msg=f"{name} truth table")
    assert X.dtype == np.float64 and y.dtype == np.int64, f"dtypes {X.dtype}, {y.dtype}"


def test_logic_gate_product_feature():
    X, y = ds.logic_gate_data("xor", with_product_feature=True)
    assert X.shape == (4, 3), f"with the product feature X has shape {X.shape}, expected (4, 3)"
    np.testing.assert_array_equal(X[:, 2], [0, 0, 0, 1], err_msg="third column must be x1*x2")
    np.testing.assert_array_equal(y, [0, 1, 1, 0], err_msg="the labels do not change")


@pytest.mark.parametrize("name", ["and", "or"])
@pytest.mark.parametrize("product", [False, True])
def test_and_or_are_linearly_separable(name, product):
    X, y = ds.logic_gate_data(name, with_product_feature=product)
    assert perceptron_separates(X, y), f"{name} (product={product}) must be linearly separable"


def test_xor_is_not_linearly_separable():
    X, y = ds.logic_gate_data("xor")
    # Certificate: the convex hulls of the two classes meet (both midpoints are (0.5, 0.5)), so
    # no line w.x + b has all positives on one side and all negatives on the other.
    np.testing.assert_allclose(X[y == 1].mean(axis=0), X[y == 0].mean(axis=0), atol=1e-12,
                               err_msg="the XOR classes' midpoints should coincide")
    assert not perceptron_separates(X, y), "a perceptron must not separate XOR from x1, x2 alone"


def test_xor_with_product_feature_is_linearly_separable():
    X, y = ds.logic_gate_data("xor", with_product_feature=True)
    assert perceptron_separates(X, y), "XOR with x1*x2 must be linearly separable"
    margin = (2 * y - 1) * (X @ [1.0, 1.0, -2.0] - 0.5)
    assert np.all(margin > 0), f"x1 + x2 - 2 x1 x2 - 0.5 should separate XOR: margins {margin}"


def test_logic_gate_rejects_bad_arguments():
    with pytest.raises(ValueError, match="name"):
        ds.logic_gate_data("nand")
    with pytest.raises(ValueError, match="name"):
        ds.logic_gate_data(3)
    with pytest.raises(TypeError, match="with_product_feature"):
        ds.logic_gate_data("xor", with_product_feature="yes")


# ----------------------------------------------------------------------------------------------
# Digits
# ----------------------------------------------------------------------------------------------
@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails."""

    def refuse(*args, **kwargs):
        raise OSError("network access is disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_load_digits_offline(no_network):
    X, y = ds.load_digits()
    assert X.shape == (1797, 64), f"digits X has shape {X.shape}, expected (1797, 64)"
    assert y.shape == (1797,), f"digits y has shape {y.shape}, expected (1797,)"
    assert X.dtype == np.float64 and y.dtype == np.int64, f"dtypes {X.dtype}, {y.dtype}"
    assert X.min() == pytest.approx(0.0) and X.max() == pytest.approx(1.0), (
        f"digits must be scaled to [0, 1], got [{X.min()}, {X.max()}]"
    )
    np.testing.assert_array_equal(np.unique(y), np.arange(10), err_msg="digits must hold 0-9")
    assert np.bincount(y).min() > 170, f"digit classes unbalanced: {np.bincount(y)}"
    # The raw pixels count 0..16: after scaling, every value is a multiple of 1/16.
    np.testing.assert_allclose(X * 16, np.round(X * 16), atol=1e-12,
                               err_msg="digits must be the raw 0-16 counts divided by 16")


def test_load_digits_as_images():
    X_flat, y_flat = ds.load_digits()
    X_img, y_img = ds.load_digits(as_images=True)
    assert X_img.shape == (1797, 1, 8, 8), f"images have shape {X_img.shape}, not (1797, 1, 8, 8)"
    np.testing.assert_allclose(X_img.reshape(1797, 64), X_flat, rtol=0, atol=0,
                               err_msg="images must be the flat vectors in row-major 8x8 order")
    np.testing.assert_array_equal(y_img, y_flat, err_msg="labels must not depend on as_images")
    with pytest.raises(TypeError, match="as_images"):
        ds.load_digits(as_images="yes")


# ----------------------------------------------------------------------------------------------
# Sequence task
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, length, k", [(1, 1, 2), (10, 5, 2), (33, 20, 4)])
def test_sequence_task_shapes_and_dtypes(n, length, k, rng):
    X, y = ds.make_sequence_task(n, length, rng, num_classes=k)
    assert X.shape == (n, length, k + 1), f"X has shape {X.shape}, expected {(n, length, k + 1)}"
    assert y.shape == (n,), f"y has shape {y.shape}, expected {(n,)}"
    assert X.dtype == np.float64 and y.dtype == np.int64, f"dtypes {X.dtype}, {y.dtype}"
    assert y.min() >= 0 and y.max() < k, f"labels {np.unique(y)} outside 0..{k - 1}"


@pytest.mark.parametrize("n, k", [(100, 2), (101, 2), (50, 3), (10, 7)])
def test_sequence_task_chance_level(n, k, rng):
    _, y = ds.make_sequence_task(n, 3, rng, num_classes=k)
    counts = np.bincount(y, minlength=k)
    assert counts.min() >= n // k and counts.max() <= n // k + 1, (
        f"classes must be balanced ({n // k} or {n // k + 1} each), got {counts}"
    )
    majority = counts.max() / n
    assert abs(majority - 1 / k) <= 1 / n + 1e-12, (
        f"always guessing the commonest class scores {majority}, chance is 1/K = {1 / k}"
    )


def test_sequence_task_is_reproducible():
    X1, y1 = ds.make_sequence_task(20, 10, gen(1), num_classes=3, noise_std=2.0)
    X2, y2 = ds.make_sequence_task(20, 10, gen(1), num_classes=3, noise_std=2.0)
    X3, y3 = ds.make_sequence_task(20, 10, gen(2), num_classes=3, noise_std=2.0)
    np.testing.assert_array_equal(X1, X2, err_msg="same seed gave different sequences")
    np.testing.assert_array_equal(y1, y2, err_msg="same seed gave different labels")
    assert not np.allclose(X1, X3), "different seeds gave the same sequences"


def test_sequence_task_label_is_the_first_symbol(rng):
    k, length = 3, 15
    X, y = ds.make_sequence_task(300, length, rng, num_classes=k, noise_std=4.0)
    first = X[:, 0, :k]
    np.testing.assert_array_equal(first, np.eye(k)[y],
                                  err_msg="step 0 must be the one-hot code of the label")
    np.testing.assert_array_equal(X[:, :, k], np.eye(length)[0][None].repeat(300, axis=0),
                                  err_msg="the marker column must be 1 at step 0 and 0 after")


def test_sequence_task_distractors_carry_no_label_information(rng):
    # Classify from the distractors alone with nearest class means fitted on one half: on the
    # other half this must be at chance, while step 0 alone classifies perfectly.
    k, n, length = 2, 4000, 10
    X, y = ds.make_sequence_task(n, length, rng, num_classes=k, noise_std=1.0)
    for c in range(k):
        class_mean = X[y == c, 1:, :].mean(axis=(0, 1))
        # About 18000 draws of N(0, 1) per column: standard error 0.0075.
        assert np.all(np.abs(class_mean) < 0.04), (
            f"distractors of class {c} have mean {class_mean}, expected 0 for every class"
        )
    tail = X[:, 1:, :].reshape(n, -1)
    head = X[:, 0, :].reshape(n, -1)

    def nearest_mean_accuracy(F):
        train, test = slice(0, n // 2), slice(n // 2, n)
        means = np.stack([F[train][y[train] == c].mean(axis=0) for c in range(k)])
        d = ((F[test][:, None, :] - means[None]) ** 2).sum(axis=2)
        return np.mean(d.argmin(axis=1) == y[test])

    tail_acc = nearest_mean_accuracy(tail)
    assert abs(tail_acc - 0.5) < 0.05, f"distractors predict the label ({tail_acc:.3f} vs 0.5)"
    assert nearest_mean_accuracy(head) == 1.0, "step 0 must determine the label"
    # Permuting the distractor blocks between sequences leaves every label readable at step 0.
    shuffled = X.copy()
    shuffled[:, 1:] = X[rng.permutation(n), 1:]
    np.testing.assert_array_equal(shuffled[:, 0, :k].argmax(axis=1), y,
                                  err_msg="labels must survive swapping the distractors")


@pytest.mark.parametrize("noise_std", [0.0, 1.0, 5.0])
def test_sequence_task_distractor_scale(noise_std, rng):
    X, _ = ds.make_sequence_task(500, 21, rng, num_classes=2, noise_std=noise_std)
    tail = X[:, 1:, :2]
    np.testing.assert_allclose(tail.std(), noise_std, rtol=0.05, atol=1e-12,
                               err_msg=f"distractors must have standard deviation {noise_std}")
    assert abs(tail.mean()) < 0.05 * max(noise_std, 1.0), "distractors must be centred"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(n=0, length=5), ValueError, "n must be"),
        (dict(n=5, length=0), ValueError, "length"),
        (dict(n=5, length=2.5), TypeError, "length"),
        (dict(n=5, length=5, num_classes=1), ValueError, "num_classes"),
        (dict(n=5, length=5, noise_std=-1.0), ValueError, "noise_std"),
        (dict(n=5, length=5, noise_std=float("inf")), ValueError, "noise_std"),
        (dict(n=5, length=5, noise_std=float("nan")), ValueError, "noise_std"),
    ],
)
def test_sequence_task_rejects_bad_arguments(kwargs, error, match, rng):
    with pytest.raises(error, match=match):
        ds.make_sequence_task(rng=rng, **kwargs)
    with pytest.raises(TypeError, match="rng"):
        ds.make_sequence_task(5, 5, 0)


# ----------------------------------------------------------------------------------------------
# Training / validation / test split [G6]
# ----------------------------------------------------------------------------------------------
def half_up(x):
    return math.floor(x + 0.5)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 200),
    k=st.integers(1, 5),
    val_fraction=st.floats(0.0, 0.45),
    test_fraction=st.floats(0.0, 0.45),
    stratify=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_indices_are_disjoint_and_covering(n, k, val_fraction, test_fraction, stratify,
                                                 seed):
    g = gen(seed)
    y = g.integers(0, k, size=n)
    n_val, n_test = half_up(val_fraction * n), half_up(test_fraction * n)
    if n - n_val - n_test < 1:
        with pytest.raises(ValueError, match="training"):
            ds.train_val_test_indices(y, g, val_fraction, test_fraction, stratify)
        return
    train, val, test = ds.train_val_test_indices(y, g, val_fraction, test_fraction, stratify)
    allidx = np.concatenate([train, val, test])
    assert allidx.dtype == np.int64, f"indices have dtype {allidx.dtype}, expected int64"
    np.testing.assert_array_equal(np.sort(allidx), np.arange(n),
                                  err_msg="the three sets must be disjoint and cover 0..N-1")
    assert (len(val), len(test)) == (n_val, n_test), (
        f"sizes (val, test) = {(len(val), len(test))}, expected {(n_val, n_test)}"
    )
    if stratify:
        counts = np.bincount(y, minlength=k)
        for part, size in [(val, n_val), (test, n_test)]:
            got = np.bincount(y[part], minlength=k)
            quota = size * counts / n
            assert np.all(np.abs(got - quota) < 1.0 + 1e-9), (
                f"stratified set of {size}: class counts {got}, proportional quota {quota}"
            )


def test_split_keeps_class_proportions(rng):
    y = np.repeat([0, 1, 2], [500, 300, 200])
    X = np.arange(1000.0)[:, None] * np.ones((1, 3))
    (Xtr, ytr), (Xva, yva), (Xte, yte) = ds.train_val_test_split(X, y, rng, 0.2, 0.1)
    for name, part, size in [("train", ytr, 700), ("val", yva, 200), ("test", yte, 100)]:
        expected = np.array([0.5, 0.3, 0.2]) * size
        np.testing.assert_array_equal(np.bincount(part, minlength=3), expected,
                                      err_msg=f"{name} class counts must keep 50/30/20 %")
    for name, Xp, yp in [("train", Xtr, ytr), ("val", Xva, yva), ("test", Xte, yte)]:
        rows = Xp[:, 0].astype(int)
        np.testing.assert_array_equal(yp, y[rows], err_msg=f"{name}: X and y rows got separated")
        assert Xp.shape[1:] == (3,), f"{name}: feature shape {Xp.shape[1:]}, expected (3,)"


def test_split_with_images_and_unstratified_float_targets(rng):
    X = rng.standard_normal((50, 1, 4, 4))
    y = rng.standard_normal(50)
    X_before, y_before = X.copy(), y.copy()
    (Xtr, ytr), (Xva, yva), (Xte, yte) = ds.train_val_test_split(X, y, rng, stratify=False)
    assert (Xtr.shape, Xva.shape, Xte.shape) == ((30, 1, 4, 4), (10, 1, 4, 4), (10, 1, 4, 4)), (
        f"shapes {Xtr.shape}, {Xva.shape}, {Xte.shape}; expected 30/10/10 images of (1, 4, 4)"
    )
    np.testing.assert_array_equal(np.sort(np.concatenate([ytr, yva, yte])), np.sort(y),
                                  err_msg="every target must land in exactly one set")
    np.testing.assert_array_equal(X, X_before, err_msg="the split modified the caller's X")
    np.testing.assert_array_equal(y, y_before, err_msg="the split modified the caller's y")
    Xtr[...] = 0.0
    np.testing.assert_array_equal(X, X_before, err_msg="the split must return copies, not views")


def test_split_playground_ratio_and_determinism():
    X, y = ds.make_playground("circle", 200, 0.0, gen(1))
    a = ds.train_val_test_split(X, y, gen(2), val_fraction=0.0, test_fraction=0.5)
    b = ds.train_val_test_split(X, y, gen(2), val_fraction=0.0, test_fraction=0.5)
    (Xtr, ytr), (Xva, _), (Xte, yte) = a
    assert (len(Xtr), len(Xva), len(Xte)) == (100, 0, 100), "a 50 % ratio must give 100/0/100"
    assert ytr.mean() == pytest.approx(0.5) and yte.mean() == pytest.approx(0.5), (
        "stratified halves of a balanced set must be balanced"
    )
    for (p, q), name in zip(zip(a, b), ["train", "val", "test"]):
        np.testing.assert_array_equal(p[0], q[0], err_msg=f"{name}: same seed, different split")


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.zeros((5, 2)), np.zeros(4)), {}, ValueError, "same number of samples"),
        ((np.zeros((5, 2)), np.zeros((5, 1))), {}, ValueError, "y must have shape"),
        ((np.zeros((5, 2)), np.zeros(5)), dict(val_fraction=0.5, test_fraction=0.5), ValueError,
         "val_fraction \\+ test_fraction"),
        ((np.zeros((5, 2)), np.zeros(5)), dict(val_fraction=-0.1), ValueError, "val_fraction"),
        ((np.zeros((5, 2)), np.zeros(5)), dict(test_fraction=1.5), ValueError, "test_fraction"),
        ((np.zeros((5, 2)), np.zeros(5)), dict(test_fraction="0.2"), TypeError, "test_fraction"),
        ((np.zeros((2, 2)), np.zeros(2)), dict(val_fraction=0.3, test_fraction=0.3), ValueError,
         "no training sample"),
        ((np.zeros((5, 2)), np.zeros(5)), dict(stratify="yes"), TypeError, "stratify"),
    ],
)
def test_split_rejects_bad_arguments(args, kwargs, error, match, rng):
    with pytest.raises(error, match=match):
        ds.train_val_test_split(*args, rng, **kwargs)


def test_split_rejects_non_generator():
    with pytest.raises(TypeError, match="rng"):
        ds.train_val_test_split(np.zeros((5, 2)), np.zeros(5), 42)


# ----------------------------------------------------------------------------------------------
# Mini-batches [F1]
# ----------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_minibatches_visit_every_sample_once(n, batch_size, shuffle, seed):
    X = np.arange(n, dtype=np.float64)[:, None].repeat(2, axis=1)
    y = np.arange(n)
    batches = list(ds.iterate_minibatches(X, y, batch_size, gen(seed), shuffle=shuffle))
    sizes = [len(yb) for _, yb in batches]
    expected = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    assert sizes == expected, f"batch sizes {sizes}, expected {expected}"
    seen = np.concatenate([yb for _, yb in batches])
    np.testing.assert_array_equal(np.sort(seen), y, err_msg="every sample exactly once per epoch")
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb[:, 0], yb, err_msg="X and y rows got separated")
    if not shuffle:
        np.testing.assert_array_equal(seen, y, err_msg="shuffle=False must keep the stored order")


def test_minibatches_shuffle_each_epoch_anew(rng):
    X = rng.standard_normal((50, 3))
    y = np.arange(50)
    it = ds.iterate_minibatches(X, y, 8, rng)
    assert isinstance(it, types.GeneratorType), "iterate_minibatches must return a generator"
    epoch1 = np.concatenate([yb for _, yb in it])
    epoch2 = np.concatenate([yb for _, yb in ds.iterate_minibatches(X, y, 8, rng)])
    assert not np.array_equal(epoch1, y), "shuffle=True left the samples in their stored order"
    assert not np.array_equal(epoch1, epoch2), "two epochs visited the samples in the same order"
    again = np.concatenate([yb for _, yb in ds.iterate_minibatches(X, y, 8, gen(3))])
    again2 = np.concatenate([yb for _, yb in ds.iterate_minibatches(X, y, 8, gen(3))])
    np.testing.assert_array_equal(again, again2, err_msg="same seed must give the same order")


def test_minibatches_are_copies(rng):
    X = rng.standard_normal((10, 2))
    X_before = X.copy()
    for Xb, _ in ds.iterate_minibatches(X, np.zeros(10), 4, None, shuffle=False):
        Xb[...] = 0.0
    np.testing.assert_array_equal(X, X_before, err_msg="changing a batch changed the caller's X")


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.zeros((5, 2)), np.zeros(5), 0), {}, ValueError, "batch_size"),
        ((np.zeros((5, 2)), np.zeros(5), 2.0), {}, TypeError, "batch_size"),
        ((np.zeros((5, 2)), np.zeros(4), 2), {}, ValueError, "same number of samples"),
        ((np.zeros((5, 2)), np.zeros(5), 2), dict(shuffle="no"), TypeError, "shuffle"),
    ],
)
def test_minibatches_reject_bad_arguments_at_call_time(args, kwargs, error, match, rng):
    with pytest.raises(error, match=match):
        ds.iterate_minibatches(*args, rng, **kwargs)  # no next(): checked before the first batch


def test_minibatches_need_a_generator_to_shuffle():
    with pytest.raises(TypeError, match="rng"):
        ds.iterate_minibatches(np.zeros((5, 2)), np.zeros(5), 2, None)
