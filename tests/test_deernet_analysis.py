"""Tests of the measurements behind Figures 1-4: band norms, notch, correlations, subspaces, bands."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

import descramble_lib as dl

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


def matrices(min_rows=4, max_rows=24, min_cols=3, max_cols=12):
    """Hypothesis strategy: finite matrices with at least one clearly non-zero entry."""
    shapes = st.tuples(st.integers(min_rows, max_rows), st.integers(min_cols, max_cols))
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=finite)).filter(
        lambda M: np.max(np.abs(M)) > 1e-3)


@pytest.fixture(scope="module")
def untrained():
    """An untrained DEERNet and a few simulated signals (fast; no training)."""
    return dl.deer.DEERNet(rng=3), dl.deer.simulate(120, rng=5).signals


# ---------------------------------------------------------------- band of Figure 2

def test_band_mask_matlab_rows_for_80():
    """The MATLAB convention is rows 1:30 and 50:80 (1-based) for 80 neurons."""
    expected = np.zeros(80, bool)
    expected[0:30] = expected[49:80] = True
    np.testing.assert_array_equal(dl.paper.band_mask(80, half_width=10, rows="matlab"), expected)
    frequencies = np.arange(80) - 40
    np.testing.assert_array_equal(dl.paper.band_mask(80), np.abs(frequencies) >= 10)


@given(n=st.integers(2, 200).map(lambda m: 2 * (m // 2) if m > 2 else 2), h=st.integers(1, 100))
def test_band_mask_matlab_is_symmetric_shifted_by_one_bin(n, h):
    """For even n the MATLAB rows are the symmetric rows moved by one frequency bin."""
    h = min(h, n // 2)
    symmetric = dl.paper.band_mask(n, half_width=h)
    np.testing.assert_array_equal(dl.paper.band_mask(n, half_width=h, rows="matlab"),
                                  np.roll(symmetric, -1))


@given(matrices())
def test_relative_norm_is_the_neuron_axis_energy_outside_the_band(M):
    """Parseval: the 2-D share equals the neuron-axis spectrum's share at |k| >= half_width."""
    h = max(1, M.shape[0] // 4)
    k, share = dl.applied.neuron_axis_spectrum(M)
    np.testing.assert_allclose(dl.paper.band_relative_norm(M, half_width=h), share[k >= h].sum(),
                               rtol=1e-9, atol=1e-12)


@given(matrices(), st.integers(0, 30))
def test_relative_norm_ignores_circular_shifts_and_scale(M, shift):
    """Fourier magnitudes, hence the relative norm, ignore circular shifts and scaling."""
    shifted = -3.0 * np.roll(np.roll(M, shift, axis=0), 2 * shift, axis=1)
    for rows in dl.paper.BAND_ROWS:
        np.testing.assert_allclose(dl.paper.band_relative_norm(shifted, rows=rows, half_width=2),
                                   dl.paper.band_relative_norm(M, rows=rows, half_width=2),
                                   rtol=1e-9, atol=1e-12)


def test_relative_norm_of_smooth_and_rough_rows():
    """A slow cosine along the neurons lies inside the band; an alternating sign outside."""
    neurons = np.arange(80)[:, None]
    inputs = np.random.default_rng(0).standard_normal((1, 30))
    slow = np.cos(2 * np.pi * 3 * neurons / 80) * inputs
    fast = (-1.0) ** neurons * inputs
    assert dl.paper.band_relative_norm(slow) < 1e-20
    np.testing.assert_allclose(dl.paper.band_relative_norm(fast), 1.0, rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(half_width=0), dict(half_width=41), dict(rows="mat"),
                                    dict(half_width=2.5)])
def test_band_options_are_checked(kwargs):
    """Bad band half-widths and row conventions raise ValueError."""
    with pytest.raises(ValueError):
        dl.paper.band_relative_norm(np.ones((80, 4)), **kwargs)


@pytest.mark.parametrize("M", [np.zeros((8, 4)), np.full((8, 4), np.nan), np.ones(8)])
def test_relative_norm_rejects_bad_matrices(M):
    """Zero, non-finite or 1-D input raises ValueError."""
    with pytest.raises(ValueError):
        dl.paper.band_relative_norm(M, half_width=2)


