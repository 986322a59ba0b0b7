"""Tests for the DEER physics: constants, grids, dipolar kernel, background and simulator."""

import numpy as np
import pytest
import scipy.constants
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

from descramble_lib.deer.constants import (DIPOLAR_ANGULAR_RAD_PER_US_NM3,
                                      DIPOLAR_CONSTANT_MHZ_NM3)
from descramble_lib.deer import (SIMULATION_RANGES, background, dipolar_kernel,
                                 distance_grid, distribution_error, simulate, time_grid,
                                 trapezoid_weights, unit_area)


def kernel_by_quadrature(t, r):
    """K(t, r) = int_0^1 cos[(1 - 3x^2) w t] dx by adaptive quadrature.

    [0, 1] is split where the phase 3 x^2 w |t| has advanced by about pi/2, so each
    piece holds at most a quarter oscillation and quad converges to rounding.
    """
    phase = DIPOLAR_ANGULAR_RAD_PER_US_NM3 / r**3 * abs(t)
    pieces = int(np.ceil(6 * phase / np.pi)) + 1
    edges = np.sqrt(np.linspace(0.0, 1.0, pieces + 1))
    return sum(quad(lambda x: np.cos((1 - 3 * x * x) * phase), a, b,
                    epsabs=1e-14, epsrel=1e-14, limit=200)[0]
               for a, b in zip(edges[:-1], edges[1:]))


def test_dipolar_constant_matches_codata():
    """52.041016 MHz nm^3 equals mu0/(4 pi) (g_e mu_B)^2 / h from scipy.constants to 1e-7."""
    g_e = -scipy.constants.physical_constants["electron g factor"][0]
    mu_b = scipy.constants.physical_constants["Bohr magneton"][0]
    value = scipy.constants.mu_0 / (4 * np.pi) * (g_e * mu_b) ** 2 / scipy.constants.h
    np.testing.assert_allclose(DIPOLAR_CONSTANT_MHZ_NM3, value * 1e27 / 1e6, rtol=1e-7)
    np.testing.assert_allclose(DIPOLAR_ANGULAR_RAD_PER_US_NM3, 326.983347, rtol=1e-9)


def test_grids():
    """The grids have 256 points and the ends of SPEC section 2."""
    t, r = time_grid(), distance_grid()
    assert t.shape == r.shape == (256,)
    np.testing.assert_allclose([t[0], t[-1]], [0.0, 2.0], rtol=0, atol=0)
    np.testing.assert_allclose([r[0], r[-1]], [1.1775, 5.9265], rtol=1e-15)
    np.testing.assert_allclose(np.diff(r), (5.9265 - 1.1775) / 255, rtol=1e-10)


@pytest.mark.parametrize("t", [1e-4, 0.01, 0.3, 2.0, 5.0])
@pytest.mark.parametrize("r", [1.0, 1.5, 3.0, 6.0, 10.0])
def test_kernel_equals_powder_integral(t, r):
    """The Fresnel closed form equals the powder-average integral to 1e-10."""
    K = dipolar_kernel(np.array([t]), np.array([r]))
    np.testing.assert_allclose(K[0, 0], kernel_by_quadrature(t, r), rtol=0, atol=1e-10)


def test_kernel_at_zero_time_is_one():
    """K(0, r) = 1 exactly, without 0/0."""
    K = dipolar_kernel(np.array([0.0, 1e-300]), distance_grid())
    np.testing.assert_array_equal(K, 1.0)


def test_kernel_small_time_limit():
    """K = 1 - (2/5) phi^2 + (2/35) phi^4 + O(phi^6), from the moments 4/5 and 48/35 of 1 - 3x^2."""
    r = np.array([2.0, 4.0])
    t = np.array([1e-4])
    phi = DIPOLAR_ANGULAR_RAD_PER_US_NM3 / r**3 * t
    np.testing.assert_allclose(dipolar_kernel(t, r)[0], 1 - 0.4 * phi**2 + 2 / 35 * phi**4,
                               rtol=0, atol=1e-15)


@given(st.floats(-20.0, 20.0), st.floats(0.5, 12.0))
def test_kernel_is_even_in_time(t, r):
    """K(-t, r) = K(t, r)."""
    K = dipolar_kernel(np.array([t, -t]), np.array([r]))
    assert K[0, 0] == K[1, 0]


