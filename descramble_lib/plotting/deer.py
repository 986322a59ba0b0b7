"""DEER figures: the dipolar kernel, singular values, simulated signals, training curves and
held-out reconstructions and their error distributions."""

from __future__ import annotations
from typing import Mapping, Sequence
from matplotlib.axes import Axes
import numpy as np
from .matrices import _axis, _finish_image

__all__ = ["plot_dipolar_kernel", "plot_singular_values", "plot_deer_examples",
           "plot_training_history", "plot_distribution_estimates", "plot_error_distributions"]


def plot_dipolar_kernel(K: np.ndarray, t: np.ndarray, r: np.ndarray, *, ax: Axes | None = None,
                        title: str = "", colorbar: bool = True) -> Axes:
    """The kernel ``K(t, r)`` as an image: distance across, time down.

    Parameters
    ----------
    K : ndarray, shape (n_t, n_r)
        Kernel values (dimensionless).
    t : ndarray, shape (n_t,)
        Times in us.
    r : ndarray, shape (n_r,)
        Distances in nm.
    """
    ax = _axis(ax)
    image = ax.imshow(K, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", origin="upper",
                      extent=(r[0], r[-1], t[-1], t[0]), interpolation="nearest")
    return _finish_image(ax, image, colorbar=colorbar, title=title,
                         xlabel="distance $r$ (nm)", ylabel=r"time $t$ ($\mu$s)")


def plot_singular_values(spectra: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                         levels: Mapping[str, float] | None = None, title: str = "",
                         ylabel: str = r"singular value $\sigma_i$") -> Axes:
    """Spectra against their index on a log axis (a Picard plot), with reference levels.

    Parameters
    ----------
    spectra : mapping of str to ndarray, shape (k,)
        Labelled non-negative sequences, e.g. singular values ``s_i`` and data
        coefficients ``|u_i^T y|``; each is drawn against ``i = 1..k``.
    levels : mapping of str to float, optional
        Labelled horizontal lines, e.g. a noise level.
    """
    ax = _axis(ax)
    for label, s in spectra.items():
        ax.semilogy(np.arange(1, len(s) + 1), s, ".", markersize=3, label=label)
    for label, level in (levels or {}).items():
        ax.axhline(level, color="k", ls="--", lw=1, label=label)
    ax.set_xlabel("index $i$")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_deer_examples(t: np.ndarray, r: np.ndarray, signals: np.ndarray,
                       distributions: np.ndarray, *, axes: Sequence[Axes],
                       labels: Sequence[str] | None = None) -> Sequence[Axes]:
    """Signals (left) and their distance distributions (right), one colour per example.

    Parameters
    ----------
    t : ndarray, shape (n_t,)
        Times in us.
    r : ndarray, shape (n_r,)
        Distances in nm.
    signals : ndarray, shape (k, n_t)
    distributions : ndarray, shape (k, n_r)
    axes : pair of matplotlib axes
    labels : sequence of str, optional
        One legend entry per example (shown on the right panel).
    """
    ax_signal, ax_distribution = axes
    for i in range(len(signals)):
        line, = ax_signal.plot(t, signals[i], lw=1)
        ax_distribution.plot(r, distributions[i], color=line.get_color(),
                             label=None if labels is None else labels[i])
    ax_signal.set_xlabel(r"time $t$ ($\mu$s)")
    ax_signal.set_ylabel("signal $V(t)$")
    ax_distribution.set_xlabel("distance $r$ (nm)")
    ax_distribution.set_ylabel("$P(r)$ / max $P$")
    if labels is not None:
        ax_distribution.legend(fontsize="x-small")
    return axes


def plot_training_history(history, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Training and validation MSE per epoch (log scale), learning-rate halvings as ticks.

    Parameters
    ----------
    history : object with array attributes ``train_loss``, ``validation_loss``,
        ``learning_rate`` (shape (epochs,)), e.g. ``TrainedDEERNet.history``.
    """
    ax = _axis(ax)
    epochs = np.arange(1, len(history.train_loss) + 1)
    ax.semilogy(epochs, history.train_loss, label="training (mean over epoch)")
    ax.semilogy(epochs, history.validation_loss, label="validation (end of epoch)")
    halvings = epochs[1:][np.diff(history.learning_rate) < 0]
    for epoch in halvings:
        ax.axvline(epoch - 0.5, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_distribution_estimates(r: np.ndarray, truth: np.ndarray,
                                estimates: Mapping[str, np.ndarray], *, axes: Sequence[Axes],
                                titles: Sequence[str] | None = None) -> Sequence[Axes]:
    """True distance distributions (grey fill) against estimates, one example per panel.

    Parameters
    ----------
    r : ndarray, shape (n_r,)
        Distances in nm.
    truth : ndarray, shape (k, n_r)
        True distributions, on the same scale as the estimates.
    estimates : mapping of str to ndarray, shape (k, n_r)
        Labelled estimates (e.g. DEERNet, Tikhonov).
    axes : sequence of k matplotlib axes
    titles : sequence of str, optional
        One title per panel.
    """
    axes = np.ravel(axes)
    for i, ax in enumerate(axes):
        ax.fill_between(r, truth[i], color="0.8", label="truth")
        for label, estimate in estimates.items():
            ax.plot(r, estimate[i], lw=1.2, label=label)
        ax.set_xlabel("$r$ (nm)")
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize="small")
    axes[0].legend(fontsize="x-small")
    return axes


def plot_error_distributions(errors: Mapping[str, np.ndarray], *, ax: Axes | None = None,
                             title: str = "",
                             xlabel: str = "relative error", xmax: float | None = None) -> Axes:
    """Empirical cumulative distributions of per-example errors, one curve per method.

    Parameters
    ----------
    errors : mapping of str to ndarray, shape (n,)
        Labelled per-example errors; the median is given in the legend.
    xmax : float, optional
        Right end of the error axis (default: 1.1 times the largest 99th percentile,
        so a few outliers do not squash the curves).
    """
    ax = _axis(ax)
    for label, e in errors.items():
        e = np.sort(np.asarray(e, dtype=float))
        ax.step(e, np.arange(1, e.size + 1) / e.size, where="post",
                label=f"{label} (median {np.median(e):.2f})")
    if xmax is None:
        xmax = 1.1 * max(float(np.quantile(e, 0.99)) for e in errors.values())
    ax.set_xlim(0, xmax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of test examples")
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower right")
    return ax
