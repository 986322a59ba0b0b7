"""The paper's own descrambler against the book's solvers on a DEERNet-sized layer.

One problem with d = 80 neurons: the trained DEERNet's layer-1 preactivations on 2000
simulated signals if that network is already in the weight cache (it is never trained
here), else seeded random preactivations with a decaying spectrum
(``S = G1 diag(logspace(0, -3, 80)) G2``, ``G1`` 80 x 80 and ``G2`` 80 x 2000 Gaussian).
For each cost matrix, the original's ``A = D1^T D1`` (first derivative, eigenvalues
``k^2``) and the book's ``A = D^T D`` (second derivative, ``k^4``), it runs

* the paper's strategies (a)-(c) with the original solver, trust-region Newton–CG in
  Cayley coordinates (``descramble(S, A, **ORIGINAL_STRATEGIES[key])``, 1000 iterations
  at most, fmincon's default relative gradient tolerance 1e-6);
* with ``--exact-hessian``, the same with exact Hessian-vector products;
* the Wen–Yin plain Cayley descent of the book's Figure 1 (``STRATEGIES`` (a)-(c),
  ``precondition=False``, 1000 iterations), the preconditioned descent and the closed form,

and prints, per run, the iterations, the wall time, the certified relative gap
``(loss - bound) / bound``, ``max |P^T P - I|`` and the solver's stopping message.
For strategy (b) it also prints how far the original's start (the strict lower
triangle of the Cayley pre-image of ``T``) is from ``T``.

Run ``.venv/bin/python benchmarks/original.py`` from the repository root (about 2-5
minutes on 2 cores). ``--random`` uses the random problem even if the network is
cached; ``--operators first`` runs one operator; ``--max-iter`` and ``--gtol`` change
the budget (``--gtol 0`` forces all 1000 iterations: several minutes per run). BLAS runs
on one thread; the load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import scipy

import descramble_lib as dl
from descramble_lib.paper import (ORIGINAL_STRATEGIES, STRATEGIES, eigenbasis_start,
                                  original_cost_matrix)

D = 80
N = 2000


def layer_data(force_random: bool, seed: int) -> tuple[np.ndarray, str]:
    """Layer-1 preactivations of the cached trained DEERNet, or random ones."""
    if not force_random:
        from descramble_lib.deer import (DEERNetConfig, deernet_cache_path, preactivations,
                                         pretrained_deernet, simulate)
        if deernet_cache_path(DEERNetConfig()).is_file():
            trained = pretrained_deernet(progress=False)
            signals = simulate(N, rng=seed).signals
            return preactivations(trained, signals, 1), (
                f"trained DEERNet layer 1 on {N} simulated signals (seed {seed})")
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((D, D)) @ np.diag(np.logspace(0, -3, D)) @ rng.standard_normal((D, N))
    return S, f"random preactivations {D} x {N}, spectrum logspace(0, -3) (seed {seed})"


def row(label: str, result: dl.Descrambling, note: str = "") -> str:
    message = result.message.split(";")[0]
    return (f"| {label} | {result.n_iter} | {result.wall_time_s:.2f} | "
            f"{result.relative_gap:.2e} | {dl.orthogonality_error(result.P):.1e} | "
            f"{'yes' if result.converged else 'no'} | {message}{note} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", action="store_true",
                        help="random preactivations even if the trained DEERNet is cached")
    parser.add_argument("--operators", nargs="+", default=["first", "second"],
                        choices=["first", "second"])
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--gtol", type=float, default=1e-6)
    parser.add_argument("--exact-hessian", action="store_true",
                        help="also run (a)-(c) with exact Hessian-vector products")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    print(f"# The original descrambler ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, descramble_lib {dl.__version__}, numpy {np.__version__}, "
          f"scipy {scipy.__version__})")
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    S, source = layer_data(args.random, args.seed)
    print(f"data: {source}\n")
    budget = dict(max_iter=args.max_iter)
    started = time.perf_counter()
    with dl.limit_threads(1):
        for operator in args.operators:
            A = original_cost_matrix(D, operator)
            problem = dl.BrockettProblem(S, A)
            start = eigenbasis_start(problem)
            name = ("first derivative, A = D1^T D1 (the original's)" if operator == "first"
                    else "second derivative, A = D^T D (the book's)")
            print(f"## {name}\n")
            print(f"det T = {start.det_T:+.0f}; the original's start for (b) is "
                  f"||P0 - T||_F = {start.distance:.3g} from T "
                  f"(sqrt(2d) = {np.sqrt(2 * D):.3g} for orthogonal directions)\n")
            print("| solver | iterations | wall time (s) | relative gap | max abs(P^T P - I) "
                  "| converged | stopped because |")
            print("|---|---|---|---|---|---|---|")
            runs = [("original", "differences")]
            if args.exact_hessian:
                runs.append(("original, exact Hessian products", "exact"))
            for title, hessian in runs:
                for key in "abc":
                    print(f"running {title} ({key}) ...", file=sys.stderr, flush=True)
                    result = dl.descramble(problem, **ORIGINAL_STRATEGIES[key], **budget,
                                           gtol=args.gtol, hessian=hessian)
                    print(row(f"{title} ({key})", result), flush=True)
            for key in "abc":
                result = dl.descramble(problem, **STRATEGIES[key], **budget)
                print(row(f"Wen–Yin plain Cayley ({key})", result), flush=True)
            result = dl.descramble(problem, **STRATEGIES["preconditioned"], **budget)
            print(row("preconditioned Cayley (book)", result), flush=True)
            print(row("closed form T U^T (d)", dl.descramble(problem, **ORIGINAL_STRATEGIES["d"])))
            print()
    print(f"total {time.perf_counter() - started:.0f} s; "
          f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
