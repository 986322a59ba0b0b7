"""Computed values in the prose of a chapter, written as MyST inline expressions.

The chapters put every computed number into their text as ``{eval}`name```, with ``name`` a
variable of the chapter. The static book evaluates it while it builds (myst-nb's inline
execution) and JupyterLab evaluates it live (jupyterlab-myst, when the Markdown cell runs);
both print the ``text/plain`` form of the value. For a float that is its full ``repr``
(``0.9312345678``), for a numpy integer ``np.int64(1024)``. :func:`shown` wraps a value so
that its ``repr`` is the text to print, formatted once where the value is computed::

    sine_smallest = dl.utils.shown(np.median(sine[0]), ".2f")   # prose: {eval}`sine_smallest`
"""

from __future__ import annotations

from typing import Any

__all__ = ["Shown", "shown"]


class Shown:
    """A value and its ``format`` spec; ``repr`` and ``str`` are the formatted text.

    Attributes
    ----------
    value : object
        The value as computed (a number, a string, ...).
    spec : str
        Its format spec (``".2f"``, ``".1e"``, ``","``; ``""`` for ``str``-like output).
    """

    __slots__ = ("spec", "value")

    def __init__(self, value: Any, spec: str = "") -> None:
        if not isinstance(spec, str):
            raise TypeError(f"spec must be a format spec string, got {type(spec).__name__}")
        format(value, spec)  # a bad spec fails here, next to the computation, not in the prose
        self.value = value
        self.spec = spec

    def __repr__(self) -> str:
        return format(self.value, self.spec)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(self.value, spec or self.spec)


def shown(value: Any, spec: str = "") -> Shown:
    """``value`` as the prose shows it: ``repr(shown(0.93123, ".2f")) == "0.93"``.

    Parameters
    ----------
    value : object
        A number (Python or numpy), a string, or anything ``format`` accepts.
    spec : str, optional
        A ``format`` spec such as ``".2f"``, ``".0f"``, ``".1e"``; empty: ``format(value, "")``,
        so integers print as digits and strings without quotes.

    Raises
    ------
    ValueError
        ``spec`` does not apply to ``value`` (e.g. ``".2f"`` for a string).
    TypeError
        ``spec`` is not a string.
    """
    return Shown(value, spec)
