"""Tests of the weight-tile mosaic used to show neurons' incoming weights as images."""

import numpy as np
import pytest

import descramble_lib as dl


def test_tiles_are_placed_row_major_with_gaps(rng):
    """Image i sits at mosaic row i // n_cols, column i % n_cols; gaps and unused tiles are NaN."""
    weights = rng.standard_normal((5, 6))
    mosaic = dl.plotting.weight_tiles(weights, (2, 3), n_cols=2, normalise="global")
    assert mosaic.shape == (3 * 3 - 1, 2 * 4 - 1)
    scale = np.abs(weights).max()
    for index in range(5):
        top, left = (index // 2) * 3, (index % 2) * 4
        np.testing.assert_allclose(mosaic[top:top + 2, left:left + 3],
                                   weights[index].reshape(2, 3) / scale)
    assert np.isnan(mosaic[2]).all() and np.isnan(mosaic[:, 3]).all()
    assert np.isnan(mosaic[6:, 4:]).all()          # the sixth tile is unused


def test_row_normalisation_scales_each_image_to_one(rng):
    """With normalise='row' every image reaches |value| = 1; a zero row stays zero."""
    weights = rng.standard_normal((4, 4)) * np.array([[1e-3], [1.0], [10.0], [0.0]])
    mosaic = dl.plotting.weight_tiles(weights, (2, 2), n_cols=4)
    for index in range(3):
        assert np.nanmax(np.abs(mosaic[:, index * 3:index * 3 + 2])) == pytest.approx(1.0)
    assert np.all(mosaic[:, 9:11] == 0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(image_shape=(3, 3)), "shape"), (dict(image_shape=(2, 2), normalise="max"), "normalise"),
    (dict(image_shape=(2, 2), n_cols=0), "n_cols"),
])
def test_bad_tile_arguments_raise(kwargs, message):
    """Images that do not fit the rows, or bad options, raise ValueError."""
    with pytest.raises(ValueError, match=message):
        dl.plotting.weight_tiles(np.ones((3, 4)), **kwargs)


def test_plot_weight_tiles_draws_one_image(rng):
    """The plot helper draws the mosaic as one image with a label per tile."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    dl.plotting.plot_weight_tiles(rng.standard_normal((3, 4)), (2, 2), ax=ax, n_cols=2)
    assert len(ax.images) == 1 and len(ax.texts) == 3
    plt.close(fig)
