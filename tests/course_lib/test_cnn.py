"""Tests of course_lib.cnn [H1]-[H8].

Oracles: PyTorch on the CPU in float64 (forward values and every gradient through autograd),
central finite differences, and values worked by hand from the notes.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import cnn

CONV_IMPLS = {
    "fast": (cnn.conv2d_forward, cnn.conv2d_backward),
    "naive": (cnn.conv2d_forward_naive, cnn.conv2d_backward_naive),
}
POOL_IMPLS = {
    "fast": (cnn.maxpool2d_forward, cnn.maxpool2d_backward),
    "naive": (cnn.maxpool2d_forward_naive, cnn.maxpool2d_backward_naive),
}

# (x shape (N, C, H, W), w shape (F, C, KH, KW), stride, pad)
CONV_CASES = [
    ((2, 1, 6, 6), (3, 1, 3, 3), 1, 0),  # one channel, several filters
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 1),  # channels and filters, "same" padding [H8]
    ((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),  # stride 2
    ((1, 2, 10, 11), (5, 2, 2, 3), 3, 2),  # rectangular kernel, stride 3, padding 2
    ((3, 2, 5, 5), (2, 2, 5, 5), 1, 0),  # kernel as large as the image: 1×1 output
    ((2, 2, 4, 5), (3, 2, 1, 1), 1, 0),  # 1×1 kernels
]
CONV_IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in CONV_CASES]

# (x shape, size, stride)
POOL_CASES = [
    ((2, 3, 8, 8), 2, 2),  # the notes' 2×2 pooling [H3]
    ((2, 2, 5, 6), 3, 1),  # overlapping windows
    ((1, 2, 7, 9), 3, 2),  # overlapping, stride 2
    ((2, 1, 6, 6), 3, 3),
    ((1, 2, 3, 4), 1, 1),  # 1×1 windows: the identity
]
POOL_IDS = [f"x{x}-size{k}-s{s}" for x, k, s in POOL_CASES]


def torch_conv(x, w, b, stride, pad, dout):
    """PyTorch's output and gradients for ``sum(conv2d(x, w, b) * dout)``."""
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=pad)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def torch_pool(x, size, stride, dout):
    """PyTorch's output and input gradient for ``sum(max_pool2d(x) * dout)``."""
    xt = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(xt, size, stride)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


def numerical_grad(f, a, h=1e-6):
    """Central differences of the scalar ``f()`` with respect to every entry of ``a`` (in place)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        plus = f()
        a[idx] = old - h
        minus = f()
        a[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def conv_case(rng, x_shape, w_shape, stride, pad):
    """Random x, w, b and an upstream gradient of the output's shape."""
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    oh = (x_shape[2] + 2 * pad - w_shape[2]) // stride + 1
    ow = (x_shape[3] + 2 * pad - w_shape[3]) // stride + 1
    dout = rng.standard_normal((x_shape[0], w_shape[0], oh, ow))
    return x, w, b, dout


# ---------------------------------------------------------------------------------------------
# [H2] output size
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "n, k, stride, pad, expected",
    [
        (28, 5, 1, 0, 24),  # the notes: 28×28 with a 5×5 kernel gives 24×24
        (28, 5, 1, 2, 28),  # zero padding 2 keeps the size
        (24, 2, 2, 0, 12),  # 2×2 pooling of the 24×24 maps
        (7, 3, 2, 0, 3),  # (7 − 3)/2 + 1
        (28, 4, 2, 1, 14),  # (28 + 2 − 4)/2 + 1
        (5, 5, 1, 0, 1),  # kernel as large as the input
        (3, 5, 1, 1, 1),  # kernel larger than the input, but not than the padded input
    ],
)
def test_conv_output_size_worked_values(n, k, stride, pad, expected):
    got = cnn.conv_output_size(n, k, stride=stride, pad=pad)
    assert got == expected, f"conv_output_size({n}, {k}, stride={stride}, pad={pad}) = {got}, expected {expected}"
    assert isinstance(got, int), f"conv_output_size must return an int, got {type(got).__name__}"


