"""DEER physics: the time and distance grids, the dipolar kernel and a training-data simulator.

Double electron-electron resonance (DEER) measures the dipolar interaction between
two unpaired electrons.
For an isotropic ensemble of spin pairs with distance distribution ``p(r)`` the
background-free signal is ``F(t) = int K(t, r) p(r) dr`` with the dipolar kernel
``K`` of :func:`dipolar_kernel`; the measured signal adds a partial modulation
depth, an intermolecular background and noise (:func:`simulate`).

Units: time in microseconds (us), distance in nanometres (nm), frequencies in MHz
(= 1/us), angular frequencies in rad/us.

The neural network that inverts these signals (DEERNet) lives in
:mod:`descramble_lib.deer.network`; the classical Tikhonov inversion it is compared
with lives in :mod:`descramble_lib.deer.regularisation`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
import scipy.special

from .._random import as_seed
from .._validation import as_finite_matrix, as_finite_vector, check_bool, check_positive_int
from .constants import DIPOLAR_ANGULAR_RAD_PER_US_NM3

__all__ = ["N_POINTS", "TIME_MAX_US", "DISTANCE_MIN_NM", "DISTANCE_MAX_NM",
           "SIMULATION_RANGES", "time_grid", "distance_grid", "trapezoid_weights",
           "dipolar_kernel", "background", "DEERSimulation", "simulate", "unit_area",
           "distribution_error"]


# Examples processed together by :func:`simulate` (keeps temporaries in cache).
_CHUNK = 256

#: Number of points of both grids (the input and output width of DEERNet).
N_POINTS: int = 256
#: Length of the time window, in us.
TIME_MAX_US: float = 2.0
#: Ends of the distance grid, in nm (11.775 and 59.265 Angstrom).
DISTANCE_MIN_NM: float = 1.1775
DISTANCE_MAX_NM: float = 5.9265

#: Ranges of the random parameters drawn by :func:`simulate` (all uniform, closed).
#: Peak centres stay at least 0.32 nm inside the distance grid, so a peak of the
#: widest kind keeps most of its mass on the grid; the narrowest peak still spans
#: about five grid points (grid spacing 0.0186 nm).
SIMULATION_RANGES: dict[str, tuple[float, float]] = {
    "n_peaks": (1, 4),                     # number of Gaussian peaks (integer)
    "centre_nm": (1.5, 5.5),               # peak centre
    "width_nm": (0.05, 0.3),               # peak standard deviation
    "population": (0.1, 1.0),              # relative area of each peak, before normalising
    "modulation_depth": (0.01, 1.0),       # lambda
    "decay_rate_per_us": (0.0, 0.5),       # k of the background
    "dimension": (2.0, 3.5),               # N of the background
    "relative_noise": (0.0, 0.05),         # noise standard deviation / lambda
}


def time_grid() -> np.ndarray:
    """Return the DEER time axis.

    Returns
    -------
    t : ndarray, shape (256,)
        ``linspace(0, 2, 256)``, in us (spacing 7.84 ns).
    """
    return np.linspace(0.0, TIME_MAX_US, N_POINTS)


def distance_grid() -> np.ndarray:
    """Return the DEER distance axis.

    Returns
    -------
    r : ndarray, shape (256,)
        ``linspace(1.1775, 5.9265, 256)``, in nm (spacing 0.018624 nm).
    """
    return np.linspace(DISTANCE_MIN_NM, DISTANCE_MAX_NM, N_POINTS)


def trapezoid_weights(r: ArrayLike) -> np.ndarray:
    """Trapezoid-rule weights of a strictly increasing grid.

    Parameters
    ----------
    r : array_like, shape (n_r,)
        Grid points (n_r >= 2), e.g. distances in nm.

    Returns
    -------
    w : ndarray, shape (n_r,)
        ``w @ f`` is the trapezoid approximation of ``int f dr`` (units of ``r``):
        half a spacing at each end, the mean of the two neighbouring spacings inside.
    """
    r = as_finite_vector(r, "r")
    if r.size < 2:
        raise ValueError("trapezoid weights need at least two grid points")
    steps = np.diff(r)
    if np.any(steps <= 0):
        raise ValueError("r must be strictly increasing")
    w = np.zeros_like(r)
    w[:-1] += steps / 2
    w[1:] += steps / 2
    return w


def dipolar_kernel(t: ArrayLike, r: ArrayLike, *, delta_r_weights: bool = False) -> np.ndarray:
    """Dipolar kernel of an isotropic ensemble of spin pairs.

    Parameters
    ----------
    t : array_like, shape (n_t,)
        Times in us; negative times are allowed (the kernel is even in t).
    r : array_like, shape (n_r,)
        Inter-spin distances in nm, all positive.
    delta_r_weights : bool, keyword-only
        If True, multiply column j by the trapezoid weight of ``r[j]`` (in nm), as
        DeerLab's ``dipolarkernel`` does, so that ``K @ p`` approximates
        ``int K(t, r) p(r) dr`` for a density ``p`` in 1/nm. Needs a strictly
        increasing ``r`` with at least two points.

    Returns
    -------
    K : ndarray, shape (n_t, n_r)
        ``K[i, j] = K(t[i], r[j])`` (dimensionless), or times ``dr_j`` (nm) with
        ``delta_r_weights``.

    Notes
    -----
    The kernel is the powder average of the dipolar oscillation,

        K(t, r) = int_0^1 cos[(1 - 3 x^2) omega_dd t] dx,
        omega_dd = 2 pi D / r^3,  D = 52.041016 MHz nm^3,

    evaluated in closed form with the Fresnel integrals C and S:
    with ``phi = omega_dd |t|`` and ``kappa = sqrt(6 phi / pi)``,

        K = [C(kappa) cos(phi) + S(kappa) sin(phi)] / kappa,   K(0, r) = 1.

    The value at ``t = 0`` is set exactly (no 0/0). ``scipy.special.fresnel``
    returns the pair in the order ``(S, C)``.

    Every finite ``t`` and positive finite ``r`` give a finite value in [-1, 1]:
    where ``r**3`` or ``phi`` would under- or overflow, ``phi`` is formed from the
    mantissas and binary exponents of ``t`` and ``r`` instead (elsewhere the plain
    product, bit for bit); a ``phi`` too large for float64 gives the limit ``K = 0``,
    ``t = 0`` gives ``K = 1`` for every ``r``, and rounding beyond +-1 is clipped.
    """
    t = as_finite_vector(t, "t")
    r = as_finite_vector(r, "r")
    delta_r_weights = check_bool(delta_r_weights, "delta_r_weights")
    if np.any(r <= 0):
        raise ValueError("distances r must be positive (nm)")
    phi = _dipolar_phase(np.abs(t), r)
    with np.errstate(over="ignore"):
        kappa = np.sqrt(6.0 * phi / np.pi)
    at_zero = kappa == 0.0
    at_infinity = np.isinf(kappa)                  # phi beyond ~3e307: the limit K = 0
    safe_kappa = np.where(at_zero | at_infinity, 1.0, kappa)
    safe_phi = np.where(at_infinity, 0.0, phi)
    fresnel_s, fresnel_c = scipy.special.fresnel(safe_kappa)
    K = (fresnel_c * np.cos(safe_phi) + fresnel_s * np.sin(safe_phi)) / safe_kappa
    K[at_zero] = 1.0
    K[at_infinity] = 0.0
    np.clip(K, -1.0, 1.0, out=K)                   # |K| <= 1 exactly, not only to rounding
    if delta_r_weights:
        K *= trapezoid_weights(r)[None, :]
    return K


def _dipolar_phase(abs_t: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``phi = |t| D / r^3`` (rad), shape (n_t, n_r), without intermediate over- or underflow.

    ``|t| * (D / r**3)`` where no step leaves the normal range (every DEER grid value);
    elsewhere, with ``|t| = a 2^i``, ``r = b 2^j`` (a, b in [0.5, 1)), ``(a D / b^3) 2^(i - 3j)``
    with the power of two applied by :func:`numpy.ldexp` (one rounding). ``phi(t = 0) = 0``.
    """
    tiny = np.finfo(float).tiny
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        r_cubed = r**3
        rate = DIPOLAR_ANGULAR_RAD_PER_US_NM3 / r_cubed
        phi = abs_t[:, None] * rate[None, :]
        rate_ok = (r_cubed >= tiny) & np.isfinite(r_cubed) & (rate >= tiny) & np.isfinite(rate)
        unsafe = ~rate_ok[None, :] | ~np.isfinite(phi) | ((phi < tiny) & (abs_t[:, None] > 0))
        if np.any(unsafe):
            rows, cols = np.nonzero(unsafe)
            t_mantissa, t_exponent = np.frexp(abs_t[rows])
            r_mantissa, r_exponent = np.frexp(r[cols])
            mantissa = t_mantissa * (DIPOLAR_ANGULAR_RAD_PER_US_NM3 / r_mantissa**3)
            phi[rows, cols] = np.ldexp(mantissa, t_exponent - 3 * r_exponent)
    return phi


