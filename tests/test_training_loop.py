"""Tests of the shared minibatch training loop (descramble_lib._training)."""

import itertools
import math

import pytest
import torch
from torch import nn

from descramble_lib._training import _MLPGradient, _plain_mlp, train_minibatches

N, N_IN, N_HIDDEN, N_OUT, BATCH = 200, 12, 7, 5, 32     # 200 = 6 x 32 + 8: a short batch


def _data(seed=0, n=N, dtype=torch.float32):
    """Inputs (n, N_IN) and unit-maximum targets (n, N_OUT) from a fixed smooth map."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, N_IN, generator=generator, dtype=dtype)
    A = torch.randn(N_IN, N_OUT, generator=torch.Generator().manual_seed(99), dtype=dtype)
    Y = torch.sigmoid(torch.tanh(X @ A / 2))
    return X, Y / Y.max(dim=1, keepdim=True).values


def _mlp(seed=0, activation=nn.Tanh, dtype=torch.float32):
    """The DEERNet shape in small: Linear, activation, Linear, Sigmoid (seeded)."""
    with torch.random.fork_rng():            # leaves the global generator alone
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(N_IN, N_HIDDEN, dtype=dtype), activation(),
                             nn.Linear(N_HIDDEN, N_OUT, dtype=dtype), nn.Sigmoid())


def _adam_recipe(model, fused=None, epochs=4, fast_mlp=True, seed=0, data=None):
    """The DEERNet recipe in small: Adam, lr halved every 2 epochs, MSE, validation."""
    X, Y = data if data is not None else _data(dtype=model[0].weight.dtype)
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01, fused=fused)
    return train_minibatches(
        model, X, Y, loss_fn=nn.functional.mse_loss, optimiser=optimiser, epochs=epochs,
        batch_size=BATCH, generator=torch.Generator().manual_seed(seed),
        scheduler=torch.optim.lr_scheduler.StepLR(optimiser, step_size=2, gamma=0.5),
        validation=(X[:50], Y[:50]), progress=False, fast_mlp=fast_mlp)


def _reference(model, X, Y, optimiser, loss_fn, *, epochs, generator, scheduler=None,
               validation=None):
    """Straightforward loop: today's train_deernet / train_moons_classifier inner loop."""
    history = {"train_loss": [], "validation_loss": [], "learning_rate": []}
    for _ in range(epochs):
        history["learning_rate"].append(optimiser.param_groups[0]["lr"])
        model.train()
        order = torch.randperm(X.shape[0], generator=generator)
        total = 0.0
        for first in range(0, X.shape[0], BATCH):
            index = order[first:first + BATCH]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[index]), Y[index])
            loss.backward()
            optimiser.step()
            total += loss.item() * index.numel()
        if scheduler is not None:
            scheduler.step()
        model.eval()
        if validation is not None:
            with torch.no_grad():
                history["validation_loss"].append(loss_fn(model(validation[0]),
                                                          validation[1]).item())
        history["train_loss"].append(total / X.shape[0])
    return history


def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("fast_mlp", [True, False])
@pytest.mark.parametrize("fused", [True, None])
def test_two_runs_are_bit_identical(fast_mlp, fused):
    """The same configuration twice: the same weights and losses to the last bit."""
    runs = []
    for _ in range(2):
        model = _mlp(seed=3)
        history = _adam_recipe(model, fused=fused, fast_mlp=fast_mlp)
        runs.append((_weights(model), history))
    assert all(torch.equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))
    assert runs[0][1] == runs[1][1]
    assert not torch.equal(runs[0][0][0], _weights(_mlp(seed=3))[0])   # it did train


@pytest.mark.parametrize("activation", [nn.Tanh, nn.ReLU])
def test_loss_decreases_on_a_small_regression(activation):
    """Train loss falls every epoch, ends below the predict-the-mean error; validation too."""
    model = _mlp(seed=1, activation=activation)
    history = _adam_recipe(model, fused=True, epochs=8)
    assert all(len(values) == 8 for values in history.values())
    train, validation = history["train_loss"], history["validation_loss"]
    assert all(later < earlier for earlier, later in itertools.pairwise(train))
    _, Y = _data()
    assert train[-1] < 0.8 * float(Y.var(dim=0, unbiased=False).mean())
    assert validation[-1] < 0.7 * validation[0]
    assert history["learning_rate"] == [0.01] * 2 + [0.005] * 2 + [0.0025] * 2 + [0.00125] * 2
    assert not model.training


