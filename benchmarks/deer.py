"""DEER benchmark: simulator speed, full DEERNet training time, held-out errors.

Prints, in Markdown:

1. the wall-clock time of ``simulate(100_000, rng=0)`` (target <= 5 s);
2. the wall-clock time of the full training recipe ``train_deernet(DEERNetConfig())``
   (simulating the training and validation sets included; target <= 180 s), the
   training loop alone, and the bare matrix products of the same steps timed in the
   same run (target: loop <= 2x the products);
3. held-out errors on the configuration's test set: the MSE in the training scale
   (unit-maximum distributions) of DEERNet and of the trivial predictor (the mean
   validation distribution), and the relative L2 error of unit-area distributions
   for DEERNet, the Tikhonov-GCV baseline (given the true background and
   modulation depth) and the trivial predictor.

Run ``python benchmarks/deer.py`` from the repository root (about 1-3 minutes on
2 cores). ``--cached`` loads the network from the cache (or trains it once) instead
of timing a fresh training run. The load average is printed at the start and at the
end, so a run on a busy machine can be recognised.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import torch

import descramble_lib
from training_step import bare_products  # benchmarks/ is on sys.path when run as a script
from descramble_lib.deer import (DEERNetConfig, distribution_error, pretrained_deernet, simulate,
                            tikhonov_deer, train_deernet)

SIMULATION_TARGET_S = 5.0
TRAINING_TARGET_S = 180.0
SIMULATION_SIZE = 100_000
LOOP_RATIO_TARGET = 2.0


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cached", action="store_true",
                        help="use pretrained_deernet() instead of timing a fresh training run")
    parser.add_argument("--activation", default="tanh", choices=["tanh", "sigmoid", "relu"])
    args = parser.parse_args()
    config = DEERNetConfig(hidden_activation=args.activation)

    print(f"# DEER benchmark ({platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, descramble_lib {descramble_lib.__version__}, "
          f"torch {torch.__version__}, numpy {np.__version__})")
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")

    start = time.perf_counter()
    simulate(SIMULATION_SIZE, rng=0)
    simulation_s = time.perf_counter() - start

    if args.cached:
        trained = pretrained_deernet(args.activation, config=config)
        training_s = trained.train_time_s
        training_note = "training loop only, from the cache record"
    else:
        start = time.perf_counter()
        trained = train_deernet(config)
        training_s = time.perf_counter() - start
        training_note = "simulation of the training and validation sets included"

    # The same steps' bare matrix products (forward, weight and input gradients), timed in
    # the same run on the same training set: the floor any training loop can reach.
    signals = torch.from_numpy(trained.data("train").signals.astype(np.float32))
    start = time.perf_counter()
    bare_products(trained.model.as_sequential(), signals, config.epochs)
    bare_s = time.perf_counter() - start
    loop_ratio = trained.train_time_s / bare_s

    test, validation = trained.data("test"), trained.data("validation")
    prediction = trained.predict(test.signals)
    mean_distribution = np.tile(validation.distributions.mean(axis=0), (len(test), 1))
    start = time.perf_counter()
    tikhonov = tikhonov_deer(test)
    tikhonov_s = time.perf_counter() - start

    mse = {"DEERNet": np.mean((prediction - test.distributions) ** 2),
           "trivial (mean distribution)": np.mean((mean_distribution - test.distributions) ** 2)}
    relative = {
        "DEERNet": distribution_error(prediction, test.distributions, test.r),
        "Tikhonov + GCV (true background)": distribution_error(
            tikhonov.solution.T, test.distributions, test.r),
        "Tikhonov + GCV, negatives clipped": distribution_error(
            np.clip(tikhonov.solution.T, 0, None), test.distributions, test.r),
        "trivial (mean distribution)": distribution_error(
            mean_distribution, test.distributions, test.r),
    }

    print("| quantity | value | target |")
    print("|---|---|---|")
    print(f"| simulate {SIMULATION_SIZE:,} examples | {simulation_s:.2f} s | "
          f"<= {SIMULATION_TARGET_S:g} s {verdict(simulation_s <= SIMULATION_TARGET_S)} |")
    print(f"| full training recipe, {config.n_train:,} examples, batch {config.batch_size}, "
          f"{config.epochs} epochs ({training_note}) | {training_s:.1f} s | "
          f"<= {TRAINING_TARGET_S:g} s {verdict(training_s <= TRAINING_TARGET_S)} |")
    print(f"| training loop alone (no simulation) | {trained.train_time_s:.1f} s | |")
    print(f"| bare matrix products of the same {config.epochs} epochs | {bare_s:.1f} s | |")
    print(f"| training loop / bare products | {loop_ratio:.2f} | "
          f"<= {LOOP_RATIO_TARGET:g} {verdict(loop_ratio <= LOOP_RATIO_TARGET)} |")
    print(f"| Tikhonov + GCV on {len(test):,} test signals | {tikhonov_s:.2f} s | |")
    print(f"\nHeld-out test set: {len(test):,} examples (seed-derived, never trained on).\n")
    print("| method | test MSE (unit-maximum scale) |")
    print("|---|---|")
    for name, value in mse.items():
        print(f"| {name} | {value:.4f} |")
    print("\n| method | relative L2 error, median | mean | 90th percentile |")
    print("|---|---|---|---|")
    for name, e in relative.items():
        print(f"| {name} | {np.median(e):.3f} | {np.mean(e):.3f} | "
              f"{np.quantile(e, 0.9):.3f} |")
    better = mse["DEERNet"] < 0.5 * mse["trivial (mean distribution)"]
    print(f"\nDEERNet test MSE below half the trivial MSE: {verdict(better)}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
