"""Tests of general losses: torch callables solved by Cayley descent with autograd gradients."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import descramble_lib as dl


def first_derivative_operator(d):
    """T diag(k^2) T^T: the Brockett matrix of the first-derivative smoothness loss."""
    T = dl.fourier_basis(d)
    return T @ np.diag(dl.fourier_wavenumbers(d).astype(float) ** 2) @ T.T


def loss_value(loss, P, S):
    """A torch loss evaluated at NumPy arrays, as a float."""
    return float(loss(torch.from_numpy(P), torch.from_numpy(S)))


@settings(max_examples=20)
@given(st.integers(1, 33), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_smoothness_loss_order2_equals_spectral_matrix_form(d, n, seed):
    """smoothness_loss(2) is ||D P S||_F^2 with D the spectral second-derivative matrix."""
    rng = np.random.default_rng(seed)
    S, P = rng.standard_normal((d, n)), dl.random_orthogonal(d, rng)
    expected = np.linalg.norm(dl.second_derivative_matrix(d) @ P @ S) ** 2
    np.testing.assert_allclose(loss_value(dl.smoothness_loss(2), P, S), expected,
                               rtol=1e-10, atol=1e-10 * np.sum(S**2))


@pytest.mark.parametrize("d", [7, 8])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_smoothness_loss_is_brockett_with_k_power(d, order, rng):
    """Every order r is the Brockett cost of T diag(|k|^(2r)) T^T (odd and even d)."""
    T, k = dl.fourier_basis(d), dl.fourier_wavenumbers(d).astype(float)
    A = T @ np.diag(k ** (2 * order)) @ T.T
    S, P = rng.standard_normal((d, 13)), dl.random_orthogonal(d, rng)
    np.testing.assert_allclose(loss_value(dl.smoothness_loss(order), P, S),
                               dl.brockett_cost(A, S, P), rtol=1e-10)


def test_loss_depends_on_data_only_through_second_moment(rng):
    """A d x d factor F with F F^T = S S^T gives the same smoothness loss as S."""
    S = rng.standard_normal((10, 300))
    U, sigma, _ = np.linalg.svd(S, full_matrices=False)
    P = dl.random_orthogonal(10, rng)
    for order in (1, 2):
        loss = dl.smoothness_loss(order)
        np.testing.assert_allclose(loss_value(loss, P, U * sigma), loss_value(loss, P, S),
                                   rtol=1e-10)


@pytest.mark.parametrize("make_loss", [
    lambda d, W: dl.smoothness_loss(1),
    lambda d, W: dl.smoothness_loss(2),
    lambda d, W: dl.brockett_loss(dl.smoothness_operator(d)),
    lambda d, W: dl.sparsity_loss(W, eps=0.05),
], ids=["smooth1", "smooth2", "brockett", "sparsity"])
def test_autograd_gradient_matches_finite_differences(make_loss, rng):
    """<G, E> from autograd equals the central difference of the loss along E (rtol 1e-6)."""
    d = 9
    S, W = rng.standard_normal((d, 20)), rng.standard_normal((d, 15))
    cost = dl.autograd_cost(make_loss(d, W), S)
    P, E = dl.random_orthogonal(d, rng), rng.standard_normal((d, d))
    value, G = cost(P)
    assert G.shape == (d, d) and np.isfinite(value)
    h = 1e-6
    numeric = (cost(P + h * E)[0] - cost(P - h * E)[0]) / (2 * h)
    np.testing.assert_allclose(np.sum(G * E), numeric, rtol=1e-6)


@pytest.mark.parametrize("d", [6, 8, 11])
def test_general_solver_reaches_closed_form_for_brockett_loss(d, rng):
    """descramble(S, loss=brockett_loss(A)) reaches descramble(S).loss to relative 1e-8."""
    S = rng.standard_normal((d, 3 * d))
    exact = dl.descramble(S)
    general = dl.descramble(S, loss=dl.brockett_loss(dl.smoothness_operator(d)),
                            max_iter=3000)
    np.testing.assert_allclose(general.loss, exact.loss, rtol=1e-8)
    assert general.loss >= exact.bound * (1 - 1e-12)
    assert dl.orthogonality_error(general.P) <= 1e-12


@pytest.mark.parametrize("d", [6, 9, 12])
def test_first_and_second_derivative_have_the_same_minimiser(d, rng):
    """Order 1 solved iteratively attains the order-2 bound; the order-2 closed form attains the order-1 bound."""
    S = rng.standard_normal((d, 4 * d))
    order2 = dl.descramble(S)
    order1 = dl.descramble(S, loss=dl.smoothness_loss(1), max_iter=3000)
    np.testing.assert_allclose(dl.brockett_cost(dl.smoothness_operator(d), S, order1.P),
                               order2.bound, rtol=1e-7)
    A1 = first_derivative_operator(d)
    np.testing.assert_allclose(loss_value(dl.smoothness_loss(1), order2.P, S),
                               dl.brockett_bound(A1, S), rtol=1e-10)
    np.testing.assert_allclose(order1.loss, dl.brockett_bound(A1, S), rtol=1e-7)


def test_same_minimiser_for_every_order_in_fourier_order(rng):
    """The closed forms for orders 1, 2, 3 send the data's principal directions to the same Fourier modes."""
    d = 9   # odd: every frequency k >= 1 is a (cos, sin) pair
    S = rng.standard_normal((d, 40))
    T, k = dl.fourier_basis(d), dl.fourier_wavenumbers(d).astype(float)
    reference = dl.descramble(S).P
    for order in (1, 3):
        P = dl.descramble(S, T @ np.diag(k ** (2 * order)) @ T.T).P
        # Same minimiser up to signs and rotations inside each (cos, sin) pair:
        # T^T P P_ref^T T is block diagonal on the frequencies.
        C = T.T @ P @ reference.T @ T
        same_frequency = k[:, None] == k[None, :]
        np.testing.assert_allclose(C[~same_frequency], 0.0, atol=1e-8)


