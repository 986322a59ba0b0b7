"""TODO docstring."""

from __future__ import annotations
import contextlib
import dataclasses
import os
import tempfile
import time
import warnings
from pathlib import Path
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from .._threads import limit_threads
from .network import (DEERNet, DEERNetConfig, TrainedDEERNet, TrainingHistory, _as_float32_tensor,
                      _check_activation, _split_seed, deernet_data)

__all__ = ["train_deernet", "deernet_cache_path", "pretrained_deernet"]


_CACHE_ENV = "DESCRAMBLE_LIB_CACHE"


def _config_from(config: DEERNetConfig | None, overrides: dict) -> DEERNetConfig:
    config = DEERNetConfig() if config is None else config
    if not isinstance(config, DEERNetConfig):
        raise ValueError(f"config must be a DEERNetConfig, got {type(config).__name__}")
    unknown = set(overrides) - {f.name for f in dataclasses.fields(DEERNetConfig)}
    if unknown:
        raise ValueError(f"unknown DEERNetConfig fields: {sorted(unknown)}")
    return dataclasses.replace(config, **overrides)


def train_deernet(config: DEERNetConfig | None = None, *, progress: bool = True,
                  **overrides) -> TrainedDEERNet:
    """Train a DEERNet on simulated data, reproducibly on a CPU.

    Parameters
    ----------
    config : DEERNetConfig, optional
        Training configuration (default: ``DEERNetConfig()``).
    progress : bool, keyword-only
        Show a tqdm progress bar over epochs with the current losses.
    **overrides
        Fields of ``DEERNetConfig`` replacing those of ``config``, e.g.
        ``train_deernet(n_train=64, epochs=2, seed=1)``.

    Returns
    -------
    TrainedDEERNet
        The network (evaluation mode), the configuration and the loss history.

    Notes
    -----
    The recipe of Amey et al. (2021): mean squared error between the predicted and
    true distributions (unit-maximum scale), Adam with learning rate 0.01 halved
    every 5 epochs, 50 epochs. Determinism: the data come from seeded NumPy
    generators, the initial weights and the batch order from private
    ``torch.Generator`` objects, and torch runs on one thread (restored
    afterwards) with deterministic algorithms, so the same configuration gives the
    same weights bit for bit on the same machine and torch build.
    """
    config = _config_from(config, overrides)
    train = deernet_data(config, "train")
    validation = deernet_data(config, "validation")
    X, Y = _as_float32_tensor(train.signals), _as_float32_tensor(train.distributions)
    X_val = _as_float32_tensor(validation.signals)
    Y_val = _as_float32_tensor(validation.distributions)
    del train, validation

    model = DEERNet(hidden_activation=config.hidden_activation, n_hidden=config.n_hidden,
                    seed=_split_seed(config.seed, "weights"))
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=config.halve_every,
                                               gamma=0.5)
    batches = torch.Generator().manual_seed(_split_seed(config.seed, "batches"))
    losses = {"train_loss": [], "validation_loss": [], "learning_rate": []}
    deterministic = torch.are_deterministic_algorithms_enabled()
    start = time.perf_counter()
    try:
        torch.use_deterministic_algorithms(True)
        with limit_threads(1):
            bar = tqdm(range(config.epochs), desc="Training DEERNet", unit="epoch",
                       disable=not progress)
            for _ in bar:
                losses["learning_rate"].append(optimiser.param_groups[0]["lr"])
                model.train()
                order = torch.randperm(X.shape[0], generator=batches)
                total = 0.0
                for first in range(0, X.shape[0], config.batch_size):
                    index = order[first:first + config.batch_size]
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
    elapsed = time.perf_counter() - start
    model.eval()
    history = TrainingHistory(**{k: np.asarray(v) for k, v in losses.items()})
    return TrainedDEERNet(model=model, config=config, history=history, train_time_s=elapsed)


def _cache_directory() -> Path:
    override = os.environ.get(_CACHE_ENV)
    if override:
        return Path(override).expanduser()
    package = Path(__file__).resolve().parent
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (
            (checkout / ".git").exists() or (checkout / "_toc.yml").is_file()):
        return checkout / ".cache" / "descramble_lib"
    return Path.home() / ".cache" / "descramble_lib"


