"""The paper's descrambling strategies on a trained DEERNet, and all measures at once.

:data:`STRATEGIES` holds the keyword arguments of :func:`~descramble_lib.descramble`
for the four strategies of Figure 1 ((a)-(c) plain Cayley descent from ``I``, from
``T`` and rescaled; (d) the closed form) and the book's preconditioned descent.
:func:`descramble_deernet_layer` applies one to a layer, and :func:`explain_deernet`
computes every measure of the reproduction chapters for one network (Fourier bands in
:mod:`.bands`, subspaces in :mod:`.subspaces`, component shapes in :mod:`.components`),
to compare hidden activations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..deer.physics import dipolar_kernel, distance_grid, time_grid
from ..deer.network import DEERNet, TrainedDEERNet, layer_weights, preactivations
from .._threads import limit_threads
from ..descrambling import descramble
from ..result import Descrambling
from .bands import band_norm_lower_bound, band_relative_norm, zero_frequency_contrast
from .components import bandedness, empirical_percentile, random_bandedness, smooth_basis
from .subspaces import kernel_resemblance, singular_subspace

__all__ = ["STRATEGIES", "STRATEGY_LABELS", "ORIGINAL_STRATEGIES", "descramble_deernet_layer",
           "DEERNetExplanation", "explain_deernet"]


#: Keyword arguments of :func:`~descramble_lib.descramble` per strategy: the paper's
#: four (Figure 1) and this book's preconditioned Cayley descent.
STRATEGIES: dict[str, dict] = {
    "a": dict(method="cayley", P0="identity", precondition=False),
    "b": dict(method="cayley", P0="eigenbasis", precondition=False),
    "c": dict(method="cayley", rescale=True, precondition=False),
    "d": dict(method="eig"),
    "preconditioned": dict(method="cayley", precondition=True),
}

#: Short labels of :data:`STRATEGIES` for legends and tables (Markdown/mathtext math).
STRATEGY_LABELS: dict[str, str] = {
    "a": "(a) Cayley descent from $I$",
    "b": "(b) warm start from $T$",
    "c": r"(c) rescaled ($\Omega$, then $T$)",
    "d": r"(d) closed form $TU^\top$",
    "preconditioned": "preconditioned Cayley (this book)",
}

#: Keyword arguments of :func:`~descramble_lib.descramble` for the four strategies of
#: Figure 1 run as the paper's code runs them (:mod:`.original`): (a)-(c) its
#: trust-region Newton–CG in Cayley coordinates (``method="original"``) from ``q = 0``,
#: from the Cayley pre-image of ``T`` and on the reparameterised problem; (d) the closed
#: form. The original's cost matrix is ``D1^T D1`` (first derivative): pass
#: ``A=original_cost_matrix(d)`` or use :func:`~.original.original_descramble`.
ORIGINAL_STRATEGIES: dict[str, dict] = {
    "a": dict(method="original", start="zero"),
    "b": dict(method="original", start="eigenbasis"),
    "c": dict(method="original", rescale=True),
    "d": dict(method="eig"),
}


def descramble_deernet_layer(trained: TrainedDEERNet | DEERNet, X: ArrayLike, layer: int, *,
                             strategy: str = "d") -> Descrambling:
    """Descramble layer 1 or 2 of a DEERNet with one of :data:`STRATEGIES`.

    Parameters
    ----------
    trained : TrainedDEERNet or DEERNet
    X : array_like, shape (n, 256)
        Input signals, one per row; the preactivations ``S = W Z + b 1^T`` come from
        :func:`~descramble_lib.preactivations` (bias included, not centred).
    layer : {1, 2}
    strategy : {"a", "b", "c", "d", "preconditioned"}, keyword-only
        The paper's strategies (a)-(c) (plain Cayley descent, 1000 iterations) and (d)
        (closed form), or the book's preconditioned Cayley descent.

    Returns
    -------
    Descrambling
        ``P`` has shape (80, 80) for layer 1 and (256, 256) for layer 2; apply it as
        ``P @ layer_weights(trained, layer)[0]``.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {tuple(STRATEGIES)}, got {strategy!r}")
    return descramble(preactivations(trained, X, layer), **STRATEGIES[strategy])