def test_autograd_path_reproduces_the_reference_loop_exactly():
    """fast_mlp=False does the same float operations as the old loops: equal bits."""
    X, Y = _data()
    models = [_mlp(seed=2), _mlp(seed=2)]
    opts = [torch.optim.Adam(m.parameters(), lr=0.01) for m in models]
    scheds = [torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5) for o in opts]
    expected = _reference(models[0], X, Y, opts[0], nn.functional.mse_loss, epochs=4,
                          generator=torch.Generator().manual_seed(7), scheduler=scheds[0],
                          validation=(X[:50], Y[:50]))
    got = train_minibatches(models[1], X, Y, loss_fn=nn.functional.mse_loss,
                            optimiser=opts[1], epochs=4, batch_size=BATCH,
                            generator=torch.Generator().manual_seed(7), scheduler=scheds[1],
                            validation=(X[:50], Y[:50]), progress=False, fast_mlp=False)
    assert got == expected
    assert all(torch.equal(a, b) for a, b in zip(_weights(models[0]), _weights(models[1])))


class _TwoMoonsLike(nn.Module):
    """Not an nn.Sequential: always trained through autograd."""

    def __init__(self, dtype):
        super().__init__()
        self.inner, self.head = nn.Linear(N_IN, 6, dtype=dtype), nn.Linear(6, 3, dtype=dtype)

    def forward(self, x):
        return self.head(torch.relu(self.inner(x)))


@pytest.mark.parametrize("recipe", ["digits", "moons"])
def test_classifier_recipes_reproduce_their_old_loops_exactly(recipe):
    """AdamW + cross-entropy (digits) and SGD momentum + MultiStepLR (moons), unchanged."""
    X, _ = _data(seed=4, dtype=torch.float64 if recipe == "moons" else torch.float32)
    labels = torch.argmax(X[:, :3], dim=1)
    results = []
    for shared in (False, True):
        with torch.random.fork_rng():
            torch.manual_seed(5)
            model = (nn.Sequential(nn.Linear(N_IN, 6), nn.Tanh(), nn.Linear(6, 3))
                     if recipe == "digits" else _TwoMoonsLike(torch.float64))
        if recipe == "digits":
            optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1.0)
            scheduler = None
        else:
            optimiser = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            scheduler = torch.optim.lr_scheduler.MultiStepLR(optimiser, [1, 2], gamma=0.1)
        kwargs = {"epochs": 3, "generator": torch.Generator().manual_seed(6),
                  "scheduler": scheduler}
        if shared:
            history = train_minibatches(model, X, labels, loss_fn=nn.CrossEntropyLoss(),
                                        optimiser=optimiser, batch_size=BATCH, progress=False,
                                        **kwargs)
        else:
            history = _reference(model, X, labels, optimiser, nn.CrossEntropyLoss(), **kwargs)
        results.append((_weights(model), history["train_loss"], history["learning_rate"]))
    assert all(torch.equal(a, b) for a, b in zip(results[0][0], results[1][0]))
    assert results[0][1:] == results[1][1:]


def test_hand_written_path_matches_the_reference_loop_to_rounding():
    """In float64 the hand-written gradient follows autograd's run to ~1e-10."""
    X, Y = _data(dtype=torch.float64)
    models = [_mlp(seed=2, dtype=torch.float64), _mlp(seed=2, dtype=torch.float64)]
    opts = [torch.optim.Adam(m.parameters(), lr=0.01) for m in models]
    expected = _reference(models[0], X, Y, opts[0], nn.functional.mse_loss, epochs=3,
                          generator=torch.Generator().manual_seed(7), validation=(X, Y))
    got = train_minibatches(models[1], X, Y, loss_fn=nn.MSELoss(), optimiser=opts[1],
                            epochs=3, batch_size=BATCH, generator=torch.Generator().manual_seed(7),
                            validation=(X, Y), progress=False)
    for a, b in zip(_weights(models[0]), _weights(models[1])):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)
    for key in expected:
        assert got[key] == pytest.approx(expected[key], rel=1e-9)


@pytest.mark.parametrize("activations", [(nn.Tanh, nn.Sigmoid), (nn.ReLU, None),
                                         (None, nn.Tanh), (nn.Sigmoid, nn.ReLU)])
def test_hand_written_gradient_equals_autograd(activations):
    """Gradients and the sum of squared errors of one batch, float64, short batch too."""
    modules = [nn.Linear(N_IN, N_HIDDEN, dtype=torch.float64), activations[0],
               nn.Linear(N_HIDDEN, N_OUT, dtype=torch.float64), activations[1]]
    model = nn.Sequential(*[m if isinstance(m, nn.Module) else m() for m in modules if m])
    X, Y = _data(dtype=torch.float64, n=11)
    layers = _plain_mlp(model, nn.functional.mse_loss, X, Y)
    assert layers is not None
    loss = nn.functional.mse_loss(model(X), Y)
    expected = torch.autograd.grad(loss, list(model.parameters()))
    gradient, slot = _MLPGradient(layers, {16, 11}, torch.float64), torch.empty((), dtype=X.dtype)
    with torch.no_grad():
        gradient(X, Y.clone(), slot)
    for a, p in zip(expected, model.parameters()):
        torch.testing.assert_close(p.grad, a, rtol=1e-12, atol=1e-15)
    assert float(slot) / Y.numel() == pytest.approx(loss.item(), rel=1e-13)


