"""DEERNet training step: shared loop vs today's loop vs the bare matrix products.

Builds the DEERNet-shaped MLP (256 -> 80 tanh -> 256 sigmoid, float32) and random data
of the real sizes (200 000 training examples with unit-maximum targets, 2 000
validation examples), then times, side by side in one run and on one torch thread:

* ``old``: a copy of the inner loop of ``train_deernet`` before the shared loop (Adam
  with its default implementation, StepLR, ``X[index]``, ``loss.item()`` every step,
  deterministic algorithms, validation every epoch);
* ``shared, autograd``: :func:`descramble_lib._training.train_minibatches` with
  ``fast_mlp=False`` (the generic path any model takes), default and fused Adam;
* ``shared, hand-written``: the same with its hand-written MLP gradient (the path
  DEERNet takes), default and fused Adam (``fused`` is the recommended recipe);
* ``bare products``: only the matrix products of the same steps, same shapes
  (forward ``X W1^T`` and ``H W2^T``; backward ``G2^T H``, ``G2^T 1``, ``G1^T X``,
  ``G1^T 1`` and the input gradient ``G2 W2``) on preallocated outputs.

Each variant runs ``--repeats`` times, interleaved, and the fastest run counts. The
target is a shared loop within 2x of the bare products. Run from the repository root::

    .venv/bin/python benchmarks/training_step.py              # 2 epochs, ~30 s
    .venv/bin/python benchmarks/training_step.py --epochs 1 --repeats 1
    .venv/bin/python benchmarks/training_step.py --data simulated --activation relu

With ``--data random`` a ReLU net loses every hidden unit, and Adam's moments of the
dead weights decay into denormal numbers, which are slow on x86; the shared loop flushes
them to zero, the old loop does not. ``--data simulated`` shows the realistic ReLU case.
"""

from __future__ import annotations

import argparse
import inspect
import os
import time

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from descramble_lib._training import train_minibatches

N_TRAIN, N_VALIDATION, N_IN, N_HIDDEN, BATCH = 200_000, 2_000, 256, 80, 256
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def make_data(seed: int, kind: str = "random"):
    """Training and validation inputs and unit-maximum targets, float32.

    ``"random"``: uniform noise (fast to make; a ReLU net on it dies, every hidden unit
    off). ``"simulated"``: DEER signals and distributions from the library's simulator.
    """
    n = N_TRAIN + N_VALIDATION
    if kind == "simulated":
        from descramble_lib.deer import simulate
        keyword = "rng" if "rng" in inspect.signature(simulate).parameters else "seed"
        simulation = simulate(n, **{keyword: seed})
        X, Y = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
                for a in (simulation.signals, simulation.distributions))
    else:
        generator = torch.Generator().manual_seed(seed)
        X = torch.rand(n, N_IN, generator=generator)
        Y = torch.rand(n, N_IN, generator=generator) + 1e-3
        Y /= Y.max(dim=1, keepdim=True).values
    return X[:N_TRAIN], Y[:N_TRAIN], X[N_TRAIN:], Y[N_TRAIN:]


def make_model(activation: str, seed: int) -> nn.Sequential:
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(N_IN, N_HIDDEN), ACTIVATIONS[activation](),
                          nn.Linear(N_HIDDEN, N_IN), nn.Sigmoid())
    with torch.no_grad():
        for layer in (model[0], model[2]):
            bound = 1.0 / np.sqrt(layer.in_features)
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
    return model


