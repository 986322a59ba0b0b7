"""Does DEERNet's first layer act as a pseudo-inverse? The whole experiment, and its verdict.

:func:`pseudo_inverse_experiment` makes the data ``x = K p + noise``, trains the two learners
(:mod:`~descramble_lib.paper.kernel_learning`) and builds the regularised
pseudo-inverses (:mod:`~descramble_lib.paper.pseudo_inverse`); :func:`pseudo_inverse_verdict`
reduces it to the numbers behind the answer, and the answer ("yes", "partly" or "no"),
chosen by fixed rules from those numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .._random import as_seed
from .._threads import limit_threads
from .._validation import check_positive_int, check_real
from .._version import __version__
from ..theory.signal_recovery import regularised_pseudo_inverse
from .pseudo_inverse import (best_match_overlaps, gcv_alpha, operator_distance, picard_cutoff,
                             principal_readers, random_basis_matches, resolved_modes,
                             same_spectrum_map, tikhonov_map)
from .kernel_learning import (KERNEL_NOISE, KernelData, KernelDEERNet, LinearNetFit,
                              affine_linearisation, first_layer_rank_errors, kernel_data,
                              network_jacobian, train_kernel_deernet, train_kernel_linear_net)
from ..deer.network import layer_weights
from ..deer.regularisation import second_difference_operator
from ..deer.training import _cache_directory
from .subspaces import singular_subspace, subspace_overlap

__all__ = ["PseudoInverseExperiment", "pseudo_inverse_experiment", "effective_rank",
           "PseudoInverseVerdict", "pseudo_inverse_verdict", "verdict_cache_path"]

#: Names of the reference maps of :class:`PseudoInverseExperiment`.
REFERENCES = ("Wiener", "Tikhonov (GCV)", "Tikhonov, second difference (GCV)")
#: First-layer ranks of :meth:`PseudoInverseExperiment.rank_errors`.
RANKS = np.arange(1, 41)


@dataclass
class PseudoInverseExperiment:
    """Everything the verdict is computed from.

    Attributes
    ----------
    data : KernelData
    linear : LinearNetFit
        The two-layer linear network.
    deernet : KernelDEERNet
        The DEERNet architecture.
    references : dict of str to ndarray, shape (256, 256)
        ``"Wiener"``: ``C_p K^T (K C_p K^T + noise^2 I)^{-1}`` with ``C_p`` the second moment
        of the training distributions; ``"Tikhonov (GCV)"`` and ``"Tikhonov, second
        difference (GCV)"``: Tikhonov maps with ``L = I`` and the second difference, at the
        median GCV choice over 200 training signals.
    alphas : dict of str to float
        The two GCV parameters (nm), keyed like the Tikhonov references.
    deernet_slope : ndarray, shape (256, 256)
        Slope of the best affine fit to DEERNet's test outputs.
    deernet_r2 : float
        Share of the variance of DEERNet's test outputs that the affine fit explains.
    deernet_jacobian : ndarray, shape (256, 256)
        DEERNet's Jacobian at the mean training signal.
    wall_time_s : float
    settings : dict
        The arguments of :func:`pseudo_inverse_experiment` (``rng`` None unless an int).
    """

    data: KernelData
    linear: LinearNetFit
    deernet: KernelDEERNet
    references: dict[str, np.ndarray]
    alphas: dict[str, float]
    deernet_slope: np.ndarray
    deernet_r2: float
    deernet_jacobian: np.ndarray
    wall_time_s: float
    settings: dict
    _rank_errors: dict | None = field(default=None, repr=False)

    def centred_test_signals(self) -> np.ndarray:
        """Test signals minus their mean, shape (n_test, 256): the inputs of every distance."""
        X = self.data.test_signals
        return X - X.mean(axis=0)

    def rank_errors(self) -> dict[str, np.ndarray]:
        """Test-error ratios of truncated first layers at ``RANKS`` = 1, ..., 40 (computed once).

        Returns
        -------
        dict of str to ndarray, shape (40,)
            :func:`~descramble_lib.paper.first_layer_rank_errors` of ``"Wiener map"`` (in its
            own right singular directions), ``"linear network"`` and ``"DEERNet"``.
        """
        if self._rank_errors is None:
            X, P = self.data.test_signals, self.data.test_distributions
            learners = {"Wiener map": self.references[REFERENCES[0]],
                        "linear network": self.linear, "DEERNet": self.deernet}
            with limit_threads(1):
                self._rank_errors = {name: first_layer_rank_errors(learner, X, P, RANKS)
                                     for name, learner in learners.items()}
        return self._rank_errors


def pseudo_inverse_experiment(*, n_train: int = 20_000, n_test: int = 2_000,
                              noise: float = KERNEL_NOISE, linear_steps: int = 1500,
                              deernet_epochs: int = 20,
                              rng: None | int | np.random.Generator = 0
                              ) -> PseudoInverseExperiment:
    """Run the experiment: data, both learners, the references and DEERNet's linear maps.

    Parameters
    ----------
    n_train, n_test : int, keyword-only
        Sizes of the simulated sets.
    noise : float, keyword-only
        Noise standard deviation of ``x = K p + noise`` (nm).
    linear_steps : int, keyword-only
        Adam steps of the linear network.
    deernet_epochs : int, keyword-only
        Epochs of DEERNet (learning rate halved every 5).
    rng : None, int or numpy.random.Generator, keyword-only
        One seed for the data and both learners (default 0).

    Returns
    -------
    PseudoInverseExperiment
        About 10 s on one CPU core with the defaults.
    """
    started = time.perf_counter()
    settings = dict(n_train=n_train, n_test=n_test, noise=noise, linear_steps=linear_steps,
                    deernet_epochs=deernet_epochs, rng=rng if isinstance(rng, int) else None)
    seeds = np.random.SeedSequence(as_seed(rng, "rng")).generate_state(3, np.uint64) >> np.uint64(1)
    with limit_threads(1):                  # small products: one BLAS thread is fastest
        data = kernel_data(n_train, n_test, noise=noise, rng=int(seeds[0]))
        linear = train_kernel_linear_net(data, steps=linear_steps, rng=int(seeds[1]))
        deernet = train_kernel_deernet(data, epochs=deernet_epochs, rng=int(seeds[2]))
        probes = data.train_signals[:200]
        second_difference = second_difference_operator(data.K.shape[1])
        alphas = {REFERENCES[1]: gcv_alpha(data.K, probes),
                  REFERENCES[2]: gcv_alpha(data.K, probes, L=second_difference)}
        references = {
            REFERENCES[0]: regularised_pseudo_inverse(data.K, data.second_moment(), noise=noise),
            REFERENCES[1]: tikhonov_map(data.K, alphas[REFERENCES[1]]),
            REFERENCES[2]: tikhonov_map(data.K, alphas[REFERENCES[2]], L=second_difference)}
        slope, r2 = affine_linearisation(data.test_signals, deernet.predict(data.test_signals))
        jacobian = network_jacobian(deernet.model, data.train_signals.mean(axis=0))
    return PseudoInverseExperiment(data=data, linear=linear, deernet=deernet,
                                   references=references, alphas=alphas, deernet_slope=slope,
                                   deernet_r2=r2, deernet_jacobian=jacobian,
                                   wall_time_s=time.perf_counter() - started, settings=settings)


def effective_rank(errors: np.ndarray, ranks: np.ndarray, *, tolerance: float = 0.01) -> int:
    """The smallest rank whose error ratio (:func:`first_layer_rank_errors`) is within tolerance.

    Parameters
    ----------
    errors : ndarray, shape (k,)
        Error ratios (truncated / full) at ``ranks``.
    ranks : ndarray of int, shape (k,), ascending
    tolerance : float, keyword-only
        Allowed relative increase of the error (0.01: one per cent).

    Returns
    -------
    int
        ``min {r : errors(r) <= 1 + tolerance}``; ``ranks[-1] + 1`` if no rank qualifies.
    """
    errors, ranks = np.asarray(errors, dtype=float), np.asarray(ranks)
    if errors.shape != ranks.shape or errors.ndim != 1:
        raise ValueError(f"errors and ranks must be 1-D of one length, got {errors.shape} and "
                         f"{ranks.shape}")
    tolerance = check_real(tolerance, "tolerance", minimum=0.0)
    within = np.flatnonzero(errors <= 1.0 + tolerance)
    return int(ranks[within[0]]) if within.size else int(ranks[-1]) + 1


@dataclass(frozen=True)
class PseudoInverseVerdict:
    """The numbers behind the answer, and the answer.

    Distances are :func:`~descramble_lib.paper.operator_distance` on the centred test signals
    (the relative root-mean-square difference of two maps' responses to the signals'
    fluctuations); ``k = picard_cutoff`` directions are compared in subspaces and bases.

    Attributes
    ----------
    picard_cutoff : int
        Noise cutoff of the simulator's prior at the experiment's noise level.
    resolved_wiener, resolved_linear, resolved_deernet : int
        Filter factors >= 1/2 of the Wiener map, of ``W2 W1`` and of DEERNet's affine slope.
    rank_wiener, rank_linear, rank_deernet : int
        First-layer directions needed for a test error within 1 % of the full network's
        (:func:`effective_rank`); for the Wiener map, its own right singular directions.
    spread : float
        Distance between the Tikhonov maps at twice and at once the GCV parameter: how far
        apart two reasonable pseudo-inverses are.
    random_distance : float
        Distance of a random map with the Wiener map's singular values from it.
    linear_to_wiener, linear_to_optimum : float
        Distance of ``W2 W1`` from the Wiener map, and from its own global minimum.
    deernet_to_wiener, jacobian_to_wiener : float
        Distance of DEERNet's affine slope, and of its Jacobian at the mean signal, from
        the Wiener map.
    deernet_r2 : float
        Share of DEERNet's output variance its affine fit explains.
    deernet_error_ratio : float
        DEERNet's test MSE over the Wiener map's.
    kernel_share_linear, kernel_share_deernet : float
        :func:`~descramble_lib.paper.subspace_overlap` of the first layer's leading ``k`` right
        singular vectors with the kernel's leading ``k`` left singular vectors.
    data_share_deernet : float
        The same for DEERNet against the leading ``k`` principal directions of the signals.
    chance_share : float
        ``k / 256``, the share of a random ``k``-dimensional subspace.
    reader_match, reader_null, reader_ideal : float
        Mean best-match squared cosine of the first ``k`` principal readers of DEERNet's
        first layer with the kernel's left singular vectors; the 95th percentile of the
        same for random bases of their span; and the score of an ideal reading layer,
        ``U_K^T`` itself (80 rows), descrambled the same way.
    verdict : str
        ``"yes"``, ``"partly"`` or ``"no"``.
    sentence : str
        The answer in one sentence, with the parts that hold and the parts that fail.

    Notes
    -----
    The rules, fixed before looking at a network: DEERNet's map *agrees* if
    ``deernet_to_wiener < spread``; its first layer *reads the kernel's subspace* if
    ``kernel_share_deernet >= 0.5`` (more than half of the ``k``-dimensional subspace);
    descrambling *recovers the basis* if ``reader_match >= 0.8`` (each reader within about
    27 degrees of one kernel vector on average) and ``reader_match > reader_null``. "yes"
    needs all three, "no" neither of the first two, anything else is "partly".
    """

    picard_cutoff: int
    resolved_wiener: int
    resolved_linear: int
    resolved_deernet: int
    rank_wiener: int
    rank_linear: int
    rank_deernet: int
    spread: float
    random_distance: float
    linear_to_wiener: float
    linear_to_optimum: float
    deernet_to_wiener: float
    jacobian_to_wiener: float
    deernet_r2: float
    deernet_error_ratio: float
    kernel_share_linear: float
    kernel_share_deernet: float
    data_share_deernet: float
    chance_share: float
    reader_match: float
    reader_null: float
    reader_ideal: float
    verdict: str
    sentence: str

    @property
    def map_agrees(self) -> bool:
        return self.deernet_to_wiener < self.spread

    @property
    def reads_kernel_subspace(self) -> bool:
        return self.kernel_share_deernet >= 0.5

    @property
    def recovers_basis(self) -> bool:
        return self.reader_match >= 0.8 and self.reader_match > self.reader_null


#: The settings of :func:`pseudo_inverse_experiment` whose verdict is cached.
_DEFAULT_SETTINGS = dict(n_train=20_000, n_test=2_000, noise=KERNEL_NOISE, linear_steps=1500,
                         deernet_epochs=20, rng=0)


def _experiment_code_digest() -> str:
    """SHA-256 of the modules that compute the verdict: an edit to them is a new cache key, so a
    development checkout never reads a verdict its current code would not give."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in (here / "pseudo_inverse.py", here / "kernel_learning.py",
                 here / "pseudo_inverse_verdict.py", here / "subspaces.py",
                 here.parent / "deer" / "physics.py", here.parent / "deer" / "network.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def verdict_cache_path(n_draws: int = 200) -> Path:
    """File that holds the verdict of the default experiment (see :func:`pseudo_inverse_verdict`).

    In the folder of :func:`~descramble_lib.deer.deernet_cache_path`; the name carries a hash of
    the default settings, ``n_draws``, the library, torch and numpy versions and the source of
    the modules that compute it.
    """
    payload = {"settings": _DEFAULT_SETTINGS, "n_draws": check_positive_int(n_draws, "n_draws"),
               "library": __version__, "torch": str(torch.__version__), "numpy": np.__version__,
               "code": _experiment_code_digest()}
    key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
    return _cache_directory() / f"pseudo-inverse-verdict-{key}.json"


