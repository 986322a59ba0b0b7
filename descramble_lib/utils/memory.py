"""Peak memory of this process, for the book's measurements and the scale benchmark.

On Linux the kernel keeps the high-water mark of the resident set (``VmHWM`` in
``/proc/self/status``) and resets it to the current resident set when ``5`` is written to
``/proc/self/clear_refs``: the exact peak of a block of code, at no cost. Elsewhere, or
where that file cannot be written, :class:`PeakMemory` samples the resident set every few
milliseconds in a thread (with ``psutil``), which can miss a short spike.

Either way the figure is the peak *above the resident set at the start*: memory that the
allocator freed before the block and reuses inside it does not count, so it is the growth
the block causes, a lower bound on what the block touched.
"""

from __future__ import annotations

import resource
import sys
import threading
import time

from .._validation import check_real

__all__ = ["PeakMemory", "resident_bytes", "peak_resident_bytes"]

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (Linux), or None where there is none."""
    try:
        with open(_STATUS) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def resident_bytes() -> int:
    """The resident set of this process now, in bytes."""
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    import psutil

    return int(psutil.Process().memory_info().rss)


def peak_resident_bytes() -> int:
    """The peak resident set of this process so far (since the last reset), in bytes.

    ``VmHWM`` on Linux; elsewhere ``ru_maxrss`` (bytes on macOS, KiB on other systems).
    In a process forked from a large parent, ``ru_maxrss`` can include the parent's
    memory at the fork, which ``VmHWM`` does not.
    """
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _reset_peak() -> bool:
    """Reset ``VmHWM`` to the current resident set; False where that is not possible."""
    try:
        with open(_CLEAR_REFS, "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


class PeakMemory:
    """Peak resident set inside a ``with`` block, above its size at the start, in bytes.

    Parameters
    ----------
    interval_s : float
        Sampling interval in seconds where the kernel's high-water mark cannot be reset
        (default 0.002).

    Attributes
    ----------
    bytes : int
        After the block: peak resident set minus the resident set at the start.
    exact : bool
        True when the kernel's high-water mark was used, False when sampled.

    Examples
    --------
    >>> with PeakMemory() as memory:
    ...     result = descramble_layer(model, "0", loader)
    >>> memory.bytes / 2**20                     # MiB above the start
    """

    def __init__(self, interval_s: float = 0.002):
        self.interval_s = check_real(interval_s, "interval_s", positive=True)
        self.bytes = 0
        self.exact = False

    def __enter__(self) -> "PeakMemory":
        self.exact = _reset_peak()
        self._start = resident_bytes()
        self._samples = [self._start]
        self._running = not self.exact
        if self._running:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self._samples.append(resident_bytes())
            time.sleep(self.interval_s)

    def __exit__(self, *exc_info) -> None:
        if self.exact:
            peak = peak_resident_bytes()
        else:
            self._running = False
            self._thread.join()
            peak = max(self._samples + [resident_bytes()])
        self.bytes = max(0, peak - self._start)
