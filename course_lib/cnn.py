"""Convolution, max pooling and a small convolutional network [H1]-[H8].

A convolutional layer slides one small kernel of shared weights and a shared bias over every
local receptive field of its input [H1]; the output size is ``(H + 2P − K)/S + 1`` [H2]; 2×2
max pooling keeps the largest value of each block [H3]; flattening hands the feature maps to a
fully connected layer [H4]. Backpropagation sends the gradient to the input as a full
convolution with the flipped kernel [H5], to the weights as a correlation of the input with the
output gradient and to the bias as a sum [H6], and through max pooling to the arg-max only [H7].
Everything works for several input channels and several filters [H8].

Every layer exists twice, with identical results:

- ``*_naive``: Python loops in which the formulas of the notes can be read term by term. For
  teaching; slow (a second for a batch of 64 MNIST-sized images).
- the public names without suffix: the same arithmetic vectorized with
  ``numpy.lib.stride_tricks.sliding_window_view`` and one matrix product per gradient (im2col),
  within a small factor of PyTorch on the CPU.

This module holds ``conv_output_size`` [H2]; ``conv2d_forward`` / ``conv2d_backward`` [H1],
[H5], [H6], [H8]; ``maxpool2d_forward`` / ``maxpool2d_backward`` [H3], [H7]; their ``*_naive``
twins; ``flatten_forward`` / ``flatten_backward`` [H4]; and ``ConvNet``, conv → ReLU → 2×2 max
pool → flatten → dense → softmax cross-entropy.

Contract
--------
- Images ``x (N, C, H, W)``, kernels ``w (F, C, KH, KW)``, bias ``b (F,)``, outputs
  ``(N, F, OH, OW)``, as in PyTorch. ``conv2d`` is a cross-correlation (the kernel is not
  flipped), like ``torch.nn.functional.conv2d``; ``pad`` zeros are added on every side.
- Sizes must fit exactly: ``(H + 2·pad − KH)/stride`` must be an integer, for the convolution and
  for the pooling windows. PyTorch silently drops the rows and columns that do not fit; here that
  is a ``ValueError`` that names the sizes, because it is nearly always a mistake in the design
  of the network.
- Ties in max pooling: the gradient goes to *one* arg-max, the first in row-major order within the
  window (the top-left one), which is what PyTorch does on the CPU. NaN counts as the largest
  value, as in PyTorch.
- ``*_forward(...) -> (out, cache)``, ``*_backward(dout, cache)`` returns the gradients in the
  order of the forward's array inputs. A float array keeps its dtype; integers become float64.
- Nothing modifies its caller's arrays. Bad input raises ``TypeError`` or ``ValueError`` naming
  the argument.

Notation: the notes index an output map ``a¹_jk`` and a kernel ``w_lm`` from 0, for one channel,
one filter, one image and stride 1. The code adds the batch index ``n``, the channel ``c``, the
filter ``f``, the stride ``S`` (output ``(j, k)`` reads input ``(S·j + l, S·k + m)``) and zero
padding (input indices are those of the padded image).
"""
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from course_lib.activations import _as_float_array, relu, relu_grad
from course_lib.init import he_init
from course_lib.layers import affine_backward, affine_forward
from course_lib.losses import softmax_cross_entropy

