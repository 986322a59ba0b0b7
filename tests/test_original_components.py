"""Tests of Figure 4 as the original script computes it: Chebyshev columns, the middle-sample
normalisation, polynomial prediction bands and the raw inner products."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, strategies as st

import descramble_lib as dl

paper = dl.paper


def matlab_normalisation(U):
    """A line-by-line transliteration of the normalisation loop of fig4.m (1-based i)."""
    polys = np.zeros_like(U)
    n = U.shape[0]
    for i in range(1, U.shape[1] + 1):
        u = U[:, i - 1].copy()
        middle = lambda v: 0.5 * (v[n // 2 - 1] + v[n // 2])  # noqa: E731
        u = u / abs(middle(u))
        if i % 2 == 0:
            if i % 4 == 0:
                u = (middle(u) / abs(middle(u))) * u
            else:
                u = -(middle(u) / abs(middle(u))) * u
        polys[:, i - 1] = u / np.max(np.abs(u))
    return polys


def test_original_chebyshev_is_cos_of_multiple_angles():
    """Column j is C_{j+1}: C_i(cos t) = cos(i t), and C_i(+-1) = (+-1)^i."""
    C = paper.original_chebyshev(256, 20)
    x = np.linspace(-1, 1, 256)
    assert C.shape == (256, 20)
    degrees = np.arange(1, 21)
    np.testing.assert_allclose(C, np.cos(np.outer(np.arccos(x), degrees)), atol=1e-10)
    np.testing.assert_allclose(C[-1], 1.0)
    np.testing.assert_allclose(C[0], (-1.0) ** degrees)


@given(st.integers(1, 40), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_normalisation_matches_the_script_and_keeps_only_a_sign(half, k, seed):
    """Same as the MATLAB loop; result is +-u/max|u|; even i get the sign of C_i(0)."""
    rng = np.random.default_rng(seed)
    U = rng.standard_normal((2 * half, k))
    polys = paper.original_normalisation(U)
    np.testing.assert_allclose(polys, matlab_normalisation(U), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.max(np.abs(polys), axis=0), 1.0)
    ratio = polys * np.max(np.abs(U), axis=0) / U
    np.testing.assert_allclose(np.abs(ratio), 1.0)
    index = np.arange(1, k + 1)
    middle = 0.5 * (polys[half - 1] + polys[half])
    even = index % 2 == 0
    assert np.all(np.sign(middle[even]) == (-1.0) ** (index[even] // 2))
    assert np.all(np.sign(ratio[0, ~even]) == 1.0)        # odd i keep the SVD's sign


@pytest.mark.parametrize("U", [np.ones((5, 2)), np.array([[1.0], [-1.0]]),
                               np.array([[np.nan], [1.0]]), np.ones(4)])
def test_normalisation_rejects_bad_input(U):
    """Odd length, zero middle mean, NaN or 1-D input raise ValueError."""
    with pytest.raises(ValueError):
        paper.original_normalisation(U)


@given(st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_fit_of_a_polynomial_of_the_fitted_degree_is_exact(degree, seed):
    """A degree-i polynomial is fitted exactly and its band has zero width."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 5, size=degree + 2 + rng.integers(0, 40)))
    y = np.polynomial.Polynomial(rng.standard_normal(degree + 1))(x)
    band = paper.polynomial_prediction_band(x, y, degree)
    scale = 1 + np.max(np.abs(y))
    np.testing.assert_allclose(band.fit, y, atol=1e-8 * scale)
    assert np.max(band.standard_error) <= 1e-8 * scale


