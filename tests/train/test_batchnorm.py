"""Batch norm through the shared engine: running statistics are per-member model state, updated in
training mode and used in evaluation; a vmapped lane equals the same network trained alone,
running statistics included; the optimizer never touches them."""
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab import models
from genlab.data.sources import FiniteSource
from genlab.models.norm import BATCH_AXIS, BatchNorm, Running
from genlab.train import Members, TrainSpec, train, train_many
from genlab.train.loop import split_running

SPEC = TrainSpec(steps=30, batch_size=16, eval_every=10, optimizer="adamw", batching="reshuffle")


@pytest.fixture(scope="module")
def data():
    r = np.random.default_rng(0)
    x = jnp.asarray(r.normal(size=(64, 40)), jnp.float32)
    y = jnp.asarray(r.integers(0, 10, 64), jnp.int32)
    return FiniteSource(x, y, 16, "reshuffle"), {"train": (x, y), "test": (x[:32], y[:32])}


def _cnn(key):
    return models.make("cnn", key=key, channels=6, norm="batch")


def _running(model):
    return split_running(eqx.filter(model, eqx.is_inexact_array))[1]


def test_batchnorm_normalizes_with_the_batch_and_updates_like_pytorch():
    bn = BatchNorm(3)
    h = jnp.asarray(np.random.default_rng(1).normal(2.0, 3.0, size=(8, 5, 3)), jnp.float32)
    out, running = jax.vmap(lambda e: bn(e, BATCH_AXIS), axis_name=BATCH_AXIS,
                            out_axes=(0, None))(h)
    flat = np.asarray(h).reshape(-1, 3)
    mean, var = flat.mean(0), flat.var(0)
    np.testing.assert_allclose(out, (np.asarray(h) - mean) / np.sqrt(var + 1e-5), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(running.mean, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(running.var, 0.9 + 0.1 * flat.var(0, ddof=1), rtol=1e-5)
    evaluated, same = BatchNorm(3)(h[0])  # evaluation: the running statistics (0, 1)
    np.testing.assert_allclose(evaluated, np.asarray(h[0]) / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert same is not None


@pytest.mark.parametrize("name,kwargs", [("cnn", {"channels": 6}), ("mlp", {"width": 16})])
def test_models_return_updated_statistics_in_training_mode(name, kwargs):
    model = models.make(name, key=jax.random.key(0), norm="batch", **kwargs)
    x = jnp.asarray(np.random.default_rng(2).normal(size=(4, 40)), jnp.float32)
    out, updated = eqx.filter_vmap(lambda e: model(e, batch_axis=BATCH_AXIS), axis_name=BATCH_AXIS,
                                   out_axes=(0, None))(x)
    assert out.shape == (4, 10) and model(x[0]).shape == (10,)
    before, after = _running(model), _running(updated)
    assert len(jax.tree.leaves(before)) == 2 * len(model.norms) > 0
    assert not all(np.allclose(a, b) for a, b in zip(jax.tree.leaves(before), jax.tree.leaves(after)))
    plain = models.make(name, key=jax.random.key(0), **kwargs)
    assert split_running(eqx.filter(plain, eqx.is_inexact_array))[1] is None


def test_vmapped_lane_equals_alone_running_statistics_included(data):
    source, evals = data
    members = Members(seeds=(3, 4, 5), lr=(1e-2, 3e-2, 1e-2), weight_decay=(0.0, 0.1, 0.0))
    nets, many = train_many(_cnn, members, source, evals, SPEC)
    alone_members = Members(seeds=(4,), lr=(3e-2,), weight_decay=(0.1,))
    keys = jax.tree.map(lambda k: k[0], alone_members.keys())
    hyper = jax.tree.map(lambda h: h[0], alone_members.hyper())
    net, hist = eqx.filter_jit(train)(_cnn(keys["init"]), hyper, source, evals, keys, SPEC)
    for k in hist:
        np.testing.assert_allclose(many[k][1], np.asarray(hist[k]), rtol=2e-5, atol=2e-6)
    lane = jax.tree.map(lambda a: a[1], eqx.filter(nets, eqx.is_array))
    for a, b in zip(jax.tree.leaves(lane), jax.tree.leaves(eqx.filter(net, eqx.is_array))):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    stats, init = _running(lane), _running(_cnn(keys["init"]))
    moved = [not np.allclose(a, b) for a, b in zip(jax.tree.leaves(stats), jax.tree.leaves(init))]
    assert all(moved)  # every running mean and variance was updated, per member ...
    other = _running(jax.tree.map(lambda a: a[0], eqx.filter(nets, eqx.is_array)))
    assert not np.allclose(jax.tree.leaves(other)[0], jax.tree.leaves(stats)[0])  # ... its own


def test_running_statistics_are_not_trained(data):
    """No gradient step or (decoupled) weight decay reaches them: after one step each equals
    the EMA of that step's batch statistics from the initial (0, 1), exactly as the layer says."""
    source, evals = data
    spec = TrainSpec(steps=1, batch_size=16, eval_every=1, optimizer="adamw", batching="reshuffle")
    members = Members(seeds=(0,), lr=(1.0,), weight_decay=(0.5,))
    keys = jax.tree.map(lambda k: k[0], members.keys())
    model = _cnn(keys["init"])
    hyper = jax.tree.map(lambda h: h[0], members.hyper())
    net, _ = train(model, hyper, source, evals, keys, spec)
    _, (xb, _) = source.next(source.init(keys["data"]), jnp.zeros((), jnp.int32), keys["data"])
    _, expected = eqx.filter_vmap(functools.partial(model, batch_axis=BATCH_AXIS),
                                  axis_name=BATCH_AXIS, out_axes=(0, None))(xb)
    for a, b in zip(jax.tree.leaves(_running(net)), jax.tree.leaves(_running(expected))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert isinstance(net.norms[0].running, Running)


def test_stateless_models_are_unchanged(data):
    """A model without batch norm carries no running state (same program as before)."""
    source, evals = data
    nets, hist = train_many(lambda k: models.make("cnn", key=k, channels=6),
                            Members(seeds=(0,), lr=(1e-2,)), source, evals, SPEC)
    assert split_running(eqx.filter(nets, eqx.is_inexact_array))[1] is None
    assert np.isfinite(hist["test/loss"]).all()