__all__ = [
    "conv_output_size",
    "conv2d_forward",
    "conv2d_backward",
    "conv2d_forward_naive",
    "conv2d_backward_naive",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "maxpool2d_forward_naive",
    "maxpool2d_backward_naive",
    "flatten_forward",
    "flatten_backward",
    "ConvNet",
]


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------
def _check_int(value, name, minimum):
    """Return ``value`` as an int ``>= minimum``; bools and floats are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def _output_size(n, k, stride, pad, names):
    """``(n + 2·pad − k)/stride + 1`` [H2], or a ``ValueError`` that uses the caller's ``names``.

    ``names`` gives how the caller calls ``(n, k, stride, pad)``, e.g. ``("x height H",
    "w kernel height KH", "stride", "pad")``; a ``None`` pad name leaves the padding out.
    """
    n_name, k_name, stride_name, pad_name = names
    padded = n + 2 * pad
    if pad_name is None:
        padded_name, padded_value = n_name, f"{n}"
    else:
        padded_name, padded_value = f"{n_name} + 2·{pad_name}", f"{n} + 2·{pad}"
    if k > padded:
        raise ValueError(
            f"the window is larger than the {'padded ' if pad_name else ''}input: {k_name} = {k} > "
            f"{padded_name} = {padded_value}" + ("" if padded_name == n_name else f" = {padded}")
        )
    if (padded - k) % stride != 0:
        raise ValueError(
            f"the windows do not tile the input: ({padded_name} − {k_name})/{stride_name} = "
            f"({padded_value} − {k})/{stride} = {(padded - k) / stride:g} is not an integer; "
            f"choose the sizes so that {stride_name} divides {padded_name} − {k_name}"
        )
    return (padded - k) // stride + 1


def _as_image_batch(x, name, letters):
    """``x`` as a float array of rank 4 with no empty axis; ``letters`` names the axes."""
    x = _as_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D with shape {letters}, got shape {x.shape}")
    if 0 in x.shape:
        raise ValueError(f"{name} must not have an empty axis, got shape {x.shape}")
    return x


def _check_conv_inputs(x, w, b, stride, pad):
    """Validate the arguments of ``conv2d_forward``; return them with the output size."""
    x = _as_image_batch(x, "x", "(N, C, H, W)")
    w = _as_image_batch(w, "w", "(F, C, KH, KW)")
    b = _as_float_array(b, "b")
    stride = _check_int(stride, "stride", 1)
    pad = _check_int(pad, "pad", 0)
    N, C, H, W = x.shape
    F, C_w, KH, KW = w.shape
    if C_w != C:
        raise ValueError(
            f"w must have as many input channels as x: w has shape (F, C, KH, KW) = {w.shape} with "
            f"C = {C_w}, but x has shape (N, C, H, W) = {x.shape} with C = {C}"
        )
    if b.shape != (F,):
        raise ValueError(f"b must have shape (F,) = ({F},), one bias per filter of w, got shape {b.shape}")
    OH = _output_size(H, KH, stride, pad, ("x height H", "w kernel height KH", "stride", "pad"))
    OW = _output_size(W, KW, stride, pad, ("x width W", "w kernel width KW", "stride", "pad"))
    dtype = np.result_type(x.dtype, w.dtype, b.dtype)
    x, w, b = (a.astype(dtype, copy=False) for a in (x, w, b))
    return x, w, b, stride, pad, OH, OW


def _check_pool_inputs(x, size, stride):
    """Validate the arguments of ``maxpool2d_forward``; return them with the output size."""
    x = _as_image_batch(x, "x", "(N, C, H, W)")
    size = _check_int(size, "size", 1)
    stride = _check_int(stride, "stride", 1)
    _, _, H, W = x.shape
    OH = _output_size(H, size, stride, 0, ("x height H", "size", "stride", None))
    OW = _output_size(W, size, stride, 0, ("x width W", "size", "stride", None))
    return x, size, stride, OH, OW


def _check_dout(dout, shape):
    """``dout`` as a float array of the forward output's ``shape``."""
    dout = _as_float_array(dout, "dout")
    if dout.shape != shape:
        raise ValueError(f"dout must have the shape of the forward's output, {shape}, got {dout.shape}")
    return dout


# ---------------------------------------------------------------------------------------------
# [H2] output size
# ---------------------------------------------------------------------------------------------
def conv_output_size(n, k, stride=1, pad=0):
    """Size of a convolution's (or pooling's) output along one axis, ``(n + 2P − K)/S + 1`` [H2].

    Parameters
    ----------
    n : int
        Input size (height or width), ``>= 1``.
    k : int
        Kernel (or pooling window) size, ``>= 1``.
    stride : int, optional
        Step ``S`` between neighbouring windows, ``>= 1``.
    pad : int, optional
        Zeros ``P`` added on each side, ``>= 0``.

    Returns
    -------
    size : int
        ``(n + 2·pad − k)/stride + 1``. A 28×28 image with a 5×5 kernel gives 24×24; padding 2
        keeps it at 28 ("same" padding); a 24×24 map pooled with windows of 2 and stride 2 gives
        12×12.

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If an argument is out of range, ``k > n + 2·pad``, or the quotient is not an integer
        (``n=28, k=5, stride=2``: ``23/2``), naming the arguments.
    """
    n = _check_int(n, "n", 1)
    k = _check_int(k, "k", 1)
    stride = _check_int(stride, "stride", 1)
    pad = _check_int(pad, "pad", 0)
    return _output_size(n, k, stride, pad, ("n", "k", "stride", "pad"))


