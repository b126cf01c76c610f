"""ntk experiment: kernel regression runs, finite nets approaching their NTK, store mechanics."""
import dataclasses

import jax
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.experiments import ntk
from genlab.experiments.ntk import checks
from genlab.experiments.ntk import nets as ntk_nets
from genlab.kernels import apply_fc, init_fc
from genlab.store import Store

NET = {"part": "net", "depth": 2, "n_train": 100, "evals": 2, "optimizer": "gd",
       "steps": 100, "lr_fraction": 0.5}


def test_standard_parameterization_is_the_same_function_at_init():
    params = init_fc(jax.random.key(0), 40, 64, 3, 10)
    x = np.random.default_rng(0).normal(size=40).astype(np.float32)
    np.testing.assert_allclose(ntk_nets.apply_standard(ntk_nets.to_standard(params), x),
                               apply_fc(params, x), rtol=1e-5, atol=1e-6)


def test_finite_nets_approach_the_linearized_ntk_prediction():
    """The relative test-output distance to f0 + NTK dynamics shrinks with width (two seeds each);
    at step 0 it is exactly 0 (the linearization starts at the net's own outputs)."""
    narrow = [ntk.compute_net({**NET, "width": 64, "seed": s}, (0, 1)) for s in (0, 1)]
    wide = [ntk.compute_net({**NET, "width": 2048, "seed": s}, (0, 1)) for s in (0, 1)]
    assert narrow[0]["metrics"]["test/rel_distance"][1][0] == pytest.approx(0.0, abs=1e-6)
    d_narrow = max(r["summary"]["test/rel_distance"] for r in narrow)
    d_wide = max(r["summary"]["test/rel_distance"] for r in wide)
    assert d_wide < 0.5 * d_narrow  # width ×32: O(width^-1/2) predicts ×0.18
    assert narrow[0]["summary"]["test/rel_distance"] != narrow[1]["summary"]["test/rel_distance"]


def test_one_vmapped_lane_equals_the_same_seed_alone():
    config = {**NET, "width": 64, "seed": 1}
    alone = ntk.compute_net(config)["summary"]
    lane = ntk.compute_net(config, (0, 1))["summary"]
    for name in ("test/rel_distance", "train/loss"):
        assert lane[name] == pytest.approx(alone[name], rel=1e-4)


def test_kernel_regression_beats_chance_and_slicing_a_bigger_gram_changes_nothing():
    config = {"part": "kernel", "arch": "fc", "kind": "ntk", "depth": 3, "readout": None,
              "n_train": 200, "n_test": None, "seed": 0}
    alone = ntk.compute_kernel(config)["summary"]
    sliced = ntk.compute_kernel(config, n_max=400)["summary"]
    assert alone["test/acc"] == sliced["test/acc"]
    assert alone["test/mse"] == pytest.approx(sliced["test/mse"], rel=1e-9)
    assert alone["test/acc"] > 0.2  # chance is 0.1


@pytest.mark.parametrize("override", ["kinds=ntk,rbf", "net_depth=1", "fc_n_train=0,10",
                                      "cntk_n_test=5000", "steps=10", "lr_fraction=1.0",
                                      "readouts=avg"])
def test_bad_config_raises_before_any_store(override):
    with pytest.raises(ConfigError):
        ntk.EXPERIMENT.config("smoke", sets=[override])


def test_smoke_preset_runs_resumes_analyzes_and_plots(store_path, tmp_path):
    store, exp = Store(store_path), ntk.EXPERIMENT
    cfg = exp.config("smoke")
    exp.execute(cfg, store, progress=False)
    ids = ntk.run(cfg, store, progress=False)
    n_kernel = len(cfg.kinds) * (len(cfg.fc_depths) * len(cfg.fc_n_train)
                                 + len(cfg.cntk_depths) * len(cfg.readouts) * len(cfg.cntk_n_train))
    n_net = 2 * len(cfg.widths) * cfg.seeds
    assert len(ids) == len(set(ids)) == n_kernel + n_net
    assert len(store.runs(ntk.NAME)) == len(ids)  # the second run computed nothing new
    assert ntk.run(cfg, store, progress=False) == ids
    out = ntk.analyze(store)
    assert {"FC kernel regression: test accuracy (%) vs n",
            "Finite MLPs vs their NTK (test set)"} <= set(out["tables"])
    for row in out["headline"]:
        assert row["check"] in ("ok", "MISS", "inconclusive") or row["check"].startswith("paper scale")
        assert {"name", "ours", "paper", "seeds", "claim", "effect", "interval", "n"} <= set(row)
    distance = next(h for h in out["headline"] if h["name"].startswith("‖f_net"))  # falls
    assert distance["check"] == "ok"
    paths = ntk.plot(store, tmp_path)
    assert len(paths) == 2 and all(p.stat().st_size > 0 for p in paths)


def test_presets_are_valid():
    for preset in ("smoke", "quick", "paper"):
        cfg = ntk.EXPERIMENT.config(preset)
        assert dataclasses.is_dataclass(cfg)


