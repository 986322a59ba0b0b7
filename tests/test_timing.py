"""Tests of best-of-N timing and the BLAS thread limit."""

import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import descramble_lib as dl


def test_best_time_keeps_the_minimum_and_the_last_value():
    """Every call is timed; best_s is the smallest time and value the last return value."""
    calls = []

    def work():
        calls.append(len(calls))
        return len(calls)

    timing = dl.utils.best_time(work, repeats=4)
    assert calls == [0, 1, 2, 3] and timing.value == 4 and timing.repeats == 4
    assert timing.best_s == min(timing.times_s) and all(t >= 0 for t in timing.times_s)


def test_best_time_with_threads_restores_the_limits():
    """Inside, the BLAS libraries run one thread; afterwards the previous limits are back."""
    before = [info["num_threads"] for info in threadpool_info()]
    seen = dl.utils.best_time(lambda: [info["num_threads"] for info in threadpool_info()],
                        repeats=2, threads=1).value
    assert all(n == 1 for n in seen)
    assert [info["num_threads"] for info in threadpool_info()] == before


def test_cpu_clock_does_not_count_sleeping():
    """A call that sleeps takes wall time but almost no CPU time; both clocks see work."""
    nap = lambda: time.sleep(0.05)  # noqa: E731
    assert dl.utils.best_time(nap, repeats=2).best_s >= 0.05
    assert dl.utils.best_time(nap, repeats=2, clock="cpu").best_s < 0.025
    work = lambda: float(np.sum(np.sqrt(np.arange(2_000_000.0))))  # noqa: E731
    assert dl.utils.best_time(work, repeats=2, clock="cpu").best_s > 0


@pytest.mark.parametrize("kwargs", [dict(repeats=0), dict(repeats=2.5), dict(threads=0),
                                    dict(clock="gpu")])
def test_best_time_checks_its_options(kwargs):
    """Non-positive or non-integer repeats and threads raise ValueError."""
    with pytest.raises(ValueError):
        dl.utils.best_time(lambda: None, **kwargs)


def test_best_time_rejects_non_callables():
    """A value instead of a function raises ValueError."""
    with pytest.raises(ValueError):
        dl.utils.best_time(np.eye(3))


def test_blas_threads_as_a_call_holds_until_restored():
    """Called without a with-block, the limit holds until restore()."""
    before = [info["num_threads"] for info in threadpool_info()]
    limits = dl.limit_threads(1)
    try:
        assert all(info["num_threads"] == 1 for info in threadpool_info())
    finally:
        limits.restore()
    assert [info["num_threads"] for info in threadpool_info()] == before
    with pytest.raises(ValueError):
        dl.limit_threads(0)
