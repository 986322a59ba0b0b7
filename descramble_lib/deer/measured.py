"""Measured DEER traces: reading them, putting them on DEERNet's grid, and comparing answers.

DEERNet reads 256 samples on ``[0, 2] us`` (:func:`~.physics.time_grid`); a measured trace
has its own length and sampling. The dipolar kernel depends on ``t`` and ``r`` only through
``t / r^3``, so ``K(t, r) = K(c^3 t, c r)`` for every ``c > 0``: a trace recorded on
``[0, t_max]`` is exactly the trace, on ``[0, 2] us``, of the distances ``r / c`` with

    c = (t_max / 2 us)^(1/3)          (:func:`distance_scale`),

and a distance ``r_net`` that the network reports is ``c r_net`` in the measurement. The
background scales with the clock: ``exp(-k t) = exp(-(k c^3) (t / c^3))``, so its decay
rate on the network's clock is ``k c^3``. This module has

* :func:`load_deer_trace` (BES3T ``.DTA`` + ``.DSC`` through ``deerlab.deerload``, with clear
  errors) and :func:`process_trace` (phasing, scaling, time shift of DeerLab's examples);
* the scale maps (:func:`distance_scale` and the ``to_network_*``/``from_network_*``
  functions) and :func:`map_to_network_grid`;
* :func:`fit_deerlab`, DeerLab's non-parametric fit with a background (the reference), and
  :func:`background_corrected_form_factor`, :func:`fit_depth_and_decay` between traces and
  distributions;
* metrics, one function each: :func:`modal_distance_nm`, :func:`mean_distance_nm`,
  :func:`distance_spread_nm`, :func:`distribution_overlap`, :func:`subspace_energy_share`.

DeerLab (``deerlab``) is imported inside the functions that need it (it takes about a
second); its known import-time noise (pyparsing deprecation warnings) is silenced there,
every other warning passes through.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
import scipy.optimize

from .._threads import limit_threads
from .._validation import as_finite_matrix, as_finite_vector, check_positive_int, check_real
from .physics import N_POINTS, TIME_MAX_US, distance_grid, time_grid, trapezoid_weights

__all__ = ["DeerLabSettings", "DEERLAB_EXAMPLES", "MeasuredTrace", "ProcessedTrace",
           "load_deer_trace", "process_trace", "distance_scale", "to_network_times_us",
           "to_network_distances_nm", "from_network_distances_nm",
           "to_network_decay_rate_per_us", "MappedTrace", "map_to_network_grid", "DeerLabFit",
           "fit_deerlab", "background_corrected_form_factor", "DepthAndDecay",
           "fit_depth_and_decay", "modal_distance_nm", "mean_distance_nm",
           "distance_spread_nm", "distribution_overlap", "subspace_energy_share"]


@dataclass(frozen=True)
class DeerLabSettings:
    """Processing parameters of one trace, as DeerLab's own examples use them.

    Attributes
    ----------
    tau1_us, tau2_us : float
        Inter-pulse delays of the 4-pulse sequence (``deerlab.ex_4pdeer(tau1, tau2)``); the
        dipolar pathway refocuses at ``t = tau1_us`` on the shifted axis.
    start_time_us : float
        ``tmin``: the time given to the first sample (``t <- t - t[0] + tmin``).
    distance_range_nm : tuple of float
        The distance range of DeerLab's example for this trace (``[r_min, r_max)``).
    """

    tau1_us: float
    tau2_us: float
    start_time_us: float
    distance_range_nm: tuple[float, float]


#: The five traces shipped in ``data/deer/`` (from DeerLab's ``examples/data``) and the
#: parameters of DeerLab's examples for them (``data/deer/README.md``).
DEERLAB_EXAMPLES: dict[str, DeerLabSettings] = {
    "example_4pdeer_1": DeerLabSettings(0.3, 4.0, 0.1, (2.5, 5.0)),
    "example_4pdeer_2": DeerLabSettings(0.5, 3.5, 0.1, (2.0, 5.5)),
    "example_4pdeer_3": DeerLabSettings(0.3, 2.0, 0.1, (1.5, 7.0)),
    "example_4pdeer_4": DeerLabSettings(0.5, 4.0, 0.3, (1.5, 7.0)),
    "experimental_mbp_protein_4pdeer": DeerLabSettings(0.4, 3.0, 0.040, (3.0, 4.5)),
}


@contextlib.contextmanager
def _quiet_deerlab():
    """Import DeerLab with its pyparsing deprecation warnings (docstring formatting) silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".* deprecated - use .*", module="deerlab")
        import deerlab
        yield deerlab


