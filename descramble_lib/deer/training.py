"""Training DEERNet reproducibly on a CPU, and the on-disk cache of trained weights
(``pretrained_deernet``), keyed by the configuration's hash."""

from __future__ import annotations
import contextlib
import dataclasses
import hashlib
import os
import tempfile
import time
import warnings
from pathlib import Path
import numpy as np
import torch
from torch import nn
from .._training import train_minibatches
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
        hint = " (the seed is the field rng)" if "seed" in unknown else ""
        raise ValueError(f"unknown DEERNetConfig fields: {sorted(unknown)}{hint}")
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
        ``train_deernet(n_train=64, epochs=2, rng=1)``.

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
    same weights bit for bit on the same machine and torch build. The steps run in
    the library's one training loop (:func:`descramble_lib._training.train_minibatches`):
    fused Adam and a hand-written gradient of the MLP, within about 2x of the bare
    matrix products of a step (``benchmarks/deer.py``).
    """
    config = _config_from(config, overrides)
    train = deernet_data(config, "train")
    validation = deernet_data(config, "validation")
    X, Y = _as_float32_tensor(train.signals), _as_float32_tensor(train.distributions)
    X_val = _as_float32_tensor(validation.signals)
    Y_val = _as_float32_tensor(validation.distributions)
    del train, validation

    model = DEERNet(hidden_activation=config.hidden_activation, n_hidden=config.n_hidden,
                    rng=_split_seed(config.rng, "weights"))
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate, fused=True)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=config.halve_every,
                                               gamma=0.5)
    batches = torch.Generator().manual_seed(_split_seed(config.rng, "batches"))
    start = time.perf_counter()
    losses = train_minibatches(model.as_sequential(), X, Y, loss_fn=nn.functional.mse_loss,
                               optimiser=optimiser, epochs=config.epochs,
                               batch_size=config.batch_size, generator=batches,
                               scheduler=schedule, validation=(X_val, Y_val),
                               progress=progress, desc="Training DEERNet")
    elapsed = time.perf_counter() - start
    model.eval()
    history = TrainingHistory(**{k: np.asarray(v) for k, v in losses.items()})
    return TrainedDEERNet(model=model, config=config, history=history, train_time_s=elapsed)


def _cache_directory() -> Path:
    override = os.environ.get(_CACHE_ENV)
    if override:
        return Path(override).expanduser()
    checkout = Path(__file__).resolve().parents[2]      # descramble_lib/deer/training.py
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
    """Exclusive advisory lock on ``path`` (so concurrent processes train only once).

    Yields True with the lock held, or False if the lock file cannot be opened for
    writing (a read-only cache folder): the cache can then be read but not written.
    """
    try:
        import fcntl
    except ImportError:                     # not POSIX: atomic writes still protect the file
        yield True
        return
    try:
        handle = open(path, "a")
    except OSError:
        handle = None
    if handle is None:
        yield False
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _weights_sha256(state_dict: dict) -> str:
    """SHA-256 of the weights: every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def _non_finite_weights(state_dict: dict) -> list[str]:
    """Names of the tensors with a NaN or infinite entry."""
    return [name for name, tensor in state_dict.items() if not bool(torch.isfinite(tensor).all())]


def _save(trained: TrainedDEERNet, path: Path) -> None:
    """Write the weights, their checksum and metadata atomically (temporary file, then rename)."""
    from .._version import __version__
    state_dict = trained.model.state_dict()
    payload = {
        "state_dict": state_dict,
        "weights_sha256": _weights_sha256(state_dict),
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
    """The cached network of ``config``, or None if the file is absent or unusable.

    Unusable (a warning says why, and the caller retrains): unreadable, no checksum (a
    file from before checksums), a checksum that does not match the weights (a
    corrupted file), or non-finite weights.
    """
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload["config"] != dataclasses.asdict(config):
            return None
        state_dict = payload["state_dict"]
        stored = payload.get("weights_sha256")
        if stored is None:
            raise ValueError("no weight checksum (written by an older version)")
        if _weights_sha256(state_dict) != stored:
            raise ValueError("the weights do not match their SHA-256 checksum (corrupted file)")
        bad = _non_finite_weights(state_dict)
        if bad:
            raise ValueError(f"non-finite weights in {bad}")
        model = DEERNet(hidden_activation=config.hidden_activation, n_hidden=config.n_hidden)
        model.load_state_dict(state_dict)
        history = TrainingHistory(**{k: np.asarray(v) for k, v in payload["history"].items()})
        train_time = float(payload["train_time_s"])
    except Exception as error:              # unreadable, corrupted or foreign: say so, retrain
        warnings.warn(f"ignoring unusable cached DEERNet {path}: {error!r}; retraining",
                      stacklevel=3)
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

    Raises
    ------
    ValueError
        Bad arguments, or training diverged (non-finite weights, which are not cached).

    Warns
    -----
    UserWarning
        A cached file is unusable (unreadable, without checksum, corrupted, or with
        non-finite weights): it is ignored, the network is retrained and the file
        replaced. Or the cache folder is not writable: a valid cached file is still
        loaded, but a network that must be trained is trained in memory only.

    Notes
    -----
    The weights live in :func:`deernet_cache_path` (keyed by the configuration, the
    recipe and the library version) with a SHA-256 checksum of their bytes, checked on
    every load; they are written atomically under a file lock, so several processes can
    ask at once and a clean clone retrains from scratch. A corrupted file is never
    loaded: it is retrained over, with a warning, not refused with an error.
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:                         # e.g. a read-only parent: nothing to read or write
        pass
    with _file_lock(path.with_name(path.name + ".lock")) as writable:
        trained = _load(path, config)
        if trained is None:
            if not writable:
                warnings.warn(f"the DEERNet cache folder {path.parent} is not writable: "
                              "training in memory, the weights will not be cached",
                              stacklevel=2)
            trained = train_deernet(config, progress=progress)
            bad = _non_finite_weights(trained.model.state_dict())
            if bad:
                raise ValueError(f"DEERNet training diverged: non-finite weights in {bad} "
                                 f"(learning_rate={config.learning_rate}); nothing was cached")
            if writable:
                try:
                    _save(trained, path)
                except OSError as error:
                    warnings.warn(f"could not write the DEERNet cache {path} ({error}); the "
                                  "network was trained in memory only", stacklevel=2)
    return trained
