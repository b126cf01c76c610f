"""implicit_reg at smoke scale: the study runs end to end, every headline check fails where its
claim is false (and holds where it is true), and with the learning removed no check says ok."""
import dataclasses

import numpy as np
import pytest

from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.experiments import implicit_reg
from genlab.experiments.implicit_reg import batchnorm, features, features_report, stopping
from genlab.store import Store
from genlab.sweep import group_jobs

EXP = implicit_reg.EXPERIMENT


@pytest.fixture(scope="module")
def smoke_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("implicit_reg") / "genlab.sqlite")
    EXP.execute(EXP.config("smoke"), store, progress=False)
    return store


def test_smoke_runs_end_to_end(smoke_store, tmp_path):
    out = EXP.analyze(smoke_store)
    assert len(out["tables"]) == 3 and len(out["protocol"]["rows"]) >= 10
    names = [h["name"] for h in out["headline"]]
    assert any("early-stopping gain, true labels" in n for n in names)
    assert any("random conv" in n and "exact interpolation" in n for n in names)
    assert any("with minus without batch norm" in n for n in names)
    assert any("random labels, without minus with batch norm" in n for n in names)
    for h in out["headline"]:
        assert h["check"] in ("", OK, MISS, INCONCLUSIVE), h
        assert h["paper"], h  # published value with citation, or "– (not reported)"
    kernel = {h["name"]: h for h in out["headline"] if "random conv" in h["name"]}
    exact = next(h for n, h in kernel.items() if "exact interpolation" in n)
    assert exact["check"] == OK  # conv features beat the Gaussian kernel even at n = 300
    paths = EXP.plot(smoke_store, tmp_path)
    assert {p.stem for p in paths} == set(out["captions"])
    assert all(p.stat().st_size > 0 for p in paths)


def test_stored_curves_give_best_final_and_fit(smoke_store):
    groups = stopping.per_seed(smoke_store, implicit_reg.NAME)
    assert set(groups) == {("mlp1x512", "true"), ("mlp1x512", "noise 0.2")}
    for stats in groups.values():
        for s in stats.values():
            assert s["best"] >= s["final"] and s["gain"] == pytest.approx(s["best"] - s["final"])
            assert s["fit_step"] > 0 and s["train_final"] == 100.0  # 300 examples fit in 600 steps


def test_jobs_are_members_of_one_program_per_arch_and_the_plan_is_exact():
    cfg = implicit_reg.PRESETS["quick"]
    jobs = implicit_reg.jobs(cfg)
    assert len(jobs) == (len(cfg.archs) + 2 * len(cfg.bn_archs)) * 2 * cfg.seeds
    assert len({j.run_id(implicit_reg.NAME) for j in jobs}) == len(jobs)
    # seeds x labels are vmapped members: one program per arch (and per norm, part 3)
    assert len(group_jobs(jobs)) == len(cfg.archs) + 2 * len(cfg.bn_archs)
    bn = [j for j in jobs if j.model_kwargs.get("norm") == "batch"]
    assert bn and all(j.train.optimizer == "momentum" for j in bn)


def _stats(final, gain, ratio, train=100.0):
    return {s: {"final": final, "gain": g, "ratio": r, "train_final": train, "best": final + g}
            for s, (g, r) in enumerate(zip(gain, ratio))}


def _checks(rows):
    return [r["check"] for r in rows]


def test_every_early_stopping_check_can_fail():
    holds = {("m", "true"): _stats(60.0, [0.4, 0.6, 0.5, 0.3], [1.5, 1.8, 1.2, 1.4]),
             ("m", "noise 0.2"): _stats(45.0, [3.0, 2.5, 3.5, 2.8], [0.3, 0.4, 0.2, 0.5])}
    assert _checks(stopping.headline(holds, "m")) == [OK, OK, OK, ""]
    big_gain = {**holds, ("m", "true"): _stats(60.0, [4.0, 4.5, 5.0, 4.2], [1.5] * 4)}
    assert _checks(stopping.headline(big_gain, "m"))[0] == MISS
    never_learned = {**holds, ("m", "true"): _stats(10.0, [0.1, 0.0, 0.2, 0.1], [1.5] * 4)}
    assert _checks(stopping.headline(never_learned, "m"))[0] == MISS
    noise_no_worse = {**holds, ("m", "noise 0.2"): _stats(45.0, [0.1, 0.2, 0.0, 0.1],
                                                          [0.3, 0.4, 0.2, 0.5])}
    assert _checks(stopping.headline(noise_no_worse, "m"))[1] == MISS
    late_peak = {**holds, ("m", "noise 0.2"): _stats(45.0, [3.0, 2.5, 3.5, 2.8], [1.5, 2.0, 1.8, 1.6])}
    assert _checks(stopping.headline(late_peak, "m"))[2] == MISS
    unfit = {**holds, ("m", "noise 0.2"): _stats(45.0, [3.0, 2.5, 3.5, 2.8], [0.3] * 4, train=80.0)}
    assert _checks(stopping.headline(unfit, "m"))[2] == MISS


def _kernel_groups(conv_test, conv_norm, rand_test, rand_norm, rand_train=100.0, gauss=48.0):
    conv = {s: {"train/acc": 100.0, "test/acc": t, "norm": nm, "dim": 1000.0,
                "random/train/acc": rand_train, "random/test/acc": rt, "random/norm": rn}
            for s, (t, nm, rt, rn) in enumerate(zip(conv_test, conv_norm, rand_test, rand_norm))}
    return {"raw inputs (linear)": {0: {"train/acc": 40.0, "test/acc": 24.0, "norm": 5.0}},
            "Gaussian 0.5·median": {0: {"train/acc": 100.0, "test/acc": gauss, "norm": 50.0}},
            "random conv ×1, 8 ch, pooled": conv}


