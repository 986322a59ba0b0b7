"""Invertible networks: additive coupling blocks, exact decision boundaries and explanations.

An invertible network followed by a linear classifier is a two-stage model: a bijection
``T : R^2 -> R^2`` (the *features*) and a linear map of the features to two logits.
The classifier's decision boundary in feature space is a straight line, so the boundary in
input space is exactly ``T^{-1}`` of that line, and every input ``x`` has a projection
``x_p = T^{-1}(z_p)`` onto the boundary, where ``z_p`` is the orthogonal projection of
``z = T(x)`` onto the line (Zhuang et al. 2019, arXiv:1910.00406).

Dtype policy: a network's dtype is the dtype of its parameters (``float32`` or ``float64``);
every input must have that dtype, anything else raises ``ValueError``. No input is ever
cast. The analysis functions accept a NumPy array or a torch tensor and return the same
kind of object they were given.
"""

from __future__ import annotations


import numpy as np
import torch
from torch import nn

from .._random import torch_generator
from .._validation import check_bool, check_positive_int

__all__ = ["AdditiveCoupling", "InvertibleNet"]


_FLOAT_DTYPES = (torch.float32, torch.float64)


def _as_generator(rng) -> torch.Generator:
    """A CPU ``torch.Generator``: ``rng`` itself if it is one, else one seeded from ``rng``.

    ``rng`` is None, an int >= 0 (seeds the generator directly) or a NumPy Generator
    (draws the seed), as :func:`descramble_lib._random.torch_generator` takes; a
    ``torch.Generator`` is used and advanced in place, so several blocks can share one.
    """
    if isinstance(rng, torch.Generator):
        return rng
    return torch_generator(rng, "rng")


def _check_dtype(dtype: torch.dtype) -> torch.dtype:
    if dtype not in _FLOAT_DTYPES:
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def _linear(n_in: int, n_out: int, dtype: torch.dtype, generator: torch.Generator) -> nn.Linear:
    """``nn.Linear`` with PyTorch's default uniform init, drawn from ``generator`` only.

    ``skip_init`` builds the layer without touching the global random state; weights and
    biases are then drawn from ``U(-1/sqrt(n_in), 1/sqrt(n_in))`` as ``nn.Linear`` does.
    """
    layer = torch.nn.utils.skip_init(nn.Linear, n_in, n_out, dtype=dtype)
    bound = 1.0 / np.sqrt(n_in)
    with torch.no_grad():
        nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return layer


