"""Tests of the streamed second moment and of the closed form computed from it."""

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import descramble_lib as dl
from descramble_lib._moment_closed_form import fourier_analysis_rows, fourier_synthesis_rows
from strategies import data_matrices


def stream(S, cuts):
    """A SecondMoment of ``S`` (d, n) fed as batches ``S[:, a:b].T`` between the given cuts."""
    moment = dl.SecondMoment()
    edges = [0, *sorted(set(cuts)), S.shape[1]]
    for start, stop in zip(edges[:-1], edges[1:]):
        moment.update(S[:, start:stop].T)
    return moment


@st.composite
def matrices_and_cuts(draw):
    S = draw(data_matrices(max_d=16))
    cuts = draw(st.lists(st.integers(0, S.shape[1]), max_size=6))
    return S, cuts


@given(matrices_and_cuts())
def test_streamed_moment_equals_the_in_memory_one(case):
    """Any split into batches gives S S^T, its count and mean, to rounding."""
    S, cuts = case
    moment = stream(S, cuts)
    scale = max(np.max(np.abs(S)) ** 2, 1e-300)
    np.testing.assert_allclose(moment.moment(), S @ S.T, atol=1e-12 * scale * S.shape[1])
    assert moment.count == S.shape[1] and moment.d == S.shape[0]
    np.testing.assert_allclose(moment.mean, S.mean(axis=1), atol=1e-12 * np.sqrt(scale))
    assert np.array_equal(moment.moment(), moment.moment().T)


