"""Tests of the SMG mode strengths and of training two-layer linear networks."""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import descramble_lib as dl


@given(st.floats(0.05, 5.0), st.floats(1e-6, 1e-1), st.floats(1e-2, 1e2))
def test_smg_strength_limits_and_ode(s, a0, tau):
    """a(0) = a0, a(t) -> s, and tau da/dt = 2 a (s - a) (central differences)."""
    assert dl.theory.smg_mode_strength(0.0, s, tau=tau, a0=a0) == pytest.approx(a0, rel=1e-12)
    assert dl.theory.smg_mode_strength(1e4 * tau / s, s, tau=tau, a0=a0) == pytest.approx(s, rel=1e-12)
    t = np.linspace(0.1, 10, 50) * tau / s
    step = 1e-5 * tau / s
    a = dl.theory.smg_mode_strength(t, s, tau=tau, a0=a0)
    derivative = (dl.theory.smg_mode_strength(t + step, s, tau=tau, a0=a0)
                  - dl.theory.smg_mode_strength(t - step, s, tau=tau, a0=a0)) / (2 * step)
    np.testing.assert_allclose(tau * derivative, 2 * a * (s - a), rtol=1e-5, atol=1e-9 * s * s)


def test_smg_strength_matches_the_published_form():
    """The overflow-free form equals s e^{2st/tau} / (e^{2st/tau} - 1 + s/a0)."""
    t, s, tau, a0 = np.linspace(0, 300, 31), 0.7, 50.0, 1e-3
    growth = np.exp(2 * s * t / tau)
    np.testing.assert_allclose(dl.theory.smg_mode_strength(t, s, tau=tau, a0=a0),
                               s * growth / (growth - 1 + s / a0), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(t=-1.0, s=1.0), dict(t=1.0, s=0.0), dict(t=np.nan, s=1.0),
                                    dict(t=1.0, s=1.0, tau=0.0), dict(t=1.0, s=1.0, a0=-1e-3)])
def test_smg_strength_rejects_bad_arguments(kwargs):
    """Negative or NaN times, non-positive s, tau or a0 raise ValueError."""
    options = dict(tau=1.0, a0=1e-3)
    options.update(kwargs)
    with pytest.raises(ValueError):
        dl.theory.smg_mode_strength(options.pop("t"), options.pop("s"), **options)


def small_problem(seed, m=6, n=80):
    """Whitened random inputs and linear targets with a spread of singular values."""
    rng = np.random.default_rng(seed)
    X, _ = dl.theory.whiten(rng.standard_normal((m, n)))
    mixing = dl.random_orthogonal(m, rng) @ np.diag(np.linspace(1.0, 0.3, m))
    return X, mixing @ X, rng


@pytest.mark.parametrize("seed", [0, 1])
def test_trained_network_follows_smg_curves(seed):
    """From aligned balanced weights, |a_i - SMG| <= lr s_i^2 ln(s_i / a0) / 8 (Euler error)."""
    X, Y, rng = small_problem(seed)
    Sigma_yx = dl.theory.input_output_correlation(X, Y)
    s = np.linalg.svd(Sigma_yx, compute_uv=False)
    lr, a0, h = 0.05, 1e-3, 3
    W1, W2, _ = dl.theory.aligned_initialisation(Sigma_yx, h, a0=a0, rng=rng)
    run = dl.theory.train_linear_net(X, Y, W1, W2, lr=lr, n_steps=600, record_every=5)
    measured = dl.theory.mode_strengths(run.W1, run.W2, Sigma_yx)
    theory = dl.theory.smg_mode_strength(run.steps[:, None], s[:h], tau=1 / lr, a0=a0)
    tolerance = lr * s[:h] ** 2 * np.log(s[:h] / a0) / 8
    assert np.all(np.max(np.abs(measured - theory), axis=0) <= tolerance)
    assert measured[-1] == pytest.approx(s[:h], rel=1e-3)


