"""Run torch on a given number of CPU threads for a block of code, then restore the setting."""

from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(n: int):
    """Set ``torch.set_num_threads(n)`` inside the block; the previous value is restored after.

    Small problems (minibatches of a few dozen rows, d x d matrices with d in the tens)
    run fastest on one thread; with several, the threads mostly wait for each other, and
    on a machine shared with other jobs that waiting can cost ten times the work.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