# --------------------------------------------------------------------------- loading

@dataclass(frozen=True)
class MeasuredTrace:
    """A trace as stored: ``name``, ``time_us`` (n,) increasing, ``signal`` (n,) complex (raw)."""

    name: str
    time_us: np.ndarray
    signal: np.ndarray


def _companion(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix.upper()), path.with_suffix(suffix.lower())):
        if candidate.is_file():
            return candidate
    return None


def load_deer_trace(path, *, min_points: int = N_POINTS) -> MeasuredTrace:
    """Read a 1-D Bruker BES3T DEER trace with ``deerlab.deerload``.

    ``path``: the ``.DTA`` file, its ``.DSC`` or the common stem; both files must exist.
    ``min_points``: fewest samples accepted (default 256, DEERNet's input width: with fewer
    measured samples than inputs the network would read mostly interpolated values).
    Returns the time axis in us (DeerLab converts the file's ns) and the raw complex signal.

    Raises ``ValueError``, naming the file and the problem, for: no ``.DTA``; no ``.DSC``
    beside it; a time unit other than ns; not a 1-D trace; a data length different from the
    declared number of points; fewer than ``min_points`` samples; a time axis that is not
    strictly increasing; a non-finite sample.
    """
    path = Path(path)
    min_points = check_positive_int(min_points, "min_points", minimum=2)
    stem = path.with_suffix("") if path.suffix.upper() in (".DTA", ".DSC") else path
    data = _companion(stem, ".DTA")
    if data is None:
        raise ValueError(f"no BES3T data file {stem.name}.DTA in {stem.parent}")
    descriptor = _companion(stem, ".DSC")
    if descriptor is None:
        raise ValueError(f"missing .DSC: the BES3T data file {data} has no descriptor file "
                         f"{stem.name}.DSC beside it (it holds the number of points and the "
                         f"time axis)")
    with _quiet_deerlab() as deerlab, warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")          # deerload's notes: re-issued if the file passes
        try:
            time_axis, signal, parameters = deerlab.deerload(str(data), full_output=True)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise ValueError(f"cannot read {data}: {error}") from None
    unit = str(parameters.get("DESC", {}).get("XUNI", "'ns'")).strip("'\" ")
    if unit.lower() != "ns":
        raise ValueError(f"{data}: time unit XUNI = {unit!r}; deerload assumes ns")
    time_axis, signal = np.asarray(time_axis, dtype=float), np.asarray(signal)
    time_axis = _restore_signs(descriptor, parameters, time_axis)
    if time_axis.ndim != 1 or signal.ndim != 1:
        raise ValueError(f"{data} is not a 1-D trace (time axis {time_axis.shape}, "
                         f"data {signal.shape})")
    if signal.size != time_axis.size:
        raise ValueError(f"{data} holds {signal.size} samples but its .DSC declares "
                         f"{time_axis.size} (XPTS)")
    if signal.size < min_points:
        raise ValueError(f"trace too short: {data} has {signal.size} samples, fewer than the "
                         f"{min_points} the network needs")
    steps = np.diff(time_axis)
    if not np.all(np.isfinite(time_axis)) or np.any(steps <= 0):
        bad = int(np.argmax(~(steps > 0)))
        raise ValueError(f"time axis not increasing in {data}: t[{bad + 1}] = "
                         f"{time_axis[bad + 1]:g} us after t[{bad}] = {time_axis[bad]:g} us")
    finite = np.isfinite(signal)
    if not np.all(finite):
        raise ValueError(f"non-finite sample in {data}: {int(np.sum(~finite))} NaN or inf "
                         f"values, the first at index {int(np.argmin(finite))}")
    for note in notes:                           # e.g. an assumed byte order
        if "deprecated - use" not in str(note.message):
            warnings.warn(f"deerload, {data.name}: {str(note.message).strip()}", stacklevel=2)
    return MeasuredTrace(name=stem.name, time_us=time_axis, signal=signal)


