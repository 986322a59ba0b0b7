"""The closing chapter's figure: where the closed form's band-pass comes from."""

from __future__ import annotations

from typing import Mapping

import numpy as np
from matplotlib.axes import Axes

from .matrices import _axis

__all__ = ["plot_band_tails"]


def plot_band_tails(tails: Mapping[str, tuple[np.ndarray, np.ndarray]], *, band_dimension: int,
                    ax: Axes | None = None, floor: float = 1e-4, title: str = "") -> Axes:
    """Weight energy outside the first ``k`` directions, per network, on a log scale.

    Parameters
    ----------
    tails : mapping of label to (principal, singular)
        For each layer two arrays of shape ``(d + 1,)``: the share of ``||W||_F^2``
        outside the ``k`` leading principal directions of its preactivations (drawn
        solid) and outside its own ``k`` leading singular directions (dashed, the same
        colour), e.g. from :func:`~descramble_lib.paper.principal_tail_energy` and
        :func:`~descramble_lib.paper.singular_tail_energy`.
    band_dimension : int
        Number of Fourier modes in the band (``2h - 1``), marked by a dotted line; the
        solid curve's value there, marked by a dot, is the closed form's relative norm.
    floor : float
        Shares below this (the last entries, which reach 0) are drawn at ``floor``.
    """
    ax = _axis(ax)
    for label, (principal, singular) in tails.items():
        k = np.arange(len(principal))
        line, = ax.semilogy(k, np.maximum(principal, floor), label=f"{label}: principal directions of $S$")
        ax.semilogy(k, np.maximum(singular, floor), "--", color=line.get_color(),
                    label=f"{label}: singular directions of $W$ (bound)")
        ax.plot(band_dimension, max(principal[band_dimension], floor), "o", color=line.get_color())
    ax.axvline(band_dimension, color="0.4", ls=":", lw=1)
    ax.set_xlabel("number of directions $k$")
    ax.set_ylabel(r"share of $\|W\|_F^2$ outside them")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