def deernet_cache_path(config: DEERNetConfig) -> Path:
    """File that holds (or will hold) the trained weights of ``config``.

    The folder is ``$DESCRAMBLE_LIB_CACHE`` if set, else ``<checkout>/.cache/descramble_lib``
    when the library runs from a source checkout (git-ignored), else
    ``~/.cache/descramble_lib``. The file name carries :meth:`DEERNetConfig.key`.
    """
    if not isinstance(config, DEERNetConfig):
        raise ValueError(f"config must be a DEERNetConfig, got {type(config).__name__}")
    return _cache_directory() / f"deernet-{config.hidden_activation}-{config.key()}.pt"


@contextlib.contextmanager
def _file_lock(path: Path):
    """Exclusive advisory lock on ``path`` (so concurrent processes train only once)."""
    try:
        import fcntl
    except ImportError:                     # not POSIX: atomic writes still protect the file
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _save(trained: TrainedDEERNet, path: Path) -> None:
    """Write the weights and metadata atomically (temporary file, then rename)."""
    from .._version import __version__
    payload = {
        "state_dict": trained.model.state_dict(),
        "config": dataclasses.asdict(trained.config),
        "history": trained.history.as_dict(),
        "train_time_s": float(trained.train_time_s),
        "library_version": __version__,
        "torch_version": str(torch.__version__),
    }
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load(path: Path, config: DEERNetConfig) -> TrainedDEERNet | None:
    """The cached network of ``config``, or None if the file is absent or unusable."""
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload["config"] != dataclasses.asdict(config):
            return None
        model = DEERNet(hidden_activation=config.hidden_activation, n_hidden=config.n_hidden)
        model.load_state_dict(payload["state_dict"])
        history = TrainingHistory(**{k: np.asarray(v) for k, v in payload["history"].items()})
        train_time = float(payload["train_time_s"])
    except Exception as error:              # unreadable or foreign file: say so, then retrain
        warnings.warn(f"ignoring unusable cached DEERNet {path}: {error!r}", stacklevel=3)
        return None
    model.eval()
    return TrainedDEERNet(model=model, config=config, history=history,
                          train_time_s=train_time, from_cache=True)


def pretrained_deernet(hidden_activation: str | None = None, *,
                       config: DEERNetConfig | None = None,
                       progress: bool = True) -> TrainedDEERNet:
    """A trained DEERNet, trained on first use and then loaded from the cache.

    Parameters
    ----------
    hidden_activation : {"tanh", "sigmoid", "relu"}, optional
        Hidden activation of the default configuration (tanh if omitted). With
        ``config`` it may be omitted, or must agree with ``config.hidden_activation``.
    config : DEERNetConfig, keyword-only, optional
        Full configuration (default: ``DEERNetConfig(hidden_activation=...)``).
    progress : bool, keyword-only
        Show the training progress bar (only when training is needed).

    Returns
    -------
    TrainedDEERNet
        Network, configuration, history; ``from_cache`` tells whether it was loaded.

    Notes
    -----
    The weights live in :func:`deernet_cache_path` (keyed by the configuration, the
    recipe and the library version), written atomically under a file lock, so
    several processes can ask at once and a clean clone retrains from scratch.
    """
    if hidden_activation is not None:
        _check_activation(hidden_activation)
    if config is None:
        config = DEERNetConfig(hidden_activation=hidden_activation or "tanh")
    elif not isinstance(config, DEERNetConfig):
        raise ValueError(f"config must be a DEERNetConfig, got {type(config).__name__}")
    elif hidden_activation not in (None, config.hidden_activation):
        raise ValueError(f"config.hidden_activation={config.hidden_activation!r} differs from "
                         f"hidden_activation={hidden_activation!r}")
    path = deernet_cache_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path.with_name(path.name + ".lock")):
        trained = _load(path, config)
        if trained is None:
            trained = train_deernet(config, progress=progress)
            _save(trained, path)
    return trained
