"""pooling: the variants are different nets, sizes are nested prefixes, runs land in the store."""
import dataclasses

import equinox as eqx
import jax
import numpy as np

from genlab import models
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