@given(st.integers(0, 4), st.integers(0, 2**32 - 1), st.floats(0.1, 10), st.floats(-2, 2))
def test_band_is_invariant_under_affine_change_of_x(degree, seed, scale, shift):
    """The fit and band depend on the polynomial space only, not on how x is scaled."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-1, 1, 30)
    y = rng.standard_normal(30)
    a = paper.polynomial_prediction_band(x, y, degree)
    b = paper.polynomial_prediction_band(scale * x + shift, y, degree)
    np.testing.assert_allclose(a.fit, b.fit, atol=1e-9)
    np.testing.assert_allclose(a.standard_error, b.standard_error, rtol=1e-8)


def test_band_matches_the_textbook_formula(rng):
    """Monomial design, explicit (A^T A)^{-1}: the same fit, standard error and quantile."""
    x = np.linspace(0, 2, 25)
    y = np.sin(3 * x) + 0.1 * rng.standard_normal(25)
    band = paper.polynomial_prediction_band(x, y, 3, level=0.9)
    A = np.vander(x, 4)
    beta = np.linalg.solve(A.T @ A, A.T @ y)
    s2 = np.sum((y - A @ beta) ** 2) / (25 - 4)
    leverage = np.einsum("ij,jk,ik->i", A, np.linalg.inv(A.T @ A), A)
    np.testing.assert_allclose(band.fit, A @ beta, atol=1e-10)
    np.testing.assert_allclose(band.standard_error, np.sqrt(s2 * (1 + leverage)), rtol=1e-8)
    assert band.quantile == pytest.approx(scipy.stats.t.ppf(0.95, 21))
    np.testing.assert_allclose(band.fit, np.polyval(np.polyfit(x, y, 3), x), atol=1e-10)


def test_band_holds_95_percent_of_fresh_draws(rng):
    """Linear model with Gaussian noise: a fresh draw falls in the 95 % band 95 % of the time."""
    x = np.linspace(-1, 1, 20)
    truth = 1 - 2 * x + 0.5 * x ** 2
    hits = []
    for _ in range(2000):
        band = paper.polynomial_prediction_band(x, truth + 0.3 * rng.standard_normal(20), 2)
        k = rng.integers(20)
        fresh = truth[k] + 0.3 * rng.standard_normal()
        hits.append(band.lower[k] <= fresh <= band.upper[k])
    # binomial standard deviation sqrt(0.95 * 0.05 / 2000) = 0.005: four of them
    assert abs(np.mean(hits) - 0.95) < 0.02


def test_wider_level_gives_a_wider_band(rng):
    """The band grows with its level; the fit does not change."""
    x = np.linspace(-1, 1, 40)
    y = rng.standard_normal(40)
    narrow = paper.polynomial_prediction_band(x, y, 2, level=0.5)
    wide = paper.polynomial_prediction_band(x, y, 2, level=0.99)
    np.testing.assert_allclose(narrow.fit, wide.fit)
    assert np.all(wide.upper - wide.lower > narrow.upper - narrow.lower)
    assert narrow.share_inside(y) <= wide.share_inside(y)


@pytest.mark.parametrize("x, y, degree, level", [
    (np.linspace(0, 1, 5), np.zeros(4), 1, 0.95),        # shapes differ
    (np.linspace(0, 1, 3), np.zeros(3), 2, 0.95),        # too few points for a band
    (np.zeros(10), np.zeros(10), 1, 0.95),               # one distinct x
    (np.linspace(0, 1, 10), np.zeros(10), -1, 0.95),     # negative degree
    (np.linspace(0, 1, 10), np.zeros(10), 1, 1.0),       # level outside (0, 1)
    (np.linspace(0, 1, 10), np.full(10, np.nan), 1, 0.95),
])
def test_band_rejects_bad_input(x, y, degree, level):
    """Bad shapes, degrees, levels or values raise ValueError."""
    with pytest.raises(ValueError):
        paper.polynomial_prediction_band(x, y, degree, level=level)


def test_share_inside_checks_its_shape(rng):
    """share_inside refuses values of another length."""
    band = paper.polynomial_prediction_band(np.linspace(-1, 1, 10), rng.standard_normal(10), 1)
    with pytest.raises(ValueError):
        band.share_inside(np.zeros(9))


def test_inner_products_are_the_raw_products_of_the_script(rng):
    """|polys^T chebs| with the script's normalisation, degrees 1..n, rows = components."""
    U, _ = np.linalg.qr(rng.standard_normal((64, 12)))
    G = paper.original_inner_products(U, n=10)
    expected = np.abs(matlab_normalisation(U[:, :10]).T @ paper.original_chebyshev(64, 10))
    np.testing.assert_allclose(G, expected, rtol=1e-12)
    with pytest.raises(ValueError):
        paper.original_inner_products(U, n=13)


def test_odd_polynomials_break_the_middle_sample_normalisation():
    """An exactly odd component has middle mean 0: the script would divide by zero."""
    C = paper.original_chebyshev(256, 20)
    with pytest.raises(ValueError, match="zero middle mean"):
        paper.original_normalisation(C)


def test_figure_of_shifted_chebyshev_components_fits_them_exactly():
    """Components C_i + 0.01 (degree i): fits are exact, components only rescaled."""
    C = paper.original_chebyshev(256, 20) + 0.01
    figure = paper.original_figure_4(C / np.linalg.norm(C, axis=0))
    np.testing.assert_allclose(np.abs(figure.components), np.abs(C) / np.max(np.abs(C), axis=0),
                               atol=1e-12)
    for i, band in enumerate(figure.bands, start=1):
        assert band.degree == i
        np.testing.assert_allclose(band.fit, figure.components[:, i - 1], atol=1e-10)
    assert figure.inner_products.shape == (10, 10)
    assert figure.chebyshev_inside().shape == (5,)
    with pytest.raises(ValueError):
        paper.original_figure_4(C[:, :19])


def test_random_bandedness_is_seeded_and_a_share():
    """Same seed, same draws; every value in [0, 1] and growing with the width."""
    a = paper.original_random_bandedness(64, 10, widths=(0, 1, 2), n_draws=20, rng=3)
    b = paper.original_random_bandedness(64, 10, widths=(0, 1, 2), n_draws=20, rng=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (20, 3) and np.all((a >= 0) & (a <= 1))
    assert np.all(np.diff(a, axis=1) >= 0)
    with pytest.raises(ValueError):
        paper.original_random_bandedness(8, 9, rng=0)


def test_plot_original_figure_4_draws_six_panels():
    """Panels 1-5 carry the component, fit, two band edges and C_i; panel 6 one image."""
    C = paper.original_chebyshev(256, 20) + 0.01
    figure = paper.original_figure_4(C / np.linalg.norm(C, axis=0))
    fig, axes = plt.subplots(2, 3)
    dl.plotting.plot_original_figure_4(figure, axes=axes)
    assert all(len(ax.lines) == 5 for ax in axes.ravel()[:5])
    assert len(axes.ravel()[5].images) == 1
    plt.close(fig)
