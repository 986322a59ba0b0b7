"""The second moment ``M = S S^T`` of a layer's preactivations, accumulated batch by batch.

Descrambling depends on the data only through ``M`` (``d x d``), so ``S`` (``d x n``)
never has to be held in memory: :class:`SecondMoment` adds ``S_b S_b^T`` of one batch
at a time into a float64 buffer, with one BLAS call (``dsyrk``) per batch, and keeps the
sum of the samples alongside so that the mean and the centred moment are available.
Two partial moments merge by adding their sums and counts, which is all that any
engine's reduce (a Dask tree, an MPI allreduce, a loop over files) needs.

Batches come in the layout of a data set or of a layer's output: samples along the
leading axes, the ``d`` neurons along the last axis, shape ``(..., d)``. The in-memory
``S`` of :func:`~descramble_lib.descramble` is the transpose, ``(d, n)``; a batch
``S_b`` of that layout is passed as ``S_b.T``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg.blas import dsyr, dsyrk

from ._validation import _as_real_array, check_bool, check_positive_int
from .problem import BrockettProblem

__all__ = ["SecondMoment"]


def _as_batch(batch, index: int) -> np.ndarray:
    """``batch`` as a float64 array of shape (rows, d); torch tensors are detached.

    Integer and float32 input is widened here: the accumulation is always float64.
    """
    name = f"batch {index}"
    if not (hasattr(batch, "detach") or np.issubdtype(np.asarray(batch).dtype, np.number)
            or np.asarray(batch).dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {np.asarray(batch).dtype}")
    array = _as_real_array(batch, name)   # refuses complex input, detaches tensors
    if array.ndim < 2:
        raise ValueError(f"{name} must have a sample axis and a neuron axis, shape "
                         f"(..., d), got shape {array.shape}")
    if array.shape[-1] == 0:
        raise ValueError(f"{name} has no neurons (shape {array.shape})")
    if array.ndim > 2:
        array = array.reshape(-1, array.shape[-1])
    return array


class SecondMoment:
    """Streaming, mergeable second moment ``M = sum_i x_i x_i^T`` of ``d``-dimensional samples.

    Parameters
    ----------
    d : int, optional
        Number of neurons. Default: set by the first batch.

    Attributes
    ----------
    d : int or None
        Number of neurons (``None`` until the first batch when not given).
    count : int
        Number of samples so far (rows of all batches, leading axes flattened).
    n_batches : int
        Number of :meth:`update` calls so far; the index of the next batch in errors.

    Notes
    -----
    The buffer holds ``sum_i x_i x_i^T`` in float64 (lower triangle only, filled by
    ``dsyrk``; the upper one serves as workspace of the closed form in
    :func:`~descramble_lib.descramble`, which restores the buffer) and ``sum_i x_i``; the mean is ``sum / count`` and the centred moment
    ``M - n mu mu^T``. Centring by subtraction loses about ``log10(|mu|^2 / var)``
    digits when the mean is large compared with the spread, as any one-pass formula
    does; descrambling itself uses the uncentred moment.

    Examples
    --------
    >>> moment = SecondMoment()
    >>> for batch in batches:                  # each (batch_size, d)
    ...     moment.update(batch)
    >>> result = descramble(moment)            # the closed form, from M alone
    """

    def __init__(self, d: int | None = None):
        self.d = None
        self.count = 0
        self.n_batches = 0
        self._outer: np.ndarray | None = None
        self._sum: np.ndarray | None = None
        self._centred = False
        if d is not None:
            self._allocate(check_positive_int(d, "d"))

    def _allocate(self, d: int) -> None:
        """Zero buffers for ``d`` neurons: ``sum x x^T`` (Fortran order for dsyrk) and ``sum x``."""
        self.d = d
        self._outer = np.zeros((d, d), order="F")
        self._sum = np.zeros(d)

    # ------------------------------------------------------------------ accumulation

    def update(self, batch: ArrayLike) -> "SecondMoment":
        """Add the samples of one batch: ``M += B^T B`` for ``B`` of shape ``(rows, d)``.

        Parameters
        ----------
        batch : array_like or torch.Tensor, shape (..., d)
            Samples along the leading axes, neurons along the last. Real; float32,
            float64 or integer input, accumulated in float64. A batch with no rows is
            counted as a batch and adds nothing.

        Returns
        -------
        SecondMoment
            ``self``, so that updates chain.

        Raises
        ------
        ValueError
            The batch is complex, not numeric, not at least 2-D, or contains NaN or
            inf (named by its index, :attr:`n_batches`); its width differs from ``d``
            (in these cases the moment is unchanged); the moment is centred; its squares
            overflow float64 (then the moment is reset to empty, as the overflowed sums
            cannot be taken back: the earlier batches must be added again, rescaled).
        """
        index = self.n_batches
        if self._centred:
            raise ValueError("a centred moment (from .centred()) takes no more samples: "
                             "update the uncentred moment, then centre it")
        array = _as_batch(batch, index)
        rows, width = array.shape
        if self.d is not None and width != self.d:
            raise ValueError(f"batch {index} has {width} neurons (shape {array.shape}), "
                             f"but the moment has d = {self.d} (set by its first batch or "
                             "by d=); batches must share the last axis")
        if rows:
            # One BLAS pass for the sum (also a cheap NaN/inf check) ...
            batch_sum = np.ones(rows) @ array
            if not np.all(np.isfinite(batch_sum)):
                bad = int(array.size - np.count_nonzero(np.isfinite(array)))
                what = (f"{bad} non-finite entries (NaN or inf)" if bad
                        else "values whose sum overflows float64")
                raise ValueError(f"batch {index} contains {what}; the moment is unchanged")
        if self.d is None:
            self._allocate(width)
        if rows:
            # ... and one rank-k update of the lower triangle, in place.
            # (A C-ordered (rows, d) batch is the Fortran-ordered (d, rows) B^T: no copy.)
            if array.flags.f_contiguous and not array.flags.c_contiguous:
                self._outer = dsyrk(1.0, array, beta=1.0, c=self._outer, trans=1, lower=1,
                                    overwrite_c=1)
            else:
                self._outer = dsyrk(1.0, np.ascontiguousarray(array).T, beta=1.0,
                                    c=self._outer, trans=0, lower=1, overwrite_c=1)
            if not np.all(np.isfinite(np.diagonal(self._outer))):
                batches = self.n_batches + 1
                self._allocate(self.d)
                self.count, self.n_batches = 0, batches
                raise ValueError(f"batch {index}: the squares of its values overflow float64; "
                                 "the moment was reset to empty, rescale the data")
            self._sum += batch_sum
            self.count += rows
        self.n_batches += 1
        return self

    def merge(self, other: "SecondMoment") -> "SecondMoment":
        """Add another partial moment into this one (in place): sums and counts add.

        Raises
        ------
        ValueError
            ``other`` is not a :class:`SecondMoment`; the two have different ``d``; one
            of two non-empty moments is centred (:meth:`centred`); the sum overflows
            float64. Neither moment is changed.
        """
        if not isinstance(other, SecondMoment):
            raise ValueError(f"can only merge another SecondMoment, got {type(other).__name__}")
        if (self._centred or other._centred) and self.count and other.count:
            raise ValueError("cannot merge a centred moment: the sum of centred shards is "
                             "their within-shard scatter, not the centred moment of the "
                             "union; merge the uncentred moments, then call .centred()")
        if other.d is None:
            self.n_batches += other.n_batches
            return self
        if self.d is None:
            self._allocate(other.d)
        elif other.d != self.d:
            raise ValueError(f"cannot merge moments of different widths: d = {self.d} and "
                             f"d = {other.d}")
        with np.errstate(over="ignore"):
            diagonal = np.diagonal(self._outer) + np.diagonal(other._outer)
        if not np.all(np.isfinite(diagonal)):
            # |M_ij| <= (M_ii + M_jj) / 2: a finite diagonal keeps every entry finite.
            raise ValueError("merging these moments overflows float64 (their diagonal sums "
                             "are not finite); both are unchanged, rescale the data")
        self._outer += other._outer
        self._sum += other._sum
        self._centred = self._centred or other._centred
        self.count += other.count
        self.n_batches += other.n_batches
        return self

    def __add__(self, other: "SecondMoment") -> "SecondMoment":
        if not isinstance(other, SecondMoment):
            return NotImplemented
        return self.copy().merge(other)

    def __radd__(self, other) -> "SecondMoment":
        """``0 + moment``, so that ``sum(moments)`` works; any other left operand is refused."""
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self.copy()
        return NotImplemented

    def __iadd__(self, other: "SecondMoment") -> "SecondMoment":
        if not isinstance(other, SecondMoment):
            return NotImplemented
        return self.merge(other)

    def copy(self) -> "SecondMoment":
        """An independent copy."""
        new = SecondMoment(self.d)
        if self.d is not None:
            new._outer[...] = self._outer
            new._sum[...] = self._sum
        new.count, new.n_batches, new._centred = self.count, self.n_batches, self._centred
        return new

    # ------------------------------------------------------------------ results

    def _check_not_empty(self) -> None:
        if not self.count:
            raise ValueError("the moment is empty: no samples were added (an empty loader, "
                             "or only batches without rows)")

    @property
    def mean(self) -> np.ndarray:
        """Mean sample ``mu = sum_i x_i / n``, shape ``(d,)``."""
        self._check_not_empty()
        return self._sum / self.count

    def moment(self, centred: bool = False) -> np.ndarray:
        """The second moment as a full symmetric ``(d, d)`` float64 array (a new array).

        Parameters
        ----------
        centred : bool
            Return ``M - n mu mu^T = sum_i (x_i - mu)(x_i - mu)^T`` instead of ``M``.
        """
        centred = check_bool(centred, "centred")
        self._check_not_empty()
        full = np.tril(self._outer)
        full += np.tril(self._outer, -1).T
        if centred:
            full -= np.outer(self._sum, self._sum / self.count)
            full = 0.5 * (full + full.T)
        return full

    def centred(self) -> "SecondMoment":
        """The moment of the centred samples ``x_i - mu``: ``M - n mu mu^T``, zero sum.

        ``descramble(moment.centred())`` descrambles centred preactivations. The result
        is marked centred (:attr:`is_centred`): it takes no more samples and merges with
        no other non-empty moment, as centring does not commute with either; centre
        after the last update or merge.
        """
        self._check_not_empty()
        new = self.copy()
        # Rank-one downdate of the lower triangle, in place (BLAS dsyr).
        new._outer = dsyr(-1.0 / self.count, self._sum, lower=1, a=new._outer, overwrite_a=1)
        new._sum[...] = 0.0
        new._centred = True
        return new

    @property
    def is_centred(self) -> bool:
        """True for a moment made by :meth:`centred` (its samples sum to zero)."""
        return self._centred

    def lower_triangle(self) -> np.ndarray:
        """The accumulation buffer itself (Fortran order, lower triangle valid): no copy.

        For memory-lean consumers such as the streamed closed form; do not modify it.
        """
        self._check_not_empty()
        return self._outer

    def to_problem(self, A: ArrayLike | None = None, *,
                   centred: bool = False) -> BrockettProblem:
        """The :class:`~descramble_lib.BrockettProblem` ``tr(A P M P^T)`` for this moment.

        Parameters
        ----------
        A : array_like, shape (d, d), optional
            Symmetric cost matrix; default the smoothness operator.
        centred : bool
            Use the centred moment ``M - n mu mu^T``.
        """
        return BrockettProblem.from_moment(self.moment(centred), A)

    def __repr__(self) -> str:
        centred = ", centred" if self._centred else ""
        return (f"SecondMoment(d={self.d}, count={self.count}, "
                f"n_batches={self.n_batches}{centred})")