# ---------------------------------------------------------------------------------------------
# [H1], [H5], [H6], [H8] convolution: the loops of the notes
# ---------------------------------------------------------------------------------------------
def conv2d_forward_naive(x, w, b, stride=1, pad=0):
    """Convolutional layer by explicit loops, the formula of the notes term by term [H1], [H8].

    ``out[n, f, j, k] = b_f + Σ_c Σ_l Σ_m w[f, c, l, m] · x_pad[n, c, S·j + l, S·k + m]``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        A batch of images with ``C`` channels.
    w : ndarray, shape (F, C, KH, KW)
        ``F`` filters, each with one ``KH × KW`` kernel per input channel.
    b : ndarray, shape (F,)
        One shared bias per filter.
    stride : int, optional
        Step ``S`` between receptive fields.
    pad : int, optional
        Zeros added on each side of the image.

    Returns
    -------
    out : ndarray, shape (N, F, OH, OW)
        The feature maps before the activation: the notes' ``z_jk``; the notes' ``a¹_jk`` is
        ``σ(z_jk)``, applied by a separate layer here.
    cache : tuple
        ``(x, w, b, stride, pad)`` for ``conv2d_backward_naive``.

    Notes
    -----
    The loops run over the filter, the output position and the kernel; each step works on all
    ``N`` images of the batch at once (a vector of length ``N``). Same results as
    ``conv2d_forward``.
    """
    x, w, b, stride, pad, OH, OW = _check_conv_inputs(x, w, b, stride, pad)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, OH, OW), dtype=x.dtype)
    for f in range(F):  # [H8] one feature map per filter
        for j in range(OH):
            for k in range(OW):
                # [H1] a_jk = b + Σ_l Σ_m w_lm a_{j+l, k+m}: one receptive field, shared w and b.
                # With a stride S the field of output (j, k) starts at input (S·j, S·k).
                z = np.full(N, b[f])
                for c in range(C):  # [H8] the sum runs over the input channels too
                    for l in range(KH):
                        for m in range(KW):
                            z += w[f, c, l, m] * x_pad[:, c, stride * j + l, stride * k + m]
                out[:, f, j, k] = z
    return out, (x, w, b, stride, pad)


def conv2d_backward_naive(dout, cache):
    """Gradients of the convolutional layer by explicit loops [H5], [H6], [H8].

    Parameters
    ----------
    dout : ndarray, shape (N, F, OH, OW)
        ``δ¹ = ∂C/∂z`` of every output.
    cache : tuple
        From ``conv2d_forward_naive``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        ``δ⁰ = ∂C/∂x`` [H5].
    dw : ndarray, shape (F, C, KH, KW)
        ``∂C/∂w`` [H6], summed over the batch.
    db : ndarray, shape (F,)
        ``∂C/∂b = Σ δ¹`` [H6], summed over the batch and the positions.

    Notes
    -----
    [H5], in the notes' indices: ``δ⁰_jk = Σ_l Σ_m δ¹_{j−l, k−m} w_lm``. Input ``(j, k)`` was read
    by output ``(j − l, k − m)`` through kernel entry ``w_lm``; outputs that do not exist count
    as 0, which is why this is a *full* convolution (``δ¹`` padded with ``KH − 1`` rows and
    ``KW − 1`` columns of zeros) with the *flipped* kernel (``w`` indexed backwards). With a
    stride ``S`` the output is ``((j − l)/S, (k − m)/S)`` and exists only where both divide
    evenly.

    [H6], in the notes' indices: ``∂C/∂w_lm = Σ_jk δ¹_jk a⁰_{j+l, k+m}``: every output position
    used ``w_lm`` once, on input ``(j + l, k + m)`` (here ``(S·j + l, S·k + m)``). The handwritten
    note 002 writes ``a⁰_{j−l, k−m}``; the ``+`` follows from the forward pass [H1].
    """
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    OH = (H + 2 * pad - KH) // stride + 1
    OW = (W + 2 * pad - KW) // stride + 1
    dout = _check_dout(dout, (N, F, OH, OW))
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))

    # [H5] gradient to the input, gathered at every input position (j, k) of the padded image
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(dout, w))
    for c in range(C):
        for j in range(H + 2 * pad):
            for k in range(W + 2 * pad):
                delta0 = np.zeros(N, dtype=dx_pad.dtype)
                for f in range(F):  # [H8] every filter read input channel c
                    for l in range(KH):
                        for m in range(KW):
                            # the notes' δ¹_{j−l, k−m}; with a stride, output ((j−l)/S, (k−m)/S)
                            if (j - l) % stride or (k - m) % stride:
                                continue
                            p, q = (j - l) // stride, (k - m) // stride
                            if 0 <= p < OH and 0 <= q < OW:  # outside δ¹: the zeros of the full convolution
                                delta0 += dout[:, f, p, q] * w[f, c, l, m]
                dx_pad[:, c, j, k] = delta0
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W].copy()  # the padding is not an input

    # [H6] gradient to the weights: Σ_jk δ¹_jk a⁰_{j+l, k+m}, and over the batch (shared weights)
    dw = np.zeros(w.shape, dtype=dx_pad.dtype)
    for f in range(F):
        for c in range(C):
            for l in range(KH):
                for m in range(KW):
                    total = 0.0
                    for j in range(OH):
                        for k in range(OW):
                            # a dot product over the N images of the batch
                            total += dout[:, f, j, k] @ x_pad[:, c, stride * j + l, stride * k + m]
                    dw[f, c, l, m] = total

    # [H6] gradient to the shared bias: Σ δ¹ over the batch and all positions of its map
    db = np.zeros(F, dtype=dx_pad.dtype)
    for f in range(F):
        db[f] = dout[:, f].sum()
    return dx, dw, db


