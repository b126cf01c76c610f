"""pooling: the variants are different nets, sizes are nested prefixes, runs land in the store."""
import dataclasses

import equinox as eqx
import jax
import numpy as np
import pytest

from genlab import experiments, models
from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.data import datasets
from genlab.experiments import pooling, series
from genlab.store import Store
from genlab.sweep import group_jobs, run_jobs


def test_variants_are_different_architectures():
    counts = {pool: series.param_count("cnn_pool", pool=pool) for pool in pooling.POOLS}
    # no pooling keeps all 40 positions for the readout; stride and pooling keep 10
    assert counts["none"] > counts["stride"]
    assert counts["max"] == counts["avg"] == counts["l2"] < counts["none"]
    nets = [eqx.filter_eval_shape(lambda k, p=p: models.make("cnn_pool", key=k, pool=p),
                                  jax.random.key(0)) for p in pooling.POOLS]
    assert len({(n.pool, n.convs[0].stride) for n in nets}) == len(pooling.POOLS)


def test_one_program_per_variant_with_sizes_and_seeds_as_members():
    # training-set size is a member axis under the reference protocol's slices (data/padded.py)
    cfg = dataclasses.replace(pooling.PRESETS["paper"], train_sizes=(1000, 2000))
    groups = group_jobs(pooling.jobs(cfg))
    assert len(groups) == len(pooling.POOLS)
    assert all(len(g) == cfg.seeds * 2 for g in groups)


def test_sizes_share_the_test_set_and_nest():
    small = datasets.build(datasets.DataSpec(generator=pooling.GENERATOR, n_train=1000))
    large = datasets.build(datasets.DataSpec(generator=pooling.GENERATOR, n_train=2000))
    assert small["x_test"].shape == (pooling.N_TEST, 40)
    np.testing.assert_array_equal(small["x_test"], large["x_test"])
    np.testing.assert_array_equal(small["x"], large["x"][:1000])


def test_smoke_runs_land_in_the_store(store_path):
    store = Store(store_path)
    cfg = pooling.PRESETS["smoke"]
    ids = run_jobs(pooling.NAME, pooling.jobs(cfg), store, progress=False)
    runs = store.runs(pooling.NAME)
    assert {r["run_id"] for r in runs} == set(ids)
    assert {r["config"]["model_kwargs"]["pool"] for r in runs} == set(cfg.pools)
    assert all(r["config"]["data"]["n_train"] == 1000 for r in runs)
    (table,) = pooling.analyze(store)["tables"].values()
    assert [row[0] for row in table["rows"]] == list(cfg.pools)
    assert run_jobs(pooling.NAME, pooling.jobs(cfg), store, progress=False) == ids  # resumes


# ------------------------------------------------------------------------------ headline check
def seeds(*values):
    return dict(enumerate(values))


def test_pooling_claim_holds_when_the_gain_is_clear_and_shrinks():
    assert pooling.claim_pooling(seeds(15.7, 17.0, 14.9), seeds(1.0, 1.4, 0.6), 1000, 20000).verdict == OK


@pytest.mark.parametrize("small, large", [
    ((0.4, -0.3, 0.2), (0.1, 0.2, -0.1)),    # no gain at all (a net that never learned)
    ((2.0, 2.5, 1.8), (-5.0, -4.6, -5.3)),   # shrinks, but the small-data gain is not clear
    ((15.7, 17.0, 14.9), (25.0, 26.1, 24.2)),  # a clear gain that grows with data
])
def test_pooling_claim_misses_where_it_is_false(small, large):
    assert pooling.claim_pooling(seeds(*small), seeds(*large), 1000, 20000).verdict == MISS


def test_gains_are_paired_by_seed():
    run = lambda seed, acc: {"seed": seed, "status": "done", "summary": {"test/acc": acc}}  # noqa: E731
    cs = {("max",): series.Series(x=[1000], runs=[[run(0, 0.78), run(1, 0.80)]]),
          ("none",): series.Series(x=[1000], runs=[[run(1, 0.60), run(0, 0.59)]])}
    assert pooling.gains(cs, 1000) == pytest.approx({0: 19.0, 1: 20.0})
    assert pooling.gains(cs, 2000) == {}


def test_smoke_with_learning_removed_gives_no_ok(store_path):
    """20 steps, two sizes (the smoke preset has one, so no headline row): the gain is no gain."""
    exp = experiments.get("pooling")
    cfg = exp.config("smoke", sets=["steps=20", "eval_every=10", "seeds=2", "train_sizes=1000,2000"])
    store = Store(store_path)
    exp.execute(cfg, store, progress=False)
    (row,) = exp.analyze(store)["headline"]
    assert row["check"] in (MISS, INCONCLUSIVE), row


def test_published_cells_are_the_notebook_printout():
    # "9. benchmark_pooling.ipynb": test_acc printed at step 6000 for n = 1000 and n = 50000
    assert pooling.PUBLISHED[1000] == {"none": 59.2, "stride": 57.4, "max": 78.2, "avg": 78.0, "l2": 77.2}
    assert pooling.PUBLISHED[50000] == {"none": 96.3, "stride": 95.4, "max": 98.1, "avg": 97.3, "l2": 97.1}
