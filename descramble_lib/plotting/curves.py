"""Curves: relative gaps of descents, convergence rates, stacked curves, mode strengths of
linear networks and neuron-axis spectra."""

from __future__ import annotations
from typing import Mapping, Sequence
from matplotlib.axes import Axes
import numpy as np
from .matrices import _axis

__all__ = ["plot_relative_gap", "plot_rate", "plot_curves", "plot_mode_strengths",
           "plot_neuron_axis_spectrum"]


def plot_relative_gap(histories: Mapping[str, Sequence[float]], bound: float, *,
                      ax: Axes | None = None,
                      floor: float = 1e-16) -> Axes:
    """Plot ``(loss - bound) / bound`` against iteration on a log scale.

    Parameters
    ----------
    histories : mapping of label to sequence of float
        Loss per iteration, e.g. ``{"(a)": result.history}``.
    bound : float
        The exact minimum (Lemma 1), > 0.
    floor : float
        Gaps below this (rounding noise, or negative) are drawn at ``floor``.
    """
    ax = _axis(ax)
    for label, history in histories.items():
        gap = (np.asarray(history) - bound) / bound
        ax.semilogy(np.maximum(gap, floor), label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative gap to the bound")
    ax.legend()
    return ax


def plot_rate(n: np.ndarray, values: np.ndarray, *, rate: float | None = -0.5,
              ax: Axes | None = None,
              label: str = "", reference_label: str | None = None,
              color: str = "tab:blue") -> Axes:
    """Log-log plot of repeated measurements against sample size, with a reference slope.

    Parameters
    ----------
    n : ndarray, shape (k,)
        Sample sizes.
    values : ndarray, shape (k, repeats)
        Measurements (> 0) at each size; the median is drawn as a line and the
        10-90 % range as a band.
    rate : float or None
        Exponent of the reference line ``c n^rate``, drawn through the median at
        the largest ``n``; ``None`` draws no reference line.
    """
    ax = _axis(ax)
    n, values = np.asarray(n, dtype=float), np.asarray(values, dtype=float)
    median = np.median(values, axis=1)
    low, high = np.quantile(values, [0.1, 0.9], axis=1)
    ax.fill_between(n, low, high, color=color, alpha=0.2, linewidth=0)
    ax.loglog(n, median, "o-", color=color, label=label or "median")
    if rate is not None:
        ax.loglog(n, median[-1] * (n / n[-1]) ** rate, "k--", lw=1,
                  label=reference_label or rf"$\propto n^{{{rate:g}}}$")
    ax.set_xlabel("number of samples $n$")
    ax.legend()
    return ax


def plot_curves(x: np.ndarray, curves: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                xlabel: str = "",
                ylabel: str = "", title: str = "", logy: bool = False, style: str = "-",
                styles: Mapping[str, dict] | None = None) -> Axes:
    """Several labelled curves ``{label: y}`` against one ``x`` (all shape ``(k,)``).

    ``style`` is a matplotlib format string for every curve; ``styles`` maps some
    labels to keyword arguments of ``ax.plot`` (e.g. ``{"data": {"color": "0.6"}}``).
    """
    ax = _axis(ax)
    styles = styles or {}
    for label, y in curves.items():
        fmt = () if label in styles else (style,)
        (ax.semilogy if logy else ax.plot)(x, y, *fmt, label=label, **styles.get(label, {}))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(curves) > 1:
        ax.legend(fontsize="small")
    return ax


def plot_mode_strengths(t: np.ndarray, measured: np.ndarray, predicted: np.ndarray | None = None,
                        *, ax: Axes | None = None, markers: Sequence[float] = (), title: str = "",
                        xlabel: str = "gradient steps $t$") -> Axes:
    """Mode strengths over training: measured (solid) and predicted (dashed black).

    Parameters
    ----------
    t : ndarray, shape (k,)
        Times of the records.
    measured : ndarray, shape (k, modes)
        Measured strengths ``a_i(t)``.
    predicted : ndarray, shape (k, modes), optional
        Analytic strengths at the same times.
    markers : sequence of float
        Times marked with dotted vertical lines (e.g. snapshots).
    """
    ax = _axis(ax)
    handles = [ax.plot(t, measured, lw=2)[0]]
    names = ["trained network"]
    if predicted is not None:
        handles.append(ax.plot(t, predicted, "k--", lw=1)[0])
        names.append("SMG theory")
    for time_ in markers:
        ax.axvline(time_, color="0.5", ls=":", lw=1)
    ax.legend(handles, names, fontsize="small", loc="best")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mode strength $a_i$")
    ax.set_title(title)
    return ax


def plot_neuron_axis_spectrum(spectra: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
                              ax: Axes | None = None, title: str = "") -> Axes:
    """Energy share per neuron-axis wavenumber, one curve per matrix.

    Parameters
    ----------
    spectra : mapping of label to (k, share)
        E.g. ``{"W": neuron_axis_spectrum(W), "P W": neuron_axis_spectrum(P @ W)}``, with
        ``k`` of shape ``(K,)`` and ``share`` of shape ``(K,)`` summing to 1.
    """
    ax = _axis(ax)
    for label, (k, share) in spectra.items():
        ax.plot(k, share, "o-", ms=3, label=label)
    ax.set_xlabel("wavenumber $k$ along the neuron axis")
    ax.set_ylabel("share of $\\|\\cdot\\|_F^2$")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