# ---------------------------------------------------------------------------------------------
# [H1], [H5], [H6], [H8] convolution: vectorized (im2col)
# ---------------------------------------------------------------------------------------------
def conv2d_forward(x, w, b, stride=1, pad=0):
    """Convolutional layer: cross-correlation of ``x`` with ``F`` filters plus bias [H1], [H8].

    ``out[n, f, j, k] = b_f + Σ_c Σ_l Σ_m w[f, c, l, m] · x_pad[n, c, S·j + l, S·k + m]``, as
    ``torch.nn.functional.conv2d(x, w, b, stride, pad)``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        A batch of images with ``C`` channels.
    w : ndarray, shape (F, C, KH, KW)
        ``F`` filters, each with one ``KH × KW`` kernel per input channel.
    b : ndarray, shape (F,)
        One shared bias per filter.
    stride : int, optional
        Step ``S`` between receptive fields.
    pad : int, optional
        Zeros added on each side of the image.

    Returns
    -------
    out : ndarray, shape (N, F, OH, OW)
        The feature maps before the activation, ``OH = (H + 2·pad − KH)/stride + 1`` [H2]. A
        view with the batch axis last in memory (see Notes).
    cache : tuple
        For ``conv2d_backward``.

    Raises
    ------
    TypeError
        If an array does not hold real numbers, or ``stride``/``pad`` is not an int.
    ValueError
        If a rank is wrong, the channels of ``x`` and ``w`` differ, ``b`` does not have one entry
        per filter, the kernel is larger than the padded input, or the windows do not tile it.

    Notes
    -----
    im2col: ``sliding_window_view`` gives, without copying, every ``KH × KW`` receptive field.
    Copying them once into a matrix ``cols (C·KH·KW + 1, OH·OW·N)`` — one column per output
    position and image — turns the whole layer into one matrix product, which numpy hands to
    BLAS. The last row of ``cols`` holds ones: the bias is the weight of a constant input 1, like
    the notes' ``x_0 = 1`` of a dense layer [A1], so ``[w | b] @ cols`` adds it within the
    product. The memory price is ``KH·KW`` copies of the input, kept in the cache because ``dw``
    needs them again.

    The work is done in the layout ``(C, H, W, N)``, batch last: then the kernel's shifts in the
    backward pass move contiguous blocks of ``W·N`` numbers instead of rows of ``W``, which is
    what makes ``conv2d_backward`` fast. ``out`` is returned as a transposed view of the
    ``(F, OH, OW, N)`` result instead of being copied; elementwise numpy operations keep that
    layout, and ``np.ascontiguousarray(out)`` gives the usual one.
    """
    x, w, b, stride, pad, OH, OW = _check_conv_inputs(x, w, b, stride, pad)
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    # the padded batch, batch axis last: x_t[c, i, j, n] = x_pad[n, c, i, j]
    x_t = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=x.dtype)
    x_t[:, pad:pad + H, pad:pad + W, :] = x.transpose(1, 2, 3, 0)
    # windows[c, j, k, n, l, m] = x_pad[n, c, S·j + l, S·k + m]: a view, nothing copied yet
    windows = sliding_window_view(x_t, (KH, KW), axis=(1, 2))[:, ::stride, ::stride]
    # im2col: rows (c, l, m) and a last row of ones for the bias, columns (j, k, n)
    cols = np.empty((C * KH * KW + 1, OH * OW * N), dtype=x.dtype)
    cols[:-1].reshape(C, KH, KW, OH, OW, N)[...] = windows.transpose(0, 4, 5, 1, 2, 3)  # the copy
    cols[-1] = 1.0
    w_b = np.concatenate([w.reshape(F, C * KH * KW), b[:, None]], axis=1)  # (F, C·KH·KW + 1)
    out_cols = w_b @ cols  # [H1] b + Σ_c Σ_l Σ_m w a, for all outputs at once
    out = out_cols.reshape(F, OH, OW, N).transpose(3, 0, 1, 2)
    return out, (cols, w, x.shape, stride, pad)