def test_conv_output_size_matches_the_layer_shape(rng):
    x = rng.standard_normal((1, 1, 28, 28))
    w = rng.standard_normal((2, 1, 5, 5))
    out, _ = cnn.conv2d_forward(x, w, np.zeros(2))
    assert out.shape == (1, 2, 24, 24), f"a 28×28 image and a 5×5 kernel must give 24×24 maps, got {out.shape}"


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((28, 5, 2, 0), ValueError, r"\(n \+ 2·pad − k\)/stride = \(28 \+ 2·0 − 5\)/2 = 11.5 is not an int"),
        ((224, 7, 2, 3), ValueError, "not an integer"),  # 223/2: PyTorch would drop a row silently
        ((3, 5, 1, 0), ValueError, "k = 5 > n"),
        ((28, 5, 0, 0), ValueError, "stride must be an int >= 1"),
        ((28, 5, 1, -1), ValueError, "pad must be an int >= 0"),
        ((0, 1, 1, 0), ValueError, "n must be an int >= 1"),
        ((28, 0, 1, 0), ValueError, "k must be an int >= 1"),
        ((28.0, 5, 1, 0), TypeError, "n must be an int"),
        ((28, 5, 1.5, 0), TypeError, "stride must be an int"),
        ((28, True, 1, 0), TypeError, "k must be an int"),
    ],
)
def test_conv_output_size_bad_sizes_raise(args, error, match):
    with pytest.raises(error, match=match):
        cnn.conv_output_size(*args)


def test_conv_output_size_accepts_numpy_integers():
    got = cnn.conv_output_size(np.int64(28), np.int32(5))
    assert got == 24, f"numpy integers must work like ints, got {got}"


# ---------------------------------------------------------------------------------------------
# [H1], [H5], [H6], [H8] convolution against PyTorch
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("impl", CONV_IMPLS)
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES, ids=CONV_IDS)
def test_conv2d_matches_torch(rng, impl, x_shape, w_shape, stride, pad):
    forward, backward = CONV_IMPLS[impl]
    x, w, b, dout = conv_case(rng, x_shape, w_shape, stride, pad)
    out, cache = forward(x, w, b, stride=stride, pad=pad)
    dx, dw, db = backward(dout, cache)
    ref_out, ref_dx, ref_dw, ref_db = torch_conv(x, w, b, stride, pad, dout)
    assert out.shape == ref_out.shape, f"out has shape {out.shape}, torch {ref_out.shape}"
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12, err_msg=f"{impl}: forward differs [H1]")
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-12, err_msg=f"{impl}: dx differs from torch [H5]")
    np.testing.assert_allclose(dw, ref_dw, rtol=1e-10, atol=1e-12, err_msg=f"{impl}: dw differs from torch [H6]")
    np.testing.assert_allclose(db, ref_db, rtol=1e-10, atol=1e-12, err_msg=f"{impl}: db differs from torch [H6]")


def test_conv2d_handworked_example():
    # A 3×3 image and the 2×2 kernel [[1, 0], [0, -1]] with bias 1: out_jk = 1 + a_jk − a_{j+1,k+1}.
    x = np.arange(9.0).reshape(1, 1, 3, 3)  # [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    for impl, (forward, _) in CONV_IMPLS.items():
        out, _ = forward(x, w, np.array([1.0]))
        np.testing.assert_allclose(
            out[0, 0], [[-3.0, -3.0], [-3.0, -3.0]], err_msg=f"{impl}: 1 + a_jk − a_(j+1)(k+1) = 1 + 0 − 4 = −3"
        )


def test_conv2d_is_cross_correlation_not_flipped():
    # A kernel with a single 1 at (0, 1) picks the input one column to the right: a_{j, k+1}.
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.zeros((1, 1, 2, 2))
    w[0, 0, 0, 1] = 1.0
    out, _ = cnn.conv2d_forward(x, w, np.zeros(1))
    np.testing.assert_allclose(out[0, 0], x[0, 0, :3, 1:], err_msg="conv2d must not flip the kernel (as PyTorch)")


