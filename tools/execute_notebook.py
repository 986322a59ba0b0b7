"""Execute chapters on a fresh kernel, as the book build does, and report time per chapter.

Usage: python tools/execute_notebook.py [--show] notebooks/01_lemma1_brockett.md [more.md ...]

With ``--show`` the text printed by each cell is echoed, for checking prose against numbers.

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


def execute(path: Path, timeout: int = 900, show: bool = False) -> float:
    """Run every cell of ``path`` in a new kernel started in the chapter's folder; return seconds."""
    notebook = jupytext.read(path)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    if show:
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stdout":
                    print(output["text"], end="")
    return time.perf_counter() - started


def main(arguments: list[str]) -> int:
    show = "--show" in arguments
    for name in [argument for argument in arguments if argument != "--show"]:
        seconds = execute(Path(name).resolve(), show=show)
        print(f"{name}: ok in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
