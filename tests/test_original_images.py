"""Fourier images, crops and "Rel norm" as the paper's MATLAB scripts compute them."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from descramble_lib.paper import (FIGURE2_CROP, OriginalImage, band_relative_norm,
                                  centred_fourier_magnitude, original_dft,
                                  original_fourier_image, original_frequencies,
                                  original_kernel_image, original_layer_image,
                                  original_relative_norm, original_weights_panel)


def _matrix(seed: int, rows: int, cols: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, cols))


@given(seed=st.integers(0, 10_000), rows=st.integers(1, 24), cols=st.integers(1, 24))
def test_fft_route_equals_the_dense_definition(seed, rows, cols):
    """|F_rᴴ X F_c| by FFTs equals the product with the dense matrices (odd sizes too)."""
    X = _matrix(seed, rows, cols)
    dense = np.abs(original_dft(rows).conj().T @ X @ original_dft(cols))
    np.testing.assert_allclose(original_fourier_image(X), dense,
                               atol=1e-10 * max(1.0, float(dense.max())))


def test_dense_matrix_is_dftmtx_with_alternating_rows():
    """F_N = diag((-1)^k) DFT_N with DFT_N[j, k] = exp(-2 pi i j k / N)."""
    F = original_dft(6)
    np.testing.assert_allclose(F[1], -np.exp(-2j * np.pi * np.arange(6) / 6))
    np.testing.assert_allclose(F.conj().T @ F, 6 * np.eye(6), atol=1e-12)


@given(seed=st.integers(0, 10_000), rows=st.sampled_from([2, 4, 8, 10, 80]),
       cols=st.sampled_from([2, 6, 16, 256]))
def test_image_is_the_book_image_mirrored(seed, rows, cols):
    """For real X and even sizes, row j of |F_rᴴ X F_c| is the book's row -j (and column -c)."""
    X = _matrix(seed, rows, cols)
    book = centred_fourier_magnitude(X)
    original = original_fourier_image(X)
    np.testing.assert_allclose(original, book[(-np.arange(rows)) % rows], atol=1e-9)
    np.testing.assert_allclose(original, book[:, (-np.arange(cols)) % cols], atol=1e-9)


