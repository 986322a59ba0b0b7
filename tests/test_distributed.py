"""Descrambling on a real Dask cluster: a LocalCluster of two worker processes on this machine.

The cluster is started once for the module; every reduction runs on its workers, so the
moments travel between processes exactly as they would between machines.
"""

import logging
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import descramble_lib as dl

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR,
                                  host="127.0.0.1") as cluster:
        with distributed.Client(cluster, timeout="60s") as client:
            yield client


def random_samples(n, d, chunk, seed=0):
    """A dask array (n, d) made on the workers (nothing large in the graph): correlated
    samples with distinct energies, chunked along samples."""
    mixing = np.random.default_rng(seed).standard_normal((d, d)) * np.linspace(0.5, 2.0, d)
    base = da.random.default_rng(seed).standard_normal((n, d), chunks=(chunk, d))
    return base @ mixing.T + 0.5


def assert_same_descrambling(result, reference):
    """Loss, bound and gap to 1e-10 relative; P equal modulo the non-uniqueness of Lemma 1."""
    for name in ("loss", "bound", "gap"):
        difference = abs(getattr(result, name) - getattr(reference, name))
        assert difference <= 1e-10 * reference.bound, name
    assert dl.descrambler_distance(result.P, reference.P) < 1e-8
    np.testing.assert_allclose(dl.align_in_blocks(result.P, reference.P), reference.P, atol=1e-8)


def test_import_descramble_lib_does_not_import_dask():
    code = ("import sys, descramble_lib as dl; assert 'dask' not in sys.modules; "
            "dl.distributed; assert 'dask' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_dask_descrambling_equals_the_in_memory_one(client):
    """Per-chunk moments reduced on two worker processes: same loss, bound, gap and P."""
    X = random_samples(12_000, 48, chunk=1_000)
    result = dl.distributed.descramble_dask(X, split_every=3)
    S = X.compute().T
    assert_same_descrambling(result, dl.descramble(S))
    moment = dl.distributed.dask_moment(X, client=client, timeout=60)
    np.testing.assert_allclose(moment.moment(), S @ S.T, rtol=1e-12)
    np.testing.assert_allclose(moment.mean, S.mean(axis=1), rtol=1e-12)
    assert moment.count == 12_000 and moment.n_batches == 12
    centred = dl.distributed.descramble_dask(X, centred=True)
    assert_same_descrambling(centred, dl.descramble(S - S.mean(axis=1, keepdims=True)))


def test_options_and_odd_chunks(client):
    """Chunks along neurons are joined; float32 chunks accumulate in float64; method= passes."""
    X = random_samples(3_000, 20, chunk=700, seed=1).astype(np.float32).rechunk((700, 7))
    S = X.compute().astype(np.float64).T
    assert_same_descrambling(dl.distributed.descramble_dask(X), dl.descramble(S))
    cayley = dl.distributed.descramble_dask(X, method="cayley", P0="eigenbasis")
    assert cayley.relative_gap < 1e-8


def test_layer_preactivations_on_the_workers(client, rng):
    """The model runs on the workers chunk by chunk; same result as descramble_layer."""
    generator = torch.Generator().manual_seed(3)
    model = nn.Sequential(nn.Linear(40, 32, dtype=torch.float64), nn.Tanh(),
                          nn.Linear(32, 1, dtype=torch.float64))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64))
    inputs = rng.standard_normal((5_000, 40))
    S = dl.distributed.dask_preactivations(model, "0", da.from_array(inputs, chunks=(1_250, 40)))
    assert S.shape == (5_000, 32) and S.chunks[0] == (1_250,) * 4
    layer = dl.descramble_layer(model, "0", inputs, batch_size=1_000)
    assert_same_descrambling(dl.distributed.descramble_dask(S), layer.result)


def test_bad_arrays_are_refused(client):
    X = random_samples(400, 5, chunk=100)
    bad = da.concatenate([X[:300], da.full((100, 5), np.nan, chunks=(100, 5))])
    with pytest.raises(ValueError, match=r"chunk \(3, 0\).*batch 0 contains 500 non-finite"):
        dl.distributed.dask_moment(bad)
    with pytest.raises(ValueError, match="no samples"):
        dl.distributed.dask_moment(X[:0])
    with pytest.raises(ValueError, match="dask.array.Array"):
        dl.distributed.dask_moment(np.ones((4, 3)))
    with pytest.raises(ValueError, match="real"):
        dl.distributed.dask_moment(X.astype(complex))
    with pytest.raises(ValueError, match="general loss"):
        dl.distributed.descramble_dask(X, loss=dl.smoothness_loss(2))
    with pytest.raises(ValueError, match="split_every"):
        dl.distributed.dask_moment(X, split_every=1)
    with pytest.raises(ValueError, match=r"last axis only.*pass S\.T"):
        dl.distributed.dask_moment(X.T.rechunk((5, 100)))      # S as (d, n), chunked along n
    model = torch.nn.Sequential(torch.nn.Linear(5, 3))
    inputs = np.ones((40, 5))
    inputs[25, 1] = np.nan
    S = dl.distributed.dask_preactivations(model, "0", da.from_array(inputs, chunks=(10, 5)))
    with pytest.raises(ValueError, match=r"chunk \(2, 0\) of the inputs: inputs contain NaN"):
        dl.distributed.descramble_dask(S, client=client)
    with pytest.raises(ValueError, match="timeout applies only with client"):
        dl.distributed.dask_moment(X, timeout=10)
    with pytest.raises(ValueError, match="timeout"):
        dl.distributed.dask_moment(X, client=client, timeout=-1.0)
