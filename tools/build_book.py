"""Build the book exactly as ``jupyter-book build . -W --keep-going``, reading chapters in parallel.

Usage: python tools/build_book.py [--jobs N] [extra jupyter-book build options]

Every chapter is executed while Sphinx reads it (myst-nb's inline mode), and most of the
work is single-threaded (network training runs on one thread), so reading the chapters in
``N`` processes (default: the number of cores) shortens a cold build on a multi-core
machine. ``jupyter-book build`` has no option for Sphinx's ``parallel`` argument; this
script passes it through ``jupyter_book.sphinx.build_sphinx``, which the command calls, and
changes nothing else. ``--jobs 1`` is the plain serial build.

Chapters that need the same trained network do not train it twice: the library's network
cache holds a file lock while it trains (``descramble_lib.deer.training``).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys

import jupyter_book.sphinx
from jupyter_book.cli.main import main


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes reading (and executing) chapters; default: cores")
    options, rest = parser.parse_known_args(argv)
    if options.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {options.jobs}")
    jupyter_book.sphinx.build_sphinx = functools.partial(jupyter_book.sphinx.build_sphinx,
                                                         jobs=options.jobs)
    # click's standalone mode exits with jupyter-book's status (non-zero on a failed build).
    return main(["build", ".", "-W", "--keep-going", *rest])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
