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
from genlab.experiments import (
    optimizers,
    optimizers_claims,
    optimizers_report,
    optimizers_solutions,
)
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
        assert 0.0 <= r["summary"]["val/acc"] <= 1.0
    # stored test predictions agree with the stored test accuracy; final params are stored
    x_val, y_val, _, y_test = optimizers.held_out(optimizers.jobs(TINY)[0][1])
    assert len(x_val) == TINY.n_val and len(y_test) == 1000
    r = finite[0]
    pred = store.run_arrays(r["run_id"], "test_pred")["value"]
    assert np.mean(pred == y_test) == pytest.approx(r["summary"]["test/acc"], abs=1e-6)
    assert sum(a.size for a in store.run_arrays(r["run_id"], "final").values()) > 1000
    # a smaller init starts (and, over 100 steps, stays) at a smaller weight norm
    gd = [r for r in finite if r["config"]["tags"]["method"] == "gd" and r["config"]["lr"] == grids["gd"][0]]
    norms = {s: np.mean([r["summary"]["params/norm"] for r in gd if r["config"]["tags"]["init_scale"] == s])
             for s in (0.5, 1.0)}
    assert norms[0.5] < norms[1.0]
    result = optimizers.EXPERIMENT.analyze(store)
    assert result["headline"] and len(next(iter(result["tables"].values()))["rows"]) == 3
    paths = optimizers.EXPERIMENT.plot(store, tmp_path / "fig")
    assert len(paths) == 2 and set(result["captions"]) == {p.stem for p in paths}
    protocol = result["protocol"]["rows"]
    assert {r[0] for r in protocol} >= {"data", "methods", "lr picked by", "validation examples (held out of training)"}
    assert next(r for r in protocol if r[0] == "methods")[2] == "adam, gd"  # read from the configs
    assert optimizers.EXPERIMENT.run(TINY, store, progress=False) == ids  # resumes: nothing new
    assert optimizers_report.FIT_LOSS > 0


def test_bad_optimizers_config_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown method"):
        optimizers.EXPERIMENT.config("smoke", sets=["methods=gd,rmsprop"])
    with pytest.raises(ConfigError, match="n_train \\+ n_val"):
        optimizers.EXPERIMENT.config("smoke", sets=["n_train=3900"])
    with pytest.raises(ConfigError, match="unknown schedule"):
        optimizers.EXPERIMENT.config("smoke", sets=["schedule=linear"])


def test_validation_rows_are_held_out_of_training_and_ids_pin_the_protocol():
    job = optimizers.jobs(TINY)[0][1]
    from genlab.data import datasets
    train = datasets.build(job.data)["x"]
    x_val = optimizers.held_out(job)[0]
    assert not any((train == row).all(axis=1).any() for row in x_val)  # no validation row is trained on
    decayed = optimizers.jobs(dataclasses.replace(TINY, schedule="step"))[0][1]
    assert decayed.train.schedule == "step" and decayed.run_id("optimizers") != job.run_id("optimizers")
    # the quick preset's first job: its id changes only with the protocol
    assert optimizers.jobs(optimizers.PRESETS["quick"])[0][1].tags == {"method": "gd", "init_scale": 1.0, "n_val": 500}


@pytest.mark.parametrize("candidates, picked", [
    # highest validation accuracy among the lrs that fitted, not the lowest training loss
    ({0.1: (0.40, True, True), 0.3: (0.45, True, True), 1.0: (0.43, True, True)}, 0.3),
    # a better validation accuracy at an lr that did not fit (or diverged) is not picked
    ({0.1: (0.40, True, True), 0.3: (0.50, True, False), 1.0: (0.55, False, False)}, 0.1),
    # no lr fitted: the best among the finished ones
    ({0.1: (0.40, True, False), 0.3: (0.45, True, False), 1.0: (0.60, False, False)}, 0.3),
    ({0.1: (float("nan"), False, False), 0.3: (float("nan"), False, False)}, 0.1),
])
def test_lr_is_picked_on_validation_among_fitted_lrs(candidates, picked):
    assert optimizers_claims.pick_lr(candidates) == picked


# ---------------------------------------------------------------- headline checks can fail
LOW = {0: 1e-4, 1: 3e-4, 2: 2e-4, 3: 1e-4}


def test_every_method_reached_the_target_is_a_fact_about_every_seed():
    ok = optimizers_claims.claim_reached({"gd": LOW, "adam": {s: 1e-3 for s in LOW}})
    assert ok.verdict == "ok" and ok.method == "exact (deterministic)"
    one_seed_short = optimizers_claims.claim_reached({"gd": LOW, "adam": {**LOW, 2: 0.05}})
    assert one_seed_short.verdict == "MISS"
    assert one_seed_short.effect == pytest.approx(np.log10(0.05))  # the worst seed is shown
    diverged = optimizers_claims.claim_reached({"gd": {**LOW, 1: float("nan")}})
    assert diverged.verdict == "MISS"


