"""Execute chapters on a fresh kernel, as the book build does, and report time per chapter.

Usage: python tools/execute_notebook.py notebooks/01_lemma1_brockett.md [more.md ...]

Exits 1 on the first cell error (the traceback is printed). Outputs are not written
back: the chapters stay plain text.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 900) -> float:
    """Run every cell of ``path`` in a new kernel started in the chapter's folder; return seconds."""
    notebook = jupytext.read(path)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - started


def main(paths: list[str]) -> int:
    for name in paths:
        seconds = execute(Path(name).resolve())
        print(f"{name}: ok in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
