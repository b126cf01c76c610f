"""Randomization tests at smoke scale: corruption semantics through the runs, and the finding that
a small MLP fits random labels exactly while testing at chance."""
import math

import numpy as np
import pytest

from genlab.data import corrupt
from genlab.data.datasets import DataSpec, build
from genlab.experiments import fitting, randomization
from genlab.store import Store


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("randomization") / "genlab.sqlite")
    exp = randomization.EXPERIMENT
    exp.execute(exp.config("smoke"), store, progress=False)
    return store


def _runs(store, condition):
    runs = store.runs(randomization.NAME)
    return [r for r in runs if r["config"]["data"]["condition"] == condition]


def test_random_labels_fit_exactly_and_test_at_chance(smoke_store):
    runs = _runs(smoke_store, "random_labels")
    assert len(runs) == 2
    for r in runs:
        assert r["summary"]["train/acc"] == 1.0
        assert r["summary"]["test/acc"] < 0.16  # chance is 0.10 on 1000 clean test examples
        assert r["summary"]["fit/reached_acc"] == 1.0
        assert 0 < r["summary"]["fit/steps_acc"] <= r["config"]["train"]["steps"]
    true = _runs(smoke_store, "true")
    assert min(r["summary"]["test/acc"] for r in true) > 0.2  # true labels do generalize


def test_realized_label_noise_is_about_0_9_p(smoke_store):
    for r in _runs(smoke_store, "corrupt"):
        p, n = r["config"]["data"]["label_noise"], r["config"]["data"]["n_train"]
        realized = r["summary"]["data/realized_noise"]
        assert abs(realized - 0.9 * p) < 4 * math.sqrt(0.9 * p * (1 - 0.9 * p) / n)
        y_clean = build(DataSpec(n_train=n))["y"]
        y_noisy = build(DataSpec(**r["config"]["data"]))["y"]
        assert realized == pytest.approx(np.mean(y_noisy != y_clean))
    random = _runs(smoke_store, "random_labels")[0]["summary"]["data/realized_noise"]
    assert 0.85 < random < 0.95


def test_permutation_semantics_of_the_runs(smoke_store):
    clean = build(DataSpec(n_train=300))
    for r in smoke_store.runs(randomization.NAME):
        spec = DataSpec(**r["config"]["data"])
        d, cond = build(spec), spec.condition
        if cond == "shuffled_pixels":  # one permutation, shared by train and test
            perm = corrupt.fixed_permutation(40, spec.seed)
            np.testing.assert_array_equal(d["x"], clean["x"][:, perm])
            np.testing.assert_array_equal(d["x_test"], clean["x_test"][:, perm])
        else:
            np.testing.assert_array_equal(d["x_test"], clean["x_test"])  # test set stays clean
        if cond == "random_pixels":  # each row its own permutation of its own values
            np.testing.assert_array_equal(np.sort(d["x"], 1), np.sort(clean["x"], 1))
            perms = {tuple(_perm(c, v)) for c, v in zip(clean["x"][:20], d["x"][:20])}
            assert len(perms) == 20  # not one shared permutation
        np.testing.assert_array_equal(d["y_test"], clean["y_test"])


def _perm(clean_row, row):
    """The permutation p with row = clean_row[p] (values within a row are distinct)."""
    return np.argsort(clean_row)[np.argsort(np.argsort(row))]


def test_random_labels_is_corruption_at_p_1():
    # analysis treats the random_labels run as p = 1 of the corruption sweep: same labels.
    a = build(DataSpec(n_train=300, condition="random_labels", seed=3))["y"]
    b = build(DataSpec(n_train=300, condition="corrupt", label_noise=1.0, seed=3))["y"]
    np.testing.assert_array_equal(a, b)


def test_summarize_steps_to_fit():
    hist = {"train/acc": np.array([0.1, 0.9, 1.0, 1.0]),
            "train/loss": np.array([2.3, 0.5, 0.02, 0.005])}
    out = fitting.summarize(None, hist, [0, 50, 100, 150])
    assert out == {"fit/steps_acc": 100.0, "fit/steps_loss": 150.0, "fit/reached_acc": 1.0}
    hist["train/acc"] = np.array([0.1, 0.5, 0.9, 0.99])
    never = fitting.summarize(None, hist, [0, 50, 100, 150])
    assert math.isnan(never["fit/steps_acc"]) and never["fit/reached_acc"] == 0.0


def test_jobs_cover_conditions_noise_and_regularizers():
    cfg = randomization.PRESETS["quick"]
    jobs = randomization.jobs(cfg)
    assert len({j.run_id(randomization.NAME) for j in jobs}) == len(jobs)  # no duplicates
    per_seed = [j for j in jobs if j.seed == 0]
    conds = {j.data.condition for j in per_seed}
    assert conds == set(randomization.CONDITIONS) | {"corrupt"}
    regularized = [j for j in per_seed
                   if j.weight_decay or j.data.augment_shift or "dropout" in j.model_kwargs]
    assert len(regularized) == 7 + 2  # 2^3 - 1 settings on true labels, 2 on random labels


def test_analyze_and_plot(smoke_store, tmp_path):
    out = randomization.analyze(smoke_store)
    assert len(out["tables"]) == 3
    checks = {h["name"]: h["check"] for h in out["headline"]}
    assert checks["mlp1x512: random labels, train acc (%)"] == "ok"
    assert checks["mlp1x512: random labels, test acc (%)"] == "ok"
    assert checks["mlp1x512: realized label noise at p = 0.4"] == "ok"
    paths = randomization.plot(smoke_store, tmp_path)
    assert len(paths) == 3 and all(p.stat().st_size > 0 for p in paths)