def _restore_signs(descriptor: Path, parameters: dict, time_axis: np.ndarray) -> np.ndarray:
    """Undo deerload's loss of the sign of ``XMIN`` and ``XWID`` (its key/value pattern reads
    ``-100`` as ``100``) for a linear (``IDX``) axis: ``XMIN`` = -80 ns is common in DEER files."""
    desc = parameters.get("DESC", {})
    if desc.get("XTYP") != "IDX":
        return time_axis
    signed = {}
    for line in descriptor.read_text(encoding="utf-8", errors="ignore").splitlines():
        key, _, value = line.strip().partition("\t" if "\t" in line else " ")
        if key in ("XMIN", "XWID") and key not in signed:
            try:
                signed[key] = float(value.strip())
            except ValueError:
                pass
    if len(signed) < 2 or (signed["XMIN"] >= 0 and signed["XWID"] >= 0) or signed["XWID"] == 0:
        return time_axis
    return np.linspace(signed["XMIN"], signed["XMIN"] + signed["XWID"], time_axis.size) / 1e3


@dataclass(frozen=True)
class ProcessedTrace:
    """A trace after :func:`process_trace`: ``time_us`` shifted, ``signal`` real with maximum 1.

    ``imaginary_rms`` is the rms of the imaginary part left after phasing, relative to the
    maximum (a noise-level check: it is pure noise for a correctly phased trace).
    """

    name: str
    time_us: np.ndarray
    signal: np.ndarray
    imaginary_rms: float


def process_trace(trace: MeasuredTrace, *, start_time_us: float) -> ProcessedTrace:
    """Phase, scale and shift a trace as DeerLab's examples do.

    ``deerlab.correctphase`` (the phase that minimises the imaginary part), division by
    the maximum, and ``t <- t - t[0] + start_time_us`` (in us).
    """
    if not isinstance(trace, MeasuredTrace):
        raise ValueError(f"trace must be a MeasuredTrace, got {type(trace).__name__}")
    start = check_real(start_time_us, "start_time_us")
    with _quiet_deerlab() as deerlab:
        real, imaginary = deerlab.correctphase(trace.signal, full_output=True)[:2]
    real, imaginary = np.real(real), np.real(imaginary)
    top = np.max(real)
    if not top > 0:
        raise ValueError(f"{trace.name}: the phased signal has no positive maximum")
    return ProcessedTrace(name=trace.name, time_us=trace.time_us - trace.time_us[0] + start,
                          signal=real / top,
                          imaginary_rms=float(np.sqrt(np.mean(imaginary**2)) / top))


# ------------------------------------------------------------------ scale invariance

def distance_scale(time_max_us: float) -> float:
    """``c = (t_max / 2 us)^(1/3)``: distances in a window ``t_max`` (us) are ``c`` times DEERNet's."""
    return (check_real(time_max_us, "time_max_us", positive=True) / TIME_MAX_US) ** (1.0 / 3.0)


def to_network_times_us(time_us: ArrayLike, time_max_us: float) -> np.ndarray:
    """Times (us) of a window ``[0, t_max]`` on DEERNet's clock: ``t / c^3 = t 2 us / t_max``."""
    return np.asarray(time_us, dtype=float) / distance_scale(time_max_us) ** 3


def to_network_distances_nm(distances_nm: ArrayLike, time_max_us: float) -> np.ndarray:
    """Distances (nm) measured in a window ``t_max`` (us) as DEERNet sees them: ``r / c``."""
    return np.asarray(distances_nm, dtype=float) / distance_scale(time_max_us)


def from_network_distances_nm(network_distances_nm: ArrayLike, time_max_us: float) -> np.ndarray:
    """DEERNet's distances (nm) back in a measurement of window ``t_max`` (us): ``c r_net``."""
    return np.asarray(network_distances_nm, dtype=float) * distance_scale(time_max_us)


def to_network_decay_rate_per_us(decay_rate_per_us: ArrayLike, time_max_us: float) -> np.ndarray:
    """A background decay rate (1/us) on DEERNet's clock: ``k c^3 = k t_max / 2 us``."""
    return np.asarray(decay_rate_per_us, dtype=float) * distance_scale(time_max_us) ** 3