@settings(max_examples=25)
@given(matrices_and_cuts())
def test_descrambling_the_moment_equals_descrambling_S(case):
    """Same loss, bound and gap as descramble(S); the streamed P is optimal for S's problem."""
    S, cuts = case
    in_memory = dl.descramble(S)
    streamed = dl.descramble(stream(S, cuts))
    # 1e-10 of the bound, plus a rounding-level term for bounds near 0 (rank-one data);
    # scale is the size of max(omega) tr(M), against which rounding is measured.
    scale = max((S.shape[0] // 2) ** 4, 1) * float(np.sum(S * S))
    tolerance = 1e-10 * in_memory.bound + 1e-13 * scale
    assert abs(streamed.bound - in_memory.bound) <= tolerance
    assert abs(streamed.loss - in_memory.loss) <= tolerance
    assert abs(streamed.gap - in_memory.gap) <= tolerance
    # Relative gaps are certified to 1e-9 unless the bound is itself at rounding level
    # (rank-one data: then they are relative to a rounding floor, and only need to be < 1).
    relative = 1e-9 if in_memory.bound > 1e-6 * scale else 1e-2
    assert streamed.relative_gap < relative and streamed.converged
    assert dl.orthogonality_error(streamed.P) < 1e-12
    assert dl.BrockettProblem(S).relative_gap(streamed.P) < relative


@pytest.mark.parametrize("d", [1, 2, 3, 8, 9, 64, 65])
def test_streamed_P_is_the_in_memory_P_modulo_lemma_1(d, rng):
    """With distinct energies, P agrees with the closed form of S up to signs and pair rotations."""
    mixing = np.diag(np.linspace(1.0, 3.0, d)) @ dl.random_orthogonal(d, 1)
    S = mixing @ rng.standard_normal((d, 4 * d))
    in_memory, streamed = dl.descramble(S), dl.descramble(stream(S, [d, 2 * d]))
    assert dl.descrambler_distance(streamed.P, in_memory.P) < 1e-7
    np.testing.assert_allclose(dl.align_in_blocks(streamed.P, in_memory.P), in_memory.P,
                               atol=1e-7)


@pytest.mark.parametrize("d", [1, 2, 5, 6, 31, 32])
def test_fourier_transforms_apply_the_fourier_basis(d, rng):
    X = rng.standard_normal((4, d))
    T = dl.fourier_basis(d)
    np.testing.assert_allclose(fourier_synthesis_rows(X), X @ T.T, atol=1e-13)
    np.testing.assert_allclose(fourier_analysis_rows(X), X @ T, atol=1e-13)
    weights = rng.uniform(0.5, 2.0, d)
    np.testing.assert_allclose(fourier_analysis_rows(X, weights), (X @ T) * weights, atol=1e-13)
    np.testing.assert_allclose(fourier_analysis_rows(fourier_synthesis_rows(X)), X, atol=1e-13)


@settings(max_examples=20)
@given(st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_merge_is_commutative_and_associative(d, seed):
    """(a + b) + c equals a + (b + c) to rounding; a + b equals b + a exactly."""
    rng = np.random.default_rng(seed)
    a, b, c = (dl.SecondMoment().update(rng.standard_normal((rng.integers(1, 20), d)) * 10.0 ** k)
               for k in (-3, 0, 3))
    left, right = (a + b) + c, a + (b + c)
    np.testing.assert_allclose(left.moment(), right.moment(), rtol=1e-13, atol=1e-13 * 1e6)
    np.testing.assert_array_equal((a + b).moment(), (b + a).moment())
    assert left.count == a.count + b.count + c.count
    assert left.n_batches == 3
    # merge adds in place; + leaves its operands alone
    expected = a.moment() + b.moment()
    a.merge(b)
    np.testing.assert_allclose(a.moment(), expected, rtol=1e-15)
    assert b.count + c.count + a.count - b.count == left.count


def test_merging_with_an_empty_moment_is_the_identity(rng):
    moment = dl.SecondMoment().update(rng.standard_normal((5, 3)))
    for empty in (dl.SecondMoment(), dl.SecondMoment(3)):
        np.testing.assert_array_equal((moment + empty).moment(), moment.moment())
        np.testing.assert_array_equal((empty + moment).moment(), moment.moment())


def test_float32_input_accumulates_in_float64(rng):
    """float32 batches are widened first: the moment is that of their float64 values to 1e-14."""
    X = rng.standard_normal((100_000, 6)).astype(np.float32) + np.float32(3.0)
    moment = dl.SecondMoment()
    for batch in np.array_split(X, 7):
        moment.update(batch)
    exact = X.astype(np.float64).T @ X.astype(np.float64)
    single = np.zeros((6, 6), dtype=np.float32)
    for row in np.array_split(X, 1000):
        single += row.T @ row
    assert moment.moment().dtype == np.float64
    np.testing.assert_allclose(moment.moment(), exact, rtol=1e-13)
    assert np.max(np.abs(single - exact) / exact) > 1e-9    # float32 would not get there


def test_torch_tensors_any_layout_and_leading_axes(rng):
    """Tensors (grad or not), Fortran-ordered, strided and (b, t, d) batches: the same moment."""
    X = rng.standard_normal((24, 5))
    reference = X.T @ X
    batches = [torch.tensor(X[:6], requires_grad=True), np.asfortranarray(X[6:12]),
               X[12:24:2], X[13:24:2].reshape(2, 3, 5), torch.tensor(X[:0])]
    moment = dl.SecondMoment()
    for batch in batches:
        moment.update(batch)
    np.testing.assert_allclose(moment.moment(), reference, rtol=1e-13)
    assert moment.count == 24 and moment.n_batches == 5


def test_centred_moment(rng):
    X = rng.standard_normal((50, 4)) + np.array([5.0, -2.0, 0.0, 1.0])
    moment = dl.SecondMoment().update(X[:20]).update(X[20:])
    centred = (X - X.mean(axis=0)).T @ (X - X.mean(axis=0))
    np.testing.assert_allclose(moment.moment(centred=True), centred, rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(moment.centred().moment(), centred, rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(moment.centred().mean, 0.0, atol=1e-15)
    np.testing.assert_allclose(moment.mean, X.mean(axis=0), rtol=1e-13)
    result = dl.descramble(moment.centred())
    np.testing.assert_allclose(result.bound, dl.descramble((X - X.mean(axis=0)).T).bound,
                               rtol=1e-10)


def test_problem_and_descramble_accept_the_moment(rng):
    """from_moment / to_problem / descramble(moment, A=..., method=...) agree with S."""
    S = rng.standard_normal((6, 30))
    moment = dl.SecondMoment().update(S.T)
    A = dl.smoothness_operator(6) + np.diag(np.arange(6.0))
    for problem in (dl.BrockettProblem.from_moment(moment), moment.to_problem()):
        np.testing.assert_allclose(problem.bound, dl.BrockettProblem(S).bound, rtol=1e-12)
    np.testing.assert_allclose(dl.descramble(moment, A).bound, dl.descramble(S, A).bound,
                               rtol=1e-12)
    cayley = dl.descramble(moment, method="cayley", P0="eigenbasis")
    assert cayley.relative_gap < 1e-8
    with pytest.raises(ValueError, match="general loss needs the preactivations"):
        dl.descramble(moment, loss=dl.smoothness_loss(2))


def test_pickles_for_distributed_engines(rng):
    moment = dl.SecondMoment().update(rng.standard_normal((7, 3)))
    copy = pickle.loads(pickle.dumps(moment))
    np.testing.assert_array_equal(copy.moment(), moment.moment())
    copy.update(rng.standard_normal((2, 3)))           # still a working accumulator
    assert copy.count == 9 and moment.count == 7


@pytest.mark.parametrize("batches, message", [
    ([np.ones((3, 4)), np.ones((2, 5))], r"batch 1 has 5 neurons .* d = 4"),
    ([np.ones((3, 4)), np.ones((2, 4)), np.array([[1.0, np.nan, 0, 0]])],
     r"batch 2 contains 1 non-finite"),
    ([np.array([[np.inf, -np.inf]])], r"batch 0 contains 2 non-finite"),
    ([np.ones((2, 3)) + 1j], "complex"),
    ([np.ones(3)], "sample axis and a neuron axis"),
    ([np.ones((3, 0))], "no neurons"),
    ([np.array([["a", "b"]])], "numeric"),
    ([np.full((2, 2), 1e200)], "overflow"),
])
def test_bad_batches_name_themselves(batches, message):
    moment = dl.SecondMoment()
    with pytest.raises(ValueError, match=message):
        for batch in batches:
            moment.update(batch)


def test_a_rejected_batch_leaves_the_moment_unchanged(rng):
    moment = dl.SecondMoment().update(rng.standard_normal((4, 3)))
    before = moment.moment()
    with pytest.raises(ValueError, match="batch 1"):
        moment.update(np.full((2, 3), np.nan))
    np.testing.assert_array_equal(moment.moment(), before)
    assert moment.count == 4


@pytest.mark.parametrize("rows", [3, 1500])
def test_a_rejected_first_batch_leaves_the_width_unset(rows):
    moment = dl.SecondMoment()
    with pytest.raises(ValueError, match="batch 0 contains 1 non-finite"):
        moment.update(np.where(np.arange(rows * 5).reshape(rows, 5) == 7, np.nan, 1.0))
    assert moment.d is None and moment.count == 0
    assert moment.update(np.ones((2, 4))).d == 4


def test_a_centred_moment_takes_no_samples_and_no_merges(rng):
    """Centring does not commute with adding samples or shards: both are refused, and a
    merge of two centred shards would otherwise give their within-shard scatter."""
    a = dl.SecondMoment().update(rng.standard_normal((30, 4)) + 5.0)
    b = dl.SecondMoment().update(rng.standard_normal((20, 4)) - 5.0)
    centred = a.centred()
    assert centred.is_centred and not a.is_centred and "centred" in repr(centred)
    with pytest.raises(ValueError, match="centred moment .* takes no more samples"):
        centred.update(np.ones((2, 4)))
    for left, right in ((centred, b), (b, centred), (centred, b.centred())):
        before = left.moment()
        with pytest.raises(ValueError, match="cannot merge a centred moment"):
            left.merge(right)
        np.testing.assert_array_equal(left.moment(), before)
    # The right order: merge, then centre.
    X = np.vstack([rng.standard_normal((30, 4)) + 5.0, rng.standard_normal((20, 4)) - 5.0])
    pooled = (dl.SecondMoment().update(X[:30]) + dl.SecondMoment().update(X[30:])).centred()
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(pooled.moment(), Xc.T @ Xc, rtol=1e-12, atol=1e-10)
    # An empty moment merges with anything, and the copy keeps the mark.
    assert dl.SecondMoment(4).merge(centred).is_centred and centred.copy().is_centred


def test_a_merge_that_overflows_changes_neither_moment():
    big = dl.SecondMoment().update(np.full((1, 2), 1e154))
    other = big.copy()
    with pytest.raises(ValueError, match="overflows float64"):
        for _ in range(4):
            big.merge(other)
    assert np.all(np.isfinite(big.moment())) and big.count == 2 ** (big.n_batches - 1)
    np.testing.assert_array_equal(other.moment(), np.full((2, 2), 1e308))


def test_bfloat16_tensors_are_widened_exactly(rng):
    batch = torch.from_numpy(rng.standard_normal((50, 6))).to(torch.bfloat16)
    widened = batch.float().double().numpy()
    moment = dl.SecondMoment().update(batch)
    np.testing.assert_allclose(moment.moment(), widened.T @ widened, rtol=1e-13)


def test_sum_of_moments_is_their_merge(rng):
    parts = [dl.SecondMoment().update(rng.standard_normal((n, 3))) for n in (4, 5, 6)]
    total = sum(parts)
    np.testing.assert_allclose(total.moment(), parts[0].copy().merge(parts[1]).merge(parts[2]).moment(),
                               rtol=1e-14)
    assert total.count == 15 and parts[0].count == 4
    with pytest.raises(TypeError):
        1 + parts[0]


def test_empty_moments_and_bad_merges_are_refused():
    with pytest.raises(ValueError, match="empty"):
        dl.descramble(dl.SecondMoment(3))
    with pytest.raises(ValueError, match="empty"):
        dl.SecondMoment().moment()
    with pytest.raises(ValueError, match="empty"):
        _ = dl.SecondMoment(2).update(np.ones((0, 2))).mean
    with pytest.raises(ValueError, match="different widths: d = 3 and d = 4"):
        dl.SecondMoment(3).merge(dl.SecondMoment(4))
    with pytest.raises(ValueError, match="another SecondMoment"):
        dl.SecondMoment(3).merge(np.eye(3))
    with pytest.raises(TypeError):
        dl.SecondMoment(3) + np.eye(3)
    with pytest.raises(ValueError, match="d must be"):
        dl.SecondMoment(0)


@pytest.mark.parametrize("d, kind", [(520, "gaussian"), (530, "diagonal"), (515, "rank 3"),
                                     (40, "gaussian")])
def test_the_closed_form_restores_the_moment_bit_for_bit(d, kind, rng):
    """descramble(moment) works inside the moment's buffer (above d = 512: dsytrd, dstevd and
    the reflectors in blocks) and leaves it as it was; updates after it stay exact."""
    if kind == "gaussian":
        X = rng.standard_normal((d + 50, d)) * np.linspace(0.5, 2.0, d)
    elif kind == "diagonal":                  # already tridiagonal: reflectors with tau = 0
        X = np.diag(rng.uniform(1.0, 2.0, d))
    else:
        X = rng.standard_normal((3, d))
    moment = dl.SecondMoment().update(X)
    before = moment.moment()
    result = dl.descramble(moment)
    np.testing.assert_array_equal(moment.moment(), before)
    assert dl.orthogonality_error(result.P) < 1e-12
    reference = dl.descramble(dl.BrockettProblem.from_moment(before))
    tolerance = 1e-10 * reference.bound + 1e-13 * (d // 2) ** 4 * np.trace(before)
    assert abs(result.loss - reference.loss) <= tolerance
    assert abs(result.bound - reference.bound) <= tolerance
    moment.update(X[:5])
    np.testing.assert_allclose(moment.moment(), before + X[:5].T @ X[:5], rtol=1e-14)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([1, 2, 7, 64, 513, 600]), st.integers(0, 2**32 - 1))
def test_certificate_trace_reads_only_the_lower_triangle(d, seed):
    """The loss sum_ij M_ij (G G^T)_ij from M's lower triangle, whatever the upper one holds
    (the in-place eigensolver leaves a mirror there): one dsyrk up to d = 512, blocks above."""
    from descramble_lib._moment_closed_form import _blocked_trace

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((d, d + 3))
    M = X @ X.T
    G = rng.standard_normal((d, d))
    buffer = np.asfortranarray(np.tril(M) + np.triu(rng.standard_normal((d, d)) * 1e3, 1))
    expected = float(np.vdot(M, G @ G.T)) / 4.0
    assert np.isclose(_blocked_trace(buffer, G, 4.0), expected, rtol=1e-10,
                      atol=1e-12 * np.abs(M).sum() * np.abs(G).max() ** 2)