def background(t: ArrayLike, decay_rate_per_us: ArrayLike, dimension: ArrayLike) -> np.ndarray:
    """Stretched-exponential intermolecular background ``B(t) = exp(-(k |t|)^(N/3))``.

    Parameters
    ----------
    t : array_like, shape (n_t,)
        Times in us.
    decay_rate_per_us : array_like, shape (n,)
        Decay rates k >= 0, in 1/us.
    dimension : array_like, shape (n,)
        Fractal dimensions N > 0 (N = 3 is a homogeneous 3-D solution).

    Returns
    -------
    B : ndarray, shape (n, n_t)
        One background per row (dimensionless, B(0) = 1).
    """
    t = as_finite_vector(t, "t")
    k = as_finite_vector(np.atleast_1d(decay_rate_per_us), "decay_rate_per_us")
    dim = as_finite_vector(np.atleast_1d(dimension), "dimension")
    if k.shape != dim.shape:
        raise ValueError(f"decay_rate_per_us and dimension must have the same shape, "
                         f"got {k.shape} and {dim.shape}")
    if np.any(k < 0) or np.any(dim <= 0):
        raise ValueError("need decay_rate_per_us >= 0 and dimension > 0")
    return _stretched_exponential(_log_nonnegative(k), dim, _log_nonnegative(np.abs(t)))