@pytest.mark.parametrize("sgd_acc, ada_acc, ada_loss, verdict", [
    ({0: 48.0, 1: 49.1, 2: 48.5, 3: 47.9}, {0: 45.0, 1: 45.8, 2: 45.9, 3: 44.7}, LOW, "ok"),
    ({0: 45.0, 1: 45.8, 2: 45.9, 3: 44.7}, {0: 48.0, 1: 49.1, 2: 48.5, 3: 47.9}, LOW, "MISS"),
    ({0: 48.0, 1: 45.1, 2: 48.5, 3: 44.9}, {0: 45.0, 1: 47.8, 2: 45.9, 3: 46.7}, LOW, "inconclusive"),
    # better on test, but the adaptive method never fitted: not the claim (MISS)
    ({0: 48.0, 1: 49.1, 2: 48.5, 3: 47.9}, {0: 45.0, 1: 45.8, 2: 45.9, 3: 44.7},
     {s: 0.3 for s in LOW}, "MISS"),
    ({0: 48.0}, {0: 45.0}, {0: 1e-4}, "inconclusive"),  # one seed gives no interval
])
def test_sgd_family_beats_adaptive_is_a_paired_test(sgd_acc, ada_acc, ada_loss, verdict):
    loss = {"sgd": {s: 1e-4 for s in sgd_acc}, "adam": ada_loss}
    v = optimizers_claims.claim_sgd_beats_adaptive("sgd", "adam", {"sgd": sgd_acc, "adam": ada_acc}, loss)
    assert v.verdict == verdict
    if verdict == "ok":
        assert v.effect == pytest.approx(np.mean([sgd_acc[s] - ada_acc[s] for s in sgd_acc]))
        assert "paired" in v.method


def test_without_learning_no_headline_row_says_ok(tmp_path):
    """Ten optimizer steps (two seeds): no method reaches the training-loss target, so neither
    the target row, the SGD-vs-adaptive comparison nor the different-solutions row may pass
    (and from one init, barely moved, the methods' predictions hardly differ)."""
    store = open_store(tmp_path / "s.sqlite")
    cfg = dataclasses.replace(TINY, seeds=2, steps=10, eval_every=5, init_scales=())
    optimizers.EXPERIMENT.run(cfg, store, progress=False)
    headline = optimizers.EXPERIMENT.analyze(store)["headline"]
    checked = [r for r in headline if r["check"]]
    assert len(checked) == 3 and not any(r["check"] == "ok" for r in checked)
    assert all(r["check"] == "MISS" for r in checked)
    assert {"claim", "effect", "interval", "n", "verdict"} <= set(checked[0])


# ---------------------------------------------------------------- different solutions
def test_by_method_pairs_same_seed_across_methods_and_seeds_within_a_method():
    p = {("gd", 0): np.array([0, 0, 0, 0]), ("gd", 1): np.array([1, 1, 0, 0]),
         ("adam", 0): np.array([0, 0, 0, 1]), ("adam", 1): np.array([1, 1, 1, 1])}
    between, within = optimizers_solutions.by_method(p, optimizers_solutions.disagreement)
    assert between == {"adam": pytest.approx(0.375), "gd": pytest.approx(0.375)}  # (1/4 + 2/4) / 2
    assert within == {"adam": pytest.approx(0.75), "gd": pytest.approx(0.5)}
    d_between, _ = optimizers_solutions.by_method({k: v.astype(float) for k, v in p.items()},
                                                  optimizers_solutions.distance)
    assert d_between["gd"] == pytest.approx((1.0 + np.sqrt(2.0)) / 2)


FIT = {m: {0: 1e-4, 1: 2e-4} for m in ("gd", "sgd", "momentum", "adam", "adagrad")}


@pytest.mark.parametrize("between, within, loss, verdict", [
    ({"gd": 20.0, "sgd": 22.0, "momentum": 21.0, "adam": 25.0, "adagrad": 24.0},
     {"gd": 10.0, "sgd": 11.0, "momentum": 12.0, "adam": 13.0, "adagrad": 12.5}, FIT, "ok"),
    # from one init the methods agree more than one method's seeds do: MISS
    ({"gd": 8.0, "sgd": 9.0, "momentum": 8.5, "adam": 10.0, "adagrad": 9.5},
     {"gd": 20.0, "sgd": 22.0, "momentum": 21.0, "adam": 25.0, "adagrad": 24.0}, FIT, "MISS"),
    ({"gd": 20.0, "sgd": 12.0, "momentum": 21.0, "adam": 11.0, "adagrad": 24.0},
     {"gd": 15.0, "sgd": 22.0, "momentum": 16.0, "adam": 18.0, "adagrad": 17.0}, FIT, "inconclusive"),
    # different, but a method never reached ~zero training loss: not the claim
    ({"gd": 20.0, "sgd": 22.0, "momentum": 21.0, "adam": 25.0, "adagrad": 24.0},
     {"gd": 10.0, "sgd": 11.0, "momentum": 12.0, "adam": 13.0, "adagrad": 12.5},
     {**FIT, "adam": {0: 0.3, 1: 0.2}}, "MISS"),
])
def test_different_solutions_is_paired_by_method_and_needs_the_loss_target(between, within, loss, verdict):
    v = optimizers_claims.claim_different_solutions(between, within, loss)
    assert v.verdict == verdict
    assert v.effect == pytest.approx(np.mean([between[m] - within[m] for m in between]))  # lead: the main claim
    assert "paired t over methods" in v.method
