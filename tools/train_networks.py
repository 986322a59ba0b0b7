"""Train the networks the chapters share, side by side, before the book is built.

Usage: python tools/train_networks.py [--jobs N]

The tanh and ReLU DEERNets are each used by several chapters and trained, on one thread,
by whichever chapter asks first (the library's cache holds a file lock meanwhile, so a
second chapter waits rather than training again). Training both here, in two processes,
lets a cold ``make book`` spend those minutes on two cores at once instead of inside one
chapter while the other chapters wait. Networks already in the cache are loaded and
checked, not retrained; the chapters then load exactly the same files.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

ACTIVATIONS = ("tanh", "relu")


def train(activation: str) -> tuple[str, bool, float]:
    import descramble_lib as dl

    started = time.perf_counter()
    trained = dl.deer.pretrained_deernet(activation, progress=False)
    return activation, trained.from_cache, time.perf_counter() - started


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(len(ACTIVATIONS), os.cpu_count() or 1))
    options = parser.parse_args(argv)
    if options.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {options.jobs}")
    with ProcessPoolExecutor(max_workers=options.jobs) as pool:
        for activation, from_cache, seconds in pool.map(train, ACTIVATIONS):
            how = "loaded from the cache" if from_cache else "trained"
            print(f"DEERNet ({activation}): {how} in {seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
