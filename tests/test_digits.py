"""Tests of the digits example: data split, seeded initialisation, deterministic training."""

import numpy as np
import pytest
import torch

import descramble_lib as dl


def test_split_covers_all_images_once():
    """Train and test together hold the 1797 images once each, scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    data = dl.applied.digits_data(test_fraction=0.25, rng=3)
    X = torch.cat([data.X_train, data.X_test]).double().numpy()
    y = torch.cat([data.y_train, data.y_test]).numpy()
    assert X.shape == (1797, 64) and len(data.y_test) == 449
    reference = load_digits()
    both = np.column_stack([X * 16, y])
    expected = np.column_stack([reference.data, reference.target])
    np.testing.assert_array_equal(both[np.lexsort(both.T)], expected[np.lexsort(expected.T)])


def test_initialisation_is_seeded_without_global_state():
    """The same seed gives the same weights; the global torch generator is left alone."""
    state = torch.random.get_rng_state()
    first, second = dl.applied.digits_mlp(rng=5), dl.applied.digits_mlp(rng=5)
    other = dl.applied.digits_mlp(rng=6)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(first[0].weight, second[0].weight)
    assert not torch.equal(first[0].weight, other[0].weight)


def test_short_training_is_deterministic_and_learns():
    """Two runs with one seed give identical networks; three epochs already beat chance (0.1) by far."""
    runs = [dl.applied.train_digits_mlp(hidden=8, epochs=3, rng=1, progress=False) for _ in range(2)]
    assert torch.equal(runs[0].model[0].weight, runs[1].model[0].weight)
    assert runs[0].losses.shape == (3,) and runs[0].losses[-1] < runs[0].losses[0]
    assert runs[0].test_accuracy > 0.3
    assert not runs[0].model.training


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "epochs"), (dict(learning_rate=-1.0), "learning_rate"),
    (dict(weight_decay=np.nan), "weight_decay"), (dict(test_fraction=1.0), "test_fraction"),
    (dict(rng=-1), "rng"), (dict(hidden=0), "hidden"),
])
def test_bad_training_options_raise(kwargs, message):
    """Bad options raise ValueError before any training."""
    with pytest.raises(ValueError, match=message):
        dl.applied.train_digits_mlp(progress=False, **kwargs)