def old_loop(model, X, Y, X_val, Y_val, epochs, seed):
    """Today's ``train_deernet`` inner loop (copied; only the data and model are given)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=5, gamma=0.5)
    batches = torch.Generator().manual_seed(seed)
    losses = {"train_loss": [], "validation_loss": [], "learning_rate": []}
    deterministic = torch.are_deterministic_algorithms_enabled()
    previous = torch.get_num_threads()
    try:
        torch.use_deterministic_algorithms(True)
        torch.set_num_threads(1)
        bar = tqdm(range(epochs), desc="old", unit="epoch", disable=True)
        for _ in bar:
            losses["learning_rate"].append(optimiser.param_groups[0]["lr"])
            model.train()
            order = torch.randperm(X.shape[0], generator=batches)
            total = 0.0
            for first in range(0, X.shape[0], BATCH):
                index = order[first:first + BATCH]
                optimiser.zero_grad(set_to_none=True)
                loss = nn.functional.mse_loss(model(X[index]), Y[index])
                loss.backward()
                optimiser.step()
                total += loss.item() * index.numel()
            schedule.step()
            model.eval()
            with torch.no_grad():
                val = nn.functional.mse_loss(model(X_val), Y_val).item()
            losses["train_loss"].append(total / X.shape[0])
            losses["validation_loss"].append(val)
            bar.set_postfix(train=f"{losses['train_loss'][-1]:.2e}", val=f"{val:.2e}")
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(previous)
    return losses


def shared_loop(model, X, Y, X_val, Y_val, epochs, seed, *, fused, fast):
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01, fused=fused or None)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=5, gamma=0.5)
    return train_minibatches(model, X, Y, loss_fn=nn.functional.mse_loss,
                             optimiser=optimiser, epochs=epochs, batch_size=BATCH,
                             generator=torch.Generator().manual_seed(seed),
                             scheduler=schedule, validation=(X_val, Y_val),
                             progress=False, fast_mlp=fast)


def bare_products(model, X, epochs):
    """The matrix products of the same steps (shapes of every batch, last one included)."""
    W1, W2 = model[0].weight.detach(), model[2].weight.detach()
    H, P = torch.rand(BATCH, N_HIDDEN), torch.rand(BATCH, N_IN)
    G1, G2, ones = torch.rand(BATCH, N_HIDDEN), torch.rand(BATCH, N_IN), torch.ones(BATCH)
    dW1, dW2, db1, db2 = (torch.empty_like(W1), torch.empty_like(W2),
                          torch.empty(N_HIDDEN), torch.empty(N_IN))
    dH = torch.empty(BATCH, N_HIDDEN)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(epochs):
            for first in range(0, X.shape[0], BATCH):
                x = X[first:first + BATCH]            # contiguous rows, no gather
                m = x.shape[0]
                torch.mm(x, W1.t(), out=H[:m])
                torch.mm(H[:m], W2.t(), out=P[:m])
                torch.mm(G2[:m].t(), H[:m], out=dW2)
                torch.mv(G2[:m].t(), ones[:m], out=db2)
                torch.mm(G2[:m], W2, out=dH[:m])
                torch.mm(G1[:m].t(), x, out=dW1)
                torch.mv(G1[:m].t(), ones[:m], out=db1)
    finally:
        torch.set_num_threads(previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--activation", default="tanh", choices=sorted(ACTIVATIONS))
    parser.add_argument("--data", default="random", choices=["random", "simulated"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    X, Y, X_val, Y_val = make_data(args.seed, args.data)
    steps = args.epochs * -(-N_TRAIN // BATCH)
    variants = {
        "old (Adam default, X[index], item)": lambda m: old_loop(
            m, X, Y, X_val, Y_val, args.epochs, args.seed),
        "shared, autograd, Adam default": lambda m: shared_loop(
            m, X, Y, X_val, Y_val, args.epochs, args.seed, fused=False, fast=False),
        "shared, autograd, Adam fused": lambda m: shared_loop(
            m, X, Y, X_val, Y_val, args.epochs, args.seed, fused=True, fast=False),
        "shared, hand-written, Adam default": lambda m: shared_loop(
            m, X, Y, X_val, Y_val, args.epochs, args.seed, fused=False, fast=True),
        "shared, hand-written, Adam fused": lambda m: shared_loop(
            m, X, Y, X_val, Y_val, args.epochs, args.seed, fused=True, fast=True),
        "bare products": lambda m: bare_products(m, X, args.epochs),
    }
    best = dict.fromkeys(variants, float("inf"))
    losses = {}
    print(f"torch {torch.__version__}, {args.epochs} epochs x {steps // args.epochs} steps "
          f"(batch {BATCH}, {N_TRAIN} {args.data} examples), {args.activation}, "
          f"best of {args.repeats}, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    for _ in range(args.repeats):
        for name, run in variants.items():
            model = make_model(args.activation, args.seed)
            start = time.perf_counter()
            result = run(model)
            best[name] = min(best[name], time.perf_counter() - start)
            if result is not None:
                losses[name] = result["train_loss"][-1], result["validation_loss"][-1]
    bare = best["bare products"]
    print("\n| variant | total (s) | ms/step | / bare products | full 50 epochs (s) | "
          "last train / val loss |\n|---|---|---|---|---|---|")
    for name, seconds in best.items():
        loss = "{:.5e} / {:.5e}".format(*losses[name]) if name in losses else ""
        print(f"| {name} | {seconds:.2f} | {1e3 * seconds / steps:.3f} | "
              f"{seconds / bare:.2f} | {seconds * 50 / args.epochs:.0f} | {loss} |")
    ratio = best["shared, hand-written, Adam fused"] / bare
    speedup = best["old (Adam default, X[index], item)"] / best["shared, hand-written, Adam fused"]
    print(f"\nshared loop (hand-written, fused Adam) / bare products = {ratio:.2f} "
          f"(target <= 2): {'PASS' if ratio <= 2 else 'FAIL'}; speed-up over old loop "
          f"{speedup:.2f}x; load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