def conv2d_backward(dout, cache):
    """Gradients of the convolutional layer [H5], [H6], [H8].

    Parameters
    ----------
    dout : ndarray, shape (N, F, OH, OW)
        ``δ¹ = ∂C/∂out``.
    cache : tuple
        From ``conv2d_forward``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        ``δ⁰``: the full convolution of ``δ¹`` with the flipped kernels, summed over filters [H5].
    dw : ndarray, shape (F, C, KH, KW)
        ``Σ_n Σ_jk δ¹[n, f, j, k] · x_pad[n, c, S·j + l, S·k + m]`` [H6].
    db : ndarray, shape (F,)
        ``Σ δ¹`` over the batch and the positions [H6].

    Raises
    ------
    ValueError
        If ``dout`` does not have the shape of the forward's output.

    Notes
    -----
    With the im2col matrix ``cols`` of the forward pass and ``δ¹`` laid out as ``(F, OH·OW·N)``
    the same way, both gradients are matrix products: ``[dw | db] = δ¹ colsᵀ`` [H6] (the row of
    ones of ``cols`` sums ``δ¹`` into ``db``) and ``dcols = wᵀ δ¹``, the gradient of every copied
    input value. [H5] is then computed in its *scatter* form: each of the ``KH·KW`` kernel
    entries ``w_lm`` sends ``δ¹ w_lm`` back to the inputs it read,
    ``δ⁰[S·j + l, S·k + m] += dcols[l, m, j, k]`` (col2im). Summed, that is the notes' gather
    form ``δ⁰_jk = Σ_l Σ_m δ¹_{j−l, k−m} w_lm``, which ``conv2d_backward_naive`` computes
    directly. The ``KH·KW`` additions are the only Python loop.
    """
    cols, w, x_shape, stride, pad = cache
    N, C, H, W = x_shape
    F, _, KH, KW = w.shape
    OH = (H + 2 * pad - KH) // stride + 1
    OW = (W + 2 * pad - KW) // stride + 1
    dout = _check_dout(dout, (N, F, OH, OW))
    # δ¹ as (F, OH·OW·N), columns in the order of cols; a view if dout came from conv2d_forward
    delta = dout.transpose(1, 2, 3, 0).reshape(F, OH * OW * N)
    dw_b = (cols @ delta.T).T  # [H6] Σ_jk δ¹_jk a⁰_{j+l, k+m}; the row of ones gives Σ δ
    dw = dw_b[:, :-1].reshape(w.shape)
    db = dw_b[:, -1].copy()
    dcols = (w.reshape(F, C * KH * KW).T @ delta).reshape(C, KH, KW, OH, OW, N)
    # [H5] col2im: scatter every kernel entry's share back, in the (C, H, W, N) layout
    dx_t = np.zeros((C, H + 2 * pad, W + 2 * pad, N), dtype=dcols.dtype)
    for l in range(KH):
        for m in range(KW):
            dx_t[:, l:l + stride * OH:stride, m:m + stride * OW:stride, :] += dcols[:, l, m]
    dx = np.ascontiguousarray(dx_t[:, pad:pad + H, pad:pad + W, :].transpose(3, 0, 1, 2))
    return dx, dw, db


