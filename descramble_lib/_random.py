"""The library's one randomness convention: ``rng`` is None, an int or a NumPy Generator.

Every public function that draws random numbers takes ``rng`` as NumPy and SciPy do:
``None`` (fresh entropy, not reproducible), a non-negative integer seed, or a
``numpy.random.Generator`` (used and advanced in place). Torch code gets its
``torch.Generator`` from the same argument (:func:`torch_generator`).
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

RandomState = "None | int | numpy.random.Generator"


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``rng`` (None, an int >= 0, or a Generator).

    An int gives ``numpy.random.default_rng(rng)``; a Generator is returned as it is.

    Raises
    ------
    ValueError
        ``rng`` is a bool, a negative or non-integer number, or another object.
    """
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)
    return np.random.default_rng(as_seed(rng, name))


def as_seed(rng, name: str = "rng") -> int:
    """An integer seed in [0, 2**63) from an int, or drawn from a Generator or None."""
    if isinstance(rng, (bool, np.bool_)):
        raise ValueError(f"{name} must be None, an integer >= 0 or a numpy Generator, "
                         f"got {rng!r}")
    if isinstance(rng, numbers.Integral):
        if rng < 0:
            raise ValueError(f"{name} must be >= 0 as an integer seed, got {rng}")
        return int(rng)
    if rng is None or isinstance(rng, np.random.Generator):
        return int(np.random.default_rng(rng).integers(2**63))
    raise ValueError(f"{name} must be None, an integer >= 0 or a numpy Generator, got {rng!r}")


def torch_generator(rng, name: str = "rng") -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from ``rng`` (an int seeds it directly)."""
    return torch.Generator().manual_seed(as_seed(rng, name))