def test_models_outside_the_fast_path_use_autograd():
    """Cross-entropy, non-Sequential models, bias-free or tied layers: no hand-written path."""
    X, Y = _data()
    mse = nn.functional.mse_loss
    assert _plain_mlp(_mlp(), mse, X, Y) is not None
    assert _plain_mlp(_mlp(), nn.MSELoss(reduction="sum"), X, Y) is None
    assert _plain_mlp(_mlp(), nn.CrossEntropyLoss(), X, Y) is None
    assert _plain_mlp(_TwoMoonsLike(torch.float32), mse, X, Y) is None
    assert _plain_mlp(nn.Sequential(nn.Linear(N_IN, N_OUT, bias=False)), mse, X, Y) is None
    assert _plain_mlp(nn.Sequential(nn.Linear(N_IN, N_OUT), nn.Tanh(), nn.Tanh()), mse, X,
                      Y) is None
    tied = nn.Linear(N_OUT, N_OUT)
    assert _plain_mlp(nn.Sequential(nn.Linear(N_IN, N_OUT), tied, tied), mse, X, Y) is None
    assert _plain_mlp(_mlp(dtype=torch.float64), mse, X, Y) is None


def _flushing():
    """Whether denormals flush to zero (torch has no getter)."""
    return float(torch.tensor([1e-39]) * 2) == 0.0


@pytest.mark.parametrize("fast_mlp", [True, False])
def test_one_thread_and_determinism_inside_restored_after(fast_mlp):
    """Inside: one torch thread, deterministic algorithms, flushed denormals. After: the
    caller's settings, also after an error."""
    seen = []

    class Recorder(torch.optim.lr_scheduler.StepLR):
        def step(self, *args, **kwargs):
            seen.append((torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                         _flushing()))
            return super().step(*args, **kwargs)

    model, (X, Y) = _mlp(), _data()
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = Recorder(optimiser, 1)
    seen.clear()                             # the scheduler steps once when made
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train_minibatches(model, X, Y, loss_fn=nn.functional.mse_loss, optimiser=optimiser,
                          epochs=2, batch_size=BATCH, generator=torch.Generator(),
                          scheduler=scheduler, progress=False, fast_mlp=fast_mlp)
        assert torch.get_num_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled() and not _flushing()
        torch.set_flush_denormal(True)
        with pytest.raises(RuntimeError, match="boom"):           # restored on errors too
            train_minibatches(model, X, Y, loss_fn=_raise, optimiser=optimiser, epochs=1,
                              batch_size=BATCH, generator=torch.Generator(), progress=False)
        assert torch.get_num_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled() and _flushing()
    finally:
        torch.set_num_threads(previous)
        torch.set_flush_denormal(False)
    assert seen == [(1, True, True), (1, True, True)]


def _raise(prediction, target):
    raise RuntimeError("boom")


def test_progress_bar_shows_the_losses(capsys):
    model, (X, Y) = _mlp(), _data()
    train_minibatches(model, X, Y, loss_fn=nn.functional.mse_loss,
                      optimiser=torch.optim.Adam(model.parameters(), lr=0.01), epochs=2,
                      batch_size=BATCH, generator=torch.Generator(), validation=(X, Y),
                      desc="tiny net")
    err = capsys.readouterr().err
    assert "tiny net" in err and "train_loss=" in err and "validation_loss=" in err


def _call(**overrides):
    model, (X, Y) = _mlp(), _data()
    kwargs = {"loss_fn": nn.functional.mse_loss, "epochs": 1, "batch_size": BATCH,
              "optimiser": torch.optim.Adam(model.parameters(), lr=0.01),
              "generator": torch.Generator(), "progress": False}
    kwargs.update(overrides)
    return train_minibatches(kwargs.pop("model", model), kwargs.pop("inputs", X),
                             kwargs.pop("targets", Y), **kwargs)


@pytest.mark.parametrize("overrides", [
    {"epochs": 0}, {"epochs": -2}, {"epochs": 1.5}, {"epochs": True},
    {"batch_size": 0}, {"batch_size": 2.0},
    {"targets": torch.zeros(N - 1, N_OUT)}, {"inputs": torch.zeros(0, N_IN),
                                             "targets": torch.zeros(0, N_OUT)},
    {"inputs": [[0.0] * N_IN] * N}, {"inputs": torch.tensor(1.0)},
    {"validation": (torch.zeros(3, N_IN),)}, {"validation": (torch.zeros(3, N_IN),
                                                              torch.zeros(4, N_OUT))},
    {"generator": 0}, {"progress": "yes"}, {"fast_mlp": 1},
])
def test_bad_arguments_raise_value_error(overrides):
    with pytest.raises(ValueError):
        _call(**overrides)


@pytest.mark.parametrize("lr", [math.nan, math.inf, 0.0, -0.1])
def test_bad_learning_rate_raises_value_error(lr):
    model = _mlp()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    optimiser.param_groups[0]["lr"] = lr                     # Adam/SGD reject some at init
    with pytest.raises(ValueError, match="learning rate"):
        _call(model=model, optimiser=optimiser)