@pytest.mark.parametrize("impl", CONV_IMPLS)
def test_conv2d_gradients_match_finite_differences(rng, impl):
    forward, backward = CONV_IMPLS[impl]
    x, w, b, dout = conv_case(rng, (2, 2, 5, 5), (2, 2, 3, 3), 2, 1)
    dx, dw, db = backward(dout, forward(x, w, b, stride=2, pad=1)[1])

    def loss():
        return float(np.sum(forward(x, w, b, stride=2, pad=1)[0] * dout))

    for name, arr, grad in (("dx", x, dx), ("dw", w, dw), ("db", b, db)):
        numeric = numerical_grad(loss, arr)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7, err_msg=f"{impl}: {name} vs differences")


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    f=st.integers(1, 3),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    pad=st.integers(0, 1),
    steps=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv2d_naive_equals_fast(n, c, f, k, stride, pad, steps, seed):
    rng = np.random.default_rng(seed)
    size = k - 2 * pad + stride * steps  # (size + 2·pad − k)/stride = steps
    if size < 1:
        size += stride * 2
    x, w, b, dout = conv_case(rng, (n, c, size, size + stride), (f, c, k, k), stride, pad)
    out_fast, cache_fast = cnn.conv2d_forward(x, w, b, stride=stride, pad=pad)
    out_naive, cache_naive = cnn.conv2d_forward_naive(x, w, b, stride=stride, pad=pad)
    np.testing.assert_allclose(out_fast, out_naive, rtol=1e-10, atol=1e-12, err_msg="forward: fast != naive")
    grads_fast = cnn.conv2d_backward(dout, cache_fast)
    grads_naive = cnn.conv2d_backward_naive(dout, cache_naive)
    for name, g_fast, g_naive in zip(("dx", "dw", "db"), grads_fast, grads_naive):
        np.testing.assert_allclose(g_fast, g_naive, rtol=1e-10, atol=1e-12, err_msg=f"{name}: fast != naive")


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 4),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv2d_identity_kernel_copies_input(n, c, h, w, seed):
    # w[f, c] = 1 if f == c: output channel f is input channel f.
    x = np.random.default_rng(seed).uniform(-1e3, 1e3, size=(n, c, h, w))
    identity = np.eye(c)[:, :, None, None]
    for impl, (forward, _) in CONV_IMPLS.items():
        out, _ = forward(x, identity, np.zeros(c))
        np.testing.assert_allclose(out, x, rtol=1e-15, atol=1e-15, err_msg=f"{impl}: a 1×1 identity kernel must copy x")