def pseudo_inverse_verdict(experiment: PseudoInverseExperiment | None = None, *,
                           n_draws: int = 200, cache: bool = True) -> PseudoInverseVerdict:
    """The verdict numbers of an experiment (of the default one if not given).

    Parameters
    ----------
    experiment : PseudoInverseExperiment, optional
        Default: the verdict of :func:`pseudo_inverse_experiment` ``()``, read from
        :func:`verdict_cache_path` if the file is there (milliseconds), else computed (about
        10 s on one core) and written there.
    n_draws : int, keyword-only
        Random bases of the null model of the readers.
    cache : bool, keyword-only
        Read and write the cached verdict of the default experiment. A default experiment
        passed in is always recomputed, and refreshes the file.

    Returns
    -------
    PseudoInverseVerdict
    """
    n_draws = check_positive_int(n_draws, "n_draws")
    path = verdict_cache_path(n_draws) if cache else None
    if experiment is None:
        cached = _read_verdict(path) if path is not None else None
        if cached is not None:
            return cached
        experiment = pseudo_inverse_experiment()
    if not isinstance(experiment, PseudoInverseExperiment):
        raise ValueError(f"experiment must be a PseudoInverseExperiment, got "
                         f"{type(experiment).__name__}")
    with limit_threads(1):
        verdict = _verdict(experiment, n_draws)
    if path is not None and experiment.settings == _DEFAULT_SETTINGS:
        _write_verdict(verdict, path)
    return verdict