def _check_points(x: torch.Tensor, dtype: torch.dtype, name: str = "x") -> torch.Tensor:
    """Raise ``ValueError`` unless ``x`` is a finite ``(n, 2)`` tensor of ``dtype``, n >= 1."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, 2) with n >= 1, got {tuple(x.shape)}")
    if x.is_complex():
        raise ValueError(f"{name} must be real, got a complex tensor (dtype {x.dtype})")
    if x.dtype != dtype:
        raise ValueError(
            f"{name} has dtype {x.dtype} but the network's parameters are {dtype}; "
            f"convert one of them explicitly (no silent casts)")
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} contains {bad} non-finite entries (NaN or inf)")
    return x


def _as_points(x, dtype: torch.dtype, name: str = "x") -> tuple[torch.Tensor, bool]:
    """Checked tensor view of ``x`` (array or tensor) and whether ``x`` was a NumPy array."""
    if isinstance(x, torch.Tensor):
        return _check_points(x, dtype, name), False
    array = np.asarray(x)
    if array.dtype.kind == "c":
        raise ValueError(f"{name} must be real, got a complex array (dtype {array.dtype})")
    if array.dtype.kind != "f":
        raise ValueError(f"{name} must hold floating-point numbers, got dtype {array.dtype}")
    return _check_points(torch.from_numpy(np.ascontiguousarray(array)), dtype, name), True


def _like(tensor: torch.Tensor, as_numpy: bool):
    """Return ``tensor`` detached, as a NumPy array if the input was one."""
    tensor = tensor.detach()
    return tensor.numpy() if as_numpy else tensor


class AdditiveCoupling(nn.Module):
    """Additive coupling block on two scalars, with its exact inverse.

    ``y1 = x1 + F(x2)``, ``y2 = x2 + G(y1)``; inverse ``x2 = y2 - G(y1)``,
    ``x1 = y1 - F(x2)``. ``F`` and ``G`` are Linear(1 -> hidden) - ReLU -
    Linear(hidden -> 1), followed by a ReLU when ``final_relu`` is true.

    Parameters
    ----------
    hidden : int, keyword-only
        Width of the hidden layer of ``F`` and ``G`` (4 in the reference recipe).
    final_relu : bool, keyword-only
        Apply a ReLU to the outputs of ``F`` and ``G`` (the variant of SPEC §4), or not
        (the default, used in the book).
    dtype : torch.dtype, keyword-only
        ``torch.float32`` or ``torch.float64``; inputs must match it.
    rng : None, int, numpy.random.Generator or torch.Generator, keyword-only
        Source of the initial weights (PyTorch's default uniform init): an int seeds a
        private ``torch.Generator``, a NumPy Generator or None supplies that seed, and a
        ``torch.Generator`` is drawn from directly (advanced in place). Default 0.

    Notes
    -----
    The Jacobian is a product of two shears with unit diagonal, so ``det = 1``
    (log-determinant 0) whatever ``F`` and ``G`` are.
    """

    def __init__(self, *, hidden: int = 4, final_relu: bool = False,
                 dtype: torch.dtype = torch.float32,
                 rng: None | int | np.random.Generator | torch.Generator = 0):
        super().__init__()
        dtype = _check_dtype(dtype)
        hidden = check_positive_int(hidden, "hidden")
        self.final_relu = check_bool(final_relu, "final_relu")
        generator = _as_generator(rng)
        self.F = self._subnet(hidden, dtype, generator)
        self.G = self._subnet(hidden, dtype, generator)

    def _subnet(self, hidden, dtype, generator) -> nn.Sequential:
        layers = [_linear(1, hidden, dtype, generator), nn.ReLU(),
                  _linear(hidden, 1, dtype, generator)]
        if self.final_relu:
            layers.append(nn.ReLU())
        return nn.Sequential(*layers)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters, which inputs must share."""
        return next(self.parameters()).dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` of shape ``(n, 2)`` to ``y`` of shape ``(n, 2)``."""
        x = _check_points(x, self.dtype)
        x1, x2 = x[:, :1], x[:, 1:]
        y1 = x1 + self.F(x2)
        y2 = x2 + self.G(y1)
        return torch.cat([y1, y2], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Exact inverse: map ``y`` of shape ``(n, 2)`` back to ``x``."""
        y = _check_points(y, self.dtype, "y")
        y1, y2 = y[:, :1], y[:, 1:]
        x2 = y2 - self.G(y1)
        x1 = y1 - self.F(x2)
        return torch.cat([x1, x2], dim=1)


class InvertibleNet(nn.Module):
    """Invertible feature map ``T`` (a stack of additive couplings) and a linear classifier.

    Parameters
    ----------
    n_blocks : int, keyword-only
        Number of :class:`AdditiveCoupling` blocks (6 in the reference recipe).
    hidden, final_relu, dtype :
        Passed to every block; see :class:`AdditiveCoupling`.
    rng : None, int, numpy.random.Generator or torch.Generator, keyword-only
        Source of all initial weights (as in :class:`AdditiveCoupling`): one
        ``torch.Generator`` that the blocks draw from first, then the classifier.

    Attributes
    ----------
    blocks : nn.ModuleList of AdditiveCoupling
    classifier : nn.Linear(2 -> 2)
        Logits ``W z + b`` of the features ``z = T(x)``.
    """

    def __init__(self, *, n_blocks: int = 6, hidden: int = 4, final_relu: bool = False,
                 dtype: torch.dtype = torch.float32,
                 rng: None | int | np.random.Generator | torch.Generator = 0):
        super().__init__()
        n_blocks = check_positive_int(n_blocks, "n_blocks")
        generator = _as_generator(rng)
        self.blocks = nn.ModuleList(
            AdditiveCoupling(hidden=hidden, final_relu=final_relu, dtype=dtype, rng=generator)
            for _ in range(n_blocks))
        self.classifier = _linear(2, 2, _check_dtype(dtype), generator)

    @property
    def dtype(self) -> torch.dtype:
        """The dtype of the parameters, which inputs must share."""
        return next(self.parameters()).dtype

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The invertible map ``z = T(x)``; ``x`` and ``z`` have shape ``(n, 2)``."""
        z = _check_points(x, self.dtype)
        for block in self.blocks:
            z = block(z)
        return z

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """The inverse map ``x = T^{-1}(z)``, blocks undone in reverse order."""
        x = _check_points(z, self.dtype, "z")
        for block in reversed(self.blocks):
            x = block.inverse(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``W T(x) + b``, shape ``(n, 2)``."""
        return self.classifier(self.features(x))