@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 5))
def test_band_norm_lower_bound_is_attained_by_t_u_transpose(seed, h):
    """P = T U_W^T reaches the bound; random orthogonal P never go below it."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((12, 7)) @ np.diag(0.5 ** np.arange(7)) @ rng.standard_normal((7, 9))
    bound = dl.paper.band_norm_lower_bound(W, half_width=h)
    sigma = np.linalg.svd(W, compute_uv=False)
    np.testing.assert_allclose(bound, np.sum(sigma[2 * h - 1:] ** 2) / np.sum(sigma ** 2),
                               rtol=1e-10, atol=1e-14)
    U_W = np.linalg.svd(W)[0]
    optimal = dl.fourier_basis(12) @ U_W.T @ W
    np.testing.assert_allclose(dl.paper.band_relative_norm(optimal, half_width=h), bound,
                               rtol=1e-8, atol=1e-12)
    for _ in range(5):
        P = dl.random_orthogonal(12, rng)
        assert dl.paper.band_relative_norm(P @ W, half_width=h) >= bound - 1e-12


def test_closed_form_relative_norm_is_the_tail_energy(untrained):
    """Under P = T U^T the relative norm is the energy of W outside the first 19 directions u_i."""
    net, X = untrained
    W1, _ = dl.deer.layer_weights(net, 1)
    S1 = dl.deer.preactivations(net, X, 1)
    P = dl.descramble(S1).P
    U = np.linalg.svd(S1, full_matrices=False)[0]
    expected = np.sum((U[:, 19:].T @ W1) ** 2) / np.sum(W1 ** 2)
    np.testing.assert_allclose(dl.paper.band_relative_norm(P @ W1), expected, rtol=1e-9)
    assert expected >= dl.paper.band_norm_lower_bound(W1) - 1e-12


def test_band_norm_lower_bound_rejects_bad_input():
    """A zero matrix or a band wider than the axis raises ValueError."""
    with pytest.raises(ValueError):
        dl.paper.band_norm_lower_bound(np.zeros((8, 3)), half_width=2)
    with pytest.raises(ValueError):
        dl.paper.band_norm_lower_bound(np.ones((8, 3)), half_width=5)


# ---------------------------------------------------------------- descramblers compared

def test_low_frequency_angle_ignores_signs_and_pair_rotations(rng):
    """Sign flips and rotations inside Fourier pairs give angle 0; a random P a large one."""
    d = 16
    P = dl.random_orthogonal(d, rng)
    T = dl.fourier_basis(d)
    rotation = np.eye(d)
    c, s = np.cos(0.7), np.sin(0.7)
    rotation[1:3, 1:3] = [[c, -s], [s, c]]
    signs = np.diag(rng.choice([-1.0, 1.0], d))
    equivalent = T @ signs @ rotation @ T.T @ P
    np.testing.assert_allclose(dl.paper.low_frequency_angle(equivalent, P, n_frequencies=5), 0.0,
                               atol=1e-6)
    assert dl.paper.low_frequency_angle(dl.random_orthogonal(d, rng), P, n_frequencies=5) > 10
    with pytest.raises(ValueError):
        dl.paper.low_frequency_angle(P, P, n_frequencies=10)
    with pytest.raises(ValueError):
        dl.paper.low_frequency_angle(P[:, :4], P)


def test_top_direction_alignment_of_a_dominant_mean(rng):
    """If every signal is a large constant plus small noise, both cosines are near 1."""
    W = rng.standard_normal((6, 20))
    X = 10.0 + 0.01 * rng.standard_normal((20, 50))
    constant, mean = dl.paper.top_direction_alignment(W, W @ X)
    assert constant > 0.999 and mean > 0.999
    with pytest.raises(ValueError):
        dl.paper.top_direction_alignment(W, X)


# ---------------------------------------------------------------- notch

def test_zero_frequency_contrast_vanishes_for_zero_row_sums(rng):
    """Rows that sum to zero leave the column w2 = 0 (and the origin) empty."""
    M = rng.standard_normal((20, 16))
    M -= M.mean(axis=1, keepdims=True)
    column, origin = dl.paper.zero_frequency_contrast(M, half_width=5)
    assert column < 1e-25 and origin < 1e-25


def test_zero_frequency_column_energy_is_invariant_under_orthogonal_p(rng):
    """||P W 1||^2, the energy of the w2 = 0 column, does not depend on P."""
    W = rng.standard_normal((12, 10))
    P = dl.random_orthogonal(12, rng)
    column_energy = [np.sum(dl.paper.centred_fourier_magnitude(Y)[:, 5] ** 2) for Y in (W, P @ W)]
    np.testing.assert_allclose(column_energy[0], column_energy[1], rtol=1e-12)
    np.testing.assert_allclose(column_energy[0], 12 * np.sum(W.sum(axis=1) ** 2), rtol=1e-12)


def test_zero_frequency_contrast_of_a_constant_offset(rng):
    """Adding the same constant to every weight lights up the origin only."""
    M = rng.standard_normal((20, 16))
    M -= M.mean(axis=1, keepdims=True)
    column, origin = dl.paper.zero_frequency_contrast(M + 5.0, half_width=5)
    assert column < 1e-20 and origin > 10


def test_zero_frequency_contrast_rejects_narrow_matrices():
    """Fewer than three columns cannot have neighbours of w2 = 0."""
    with pytest.raises(ValueError):
        dl.paper.zero_frequency_contrast(np.ones((8, 2)), half_width=2)


# ---------------------------------------------------------------- similarity of images

@given(matrices(), st.floats(0.1, 10), st.integers(0, 20))
def test_magnitude_correlation_of_scaled_and_shifted_copies_is_one(M, c, shift):
    """Scaled or circularly shifted copies have identical Fourier magnitudes."""
    copy = -c * np.roll(M, shift, axis=0)
    if np.ptp(dl.paper.centred_fourier_magnitude(M)) > 1e-6:
        np.testing.assert_allclose(dl.paper.magnitude_correlation(M, copy), 1.0, atol=1e-9)


def test_magnitude_correlation_is_symmetric_and_bounded(rng):
    """corr(A, B) = corr(B, A) and lies in [-1, 1]."""
    A, B = rng.standard_normal((2, 16, 9))
    value = dl.paper.magnitude_correlation(A, B)
    np.testing.assert_allclose(value, dl.paper.magnitude_correlation(B, A), rtol=1e-12)
    assert -1 <= value <= 1
    with pytest.raises(ValueError):
        dl.paper.magnitude_correlation(A, B[:, :8])


# ---------------------------------------------------------------- singular vectors and subspaces

@given(matrices(min_rows=3, max_rows=12, min_cols=3, max_cols=12))
def test_scaled_singular_vectors(M):
    """Rows are sigma_i times orthonormal vectors, largest entry positive; they rebuild M."""
    U, sigma, Vt = np.linalg.svd(M, full_matrices=False)
    for side in ("left", "right"):
        R = dl.paper.scaled_singular_vectors(M, side=side)
        np.testing.assert_allclose(R @ R.T, np.diag(sigma ** 2), atol=1e-9 * sigma[0] ** 2)
        largest = R[np.arange(R.shape[0]), np.argmax(np.abs(R), axis=1)]
        assert np.all(largest >= 0)
    left, right = (dl.paper.scaled_singular_vectors(M, side=side) for side in ("left", "right"))
    keep = sigma > 1e-8 * sigma[0]
    signs = np.sign(np.sum(left * U.T, axis=1)) * np.sign(np.sum(right * Vt, axis=1))
    np.testing.assert_allclose((left[keep].T / sigma[keep] * signs[keep]) @ right[keep], M,
                               atol=1e-8 * sigma[0])


def test_scaled_singular_vectors_options(rng):
    """k keeps the leading vectors; bad side or k raise ValueError."""
    M = rng.standard_normal((6, 9))
    assert dl.paper.scaled_singular_vectors(M, side="right", k=2).shape == (2, 9)
    assert dl.paper.scaled_singular_vectors(M, side="left", k=3).shape == (3, 6)
    for kwargs in (dict(side="up"), dict(side="left", k=7), dict(side="left", k=0)):
        with pytest.raises(ValueError):
            dl.paper.scaled_singular_vectors(M, **kwargs)


def test_singular_subspace_is_orthonormal_and_spans_the_leading_vectors(rng):
    """The basis is orthonormal and spans the same space as the leading singular vectors."""
    M = rng.standard_normal((10, 7))
    U, _, Vt = np.linalg.svd(M)
    left = dl.paper.singular_subspace(M, 3, side="left")
    right = dl.paper.singular_subspace(M, 3, side="right")
    np.testing.assert_allclose(left.T @ left, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(left @ left.T, U[:, :3] @ U[:, :3].T, atol=1e-12)
    np.testing.assert_allclose(right @ right.T, Vt[:3].T @ Vt[:3], atol=1e-12)
    with pytest.raises(ValueError):
        dl.paper.singular_subspace(M, 8, side="left")


def test_subspace_overlap_limits(rng):
    """1 for a subspace inside another, 0 for orthogonal ones, invariant to the basis."""
    Q = dl.random_orthogonal(12, rng)
    np.testing.assert_allclose(dl.paper.subspace_overlap(Q[:, :3], Q[:, :5]), 1.0, atol=1e-12)
    np.testing.assert_allclose(dl.paper.subspace_overlap(Q[:, :3], Q[:, 3:8]), 0.0, atol=1e-12)
    mixed = Q[:, :3] @ rng.standard_normal((3, 3))
    np.testing.assert_allclose(dl.paper.subspace_overlap(mixed, Q[:, 1:6]),
                               dl.paper.subspace_overlap(Q[:, :3], Q[:, 1:6]), atol=1e-12)
    np.testing.assert_allclose(dl.paper.subspace_overlap(Q[:, :3], Q[:, 1:6]), 2 / 3, atol=1e-12)
    with pytest.raises(ValueError):
        dl.paper.subspace_overlap(Q[:, :5], Q[:, :3])


@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 8))
def test_nested_overlaps_match_one_at_a_time(seed, K):
    """The cumulative computation equals subspace_overlap for every leading dimension."""
    rng = np.random.default_rng(seed)
    A, B = (dl.random_orthogonal(12, rng)[:, :K] for _ in range(2))
    expected = [dl.paper.subspace_overlap(A[:, :k], B[:, :k]) for k in range(1, K + 1)]
    np.testing.assert_allclose(dl.paper.nested_subspace_overlaps(A, B), expected, rtol=1e-10,
                               atol=1e-12)
    with pytest.raises(ValueError):
        dl.paper.nested_subspace_overlaps(2 * A, B)


def test_subspace_overlap_of_random_subspaces_averages_l_over_n(rng):
    """A uniformly random k-subspace puts on average l/n of itself in a fixed l-subspace."""
    n, k, l = 40, 4, 10
    fixed = np.eye(n)[:, :l]
    values = [dl.paper.subspace_overlap(rng.standard_normal((n, k)), fixed) for _ in range(400)]
    np.testing.assert_allclose(np.mean(values), l / n, atol=0.02)


def test_kernel_resemblance_of_the_kernel_itself(rng):
    """The kernel's own left singular vectors match it exactly; shapes are checked."""
    K = dl.deer.dipolar_kernel(dl.deer.time_grid(), dl.deer.distance_grid(), delta_r_weights=True)
    correlation, overlap = dl.paper.kernel_resemblance(K, K, side="left", n_rows=20, k=10)
    np.testing.assert_allclose([correlation, overlap], 1.0, rtol=1e-10)
    reader = rng.standard_normal((20, 20)) @ dl.paper.singular_subspace(K, 20, side="left").T
    correlation, overlap = dl.paper.kernel_resemblance(reader, K, side="right", n_rows=20, k=20)
    np.testing.assert_allclose(overlap, 1.0, rtol=1e-10)
    with pytest.raises(ValueError):
        dl.paper.kernel_resemblance(reader[:, :100], K, side="right", n_rows=20)