@given(st.floats(0.0, 10.0), st.floats(0.8, 8.0), st.floats(0.3, 3.0))
def test_kernel_scaling_identity(t, r, c):
    """K(t, r) = K(c^3 t, c r): only w_dd t = 2 pi D t / r^3 matters."""
    K1 = dipolar_kernel(np.array([t]), np.array([r]))
    K2 = dipolar_kernel(np.array([c**3 * t]), np.array([c * r]))
    np.testing.assert_allclose(K1, K2, rtol=0, atol=1e-12)


def test_kernel_bounded_and_decays():
    """|K| <= 1 on the grids; at long times C, S -> 1/2, so |K| peaks near sqrt(pi / (12 w t))."""
    K = dipolar_kernel(time_grid(), distance_grid())
    assert np.all(np.abs(K) <= 1.0 + 1e-15)
    w = DIPOLAR_ANGULAR_RAD_PER_US_NM3 / 1.5**3
    t = np.linspace(50.0, 60.0, 2001)
    envelope = np.max(np.abs(dipolar_kernel(t, np.array([1.5]))))
    np.testing.assert_allclose(envelope, np.sqrt(np.pi / (12 * w * 50.0)), rtol=0.05)


def test_delta_r_weighted_columns():
    """With delta_r_weights each column is multiplied by its trapezoid weight."""
    t, r = time_grid(), distance_grid()
    K, Kw = dipolar_kernel(t, r), dipolar_kernel(t, r, delta_r_weights=True)
    w = trapezoid_weights(r)
    np.testing.assert_allclose(Kw, K * w, rtol=1e-15, atol=0)
    np.testing.assert_allclose(w[[0, 1, -1]], np.diff(r)[0] * np.array([0.5, 1, 0.5]),
                               rtol=1e-12)
    np.testing.assert_allclose(w.sum(), r[-1] - r[0], rtol=1e-14)


def test_weighted_kernel_integrates_density():
    """Kw @ P approximates int K P dr: a unit-area density gives V(0) = 1."""
    r = distance_grid()
    P = np.exp(-0.5 * ((r - 3.0) / 0.2) ** 2)
    P /= trapezoid_weights(r) @ P
    F = dipolar_kernel(time_grid(), r, delta_r_weights=True) @ P
    np.testing.assert_allclose(F[0], 1.0, rtol=1e-14)


@pytest.mark.parametrize("t, r, message", [
    ([0.0, np.nan], [2.0], "non-finite"),
    ([0.0], [2.0, np.inf], "non-finite"),
    ([0.0], [2.0, 0.0], "positive"),
    ([0.0], [-1.0], "positive"),
    ([[0.0]], [2.0], "1-D"),
    ([0.0], 2.0, "1-D"),
    ([], [2.0], "empty"),
])
def test_kernel_rejects_bad_input(t, r, message):
    """Non-finite, non-positive or non-1-D arguments raise ValueError."""
    with pytest.raises(ValueError, match=message):
        dipolar_kernel(t, r)


def test_delta_r_weights_need_increasing_grid():
    """Delta-r weights need an increasing grid of at least two points."""
    with pytest.raises(ValueError, match="increasing"):
        dipolar_kernel([0.0], [3.0, 2.0], delta_r_weights=True)
    with pytest.raises(ValueError, match="two"):
        dipolar_kernel([0.0], [3.0], delta_r_weights=True)