@settings(max_examples=25, deadline=None)
@given(
    alpha=st.floats(-10, 10),
    beta=st.floats(-10, 10),
    stride=st.integers(1, 2),
    pad=st.integers(0, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv2d_is_linear_in_x(alpha, beta, stride, pad, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal((2, 2, 2, 7, 7))
    w = rng.standard_normal((3, 2, 3, 3))
    b = np.zeros(3)  # without the bias the layer is linear

    def conv(x):
        return cnn.conv2d_forward(x, w, b, stride=stride, pad=pad)[0]

    np.testing.assert_allclose(
        conv(alpha * x1 + beta * x2),
        alpha * conv(x1) + beta * conv(x2),
        rtol=1e-9,
        atol=1e-9,
        err_msg="conv(αx + βy) must equal α conv(x) + β conv(y)",
    )


def test_conv2d_accepts_noncontiguous_dout_and_integers(rng):
    x = rng.integers(-3, 4, size=(2, 2, 5, 5))  # integers become float64
    w = rng.standard_normal((3, 2, 3, 3))
    b = rng.standard_normal(3)
    dout_t = rng.standard_normal((3, 3, 2, 3)).transpose(2, 3, 0, 1)  # (N, F, OH, OW), not contiguous
    out, cache = cnn.conv2d_forward(x, w, b)
    assert out.dtype == np.float64, f"integer x must give float64, got {out.dtype}"
    dx, dw, db = cnn.conv2d_backward(dout_t, cache)
    _, ref_dx, ref_dw, ref_db = torch_conv(x.astype(float), w, b, 1, 0, np.ascontiguousarray(dout_t))
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-12, err_msg="dx with a transposed dout")
    np.testing.assert_allclose(dw, ref_dw, rtol=1e-10, atol=1e-12, err_msg="dw with a transposed dout")
    np.testing.assert_allclose(db, ref_db, rtol=1e-10, atol=1e-12, err_msg="db with a transposed dout")


def test_conv2d_keeps_float32(rng):
    x = rng.standard_normal((2, 1, 6, 6)).astype(np.float32)
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    b = np.zeros(2, dtype=np.float32)
    out, cache = cnn.conv2d_forward(x, w, b)
    dx, dw, db = cnn.conv2d_backward(np.ones(out.shape, dtype=np.float32), cache)
    assert {a.dtype for a in (out, dx, dw, db)} == {np.dtype(np.float32)}, "float32 in must give float32 out"


@pytest.mark.parametrize("impl", CONV_IMPLS)
def test_conv2d_does_not_modify_inputs(rng, impl):
    forward, backward = CONV_IMPLS[impl]
    x, w, b, dout = conv_case(rng, (2, 2, 5, 5), (3, 2, 3, 3), 1, 1)
    copies = [a.copy() for a in (x, w, b, dout)]
    backward(dout, forward(x, w, b, stride=1, pad=1)[1])
    for name, a, a0 in zip(("x", "w", "b", "dout"), (x, w, b, dout), copies):
        np.testing.assert_array_equal(a, a0, err_msg=f"{impl} modified its argument {name}")


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("impl", CONV_IMPLS)
@pytest.mark.parametrize(
    "x_shape, w_shape, b_shape, kwargs, match",
    [
        ((1, 5, 5), (2, 1, 3, 3), (2,), {}, r"x must be 4-D with shape \(N, C, H, W\)"),
        ((1, 1, 5, 5), (2, 3, 3), (2,), {}, r"w must be 4-D with shape \(F, C, KH, KW\)"),
        ((1, 3, 5, 5), (2, 1, 3, 3), (2,), {}, "w must have as many input channels as x"),
        ((1, 1, 5, 5), (2, 1, 3, 3), (3,), {}, r"b must have shape \(F,\) = \(2,\)"),
        ((1, 1, 5, 5), (2, 1, 8, 3), (2,), {"pad": 1}, "larger than the padded input: w kernel height KH = 8"),
        ((1, 1, 5, 5), (2, 1, 3, 8), (2,), {}, "larger than the padded input: w kernel width KW = 8"),
        ((1, 1, 6, 6), (2, 1, 3, 3), (2,), {"stride": 2}, "x height H .* is not an integer"),
        ((1, 1, 5, 5), (2, 1, 3, 3), (2,), {"stride": 0}, "stride must be an int >= 1"),
        ((1, 1, 5, 5), (2, 1, 3, 3), (2,), {"pad": -1}, "pad must be an int >= 0"),
        ((0, 1, 5, 5), (2, 1, 3, 3), (2,), {}, "x must not have an empty axis"),
    ],
)
def test_conv2d_bad_input_raises(impl, x_shape, w_shape, b_shape, kwargs, match):
    forward, _ = CONV_IMPLS[impl]
    with pytest.raises(ValueError, match=match):
        forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape), **kwargs)


@pytest.mark.parametrize("impl", CONV_IMPLS)
def test_conv2d_bad_types_raise(impl):
    forward, _ = CONV_IMPLS[impl]
    x, w, b = np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(2)
    with pytest.raises(TypeError, match="x must hold real numbers"):
        forward(x.astype(complex), w, b)
    with pytest.raises(TypeError, match="w must hold real numbers"):
        forward(x, w.astype(str), b)
    with pytest.raises(TypeError, match="stride must be an int"):
        forward(x, w, b, stride=1.0)


@pytest.mark.parametrize("impl", CONV_IMPLS)
def test_conv2d_backward_rejects_wrong_dout_shape(impl):
    forward, backward = CONV_IMPLS[impl]
    _, cache = forward(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward.s output, \(1, 2, 3, 3\)"):
        backward(np.zeros((1, 2, 3, 4)), cache)


# ---------------------------------------------------------------------------------------------
# [H3], [H7] max pooling
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("impl", POOL_IMPLS)
@pytest.mark.parametrize("x_shape, size, stride", POOL_CASES, ids=POOL_IDS)
def test_maxpool_matches_torch(rng, impl, x_shape, size, stride):
    forward, backward = POOL_IMPLS[impl]
    x = rng.standard_normal(x_shape)
    out, cache = forward(x, size=size, stride=stride)
    dout = rng.standard_normal(out.shape)
    dx = backward(dout, cache)
    ref_out, ref_dx = torch_pool(x, size, stride, dout)
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-15, err_msg=f"{impl}: pooled values [H3]")
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-15, err_msg=f"{impl}: dx differs from torch [H7]")