def test_every_kernel_check_can_fail():
    good = _kernel_groups([78, 77, 79], [560, 580, 570], [10, 11, 9], [700, 720, 710])
    assert _checks(features_report.headline(good)) == [OK] * 5
    worse_than_gaussian = _kernel_groups([40, 41, 39], [560, 580, 570], [10, 11, 9], [700, 720, 710])
    checks = _checks(features_report.headline(worse_than_gaussian))
    assert checks[1] == MISS and checks[4] == MISS
    no_better_than_raw = _kernel_groups([20, 21, 19], [560, 580, 570], [10, 11, 9], [700, 720, 710])
    assert _checks(features_report.headline(no_better_than_raw))[2] == MISS
    random_smaller = _kernel_groups([78, 77, 79], [560, 580, 570], [10, 11, 9], [300, 310, 320])
    assert _checks(features_report.headline(random_smaller))[3] == MISS
    random_unfit = _kernel_groups([78, 77, 79], [560, 580, 570], [10, 11, 9], [700, 720, 710],
                                  rand_train=60.0)
    assert _checks(features_report.headline(random_unfit))[3] == MISS
    small_norm = _kernel_groups([78, 77, 79], [20, 21, 22], [10, 11, 9], [700, 720, 710])
    assert _checks(features_report.headline(small_norm))[4] == MISS
    chance_gaussian = _kernel_groups([78, 77, 79], [560, 580, 570], [10, 11, 9], [700, 720, 710],
                                     gauss=11.0)
    assert _checks(features_report.headline(chance_gaussian))[0] == MISS


def _bn(final, drops, fit, train=100.0, budget=1000.0):
    return {s: {"final": f, "drops": r, "fit_step": st, "train_final": train, "budget": budget}
            for s, (f, r, st) in enumerate(zip(final, drops, fit))}


def test_every_batchnorm_check_can_fail():
    nan = float("nan")
    holds = {("m", "batch", "true"): _bn([80, 81, 79, 82], [0.3, 0.2, 0.3, 0.25], [250] * 4),
             ("m", "none", "true"): _bn([70, 71, 70, 72], [0.6, 0.7, 0.5, 0.6], [650] * 4),
             ("m", "batch", "random"): _bn([10] * 4, [0.3] * 4, [450, 500, 600, 550]),
             ("m", "none", "random"): _bn([10] * 4, [0.3] * 4, [nan] * 4, train=86.0)}
    assert _checks(batchnorm.headline(holds, "m")) == [OK] * 4
    for key, stats, row in [
            (("m", "batch", "true"), _bn([69, 70, 68, 71], [0.3, 0.2, 0.3, 0.25], [250] * 4), 0),
            (("m", "batch", "true"), _bn([15, 16, 14, 15], [0.0] * 4, [nan] * 4, train=20.0), 0),
            (("m", "batch", "true"), _bn([80, 81, 79, 82], [0.9, 0.8, 1.0, 0.9], [250] * 4), 1),
            (("m", "batch", "true"), _bn([12, 11, 12, 13], [0.0] * 4, [nan] * 4, train=20.0), 1),
            (("m", "none", "true"), _bn([70, 71, 70, 72], [0.6] * 4, [nan] * 4, train=90.0), 2),
            (("m", "batch", "random"), _bn([10] * 4, [0.3] * 4, [nan] * 4, train=70.0), 3),
            (("m", "none", "random"), _bn([10] * 4, [0.3] * 4, [300, 250, 350, 300]), 3)]:
        assert _checks(batchnorm.headline({**holds, key: stats}, "m"))[row] == MISS, (key, row)


def test_conv_gram_in_blocks_equals_one_block_and_interpolates(monkeypatch):
    rng = np.random.default_rng(0)
    x, n = rng.normal(size=(60, 40)), 50
    gram, dim = features.conv_gram(x, n, seed=3, channels=20, depth=2, pool=True)
    monkeypatch.setattr(features, "BLOCK", 7)
    blocked, _ = features.conv_gram(x, n, seed=3, channels=20, depth=2, pool=True)
    np.testing.assert_allclose(blocked[:, :n], gram[:, :n], rtol=1e-6)  # same features, blocked
    assert dim == 20 * 10 and np.mean(np.diag(gram[:n])) == pytest.approx(1.0)
    y = rng.integers(0, 10, n)
    fit = features.interpolate(gram, y, rng.integers(0, 10, 10))
    assert fit["train/acc"] == 1.0 and fit["train/max_error"] < 1e-6 and fit["norm"] > 0


def test_learning_removed_gives_no_ok(smoke_store):
    """lr ~ 0: the nets never learn, so no early-stopping or batch-norm check may say ok (the
    kernel rows, which train nothing, are not part of this test)."""
    cfg = dataclasses.replace(EXP.config("smoke"), lr=1e-7, bn_lr=1e-7)
    EXP.execute(cfg, smoke_store, progress=False)
    rows = (stopping.analyze(smoke_store, implicit_reg.NAME)["headline"]
            + batchnorm.analyze(smoke_store, implicit_reg.NAME)["headline"])
    assert len(rows) >= 7 and OK not in _checks(rows)
