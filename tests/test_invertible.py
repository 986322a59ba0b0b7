"""Tests of the invertible network: coupling inverse, exact boundary, projections, training."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

import descramble_lib as dl
from descramble_lib.invertible import importance_table

TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-12}
NUMPY_DTYPE = {torch.float32: np.float32, torch.float64: np.float64}


def points(dtype, max_n=50):
    """Hypothesis strategy: (n, 2) inputs in [-3, 3] (the data lie in [-1.5, 2.5])."""
    return st.integers(1, max_n).flatmap(lambda n: arrays(
        NUMPY_DTYPE[dtype], (n, 2),
        elements=st.floats(-3, 3, width=32 if dtype == torch.float32 else 64)))


@pytest.fixture(scope="module")
def trained():
    """The chapter's network: seed 0, no final ReLU, float32 (trained once per module)."""
    return dl.invertible.train_moons_classifier(0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@given(data=st.data(), seed=st.integers(0, 2**31 - 1))
def test_network_round_trip(dtype, data, seed):
    """inverse(features(x)) = x for a randomly initialised network."""
    x = torch.from_numpy(data.draw(points(dtype)))
    net = dl.invertible.InvertibleNet(dtype=dtype, rng=seed)
    with torch.no_grad():
        z = net.features(x)
        assert z.dtype == dtype
        np.testing.assert_allclose(net.inverse(z), x, rtol=0, atol=TOLERANCE[dtype])
        np.testing.assert_allclose(net.features(net.inverse(x)), x, rtol=0,
                                   atol=TOLERANCE[dtype])


@pytest.mark.parametrize("final_relu", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@given(data=st.data(), seed=st.integers(0, 2**31 - 1))
def test_block_round_trip(dtype, final_relu, data, seed):
    """Each coupling block is inverted exactly by its inverse, both ways round."""
    x = torch.from_numpy(data.draw(points(dtype)))
    block = dl.invertible.AdditiveCoupling(final_relu=final_relu, dtype=dtype, rng=seed)
    with torch.no_grad():
        np.testing.assert_allclose(block.inverse(block(x)), x, rtol=0, atol=TOLERANCE[dtype])
        np.testing.assert_allclose(block(block.inverse(x)), x, rtol=0, atol=TOLERANCE[dtype])


def test_block_matches_formula():
    """The block computes y1 = x1 + F(x2), y2 = x2 + G(y1)."""
    block = dl.invertible.AdditiveCoupling(dtype=torch.float64, rng=3)
    x = torch.tensor([[0.3, -1.2], [2.0, 0.5]], dtype=torch.float64)
    with torch.no_grad():
        y1 = x[:, :1] + block.F(x[:, 1:])
        y2 = x[:, 1:] + block.G(y1)
        np.testing.assert_allclose(block(x), torch.cat([y1, y2], 1), rtol=0, atol=1e-15)


@given(seed=st.integers(0, 2**31 - 1))
def test_block_jacobian_has_unit_determinant(seed):
    """det dT/dx = 1 (log-det 0) for one block, by autograd."""
    block = dl.invertible.AdditiveCoupling(dtype=torch.float64, rng=seed)
    x = torch.tensor([[0.7, -0.4]], dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda v: block(v[None])[0], x[0])
    assert float(torch.linalg.det(jacobian)) == pytest.approx(1.0, abs=1e-12)


def test_training_accuracy(trained):
    """Seed 0 reaches at least 0.85 test accuracy on the 600/400 split."""
    assert trained.x_train.shape == (600, 2) and trained.x_test.shape == (400, 2)
    assert trained.x_train.dtype == np.float32
    assert trained.test_accuracy >= 0.85


def test_training_is_deterministic(trained):
    """Two trainings with the same seed give identical weights; another seed does not."""
    again = dl.invertible.train_moons_classifier(0)
    for a, b in zip(trained.net.state_dict().values(), again.net.state_dict().values()):
        assert torch.equal(a, b)
    other = dl.invertible.train_moons_classifier(1, n_epochs=1)
    assert not torch.equal(trained.net.classifier.weight, other.net.classifier.weight)


def test_training_leaves_global_state_alone():
    """Training neither reads nor moves the global torch RNG, and restores the thread count."""
    threads = torch.get_num_threads()
    state = torch.get_rng_state()
    dl.invertible.train_moons_classifier(2, n_epochs=1)
    assert torch.equal(state, torch.get_rng_state())
    assert torch.get_num_threads() == threads


def test_projections_lie_on_boundary(trained):
    """Projected test points have equal logits, to 1e-5 (float32) and 1e-10 (float64)."""
    net, x = trained.net, trained.x_test
    x_p = dl.invertible.project_to_boundary(net, x)
    assert x_p.shape == x.shape and x_p.dtype == x.dtype
    np.testing.assert_allclose(dl.invertible.logit_difference(net, x_p), 0, atol=1e-5)
    net64 = copy.deepcopy(net).to(torch.float64)
    x_p64 = dl.invertible.project_to_boundary(net64, x.astype(np.float64))
    np.testing.assert_allclose(dl.invertible.logit_difference(net64, x_p64), 0, atol=1e-10)


def test_projection_is_orthogonal_in_feature_space(trained):
    """z - z_p is parallel to w, and points on the boundary project to themselves."""
    net = copy.deepcopy(trained.net).to(torch.float64)
    x = torch.from_numpy(trained.x_test[:50].astype(np.float64))
    w, _ = dl.invertible.boundary_hyperplane(net)
    with torch.no_grad():
        step = net.features(x) - net.features(dl.invertible.project_to_boundary(net, x))
        cross = step[:, 0] * w[1] - step[:, 1] * w[0]
        np.testing.assert_allclose(cross, 0, atol=1e-10)
        x_p = dl.invertible.project_to_boundary(net, x)
        np.testing.assert_allclose(dl.invertible.project_to_boundary(net, x_p), x_p, atol=1e-10)


def test_boundary_points_have_equal_logits(trained):
    """Every sampled boundary point has equal logits, and the boundary separates the classes."""
    net = trained.net
    boundary = dl.invertible.decision_boundary(net, trained.x_test, n_points=300)
    assert boundary.inputs.shape == (300, 2) and boundary.features.shape == (300, 2)
    np.testing.assert_allclose(dl.invertible.logit_difference(net, boundary.inputs), 0, atol=1e-5)
    w, delta_b = (v.numpy() for v in dl.invertible.boundary_hyperplane(net))
    np.testing.assert_allclose(boundary.features @ w + delta_b, 0, atol=1e-5)
    # points pushed off the line along +w / -w land on the class-0 / class-1 side
    with torch.no_grad():
        shift = torch.from_numpy(0.1 * w / np.linalg.norm(w))
        z = torch.from_numpy(boundary.features)
        assert np.all(dl.invertible.logit_difference(net, net.inverse(z + shift).numpy()) > 0)
        assert np.all(dl.invertible.logit_difference(net, net.inverse(z - shift).numpy()) < 0)


def test_importance_is_gradient_times_displacement(trained):
    """I = grad f * (x - x_p), with the gradient checked by central differences (float64)."""
    net = copy.deepcopy(trained.net).to(torch.float64)
    x = trained.x_test[:20].astype(np.float64)
    importance = dl.invertible.feature_importance(net, x)
    h = 1e-6
    gradient = np.stack([(dl.invertible.logit_difference(net, x + h * e) - dl.invertible.logit_difference(net, x - h * e))
                         / (2 * h) for e in np.eye(2)], axis=1)
    expected = gradient * (x - dl.invertible.project_to_boundary(net, x))
    np.testing.assert_allclose(importance, expected, rtol=1e-5, atol=1e-7)


def test_tensor_in_tensor_out(trained):
    """Tensor inputs give tensor outputs equal to the NumPy path."""
    net, x = trained.net, trained.x_test[:10]
    out = dl.invertible.project_to_boundary(net, torch.from_numpy(x))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_array_equal(out.numpy(), dl.invertible.project_to_boundary(net, x))


@pytest.mark.parametrize("bad", [np.zeros((5, 3), np.float32), np.zeros(4, np.float32),
                                 np.zeros((0, 2), np.float32), np.zeros((2, 2, 2), np.float32)])
def test_bad_shapes_raise(trained, bad):
    """Inputs not of shape (n, 2) raise ValueError everywhere."""
    net = trained.net
    for function in (dl.invertible.project_to_boundary, dl.invertible.feature_importance, dl.invertible.logit_difference,
                     dl.invertible.decision_boundary):
        with pytest.raises(ValueError, match="shape"):
            function(net, bad)
    with pytest.raises(ValueError, match="shape"):
        net.features(torch.from_numpy(bad))
    with pytest.raises(ValueError, match="shape"):
        net.blocks[0].inverse(torch.from_numpy(bad))


def test_nan_and_dtype_raise(trained):
    """NaN inputs, a dtype other than the network's, and integer inputs raise ValueError."""
    net = trained.net
    x = trained.x_test[:4].copy()
    x[1, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        dl.invertible.project_to_boundary(net, x)
    with pytest.raises(ValueError, match="non-finite"):
        net.inverse(torch.from_numpy(x))
    with pytest.raises(ValueError, match="dtype"):
        dl.invertible.feature_importance(net, trained.x_test[:4].astype(np.float64))
    with pytest.raises(ValueError, match="dtype"):
        net(torch.zeros((3, 2), dtype=torch.float64))
    with pytest.raises(ValueError, match="floating"):
        dl.invertible.logit_difference(net, np.zeros((3, 2), dtype=int))


def test_bad_options_raise():
    """Bad seeds, dtypes and sizes raise ValueError."""
    with pytest.raises(ValueError, match="rng"):
        dl.invertible.InvertibleNet(rng=-1)
    with pytest.raises(ValueError, match="dtype"):
        dl.invertible.AdditiveCoupling(dtype=torch.float16)
    with pytest.raises(ValueError, match="n_blocks"):
        dl.invertible.InvertibleNet(n_blocks=0)
    with pytest.raises(ValueError, match="n_epochs"):
        dl.invertible.train_moons_classifier(0, n_epochs=0)
    net = dl.invertible.InvertibleNet(rng=0)
    with pytest.raises(ValueError, match="n_points"):
        dl.invertible.decision_boundary(net, np.zeros((3, 2), np.float32), n_points=1)


def test_equal_logit_weights_raise():
    """A classifier with identical rows has no boundary: ValueError."""
    net = dl.invertible.InvertibleNet(rng=0)
    with torch.no_grad():
        net.classifier.weight[1] = net.classifier.weight[0]
    with pytest.raises(ValueError, match="no decision boundary"):
        dl.invertible.project_to_boundary(net, np.zeros((2, 2), np.float32))


def test_inactive_subnets_counts_constant_subnets():
    """Fresh subnets are not constant; all-dead hidden ReLUs or a dead final ReLU count 1 each."""
    x = np.random.default_rng(0).uniform(-1, 2, (50, 2)).astype(np.float32)
    net = dl.invertible.InvertibleNet(rng=0)
    assert dl.invertible.inactive_subnets(net, x) == 0
    with torch.no_grad():
        net.blocks[2].F[0].weight.zero_()
        net.blocks[2].F[0].bias.fill_(-1.0)       # every hidden ReLU of F is off
    assert dl.invertible.inactive_subnets(net, x) == 1
    relu_net = dl.invertible.InvertibleNet(rng=0, final_relu=True)
    before = dl.invertible.inactive_subnets(relu_net, x)
    with torch.no_grad():
        relu_net.blocks[1].G[2].bias.fill_(-100.0)   # final ReLU off everywhere
    assert dl.invertible.inactive_subnets(relu_net, x) == before + 1


def test_path_importance_is_complete(trained):
    """Path importances add up to f(x) (float32 to 1e-4, float64 to 1e-10); gradient ones do not."""
    net, x = trained.net, trained.x_test
    f = dl.invertible.logit_difference(net, x)
    np.testing.assert_allclose(dl.invertible.feature_importance(net, x, method="path").sum(axis=1), f,
                               rtol=1e-5, atol=1e-4)
    net64, x64 = copy.deepcopy(net).to(torch.float64), x.astype(np.float64)
    path = dl.invertible.feature_importance(net64, x64, method="path")
    np.testing.assert_allclose(path.sum(axis=1), dl.invertible.logit_difference(net64, x64), atol=1e-10)
    gradient = dl.invertible.feature_importance(net64, x64)
    assert np.max(np.abs(gradient.sum(axis=1) - dl.invertible.logit_difference(net64, x64))) > 1.0


@given(seed=st.integers(0, 2**31 - 1), data=st.data())
def test_path_importance_is_complete_for_random_networks(seed, data):
    """Completeness holds for any network, not only the trained one (float64, 1e-10)."""
    net = dl.invertible.InvertibleNet(dtype=torch.float64, rng=seed)
    x = data.draw(points(torch.float64, max_n=20))
    with torch.no_grad():
        net.classifier.weight[0, 0] += 1.0       # keep w away from 0
    path = dl.invertible.feature_importance(net, x, method="path")
    np.testing.assert_allclose(path.sum(axis=1), dl.invertible.logit_difference(net, x), atol=1e-10)


def test_path_importance_matches_quadrature(trained):
    """The exact path integral agrees with a 4000-point midpoint rule to 5e-3 (float64)."""
    net = copy.deepcopy(trained.net).to(torch.float64)
    x = trained.x_test[:12].astype(np.float64)
    x_p = dl.invertible.project_to_boundary(net, x)
    s = (np.arange(4000) + 0.5) / 4000
    along = torch.from_numpy((x_p[None] + s[:, None, None] * (x - x_p)[None]).reshape(-1, 2))
    along.requires_grad_(True)
    logits = net(along)
    (gradient,) = torch.autograd.grad((logits[:, 0] - logits[:, 1]).sum(), along)
    mean_gradient = gradient.numpy().reshape(len(s), -1, 2).mean(axis=0)
    np.testing.assert_allclose(dl.invertible.feature_importance(net, x, method="path"),
                               (x - x_p) * mean_gradient, rtol=0, atol=5e-3)


def test_path_equals_gradient_for_affine_features():
    """With F = G = 0 the feature map is the identity, f is affine, and both methods agree."""
    net = dl.invertible.InvertibleNet(dtype=torch.float64, rng=4)
    with torch.no_grad():
        for block in net.blocks:
            for subnet in (block.F, block.G):
                subnet[2].weight.zero_()
                subnet[2].bias.zero_()
    x = np.random.default_rng(1).uniform(-3, 3, (30, 2))
    np.testing.assert_allclose(dl.invertible.feature_importance(net, x, method="path"),
                               dl.invertible.feature_importance(net, x), rtol=1e-12, atol=1e-12)


def test_unknown_importance_method_raises(trained):
    """An unknown method raises ValueError naming the choices."""
    with pytest.raises(ValueError, match="gradient"):
        dl.invertible.feature_importance(trained.net, trained.x_test[:3], method="taylor")


def test_importance_table_rows(trained):
    """One row per input, as many numbers as header names; path sums equal f(x)."""
    x = trained.x_test[:5]
    header, rows = importance_table(trained.net, x)
    assert len(rows) == 5 and all(len(row) == len(header) == 10 for row in rows)
    table = np.array(rows)
    np.testing.assert_allclose(table[:, :2], x, rtol=0, atol=0)
    np.testing.assert_allclose(table[:, 2], dl.invertible.logit_difference(trained.net, x), atol=1e-6)
    np.testing.assert_allclose(table[:, -1], table[:, 2], rtol=1e-5, atol=1e-4)