@pytest.mark.parametrize("impl", POOL_IMPLS)
@pytest.mark.parametrize("size, stride", [(2, 2), (3, 1), (2, 1)])
def test_maxpool_ties_route_to_first_argmax_like_torch(rng, impl, size, stride):
    forward, backward = POOL_IMPLS[impl]
    x = rng.integers(0, 2, size=(2, 2, 6, 6)).astype(float)  # zeros and ones: many ties
    out, cache = forward(x, size=size, stride=stride)
    dout = rng.standard_normal(out.shape)
    _, ref_dx = torch_pool(x, size, stride, dout)
    dx = backward(dout, cache)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-15, err_msg=f"{impl}: ties routed unlike torch")


@pytest.mark.parametrize("impl", POOL_IMPLS)
def test_maxpool_handworked_example(impl):
    # Notes [H3]: each 2×2 block keeps its maximum; [H7]: the gradient goes to that entry only.
    # The top-left block [[1, 3], [3, 2]] has a tie: the first 3 in row-major order wins.
    forward, backward = POOL_IMPLS[impl]
    x = np.array([
        [1.0, 3.0, 0.0, -1.0],
        [3.0, 2.0, -2.0, -3.0],
        [5.0, 6.0, 7.0, 8.0],
        [4.0, 4.0, 9.0, 0.5],
    ])[None, None]
    out, cache = forward(x)
    np.testing.assert_allclose(out[0, 0], [[3.0, 0.0], [6.0, 9.0]], err_msg=f"{impl}: block maxima")
    dx = backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    expected = np.zeros((4, 4))
    expected[0, 1], expected[0, 2], expected[2, 1], expected[3, 2] = 10.0, 20.0, 30.0, 40.0
    np.testing.assert_allclose(dx[0, 0], expected, err_msg=f"{impl}: the gradient must go to the (first) arg-max only")


@pytest.mark.parametrize("impl", POOL_IMPLS)
def test_maxpool_nan_is_the_maximum_like_torch(rng, impl):
    forward, backward = POOL_IMPLS[impl]
    x = rng.standard_normal((1, 2, 4, 4))
    x[0, 0, 1, 1] = np.nan
    x[0, 1, 2, 3] = np.nan
    out, cache = forward(x)
    dout = rng.standard_normal(out.shape)
    ref_out, ref_dx = torch_pool(x, 2, 2, dout)
    dx = backward(dout, cache)
    np.testing.assert_allclose(out, ref_out, rtol=0, atol=1e-15, err_msg=f"{impl}: a window with NaN must give NaN")
    np.testing.assert_allclose(dx, ref_dx, rtol=0, atol=1e-15, err_msg=f"{impl}: the gradient must go to the NaN")


@pytest.mark.parametrize("impl", POOL_IMPLS)
def test_maxpool_gradient_matches_finite_differences(rng, impl):
    forward, backward = POOL_IMPLS[impl]
    x = rng.permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) / 7.0  # distinct values: no ties
    out, cache = forward(x, size=3, stride=2)
    dout = rng.standard_normal(out.shape)
    dx = backward(dout, cache)
    numeric = numerical_grad(lambda: float(np.sum(forward(x, size=3, stride=2)[0] * dout)), x)
    np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8, err_msg=f"{impl}: dx vs differences")


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(1, 3),
    stride=st.integers(1, 3),
    steps=st.integers(0, 3),
    ties=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_maxpool_naive_equals_fast(size, stride, steps, ties, seed):
    rng = np.random.default_rng(seed)
    h = size + stride * steps
    shape = (2, 2, h, h + stride)
    x = rng.integers(0, 3, size=shape).astype(float) if ties else rng.standard_normal(shape)
    out_fast, cache_fast = cnn.maxpool2d_forward(x, size, stride)
    out_naive, cache_naive = cnn.maxpool2d_forward_naive(x, size, stride)
    np.testing.assert_allclose(out_fast, out_naive, rtol=0, atol=1e-15, err_msg="forward: fast != naive")
    dout = rng.standard_normal(out_fast.shape)
    np.testing.assert_allclose(
        cnn.maxpool2d_backward(dout, cache_fast),
        cnn.maxpool2d_backward_naive(dout, cache_naive),
        rtol=1e-12,
        atol=1e-15,
        err_msg="backward: fast != naive",
    )