# ---------------------------------------------------------------- bases and bands

def test_smooth_bases():
    """Unit-norm columns; Chebyshev column i is cos(i arccos x) up to its norm."""
    x = np.linspace(-1, 1, 50)
    for kind in dl.paper.SMOOTH_BASES:
        B = dl.paper.smooth_basis(50, 6, kind=kind)
        np.testing.assert_allclose(np.linalg.norm(B, axis=0), 1.0, rtol=1e-12)
    T = dl.paper.smooth_basis(50, 6)
    reference = np.cos(np.arange(6) * np.arccos(x)[:, None])
    np.testing.assert_allclose(T, reference / np.linalg.norm(reference, axis=0), atol=1e-12)
    legendre = np.polynomial.legendre.legval(x, [0, 0, 0, 1])
    np.testing.assert_allclose(dl.paper.smooth_basis(50, 4, kind="legendre")[:, 3],
                               legendre / np.linalg.norm(legendre), atol=1e-12)
    with pytest.raises(ValueError):
        dl.paper.smooth_basis(50, 4, kind="hermite")


def test_orthonormalised_chebyshev_and_legendre_coincide():
    """Both span the polynomials of degree <= i, so Gram-Schmidt gives the same columns."""
    chebyshev = dl.paper.smooth_basis(60, 8, orthonormal=True)
    np.testing.assert_allclose(chebyshev.T @ chebyshev, np.eye(8), atol=1e-12)
    np.testing.assert_allclose(dl.paper.smooth_basis(60, 8, kind="legendre", orthonormal=True),
                               chebyshev, atol=1e-10)
    raw = dl.paper.smooth_basis(60, 8)
    assert np.all(np.sum(raw * chebyshev, axis=0) > 0)
    with pytest.raises(ValueError):
        dl.paper.smooth_basis(5, 6)