# ---------------------------------------------------------------------------------------------
# [H3], [H7] max pooling: the loops of the notes
# ---------------------------------------------------------------------------------------------
def maxpool2d_forward_naive(x, size=2, stride=2):
    """Max pooling by explicit loops: the largest value of each window [H3].

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    size : int, optional
        The window is ``size × size``.
    stride : int, optional
        Step between windows; ``stride = size`` (the default 2, 2) gives disjoint blocks.

    Returns
    -------
    out : ndarray, shape (N, C, OH, OW)
        ``OH = (H − size)/stride + 1`` [H2].
    cache : tuple
        ``(x, size, stride)`` for ``maxpool2d_backward_naive``.

    Notes
    -----
    The notes write 2×2 pooling 1-based, ``a_jk = max(a_{2j−1, 2k−1}, a_{2j−1, 2k}, a_{2j, 2k−1},
    a_{2j, 2k})``; from 0 that is the block of rows ``2j, 2j + 1`` and columns ``2k, 2k + 1``.
    """
    x, size, stride, OH, OW = _check_pool_inputs(x, size, stride)
    N, C, _, _ = x.shape
    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for j in range(OH):
                for k in range(OW):
                    window = x[n, c, stride * j:stride * j + size, stride * k:stride * k + size]
                    out[n, c, j, k] = window.max()
    return out, (x, size, stride)


def maxpool2d_backward_naive(dout, cache):
    """Gradient of max pooling by explicit loops: each window's gradient goes to its arg-max [H7].

    Parameters
    ----------
    dout : ndarray, shape (N, C, OH, OW)
    cache : tuple
        From ``maxpool2d_forward_naive``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Zero except at the arg-max of each window; where windows overlap, the shares add up.

    Notes
    -----
    Only the largest input of a window influenced the output, with slope 1; the others have slope
    0. On a tie one input takes it all: ``np.argmax`` returns the first maximum in row-major
    order (the top-left one), as PyTorch does.
    """
    x, size, stride = cache
    N, C, H, W = x.shape
    OH = (H - size) // stride + 1
    OW = (W - size) // stride + 1
    dout = _check_dout(dout, (N, C, OH, OW))
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    for n in range(N):
        for c in range(C):
            for j in range(OH):
                for k in range(OW):
                    window = x[n, c, stride * j:stride * j + size, stride * k:stride * k + size]
                    p, q = np.unravel_index(np.argmax(window), window.shape)  # the first arg-max
                    dx[n, c, stride * j + p, stride * k + q] += dout[n, c, j, k]
    return dx


# ---------------------------------------------------------------------------------------------
# [H3], [H7] max pooling: vectorized
# ---------------------------------------------------------------------------------------------
def maxpool2d_forward(x, size=2, stride=2):
    """Max pooling: the largest value of each ``size × size`` window [H3].

    As ``torch.nn.functional.max_pool2d(x, size, stride)``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    size : int, optional
        The window is ``size × size``.
    stride : int, optional
        Step between windows; ``stride = size`` (the default 2, 2) gives disjoint blocks.

    Returns
    -------
    out : ndarray, shape (N, C, OH, OW)
        ``OH = (H − size)/stride + 1`` [H2]; 24×24 pools to 12×12.
    cache : tuple
        For ``maxpool2d_backward``: the flat index into ``x`` of each window's arg-max.

    Raises
    ------
    TypeError
        If ``x`` does not hold real numbers, or ``size``/``stride`` is not an int.
    ValueError
        If ``x`` is not 4-D, or the windows do not fit the input exactly.

    Notes
    -----
    ``sliding_window_view`` shows every window without copying. One copy puts the ``size²``
    entries of the windows first, ``stacked[l·size + m]`` being the ``(N, C, OH, OW)`` map of
    entry ``(l, m)``; then the maximum, and the test "is this entry a maximum", are a few
    operations on whole maps instead of one small ``argmax`` per window, which numpy does slowly.

    The first arg-max in row-major order (PyTorch's tie rule) is found without a loop: entry
    ``i`` gets the rank ``size² − i`` if it is a maximum and 0 otherwise, so the largest rank
    belongs to the first maximum. NaN counts as a maximum, since ``max`` returns NaN then.
    """
    x, size, stride, OH, OW = _check_pool_inputs(x, size, stride)
    N, C, H, W = x.shape
    windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    stacked = windows.transpose(4, 5, 0, 1, 2, 3).reshape(size * size, N, C, OH, OW)  # copies
    out = stacked.max(axis=0)  # [H3]
    is_max = (stacked == out) | np.isnan(stacked)
    rank = np.arange(size * size, 0, -1, dtype=np.min_scalar_type(size * size)).reshape(-1, 1, 1, 1, 1)
    first = size * size - (is_max * rank).max(axis=0)  # entry l·size + m of the first arg-max
    # flat index into x: the window's top-left corner (n, c, S·j, S·k), plus l·W + m
    entry_offset = (np.arange(size).reshape(-1, 1) * W + np.arange(size)).ravel()
    corner = (
        np.arange(N * C).reshape(N, C, 1, 1) * (H * W)  # start of image n, channel c
        + (stride * np.arange(OH)).reshape(-1, 1) * W  # row S·j
        + stride * np.arange(OW)  # column S·k
    )
    argmax = corner + entry_offset[first]
    return out, (argmax, x.shape, x.dtype)


