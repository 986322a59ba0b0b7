"""Tests for DEERNet: the module, deterministic training, the weight cache, preactivations."""

import dataclasses

import numpy as np
import pytest
import torch

from descramble_lib.deer import (DEERNet, DEERNetConfig, deernet_cache_path, deernet_data,
                                    layer_weights, preactivations, pretrained_deernet,
                                    train_deernet)

TINY = DEERNetConfig(n_train=192, n_validation=48, n_test=16, batch_size=32, epochs=3, rng=5)


@pytest.fixture(scope="module")
def tiny():
    """One tiny training run shared by the tests that only read it."""
    return train_deernet(TINY, progress=False)


def same_weights(a, b):
    """True if two modules have bitwise equal parameters."""
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_deernet_shapes_and_range(activation):
    """256 -> 80 -> 256 with biases; outputs in (0, 1)."""
    net = DEERNet(hidden_activation=activation, rng=1)
    assert net.layer1.weight.shape == (80, 256) and net.layer1.bias.shape == (80,)
    assert net.layer2.weight.shape == (256, 80) and net.layer2.bias.shape == (256,)
    with torch.no_grad():
        y = net(torch.randn(7, 256, generator=torch.Generator().manual_seed(0)))
    assert y.shape == (7, 256)
    assert float(y.min()) > 0 and float(y.max()) < 1


