"""Tests of comparing descramblers modulo non-uniqueness: blocks, angles, alignment, Davis–Kahan."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, strategies as st

import descramble_lib as dl


def block_rotation(blocks, rng):
    """A block-diagonal orthogonal matrix with one Haar-random block per index block."""
    d = sum(len(block) for block in blocks)
    G = np.zeros((d, d))
    for block in blocks:
        G[np.ix_(block, block)] = dl.random_orthogonal(len(block), rng) if len(block) > 1 \
            else rng.choice([-1.0, 1.0])
    return G


def test_tie_blocks_groups_equal_neighbours():
    """Equal consecutive values form one block, in either sort direction."""
    blocks = dl.comparison.tie_blocks([5.0, 3.0, 3.0, 1.0, 1.0, 1.0])
    assert [list(b) for b in blocks] == [[0], [1, 2], [3, 4, 5]]
    assert [list(b) for b in dl.comparison.tie_blocks([0.0, 1.0, 1.0 + 1e-12])] == [[0], [1, 2]]


@pytest.mark.parametrize("d, expected", [(1, [[0]]), (4, [[0], [1, 2], [3]]),
                                         (5, [[0], [1, 2], [3, 4]])])
def test_fourier_blocks(d, expected):
    """Fourier groups: the constant, cos/sin pairs, and the lone Nyquist mode for even d."""
    assert [list(b) for b in dl.fourier_blocks(d)] == expected


@pytest.mark.parametrize("values", [[1.0, 3.0, 2.0], [[1.0, 2.0]], [], [1.0, np.nan]])
def test_tie_blocks_rejects_bad_values(values):
    """Unsorted, 2-D, empty or non-finite values raise ValueError."""
    with pytest.raises(ValueError):
        dl.comparison.tie_blocks(values)


@given(st.integers(2, 20), st.integers(0, 2**32 - 1))
def test_distance_zero_for_equivalent_descramblers(d, seed):
    """T G T^T P is at distance 0 from P for block-orthogonal G on the Fourier groups."""
    rng = np.random.default_rng(seed)
    P = dl.random_orthogonal(d, rng)
    T = dl.fourier_basis(d)
    other = T @ block_rotation(dl.fourier_blocks(d), rng) @ T.T @ P
    assert dl.descrambler_distance(P, other) <= 1e-6


def test_distance_detects_swapped_modes(rng):
    """Exchanging the constant mode with a cos mode gives distance pi/2."""
    d = 6
    P = dl.random_orthogonal(d, rng)
    T = dl.fourier_basis(d)
    swap = np.eye(d)[[1, 0, 2, 3, 4, 5]]
    assert dl.descrambler_distance(P, T @ swap @ T.T @ P) == pytest.approx(np.pi / 2, abs=1e-8)


@given(st.integers(2, 16), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_align_in_blocks_undoes_block_rotations(d, m, seed):
    """Aligning T G T^T Y to Y recovers Y exactly."""
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((d, m))
    T = dl.fourier_basis(d)
    rotated = T @ block_rotation(dl.fourier_blocks(d), rng) @ T.T @ Y
    aligned = dl.align_in_blocks(rotated, Y)
    np.testing.assert_allclose(aligned, Y, atol=1e-10 * max(1.0, np.abs(Y).max()))


def test_align_in_blocks_never_increases_the_misfit(rng):
    """Alignment can only bring Y closer to the reference (G = I is a candidate)."""
    Y, reference = rng.standard_normal((7, 5)), rng.standard_normal((7, 5))
    assert np.linalg.norm(dl.align_in_blocks(Y, reference) - reference) <= \
        np.linalg.norm(Y - reference) + 1e-12


def test_custom_basis_needs_blocks(rng):
    """A custom T without blocks raises; bad partitions raise."""
    P = dl.random_orthogonal(4, rng)
    with pytest.raises(ValueError, match="blocks"):
        dl.descrambler_distance(P, P, T=np.eye(4))
    with pytest.raises(ValueError, match="partition"):
        dl.descrambler_distance(P, P, T=np.eye(4), blocks=[[0, 1], [1, 2, 3]])
    with pytest.raises(ValueError):
        dl.align_in_blocks(P, P[:, :2])


@given(st.integers(2, 10), st.floats(1e-4, 1e-1), st.integers(0, 2**32 - 1))
def test_davis_kahan_bound_holds(d, size, seed):
    """The sine of each block's largest principal angle is at most the bound."""
    rng = np.random.default_rng(seed)
    Q = dl.random_orthogonal(d, rng)
    M = Q @ np.diag(np.linspace(2.0, 1.0, d)) @ Q.T
    E = rng.standard_normal((d, d)) * size
    M_hat = M + (E + E.T) / 2
    blocks = dl.fourier_blocks(d)
    bound = dl.theory.davis_kahan_bound(M_hat, M, blocks)
    vectors, vectors_hat = (scipy.linalg.eigh(X)[1][:, ::-1] for X in (M, M_hat))
    sines = np.sin(dl.block_subspace_angles(vectors, vectors_hat, blocks))
    assert np.all(sines <= bound + 1e-12)


def test_block_gaps():
    """Each block's gap is the smaller distance to its neighbouring eigenvalues; inf if it has none."""
    values = [5.0, 3.0, 3.0, 1.5, 1.0]
    gaps = dl.theory.block_gaps(values, [[0], [1, 2], [3], [4]])
    np.testing.assert_allclose(gaps, [2.0, 1.5, 0.5, 0.5], rtol=1e-15)
    np.testing.assert_array_equal(dl.theory.block_gaps(values, [np.arange(5)]), [np.inf])
    assert dl.theory.block_gaps(values, [[0, 1], [2, 3, 4]])[0] == 0.0
    with pytest.raises(ValueError, match="descending"):
        dl.theory.block_gaps([1.0, 2.0], [[0], [1]])


def test_davis_kahan_bound_is_two_error_over_gap(rng):
    """For a small perturbation the bound is 2 min(sqrt|I| ||E||_2, ||E||_F) / delta_I."""
    M = np.diag([4.0, 2.0, 1.0, 0.5])
    E = 1e-3 * rng.standard_normal((4, 4))
    E = (E + E.T) / 2
    blocks = [np.array([0]), np.array([1, 2]), np.array([3])]
    error = np.array([min(np.sqrt(len(I)) * np.linalg.norm(E, 2), np.linalg.norm(E)) for I in blocks])
    np.testing.assert_allclose(dl.theory.davis_kahan_bound(M + E, M, blocks),
                               2 * error / np.array([2.0, 0.5, 0.5]), rtol=1e-12)