@pytest.mark.parametrize("impl", POOL_IMPLS)
def test_maxpool_does_not_modify_inputs(rng, impl):
    forward, backward = POOL_IMPLS[impl]
    x = rng.standard_normal((2, 2, 4, 4))
    dout = rng.standard_normal((2, 2, 2, 2))
    x0, dout0 = x.copy(), dout.copy()
    backward(dout, forward(x)[1])
    np.testing.assert_array_equal(x, x0, err_msg=f"{impl} modified x")
    np.testing.assert_array_equal(dout, dout0, err_msg=f"{impl} modified dout")


@pytest.mark.parametrize("impl", POOL_IMPLS)
@pytest.mark.parametrize(
    "x_shape, kwargs, error, match",
    [
        ((4, 4), {}, ValueError, r"x must be 4-D with shape \(N, C, H, W\)"),
        ((1, 1, 5, 5), {}, ValueError, r"\(x height H − size\)/stride = \(5 − 2\)/2 = 1.5 is not an integer"),
        ((1, 1, 4, 4), {"size": 5, "stride": 1}, ValueError, "size = 5 > x height H = 4"),
        ((1, 1, 4, 4), {"size": 0}, ValueError, "size must be an int >= 1"),
        ((1, 1, 4, 4), {"stride": 2.0}, TypeError, "stride must be an int"),
    ],
)
def test_maxpool_bad_input_raises(impl, x_shape, kwargs, error, match):
    forward, _ = POOL_IMPLS[impl]
    with pytest.raises(error, match=match):
        forward(np.zeros(x_shape), **kwargs)


@pytest.mark.parametrize("impl", POOL_IMPLS)
def test_maxpool_backward_rejects_wrong_dout_shape(impl):
    forward, backward = POOL_IMPLS[impl]
    _, cache = forward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="dout must have the shape of the forward's output"):
        backward(np.zeros((1, 2, 4, 4)), cache)


