"""Regression tests for the hardening of the invertible-network and digits code: the rng
convention, hyperparameters validated by name, NumPy scalars accepted, complex input refused."""

import numpy as np
import pytest
import torch

import descramble_lib as dl


def weights(module):
    return [v.clone() for v in module.state_dict().values()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


# --- invertible networks ------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(lr=np.nan), "lr"), (dict(lr=0.0), "lr"), (dict(lr=True), "lr"),
    (dict(lr="0.1"), "lr"), (dict(momentum=-0.5), "momentum"), (dict(momentum=np.inf), "momentum"),
    (dict(n_epochs=1.5), "n_epochs"), (dict(batch_size=0), "batch_size"),
    (dict(milestones=(0,)), "milestones"), (dict(milestones=5), "milestones"),
    (dict(final_relu="yes"), "final_relu"), (dict(progress=1), "progress"),
])
def test_moons_hyperparameters_are_validated_by_name(kwargs, name):
    """lr=nan failed deep inside training ("x contains 256 non-finite entries"); now the
    message names the hyperparameter, before any work."""
    with pytest.raises(ValueError, match=name):
        dl.invertible.train_moons_classifier(0, **kwargs)


def test_moons_rng_forms():
    """An int (positional, keyword or NumPy) is the old seed; a Generator records its seed."""
    a = dl.invertible.train_moons_classifier(0, n_epochs=1)
    b = dl.invertible.train_moons_classifier(rng=np.int64(0), n_epochs=np.int64(1),
                                             batch_size=np.int32(128), lr=np.float32(0.1))
    assert same(weights(a.net), weights(b.net)) and a.rng_seed == b.rng_seed == 0
    drawn = dl.invertible.train_moons_classifier(np.random.default_rng(1), n_epochs=1)
    assert isinstance(drawn.rng_seed, int)
    again = dl.invertible.train_moons_classifier(drawn.rng_seed, n_epochs=1)
    assert same(weights(drawn.net), weights(again.net))
    shared = dl.invertible.train_moons_classifier(torch.Generator().manual_seed(0), n_epochs=1)
    assert shared.rng_seed is None and same(weights(a.net), weights(shared.net))
    with pytest.raises(ValueError, match="rng"):
        dl.invertible.train_moons_classifier(-1, n_epochs=1)


def test_network_rng_forms_and_numpy_sizes():
    """rng is an int, a NumPy Generator, None or a shared torch.Generator; NumPy ints for sizes."""
    a = dl.invertible.InvertibleNet(n_blocks=2, hidden=3, rng=1)
    b = dl.invertible.InvertibleNet(n_blocks=np.int64(2), hidden=np.int32(3), rng=np.int64(1))
    c = dl.invertible.InvertibleNet(n_blocks=2, hidden=3, rng=torch.Generator().manual_seed(1))
    assert same(weights(a), weights(b)) and same(weights(a), weights(c))
    dl.invertible.InvertibleNet(rng=np.random.default_rng(0))
    dl.invertible.AdditiveCoupling(rng=None)
    for kwargs, name in [(dict(rng=-1), "rng"), (dict(rng=2.0), "rng"), (dict(hidden=0), "hidden"),
                         (dict(final_relu="yes"), "final_relu")]:
        with pytest.raises(ValueError, match=name):
            dl.invertible.AdditiveCoupling(**kwargs)
    with pytest.raises(ValueError, match="n_blocks"):
        dl.invertible.InvertibleNet(n_blocks=np.float64(2))


def test_explanation_options_accept_numpy_scalars_and_refuse_bad_values():
    net = dl.invertible.InvertibleNet(rng=0)
    x = np.random.default_rng(0).uniform(-1, 1, (5, 2)).astype(np.float32)
    boundary = dl.invertible.decision_boundary(net, x, n_points=np.int64(10),
                                               padding=np.float32(0.25))
    assert boundary.inputs.shape == (10, 2)
    for kwargs, name in [(dict(padding=np.nan), "padding"), (dict(padding="1"), "padding"),
                         (dict(n_points=1), "n_points"), (dict(n_points=True), "n_points")]:
        with pytest.raises(ValueError, match=name):
            dl.invertible.decision_boundary(net, x, **kwargs)


def test_complex_points_are_refused():
    net = dl.invertible.InvertibleNet(rng=0)
    for x in (np.zeros((3, 2), np.complex64), torch.zeros((3, 2), dtype=torch.complex64)):
        for function in (dl.invertible.logit_difference, dl.invertible.project_to_boundary,
                         dl.invertible.feature_importance):
            with pytest.raises(ValueError, match="real"):
                function(net, x)


# --- digits -----------------------------------------------------------------------------

def test_digits_rng_forms():
    """An int (NumPy ones too) gives the old seeded split and weights; Generators work."""
    a, b = dl.applied.digits_data(rng=3), dl.applied.digits_data(rng=np.int64(3))
    assert torch.equal(a.y_test, b.y_test)
    assert same(weights(dl.applied.digits_mlp(rng=5)),
                weights(dl.applied.digits_mlp(rng=np.int64(5))))
    dl.applied.digits_mlp(rng=np.random.default_rng(0))
    dl.applied.digits_data(rng=None)
    run = dl.applied.train_digits_mlp(hidden=np.int64(4), epochs=np.int64(1),
                                      rng=np.random.default_rng(0), progress=False)
    assert run.losses.shape == (1,)
    with pytest.raises(ValueError, match="rng"):
        dl.applied.digits_mlp(rng=-1)


@pytest.mark.parametrize("kwargs, name", [
    (dict(learning_rate=np.nan), "learning_rate"), (dict(learning_rate="3e-3"), "learning_rate"),
    (dict(weight_decay=-1.0), "weight_decay"), (dict(test_fraction="0.25"), "test_fraction"),
    (dict(test_fraction=np.nan), "test_fraction"), (dict(progress="yes"), "progress"),
    (dict(rng=1.5), "rng"),
])
def test_digits_options_are_validated_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dl.applied.train_digits_mlp(epochs=1, **({"progress": False} | kwargs))


def test_digits_dtype_is_checked():
    with pytest.raises(ValueError, match="dtype"):
        dl.applied.digits_data(dtype=torch.int64)
    assert dl.applied.digits_data(dtype=torch.float64).X_train.dtype == torch.float64
