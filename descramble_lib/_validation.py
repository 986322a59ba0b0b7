"""Input checks shared by the public functions.

Each helper returns a float64 copy-free view of a valid array or raises
``ValueError`` with a message that names the argument and what is wrong.
Nothing here repairs the caller's data.
"""

from __future__ import annotations

import numbers

import numpy as np


def _as_real_array(value, name: str) -> np.ndarray:
    """``value`` as a float64 array: torch tensors are detached, complex input is refused."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, grad or not
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":     # numpy has no bfloat16: widen, exactly
            value = value.float()
        value = value.numpy()
    array = np.asarray(value)
    if np.iscomplexobj(array):
        raise ValueError(f"{name} must be real, got a complex array (dtype {array.dtype}); "
                         "pass its real part explicitly if that is what you mean")
    if array.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got objects of dtype object")
    try:
        return np.asarray(array, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a numeric array: {error}") from None


def _as_finite_array(value, name: str, ndim: int) -> np.ndarray:
    """Return ``value`` as a non-empty float64 array with ``ndim`` axes and finite entries."""
    array = _as_real_array(value, name)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if not np.all(np.isfinite(array)):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} non-finite entries (NaN or inf)")
    return array


def as_finite_matrix(value, name: str) -> np.ndarray:
    """Return ``value`` as a 2-D float64 array; raise if it is not finite or not 2-D."""
    return _as_finite_array(value, name, 2)


def as_finite_vector(value, name: str) -> np.ndarray:
    """Return ``value`` as a non-empty 1-D float64 array; raise if it is not finite or not 1-D."""
    return _as_finite_array(value, name, 1)


def as_symmetric_matrix(value, name: str, size: int | None = None,
                        rtol: float = 1e-10) -> np.ndarray:
    """Return a square, symmetric, finite float64 matrix of side ``size``."""
    array = as_finite_matrix(value, name)
    rows, cols = array.shape
    if rows != cols:
        raise ValueError(f"{name} must be square, got shape {array.shape}")
    if size is not None and rows != size:
        raise ValueError(
            f"{name} must be {size}x{size} to match the data, got {rows}x{cols}")
    asymmetry = np.max(np.abs(array - array.T))
    scale = max(np.max(np.abs(array)), np.finfo(float).tiny)
    if asymmetry > rtol * scale:
        raise ValueError(
            f"{name} must be symmetric: max |{name} - {name}^T| = {asymmetry:.3e} "
            f"exceeds {rtol:g} x max|{name}| = {rtol * scale:.3e}")
    return array


def as_orthogonal_matrix(value, name: str, size: int, atol: float = 1e-8) -> np.ndarray:
    """Return a ``size`` x ``size`` float64 matrix with ``Q^T Q = I`` to ``atol``."""
    array = as_finite_matrix(value, name)
    if array.shape != (size, size):
        raise ValueError(f"{name} must have shape ({size}, {size}), got {array.shape}")
    error = np.max(np.abs(array.T @ array - np.eye(size)))
    if error > atol:
        raise ValueError(
            f"{name} is not orthogonal: max |{name}^T {name} - I| = {error:.3e} > {atol:g}")
    return array


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_real(value, name: str, *, minimum: float | None = None, positive: bool = False,
               finite: bool = True) -> float:
    """Return ``value`` as a float if it is a real number (not bool) within the limits.

    NumPy scalars are accepted; ``minimum`` is inclusive, ``positive`` excludes 0.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if finite and not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if np.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}, got {value!r}")
    return value


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a bool if it is True or False (NumPy booleans included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value