def test_descrambled_hidden_layer_is_T_sqrtA_Vt():
    """Descrambling the trained hidden layer removes R: P W1 = T A^{1/2} V_h^T."""
    X, Y, rng = small_problem(2)
    Sigma_yx = dl.theory.input_output_correlation(X, Y)
    W1, W2, _ = dl.theory.aligned_initialisation(Sigma_yx, 4, a0=1e-3, rng=rng)
    run = dl.theory.train_linear_net(X, Y, W1, W2, lr=0.05, n_steps=150, record_every=150)
    a = dl.theory.mode_strengths(run.W1[-1], run.W2[-1], Sigma_yx)
    predicted = dl.fourier_basis(4) @ np.diag(np.sqrt(a)) @ np.linalg.svd(Sigma_yx)[2][:4]
    P = dl.descramble(run.W1[-1] @ X).P
    np.testing.assert_allclose(dl.align_in_blocks(P @ run.W1[-1], predicted), predicted, atol=1e-10)


def test_aligned_initialisation_is_balanced(rng):
    """W2 W1 = a0 U_h V_h^T and W1 W1^T = W2^T W2 = a0 I."""
    Sigma_yx = rng.standard_normal((5, 7))
    W1, W2, R = dl.theory.aligned_initialisation(Sigma_yx, 3, a0=0.01, rng=rng)
    U, _, Vt = np.linalg.svd(Sigma_yx)
    np.testing.assert_allclose(W2 @ W1, 0.01 * U[:, :3] @ Vt[:3], atol=1e-14)
    np.testing.assert_allclose(W1 @ W1.T, 0.01 * np.eye(3), atol=1e-14)
    np.testing.assert_allclose(W2.T @ W2, 0.01 * np.eye(3), atol=1e-14)
    assert dl.orthogonality_error(R) < 1e-12


def test_training_records_and_leaves_inputs_and_threads_alone(rng):
    """Shapes of the record, unmodified initial weights, restored torch thread count."""
    X, Y = rng.standard_normal((4, 10)), rng.standard_normal((3, 10))
    W1, W2 = dl.theory.random_initialisation(4, 2, 3, scale=0.1, rng=rng)
    W1_copy, threads = W1.copy(), torch.get_num_threads()
    run = dl.theory.train_linear_net(X, Y, W1, W2, lr=0.1, n_steps=7, record_every=3)
    assert list(run.steps) == [0, 3, 6, 7]
    assert run.W1.shape == (4, 2, 4) and run.W2.shape == (4, 3, 2) and run.loss.shape == (4,)
    np.testing.assert_array_equal(W1, W1_copy)
    np.testing.assert_allclose(run.W1[0], W1)
    assert torch.get_num_threads() == threads
    assert run.loss[-1] < run.loss[0]


def test_training_and_strengths_reject_bad_input(rng):
    """Mismatched shapes, bad learning rates, NaN and too many modes raise ValueError."""
    X, Y = rng.standard_normal((4, 10)), rng.standard_normal((3, 10))
    W1, W2 = dl.theory.random_initialisation(4, 2, 3, scale=0.1, rng=rng)
    with pytest.raises(ValueError, match="samples"):
        dl.theory.train_linear_net(X, Y[:, :5], W1, W2, lr=0.1, n_steps=1)
    with pytest.raises(ValueError, match="W1 must be"):
        dl.theory.train_linear_net(X, Y, W1.T, W2, lr=0.1, n_steps=1)
    with pytest.raises(ValueError, match="lr"):
        dl.theory.train_linear_net(X, Y, W1, W2, lr=-0.1, n_steps=1)
    with pytest.raises(ValueError, match="non-finite"):
        dl.theory.train_linear_net(np.full((4, 10), np.nan), Y, W1, W2, lr=0.1, n_steps=1)
    with pytest.raises(ValueError, match="n_modes"):
        dl.theory.mode_strengths(W1, W2, Y @ X.T, n_modes=4)
    with pytest.raises(ValueError, match="exceeds"):
        dl.theory.aligned_initialisation(Y @ X.T, 4, a0=1e-3, rng=rng)