@dataclass
class DEERNetExplanation:
    """The key numbers of Figures 1-4 for one network (see :func:`explain_deernet`).

    Attributes
    ----------
    results : dict of str to Descrambling
        Layer-1 descramblers by strategy.
    relative_norm, relative_norm_matlab : dict of str to float
        :func:`band_relative_norm` of ``P W1`` per strategy, symmetric and MATLAB rows.
    notch, origin : float
        :func:`zero_frequency_contrast` of ``P W1`` for the closed form (d).
    band_lower_bound : float
        :func:`band_norm_lower_bound` of ``W1``: the smallest relative norm any ``P``
        can reach.
    fourier_correlation : float
        :func:`magnitude_correlation` of the kernel's ``Sigma_K U_K^T`` (first ``d``
        rows) and the layer's ``Sigma_1 V_1^T`` (Figure 3).
    overlap : float
        :func:`subspace_overlap` of the ``n_subspace`` leading right singular vectors
        of ``W1`` with as many leading left singular vectors of the kernel.
    bandedness : ndarray, shape (len(widths),)
        Of the map between ``n_components`` Chebyshev vectors and as many principal
        components of the layer-2 preactivations (Figure 4).
    random_bandedness : ndarray, shape (n_draws, len(widths))
        The same for random orthonormal vectors.
    percentile : ndarray, shape (len(widths),)
        :func:`empirical_percentile` of ``bandedness`` among ``random_bandedness``.
    """

    results: dict[str, Descrambling]
    relative_norm: dict[str, float]
    relative_norm_matlab: dict[str, float]
    notch: float
    origin: float
    band_lower_bound: float
    fourier_correlation: float
    overlap: float
    bandedness: np.ndarray
    random_bandedness: np.ndarray
    percentile: np.ndarray
    widths: tuple[int, ...] = field(default=(1, 2, 3))


def explain_deernet(trained: TrainedDEERNet | DEERNet, X: ArrayLike, *,
                    strategies: Sequence[str] = ("a", "b", "c", "d"),
                    half_width: int = 10, n_subspace: int = 20, n_components: int = 20,
                    widths: Sequence[int] = (1, 2, 3), n_draws: int = 200,
                    kernel: ArrayLike | None = None,
                    rng: None | int | np.random.Generator) -> DEERNetExplanation:
    """All the numbers of Figures 1-4 for one DEERNet, as computed in "Reproducing the paper".

    Parameters
    ----------
    trained : TrainedDEERNet or DEERNet
    X : array_like, shape (n, 256)
        Signals for the preactivations of both layers.
    strategies : sequence of str, keyword-only
        Layer-1 strategies to run (keys of :data:`STRATEGIES`); must include ``"d"``.
    half_width : int, keyword-only
        Band of the relative norm and of the notch.
    n_subspace : int, keyword-only
        Dimension of the singular subspaces compared for Figure 3.
    n_components : int, keyword-only
        Chebyshev vectors and principal components of Figure 4.
    widths : sequence of int, keyword-only
        Band half-widths of :func:`bandedness`.
    n_draws : int, keyword-only
        Random draws for the null distribution of the bandedness.
    kernel : array_like, shape (256, 256), keyword-only, optional
        Discretised DEER kernel (default: with Delta r weights on the network's grids).
    rng : numpy Generator or int, keyword-only
        For the random draws.

    Returns
    -------
    DEERNetExplanation

    Notes
    -----
    The linear algebra runs on one BLAS thread (:func:`~descramble_lib.limit_threads`),
    which is much faster for these small matrices on a shared machine.
    """
    if "d" not in strategies:
        raise ValueError("strategies must include 'd' (the closed form)")
    with limit_threads(1):
        return _explain_deernet(trained, X, strategies=strategies, half_width=half_width,
                                n_subspace=n_subspace, n_components=n_components,
                                widths=widths, n_draws=n_draws, kernel=kernel, rng=rng)


def _explain_deernet(trained, X, *, strategies, half_width, n_subspace, n_components, widths,
                     n_draws, kernel, rng) -> DEERNetExplanation:
    W1, _ = layer_weights(trained, 1)
    results = {key: descramble_deernet_layer(trained, X, 1, strategy=key) for key in strategies}
    weights = {key: result.P @ W1 for key, result in results.items()}
    notch, origin = zero_frequency_contrast(weights["d"], half_width=half_width)
    if kernel is None:
        kernel = dipolar_kernel(time_grid(), distance_grid(), delta_r_weights=True)
    correlation, overlap = kernel_resemblance(W1, kernel, side="right", n_rows=W1.shape[0],
                                              k=n_subspace)
    S2 = preactivations(trained, X, 2)
    components = singular_subspace(S2, n_components, side="left")
    basis = smooth_basis(S2.shape[0], n_components)
    observed = bandedness(basis.T @ components, widths)
    null = random_bandedness(basis, n_components, widths=widths, n_draws=n_draws, rng=rng)
    percentile = np.array([empirical_percentile(v, null[:, i]) for i, v in enumerate(observed)])
    return DEERNetExplanation(
        results=results,
        relative_norm={k: band_relative_norm(Y, half_width=half_width) for k, Y in weights.items()},
        relative_norm_matlab={k: band_relative_norm(Y, half_width=half_width, rows="matlab")
                              for k, Y in weights.items()},
        notch=notch, origin=origin, band_lower_bound=band_norm_lower_bound(W1, half_width=half_width),
        fourier_correlation=correlation, overlap=overlap,
        bandedness=observed, random_bandedness=null, percentile=percentile,
        widths=tuple(int(k) for k in widths))
