"""Tables of numbers rendered as Markdown, for chapters that show results side by side."""

from __future__ import annotations

from typing import Sequence

__all__ = ["markdown_table"]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], *,
                   formats: Sequence[str | None] | None = None) -> str:
    """A Markdown (GitHub/MyST) pipe table.

    Parameters
    ----------
    header : sequence of str
        Column titles (Markdown, e.g. ``"$\\eta(P)$"``).
    rows : sequence of sequences
        One sequence of ``len(header)`` cells per row: strings, or numbers formatted
        with ``formats``.
    formats : sequence of str or None, keyword-only, optional
        A ``format`` spec per column (e.g. ``".3e"``); ``None`` (or no ``formats``)
        uses ``str``. Strings are never formatted.

    Returns
    -------
    str
        The table; text columns are left-aligned, numeric columns right-aligned. Pass it
        to ``IPython.display.Markdown`` to render it in a notebook or the book.
    """
    header = [str(title) for title in header]
    width = len(header)
    if width == 0:
        raise ValueError("header is empty")
    formats = [None] * width if formats is None else list(formats)
    if len(formats) != width:
        raise ValueError(f"formats has {len(formats)} entries for {width} columns")
    rows = [list(row) for row in rows]
    for number, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} cells for {width} columns")

    def cell(value, spec):
        if isinstance(value, str) or spec is None:
            return str(value).replace("|", r"\|")
        return format(value, spec)

    numeric = [bool(rows) and all(not isinstance(row[j], str) for row in rows)
               for j in range(width)]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if right else ":---" for right in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v, spec) for v, spec in zip(row, formats)) + " |"
              for row in rows]
    return "\n".join(lines)
