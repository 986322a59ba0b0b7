"""The two-layer DEERNet: the network, its configuration, its data and its preactivations.

DEERNet maps a DEER signal on the 256-point time grid to a distance distribution on
the 256-point distance grid (:mod:`descramble_lib.deer.physics` has the physics and
the simulator). This module has

* :class:`DEERNet`, the torch module 256 -> 80 -> 256 (Amey et al. 2021);
* :class:`DEERNetConfig`, the training recipe (Adam, learning rate 0.01 halved every
  5 epochs, 50 epochs, mean squared error), bit-for-bit reproducible on a CPU from
  the integer seed ``config.rng``; :mod:`descramble_lib.deer.training` trains it
  (:func:`~descramble_lib.deer.training.train_deernet`) and caches the weights
  (:func:`~descramble_lib.deer.training.pretrained_deernet`);
* :class:`TrainedDEERNet` and :class:`TrainingHistory`, a trained network and its record;
* :func:`deernet_data`, the simulated training, validation and test sets of a
  configuration (regenerated from the seed, never stored);
* :func:`preactivations` and :func:`layer_weights`, the float64 data that the
  descrambling chapters work on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import numbers
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._random import as_seed, torch_generator
from .._validation import as_finite_matrix, check_choice, check_positive_int, check_real
from .physics import N_POINTS, DEERSimulation, simulate
from .._threads import limit_threads

__all__ = ["HIDDEN_ACTIVATIONS", "DATA_SPLITS", "DEERNet", "DEERNetConfig", "TrainingHistory",
           "TrainedDEERNet", "deernet_data", "layer_weights", "preactivations"]


HIDDEN_ACTIVATIONS = ("tanh", "sigmoid", "relu")
DATA_SPLITS = ("train", "validation", "test")


_ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}
_NUMPY_ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda s: 0.5 * (1.0 + np.tanh(0.5 * s)),   # overflow-free logistic
    "relu": lambda s: np.maximum(s, 0.0),
}


def _check_activation(name) -> str:
    return str(check_choice(name, "hidden_activation", HIDDEN_ACTIVATIONS))


def _check_config_rng(rng) -> int:
    """``DEERNetConfig.rng`` as a plain int >= 0 (NumPy integers accepted)."""
    if isinstance(rng, (bool, np.bool_)) or not isinstance(rng, numbers.Integral):
        raise ValueError(
            f"DEERNetConfig.rng must be an integer seed >= 0 (the configuration keys the "
            f"weight cache, so it cannot hold a Generator or None), got {rng!r}")
    return as_seed(rng, "rng")


class DEERNet(nn.Module):
    """Two fully connected layers: signal (256) -> hidden (80) -> distribution (256).

    ``y = sigmoid(W2 f1(W1 x + b1) + b2)`` with ``f1`` the hidden activation and
    the logistic sigmoid at the output, so predictions lie in (0, 1), the range of
    the targets (distributions scaled to unit maximum).

    Parameters
    ----------
    hidden_activation : {"tanh", "sigmoid", "relu"}, keyword-only
        ``f1``; tanh is the network of Amey et al. (2021).
    n_hidden : int, keyword-only
        Width of the hidden layer (80).
    n_in, n_out : int, keyword-only
        Input and output widths (256, the grid sizes).
    rng : None, int or numpy.random.Generator, keyword-only
        Source of the initial weights (PyTorch's default distribution, uniform in
        +-1/sqrt(fan_in)), drawn from a private ``torch.Generator`` seeded with ``rng``
        (an int seeds it directly; a Generator or None supplies the seed); global state
        is untouched. Default 0.

    Attributes
    ----------
    layer1 : torch.nn.Linear
        First layer, weight ``W1`` of shape (n_hidden, n_in), bias ``b1`` (n_hidden,).
    layer2 : torch.nn.Linear
        Second layer, weight ``W2`` of shape (n_out, n_hidden), bias ``b2`` (n_out,).
    """

    def __init__(self, *, hidden_activation: str = "tanh", n_hidden: int = 80,
                 n_in: int = N_POINTS, n_out: int = N_POINTS,
                 rng: None | int | np.random.Generator = 0):
        super().__init__()
        self.hidden_activation = _check_activation(hidden_activation)
        n_hidden = check_positive_int(n_hidden, "n_hidden")
        n_in = check_positive_int(n_in, "n_in")
        n_out = check_positive_int(n_out, "n_out")
        # skip_init: no draw from torch's global generator; the weights are set below.
        self.layer1 = nn.utils.skip_init(nn.Linear, n_in, n_hidden)
        self.layer2 = nn.utils.skip_init(nn.Linear, n_hidden, n_out)
        generator = torch_generator(rng, "rng")
        with torch.no_grad():
            for layer in (self.layer1, self.layer2):
                bound = 1.0 / np.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden activations ``f1(W1 x + b1)``, shape (n, n_hidden), for x of shape (n, n_in)."""
        return _ACTIVATIONS[self.hidden_activation](self.layer1(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted distributions, shape (n, n_out), for signals x of shape (n, n_in)."""
        return torch.sigmoid(self.layer2(self.hidden(x)))

    def as_sequential(self) -> nn.Sequential:
        """The same network as an ``nn.Sequential`` that shares this one's parameters.

        Its output equals :meth:`forward` bit for bit; the shared training loop has a
        fast path for plain sequential MLPs (``descramble_lib._training``).
        """
        activation = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}
        return nn.Sequential(self.layer1, activation[self.hidden_activation](), self.layer2,
                             nn.Sigmoid())


@dataclass(frozen=True)
class DEERNetConfig:
    """Everything that determines a trained DEERNet (its hash keys the weight cache).

    Attributes
    ----------
    hidden_activation : str
        ``"tanh"`` (default), ``"sigmoid"`` or ``"relu"``.
    n_hidden : int
        Hidden width (80).
    n_train, n_validation, n_test : int
        Sizes of the simulated sets (:func:`deernet_data`). The default training
        set keeps the 50 epochs to about half a minute on one CPU core (measured by
        ``benchmarks/deer.py``).
    batch_size : int
        Mini-batch size of Adam.
    epochs : int
        Passes over the training set (50).
    learning_rate : float
        Initial Adam learning rate (0.01).
    halve_every : int
        The learning rate is halved after every ``halve_every`` epochs (5).
    rng : int
        Integer seed (>= 0) of the three data sets, the initial weights and the batch
        order. Unlike the ``rng`` arguments elsewhere it must be an integer, not a
        Generator or None: the configuration is hashed to key the weight cache.

    Notes
    -----
    Fields are validated and normalised once, on construction: NumPy scalars are
    accepted and stored as Python ``int``/``float``/``str`` (``learning_rate=1`` is
    stored as ``1.0``), so equal configurations have equal :meth:`key`.
    """

    hidden_activation: str = "tanh"
    n_hidden: int = 80
    n_train: int = 200_000
    n_validation: int = 2_000
    n_test: int = 2_000
    batch_size: int = 256
    epochs: int = 50
    learning_rate: float = 0.01
    halve_every: int = 5
    rng: int = 0

    def __post_init__(self):
        # Frozen: the normalised values are written once, here, with object.__setattr__.
        normalised = {"hidden_activation": _check_activation(self.hidden_activation)}
        for name in ("n_hidden", "n_train", "n_validation", "n_test", "batch_size",
                     "epochs", "halve_every"):
            normalised[name] = check_positive_int(getattr(self, name), name)
        normalised["learning_rate"] = check_real(self.learning_rate, "learning_rate",
                                                 positive=True)
        normalised["rng"] = _check_config_rng(self.rng)
        for name, value in normalised.items():
            object.__setattr__(self, name, value)

    def key(self) -> str:
        """Hash of the configuration, the recipe version and the library version."""
        from .._version import __version__
        payload = {"config": dataclasses.asdict(self), "recipe": _RECIPE_VERSION,
                   "library": __version__}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class TrainingHistory:
    """Per-epoch record of a training run (each array has shape (epochs,)).

    Attributes
    ----------
    train_loss : ndarray
        Mean mini-batch MSE over each epoch (while the weights move).
    validation_loss : ndarray
        MSE on the validation set at the end of each epoch.
    learning_rate : ndarray
        Learning rate used during each epoch.
    """

    train_loss: np.ndarray
    validation_loss: np.ndarray
    learning_rate: np.ndarray

    def as_dict(self) -> dict[str, list[float]]:
        return {name: [float(v) for v in getattr(self, name)]
                for name in ("train_loss", "validation_loss", "learning_rate")}


@dataclass
class TrainedDEERNet:
    """A trained network with the configuration and history that produced it.

    Attributes
    ----------
    model : DEERNet
        The network, in evaluation mode.
    config : DEERNetConfig
        Its training configuration.
    history : TrainingHistory
        Losses per epoch.
    train_time_s : float
        Wall-clock time of the training run (when it was trained, not when loaded).
    from_cache : bool
        Whether the weights were loaded from the cache.
    """

    model: DEERNet
    config: DEERNetConfig
    history: TrainingHistory
    train_time_s: float
    from_cache: bool = False

    def data(self, split: str) -> DEERSimulation:
        """The simulated ``"train"``, ``"validation"`` or ``"test"`` set of the config."""
        return deernet_data(self.config, split)

    def predict(self, signals) -> np.ndarray:
        """Predicted distributions (unit-maximum scale), shape (n, 256), for signals (n, 256).

        The network runs in float32. Raises ``ValueError`` (naming ``signals``) if the
        signals are not finite, do not fit in float32, or are so large that the
        network's float32 arithmetic overflows; no NaN is returned.
        """
        return _predict(self.model, signals)


def _split_seed(seed: int, split: str) -> int:
    """Independent 63-bit seed for one split (or the weights/batch order) of a config seed."""
    index = {"train": 0, "validation": 1, "test": 2, "weights": 3, "batches": 4}[split]
    return int(np.random.SeedSequence([seed, index]).generate_state(2, np.uint64)[0] >> 1)


def deernet_data(config: DEERNetConfig, split: str) -> DEERSimulation:
    """The simulated data set ``split`` of a configuration, regenerated from its seed.

    Parameters
    ----------
    config : DEERNetConfig
        Configuration (sizes and seed).
    split : {"train", "validation", "test"}
        The training set, the validation set monitored during training, or the
        held-out test set used only for evaluation.

    Returns
    -------
    DEERSimulation
        ``config.n_train``, ``n_validation`` or ``n_test`` examples; the three
        sets come from independent seeds derived from ``config.rng``.
    """
    if not isinstance(config, DEERNetConfig):
        raise ValueError(f"config must be a DEERNetConfig, got {type(config).__name__}")
    if split not in DATA_SPLITS:
        raise ValueError(f"split must be one of {DATA_SPLITS}, got {split!r}")
    n = {"train": config.n_train, "validation": config.n_validation,
         "test": config.n_test}[split]
    return simulate(n, rng=_split_seed(config.rng, split))


def _unwrap(model) -> DEERNet:
    if isinstance(model, TrainedDEERNet):
        return model.model
    if not isinstance(model, DEERNet):
        raise ValueError(f"model must be a DEERNet or TrainedDEERNet, got {type(model).__name__}")
    return model


def _check_layer(layer) -> int:
    """``layer`` as the int 1 or 2; floats such as ``1.0`` and bools are refused."""
    if isinstance(layer, (bool, np.bool_)) or not isinstance(layer, (int, np.integer)) or (
            layer not in (1, 2)):
        raise ValueError(f"layer must be the integer 1 or 2, got {layer!r}")
    return int(layer)


def layer_weights(model, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of layer 1 or 2 as float64 arrays.

    Parameters
    ----------
    model : DEERNet or TrainedDEERNet
    layer : {1, 2}

    Returns
    -------
    W : ndarray, shape (d, m)
        ``W1`` (80, 256) or ``W2`` (256, 80).
    b : ndarray, shape (d,)
    """
    model = _unwrap(model)
    layer = _check_layer(layer)
    linear = model.layer1 if layer == 1 else model.layer2
    return (linear.weight.detach().numpy().astype(np.float64),
            linear.bias.detach().numpy().astype(np.float64))


def preactivations(model, X, layer: int) -> np.ndarray:
    """Preactivation data ``S = W Z + b 1^T`` of layer 1 or 2, in float64.

    Parameters
    ----------
    model : DEERNet or TrainedDEERNet
    X : array_like, shape (n, 256)
        Input signals, **one example per row** (as in :class:`DEERSimulation`).
    layer : {1, 2}
        Layer 1: ``Z = X^T`` (the signals as columns). Layer 2: ``Z = f1(W1 X^T + b1)``,
        the hidden activations.

    Returns
    -------
    S : ndarray, shape (d, n)
        **One example per column** (the orientation of the descrambling chapters):
        d = 80 for layer 1, d = 256 for layer 2. The bias is included and nothing
        is centred.
    """
    model = _unwrap(model)
    layer = _check_layer(layer)
    X = as_finite_matrix(X, "X")
    if X.shape[1] != model.layer1.in_features:
        raise ValueError(f"X must have shape (n, {model.layer1.in_features}) (one signal per "
                         f"row), got {X.shape}")
    W1, b1 = layer_weights(model, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        S = W1 @ X.T + b1[:, None]
        if layer == 2:
            W2, b2 = layer_weights(model, 2)
            S = W2 @ _NUMPY_ACTIVATIONS[model.hidden_activation](S) + b2[:, None]
    if not np.all(np.isfinite(S)):
        raise ValueError(f"X is too large: the layer-{layer} preactivations overflow float64 "
                         f"(max |X| = {np.max(np.abs(X)):.3g})")
    return S


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _predict(model: DEERNet, signals) -> np.ndarray:
    signals = as_finite_matrix(signals, "signals")
    if signals.shape[1] != model.layer1.in_features:
        raise ValueError(f"signals must have shape (n, {model.layer1.in_features}), "
                         f"got {signals.shape}")
    largest = float(np.max(np.abs(signals)))
    if largest > _FLOAT32_MAX:
        raise ValueError(f"signals must fit in float32, the network's precision: max |signals| "
                         f"= {largest:.3g} > {_FLOAT32_MAX:.3g}")
    with torch.no_grad(), limit_threads(1):
        prediction = model(_as_float32_tensor(signals)).numpy().astype(np.float64)
    bad = ~np.all(np.isfinite(prediction), axis=1)
    if np.any(bad):
        raise ValueError(f"signals are too large for the network: its float32 arithmetic "
                         f"overflowed for {int(bad.sum())} of {len(bad)} signals (max |signals| "
                         f"= {largest:.3g}; DEER signals are of order 1)")
    return prediction


# Bump when the simulator or the training loop changes in a way that changes the
# weights: it is part of the cache key, so old cached networks are not reused.
_RECIPE_VERSION = 2  # 2: the shared training loop (fused Adam, hand-written MLP gradient)


def _as_float32_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