def _log_nonnegative(x: np.ndarray) -> np.ndarray:
    """Natural log of a non-negative array, with log(0) = -inf and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _stretched_exponential(log_k: np.ndarray, dim: np.ndarray, log_t: np.ndarray) -> np.ndarray:
    """``exp(-(k t)^(N/3))`` from log k (shape (n,)) and log t (shape (n_t,)), shape (n, n_t).

    Written as ``exp(-exp(N/3 (log k + log t)))``: two vectorised exps instead of a
    slow elementwise power; k = 0 or t = 0 give log = -inf and B = 1 exactly.
    """
    return np.exp(-np.exp((dim[:, None] / 3.0) * (log_k[:, None] + log_t[None, :])))


@dataclass
class DEERSimulation:
    """Simulated DEER training examples (one example per row).

    Attributes
    ----------
    t : ndarray, shape (256,)
        Time grid in us.
    r : ndarray, shape (256,)
        Distance grid in nm.
    signals : ndarray, shape (n, 256)
        Noisy signals ``V(t) = (1 - lam + lam F(t)) B(t) + noise`` (dimensionless,
        ``V(0) = 1`` before noise): the network input.
    distributions : ndarray, shape (n, 256)
        Distance distributions on ``r``, each scaled so that its maximum is 1:
        the network target. The logistic-sigmoid output lives in (0, 1), and with
        a unit maximum every target fills that range whatever the peak widths; with
        unit area, narrow peaks would reach about 8 /nm, outside the output range.
        :meth:`densities` gives the unit-area version.
    n_peaks : ndarray of int, shape (n,)
        Number of Gaussian peaks (1 to 4).
    centres_nm, widths_nm, populations : ndarray, shape (n, 4)
        Centre, standard deviation (nm) and relative area of each peak; unused
        slots (beyond ``n_peaks``) are NaN.
    modulation_depth : ndarray, shape (n,)
        lambda (dimensionless).
    decay_rate_per_us : ndarray, shape (n,)
        Background decay rate k, in 1/us.
    dimension : ndarray, shape (n,)
        Background dimension N.
    noise_std : ndarray, shape (n,)
        Standard deviation of the added Gaussian noise (same units as V).
    rng_seed : int
        The integer seed the examples were drawn with: ``simulate(n, rng=rng_seed)``
        reproduces the whole set (for a :meth:`subset`, the set it was taken from).
        It is the ``rng`` passed to :func:`simulate` when that was an int, else the
        seed drawn from the Generator (or from fresh entropy for ``rng=None``).
    """

    t: np.ndarray
    r: np.ndarray
    signals: np.ndarray
    distributions: np.ndarray
    n_peaks: np.ndarray
    centres_nm: np.ndarray
    widths_nm: np.ndarray
    populations: np.ndarray
    modulation_depth: np.ndarray
    decay_rate_per_us: np.ndarray
    dimension: np.ndarray
    noise_std: np.ndarray
    rng_seed: int

    def __len__(self) -> int:
        return self.signals.shape[0]

    def densities(self) -> np.ndarray:
        """Distributions scaled to unit trapezoid area, in 1/nm, shape (n, 256)."""
        area = self.distributions @ trapezoid_weights(self.r)
        return self.distributions / area[:, None]

    def form_factors(self) -> np.ndarray:
        """Noise- and background-free form factors ``F = int K p dr``, shape (n, 256)."""
        return self.densities() @ dipolar_kernel(self.t, self.r, delta_r_weights=True).T

    def corrected_form_factors(self) -> np.ndarray:
        """Form factors recovered from the noisy signals with the *true* background and depth.

        ``(V / B - (1 - lambda)) / lambda``, shape (n, 256): the data a classical
        inversion sees after an ideal background correction (an oracle step; in
        practice B and lambda are fitted). The noise is amplified by ``1 / (lambda B)``.
        """
        lam = self.modulation_depth[:, None]
        return (self.signals / self.backgrounds() - (1.0 - lam)) / lam

    def backgrounds(self) -> np.ndarray:
        """The backgrounds ``B(t)`` of the examples, shape (n, 256)."""
        return background(self.t, self.decay_rate_per_us, self.dimension)

    def subset(self, index) -> "DEERSimulation":
        """The examples selected by ``index``: a slice, an integer, an integer array or a mask.

        The result is always a :class:`DEERSimulation` with one example per row, 2-D
        ``signals`` of shape (k, 256) included: an integer ``i`` selects the one
        example ``[i]``.

        Raises
        ------
        ValueError
            ``index`` is a bool, or selects something other than a set of rows
            (e.g. a 2-D integer array or a tuple).
        """
        if isinstance(index, (bool, np.bool_)):
            raise ValueError(f"index must be a slice, an integer, an integer array or a "
                             f"boolean mask, got {index!r}")
        if isinstance(index, numbers.Integral):
            index = [int(index)]                         # keep the example axis
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        rows = {name: value[index] for name, value in fields.items()
                if name not in ("t", "r", "rng_seed")}
        if rows["signals"].ndim != 2 or rows["n_peaks"].ndim != 1:
            raise ValueError(f"index must select rows (a slice, an integer, a 1-D integer "
                             f"array or a boolean mask), got {index!r}")
        return DEERSimulation(t=self.t, r=self.r, rng_seed=self.rng_seed, **rows)


def simulate(n: int, *, rng: None | int | np.random.Generator) -> DEERSimulation:
    """Simulate ``n`` DEER training examples (signals and their distance distributions).

    Parameters
    ----------
    n : int
        Number of examples (>= 1).
    rng : None, int or numpy.random.Generator, keyword-only
        Source of randomness. An int ``s >= 0`` seeds the ``numpy.random.Generator``
        ``default_rng(s)`` that draws every random quantity, so the same ``(n, s)``
        gives the same examples, bit for bit. A Generator (advanced in place) or None
        (fresh entropy) supplies such a seed first; it is kept in
        :attr:`DEERSimulation.rng_seed`.

    Returns
    -------
    DEERSimulation
        Signals, distributions and the drawn parameters.

    Raises
    ------
    ValueError
        ``n`` not an integer >= 1, or ``rng`` not None, an integer >= 0 or a Generator.

    Notes
    -----
    Following the recipe of Worswick et al. (2018) and Amey et al. (2021), each
    example draws (all uniformly, ranges in :data:`SIMULATION_RANGES`):

    * 1 to 4 Gaussian peaks ``p(r) = sum_j a_j N(r; mu_j, s_j)``;
    * the form factor ``F = K p / (K p)(0)`` (so ``F(0) = 1``), with the
      Delta-r weighted kernel of :func:`dipolar_kernel`;
    * a background ``B(t) = exp(-(k t)^(N/3))`` and a modulation depth lambda;
    * ``V = (1 - lambda + lambda F) B + e``, ``e ~ N(0, (nu lambda)^2)`` with
      ``nu <= 0.05`` (the relative noise level).

    The work is vectorised over examples (10^5 examples take a few seconds).
    """
    n = check_positive_int(n, "n")
    rng_seed = as_seed(rng, "rng")
    rng = np.random.default_rng(rng_seed)
    R = SIMULATION_RANGES
    max_peaks = R["n_peaks"][1]

    def uniform(name, size):
        low, high = R[name]
        return rng.uniform(low, high, size=size)

    n_peaks = rng.integers(R["n_peaks"][0], max_peaks + 1, size=n)
    centres = uniform("centre_nm", (n, max_peaks))
    widths = uniform("width_nm", (n, max_peaks))
    populations = uniform("population", (n, max_peaks))
    lam = uniform("modulation_depth", n)
    k = uniform("decay_rate_per_us", n)
    dim = uniform("dimension", n)
    noise_std = uniform("relative_noise", n) * lam
    unit_noise = rng.standard_normal((n, N_POINTS))

    unused = np.arange(max_peaks)[None, :] >= n_peaks[:, None]
    for array in (centres, widths, populations):
        array[unused] = np.nan

    t, r = time_grid(), distance_grid()
    K_T = dipolar_kernel(t, r, delta_r_weights=True).T
    # A peak a N(r; mu, s) is exp(q(r)) (up to a common factor) with q quadratic in the
    # centred distance x = r - r_mid, so all peaks of a chunk come from one matrix product
    # [q coefficients] @ [x^2, x, 1] and one exp; unused slots get q = -inf, i.e. zero.
    r_mid = 0.5 * (r[0] + r[-1])
    basis = np.stack([(r - r_mid) ** 2, r - r_mid, np.ones_like(r)])
    m = np.where(unused, 0.0, centres - r_mid)
    inv_var = np.where(unused, 0.0, widths ** -2.0)
    with np.errstate(divide="ignore"):
        log_height = np.where(unused, -np.inf, np.log(populations / widths))
    coef = np.stack([-0.5 * inv_var, m * inv_var, log_height - 0.5 * m * m * inv_var], axis=2)
    log_k = _log_nonnegative(k)
    log_t = _log_nonnegative(t)

    P = np.empty((n, N_POINTS))
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n))
        P[rows] = np.exp(coef[rows] @ basis).sum(axis=1)   # (chunk, 4, 256) -> (chunk, 256)
    P /= P.max(axis=1, keepdims=True)
    F = P @ K_T                             # one large product: small ones are much slower
    V = unit_noise                          # overwritten chunk by chunk, no extra copy
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n))
        F_c = F[rows] / F[rows, :1]         # F(0) = int P dr, so this sets F(0) = 1
        lam_c = lam[rows, None]
        B = _stretched_exponential(log_k[rows], dim[rows], log_t)
        V[rows] = (1.0 - lam_c + lam_c * F_c) * B + noise_std[rows, None] * V[rows]
    return DEERSimulation(
        t=t, r=r, signals=V, distributions=P, n_peaks=n_peaks, centres_nm=centres,
        widths_nm=widths, populations=populations, modulation_depth=lam,
        decay_rate_per_us=k, dimension=dim, noise_std=noise_std, rng_seed=rng_seed)


def unit_area(distributions: ArrayLike, r: ArrayLike) -> np.ndarray:
    """Scale distributions to unit trapezoid area on the grid ``r``.

    Parameters
    ----------
    distributions : array_like, shape (n, n_r)
        One distribution per row (any positive scale).
    r : array_like, shape (n_r,)
        Distance grid in nm.

    Returns
    -------
    ndarray, shape (n, n_r)
        Densities in 1/nm with ``int p dr = 1``.
    """
    P = as_finite_matrix(distributions, "distributions")
    w = trapezoid_weights(r)
    if P.shape[1] != w.size:
        raise ValueError(f"distributions have {P.shape[1]} columns but r has {w.size} points")
    area = P @ w
    if not np.all(np.isfinite(area)) or np.any(area <= 0):
        raise ValueError("distributions must have positive, finite area (trapezoid rule on r)")
    return P / area[:, None]


def distribution_error(estimates: ArrayLike, truth: ArrayLike, r: ArrayLike) -> np.ndarray:
    """Relative L2 error of estimated distance distributions, after scaling both to unit area.

    Parameters
    ----------
    estimates, truth : array_like, shape (n, n_r)
        One distribution per row, each on any positive scale (e.g. unit maximum
        for DEERNet, unit area for Tikhonov); both are rescaled to unit area.
    r : array_like, shape (n_r,)
        Distance grid in nm.

    Returns
    -------
    ndarray, shape (n,)
        ``||p_est - p|| / ||p||`` per example (0 is perfect; 1 is as large an error
        as the distribution itself). Scale-free, so methods with different output
        scales are compared fairly.
    """
    estimates, truth = unit_area(estimates, r), unit_area(truth, r)
    if estimates.shape != truth.shape:
        raise ValueError(f"estimates {estimates.shape} and truth {truth.shape} differ in shape")
    return np.linalg.norm(estimates - truth, axis=1) / np.linalg.norm(truth, axis=1)
