"""The closed form of Lemma 1 from a second moment, in three ``d x d`` arrays at most.

For the default smoothness operator ``A = T diag(k^4) T^T`` (``T`` the real Fourier
basis) the descrambler ``P = T U^T`` and its certificate need only the moment ``M``,
held in the lower triangle of the :class:`~descramble_lib.SecondMoment` buffer:

* the eigendecomposition ``M = U diag(energies) U^T`` (for ``d > 512``; smaller ``d`` use
  ``dsyevd`` on a copy, a few MiB) is LAPACK's divide and conquer
  (the algorithm of ``dsyevd``) taken apart so that it needs no copy of ``M``: ``M`` is
  mirrored into the buffer's unused upper triangle, ``dsytrd`` reduces the lower one to
  tridiagonal form in place, ``dstevd`` diagonalises the tridiagonal matrix, its
  Householder reflectors are applied to the eigenvectors in blocks (compact WY form, as
  ``dormtr``), and the lower triangle is restored from the mirror. Peak: the buffer,
  the eigenvectors and ``dstevd``'s ``d^2`` workspace; ``scipy.linalg.eigh`` would add a
  copy and, with ``dsyevd``, a second ``d^2`` of workspace;
* ``P = T U^T`` by real FFTs instead of a ``d^3`` product with a stored ``T``;
* the loss ``tr(A P M P^T)`` from the computed ``P``, honestly: with ``Q = T^T P``
  (FFTs again) it is ``sum_ij M_ij B_ij`` for ``B = Q^T diag(k^4) Q``, accumulated
  over blocks of rows of the lower triangle (``d^3`` flops, half a matrix product,
  and no ``d x d`` temporary).

:func:`~descramble_lib.descramble` uses it for a :class:`~descramble_lib.SecondMoment`
with the default ``A`` and ``method="eig"``; it returns the same loss, bound and gap
as the in-memory closed form to rounding, and ``P`` up to the non-uniqueness of Lemma 1.
The buffer is modified during the call and restored bit for bit before it returns (or
raises): do not read or update the moment from another thread meanwhile.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
from scipy.linalg import lapack, solve_triangular
from scipy.linalg.blas import dgemm, dsyrk

from .operators import smoothness_eigenvalues
from .problem import _power_of_two_near
from .result import Descrambling

__all__ = ["closed_form_from_lower_triangle", "eigh_in_place", "fourier_synthesis_rows",
           "fourier_analysis_rows"]

# Reflectors per block in the back-transformation (as LAPACK's dormtr).
_REFLECTORS = 64
# Powers of two beyond which the buffer is scaled (exactly) before the reduction.
_SAFE_SCALE = 2.0 ** 300
# Up to this d, the eigendecomposition is scipy's dsyevd on a copy (at most 3 x 2 MiB more).
_SMALL = 512


def _block_rows(d: int) -> int:
    """Rows per block in the FFTs, the loss and the mirrors: b x d temporaries, b <= d / 16
    above d = 512 (below, one block: a few MiB, and fewer small BLAS calls)."""
    return d if d <= _SMALL else int(min(512, max(32, d // 16)))


@functools.lru_cache(maxsize=8)
def _halfcomplex_scales(d: int) -> np.ndarray:
    """Column ``j`` of ``T`` (``fourier_basis(d)``) is ``irfft`` of a spectrum whose
    half-complex entry ``j`` (``Re y_0, Re y_1, Im y_1, Re y_2, ...``) is this scale.

    The half-complex layout is the column order of ``T`` itself: constant, ``cos k`` and
    ``sin k`` pairs, then the Nyquist mode for even ``d``; ``sin k`` takes a minus sign.
    Read-only, cached per ``d`` (the transforms run once per block of rows).
    """
    scales = np.full(d, math.sqrt(d / 2))
    scales[0] = math.sqrt(d)
    scales[2::2] *= -1.0
    if d % 2 == 0 and d > 1:
        scales[d - 1] = math.sqrt(d)
    scales.flags.writeable = False
    return scales


def fourier_synthesis_rows(coefficients: np.ndarray, out: np.ndarray | None = None
                           ) -> np.ndarray:
    """Row ``i`` of the result is ``T @ coefficients[i]``, ``T = fourier_basis(d)``.

    ``coefficients`` has shape ``(b, d)``, in the column order of
    :func:`~descramble_lib.fourier_basis` (constant, then ``cos k``, ``sin k`` pairs, then
    the Nyquist mode for even ``d``). One real inverse FFT per row: the complex
    spectrum is filled through its float view (``Re, Im`` interleaved), without
    complex temporaries. ``out`` (shape ``(b, d)``, C order) receives the result.
    """
    b, d = coefficients.shape
    spectrum = np.empty((b, d // 2 + 1), dtype=complex)
    interleaved = spectrum.view(float)            # (b, d + 2): Re y_0, Im y_0, Re y_1, ...
    scales = _halfcomplex_scales(d)
    np.multiply(coefficients[:, :1], scales[0], out=interleaved[:, :1])
    np.multiply(coefficients[:, 1:], scales[1:], out=interleaved[:, 2:d + 1])
    interleaved[:, 1] = 0.0                       # Im y_0
    interleaved[:, d + 1:] = 0.0                  # Im y_{d/2} for even d
    return np.fft.irfft(spectrum, n=d, axis=1, out=out)


def fourier_analysis_rows(values: np.ndarray, weights: np.ndarray | None = None,
                          out: np.ndarray | None = None) -> np.ndarray:
    """Row ``i`` of the result is ``T^T @ values[i]``: the inverse of the synthesis.

    With ``weights`` (shape ``(d,)``), column ``j`` of the result is multiplied by
    ``weights[j]`` in the same pass. ``out`` (shape ``(b, d)``) receives the result.
    """
    b, d = values.shape
    interleaved = np.fft.rfft(values, axis=1).view(float)    # (b, d + 2 or d + 1)
    factors = 1.0 / _halfcomplex_scales(d)
    if weights is not None:
        factors *= weights
    coefficients = np.empty((b, d)) if out is None else out
    np.multiply(interleaved[:, :1], factors[0], out=coefficients[:, :1])
    np.multiply(interleaved[:, 2:d + 1], factors[1:], out=coefficients[:, 1:])
    return coefficients


@functools.lru_cache(maxsize=8)
def _normalised_spectrum(d: int) -> tuple[np.ndarray, float, np.ndarray]:
    """``omega = k^4 / omega_scale`` (the smoothness operator's eigenvalues in the column
    order of ``T``, scaled by a power of two to at most 1), ``omega_scale`` and
    ``sqrt(omega)``; read-only, cached per ``d``."""
    omega = smoothness_eigenvalues(d)
    omega_scale = _power_of_two_near(float(np.max(np.abs(omega))))
    omega = omega / omega_scale
    root_omega = np.sqrt(omega)
    omega.flags.writeable = root_omega.flags.writeable = False
    return omega, omega_scale, root_omega


def _mirror(buffer: np.ndarray, *, to_upper: bool) -> None:
    """Copy the strict lower triangle onto the strict upper one (or back), in blocks."""
    d = buffer.shape[0]
    step = _block_rows(d)
    for start in range(0, d, step):
        stop = min(start + step, d)
        if to_upper:
            buffer[start:stop, stop:] = buffer[stop:, start:stop].T
            block = buffer[start:stop, start:stop]
            block[...] = np.tril(block) + np.tril(block, -1).T
        else:
            buffer[stop:, start:stop] = buffer[start:stop, stop:].T
            block = buffer[start:stop, start:stop]
            block[...] = np.triu(block) + np.triu(block, 1).T


def _apply_reflectors(reflectors: np.ndarray, tau: np.ndarray, Z: np.ndarray) -> None:
    """``Z <- Q Z`` in place for a C-ordered ``Z``, ``Q = H(0) ... H(d-2)`` from
    ``dsytrd(lower=1)``.

    ``H(j) = I - tau_j v_j v_j^T`` with ``v_j`` zero above row ``j + 1``, one there and
    ``reflectors[j + 2:, j]`` below. Blocks of reflectors are applied last to first as
    ``I - V T V^T`` with ``T^{-1} = diag(1 / tau) + striu(V^T V)`` (the "UT transform" of
    Joffrain et al. 2006; LAPACK's ``dlarft`` builds ``T`` itself); the rows of ``Z``
    they touch are contiguous, so the update is one in-place ``dgemm`` per block.
    """
    d = Z.shape[0]
    for first in reversed(range(0, d - 1, _REFLECTORS)):
        last = min(first + _REFLECTORS, d - 1)
        width, top = last - first, first + 1
        V = np.tril(reflectors[top:, first:last], -1)
        V[np.arange(width), np.arange(width)] = 1.0
        taus = tau[first:last].copy()
        identity = taus == 0.0               # H = I: a zero reflector with any tau
        V[:, identity], taus[identity] = 0.0, 1.0
        inverse_T = np.triu(V.T @ V, 1)
        inverse_T[np.arange(width), np.arange(width)] = 1.0 / taus
        W = solve_triangular(inverse_T, V.T @ Z[top:], check_finite=False)   # T V^T Z
        # Z[top:] -= V W, as (Z[top:])^T -= W^T V^T on the Fortran-ordered transpose.
        dgemm(-1.0, W.T, V.T, beta=1.0, c=Z[top:].T, overwrite_c=1)


def eigh_in_place(buffer: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of ``tril(buffer) / scale``, symmetric.

    ``buffer`` (Fortran order, lower triangle meaningful) is used as the workspace of the
    reduction and restored exactly before returning, also on errors.
    """
    d = buffer.shape[0]
    if d == 1:
        return np.array([buffer[0, 0] / scale]), np.ones((1, 1))
    if d <= _SMALL:
        # Small d: LAPACK's dsyevd on a scaled copy is faster, and its extra d^2 arrays
        # (the copy and 2 d^2 of workspace) are at most a few MiB.
        # LAPACK directly: scipy.linalg.eigh would add its argument checks and a workspace
        # query, a few per cent of the whole closed form at d = 256.
        energies, Z, info = lapack.dsyevd(np.multiply(buffer, 1.0 / scale, order="F"),
                                          compute_v=1, lower=1, overwrite_a=1)
        if info:
            raise RuntimeError(f"dsyevd did not converge (info {info})")
        return energies, Z
    rescale = not (1 / _SAFE_SCALE <= scale <= _SAFE_SCALE)
    if rescale:
        buffer *= 1.0 / scale               # a power of two: exact
    diagonal = np.diagonal(buffer).copy()
    _mirror(buffer, to_upper=True)
    try:
        lwork = int(lapack.dsytrd_lwork(d, lower=1)[0])
        reduced, tridiagonal, off_diagonal, tau, info = lapack.dsytrd(
            buffer, lower=1, lwork=max(lwork, 1), overwrite_a=1)
        if info or not np.shares_memory(reduced, buffer):
            raise RuntimeError(f"dsytrd failed (info {info})")
        energies, Z, info = lapack.dstevd(tridiagonal, off_diagonal, compute_v=1,
                                          overwrite_d=1, overwrite_e=1)
        if info:
            raise RuntimeError(f"dstevd did not converge (info {info})")
        # C order (a copy made after dstevd's workspace is gone): the reflectors then
        # update contiguous rows in place.
        Z = np.ascontiguousarray(Z)
        _apply_reflectors(buffer, tau, Z)
    finally:
        _mirror(buffer, to_upper=False)
        buffer[np.arange(d), np.arange(d)] = diagonal
        if rescale:
            buffer *= scale
    return (energies if rescale else energies / scale), Z


def _blocked_trace(lower: np.ndarray, G: np.ndarray, scale: float) -> float:
    """``sum_ij M_ij B_ij`` with ``M = tril(lower) + tril(lower, -1)^T`` divided by ``scale``
    and ``B = G G^T``, from the lower triangle only, in row blocks.

    By symmetry the sum is twice that over the lower triangle minus the diagonal, where
    ``B_ii = |G_i|^2``; each block of rows needs ``B`` only up to its last column.
    """
    d = G.shape[0]
    step = _block_rows(d)
    if step == d:
        # One block: the lower triangle of B by one rank-d update (its upper triangle is
        # zero, so no mask is needed); the transposes are views of contiguous arrays.
        B = dsyrk(1.0, G.T, lower=1, trans=1)
        lower_part = float(np.vdot(lower.T, B.T)) if lower.flags.f_contiguous else float(
            np.vdot(np.tril(lower), B))
        return (2.0 * lower_part - float(np.dot(np.diagonal(lower), np.diagonal(B)))) / scale
    diagonal = float(np.dot(np.diagonal(lower), np.einsum("ij,ij->i", G, G)))
    total = 0.0
    for start in range(0, d, step):
        stop = min(start + step, d)
        # The lower triangle of rows start:stop (columns up to the diagonal).
        block = np.tril(lower[start:stop, :stop], k=start)
        total += float(np.vdot(block, G[start:stop] @ G[:stop].T))
    return (2.0 * total - diagonal) / scale


def closed_form_from_lower_triangle(lower: np.ndarray, *, label: str = "closed form"
                                    ) -> Descrambling:
    """The optimum ``P = T U^T`` for the smoothness operator and the moment ``M``.

    Parameters
    ----------
    lower : ndarray, shape (d, d)
        ``M`` in its lower triangle (the upper one is used as workspace), float64,
        Fortran order, finite, positive semidefinite up to rounding. Restored exactly.

    Returns
    -------
    Descrambling
        As :func:`~descramble_lib.descramble` returns for ``BrockettProblem.from_moment(M)``:
        loss, bound and gap in the caller's units, relative gap on the normalised problem.

    Raises
    ------
    ValueError
        ``M`` is not positive semidefinite (smallest eigenvalue below ``-1e-8`` times the
        largest).
    """
    started = time.perf_counter()
    d = lower.shape[0]
    step = _block_rows(d)
    moment_scale = _power_of_two_near(float(np.max(np.abs(np.diagonal(lower)))))
    energies, vectors = eigh_in_place(lower, moment_scale)
    if energies[0] < -1e-8 * max(energies[-1], 0.0):
        raise ValueError(
            f"moment is not positive semidefinite: its smallest eigenvalue is "
            f"{energies[0] * moment_scale:.3e}, its largest {energies[-1] * moment_scale:.3e}")
    energies = np.clip(energies[::-1], 0.0, None)
    omega, omega_scale, root_omega = _normalised_spectrum(d)
    # P^T, row by row: row j of P^T is T @ U[j, ::-1] (columns of U by descending energy).
    P_transposed = np.empty((d, d))
    for start in range(0, d, step):
        stop = min(start + step, d)
        fourier_synthesis_rows(vectors[start:stop, ::-1], out=P_transposed[start:stop])
    del vectors
    # G = (T^T P)^T diag(sqrt(omega)), so that B = P^T A P = G G^T (omega >= 0 here).
    G = np.empty((d, d))
    for start in range(0, d, step):
        stop = min(start + step, d)
        fourier_analysis_rows(P_transposed[start:stop], root_omega, out=G[start:stop])
    normalised_loss = _blocked_trace(lower, G, moment_scale)
    del G
    normalised_bound = float(np.dot(omega, energies))
    rounding = 1e-13 * max(float(np.max(np.abs(omega))), 1.0) * float(np.sum(energies))
    floor = max(normalised_bound, rounding, np.finfo(float).tiny)
    with np.errstate(over="ignore", under="ignore"):
        cost_scale = float(np.float64(omega_scale) * moment_scale)
        loss = float(np.float64(normalised_loss) * cost_scale)
        bound = float(np.float64(normalised_bound) * cost_scale)
        gap = float(np.float64(normalised_loss - normalised_bound) * cost_scale)
    converged, message = True, label
    if not (np.isfinite(loss) and np.isfinite(bound)):
        converged = False
        message = (f"{label}; the loss overflows float64 in the caller's units (cost scale "
                   f"{cost_scale:.3g}): P and relative_gap are exact, rescale the data to "
                   "read the loss")
    return Descrambling(P=P_transposed.T, loss=loss, bound=bound, gap=gap,
                        relative_gap=(normalised_loss - normalised_bound) / floor, n_iter=0,
                        history=np.array([loss]), method="eig", converged=converged,
                        wall_time_s=time.perf_counter() - started, message=message)
