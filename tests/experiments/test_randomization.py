"""Randomization tests at smoke scale: corruption semantics through the runs, and the finding that
a small MLP fits random labels exactly while testing at chance."""
import math

import numpy as np
import pytest

from genlab.claims import INCONCLUSIVE, MISS, OK
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
    rows = {h["name"]: h for h in out["headline"]}
    assert rows["mlp1x512: random labels, train acc (%)"]["check"] == "ok"
    chance = rows["mlp1x512: random labels, test acc (%)"]
    assert chance["check"] == "ok" and len(chance["parts"]) == 2  # fits AND at chance
    assert rows["mlp1x512: realized label noise at p = 0.4"]["check"] == ""  # data, not a claim
    for h in out["headline"]:
        if h["check"]:
            assert h["claim"] and h["n"] >= 1 and h["verdict"] in {OK, MISS, INCONCLUSIVE}
    paths = randomization.plot(smoke_store, tmp_path)
    assert len(paths) == 3 and all(p.stat().st_size > 0 for p in paths)


def test_no_check_says_ok_with_the_learning_removed(tmp_path):
    """20 Adam steps: nothing is fitted, so no claim may pass (an untrained net tests at chance
    on random labels, and its test error already grows with p)."""
    store = Store(tmp_path / "s.sqlite")
    exp = randomization.EXPERIMENT
    exp.execute(exp.config("smoke", sets=["steps=20", "eval_every=10"]), store, progress=False)
    checks = {h["name"]: h["check"] for h in randomization.analyze(store)["headline"]}
    assert checks and not [n for n, c in checks.items() if c == OK], checks
    assert checks["mlp1x512: random labels, test acc (%)"] == MISS


FITTED, UNTRAINED = {0: 100.0, 1: 100.0, 2: 100.0}, {0: 53.0, 1: 56.0, 2: 51.0}


@pytest.mark.parametrize("test_acc, train_acc, verdict", [
    ({0: 10.2, 1: 9.6, 2: 10.5}, FITTED, OK),
    ({0: 30.0, 1: 32.0, 2: 31.0}, FITTED, MISS),  # it generalized: not at chance
    ({0: 10.2, 1: 9.6, 2: 10.5}, UNTRAINED, MISS),  # at chance because it never trained
    ({0: 9.0, 1: 13.0}, FITTED, INCONCLUSIVE),  # two seeds cannot place the mean in 10 ± 3
])
def test_claim_chance(test_acc, train_acc, verdict):
    assert fitting.claim_chance(train_acc, test_acc).verdict == verdict


@pytest.mark.parametrize("ratio, train_acc, verdict", [
    ({0: 1.5, 1: 1.4, 2: 1.6}, FITTED, OK),
    ({0: 0.8, 1: 0.9, 2: 0.85}, FITTED, MISS),  # random labels fitted faster
    ({0: 20.0, 1: 25.0, 2: 22.0}, FITTED, MISS),  # slower, but not by a small factor
    ({0: math.nan, 1: math.nan, 2: math.nan}, UNTRAINED, MISS),  # never fitted
])
def test_claim_slower(ratio, train_acc, verdict):
    assert fitting.claim_slower(ratio, train_acc).verdict == verdict


LEVELS = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


@pytest.mark.parametrize("errors, min_acc, verdict", [
    ({s: [50 + 40 * p + s for p in LEVELS] for s in range(3)}, FITTED, OK),
    ({s: [70 - 10 * p + s for p in LEVELS] for s in range(3)}, FITTED, MISS),  # error falls
    ({s: [75 + 15 * p + s for p in LEVELS] for s in range(3)}, UNTRAINED, MISS),  # rises, unfitted
])
def test_claim_noise(errors, min_acc, verdict):
    assert fitting.claim_noise(LEVELS, errors, min_acc).verdict == verdict


@pytest.mark.parametrize("train_acc, test_acc, verdict", [
    (FITTED, {0: 45.0, 1: 47.0, 2: 44.0}, OK),
    (FITTED, {0: 8.0, 1: 9.0, 2: 8.4}, MISS),  # memorized: below its random-label twin
    (UNTRAINED, {0: 25.0, 1: 27.0, 2: 24.0}, MISS),  # above chance, but the net never fitted
])
def test_claim_unregularized(train_acc, test_acc, verdict):
    random_test = {0: 10.1, 1: 11.0, 2: 10.4}
    assert fitting.claim_unregularized(train_acc, test_acc, random_test).verdict == verdict


def test_claim_fits():
    assert fitting.claim_fits(FITTED, "x").verdict == OK
    assert fitting.claim_fits(UNTRAINED, "x").verdict == MISS
    assert fitting.claim_fits({0: 99.5, 1: 97.0}, "x").verdict == INCONCLUSIVE