def test_frequencies_of_a_pure_mode():
    """A product of cosines lands on the rows and columns its frequency says."""
    rows, cols, p, q = 8, 16, 3, 5
    X = np.outer(np.cos(2 * np.pi * p * np.arange(rows) / rows),
                 np.cos(2 * np.pi * q * np.arange(cols) / cols))
    M = original_fourier_image(X)
    r_freq = original_frequencies(rows, side="left")
    c_freq = original_frequencies(cols, side="right")
    bright = np.argwhere(M > 0.5 * M.max())
    assert {(abs(r_freq[i]), abs(c_freq[j])) for i, j in bright} == {(p, q)}
    assert r_freq[rows // 2] == 0 and c_freq[cols // 2] == 0


@given(seed=st.integers(0, 10_000), cols=st.integers(1, 40),
       scale=st.floats(1e-6, 1e6) | st.floats(-1e6, -1e-6))
def test_relative_norm_is_scale_invariant_and_bounded(seed, cols, scale):
    """Rel norm(c X) = Rel norm(X), and it lies in [0, number of blocks]."""
    X = _matrix(seed, 80, cols)
    value = original_relative_norm(X)
    assert 0 <= value <= 2 + 1e-12
    assert original_relative_norm(scale * X) == pytest.approx(value, rel=1e-9)


@given(seed=st.integers(0, 10_000), shift_rows=st.integers(0, 79), shift_cols=st.integers(0, 31))
def test_relative_norm_ignores_circular_shifts(seed, shift_rows, shift_cols):
    """Circular shifts change only phases, so the magnitude image and the Rel norm stay."""
    X = _matrix(seed, 80, 32)
    shifted = np.roll(X, (shift_rows, shift_cols), axis=(0, 1))
    np.testing.assert_allclose(original_fourier_image(shifted), original_fourier_image(X),
                               atol=1e-9)
    assert original_relative_norm(shifted) == pytest.approx(original_relative_norm(X), rel=1e-9)


@given(seed=st.integers(0, 10_000), cols=st.integers(2, 40))
def test_relative_norm_is_spectral_not_frobenius(seed, cols):
    """Each block term is ||M_b||_2^2 / ||M||_2^2 with spectral norms; a single block of
    all rows gives exactly 1, while the Frobenius share of those rows is different."""
    X = _matrix(seed, 80, cols)
    M = original_fourier_image(X)
    expected = sum(np.linalg.norm(M[a - 1:b], 2) ** 2 for a, b in ((1, 30), (50, 80)))
    assert original_relative_norm(X) == pytest.approx(expected / np.linalg.norm(M, 2) ** 2,
                                                      rel=1e-10)
    assert original_relative_norm(X, blocks=((1, 80),)) == pytest.approx(1.0, rel=1e-12)


def test_in_band_matrix_has_zero_relative_norm_by_both_definitions():
    """Rows that vary only at low neuron-axis frequency leave the out-of-band rows empty."""
    rng = np.random.default_rng(0)
    neurons = np.arange(80)
    X = np.outer(np.cos(2 * np.pi * 3 * neurons / 80), rng.standard_normal(64))
    X += np.outer(np.ones(80), rng.standard_normal(64))
    assert original_relative_norm(X) < 1e-25
    assert band_relative_norm(X) < 1e-25


def test_figure2_panel_crop_and_orientation():
    """Rows 20-60 x columns 96-164, transposed and flipped: (69, 41), w2 = 35 on top."""
    X = _matrix(1, 80, 256)
    panel = original_weights_panel(X)
    assert isinstance(panel, OriginalImage)
    assert panel.image.shape == (69, 41)
    (r0, r1), (c0, c1) = FIGURE2_CROP
    crop = original_fourier_image(X)[r0 - 1:r1, c0 - 1:c1]
    np.testing.assert_array_equal(panel.image, crop.T[::-1])
    np.testing.assert_array_equal(panel.row_frequencies, np.arange(35, -34, -1))
    np.testing.assert_array_equal(panel.column_frequencies, np.arange(21, -20, -1))
    assert (panel.row_axis, panel.column_axis) == ("time", "neurons")


def test_figure3_crops():
    """Kernel image rows 88-167 of 256 x 256; layer image columns 58-198 of 80 x 256."""
    K = _matrix(2, 256, 256)
    W = _matrix(3, 80, 256)
    kernel, layer = original_kernel_image(K), original_layer_image(W)
    assert kernel.image.shape == (80, 256) and layer.image.shape == (80, 141)
    np.testing.assert_array_equal(kernel.row_frequencies, np.arange(41, -39, -1))
    np.testing.assert_array_equal(layer.row_frequencies, np.arange(40, -40, -1))
    np.testing.assert_array_equal(layer.column_frequencies, np.arange(-71, 70))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    np.testing.assert_allclose(layer.image, original_fourier_image(s[:, None] * Vt)[:, 57:198])


@pytest.mark.parametrize("call, match", [
    (lambda: original_fourier_image(np.ones(5)), "2-D"),
    (lambda: original_fourier_image(np.full((3, 3), np.nan)), "non-finite"),
    (lambda: original_fourier_image(np.ones((3, 3)) * 1j), "real"),
    (lambda: original_relative_norm(np.ones((40, 8))), "block"),
    (lambda: original_relative_norm(np.zeros((80, 8))), "zero"),
    (lambda: original_relative_norm(np.ones((80, 8)), blocks=((5, 2),)), "block"),
    (lambda: original_relative_norm(np.ones((80, 8)), blocks=(7,)), "pair"),
    (lambda: original_relative_norm(np.ones((80, 8)), blocks=()), "empty"),
    (lambda: original_weights_panel(np.ones((80, 100))), "columns"),
    (lambda: original_kernel_image(np.ones((100, 100))), "rows"),
    (lambda: original_layer_image(np.ones((80, 150))), "columns"),
    (lambda: original_frequencies(8, side="middle"), "side"),
    (lambda: original_dft(0), "n"),
])
def test_bad_input_raises_value_error(call, match):
    """Wrong shapes, NaN, complex input and bad ranges are ValueErrors that say what is wrong."""
    with pytest.raises(ValueError, match=match):
        call()


def test_plotted_panel_puts_each_frequency_where_the_view_says():
    """plot_original_image: the first row's frequency at the top edge, the first column's at the left."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from descramble_lib.plotting import plot_original_image

    panel = original_weights_panel(_matrix(4, 80, 256))
    fig, ax = plt.subplots()
    plot_original_image(panel, ax=ax, colorbar=False)
    left, right = ax.get_xlim()
    bottom, top = ax.get_ylim()
    assert (left, right) == (21.5, -19.5)      # w1 from 21 (left) to -19 (right)
    assert (bottom, top) == (-33.5, 35.5)      # w2 from -33 (bottom) to 35 (top)
    plt.close(fig)