def test_zero_crossings_and_parity_of_chebyshev_polynomials():
    """C_i has i sign changes (exact zeros skipped) and parity (-1)^i."""
    basis = dl.paper.smooth_basis(101, 8)
    np.testing.assert_array_equal(dl.paper.zero_crossings(basis), np.arange(8))
    np.testing.assert_allclose(dl.paper.even_share(basis), np.arange(8) % 2 == 0, atol=1e-12)
    assert dl.paper.zero_crossings(np.array([[1.0], [0.0], [-1.0]]))[0] == 1
    with pytest.raises(ValueError):
        dl.paper.even_share(np.zeros((5, 2)))


def test_column_cosines_ignore_signs_and_scale(rng):
    """Scaled or negated copies have cosine 1; orthogonal columns 0; shapes are checked."""
    Q = dl.random_orthogonal(10, rng)
    np.testing.assert_allclose(dl.paper.column_cosines(Q[:, :3], -2.0 * Q[:, :3]), 1.0, rtol=1e-12)
    np.testing.assert_allclose(dl.paper.column_cosines(Q[:, :3], Q[:, 3:6]), 0.0, atol=1e-12)
    with pytest.raises(ValueError):
        dl.paper.column_cosines(Q[:, :3], Q[:, :4])


def test_align_signs_only_flips_columns(rng):
    """Aligned columns are the originals up to sign, with positive closest inner products."""
    reference = dl.paper.smooth_basis(30, 5)
    U = reference[:, [2, 0, 4]] * np.array([-1.0, 1.0, -1.0]) + 0.01 * rng.standard_normal((30, 3))
    aligned = dl.paper.align_signs(U, reference)
    np.testing.assert_allclose(np.abs(aligned), np.abs(U), rtol=0)
    assert np.all(np.sum(aligned * reference[:, [2, 0, 4]], axis=0) > 0)


