"""Helpers for the book: best-of-N timing on a shared machine, peak memory of a block,
Markdown tables, and the values that the prose shows through MyST inline expressions
(``{eval}``).
"""

from .memory import PeakMemory, peak_resident_bytes, resident_bytes
from .prose import Shown, shown
from .tables import markdown_table
from .timing import Timing, best_time

__all__ = ["markdown_table", "Timing", "best_time", "Shown", "shown", "PeakMemory",
           "resident_bytes", "peak_resident_bytes"]
