"""double_descent: threshold / peak detection, job grouping, a tiny noisy width sweep, and the
headline claims, each shown able to fail."""
import dataclasses
import math

import pytest

from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.experiments import double_descent as dd
from genlab.experiments import series
from genlab.store import Store
from genlab.sweep import group_jobs, run_jobs


def test_threshold_is_first_size_with_zero_train_error():
    assert series.first_at_most([0.5, 0.2, 0.0, 0.01, 0.0], 0.0) == 2
    assert series.first_at_most([0.5, 0.004, 0.0], dd.TOL) == 1
    assert series.first_at_most([0.5, 0.2], 0.0) is None


def test_dip_then_peak_finds_the_first_minimum_then_the_peak():
    test_err = [0.60, 0.47, 0.50, 0.54, 0.49, 0.455]
    assert series.dip_then_peak(test_err, last=3) == (1, 3)  # minimum at or below the threshold
    # no threshold: the global minimum, and nothing rises after it
    assert series.dip_then_peak(test_err) == (5, 5)


def test_param_count_matches_the_plain_mlp_formula():
    for n in (2, 50, 300):  # 40*n + n + n*n + n + 10*n + 10
        assert series.param_count("mlp", **dd._kwargs("mlp", n)) == n * n + 52 * n + 10
    assert series.param_count("cnn", **dd._kwargs("cnn", 25)) == 5210  # the reference CNN


def test_one_program_per_width_with_seeds_and_noise_as_members():
    cfg = dataclasses.replace(dd.PRESETS["paper"], n_train=1000, widths=(4, 8), channels=(3,),
                              loss_n_train=(1000,), loss_widths=(8, 16))
    jobs = dd.jobs(cfg)
    groups = group_jobs(jobs)
    # 2 widths (clean + noisy members) + 1 CNN + MSE at 2 widths + CE at width 16 (CE at width
    # 8 and n_train 1000 is a size-sweep job, so it is not repeated)
    assert len(groups) == 2 + 1 + 2 + 1
    assert len(jobs) == len({j.run_id(dd.NAME) for j in jobs})
    assert max(len(g) for g in groups) == 2 * cfg.seeds


def test_noisy_width_sweep_interpolates_at_the_largest_width(store_path):
    cfg = dd.Config(seeds=1, epochs=600, eval_epochs=200, n_train=200, widths=(2, 128), channels=(),
                    loss_n_train=(), loss_widths=())
    store = Store(store_path)
    run_jobs(dd.NAME, dd.jobs(cfg), store, progress=False)  # one program per width

    curve = dd.curves(store)[("mlp", 200, "xent", dd.LABEL_NOISE)]
    train_err, _test_err, threshold = dd.errors(curve)
    assert curve.x == [2, 128]
    assert train_err[1] <= dd.TOL < train_err[0]
    assert threshold == 1
    run = next(r for r in store.runs(dd.NAME) if r["config"]["data"]["label_noise"] > 0)
    assert 0.05 < run["summary"]["data/realized_noise"] < 0.25  # p=0.15 replaces ~13.5%
    steps, _ = store.metrics(run["run_id"])["test/acc"]
    assert len(steps) == cfg.epochs // cfg.eval_epochs + 1  # the epoch-wise curve
    analysis = dd.analyze(store)
    size_table, loss_table = analysis["tables"].values()
    assert [row[4] for row in size_table["rows"]] == [128, 128]  # clean and noisy thresholds
    assert loss_table["rows"][0][:3] == ["xent", 200, 128]


# ------------------------------------------------------------------ every check can fail
SEEDS = (0, 1, 2)


def _curves(values, jitter=0.002):
    """The same curve for three seeds, shifted a little per seed (paired values that vary)."""
    return {s: [v + jitter * s for v in values] for s in SEEDS}


FITS_AT_3 = _curves([0.5, 0.3, 0.1, 0.0, 0.0, 0.0], jitter=0.0)


@pytest.mark.parametrize("test_err, train_err, verdict", [
    ([0.50, 0.47, 0.50, 0.55, 0.50, 0.46], FITS_AT_3, OK),        # dip, peak at the threshold, descent
    ([0.60, 0.55, 0.50, 0.48, 0.46, 0.45], FITS_AT_3, MISS),      # monotone: no peak
    ([0.50, 0.47, 0.50, 0.55, 0.56, 0.57], FITS_AT_3, MISS),      # no second descent
    ([0.49, 0.58, 0.52, 0.50, 0.50, 0.47],                        # a peak far below the threshold
     _curves([0.5, 0.4, 0.3, 0.2, 0.0, 0.0], jitter=0.0), MISS),
    ([0.50, 0.47, 0.50, 0.55, 0.50, 0.46], _curves([0.9] * 6, jitter=0.0), INCONCLUSIVE),  # no fit
])
def test_error_peak_claim(test_err, train_err, verdict):
    assert dd.checks.error_peak(_curves(test_err), train_err, "x").verdict == verdict


def test_error_peak_two_seeds_that_disagree_are_inconclusive():
    test_err = {0: [0.50, 0.47, 0.50, 0.55, 0.50, 0.46], 1: [0.50, 0.47, 0.47, 0.475, 0.47, 0.46]}
    assert dd.checks.error_peak(test_err, FITS_AT_3, "x").verdict == INCONCLUSIVE


@pytest.mark.parametrize("loss, train_err, verdict", [
    ([1.5, 1.4, 2.5, 4.0, 3.0, 2.5], FITS_AT_3, OK),
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], FITS_AT_3, MISS),                 # maximum at the grid's edge
    ([1.5, 1.4, 4.0, 2.5, 2.0, 1.8], _curves([0.5, 0.4, 0.3, 0.2, 0.1, 0.0], jitter=0.0), MISS),
    ([1.5, 1.4, 2.5, 4.0, 3.0, 2.5], _curves([0.9] * 6, jitter=0.0), INCONCLUSIVE),
])
def test_loss_peak_claim(loss, train_err, verdict):
    assert dd.checks.loss_peak(_curves(loss, jitter=0.01), train_err, "x").verdict == verdict


def _ratios(r500, r1000):
    return {(n, s): r + 0.01 * s for n, r in ((500, r500), (1000, r1000)) for s in (0, 1)}


@pytest.mark.parametrize("mse, xent, verdict", [
    (_ratios(0.96, 1.42), _ratios(0.37, 0.48), OK),
    (_ratios(0.96, 1.42), _ratios(2.5, 3.0), MISS),         # cross-entropy interpolates later
    (_ratios(5.0, 6.0), _ratios(0.37, 0.48), MISS),         # MSE far from n·K
    (_ratios(math.nan, math.nan), _ratios(0.37, 0.48), INCONCLUSIVE),  # MSE never interpolates
])
def test_loss_threshold_claim(mse, xent, verdict):
    assert dd.checks.loss_thresholds(mse, xent).verdict == verdict


def test_no_ok_when_learning_is_removed(store_path):
    """The smoke preset at lr 1e-7 (two seeds, with the MSE-vs-CE study): nothing is learned,
    so no headline row may say ok."""
    cfg = dd.EXPERIMENT.config("smoke", seeds=2, sets=["lr=1e-7", "loss_n_train=200",
                                                       "loss_widths=64"])
    store = Store(store_path)
    run_jobs(dd.NAME, dd.jobs(cfg), store, progress=False)
    headline = dd.analyze(store)["headline"]
    assert len(headline) == 3  # clean loss peak, noisy error peak, MSE vs CE
    assert [h["name"] for h in headline if h["check"] == OK] == []