def test_bandedness_of_known_patterns():
    """Diagonal: 1 for every width; mass on the second off-diagonal: 0 for k = 1, 1 for k = 2."""
    np.testing.assert_allclose(dl.paper.bandedness(np.diag([1.0, -2.0, 3.0])), 1.0)
    G = np.diag(np.ones(4), 2)
    np.testing.assert_allclose(dl.paper.bandedness(G, widths=(0, 1, 2)), [0.0, 0.0, 1.0])
    uniform = dl.paper.bandedness(np.ones((5, 5)), widths=(0, 1))
    np.testing.assert_allclose(uniform, [5 / 25, 13 / 25])
    with pytest.raises(ValueError):
        dl.paper.bandedness(np.zeros((3, 3)))


@given(st.integers(0, 2 ** 32 - 1))
def test_bandedness_is_sign_invariant_and_bounded(seed):
    """Sign changes of rows or columns do not change the bandedness, which lies in [0, 1]."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((6, 6))
    signs = rng.choice([-1.0, 1.0], size=(2, 6))
    values = dl.paper.bandedness(G)
    np.testing.assert_allclose(dl.paper.bandedness(signs[0][:, None] * G * signs[1]), values,
                               rtol=1e-12)
    assert np.all((values >= 0) & (values <= 1)) and np.all(np.diff(values) >= 0)


def test_random_bandedness_is_seeded_and_stays_in_its_span():
    """Same seed, same draws; with a span, random frames inside the reference span are complete."""
    basis = dl.paper.smooth_basis(40, 6)
    first = dl.paper.random_bandedness(basis, 6, n_draws=5, rng=1)
    np.testing.assert_array_equal(first, dl.paper.random_bandedness(basis, 6, n_draws=5, rng=1))
    assert first.shape == (5, 3) and np.all((first >= 0) & (first <= 1))
    span = np.eye(6)
    inside = dl.paper.random_bandedness(span, 6, n_draws=5, span=span, widths=(5,), rng=2)
    np.testing.assert_allclose(inside, 1.0)
    assert dl.paper.random_bandedness(basis, 6, n_draws=5, rng=None).shape == (5, 3)
    with pytest.raises(ValueError, match="rng"):
        dl.paper.random_bandedness(basis, 6, n_draws=5, rng="abc")
    with pytest.raises(ValueError):
        dl.paper.random_bandedness(basis, 6, span=np.ones((40, 6)), rng=0)


def test_empirical_percentile():
    """Share of samples strictly below the value, in per cent."""
    assert dl.paper.empirical_percentile(2.5, [1, 2, 3, 4]) == 50.0
    assert dl.paper.empirical_percentile(10, [1, 2]) == 100.0
    assert dl.paper.empirical_percentile(1, [1, 2]) == 0.0
    with pytest.raises(ValueError):
        dl.paper.empirical_percentile(1.0, [])


# ---------------------------------------------------------------- on a (small, untrained) DEERNet

def test_descramble_deernet_layer_closed_form(untrained):
    """Strategy (d) sits at the bound; shapes follow the layer."""
    net, X = untrained
    first = dl.paper.descramble_deernet_layer(net, X, 1, strategy="d")
    second = dl.paper.descramble_deernet_layer(net, X, 2, strategy="d")
    assert first.P.shape == (80, 80) and second.P.shape == (256, 256)
    assert abs(first.relative_gap) < 1e-8 and abs(second.relative_gap) < 1e-8
    with pytest.raises(ValueError):
        dl.paper.descramble_deernet_layer(net, X, 1, strategy="e")


def test_explain_deernet_numbers_are_consistent(untrained):
    """The summary agrees with the single measurements and stays in range."""
    net, X = untrained
    summary = dl.paper.explain_deernet(net, X, strategies=("d",), n_subspace=5, n_components=6,
                                 n_draws=4, rng=0)
    W1, _ = dl.deer.layer_weights(net, 1)
    weights = summary.results["d"].P @ W1
    np.testing.assert_allclose(summary.relative_norm["d"], dl.paper.band_relative_norm(weights))
    np.testing.assert_allclose(summary.band_lower_bound, dl.paper.band_norm_lower_bound(W1))
    assert summary.band_lower_bound <= summary.relative_norm["d"] + 1e-12
    assert 0 <= summary.overlap <= 1 and -1 <= summary.fourier_correlation <= 1
    assert summary.random_bandedness.shape == (4, 3)
    assert np.all((summary.percentile >= 0) & (summary.percentile <= 100))
    with pytest.raises(ValueError):
        dl.paper.explain_deernet(net, X, strategies=("a",), rng=0)


# ---------------------------------------------------------------- plotting helpers

def test_plot_descrambled_weights_titles_the_relative_norm(rng):
    """The bottom panel's title carries the relative norm of the matrix drawn on top."""
    Y = rng.standard_normal((20, 30))
    fig, axes = plt.subplots(2, 1)
    dl.plotting.plot_descrambled_weights(dl.paper.fourier_view(Y, half_width=3), axes=axes,
                                         omega2_limit=5)
    assert axes[1].get_title() == f"relative norm {dl.paper.band_relative_norm(Y, half_width=3):.3f}"
    assert axes[1].get_xlim() == (-5.5, 5.5)
    plt.close(fig)


def test_plot_inner_product_map_and_null_distribution(rng):
    """Both helpers draw on the given axes and report the percentile in the legend."""
    fig, axes = plt.subplots(1, 2)
    dl.plotting.plot_inner_product_map(rng.standard_normal((5, 5)), ax=axes[0], width=1)
    samples = np.arange(10.0)
    dl.plotting.plot_null_distribution(
        samples, 4.5, percentile=dl.paper.empirical_percentile(4.5, samples), ax=axes[1])
    labels = [text.get_text() for text in axes[1].get_legend().get_texts()]
    assert any("50th percentile" in label for label in labels)
    plt.close(fig)
