"""Input checks shared by the numerical modules (private: not part of the public API)."""
import numpy as np


def as_float_array(name, x):
    """Return ``x`` as a float ndarray (ints and bools become float64) or raise naming ``name``."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a real-valued array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    return arr
