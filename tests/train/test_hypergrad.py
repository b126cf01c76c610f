"""Hypergradients through train(): exact against finite differences (float64), checkpointing is
numerically a no-op, per-step losses and lr schedules, frozen parts, and meta-run resume."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab import models
from genlab.data.sources import FiniteSource
from genlab.models import learned
from genlab.store import Store
from genlab.train import TrainSpec, train
from genlab.train import hypergrad as hg
from genlab.train.meta_loop import MetaSpec, meta_train, run_meta_group


def _source(dtype=jnp.float32, n=60, batch=10):
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(n, 8)), dtype)
    y = jnp.asarray(rng.integers(0, 3, n), jnp.int32)
    return FiniteSource(x, y, batch_size=batch, batching="slices")


def _mlp(hyper, key):
    model = models.make("mlp", key=key, in_size=8, num_outputs=3, width=6, depth=0,
                        residual=False, activation="tanh")
    scale = hyper.get("init_scale", 1.0)
    return jax.tree.map(lambda a: a * scale if eqx.is_inexact_array(a) else a, model)


def _keys(seed=0, noise=False):
    return {k: v[0] for k, v in hg.member_keys([seed], noise=noise).items()}


def test_hypergradient_matches_finite_differences_for_every_hyperparameter():
    with jax.enable_x64(True):
        spec = TrainSpec(steps=12, batch_size=10, eval_every=4, optimizer="sgd", batching="slices")
        fn = hg.make_objective(_mlp, _source(jnp.float64), spec, dtype=jnp.float64, checkpoint=True)
        hyper = {"lr": jnp.asarray(0.3), "weight_decay": jnp.asarray(0.01),
                 "init_scale": jnp.asarray(1.2)}
        keys = _keys()
        grads = jax.grad(lambda h: fn(h, keys)[0])(hyper)
        for name in hyper:
            finite = hg.finite_difference(fn, hyper, keys, name, 1e-5)
            np.testing.assert_allclose(grads[name], finite, rtol=1e-5)
            assert abs(float(grads[name])) > 1e-6  # a real dependence, not a zero gradient


def test_checkpointing_changes_nothing_but_memory():
    spec = TrainSpec(steps=12, batch_size=10, eval_every=3, optimizer="momentum", batching="slices")
    plain = hg.make_objective(_mlp, _source(), spec)
    checked = hg.make_objective(_mlp, _source(), spec, checkpoint=True)
    hyper, keys = {"lr": jnp.asarray(0.2)}, _keys()
    a = jax.value_and_grad(lambda h: plain(h, keys)[0])(hyper)
    b = jax.value_and_grad(lambda h: checked(h, keys)[0])(hyper)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    np.testing.assert_allclose(a[1]["lr"], b[1]["lr"], rtol=1e-5)


def test_step_losses_and_a_constant_schedule_equal_the_scalar_lr():
    spec = TrainSpec(steps=12, batch_size=10, eval_every=4, optimizer="sgd", batching="slices")
    model, keys = _mlp({}, _keys()["init"]), _keys()
    hyper = {"lr": jnp.asarray(0.5), "weight_decay": jnp.asarray(0.0)}
    _, hist = train(model, hyper, _source(), {}, keys, spec, step_losses=True)
    assert hist["train/step_loss"].shape == (12,)
    np.testing.assert_allclose(hist["train/step_loss"].reshape(3, 4).mean(1),
                               hist["train/batch_loss"][1:], rtol=1e-6)
    scheduled = {"lr": jnp.asarray(1.0), "weight_decay": jnp.asarray(0.0),
                 "lr_steps": jnp.full((12,), 0.5)}
    _, hist2 = train(model, scheduled, _source(), {}, keys, spec, step_losses=True)
    np.testing.assert_allclose(hist["train/step_loss"], hist2["train/step_loss"], rtol=1e-6)
    ramp = {**scheduled, "lr_steps": jnp.linspace(0.0, 1.0, 12)}
    _, hist3 = train(model, ramp, _source(), {}, keys, spec, step_losses=True)
    assert hist3["train/step_loss"][0] == hist["train/step_loss"][0]   # first batch: same params
    assert not np.allclose(hist3["train/step_loss"][2:], hist["train/step_loss"][2:])


def test_rmsprop_is_the_ones_initialised_form():
    spec = TrainSpec(steps=1, batch_size=10, eval_every=1, optimizer="rmsprop", momentum=0.4)
    tx = spec.optimizer_fn()(lr=jnp.asarray(0.01), weight_decay=jnp.asarray(0.0))
    g = {"w": jnp.asarray([2.0, -0.5])}
    updates, _ = tx.update(g, tx.init(g), g)
    v = 0.4 * 1.0 + 0.6 * g["w"] ** 2
    np.testing.assert_allclose(updates["w"], -0.01 * g["w"] / jnp.sqrt(v + 1e-8), rtol=1e-6)


def test_frozen_activation_is_not_trained_but_gets_an_exact_hypergradient():
    with jax.enable_x64(True):
        spec = TrainSpec(steps=6, batch_size=10, eval_every=2, optimizer="rmsprop", momentum=0.4,
                         batching="slices")

        def make(hyper, key):
            act = learned.from_arrays(*(hyper[n] for n in learned.PARAM_NAMES))
            return learned.NoisyMLP(act, key=key, in_size=8, width=5, num_outputs=3)
        fn = hg.make_objective(make, _source(jnp.float64), spec, dtype=jnp.float64, last_steps=4,
                               frozen=lambda m: m.activation, checkpoint=True,
                               constants={"lr": jnp.asarray(0.01)})
        start = learned.params_of(learned.LearnedActivation(key=jax.random.key(1), hidden=7))
        hyper = {n: jnp.asarray(v, jnp.float64) for n, v in start.items()}
        keys = _keys(noise=True)
        loss, final = fn(hyper, keys)
        np.testing.assert_array_equal(final.activation.w_in, hyper["w_in"])  # not trained
        grads = jax.grad(lambda h: fn(h, keys)[0])(hyper)
        direction = jax.tree.map(lambda a: jnp.cos(jnp.arange(a.size, dtype=a.dtype)).reshape(a.shape), hyper)
        eps = 1e-5

        def at(step):
            return fn(jax.tree.map(lambda a, d: a + step * d, hyper, direction), keys)[0]
        finite = (at(eps) - at(-eps)) / (2 * eps)
        analytic = sum(jnp.vdot(g, d) for g, d in zip(jax.tree.leaves(grads), jax.tree.leaves(direction)))
        np.testing.assert_allclose(analytic, finite, rtol=1e-5)
        assert abs(float(finite)) > 1e-8


def test_one_vmapped_member_equals_the_same_run_alone():
    spec = TrainSpec(steps=8, batch_size=10, eval_every=4, optimizer="sgd", batching="slices")
    fn = hg.make_objective(_mlp, _source(), spec)
    hyper = {"lr": jnp.asarray([0.1, 0.4, 0.9])}
    (losses, _), grads = hg.hypergradient(fn)(hyper, hg.member_keys([0, 1, 2]))
    alone, grad = jax.value_and_grad(lambda h: fn(h, _keys(1))[0])({"lr": jnp.asarray(0.4)})
    np.testing.assert_allclose(losses[1], alone, rtol=1e-6)
    np.testing.assert_allclose(grads["lr"][1], grad["lr"], rtol=1e-5)


def test_sqrt_chunk_divides_steps():
    assert hg.sqrt_chunk(200) in (10, 20) and 200 % hg.sqrt_chunk(200) == 0
    assert hg.sqrt_chunk(301) == 7 and hg.sqrt_chunk(20_000) == 125


class _Stop(Exception):
    pass


def test_an_interrupted_meta_run_resumes_from_its_last_snapshot(tmp_path):
    spec = TrainSpec(steps=8, batch_size=10, eval_every=4, optimizer="sgd", batching="slices")
    step_grads = hg.hypergradient(hg.make_objective(_mlp, _source(), spec))
    hyper, keys = {"lr": jnp.asarray([1.0, 0.1])}, hg.member_keys([0, 0])
    meta = MetaSpec(outer_steps=6, meta_lr=0.3, snapshot_every=2)
    _, reference = meta_train(step_grads, hyper, keys, meta)
    store = Store(tmp_path / "s.sqlite")
    configs = [{"start": 1.0, "seed": 0}, {"start": 0.1, "seed": 0}]

    def stop_at_3(t):
        if t == 2:  # the last snapshot before it holds step 2
            raise _Stop
    with pytest.raises(_Stop):
        run_meta_group("meta_test", store, configs, step_grads, hyper, keys, meta, on_step=stop_at_3)
    assert store.runs("meta_test") == []  # nothing half-written
    computed = []
    ids = run_meta_group("meta_test", store, configs, step_grads, hyper, keys, meta,
                         on_step=computed.append, final=lambda h: {"final/lr": h["lr"]})
    assert computed == [2, 3, 4, 5]  # resumed after the snapshot at step 2, not from scratch
    for m, run_id in enumerate(ids):
        steps, values = store.metrics(run_id)["hyper/lr"]
        assert steps == list(range(6))
        np.testing.assert_allclose(values, reference["hyper/lr"][:, m], rtol=1e-6)
    again = []
    run_meta_group("meta_test", store, configs, step_grads, hyper, keys, meta, on_step=again.append)
    assert again == []  # finished runs are skipped
