"""spatial_prior: one permutation for train and test, variants as members, CNN hurt by shuffling."""
import numpy as np

from genlab.data import datasets
from genlab.experiments import spatial_prior as sp
from genlab.store import Store
from genlab.sweep import group_jobs, run_jobs


def _build(variant: str) -> dict:
    return datasets.build(datasets.DataSpec(positions=sp.VARIANTS[variant]))


def test_shuffle_uses_one_permutation_for_train_and_test():
    original, shuffled = _build("original"), _build("shuffled")
    # recover the permutation column by column from the training set ...
    perm = np.array([int(np.flatnonzero((original["x"] == col[:, None]).all(axis=0))[0])
                     for col in shuffled["x"].T])
    assert sorted(perm) == list(range(40)) and (perm != np.arange(40)).any()
    # ... and the test set must be permuted by the same one
    np.testing.assert_array_equal(shuffled["x_test"], original["x_test"][:, perm])
    np.testing.assert_array_equal(shuffled["y_test"], original["y_test"])


def test_flip_reverses_positions():
    original, flipped = _build("original"), _build("flipped")
    np.testing.assert_array_equal(flipped["x"], original["x"][:, ::-1])
    np.testing.assert_array_equal(flipped["x_test"], original["x_test"][:, ::-1])


def test_variants_and_seeds_share_one_program_per_model():
    cfg = sp.PRESETS["paper"]
    groups = group_jobs(sp.jobs(cfg))
    assert [g[0].model for g in groups] == list(cfg.models)
    assert all(len(g) == len(cfg.variants) * cfg.seeds for g in groups)


def test_cnn_does_worse_on_shuffled_positions(store_path):
    store = Store(store_path)
    cfg = sp.Config(models=("cnn",), variants=("original", "shuffled"), seeds=1, steps=400,
                    eval_every=200)
    run_jobs(sp.NAME, sp.jobs(cfg), store, progress=False)
    curve = sp.curves(store)[("cnn",)]
    assert curve.x == ["original", "shuffled"]
    assert sp.drop(curve) > 5.0  # pp lost; ~35 pp at the full 6000 steps
    (table,) = sp.analyze(store)["tables"].values()
    assert table["rows"][0][0] == "cnn"
