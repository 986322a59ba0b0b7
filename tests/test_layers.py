"""Tests of ``descramble_layer``: preactivations from a forward hook, P W and P b, streamed
from arrays, data loaders and iterables of batches, input checks."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import descramble_lib as dl


def small_mlp(seed=0, dtype=torch.float64, bias=True):
    """Linear(5, 7) - tanh - Linear(7, 6, bias) - ReLU - Linear(6, 2), from a seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 7, dtype=dtype), nn.Tanh(),
                          nn.Linear(7, 6, bias=bias, dtype=dtype), nn.ReLU(),
                          nn.Linear(6, 2, dtype=dtype))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=dtype))
    return model


class Encoder(nn.Module):
    """A nested model whose Linear layers have dotted names and see (n, t, m) inputs."""

    def __init__(self):
        super().__init__()
        self.block = nn.ModuleDict({"fc": nn.Linear(3, 4, dtype=torch.float64)})
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.block["fc"](self.dropout(x))


def test_first_layer_preactivations_are_wx_plus_b(rng):
    """S equals W X^T + b for the first layer, and the result holds P W and P b."""
    model = small_mlp()
    X = rng.standard_normal((40, 5))
    result = dl.descramble_layer(model, "0", X, keep_preactivations=True)
    W, b = model[0].weight.detach().numpy(), model[0].bias.detach().numpy()
    np.testing.assert_allclose(result.S, W @ X.T + b[:, None], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.P, dl.descramble(result.S).P, atol=1e-12)
    np.testing.assert_allclose(result.weights, result.P @ W, atol=1e-12)
    np.testing.assert_allclose(result.bias, result.P @ b, atol=1e-12)
    assert result.name == "0" and result.result.relative_gap < 1e-10


def test_hidden_layer_sees_previous_activations(rng):
    """A hidden Linear's preactivations are W2 tanh(W1 x + b1) (no bias here: bias is None)."""
    model = small_mlp(bias=False)
    X = rng.standard_normal((25, 5))
    result = dl.descramble_layer(model, model[2], X, keep_preactivations=True)
    hidden = np.tanh(model[0].weight.detach().numpy() @ X.T
                     + model[0].bias.detach().numpy()[:, None])
    np.testing.assert_allclose(result.S, model[2].weight.detach().numpy() @ hidden, atol=1e-12)
    assert result.b is None and result.bias is None and result.name == "2"


def test_layer_by_name_or_module_agree(rng):
    """Passing the module or its name gives the same descrambler."""
    model = small_mlp()
    X = torch.from_numpy(rng.standard_normal((30, 5)))
    by_name = dl.descramble_layer(model, "2", X)
    by_module = dl.descramble_layer(model, model[2], X)
    np.testing.assert_array_equal(by_name.P, by_module.P)


def test_descrambled_layer_reproduces_rotated_preactivations(rng):
    """(P W) x + P b = P (W x + b): the descrambled layer gives the rotated preactivations."""
    model = small_mlp()
    X = rng.standard_normal((20, 5))
    result = dl.descramble_layer(model, "0", X, keep_preactivations=True)
    np.testing.assert_allclose(result.weights @ X.T + result.bias[:, None], result.P @ result.S,
                               atol=1e-10)


def test_batches_and_extra_axes_and_eval_mode(rng):
    """Batched runs equal one run; extra input axes add columns; dropout is off; training flag restored."""
    model = Encoder()
    model.train()
    X = rng.standard_normal((10, 6, 3))
    name, S = dl.layer_preactivations(model, "block.fc", X, batch_size=3)
    _, S_all = dl.layer_preactivations(model, "block.fc", X)
    layer = model.block["fc"]
    expected = layer.weight.detach().numpy() @ X.reshape(-1, 3).T + layer.bias.detach().numpy()[:, None]
    assert name == "block.fc" and S.shape == (4, 60)
    np.testing.assert_allclose(S, expected, atol=1e-12)   # no dropout
    np.testing.assert_allclose(S, S_all, atol=1e-12)
    assert model.training