def _read_verdict(path: Path) -> PseudoInverseVerdict | None:
    """The cached verdict, or None if absent or unusable (a warning says why)."""
    if not path.is_file():
        return None
    try:
        return PseudoInverseVerdict(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as error:
        warnings.warn(f"ignoring unusable cached verdict {path}: {error!r}", stacklevel=3)
        return None


def _write_verdict(verdict: PseudoInverseVerdict, path: Path) -> None:
    """Write the verdict atomically; a cache folder that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(dataclasses.asdict(verdict), stream, indent=1)
        os.replace(temporary, path)
    except OSError as error:
        warnings.warn(f"could not write the verdict cache {path} ({error})", stacklevel=3)


def _verdict(e: PseudoInverseExperiment, n_draws: int) -> PseudoInverseVerdict:
    data, K = e.data, e.data.K
    Xc, X, P = e.centred_test_signals(), data.test_signals, data.test_distributions
    wiener, tikhonov = e.references["Wiener"], e.references["Tikhonov (GCV)"]
    k = picard_cutoff(K, data.second_moment(), noise=data.noise)
    U_K = np.linalg.svd(K)[0]
    W1, b1 = layer_weights(e.deernet.model, 1)
    rank_errors = e.rank_errors()
    readers = principal_readers(W1, W1 @ X.T + b1[:, None])[:k]
    ideal = principal_readers(U_K[:, :80].T, U_K[:, :80].T @ X.T)[:k]
    signal_directions = np.linalg.eigh(data.train_signals.T @ data.train_signals)[1][:, ::-1][:, :k]
    deernet_error = np.mean((e.deernet.predict(X) - P) ** 2)
    numbers = dict(
        picard_cutoff=k, resolved_wiener=resolved_modes(wiener, K),
        resolved_linear=resolved_modes(e.linear.product, K),
        resolved_deernet=resolved_modes(e.deernet_slope, K),
        rank_wiener=effective_rank(rank_errors["Wiener map"], RANKS),
        rank_linear=effective_rank(rank_errors["linear network"], RANKS),
        rank_deernet=effective_rank(rank_errors["DEERNet"], RANKS),
        spread=operator_distance(tikhonov_map(K, 2 * e.alphas["Tikhonov (GCV)"]), tikhonov,
                                 inputs=Xc),
        random_distance=operator_distance(same_spectrum_map(wiener, rng=0), wiener, inputs=Xc),
        linear_to_wiener=operator_distance(e.linear.product, wiener, inputs=Xc),
        linear_to_optimum=operator_distance(e.linear.product, e.linear.optimum, inputs=Xc),
        deernet_to_wiener=operator_distance(e.deernet_slope, wiener, inputs=Xc),
        jacobian_to_wiener=operator_distance(e.deernet_jacobian, wiener, inputs=Xc),
        deernet_r2=e.deernet_r2,
        deernet_error_ratio=float(deernet_error / np.mean((X @ wiener.T - P) ** 2)),
        kernel_share_linear=subspace_overlap(singular_subspace(e.linear.W1, k, side="right"),
                                             U_K[:, :k]),
        kernel_share_deernet=subspace_overlap(singular_subspace(W1, k, side="right"), U_K[:, :k]),
        data_share_deernet=subspace_overlap(singular_subspace(W1, k, side="right"),
                                            signal_directions),
        chance_share=k / K.shape[0],
        reader_match=float(np.mean(best_match_overlaps(readers, U_K[:, :80]))),
        reader_null=float(np.quantile(random_basis_matches(readers, U_K[:, :80],
                                                           n_draws=n_draws, rng=1), 0.95)),
        reader_ideal=float(np.mean(best_match_overlaps(ideal, U_K[:, :80]))))
    verdict, sentence = _answer(numbers)
    return PseudoInverseVerdict(**numbers, verdict=verdict, sentence=sentence)


def _answer(n: dict) -> tuple[str, str]:
    """The verdict and its sentence from the numbers (rules: :class:`PseudoInverseVerdict`)."""
    k = n["picard_cutoff"]
    parts = [  # (holds, what is true if it holds, what is true if it fails)
        (n["deernet_to_wiener"] < n["spread"],
         "DEERNet's best linear fit is closer to the Wiener pseudo-inverse than two Tikhonov "
         "inverses a factor of two apart in the regularisation parameter are to each other",
         "DEERNet's best linear fit is further from the Wiener pseudo-inverse than a factor "
         "of two in the regularisation parameter moves a Tikhonov inverse"),
        (n["kernel_share_deernet"] >= 0.5,
         f"its first layer reads mostly the kernel's leading {k} left singular directions, "
         f"the modes above the noise",
         f"its first layer does not read mostly the kernel's leading {k} left singular "
         f"directions"),
        (n["reader_match"] >= 0.8 and n["reader_match"] > n["reader_null"],
         "descrambling the first layer returns the kernel's singular vectors one by one",
         "descrambling the first layer does not return the kernel's singular vectors one by "
         "one")]
    holds = [part[0] for part in parts]
    verdict = "yes" if all(holds) else "no" if not (holds[0] or holds[1]) else "partly"
    true = [part[1] if part[0] else part[2] for part in parts]
    return verdict, f"{verdict.capitalize()}: " + "; ".join(true[:-1]) + (
        "; but " if holds[-1] != holds[0] else "; and ") + true[-1] + "."
