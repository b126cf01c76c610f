"""AdaGrad and global-RMS GD in genlab.optim; per-member init scale; the optimizers experiment."""
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from genlab import models
from genlab.config import ConfigError
from genlab.experiments import optimizers, optimizers_report
from genlab.optim import make_optimizer, schedule_fn
from genlab.store import open_store
from genlab.train.many import scale_init


def _first_updates(name, grads, lr=0.1, steps=1):
    opt = make_optimizer(name, schedule_fn("constant", 10))(lr=lr, weight_decay=0.0)
    params = jax_tree_zeros(grads)
    state = opt.init(params)
    out = []
    for _ in range(steps):
        updates, state = opt.update(grads, state, params)
        out.append(updates)
    return out


def jax_tree_zeros(tree):
    return {k: jnp.zeros_like(v) for k, v in tree.items()}


def test_global_rms_takes_a_step_of_length_lr_along_the_gradient():
    grads = {"a": jnp.array([3.0, -4.0]), "b": jnp.array([[12.0]])}
    (update,) = _first_updates("global_rms", grads, lr=0.1)
    flat = jnp.concatenate([update["a"], update["b"].ravel()])
    np.testing.assert_allclose(jnp.linalg.norm(flat), 0.1, rtol=1e-5)  # bias-corrected first step
    np.testing.assert_allclose(flat, -0.1 * jnp.array([3.0, -4.0, 12.0]) / 13.0, rtol=1e-5)
    scaled = _first_updates("global_rms", {k: 1e3 * v for k, v in grads.items()}, lr=0.1)[0]
    np.testing.assert_allclose(scaled["a"], update["a"], rtol=1e-5)  # invariant to gradient scale


def test_global_rms_steady_gradient_keeps_step_length_lr():
    grads = {"a": jnp.array([1.0, 2.0, 2.0])}
    updates = _first_updates("global_rms", grads, lr=0.5, steps=5)
    for u in updates:
        np.testing.assert_allclose(jnp.linalg.norm(u["a"]), 0.5, rtol=1e-4)


def test_adagrad_divides_by_the_root_sum_of_squares_per_coordinate():
    grads = {"a": jnp.array([2.0, -0.5])}
    first, second = _first_updates("adagrad", grads, lr=0.1, steps=2)
    np.testing.assert_allclose(first["a"], [-0.1, 0.1], rtol=1e-5)
    np.testing.assert_allclose(second["a"], -0.1 * grads["a"] / (np.sqrt(2) * np.abs(grads["a"])), rtol=1e-5)


def test_unknown_optimizer_lists_the_new_choices():
    with pytest.raises(ConfigError, match="adagrad, global_rms"):
        make_optimizer("lion", schedule_fn("constant", 10))


def test_scale_init_multiplies_every_parameter():
    model = models.make("mlp", key=jr.key(0))
    scaled = scale_init(model, jnp.asarray(0.5))
    flat_b, flat_a = (jnp.concatenate([x.ravel() for x in jax.tree.leaves(eqx.filter(m, eqx.is_inexact_array))])
                      for m in (model, scaled))
    np.testing.assert_allclose(flat_a, 0.5 * flat_b, rtol=1e-6)


TINY = dataclasses.replace(optimizers.PRESETS["smoke"], n_train=200, steps=100, eval_every=50)


def test_optimizers_experiment_runs_and_reports(tmp_path):
    store = open_store(tmp_path / "s.sqlite")
    ids = optimizers.EXPERIMENT.run(TINY, store, progress=False)
    runs = store.runs("optimizers")
    grids = optimizers.LR_GRIDS
    assert len(runs) == len(set(ids)) == 2 * len(grids["gd"]) + len(grids["adam"])  # gd twice: x0.5
    finite = [r for r in runs if r["status"] == "done"]
    assert len(finite) >= len(runs) - 3  # at most the top lrs diverge (stored as `diverged`)
    assert all(np.isnan(r["summary"]["train/loss"]) or r["status"] == "done" for r in runs)
    for r in finite:
        assert r["summary"]["params/distance_from_init"] > 0 and r["summary"]["params/norm"] > 0
    # a smaller init starts (and, over 100 steps, stays) at a smaller weight norm
    gd = [r for r in finite if r["config"]["tags"]["method"] == "gd" and r["config"]["lr"] == grids["gd"][0]]
    norms = {s: np.mean([r["summary"]["params/norm"] for r in gd if r["config"]["tags"]["init_scale"] == s])
             for s in (0.5, 1.0)}
    assert norms[0.5] < norms[1.0]
    result = optimizers.EXPERIMENT.analyze(store)
    assert result["headline"] and len(next(iter(result["tables"].values()))["rows"]) == 3
    assert len(optimizers.EXPERIMENT.plot(store, tmp_path / "fig")) == 2
    assert optimizers.EXPERIMENT.run(TINY, store, progress=False) == ids  # resumes: nothing new
    assert optimizers_report.FIT_LOSS > 0


def test_bad_optimizers_config_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown method"):
        optimizers.EXPERIMENT.config("smoke", sets=["methods=gd,rmsprop"])