def test_float32_model_and_integer_inputs(rng):
    """Float inputs are cast to a float32 layer; integer inputs reach the model unchanged (token ids)."""
    name, S = dl.layer_preactivations(small_mlp(dtype=torch.float32), "0",
                                      rng.standard_normal((15, 5)))
    assert S.dtype == np.float64 and S.shape == (7, 15)
    generator = torch.Generator().manual_seed(0)
    embedding = nn.Embedding(10, 4)
    with torch.no_grad():
        embedding.weight.copy_(torch.randn(10, 4, generator=generator))
    model = nn.Sequential(embedding, nn.Linear(4, 3))
    tokens = rng.integers(0, 10, size=(6, 2))
    _, S = dl.layer_preactivations(model, "1", tokens)
    assert S.shape == (3, 12)


def test_general_loss_passes_through(rng):
    """loss= reaches descramble: the sparsity descrambler lowers ||P W||_1."""
    model = small_mlp()
    W = model[0].weight.detach().numpy()
    result = dl.descramble_layer(model, "0", rng.standard_normal((30, 5)),
                                 loss=dl.sparsity_loss(W), max_iter=200)
    assert np.isnan(result.result.bound)
    assert np.abs(result.weights).sum() <= np.abs(W).sum()


def test_linear_layer_names():
    """Every nn.Linear is listed by its dotted name, in order."""
    assert dl.linear_layer_names(small_mlp()) == ["0", "2", "4"]
    assert dl.linear_layer_names(Encoder()) == ["block.fc"]


class Unused(nn.Module):
    """Has a Linear that forward never calls."""

    def __init__(self):
        super().__init__()
        self.used = nn.Linear(3, 2, dtype=torch.float64)
        self.unused = nn.Linear(3, 2, dtype=torch.float64)

    def forward(self, x):
        return self.used(x)


@pytest.mark.parametrize("model, layer, inputs, message", [
    ("not a model", "0", np.ones((3, 5)), "torch.nn.Module"),
    (small_mlp(), "9", np.ones((3, 5)), r"no module named '9'.*\['0', '2', '4'\]"),
    (small_mlp(), "1", np.ones((3, 5)), "is a Tanh, not an nn.Linear"),
    (small_mlp(), nn.Linear(5, 7), np.ones((3, 5)), "not a submodule"),
    (small_mlp(), 3, np.ones((3, 5)), "must be an nn.Linear"),
    (small_mlp(), "0", np.ones((3, 4)), "cannot run on inputs of shape"),
    (small_mlp(), "0", np.ones(5), "batch axis"),
    (small_mlp(), "0", np.ones((0, 5)), "empty"),
    (small_mlp(), "0", np.full((3, 5), np.nan), "NaN"),
    (small_mlp(), "0", np.array([["a"] * 5]), "numeric"),
    (small_mlp(), "0", np.ones((3, 5), dtype=int), "cannot run on inputs"),
    (Unused(), "unused", np.ones((3, 3)), "never called"),
])
def test_bad_input_raises(model, layer, inputs, message):
    """Wrong models, layers and inputs raise ValueError with a clear message."""
    with pytest.raises(ValueError, match=message):
        dl.descramble_layer(model, layer, inputs)


def test_nonfinite_preactivations_raise():
    """Weights that overflow to inf give a ValueError, not a silent NaN descrambler."""
    model = small_mlp()
    with torch.no_grad():
        model[0].weight.fill_(1e308)
    with pytest.raises(ValueError, match="NaN or inf"):
        dl.descramble_layer(model, "0", np.ones((3, 5)))


# ---------------------------------------------------------------- streaming: loaders, iterables

def wide_model(d=24, m=32, seed=1):
    """Linear(m, d) - ReLU(inplace) - Linear(d, 1); m > d so that S S^T has distinct energies."""
    generator = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(m, d, dtype=torch.float64), nn.ReLU(inplace=True),
                          nn.Linear(d, 1, dtype=torch.float64))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64))
    return model


def assert_same_descrambling(streamed, in_memory):
    """Loss, bound and gap to 1e-10 of the bound; P modulo the non-uniqueness of Lemma 1."""
    scale = in_memory.bound
    for name in ("loss", "bound", "gap"):
        assert abs(getattr(streamed, name) - getattr(in_memory, name)) <= 1e-10 * scale, name
    assert dl.descrambler_distance(streamed.P, in_memory.P) < 1e-6


