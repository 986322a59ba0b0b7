"""Wall-clock timing that survives a shared machine: best of several runs, BLAS threads fixed.

A single wall time on a machine shared with other jobs mostly measures the other jobs:
consecutive calls of the same small descrambling were seen to differ by a factor of
about a hundred. Two habits make timings repeatable enough to compare:

* report the **best** of several runs (as :mod:`timeit` recommends): the minimum is the
  run least disturbed by other work, while the mean and the maximum are not properties of
  the code;
* run small dense linear algebra on **one** BLAS thread: with several, the threads of a
  small matrix product mostly wait for each other, and when another job holds a core that
  waiting can cost ten to a hundred times the work (:func:`~descramble_lib.limit_threads`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from .._threads import limit_threads
from .._validation import check_positive_int

__all__ = ["Timing", "best_time"]


@dataclass(frozen=True)
class Timing:
    """Result of :func:`best_time`.

    Attributes
    ----------
    value : object
        What the last call returned (every call must compute the same thing).
    best_s : float
        Shortest time of one call, in seconds (wall or CPU, as asked).
    times_s : tuple of float
        Time of every call, in seconds, in the order they ran.
    """

    value: Any
    best_s: float
    times_s: tuple[float, ...]

    @property
    def repeats(self) -> int:
        """Number of timed calls."""
        return len(self.times_s)


#: The clocks of :func:`best_time`: wall time, or the CPU time of this process.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def best_time(fn: Callable[[], Any], *, repeats: int = 5, threads: int | None = None,
              clock: str = "wall") -> Timing:
    """Call ``fn()`` ``repeats`` times and keep the shortest time.

    Parameters
    ----------
    fn : callable with no arguments
        The work to time, e.g. ``functools.partial(descramble, S)``. It should be
        deterministic: only the last return value is kept.
    repeats : int, keyword-only
        Number of timed calls (>= 1), all of them counted: there is no untimed warm-up.
    threads : int, keyword-only, optional
        If given, run every call inside :func:`blas_threads` with that many threads.
    clock : {"wall", "cpu"}, keyword-only
        ``"wall"`` (:func:`time.perf_counter`, default) or ``"cpu"``
        (:func:`time.process_time`, the CPU time of all threads of this process: other
        jobs on a shared machine slow the wall clock, not the work; with several BLAS
        threads it exceeds the wall time).

    Returns
    -------
    Timing
        The last return value, the best time and all times, in seconds of ``clock``.
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {fn!r}")
    repeats = check_positive_int(repeats, "repeats")
    if threads is not None:
        threads = check_positive_int(threads, "threads")
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {tuple(CLOCKS)}, got {clock!r}")
    now = CLOCKS[clock]
    times = []
    value = None
    for _ in range(repeats):
        if threads is None:
            started = now()
            value = fn()
            times.append(now() - started)
        else:
            with limit_threads(threads):
                started = now()
                value = fn()
                times.append(now() - started)
    return Timing(value=value, best_s=min(times), times_s=tuple(times))
