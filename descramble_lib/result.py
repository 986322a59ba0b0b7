"""What the descramblers return: :class:`Descrambling` (a solved problem) and
:class:`DescentResult` (one run of an optimiser on the orthogonal group)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Descrambling", "DescentResult"]


@dataclass
class Descrambling:
    """Result of :func:`~descramble_lib.descramble`.

    Attributes
    ----------
    P : ndarray, shape (d, d)
        The descrambler; apply it to the neuron axis (``P @ W``, ``P @ S``).
    loss : float
        ``tr(A P M P^T)`` at ``P`` in the caller's units (``||D P S||_F^2`` for the
        smoothness criterion); ``inf`` if that number overflows float64.
    bound : float
        Exact minimum over O(d) (Lemma 1), in the same units; NaN for general losses.
    gap : float
        ``loss - bound`` (>= 0 up to rounding): certified suboptimality.
    relative_gap : float
        ``gap / bound``, computed on the normalised problem so that it is exact at any
        scale (``gap`` divided by a rounding-level scale when the bound is 0).
    n_iter : int
        Iterations taken (0 for the closed form).
    history : ndarray, shape (n_iter + 1,)
        Loss (caller's units) at the start and after every iteration.
    method : str
        The method that produced ``P`` (see :data:`~descramble_lib.METHODS`).
    converged : bool
        Whether a stopping tolerance was met before ``max_iter``; never True for a
        result with a non-finite ``P`` or loss.
    wall_time_s : float
        Wall-clock time of the solve, in seconds.
    message : str
        Why the run ended.
    """

    P: np.ndarray
    loss: float
    bound: float
    gap: float
    relative_gap: float
    n_iter: int
    history: np.ndarray
    method: str
    converged: bool
    wall_time_s: float
    message: str = field(default="")


@dataclass
class DescentResult:
    """One run of :func:`~descramble_lib.cayley_descent`.

    Attributes
    ----------
    P : ndarray, shape (d, d)
        Last iterate, orthogonal to about 1e-13.
    history : ndarray, shape (n_iter + 1,)
        The cost at the start and after every iteration.
    converged : bool
        Whether the gradient tolerance or the stop criterion ended the run (never when
        the cost became non-finite).
    message : str
        Why the run ended.
    """

    P: np.ndarray
    history: np.ndarray
    converged: bool
    message: str

    @property
    def n_iter(self) -> int:
        """Iterations taken."""
        return len(self.history) - 1