def test_streamed_by_default_and_equal_to_the_in_memory_result(rng):
    """Default: S is not kept, the moment is; results equal descramble(S) to rounding."""
    model = wide_model()
    X = rng.standard_normal((300, 32))
    streamed = dl.descramble_layer(model, "0", X, batch_size=64)
    kept = dl.descramble_layer(model, "0", X, keep_preactivations=True)
    assert streamed.preactivations is None and kept.S.shape == (24, 300)
    with pytest.raises(AttributeError, match="keep_preactivations=True"):
        _ = streamed.S
    assert streamed.moment.count == 300 and streamed.moment.n_batches == 5
    np.testing.assert_allclose(streamed.moment.moment(), kept.S @ kept.S.T, rtol=1e-12)
    assert_same_descrambling(streamed.result, dl.descramble(kept.S))
    np.testing.assert_allclose(streamed.weights, streamed.P @ streamed.W, atol=1e-12)


def test_data_loader_generator_and_list_of_batches_agree(rng):
    """A DataLoader of (x, y) pairs, a generator and a list of tensors give one moment."""
    model = wide_model()
    X = torch.from_numpy(rng.standard_normal((250, 32)))
    y = torch.zeros(250)
    reference = dl.descramble_layer(model, "0", X, keep_preactivations=True)
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=False)
    sources = [loader, (X[i:i + 50] for i in range(0, 250, 50)), list(torch.split(X, 70)),
               [(x.numpy(), None) for x in torch.split(X, 100)]]
    for source in sources:
        layer = dl.descramble_layer(model, "0", source, progress=False)
        np.testing.assert_allclose(layer.moment.moment(), reference.S @ reference.S.T,
                                   rtol=1e-12)
        assert_same_descrambling(layer.result, reference.result)
    kept = dl.descramble_layer(model, "0", loader, keep_preactivations=True)
    np.testing.assert_allclose(kept.S, reference.S, atol=1e-12)


def test_loader_options_reach_descramble(rng):
    """method=, A= and loss= work from a loader (loss= gathers S, which it needs)."""
    model = wide_model(d=8)
    loader = DataLoader(TensorDataset(torch.from_numpy(rng.standard_normal((60, 32)))),
                        batch_size=16)
    cayley = dl.descramble_layer(model, "0", loader, method="cayley", P0="eigenbasis")
    assert cayley.result.relative_gap < 1e-8
    A = np.diag(np.arange(8.0))
    assert dl.descramble_layer(model, "0", loader, A=A).result.relative_gap < 1e-9
    sparse = dl.descramble_layer(model, "0", loader, loss=dl.sparsity_loss(
        model[0].weight.detach().numpy()), max_iter=50)
    assert np.isnan(sparse.result.bound) and sparse.preactivations is None


def test_progress_bar_and_device(rng, capsys):
    """progress=True draws a tqdm bar on stderr; device='cpu'/'auto' run there and leave the
    model where it was; CUDA asked for without CUDA is a clear error."""
    model = wide_model()
    X = rng.standard_normal((64, 32))
    batches = [X[i:i + 16] for i in range(0, 64, 16)]
    dl.descramble_layer(model, "0", batches, progress=True)
    assert "layer 0" in capsys.readouterr().err
    dl.descramble_layer(model, "0", batches, progress=False)
    assert capsys.readouterr().err == ""
    for device in ("cpu", "auto", torch.device("cpu")):
        layer = dl.descramble_layer(model, "0", batches, device=device, progress=False)
        assert layer.moment.count == 64
    assert model[0].weight.device.type == "cpu" and model.training
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda.*is_available"):
            dl.descramble_layer(model, "0", batches, device="cuda")
    with pytest.raises(ValueError, match="device"):
        dl.descramble_layer(model, "0", batches, device="nonsense")


def test_only_one_batch_of_preactivations_is_held(rng):
    """Streaming consumes the batches one at a time: a generator is never read ahead, and
    the moment is complete after the last one."""
    model = wide_model()
    seen = []

    def batches():
        for index in range(5):
            seen.append(index)
            yield torch.from_numpy(rng.standard_normal((10, 32)))

    layer = dl.descramble_layer(model, "0", batches())
    assert seen == list(range(5)) and layer.moment.count == 50
    assert layer.preactivations is None


