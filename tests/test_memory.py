"""Tests of the peak-memory helpers: a touched allocation is seen, by the kernel's
high-water mark and by sampling, and nothing is reported for a block that allocates nothing."""

import time

import numpy as np
import pytest

import descramble_lib as dl
from descramble_lib.utils import memory

MIB = 2 ** 20


def _allocate_and_hold(megabytes: int, hold_s: float = 0.0) -> float:
    block = np.ones(megabytes * MIB // 8)          # written: resident, not just reserved
    time.sleep(hold_s)
    return float(block[-1])


@pytest.mark.parametrize("exact", [True, False])
def test_a_touched_allocation_is_seen(exact, monkeypatch):
    if not exact:
        monkeypatch.setattr(memory, "_reset_peak", lambda: False)
    elif not memory._reset_peak():
        pytest.skip("the kernel's high-water mark cannot be reset here")
    with dl.utils.PeakMemory(interval_s=0.001) as peak:
        _allocate_and_hold(120, hold_s=0.05)
    assert peak.exact is exact
    assert 100 * MIB < peak.bytes < 400 * MIB


def test_an_empty_block_reports_little():
    with dl.utils.PeakMemory() as peak:
        pass
    assert 0 <= peak.bytes < 20 * MIB


def test_resident_and_peak_are_consistent():
    assert 0 < dl.utils.resident_bytes() <= dl.utils.peak_resident_bytes()


@pytest.mark.parametrize("interval_s", [0.0, -1.0, float("nan"), "fast"])
def test_bad_intervals_are_refused(interval_s):
    with pytest.raises(ValueError, match="interval_s"):
        dl.utils.PeakMemory(interval_s)