@dataclass(frozen=True)
class MappedTrace:
    """A trace on DEERNet's grid (:func:`map_to_network_grid`).

    ``signal`` (256,): the trace at ``zero_time_us + c^3 time_grid()`` (linear interpolation);
    ``time_max_us``: the dipolar window ``t[-1] - zero_time_us``; ``n_measured``: measured
    samples at or after the zero time, from which the 256 values were interpolated.
    """

    signal: np.ndarray
    time_max_us: float
    zero_time_us: float
    n_measured: int

    @property
    def scale(self) -> float:
        """``c``: :func:`distance_scale` of the window."""
        return distance_scale(self.time_max_us)

    def distances_nm(self) -> np.ndarray:
        """DEERNet's distance grid in the measurement's units: ``c distance_grid()``, in nm."""
        return from_network_distances_nm(distance_grid(), self.time_max_us)


def _increasing_axis(time_us, signal) -> tuple[np.ndarray, np.ndarray]:
    t = as_finite_vector(time_us, "time_us")
    v = as_finite_vector(signal, "signal")
    if t.shape != v.shape:
        raise ValueError(f"time_us and signal differ in shape: {t.shape} and {v.shape}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("time_us must be strictly increasing")
    return t, v


def map_to_network_grid(time_us: ArrayLike, signal: ArrayLike, *,
                        zero_time_us: float) -> MappedTrace:
    """Resample a trace onto DEERNet's 256 times by the kernel's scale invariance.

    Parameters
    ----------
    time_us, signal : array_like, shape (n,)
        Strictly increasing times (us) and a real trace.
    zero_time_us : float, keyword-only
        The dipolar zero time on that axis; samples before it are not used.

    Returns
    -------
    MappedTrace
        With ``t_max = time_us[-1] - zero_time_us``, ``signal[i]`` is the trace at
        ``zero_time_us + time_grid()[i] t_max / 2 us``: the signal that the distances
        ``r / c``, ``c = (t_max / 2 us)^(1/3)``, give on DEERNet's window.
    """
    t, v = _increasing_axis(time_us, signal)
    t0 = check_real(zero_time_us, "zero_time_us")
    if not t[0] <= t0 < t[-1]:
        raise ValueError(f"zero_time_us = {t0:g} must lie in [{t[0]:g}, {t[-1]:g}) us")
    after = int(np.sum(t >= t0))
    if after < 2:
        raise ValueError("fewer than two samples after zero_time_us")
    time_max = float(t[-1] - t0)
    # t0 + tau t_max / 2 rounds to at most t[-1]: no extrapolation
    query = np.minimum(t0 + time_grid() * (time_max / TIME_MAX_US), t[-1])
    return MappedTrace(signal=np.interp(query, t, v), time_max_us=time_max, zero_time_us=t0,
                       n_measured=after)


# ------------------------------------------------------------ the reference analysis

@dataclass
class DeerLabFit:
    """DeerLab's fit of one trace (:func:`fit_deerlab`); times in us, distances in nm.

    ``distribution``: ``P(r)`` in 1/nm (unit area) on ``distances_nm``, with the 95 % band
    ``lower_95``, ``upper_95`` from the fit's covariance (no bootstrap); ``modulation_depth``
    (lambda) and its standard error; ``zero_time_us``, the fitted refocusing time
    (``reftime``); the homogeneous 3-D background ``background`` on the time axis
    (``B(t0) = 1``), its ``concentration_uM`` and decay rate ``k`` (``B = exp(-k |t - t0|)``);
    ``scale`` ``V0``; the fitted trace ``model``; DeerLab's ``regularisation_parameter``
    (AIC), and the wall time ``time_s`` of fit and uncertainty.
    """

    distances_nm: np.ndarray
    distribution: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    modulation_depth: float
    modulation_depth_std: float
    zero_time_us: float
    concentration_uM: float
    decay_rate_per_us: float
    scale: float
    background: np.ndarray
    model: np.ndarray
    regularisation_parameter: float
    time_s: float


def fit_deerlab(time_us: ArrayLike, signal: ArrayLike, *, tau1_us: float, tau2_us: float,
                distances_nm: ArrayLike) -> DeerLabFit:
    """DeerLab's non-parametric fit: ``dipolarmodel`` with ``ex_4pdeer(pathways=[1])``, ``fit``.

    The model is ``V0 [1 - lambda + lambda int K(t - t0, r) P(r) dr] B(t - t0)`` with a
    homogeneous 3-D background and ``P >= 0`` regularised by its second derivative
    (parameter by AIC). Uncertainties come from the fit's covariance, not bootstrapping.
    Runs on one BLAS thread: with several, DeerLab's many small factorisations wait for
    each other (on a shared two-core machine a fit took 10 to 30 times longer).
    """
    t, v = _increasing_axis(time_us, signal)
    r = as_finite_vector(distances_nm, "distances_nm")
    tau1 = check_real(tau1_us, "tau1_us", positive=True)
    tau2 = check_real(tau2_us, "tau2_us", positive=True)
    started = time.perf_counter()
    with _quiet_deerlab() as deerlab, limit_threads(1):
        model = deerlab.dipolarmodel(t, r, experiment=deerlab.ex_4pdeer(tau1, tau2, pathways=[1]))
        result = deerlab.fit(model, v)
        band = result.PUncert.ci(95)
        background = deerlab.bg_hom3d(t - result.reftime, result.conc, result.mod)
    elapsed = time.perf_counter() - started
    far = int(np.argmax(np.abs(t - result.reftime)))
    decay = float(-np.log(background[far]) / abs(t[far] - result.reftime))
    return DeerLabFit(
        distances_nm=r, distribution=np.asarray(result.P, dtype=float),
        lower_95=np.asarray(band[:, 0], dtype=float), upper_95=np.asarray(band[:, 1], dtype=float),
        modulation_depth=float(result.mod),
        modulation_depth_std=float(np.ravel(result.modUncert.std)[0]),
        zero_time_us=float(result.reftime), concentration_uM=float(result.conc),
        decay_rate_per_us=decay, scale=float(result.P_scale),
        background=np.asarray(background, dtype=float), model=np.asarray(result.model, dtype=float),
        regularisation_parameter=float(result.regparam), time_s=elapsed)


def background_corrected_form_factor(signal: ArrayLike, background: ArrayLike, *,
                                     modulation_depth: float, scale: float = 1.0) -> np.ndarray:
    """``F = (V / (V0 B) - (1 - lambda)) / lambda``: the form factor behind a trace (dimensionless)."""
    v = as_finite_vector(signal, "signal")
    b = as_finite_vector(background, "background")
    if v.shape != b.shape or np.any(b <= 0):
        raise ValueError("background must be positive with the shape of signal")
    lam = check_real(modulation_depth, "modulation_depth", positive=True)
    v0 = check_real(scale, "scale", positive=True)
    return (v / (v0 * b) - (1.0 - lam)) / lam


@dataclass(frozen=True)
class DepthAndDecay:
    """Result of :func:`fit_depth_and_decay`: lambda, ``k`` (1/us), ``V0`` and the rms residual."""

    modulation_depth: float
    decay_rate_per_us: float
    scale: float
    rms_residual: float


def fit_depth_and_decay(time_us: ArrayLike, signal: ArrayLike,
                        form_factor: ArrayLike) -> DepthAndDecay:
    """Least-squares ``V = V0 (1 - lambda + lambda F) exp(-k t)`` for a fixed form factor ``F``.

    ``time_us`` are dipolar times (from the zero time, >= 0); ``0 <= lambda <= 1``, ``k >= 0``.
    With ``F`` from a predicted distribution, ``rms_residual`` says how well that
    distribution explains the trace, and lambda is the depth it implies.
    """
    t = as_finite_vector(time_us, "time_us")
    v = as_finite_vector(signal, "signal")
    f = as_finite_vector(form_factor, "form_factor")
    if not t.shape == v.shape == f.shape:
        raise ValueError(f"time_us, signal and form_factor differ in shape: "
                         f"{t.shape}, {v.shape}, {f.shape}")

    def residual(x):
        v0, lam, k = x
        return v0 * (1.0 - lam + lam * f) * np.exp(-k * t) - v

    start = np.array([max(float(v[0]), 1e-3), 0.3, 0.1])
    fit = scipy.optimize.least_squares(residual, start, bounds=([0.0, 0.0, 0.0], [np.inf, 1.0, np.inf]))
    v0, lam, k = fit.x
    return DepthAndDecay(modulation_depth=float(lam), decay_rate_per_us=float(k), scale=float(v0),
                         rms_residual=float(np.sqrt(np.mean(fit.fun**2))))


# ------------------------------------------------------------------------- metrics

def _distribution(distances_nm, distribution) -> tuple[np.ndarray, np.ndarray]:
    """A grid and a unit-area, non-negative distribution on it (negative parts set to zero)."""
    r = as_finite_vector(distances_nm, "distances_nm")
    p = as_finite_vector(distribution, "distribution")
    if r.shape != p.shape:
        raise ValueError(f"distances_nm and distribution differ in shape: {r.shape}, {p.shape}")
    p = np.maximum(p, 0.0)
    area = trapezoid_weights(r) @ p
    if not area > 0:
        raise ValueError("distribution has no positive area")
    return r, p / area


def modal_distance_nm(distances_nm: ArrayLike, distribution: ArrayLike) -> float:
    """The most probable distance (nm): the grid point of the largest value."""
    r, p = _distribution(distances_nm, distribution)
    return float(r[np.argmax(p)])


def mean_distance_nm(distances_nm: ArrayLike, distribution: ArrayLike) -> float:
    """The mean distance ``int r p dr`` (nm), after setting negative parts to zero and unit area."""
    r, p = _distribution(distances_nm, distribution)
    return float(trapezoid_weights(r) @ (r * p))


def distance_spread_nm(distances_nm: ArrayLike, distribution: ArrayLike) -> float:
    """The width of a distribution: its standard deviation ``(int (r - mean)^2 p dr)^(1/2)`` (nm)."""
    r, p = _distribution(distances_nm, distribution)
    mean = trapezoid_weights(r) @ (r * p)
    return float(np.sqrt(trapezoid_weights(r) @ ((r - mean) ** 2 * p)))


def distribution_overlap(distances_a_nm: ArrayLike, distribution_a: ArrayLike,
                         distances_b_nm: ArrayLike, distribution_b: ArrayLike) -> float:
    """Overlap ``int min(p_a, p_b) dr`` of two distributions on their own grids, in [0, 1].

    Each is set to zero where negative and outside its grid, scaled to unit area on its own
    grid, and both are interpolated linearly onto the union of the grids. 1 means identical,
    0 disjoint; it equals ``1 - (1/2) int |p_a - p_b| dr`` (one minus the total variation
    distance).
    """
    r_a, p_a = _distribution(distances_a_nm, distribution_a)
    r_b, p_b = _distribution(distances_b_nm, distribution_b)
    grid = np.union1d(r_a, r_b)
    on_a = np.interp(grid, r_a, p_a, left=0.0, right=0.0)
    on_b = np.interp(grid, r_b, p_b, left=0.0, right=0.0)
    w = trapezoid_weights(grid)
    return float(w @ np.minimum(on_a / (w @ on_a), on_b / (w @ on_b)))


def subspace_energy_share(vectors: ArrayLike, basis: ArrayLike) -> np.ndarray:
    """Share of each column's squared norm inside the span of ``basis``: ``||Q^T s||^2 / ||s||^2``.

    ``vectors`` (d, n): one vector per column, e.g. preactivations of n inputs; ``basis``
    (d, k): independent columns (orthonormalised here), e.g. leading principal directions.
    Returns shape (n,), in [0, 1]; for a random direction the expectation is ``k / d``.
    """
    S = as_finite_matrix(vectors, "vectors")
    B = as_finite_matrix(basis, "basis")
    if B.shape[0] != S.shape[0] or B.shape[1] > B.shape[0]:
        raise ValueError(f"basis must have shape ({S.shape[0]}, k <= {S.shape[0]}), got {B.shape}")
    norms = np.sum(S**2, axis=0)
    if np.any(norms == 0):
        raise ValueError("vectors has a zero column")
    Q = np.linalg.qr(B)[0]
    return np.clip(np.sum((Q.T @ S) ** 2, axis=0) / norms, 0.0, 1.0)