class Doubler(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(3, 3, dtype=torch.float64)

    def forward(self, x):
        return self.shared(torch.tanh(self.shared(x)))


@pytest.mark.parametrize("model, batches, message", [
    (wide_model(), [], "yielded no batches"),
    (wide_model(), iter(()), "yielded no batches"),
    (wide_model(), [np.ones((4, 32)), np.ones((4, 32)), np.full((4, 32), np.nan)],
     "batch 2 of the inputs contains NaN"),
    (wide_model(), [np.ones((4, 32)), np.ones((4, 5))], "cannot run on batch 1 of shape"),
    (wide_model(), [{"x": np.ones((4, 32))}], "is a dict"),
    (Doubler(), [np.ones((4, 3))], "called 2 times"),
])
def test_bad_loaders_name_the_batch(model, batches, message):
    with pytest.raises(ValueError, match=message):
        dl.descramble_layer(model, "0" if not isinstance(model, Doubler) else "shared", batches)


def test_a_late_bad_batch_keeps_the_moment_of_the_batches_before_it(rng):
    """The error of batch 2 carries the moment of batches 0 and 1, equal to theirs alone;
    an error in the first batch carries none."""
    model = wide_model()
    good = [rng.standard_normal((4, 32)) for _ in range(2)]
    with pytest.raises(ValueError, match="batch 2 of the inputs") as caught:
        dl.descramble_layer(model, "0", good + [np.full((4, 32), np.nan)], progress=False)
    partial = caught.value.moment
    expected = dl.descramble_layer(model, "0", good, progress=False).moment
    assert (partial.count, partial.n_batches) == (8, 2)
    np.testing.assert_array_equal(partial.moment(), expected.moment())
    assert any(".moment" in note for note in caught.value.__notes__)
    with pytest.raises(ValueError, match="batch 0") as first:
        dl.descramble_layer(model, "0", [np.full((4, 32), np.nan)], progress=False)
    assert not hasattr(first.value, "moment")


def test_nonfinite_preactivations_in_a_batch_are_named():
    model = wide_model()
    with torch.no_grad():
        model[0].weight[0, 0] = 1e308
    batches = [np.zeros((3, 32)), np.ones((3, 32)) * 10]
    with pytest.raises(ValueError, match=r"layer '0'.*batch 1 contains"):
        dl.descramble_layer(model, "0", batches)


def test_batch_size_is_for_arrays_only(rng):
    with pytest.raises(ValueError, match="batch_size applies to array inputs"):
        dl.descramble_layer(wide_model(), "0", [rng.standard_normal((4, 32))], batch_size=2)
    with pytest.raises(ValueError, match="keep_preactivations"):
        dl.descramble_layer(wide_model(), "0", rng.standard_normal((4, 32)),
                            keep_preactivations="yes")


def test_one_array_is_cast_and_checked_batch_by_batch(tmp_path):
    """A float64 array for a float32 layer is sliced first and cast per batch: NaN in the
    last rows is found when their batch runs, after the earlier batches went through the
    model, and a float64 memory map gives the same descrambling as the array in memory."""
    model = small_mlp(dtype=torch.float32)
    calls = []
    model[0].register_forward_hook(lambda _m, args, _out: calls.append(args[0].dtype))
    X = np.random.default_rng(0).standard_normal((100, 5))
    X[95, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dl.descramble_layer(model, "0", X, batch_size=10, progress=False)
    assert calls == [torch.float32] * 9
    X[95, 2] = 0.0
    path = tmp_path / "inputs.dat"
    mapped = np.memmap(path, dtype=float, mode="w+", shape=X.shape)
    mapped[:] = X
    from_map = dl.descramble_layer(model, "0", mapped, batch_size=30, progress=False)
    in_memory = dl.descramble_layer(model, "0", X, batch_size=30, progress=False)
    np.testing.assert_array_equal(from_map.P, in_memory.P)
    assert from_map.moment.count == 100