# ---------------------------------------------------------------------------------------------
# [H4] flatten
# ---------------------------------------------------------------------------------------------
def test_flatten_matches_torch_and_inverts(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    out, cache = cnn.flatten_forward(x)
    np.testing.assert_allclose(out, torch.flatten(torch.tensor(x), 1).numpy(), rtol=0, atol=1e-15, err_msg="flatten order")
    dout = rng.standard_normal(out.shape)
    dx = cnn.flatten_backward(dout, cache)
    assert dx.shape == x.shape, f"flatten_backward must give the input's shape {x.shape}, got {dx.shape}"
    np.testing.assert_allclose(dx.reshape(2, -1), dout, rtol=0, atol=1e-15, err_msg="must undo the reshape")


def test_flatten_bad_input_raises():
    with pytest.raises(ValueError, match=r"x must have a batch axis"):
        cnn.flatten_forward(np.zeros(5))
    _, cache = cnn.flatten_forward(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward's output \(2, 60\)"):
        cnn.flatten_backward(np.zeros((2, 59)), cache)


# ---------------------------------------------------------------------------------------------
# ConvNet
# ---------------------------------------------------------------------------------------------
def tiny_net(rng):
    net = cnn.ConvNet(input_shape=(2, 6, 6), num_filters=3, kernel_size=3, num_classes=4, rng=rng)
    for key, value in net.params.items():  # non-zero biases, so that their gradients are tested too
        if key.startswith("b"):
            net.params[key] = rng.standard_normal(value.shape) * 0.1
    X = rng.standard_normal((3, 2, 6, 6))
    y = np.array([0, 3, 1])
    return net, X, y


def test_convnet_params_follow_the_protocol(rng):
    net = cnn.ConvNet(rng=rng)  # defaults: (1, 8, 8), 8 filters 3×3, 10 classes
    shapes = {key: value.shape for key, value in net.params.items()}
    expected = {"W1": (8, 1, 3, 3), "b1": (8,), "W2": (8 * 3 * 3, 10), "b2": (10,)}
    assert shapes == expected, f"ConvNet params have shapes {shapes}, expected {expected}"
    X = rng.standard_normal((5, 1, 8, 8))
    y_hat = net.predict(X)
    assert y_hat.shape == (5,), f"predict must give (N,) labels, got shape {y_hat.shape}"
    assert y_hat.dtype.kind == "i", f"predict must give integer labels, got {y_hat.dtype}"
    loss, grads = net.loss_and_grads(X, np.arange(5))
    assert isinstance(loss, float), f"loss must be a float, got {type(loss).__name__}"
    assert {k: g.shape for k, g in grads.items()} == expected, "grads must have the keys and shapes of params"


def test_convnet_gradients_match_finite_differences(rng):
    net, X, y = tiny_net(rng)
    _, grads = net.loss_and_grads(X, y)
    for key, param in net.params.items():
        numeric = numerical_grad(lambda: net.loss_and_grads(X, y)[0], param)
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-5, atol=1e-8, err_msg=f"grad {key} vs differences")


def test_convnet_matches_torch(rng):
    net, X, y = tiny_net(rng)
    loss, grads = net.loss_and_grads(X, y)
    p = {key: torch.tensor(value, requires_grad=True) for key, value in net.params.items()}
    a = torch.relu(torch.nn.functional.conv2d(torch.tensor(X), p["W1"], p["b1"]))
    scores = torch.flatten(torch.nn.functional.max_pool2d(a, 2, 2), 1) @ p["W2"] + p["b2"]
    ref_loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
    ref_loss.backward()
    assert abs(loss - ref_loss.item()) < 1e-12, f"loss {loss} differs from torch {ref_loss.item()}"
    for key in net.params:
        ref = p[key].grad.numpy()
        np.testing.assert_allclose(grads[key], ref, rtol=1e-10, atol=1e-12, err_msg=f"grad {key} vs torch")
    ref_labels = scores.argmax(1).numpy()
    np.testing.assert_array_equal(net.predict(X), ref_labels, err_msg="predict must be the argmax of the scores")


def test_convnet_accepts_flat_rows_and_reads_params_on_every_call(rng):
    net, X, y = tiny_net(rng)
    loss_4d, _ = net.loss_and_grads(X, y)
    loss_flat, _ = net.loss_and_grads(X.reshape(3, -1), y)
    assert abs(loss_4d - loss_flat) < 1e-12, "flat rows (N, C·H·W) must give the same loss as (N, C, H, W)"
    net.params["W2"] = net.params["W2"] * 2.0
    assert abs(net.loss_and_grads(X, y)[0] - loss_4d) > 1e-6, "the model must read params on every call"


def test_convnet_learns_bars(rng):
    # Vertical against horizontal bars in noise: a few hundred SGD steps separate them.
    n = 64
    X = rng.normal(0.0, 0.3, size=(n, 1, 8, 8))
    y = rng.integers(0, 2, size=n)
    pos = rng.integers(1, 7, size=n)
    for i in range(n):
        if y[i]:
            X[i, 0, :, pos[i]] += 1.0
        else:
            X[i, 0, pos[i], :] += 1.0
    net = cnn.ConvNet(input_shape=(1, 8, 8), num_filters=4, kernel_size=3, num_classes=2, rng=rng)
    first_loss = net.loss_and_grads(X, y)[0]
    for _ in range(150):
        _, grads = net.loss_and_grads(X, y)
        for key in net.params:
            net.params[key] = net.params[key] - 0.1 * grads[key]
    last_loss = net.loss_and_grads(X, y)[0]
    accuracy = np.mean(net.predict(X) == y)
    assert last_loss < 0.5 * first_loss, f"loss went from {first_loss:.3f} only to {last_loss:.3f}"
    assert accuracy > 0.95, f"training accuracy {accuracy:.2f} on separable bars"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_shape": (8, 8)}, ValueError, r"input_shape must be \(C, H, W\)"),
        ({"kernel_size": 4}, ValueError, "kernel_size = 4 gives 5×5 feature maps"),
        ({"kernel_size": 9}, ValueError, "kernel_size = 9 > input_shape height H = 8"),
        ({"num_filters": 0}, ValueError, "num_filters must be an int >= 1"),
        ({"num_classes": 2.0}, TypeError, "num_classes must be an int"),
    ],
)
def test_convnet_bad_construction_raises(rng, kwargs, error, match):
    with pytest.raises(error, match=match):
        cnn.ConvNet(rng=rng, **kwargs)


def test_convnet_requires_rng():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        cnn.ConvNet(rng=0)


def test_convnet_bad_X_raises(rng):
    net = cnn.ConvNet(rng=rng)
    with pytest.raises(ValueError, match=r"X must have shape \(N, C, H, W\) = \(N, 1, 8, 8\) or \(N, 64\)"):
        net.predict(np.zeros((2, 1, 7, 7)))
    with pytest.raises(ValueError, match="X contains NaN"):
        net.predict(np.full((2, 64), np.nan))