def test_background_formula():
    """B(t) = exp(-(k t)^(N/3)), with B = 1 for k = 0 or t = 0."""
    t = time_grid()
    k, N = np.array([0.0, 0.3, 0.5]), np.array([3.0, 2.0, 3.5])
    expected = np.exp(-(k[:, None] * t) ** (N[:, None] / 3))
    np.testing.assert_allclose(background(t, k, N), expected, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(background(t, k, N)[0], 1.0)
    with pytest.raises(ValueError):
        background(t, [-0.1], [3.0])


def test_simulate_is_reproducible_and_seed_dependent():
    """Same integer rng, same data bit for bit; another, other data."""
    a, b, c = simulate(50, rng=3), simulate(50, rng=3), simulate(50, rng=4)
    np.testing.assert_array_equal(a.signals, b.signals)
    np.testing.assert_array_equal(a.distributions, b.distributions)
    np.testing.assert_array_equal(a.modulation_depth, b.modulation_depth)
    assert not np.allclose(a.signals, c.signals)


def test_simulate_shapes_and_ranges():
    """Shapes, parameter ranges, unit-maximum distributions and F(0) = 1."""
    sim = simulate(400, rng=11)
    assert sim.signals.shape == sim.distributions.shape == (400, 256)
    assert len(sim) == 400
    assert set(np.unique(sim.n_peaks)) == {1, 2, 3, 4}
    for name, values in [("centre_nm", sim.centres_nm), ("width_nm", sim.widths_nm),
                         ("population", sim.populations),
                         ("modulation_depth", sim.modulation_depth),
                         ("decay_rate_per_us", sim.decay_rate_per_us),
                         ("dimension", sim.dimension)]:
        low, high = SIMULATION_RANGES[name]
        used = values[np.isfinite(values)]
        assert used.min() >= low and used.max() <= high, name
    assert np.all(np.isfinite(sim.centres_nm) == (np.arange(4) < sim.n_peaks[:, None]))
    assert np.all(sim.noise_std <= 0.05 * sim.modulation_depth)
    np.testing.assert_allclose(sim.distributions.max(axis=1), 1.0, rtol=1e-15)
    assert sim.distributions.min() >= 0
    np.testing.assert_allclose(sim.densities() @ trapezoid_weights(sim.r), 1.0, rtol=1e-13)
    np.testing.assert_allclose(sim.form_factors()[:, 0], 1.0, rtol=1e-13)


def test_simulated_signals_follow_the_model():
    """V = (1 - lam + lam F) B + noise, with the distributions' own Gaussians."""
    sim = simulate(30, rng=5)
    lam = sim.modulation_depth[:, None]
    clean = (1 - lam + lam * sim.form_factors()) * sim.backgrounds()
    residual = sim.signals - clean
    np.testing.assert_allclose(residual.std(axis=1) / sim.noise_std, 1.0, atol=0.3)
    np.testing.assert_allclose(sim.corrected_form_factors(), sim.form_factors(),
                               atol=20 * float(np.max(sim.noise_std / lam[:, 0])))
    i = int(np.argmax(sim.n_peaks))
    r = sim.r
    P = sum(sim.populations[i, j] / sim.widths_nm[i, j]
            * np.exp(-0.5 * ((r - sim.centres_nm[i, j]) / sim.widths_nm[i, j]) ** 2)
            for j in range(sim.n_peaks[i]))
    np.testing.assert_allclose(sim.distributions[i], P / P.max(), rtol=0, atol=1e-13)


def test_simulate_noise_free_limit():
    """With its noise removed, each signal starts at V(0) = 1."""
    sim = simulate(20, rng=9)
    noise = sim.signals - (1 - sim.modulation_depth[:, None]
                           + sim.modulation_depth[:, None] * sim.form_factors()) * sim.backgrounds()
    np.testing.assert_allclose(sim.signals[:, 0] - noise[:, 0], 1.0, rtol=1e-13)


def test_subset():
    """subset keeps rows of every per-example field together."""
    sim = simulate(10, rng=1)
    part = sim.subset(slice(2, 5))
    np.testing.assert_array_equal(part.signals, sim.signals[2:5])
    np.testing.assert_array_equal(part.centres_nm, sim.centres_nm[2:5])
    assert len(part) == 3 and part.rng_seed == sim.rng_seed == 1


@pytest.mark.parametrize("n, rng", [(0, 1), (-3, 1), (2.5, 1), (5, 1.5), (5, -1), (5, True),
                                    (5, "0")])
def test_simulate_rejects_bad_arguments(n, rng):
    """Non-positive or non-integer n, or an rng other than None, an int >= 0 or a Generator."""
    with pytest.raises(ValueError, match="rng" if n == 5 else "n"):
        simulate(n, rng=rng)


def test_distribution_error():
    """The error is scale-free, 0 for a rescaled truth, and rejects mismatched input."""
    sim = simulate(5, rng=2)
    np.testing.assert_allclose(
        distribution_error(3 * sim.distributions, sim.distributions, sim.r), 0, atol=1e-15)
    P = sim.densities()
    estimate = P + 0.1 * np.sin(sim.r)
    w = trapezoid_weights(sim.r)
    estimate_unit = estimate / (estimate @ w)[:, None]
    expected = np.linalg.norm(estimate_unit - P, axis=1) / np.linalg.norm(P, axis=1)
    np.testing.assert_allclose(distribution_error(estimate, sim.distributions, sim.r),
                               expected, rtol=1e-12)
    with pytest.raises(ValueError):
        distribution_error(sim.distributions[:, :10], sim.distributions, sim.r)
    with pytest.raises(ValueError):
        unit_area(-sim.distributions, sim.r)
