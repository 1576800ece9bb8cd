"""Weight initialization: the notes' N(0, 1) and the scaled schemes of Glorot and He [E6].

The notes initialize every weight and bias from a standard normal, ``w ~ N(0, 1)``,
``b ~ N(0, 1)`` [E6]. In a layer with many inputs this makes the pre-activations large, which
saturates sigmoid and tanh units and lets gradients vanish (see ``course_lib.vanishing``). The
scaled schemes choose the standard deviation from the layer's fan-in and fan-out instead:

==========  ===================================  ==============================================
scheme      standard deviation                   PyTorch equivalent
==========  ===================================  ==============================================
normal      ``std`` (default 1)                  ``torch.nn.init.normal_(w, 0, std)``
xavier      ``sqrt(2 / (fan_in + fan_out))``     ``torch.nn.init.xavier_normal_(w)`` (gain 1)
he          ``sqrt(2 / fan_in)``                 ``torch.nn.init.kaiming_normal_(w, mode="fan_in",
                                                 nonlinearity="relu")``
==========  ===================================  ==============================================

Contract: the weights come back batch-first, shape ``(fan_in, fan_out)`` = ``(D, M)``, the shape
of ``W`` in ``layers.affine_forward``. PyTorch stores a linear layer's weight transposed,
``(fan_out, fan_in)``; the formulas above use the same fan-in and fan-out, so the distributions
agree. Every function draws from the ``rng`` it is given and from nothing else.
"""

import numbers

import numpy as np

__all__ = ["normal_init", "xavier_init", "he_init", "init_weight", "INIT_SCHEMES"]

INIT_SCHEMES = ("normal", "xavier", "he")
"""The names that ``init_weight`` (and ``layers.MLP``) accept."""


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")


def _check_fan(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def normal_init(shape, rng, std=1.0):
    """Draw an array from ``N(0, std²)``; ``std=1`` is the notes' ``w ~ N(0, 1)`` [E6].

    Parameters
    ----------
    shape : int or tuple of int
        The shape of the result, e.g. ``(D, M)`` for a weight or ``(M,)`` for a bias.
    rng : numpy.random.Generator
        The source of randomness.
    std : float, optional
        The standard deviation, default 1.

    Returns
    -------
    w : ndarray of float64, shape ``shape``

    Raises
    ------
    TypeError
        If ``rng`` is not a Generator or ``shape`` is not made of ints.
    ValueError
        If ``std`` is negative or not finite, or ``shape`` has a negative entry.
    """
    _check_rng(rng)
    dims = (shape,) if isinstance(shape, numbers.Integral) else shape
    if not isinstance(dims, tuple) or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in dims
    ):
        raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}")
    if any(d < 0 for d in dims):
        raise ValueError(f"shape must not have negative entries, got {shape!r}")
    if (
        isinstance(std, bool)
        or not isinstance(std, numbers.Real)
        or not (np.isfinite(std) and std >= 0)
    ):
        raise ValueError(f"std must be a finite number >= 0, got {std!r}")
    return rng.normal(0.0, float(std), size=tuple(int(d) for d in dims))


def xavier_init(fan_in, fan_out, rng):
    """Glorot/Xavier normal initialization, ``std = sqrt(2 / (fan_in + fan_out))`` [E6].

    Parameters
    ----------
    fan_in : int
        Inputs of the layer, ``D``.
    fan_out : int
        Outputs of the layer, ``M``.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    W : ndarray of float64, shape (fan_in, fan_out)

    Notes
    -----
    The formula of ``torch.nn.init.xavier_normal_`` with ``gain=1``. It keeps the variance of the
    activations (forward) and of the gradients (backward) roughly constant from layer to layer for
    units that are close to linear around 0, such as tanh.
    """
    fan_in = _check_fan(fan_in, "fan_in")
    fan_out = _check_fan(fan_out, "fan_out")
    _check_rng(rng)
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def he_init(fan_in, fan_out, rng):
    """He/Kaiming normal initialization for ReLU layers, ``std = sqrt(2 / fan_in)`` [E6].

    Parameters
    ----------
    fan_in : int
        Inputs of the layer, ``D``.
    fan_out : int
        Outputs of the layer, ``M``.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    W : ndarray of float64, shape (fan_in, fan_out)

    Notes
    -----
    The formula of ``torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")``:
    gain ``sqrt(2)`` over ``sqrt(fan_in)``. A ReLU zeroes half of its inputs on average, which
    halves the variance; the factor 2 makes up for it.
    """
    fan_in = _check_fan(fan_in, "fan_in")
    fan_out = _check_fan(fan_out, "fan_out")
    _check_rng(rng)
    std = np.sqrt(2.0 / fan_in)
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def init_weight(init, fan_in, fan_out, rng):
    """Draw a ``(fan_in, fan_out)`` weight matrix by the name of its scheme [E6].

    Parameters
    ----------
    init : {"normal", "xavier", "he"}
        ``"normal"`` is the notes' ``N(0, 1)``; the others as in ``xavier_init`` and ``he_init``.
    fan_in, fan_out : int
        The shape of the result.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    W : ndarray of float64, shape (fan_in, fan_out)

    Raises
    ------
    ValueError
        If ``init`` is not one of ``INIT_SCHEMES``.
    """
    if init == "normal":
        return normal_init((_check_fan(fan_in, "fan_in"), _check_fan(fan_out, "fan_out")), rng)
    if init == "xavier":
        return xavier_init(fan_in, fan_out, rng)
    if init == "he":
        return he_init(fan_in, fan_out, rng)
    raise ValueError(f"init must be one of {INIT_SCHEMES}, got {init!r}")