def test_sparsity_descent_lowers_l1_and_stays_orthogonal(rng):
    """From a scrambled planted-sparse W, sparsity descent lowers ||P W||_1 and keeps P orthogonal."""
    d, m = 8, 30
    sparse = rng.standard_normal((d, m)) * (rng.random((d, m)) < 0.15)
    W = dl.random_orthogonal(d, rng) @ sparse
    result = dl.descramble(np.eye(d), loss=dl.sparsity_loss(W, eps=1e-3), max_iter=500)
    assert np.abs(result.P @ W).sum() < 0.8 * np.abs(W).sum()
    assert result.loss <= result.history[0]
    assert dl.orthogonality_error(result.P) <= 1e-12
    assert len(result.history) == result.n_iter + 1


def test_general_loss_result_has_no_bound(rng):
    """A general loss gives NaN bound, gap and relative gap, and says why."""
    result = dl.descramble(rng.standard_normal((5, 12)), loss=dl.smoothness_loss(2),
                           max_iter=20)
    assert np.isnan(result.bound) and np.isnan(result.gap) and np.isnan(result.relative_gap)
    assert "no certified lower bound" in result.message
    assert result.method == "cayley"


def test_general_descent_keeps_torch_thread_count(rng):
    """The descent runs on one torch thread and restores the caller's setting."""
    before = torch.get_num_threads()
    dl.descramble(rng.standard_normal((4, 8)), loss=dl.smoothness_loss(1), max_iter=5)
    assert torch.get_num_threads() == before


def numpy_loss(P, S):
    """A loss that leaves torch: not differentiable."""
    return float(np.sum(P.detach().numpy()))


@pytest.mark.parametrize("kwargs, message", [
    (dict(loss="smooth"), "callable"),
    (dict(loss=lambda P, S: P @ S), "scalar"),
    (dict(loss=numpy_loss), "torch scalar tensor"),
    (dict(loss=lambda P, S: torch.sum(P.detach())), "does not depend on P"),
    (dict(loss=lambda P, S: torch.sum(P) * float("nan")), "not finite"),
    (dict(loss=lambda P, S: torch.sum(P).to(torch.int64)), "floating-point"),
    (dict(loss=dl.smoothness_loss(2), method="eig"), "no closed form"),
    (dict(loss=dl.smoothness_loss(2), precondition=True), "precondition"),
    (dict(loss=dl.smoothness_loss(2), rescale=True), "rescale"),
    (dict(loss=dl.smoothness_loss(2), A=np.eye(4)), "brockett_loss"),
    (dict(loss=dl.smoothness_loss(2), P0="eigenbasis"), "P0"),
    (dict(loss=dl.smoothness_loss(2), P0=np.ones((4, 4))), "not orthogonal"),
    (dict(loss=dl.smoothness_loss(2), max_iter=-1), "max_iter"),
    (dict(loss=dl.sparsity_loss(np.ones((3, 5)))), "rows"),
    (dict(loss=dl.brockett_loss(np.eye(3))), "A is 3x3"),
])
def test_bad_general_loss_input_raises(kwargs, message):
    """Bad losses and options that do not apply to a general loss raise ValueError."""
    S = np.random.default_rng(1).standard_normal((4, 9))
    with pytest.raises(ValueError, match=message):
        dl.descramble(S, **kwargs)


@pytest.mark.parametrize("factory, message", [
    (lambda: dl.smoothness_loss(0), "order"),
    (lambda: dl.smoothness_loss(1.5), "order"),
    (lambda: dl.smoothness_loss(True), "order"),
    (lambda: dl.sparsity_loss(np.ones((3, 4)), eps=0.0), "eps"),
    (lambda: dl.sparsity_loss(np.full((3, 4), np.nan)), "non-finite"),
    (lambda: dl.brockett_loss(np.arange(9.0).reshape(3, 3)), "symmetric"),
])
def test_bad_loss_factory_arguments_raise(factory, message):
    """Loss factories check their arguments."""
    with pytest.raises(ValueError, match=message):
        factory()


def test_brockett_path_unchanged_by_new_defaults(rng):
    """Without loss=, the defaults are still the closed form and the preconditioned descent."""
    S = rng.standard_normal((12, 30))
    assert dl.descramble(S).method == "eig"
    result = dl.descramble(S, method="cayley")
    assert result.relative_gap < 1e-8
    with pytest.raises(ValueError, match="precondition"):
        dl.descramble(S, method="cayley", precondition="yes")
