"""Training the invertible classifier on two moons: data, the seeded SGD recipe, accuracy."""

from __future__ import annotations
import time
from dataclasses import dataclass, field
import numpy as np
import torch
from torch import nn
from .._random import as_seed
from .._validation import check_bool, check_positive_int, check_real
from .._training import train_minibatches
from .blocks import InvertibleNet, _check_dtype

__all__ = ["MoonsTraining", "train_moons_classifier"]


@dataclass
class MoonsTraining:
    """A trained :class:`InvertibleNet` on the two-moons data, with its data and scores.

    Arrays are NumPy: ``x_*`` of shape ``(n, 2)`` in the network's dtype, ``y_*`` of
    shape ``(n,)`` int64 labels in {0, 1}; 600 training and 400 test points.
    ``rng_seed`` is the integer the run's ``torch.Generator`` was seeded with
    (``train_moons_classifier(rng_seed, ...)`` repeats the run), or None when a
    ``torch.Generator`` was passed as ``rng``.
    """

    net: InvertibleNet
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    train_accuracy: float
    test_accuracy: float
    rng_seed: int | None
    final_relu: bool
    loss_history: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0


def _accuracy(net: InvertibleNet, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((net(x).argmax(dim=1) == y).to(torch.float64).mean())


def train_moons_classifier(rng: None | int | np.random.Generator | torch.Generator, *,
                           final_relu: bool = False,
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
    rng : None, int, numpy.random.Generator or torch.Generator
        Source of randomness (positional or keyword). One ``torch.Generator`` draws the
        initial weights and then the mini-batch order: an int ``s >= 0`` seeds it
        (``train_moons_classifier(0)`` is the book's run), a NumPy Generator or None
        supplies the seed, and a ``torch.Generator`` is used as it is. The global random
        state is neither read nor changed.
    final_relu : bool, keyword-only
        Network variant (see :class:`AdditiveCoupling`).
    dtype : torch.dtype, keyword-only
        ``torch.float32`` (default) or ``torch.float64``.
    n_epochs, batch_size, lr, momentum, milestones : keyword-only
        The recipe above; change them only to experiment (``lr > 0``, ``momentum >= 0``,
        milestones are epochs >= 1).
    progress : bool, keyword-only
        Show a tqdm bar over epochs.

    Returns
    -------
    MoonsTraining
        The network (in evaluation mode), the data and the accuracies.

    Raises
    ------
    ValueError
        An argument of the wrong kind or out of range, named in the message.
    """
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    dtype = _check_dtype(dtype)
    final_relu = check_bool(final_relu, "final_relu")
    progress = check_bool(progress, "progress")
    n_epochs = check_positive_int(n_epochs, "n_epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_real(lr, "lr", positive=True)
    momentum = check_real(momentum, "momentum", minimum=0.0)
    if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
        raise ValueError(f"milestones must be a sequence of epochs, got {milestones!r}")
    milestones = tuple(check_positive_int(m, "milestones") for m in milestones)
    if isinstance(rng, torch.Generator):
        rng_seed, generator = None, rng
    else:
        rng_seed = as_seed(rng, "rng")
        generator = torch.Generator().manual_seed(rng_seed)
    start = time.perf_counter()
    X, y = make_moons(1000, noise=0.2, random_state=0)
    x_train, x_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
    numpy_dtype = np.float32 if dtype == torch.float32 else np.float64
    x_train, x_test = x_train.astype(numpy_dtype), x_test.astype(numpy_dtype)
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)

    net = InvertibleNet(final_relu=final_relu, dtype=dtype, rng=generator)
    optimiser = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimiser, list(milestones), gamma=0.1)
    history = train_minibatches(net, xt, yt, loss_fn=nn.CrossEntropyLoss(),
                                optimiser=optimiser, epochs=n_epochs, batch_size=batch_size,
                                generator=generator, scheduler=schedule, progress=progress,
                                desc="epochs")["train_loss"]
    net.eval()
    return MoonsTraining(
        net=net, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        train_accuracy=_accuracy(net, xt, yt),
        test_accuracy=_accuracy(net, torch.from_numpy(x_test), torch.from_numpy(y_test)),
        rng_seed=rng_seed, final_relu=final_relu, loss_history=history,
        wall_time_s=time.perf_counter() - start)