# ---------------------------------------------------------------- headline checks can fail
LEARNED = {0: 0.98, 1: 0.99, 2: 0.97}
UNTRAINED = {0: 0.11, 1: 0.09, 2: 0.12}  # train accuracy at chance: the nets never learned
WIDTHS = (64, 256, 1024)


def _distances(slope: float, jitter=(0.0, 0.02, -0.02)) -> dict:
    return {s: [0.8 * (w / 64) ** (slope + j) for w in WIDTHS] for s, j in enumerate(jitter)}


def test_a_flat_slope_below_the_paper_width_is_not_a_miss():
    """The width slope is an infinite-width rate: failing with nets narrower than the paper
    preset's widest says "paper scale", at the paper's width it is a MISS."""
    from genlab.experiments.ntk import report
    widest = max(ntk.PRESETS["paper"].widths)
    assert report._short_of_widest(widest) is None
    flat = _distances(-0.1)
    at_paper = checks.claim_rate(WIDTHS, flat, LEARNED, report._short_of_widest(widest))
    assert at_paper.verdict == "MISS"
    quick = checks.claim_rate(WIDTHS, flat, LEARNED, report._short_of_widest(max(ntk.PRESETS["quick"].widths)))
    assert quick.check.startswith("paper scale")
    assert checks.claim_rate(WIDTHS, _distances(-0.5), LEARNED, "narrow").verdict == "ok"
    assert checks.claim_rate(WIDTHS, _distances(-0.5), UNTRAINED).verdict == "MISS"


@pytest.mark.parametrize("slope, train_acc, verdict", [
    (-0.4, LEARNED, "ok"), (+0.3, LEARNED, "MISS"), (-0.4, UNTRAINED, "MISS")])
def test_distance_falls_is_a_per_seed_slope_of_nets_that_learned(slope, train_acc, verdict):
    v = checks.claim_distance_falls(WIDTHS, _distances(slope), train_acc)
    assert v.verdict == verdict
    if verdict == "ok":
        assert v.effect == pytest.approx(slope, abs=0.03) and "per-seed slope" in v.method


@pytest.mark.parametrize("diff, train_acc, verdict", [
    ({0: 0.5, 1: -0.3, 2: 0.2}, LEARNED, "ok"),
    ({0: 6.5, 1: 7.3, 2: 6.8}, LEARNED, "MISS"),
    ({0: 0.5, 1: -0.3, 2: 0.2}, UNTRAINED, "MISS"),  # untrained nets equal their linearization
    ({0: 3.0, 1: -2.5, 2: 1.0}, LEARNED, "inconclusive")])
def test_net_close_to_linearized_is_a_band_of_nets_that_learned(diff, train_acc, verdict):
    assert checks.claim_close_to_linear(diff, train_acc).verdict == verdict


def test_net_beats_kernel_is_a_one_sample_test_against_the_exact_kernel():
    assert checks.claim_net_beats_kernel({0: 0.35, 1: 0.36, 2: 0.34}, 0.30).verdict == "ok"
    miss = checks.claim_net_beats_kernel({0: 0.25, 1: 0.26, 2: 0.24}, 0.32)
    assert miss.verdict == "MISS" and miss.effect == pytest.approx(-7.0)
    assert checks.claim_net_beats_kernel({0: 0.35}, 0.30).verdict == "inconclusive"  # n = 1


def test_kernel_checks_are_exact_and_can_fail():
    rising = {"FC depth 2 ntk": {250: 0.40, 2000: 0.52}, "FC depth 2 nngp": {250: 0.41, 2000: 0.50}}
    v = checks.claim_rises(rising)
    assert v.verdict == "ok" and v.method.startswith("exact") and v.effect == pytest.approx(9.0)
    assert checks.claim_rises({**rising, "CNTK-gap depth 1 ntk": {125: 0.6, 500: 0.58}}).verdict == "MISS"
    assert checks.claim_ntk_near_nngp({("a", 500): 1.5, ("b", 500): -4.0}).verdict == "ok"
    assert checks.claim_ntk_near_nngp({("a", 500): 1.5, ("b", 500): -6.0}).verdict == "MISS"
    assert checks.claim_gap_beats_flatten(0.90, 0.50).verdict == "ok"
    assert checks.claim_gap_beats_flatten(0.50, 0.52).verdict == "MISS"


def test_without_learning_no_headline_row_says_ok(store_path):
    """Four GD / Adam steps at a vanishing lr (the nets part of the smoke preset; kernel
    regression has no learning to remove and is covered by the exact checks above)."""
    store = Store(store_path)
    cfg = ntk.EXPERIMENT.config("smoke", sets=["steps=4", "adam_steps=4", "evals=4",
                                               "lr_fraction=1e-7", "adam_lr=1e-9"])
    cfg = dataclasses.replace(cfg, fc_depths=(), cntk_depths=())
    ntk.run(cfg, store, progress=False)
    headline = ntk.analyze(store)["headline"]
    assert len(headline) == 4 and not any(r["check"] == "ok" for r in headline)
