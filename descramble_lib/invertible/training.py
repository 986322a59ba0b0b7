"""TODO docstring."""

from __future__ import annotations
import time
from dataclasses import dataclass, field
import numpy as np
import torch
from torch import nn
from .blocks import InvertibleNet, _as_generator, _check_dtype

__all__ = ["MoonsTraining", "train_moons_classifier"]


@dataclass
class MoonsTraining:
    """A trained :class:`InvertibleNet` on the two-moons data, with its data and scores.

    Arrays are NumPy: ``x_*`` of shape ``(n, 2)`` in the network's dtype, ``y_*`` of
    shape ``(n,)`` int64 labels in {0, 1}; 600 training and 400 test points.
    """

    net: InvertibleNet
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_accuracy: float
    test_accuracy: float
    seed: int
    final_relu: bool
    loss_history: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0


def _accuracy(net: InvertibleNet, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((net(x).argmax(dim=1) == y).to(torch.float64).mean())


def train_moons_classifier(seed: int, *, final_relu: bool = False,
                           dtype: torch.dtype = torch.float32, n_epochs: int = 60,
                           batch_size: int = 128, lr: float = 0.1, momentum: float = 0.9,
                           milestones: tuple[int, ...] = (20, 40),
                           progress: bool = False) -> MoonsTraining:
    """Train a six-block :class:`InvertibleNet` on two moons, deterministically.

    The recipe of Zhuang et al. (2019): ``make_moons(1000, noise=0.2, random_state=0)``,
    split 600/400 with ``train_test_split(..., test_size=0.4, random_state=42)``,
    cross-entropy, SGD with learning rate 0.1 and momentum 0.9, 60 epochs, learning rate
    multiplied by 0.1 at epochs 20 and 40, mini-batches of 128.

    Parameters
    ----------
    seed : int
        Seeds one ``torch.Generator`` that draws the initial weights and then the
        mini-batch order; the global random state is neither read nor changed.
    final_relu : bool, keyword-only
        Network variant (see :class:`AdditiveCoupling`).
    dtype : torch.dtype, keyword-only
        ``torch.float32`` (default) or ``torch.float64``.
    n_epochs, batch_size, lr, momentum, milestones : keyword-only
        The recipe above; change them only to experiment.
    progress : bool, keyword-only
        Show a tqdm bar over epochs.

    Returns
    -------
    MoonsTraining
        The network (in evaluation mode), the data and the accuracies.
    """
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split
    from tqdm.auto import tqdm

    dtype = _check_dtype(dtype)
    generator = _as_generator(seed)
    for name, value in (("n_epochs", n_epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    start = time.perf_counter()
    X, y = make_moons(1000, noise=0.2, random_state=0)
    x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    x_train, x_test = x_train.astype(numpy_dtype), x_test.astype(numpy_dtype)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)

    net = InvertibleNet(final_relu=final_relu, dtype=dtype, seed=generator)
    optimiser = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimiser, list(milestones), gamma=0.1)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    net.train()
    # Tensors of a few hundred numbers gain nothing from intra-op threads, and on a busy
    # machine the thread pool costs about ten times the work: train on one thread, then
    # restore the caller's setting.
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in tqdm(range(n_epochs), desc="epochs", disable=not progress):
            order = torch.randperm(len(xt), generator=generator)
            total = 0.0
            for batch in order.split(batch_size):
                optimiser.zero_grad()
                loss = loss_fn(net(xt[batch]), yt[batch])
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            history.append(total / len(xt))
            schedule.step()
    finally:
        torch.set_num_threads(n_threads)
    net.eval()
    return MoonsTraining(
        net=net, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        train_accuracy=_accuracy(net, xt, yt),
        test_accuracy=_accuracy(net, torch.from_numpy(x_test), torch.from_numpy(y_test)),
        seed=int(seed) if not isinstance(seed, torch.Generator) else -1,
        final_relu=bool(final_relu), loss_history=history,
        wall_time_s=time.perf_counter() - start)
