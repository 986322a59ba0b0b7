"""Hypothesis strategies for random descrambling instances."""

import numpy as np
from hypothesis import strategies as st


@st.composite
def data_matrices(draw, min_d=2, max_d=24, allow_short=True):
    """A (d, n) data matrix with a chosen spectrum: distinct, repeated or rank-deficient.

    The singular values are drawn from a small set of shapes so repeated values and
    n < d occur often; the singular vectors are Haar-random.
    """
    d = draw(st.integers(min_d, max_d))
    n = draw(st.integers(1 if allow_short else d, 3 * d))
    seed = draw(st.integers(0, 2**32 - 1))
    shape = draw(st.sampled_from(["gaussian", "repeated", "decaying", "rank_one"]))
    rng = np.random.default_rng(seed)
    if shape == "gaussian":
        return rng.standard_normal((d, n)) * draw(st.floats(1e-3, 1e3))
    rank = min(d, n)
    if shape == "repeated":
        sigma = rng.choice([0.5, 2.0, 3.0], size=rank)
    elif shape == "decaying":
        sigma = np.exp(-np.arange(rank) * draw(st.floats(0.05, 1.0)))
    else:
        sigma = np.zeros(rank)
        sigma[0] = 1.0
    U, _ = np.linalg.qr(rng.standard_normal((d, d)))
    V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return U[:, :rank] @ np.diag(sigma) @ V[:, :rank].T


@st.composite
def symmetric_matrices(draw, d, repeated=False):
    """A random symmetric (d, d) matrix, optionally with repeated eigenvalues."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if repeated:
        eigenvalues = rng.choice([-1.0, 0.0, 2.0, 5.0], size=d)
    else:
        eigenvalues = rng.standard_normal(d) * 10
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    A = Q @ np.diag(eigenvalues) @ Q.T
    return (A + A.T) / 2
