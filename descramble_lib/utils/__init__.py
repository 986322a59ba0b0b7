"""Helpers for the book: best-of-N timing on a shared machine and Markdown tables.
"""

from .tables import markdown_table
from .timing import Timing, best_time

__all__ = ["markdown_table", "Timing", "best_time"]