def maxpool2d_backward(dout, cache):
    """Gradient of max pooling: each window's gradient goes to its arg-max [H7].

    Parameters
    ----------
    dout : ndarray, shape (N, C, OH, OW)
    cache : tuple
        From ``maxpool2d_forward``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Zero except at the arg-max of each window (the first one on a tie); where windows
        overlap, the shares add up.

    Raises
    ------
    ValueError
        If ``dout`` does not have the shape of the forward's output.

    Notes
    -----
    Only the largest input of a window influenced the output, with slope 1. ``np.bincount`` with
    weights sends ``dout`` of every window to the flat index of its arg-max in one step, and adds
    where several windows share an arg-max (overlapping windows, ``stride < size``).
    """
    argmax, x_shape, x_dtype = cache
    dout = _check_dout(dout, argmax.shape)
    dx = np.bincount(argmax.ravel(), weights=dout.ravel(), minlength=int(np.prod(x_shape)))
    return dx.reshape(x_shape).astype(np.result_type(x_dtype, dout), copy=False)


# ---------------------------------------------------------------------------------------------
# [H4] flatten
# ---------------------------------------------------------------------------------------------
def flatten_forward(x):
    """Flatten each example's feature maps into one vector for a dense layer [H4].

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Or any shape ``(N, ...)`` with at least two axes.

    Returns
    -------
    out : ndarray, shape (N, C·H·W)
        Row ``n`` holds ``x[n]`` in C order: channel by channel, row by row, as ``torch.flatten(x,
        1)``.
    cache : tuple
        The shape of ``x``.
    """
    x = _as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have a batch axis and at least one more, shape (N, ...), got shape {x.shape}")
    return x.reshape(x.shape[0], -1), (x.shape,)


def flatten_backward(dout, cache):
    """Gradient of ``flatten_forward``: the inverse reshape [H4].

    Parameters
    ----------
    dout : ndarray, shape (N, C·H·W)
    cache : tuple
        From ``flatten_forward``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        The shape of the forward's input.
    """
    (x_shape,) = cache
    dout = _as_float_array(dout, "dout")
    expected = (x_shape[0], int(np.prod(x_shape[1:])))
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the forward's output {expected}, got {dout.shape}")
    return dout.reshape(x_shape)


