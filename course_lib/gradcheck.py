"""Numerical gradient checking: finite differences and the relative error [D11], Jacobians [D5].

The notes check a backpropagated derivative against a difference quotient,
``ΔC/Δb ≈ ∂C/∂b`` [D11]. This module turns that idea into the tool every later notebook uses to
test a backward pass:

- ``numerical_gradient(f, x, h)`` estimates the gradient of a scalar function ``f`` of an array
  ``x`` by central differences, one entry of ``x`` at a time;
- ``numerical_jacobian(f, x, h)`` does the same for a vector-valued ``f`` [D5];
- ``rel_error(a, b)`` compares an analytic and a numerical gradient on a scale-free footing;
- ``gradient_check(f, x, analytic, h)`` combines the two.

Contract: ``f`` is called on ``x`` itself, with one entry shifted by ``±h`` (so that ``f`` may be a
closure over ``x``, the way a layer's parameters are usually checked); ``x`` holds its original
values again when the functions return, also when ``f`` raises. Nothing else is modified.
"""

import numbers

import numpy as np

__all__ = ["numerical_gradient", "numerical_jacobian", "rel_error", "gradient_check"]


def _check_perturbable(x, h):
    """Validate the array that the finite differences shift in place, and the step ``h``."""
    if not isinstance(x, np.ndarray):
        raise TypeError(
            "x must be a numpy ndarray (it is shifted in place and restored), "
            f"got {type(x).__name__}"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"x must have a floating dtype so that it can be shifted by h, got {x.dtype}"
        )
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not h > 0:
        raise ValueError(f"h must be a positive number, got {h!r}")


def numerical_gradient(f, x, h=1e-5):
    """Central-difference estimate of the gradient of a scalar function [D11].

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; called on ``x`` itself with one entry shifted.
    x : ndarray of float, any shape
        The point at which the gradient is estimated. Restored afterwards.
    h : float, optional
        The step, default ``1e-5``.

    Returns
    -------
    grad : ndarray, same shape as x
        ``grad[i] ≈ (f(x + h e_i) − f(x − h e_i)) / (2h)``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating ndarray, or ``f`` does not return one number.
    ValueError
        If ``h`` is not positive.

    Notes
    -----
    The central difference has error ``O(h²)`` (the one-sided ``(f(x+h) − f(x))/h`` has ``O(h)``).
    A smaller ``h`` is not always better: below about ``1e-6`` the rounding error of ``f``, of
    order ``1e-16 / h``, dominates. ``x`` is restored in a ``finally`` block, so an exception
    raised by ``f`` leaves it unchanged.
    """
    _check_perturbable(x, h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + h
            f_plus = _scalar_output(f(x))
            x[idx] = old - h
            f_minus = _scalar_output(f(x))
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def _scalar_output(value):
    """Return ``value`` as a float, or raise if ``f`` did not return one number."""
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"f must return one real number, got an array of shape {arr.shape}, dtype {arr.dtype}"
        )
    return float(arr.reshape(()))


def numerical_jacobian(f, x, h=1e-5):
    """Central-difference estimate of the Jacobian matrix ``∂y/∂x`` of ``y = f(x)`` [D5].

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray`` of any shape ``S_out`` (a number counts as shape ``()``).
    x : ndarray of float, shape S_in
        The point of evaluation. Restored afterwards.
    h : float, optional
        The step, default ``1e-5``.

    Returns
    -------
    jac : ndarray, shape S_out + S_in
        ``jac[i, j] ≈ ∂f_i/∂x_j`` (multi-indices), the layout of
        ``torch.autograd.functional.jacobian``. For vectors this is the ``(M, D)`` matrix of the
        notes: row ``i`` is the gradient of ``f_i``. The identity map has ``jac = I``.

    Raises
    ------
    TypeError
        If ``x`` is not a floating ndarray, or ``f`` returns something that is not real numbers.
    ValueError
        If ``h`` is not positive, or ``f`` returns arrays of different shapes.
    """
    _check_perturbable(x, h)
    columns = []
    out_shape = None
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + h
            y_plus = np.array(f(x), dtype=np.float64)
            x[idx] = old - h
            y_minus = np.array(f(x), dtype=np.float64)
        finally:
            x[idx] = old
        if out_shape is None:
            out_shape = y_plus.shape
        if y_plus.shape != out_shape or y_minus.shape != out_shape:
            raise ValueError(
                f"f must return arrays of one shape, got {y_plus.shape} and {y_minus.shape}"
            )
        columns.append((y_plus - y_minus) / (2 * h))
    if out_shape is None:  # x has no entries
        out_shape = np.shape(f(x))
        return np.zeros(tuple(out_shape) + x.shape)
    # columns[j] holds ∂f/∂x_j; stack them on a last axis, then restore the shape of x.
    jac = np.stack(columns, axis=-1)
    return jac.reshape(out_shape + x.shape)


def rel_error(a, b):
    """Relative error ``max |a − b| / max(1e-8, |a| + |b|)``, taken elementwise [D11].

    Parameters
    ----------
    a, b : array_like of float, same shape
        Usually an analytic and a numerical gradient.

    Returns
    -------
    err : float
        The largest elementwise relative error; ``0.0`` where both are zero (and for empty arrays).

    Raises
    ------
    ValueError
        If the shapes differ, or either contains NaN.
    TypeError
        If either is not numeric.

    Notes
    -----
    Dividing by ``|a| + |b|`` makes the error independent of the scale of the gradient; the floor
    ``1e-8`` stops an entry where both are (nearly) zero from dividing by zero. Rules of thumb for
    float64 and ``h = 1e-5``: below ``1e-7`` is a pass, above ``1e-4`` usually a bug (kinks such
    as ReLU at 0 can make a correct gradient look worse).
    """
    a = _real_array(a, "a")
    b = _real_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got a {a.shape} and b {b.shape}")
    if a.size == 0:
        return 0.0
    err = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float(np.max(err))


def _real_array(value, name):
    """``value`` as a float64 array; TypeError if it is not numeric, ValueError on NaN."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return arr


def gradient_check(f, x, analytic, h=1e-5):
    """Relative error between an analytic gradient and the central-difference one [D11].

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : ndarray of float, any shape
        The point of evaluation. Restored afterwards.
    analytic : array_like, same shape as x
        The gradient to check, e.g. from a backward pass.
    h : float, optional
        The step of ``numerical_gradient``.

    Returns
    -------
    err : float
        ``rel_error(analytic, numerical_gradient(f, x, h))``.

    Raises
    ------
    ValueError
        If ``analytic`` does not have the shape of ``x``.
    """
    _check_perturbable(x, h)
    if np.shape(analytic) != x.shape:
        raise ValueError(f"analytic must have the shape of x {x.shape}, got {np.shape(analytic)}")
    return rel_error(analytic, numerical_gradient(f, x, h))
