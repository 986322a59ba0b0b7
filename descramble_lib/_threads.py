"""One helper for the number of CPU threads: BLAS (NumPy, SciPy) and torch together.

Small dense problems (d x d matrices with d in the tens to hundreds, minibatches of a
few hundred rows) run fastest on one thread: with several, the threads of a small
product mostly wait for each other, and on a machine shared with other jobs that
waiting can cost ten to a hundred times the work. :func:`limit_threads` sets both
thread pools at once and restores them when its block ends.
"""

from __future__ import annotations

import torch
from threadpoolctl import threadpool_limits

from ._validation import check_positive_int

__all__ = ["limit_threads"]


class limit_threads:  # noqa: N801 (used like a function, as threadpoolctl's limits)
    """Run BLAS/OpenMP (NumPy, SciPy) and torch on ``n`` threads.

    The limit applies from the call on. Used as ``with limit_threads(1): ...`` it is
    lifted (the previous settings restored) when the block ends; called on its own,
    e.g. at the top of a notebook, it holds until :meth:`restore` is called or the
    process ends.

    Parameters
    ----------
    n : int
        Number of threads (>= 1; NumPy integers are accepted).

    Raises
    ------
    ValueError
        ``n`` not an integer >= 1.
    """

    def __init__(self, n: int):
        self.n = check_positive_int(n, "n")
        self._torch_previous = torch.get_num_threads()
        self._blas = threadpool_limits(limits=self.n)
        torch.set_num_threads(self.n)

    def restore(self) -> None:
        """Restore the thread counts that held before the call."""
        self._blas.restore_original_limits()
        torch.set_num_threads(self._torch_previous)

    def __enter__(self) -> "limit_threads":
        return self

    def __exit__(self, *exc_info) -> None:
        self.restore()