# ---------------------------------------------------------------------------------------------
# A small convolutional network [H1]-[H8]
# ---------------------------------------------------------------------------------------------
class ConvNet:
    """conv → ReLU → 2×2 max pool → flatten → dense → softmax cross-entropy.

    The network of the notes' CNN page: one convolutional layer of shared weights [H1], [H8],
    pooling [H3], flatten and a fully connected output layer [H4]. It follows the model protocol
    of ``course_lib.layers``, so the same training loop trains it and an ``MLP``.

    Parameters
    ----------
    input_shape : tuple of int, optional
        ``(C, H, W)`` of one example; the default ``(1, 8, 8)`` fits the 8×8 digits.
    num_filters : int, optional
        ``F``, the number of feature maps.
    kernel_size : int, optional
        Square kernels, ``KH = KW = kernel_size``; stride 1, no padding.
    num_classes : int, optional
        ``K`` classes of the output layer.
    rng : numpy.random.Generator
        Draws the initial weights (keyword only, required).

    Attributes
    ----------
    params : dict of str to ndarray
        ``"W1" (F, C, KH, KW)`` and ``"b1" (F,)`` of the convolution; ``"W2" (F·PH·PW, K)`` and
        ``"b2" (K,)`` of the dense layer, where ``PH × PW`` is the pooled map. Weights start from
        He initialization [E6], biases at 0. The model reads ``params`` on every call.
    input_shape : tuple of int

    Raises
    ------
    TypeError
        If a size is not an int, or ``rng`` is not a ``numpy.random.Generator``.
    ValueError
        If a size is out of range, or the feature maps (``H − kernel_size + 1`` by
        ``W − kernel_size + 1``) cannot be pooled 2×2 exactly.
    """

    def __init__(self, input_shape=(1, 8, 8), num_filters=8, kernel_size=3, num_classes=10, *, rng):
        try:
            shape = tuple(input_shape)
        except TypeError:
            raise TypeError(f"input_shape must be a tuple (C, H, W), got {type(input_shape).__name__}") from None
        if len(shape) != 3:
            raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
        C, H, W = (_check_int(d, "input_shape entry", 1) for d in shape)
        F = _check_int(num_filters, "num_filters", 1)
        KH = KW = _check_int(kernel_size, "kernel_size", 1)
        num_classes = _check_int(num_classes, "num_classes", 2)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        conv_h = _output_size(H, KH, 1, 0, ("input_shape height H", "kernel_size", "stride", None))
        conv_w = _output_size(W, KW, 1, 0, ("input_shape width W", "kernel_size", "stride", None))
        if conv_h % 2 or conv_w % 2:
            raise ValueError(
                f"input_shape {(C, H, W)} with kernel_size = {KH} gives {conv_h}×{conv_w} feature maps, which "
                "2×2 max pooling with stride 2 cannot tile; choose kernel_size so that H − kernel_size + 1 "
                "and W − kernel_size + 1 are even"
            )
        pool_h, pool_w = conv_h // 2, conv_w // 2
        self.input_shape = (C, H, W)
        hidden = F * pool_h * pool_w
        self.params = {
            # he_init draws iid N(0, 2/fan_in); (C·KH·KW, F) reshaped to PyTorch's (F, C, KH, KW)
            "W1": he_init(C * KH * KW, F, rng).T.reshape(F, C, KH, KW),
            "b1": np.zeros(F),
            "W2": he_init(hidden, num_classes, rng),
            "b2": np.zeros(num_classes),
        }

    def _check_X(self, X):
        """``X`` as ``(N, C, H, W)``; flat rows ``(N, C·H·W)`` are reshaped."""
        X = _as_float_array(X, "X")
        C, H, W = self.input_shape
        if X.ndim == 2 and X.shape[1] == C * H * W:
            X = X.reshape(X.shape[0], C, H, W)
        if X.ndim != 4 or X.shape[1:] != self.input_shape:
            raise ValueError(
                f"X must have shape (N, C, H, W) = (N, {C}, {H}, {W}) or (N, {C * H * W}), got shape {X.shape}"
            )
        if np.isnan(X).any():
            raise ValueError("X contains NaN")
        return X

    def _forward(self, X):
        """Scores and the caches of every layer."""
        p = self.params
        z, conv_cache = conv2d_forward(X, p["W1"], p["b1"])  # [H1], [H8]
        a = relu(z)
        pooled, pool_cache = maxpool2d_forward(a, 2, 2)  # [H3]
        flat, flat_cache = flatten_forward(pooled)  # [H4]
        scores, affine_cache = affine_forward(flat, p["W2"], p["b2"])
        return scores, (conv_cache, z, pool_cache, flat_cache, affine_cache)

    def scores(self, X):
        """The output layer's values, before the softmax.

        Parameters
        ----------
        X : ndarray, shape (N, C, H, W) or (N, C·H·W)

        Returns
        -------
        scores : ndarray, shape (N, K)
        """
        return self._forward(self._check_X(X))[0]

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : ndarray, shape (N, C, H, W) or (N, C·H·W)

        Returns
        -------
        y_hat : ndarray of int, shape (N,)
            The class with the largest score.
        """
        return np.argmax(self.scores(X), axis=1)

    def loss_and_grads(self, X, y):
        """Mean softmax cross-entropy on a batch and its gradient for every parameter.

        Parameters
        ----------
        X : ndarray, shape (N, C, H, W) or (N, C·H·W)
        y : ndarray of int, shape (N,)
            Class labels in ``0..K-1``.

        Returns
        -------
        loss : float
        grads : dict of str to ndarray
            ``∂loss/∂param`` with the keys and shapes of ``params``.

        Notes
        -----
        The backward pass runs the layers in reverse: dense [A1], flatten [H4], max pool (to the
        arg-max) [H7], ReLU (``δ = dout · relu'(z)``), convolution [H5], [H6].
        """
        X = self._check_X(X)
        scores, (conv_cache, z, pool_cache, flat_cache, affine_cache) = self._forward(X)
        loss, dscores = softmax_cross_entropy(scores, y)
        dflat, dW2, db2 = affine_backward(dscores, affine_cache)
        dpooled = flatten_backward(dflat, flat_cache)
        da = maxpool2d_backward(dpooled, pool_cache)
        dz = da * relu_grad(z)
        _, dW1, db1 = conv2d_backward(dz, conv_cache)
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
