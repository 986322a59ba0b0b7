"""A small MLP on scikit-learn's bundled handwritten digits: a network to descramble.

The 1797 images of 8 x 8 pixels ship with scikit-learn (``load_digits``, no download).
``train_digits_mlp`` trains ``Linear(64, hidden) - tanh - Linear(hidden, 10)`` with AdamW
(decoupled weight decay) on a fixed split in a few seconds on a CPU; one ``torch.Generator`` draws the initial
weights and the minibatch order, so an integer ``rng`` gives the same network every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._random import as_seed
from .._training import train_minibatches
from .._validation import check_bool, check_positive_int, check_real

__all__ = ["DIGIT_IMAGE_SHAPE", "DigitsData", "DigitsTraining", "digits_data", "digits_mlp",
           "train_digits_mlp"]


#: Shape of one digit image (rows, columns of pixels).
DIGIT_IMAGE_SHAPE = (8, 8)


@dataclass
class DigitsData:
    """A train/test split of the digits.

    ``X_*`` have shape ``(n, 64)``: pixel intensities scaled from 0..16 to 0..1, row by row
    of the 8 x 8 image. ``y_*`` have shape ``(n,)``: the digit, 0..9.
    """

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


@dataclass
class DigitsTraining:
    """A trained digits MLP and its record.

    Attributes
    ----------
    model : nn.Sequential
        ``Linear(64, hidden)``, ``Tanh``, ``Linear(hidden, 10)`` (module names ``"0"``,
        ``"1"``, ``"2"``).
    data : DigitsData
    losses : ndarray, shape (epochs,)
        Mean training cross-entropy per epoch.
    train_accuracy, test_accuracy : float
        Fraction of correctly classified images after training.
    """

    model: nn.Sequential
    data: DigitsData
    losses: np.ndarray
    train_accuracy: float
    test_accuracy: float


_DTYPES = (torch.float32, torch.float64)


def _generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with the integer ``seed`` (from :func:`as_seed`)."""
    return torch.Generator().manual_seed(seed)


def _check_dtype(dtype) -> torch.dtype:
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def _check_test_fraction(test_fraction) -> float:
    test_fraction = check_real(test_fraction, "test_fraction")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    return test_fraction


def digits_data(*, test_fraction: float = 0.25, rng: None | int | np.random.Generator = 0,
                dtype: torch.dtype = torch.float32) -> DigitsData:
    """Load the digits and split them at random (seeded) into train and test sets.

    Parameters
    ----------
    test_fraction : float
        Share of the 1797 images held out, in (0, 1).
    rng : None, int or numpy.random.Generator
        Source of the split: an int seeds the ``torch.Generator`` that shuffles the
        images; a NumPy Generator or None supplies that seed. Default 0.
    dtype : torch.dtype
        ``torch.float32`` (default) or ``torch.float64`` for the images.
    """
    from sklearn.datasets import load_digits

    test_fraction = _check_test_fraction(test_fraction)
    dtype = _check_dtype(dtype)
    generator = _generator(as_seed(rng, "rng"))
    digits = load_digits()
    X = torch.tensor(digits.data / 16.0, dtype=dtype)
    y = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=generator)
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return DigitsData(X[train], y[train], X[test], y[test])


def digits_mlp(*, hidden: int = 32, rng: None | int | np.random.Generator = 0,
               dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """``Linear(64, hidden) - Tanh - Linear(hidden, 10)`` with PyTorch's default uniform
    initialisation, drawn from a ``torch.Generator`` seeded from ``rng`` (None, an int
    >= 0 that seeds it directly, or a NumPy Generator); global state untouched."""
    hidden = check_positive_int(hidden, "hidden")
    return _mlp(hidden, _generator(as_seed(rng, "rng")), _check_dtype(dtype))


def _mlp(hidden: int, generator: torch.Generator, dtype: torch.dtype) -> nn.Sequential:
    # skip_init: no draw from torch's global generator; the generator below draws instead.
    model = nn.Sequential(nn.utils.skip_init(nn.Linear, 64, hidden, dtype=dtype), nn.Tanh(),
                          nn.utils.skip_init(nn.Linear, hidden, 10, dtype=dtype))
    with torch.no_grad():
        for layer in (model[0], model[2]):
            bound = 1.0 / np.sqrt(layer.in_features)
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return model


def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(X).argmax(dim=1) == y).double().mean())


def train_digits_mlp(*, hidden: int = 32, epochs: int = 60, batch_size: int = 64,
                     learning_rate: float = 3e-3, weight_decay: float = 1.0,
                     test_fraction: float = 0.25, rng: None | int | np.random.Generator = 0,
                     progress: bool = True) -> DigitsTraining:
    """Train the digits MLP with AdamW and cross-entropy; deterministic for an integer ``rng``.

    Parameters
    ----------
    hidden : int
        Neurons in the hidden layer (the layer to descramble).
    epochs, batch_size : int
        Passes over the training set, and images per step.
    learning_rate : float
        AdamW step size.
    weight_decay : float
        AdamW's decoupled weight decay (each step multiplies the weights by
        ``1 - learning_rate * weight_decay``). Without it, the weights from pixels that are
        blank in every image never change and keep their random initial values.
    test_fraction : float
        Share of the images held out for testing, in (0, 1).
    rng : None, int or numpy.random.Generator
        An int ``s >= 0`` seeds the split and one ``torch.Generator`` for the initial
        weights and the batch order (each with ``s``); a NumPy Generator or None supplies
        ``s``. Default 0.
    progress : bool
        Show a tqdm bar over epochs.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    learning_rate = check_real(learning_rate, "learning_rate", positive=True)
    weight_decay = check_real(weight_decay, "weight_decay", minimum=0.0)
    test_fraction = _check_test_fraction(test_fraction)
    hidden = check_positive_int(hidden, "hidden")
    progress = check_bool(progress, "progress")
    seed = as_seed(rng, "rng")
    data = digits_data(test_fraction=test_fraction, rng=seed)
    generator = _generator(seed)
    model = _mlp(hidden, generator, torch.float32)
    # The shared loop trains on one thread (fastest at this size, and the same float
    # rounding, hence the same network, on every machine).
    losses = _train(model, data, generator, epochs, batch_size, learning_rate,
                    weight_decay, progress)
    model.eval()
    return DigitsTraining(model=model, data=data, losses=np.array(losses),
                          train_accuracy=_accuracy(model, data.X_train, data.y_train),
                          test_accuracy=_accuracy(model, data.X_test, data.y_test))


def _train(model, data, generator, epochs, batch_size, learning_rate, weight_decay,
           progress) -> list[float]:
    """Minibatch AdamW on cross-entropy in the shared loop; returns the mean loss per epoch."""
    optimiser = torch.optim.AdamW(model.parameters(), lr=learning_rate,
                                  weight_decay=weight_decay)
    return train_minibatches(model, data.X_train, data.y_train, loss_fn=nn.CrossEntropyLoss(),
                             optimiser=optimiser, epochs=epochs, batch_size=batch_size,
                             generator=generator, progress=progress,
                             desc="epochs")["train_loss"]