def test_deernet_hidden_activation_is_used():
    """hidden() applies the chosen activation to layer 1."""
    x = torch.randn(4, 256, generator=torch.Generator().manual_seed(1))
    for name, f in [("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu)]:
        net = DEERNet(hidden_activation=name, rng=2)
        torch.testing.assert_close(net.hidden(x), f(net.layer1(x)), rtol=0, atol=0)


def test_deernet_initialisation_is_seeded_and_private():
    """Same seed, same weights; global torch RNG state untouched."""
    state = torch.random.get_rng_state()
    a, b, c = DEERNet(rng=3), DEERNet(rng=3), DEERNet(rng=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert same_weights(a, b) and not same_weights(a, c)
    bound = 1 / np.sqrt(256)
    assert float(a.layer1.weight.detach().abs().max()) <= bound


@pytest.mark.parametrize("kwargs", [dict(hidden_activation="softplus"),
                                    dict(n_hidden=0), dict(rng=-1), dict(rng=1.5)])
def test_deernet_rejects_bad_options(kwargs):
    """Unknown activations, bad widths and bad rng values raise ValueError."""
    with pytest.raises(ValueError):
        DEERNet(**kwargs)


def test_training_lowers_the_loss(tiny):
    """A few epochs lower the training loss, and the validation loss beats a fresh network."""
    history = tiny.history
    assert history.validation_loss.shape == history.train_loss.shape == (3,)
    assert history.train_loss[-1] < 0.8 * history.train_loss[0]
    val = deernet_data(TINY, "validation")
    fresh = np.mean((DEERNet(rng=0)(torch.tensor(val.signals, dtype=torch.float32)).detach()
                     .numpy() - val.distributions) ** 2)
    assert history.validation_loss[-1] < 0.5 * fresh


def test_learning_rate_schedule():
    """The learning rate starts at 0.01 and halves every halve_every epochs."""
    run = train_deernet(TINY, epochs=5, halve_every=2, n_train=32, progress=False)
    np.testing.assert_allclose(run.history.learning_rate,
                               [0.01, 0.01, 0.005, 0.005, 0.0025], rtol=1e-12)


def test_training_is_deterministic(tiny):
    """Two runs with the same seed give bitwise equal weights and histories."""
    again = train_deernet(TINY, progress=False)
    assert same_weights(tiny.model, again.model)
    np.testing.assert_array_equal(tiny.history.train_loss, again.history.train_loss)
    other = train_deernet(TINY, rng=6, progress=False)
    assert not same_weights(tiny.model, other.model)


def test_training_restores_torch_settings():
    """Thread count and the deterministic-algorithms flag are restored after training."""
    threads = torch.get_num_threads()
    flag = torch.are_deterministic_algorithms_enabled()
    train_deernet(TINY, epochs=1, n_train=32, progress=False)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == flag


def test_config_validation_and_key():
    """Bad fields raise; equal configs share a key, different ones do not."""
    with pytest.raises(ValueError):
        DEERNetConfig(n_train=0)
    with pytest.raises(ValueError):
        DEERNetConfig(learning_rate=-1.0)
    with pytest.raises(ValueError):
        DEERNetConfig(hidden_activation="gelu")
    with pytest.raises(ValueError, match="unknown"):
        train_deernet(TINY, n_epochs=3)
    assert DEERNetConfig().key() == DEERNetConfig().key()
    assert DEERNetConfig().key() != DEERNetConfig(rng=1).key()
    assert DEERNetConfig().key() != DEERNetConfig(hidden_activation="relu").key()


def test_data_splits():
    """Splits are reproducible, sized by the config and mutually different."""
    train, val, test = (deernet_data(TINY, s) for s in ("train", "validation", "test"))
    assert (len(train), len(val), len(test)) == (192, 48, 16)
    np.testing.assert_array_equal(deernet_data(TINY, "test").signals, test.signals)
    assert not np.allclose(train.signals[:16], test.signals)
    with pytest.raises(ValueError):
        deernet_data(TINY, "holdout")


def test_pretrained_cache_round_trip(monkeypatch, tmp_path):
    """First call trains and writes the cache; the second loads the same network."""
    monkeypatch.setenv("DESCRAMBLE_LIB_CACHE", str(tmp_path))
    config = dataclasses.replace(TINY, epochs=1)
    first = pretrained_deernet(config=config, progress=False)
    path = deernet_cache_path(config)
    assert path.parent == tmp_path and path.is_file() and not first.from_cache
    assert not list(tmp_path.glob("*.tmp"))
    second = pretrained_deernet(config=config, progress=False)
    assert second.from_cache and same_weights(first.model, second.model)
    np.testing.assert_array_equal(first.history.validation_loss, second.history.validation_loss)
    path.write_bytes(b"not a torch file")
    with pytest.warns(UserWarning, match="unusable"):
        third = pretrained_deernet(config=config, progress=False)
    assert not third.from_cache and same_weights(first.model, third.model)


def test_pretrained_rejects_mismatched_activation():
    """The activation argument must agree with an explicit config."""
    with pytest.raises(ValueError):
        pretrained_deernet("relu", config=TINY)
    with pytest.raises(ValueError):
        pretrained_deernet(config="tanh")
    with pytest.raises(ValueError):
        pretrained_deernet("swish")


def test_preactivations_match_the_network(tiny):
    """S1 = W1 X^T + b1 and S2 = W2 f1(S1) + b2, one example per column, float64."""
    X = deernet_data(TINY, "test").signals
    S1 = preactivations(tiny, X, 1)
    S2 = preactivations(tiny.model, X, layer=2)
    assert S1.shape == (80, 16) and S2.shape == (256, 16)
    assert S1.dtype == S2.dtype == np.float64
    W1, b1 = layer_weights(tiny, 1)
    W2, b2 = layer_weights(tiny, 2)
    assert W1.shape == (80, 256) and W2.shape == (256, 80)
    np.testing.assert_allclose(S1, W1 @ X.T + b1[:, None], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S2, W2 @ np.tanh(S1) + b2[:, None], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(1 / (1 + np.exp(-S2.T)), tiny.predict(X), rtol=0, atol=1e-5)


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_preactivations_other_activations(activation):
    """Layer 2 uses the network's own hidden activation."""
    net = DEERNet(hidden_activation=activation, rng=0)
    X = deernet_data(TINY, "test").signals
    with torch.no_grad():
        expected = net.layer2(net.hidden(torch.tensor(X, dtype=torch.float32))).numpy()
    np.testing.assert_allclose(preactivations(net, X, 2), expected.T, rtol=0, atol=1e-5)


@pytest.mark.parametrize("layer, X", [
    (0, np.zeros((3, 256))), (3, np.zeros((3, 256))), (True, np.zeros((3, 256))),
    (1, np.zeros((256, 3))), (1, np.zeros(256)), (2, np.full((3, 256), np.nan)),
])
def test_preactivations_reject_bad_input(tiny, layer, X):
    """Bad layers, transposed or 1-D inputs and NaN raise ValueError."""
    with pytest.raises(ValueError):
        preactivations(tiny, X, layer)


def test_preactivations_reject_non_networks():
    """Only DEERNet or TrainedDEERNet are accepted."""
    with pytest.raises(ValueError):
        preactivations(torch.nn.Linear(256, 80), np.zeros((2, 256)), 1)
