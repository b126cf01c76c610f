"""Deep Bootstrap mechanics (the worlds differ only in their data source; gap and T_conv
bookkeeping) and its headline claims, each shown able to fail."""
import dataclasses

import equinox as eqx
import jax
import numpy as np
import pytest

from genlab import rng
from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.experiments import deep_bootstrap as db
from genlab.experiments.deep_bootstrap import checks, report
from genlab.store import RunRecord, Store
from genlab.sweep.local import train_group

TINY = dataclasses.replace(db.PRESETS["smoke"], seeds=2, steps=20, eval_every=10, n_test=300,
                           eval_train_max=200, n_trains=(200,), case_n_train=200, pretrain_steps=10)


def test_bootstrap_stats_on_a_synthetic_history():
    steps = np.arange(6) * 100
    real_train_err = np.array([0.9, 0.5, 0.2, 0.005, 0.0, 0.0])
    real = np.array([0.9, 0.6, 0.40, 0.30, 0.30, 0.30])
    ideal = np.array([0.9, 0.62, 0.35, 0.28, 0.20, 0.10])
    s = report.bootstrap_stats(steps, real_train_err, real, ideal)
    assert s["t_conv"] == 300 and s["converged"] == 1.0
    assert s["max_gap"] == pytest.approx(0.05) and s["gap_at_conv"] == pytest.approx(0.02)
    # signed ε = Real − Ideal over the evaluations 0 < t <= T_conv (step 0 is 0 by construction)
    assert s["mean_gap"] == pytest.approx((-0.02 + 0.05 + 0.02) / 3)
    never = report.bootstrap_stats(steps, np.full(6, 0.5), real, ideal)  # T if never converged
    assert never["t_conv"] == 500 and never["converged"] == 0.0 and never["max_gap"] == pytest.approx(0.2)
    assert never["mean_gap"] == pytest.approx((-0.02 + 0.05 + 0.02 + 0.1 + 0.2) / 5)


def test_worlds_differ_only_in_their_data_source():
    cfg = db.PRESETS["quick"]
    jobs = db.jobs(cfg)
    ideal = {(j.model, j.seed, j.tags["case"]): j for j in jobs if j.tags["world"] == "ideal"}
    reals = [j for j in jobs if j.tags["world"] == "real"]
    s = cfg.seeds  # grid (2 models x 2 N) + augment, label noise; one Ideal run per model and case
    assert len(reals) == 2 * 2 * s + 2 * s and len(ideal) == 2 * s + 2 * s
    for real in reals:
        a, b = real.to_dict(), ideal[(real.model, real.seed, real.tags["case"])].to_dict()
        assert a["train"] == b["train"] and a["lr"] == b["lr"] and a["seed"] == b["seed"]
        assert a["train"]["schedule"] == "cosine" and a["train"]["batch_size"] == 128
        for d in (a, b):
            d["data"].pop("n_train", None), d["data"].pop("stream", None), d["tags"].pop("world")
        assert a == b


@pytest.fixture(scope="module")
def from_scratch():
    """(Real, Ideal) records of the main case trained from scratch at the TINY preset."""
    jobs = [j for j in db.jobs(TINY) if j.tags["case"] == "main"]
    return tuple(train_group("t", [j for j in jobs if j.tags["world"] == w]) for w in ("real", "ideal"))


def test_same_init_same_test_set_at_step_zero(from_scratch):
    real, ideal = from_scratch
    for r, i in zip(real, ideal):
        assert r.seed == i.seed
        for name in ("test/soft_error", "test/acc", "test/loss"):
            assert r.metrics[name][1][0] == i.metrics[name][1][0]  # identical init, one shared test set
        assert r.metrics["test/loss"][1][-1] != i.metrics["test/loss"][1][-1]  # then the data differ
    assert real[0].metrics["test/loss"][1][0] != real[1].metrics["test/loss"][1][0]


def test_from_pretrained_gives_each_member_its_own_network():
    seeds = (4, 7, 9)
    keys = jax.numpy.stack([rng.stream(s, "init") for s in seeds])
    nets = eqx.filter_vmap(lambda k: eqx.nn.Linear(3, 2, key=k))(keys)
    make = db.FromPretrained(nets, jax.random.key_data(keys))
    out = eqx.filter_vmap(make)(keys[::-1])
    np.testing.assert_array_equal(out.weight, nets.weight[::-1])


def test_finetune_starts_both_worlds_from_the_pretrained_network(store_path, from_scratch):
    store = Store(store_path)
    pre, tuned = db.pretrain_jobs(TINY)
    db.finetune(pre, tuned, store, progress=False)
    runs = {(r["config"]["tags"]["world"], r["seed"]): store.metrics(r["run_id"]) for r in store.runs(db.NAME)}
    assert len(runs) == 4
    for s, rec in enumerate(from_scratch[0]):
        first = runs[("real", s)]["test/loss"][1][0]
        assert first == runs[("ideal", s)]["test/loss"][1][0] != rec.metrics["test/loss"][1][0]
    db.finetune(pre, tuned, store, progress=False)  # all finished: nothing retrained
    assert len(store.runs(db.NAME)) == 4


def _synthetic_store(path, gap: float, converges: bool = True):
    """Runs whose curves are known: Real converges at step 200 (or never), Ideal sits `gap` below."""
    store, steps = Store(path), [0, 100, 200, 300]
    for world in ("real", "ideal"):
        for seed in range(2):
            for model, offset in (("mlp", 0.2), ("cnn", 0.0)):
                soft = np.array([0.9, 0.5, 0.3, 0.3]) + offset - (gap * np.arange(4) / 3 if world == "ideal" else 0)
                acc = {"real": [0.1, 0.7, 0.995, 1.0] if converges else [0.1, 0.5, 0.6, 0.7],
                       "ideal": [0.1, 0.6, 0.8, 0.85]}[world]
                job = db._job(TINY, model, 1000, world, seed)
                metrics = {"test/soft_error": (steps, soft.tolist()), "test/acc": (steps, (1 - soft).tolist()),
                           "train/acc": (steps, acc)}
                store.write_group(db.NAME, [RunRecord(job.run_id(db.NAME), seed, job.to_dict(), metrics, {})])
    return store


def test_analyze_and_plot_from_the_store(store_path, tmp_path):
    store = _synthetic_store(store_path, gap=0.09)
    out = db.EXPERIMENT.analyze(store)
    main = next(iter(out["tables"].values()))
    row = main["rows"][0]
    assert row[:5] == ["main", "cnn", 1000, "200 ± 0", "2/2"]
    # mean ε over t = 100, 200 (= T_conv): (3 + 6) / 2; ε at T_conv 6; max |ε| 6
    assert row[5:8] == ["4.5 ± 0.0", "6.0 ± 0.0", "6.0 ± 0.0"]
    assert row[8] == "30.0 ± 0.0" and row[9] == "21.0 ± 0.0"
    # both gaps within ±6% with every seed converged; the same ranking in both worlds
    assert [h["check"] for h in out["headline"]] == ["ok", "ok", "ok"]
    assert all(h["claim"] and h["n"] == 2 and h["stat"] for h in out["headline"])
    assert len(db.EXPERIMENT.plot(store, tmp_path / "figs")) == 2


def test_a_real_world_that_never_converges_is_reported_not_checked(store_path):
    out = db.EXPERIMENT.analyze(_synthetic_store(store_path, gap=0.06, converges=False))
    gaps = [h for h in out["headline"] if "up to T_conv" in h["name"]]
    # small gaps, but no seed reached T_conv: not evidence either way
    assert len(gaps) == 2 and all(h["check"] == "inconclusive" for h in gaps)
    assert all("0/2 seeds reached T_conv" in h["parts"][1]["note"] for h in gaps)
    assert any(n.startswith("Never reached T_conv") and "main cnn N=1000" in n for n in out["notes"])
    assert ["SGD steps T", "39000", "20", "DEVIATES"] in out["protocol"]["rows"]  # from the configs


# ------------------------------------------------------------------ every check can fail

YES, NO = {0: 1.0, 1: 1.0, 2: 1.0}, {0: 0.0, 1: 0.0, 2: 0.0}


@pytest.mark.parametrize("gaps, flags, verdict", [
    ({0: 0.010, 1: 0.015, 2: 0.012}, YES, OK),         # small, every seed reached T_conv
    ({0: -0.01, 1: 0.005, 2: 0.0}, YES, OK),           # the Ideal World ahead is fine too
    ({0: 0.110, 1: 0.120, 2: 0.115}, YES, MISS),       # far from the Ideal World
    ({0: -0.12, 1: -0.11, 2: -0.115}, YES, MISS),      # a band, not a one-sided bound
    ({0: 0.010, 1: 0.015, 2: 0.012}, NO, INCONCLUSIVE),  # never converged: untested
    ({0: 0.110, 1: 0.120, 2: 0.115}, NO, MISS),        # every eval before T_conv, and far apart
    ({0: 0.01, 1: 0.09}, {0: 1.0, 1: 1.0}, INCONCLUSIVE),  # two seeds that disagree
])
def test_gap_claim(gaps, flags, verdict):
    assert checks.gap_small(gaps, flags, "x").verdict == verdict


@pytest.mark.parametrize("real_cnn, ideal_cnn, flags, verdict", [
    ({0: 0.10, 1: 0.12, 2: 0.11}, {0: 0.08, 1: 0.09, 2: 0.085}, YES, OK),
    ({0: 0.60, 1: 0.62, 2: 0.61}, {0: 0.08, 1: 0.09, 2: 0.085}, YES, MISS),   # Real order reversed
    ({0: 0.10, 1: 0.12, 2: 0.11}, {0: 0.50, 1: 0.40, 2: 0.44}, YES, INCONCLUSIVE),  # Ideal ties
    ({0: 0.10, 1: 0.12, 2: 0.11}, {0: 0.08, 1: 0.09, 2: 0.085}, NO, INCONCLUSIVE),  # not trained
])
def test_ranking_claim_is_a_paired_ordering_in_both_worlds(real_cnn, ideal_cnn, flags, verdict):
    real = {"mlp": {0: 0.40, 1: 0.41, 2: 0.42}, "cnn": real_cnn}
    ideal = {"mlp": {0: 0.35, 1: 0.45, 2: 0.40}, "cnn": ideal_cnn}
    v = checks.ranking_agrees(real, ideal, {"mlp": YES, "cnn": flags}, 1000)
    assert v.verdict == verdict


def _case(t_conv, real, ideal, ideal_mean, gap, flags=YES):
    return {"t_conv": t_conv, "real_final_soft": real, "ideal_final_soft": ideal,
            "ideal_mean_soft": ideal_mean, "mean_gap": gap, "converged": flags}


BASE = _case({0: 1000, 1: 1500, 2: 1000}, {0: .30, 1: .31, 2: .32}, {0: .10, 1: .11, 2: .10},
             {0: .30, 1: .31, 2: .30}, {0: .02, 1: .03, 2: .025})


@pytest.mark.parametrize("case, entries, verdicts", [
    ("augment", _case({0: 5000, 1: 6000, 2: 5500}, {0: .15, 1: .16, 2: .15}, {0: .105, 1: .11, 2: .11},
                      BASE["ideal_mean_soft"], {0: .01, 1: .02, 2: .015}), [OK, OK, OK, OK]),
    ("augment", _case({0: 500, 1: 1000, 2: 500}, {0: .40, 1: .41, 2: .40}, {0: .20, 1: .21, 2: .20},
                      BASE["ideal_mean_soft"], {0: .20, 1: .21, 2: .20}), [MISS, MISS, MISS, MISS]),
    ("pretrain", _case(BASE["t_conv"], BASE["real_final_soft"], BASE["ideal_final_soft"],
                       {0: .20, 1: .21, 2: .20}, {0: .01, 1: .02, 2: .015}), [OK, OK]),
    ("pretrain", _case(BASE["t_conv"], BASE["real_final_soft"], BASE["ideal_final_soft"],
                       {0: .40, 1: .41, 2: .40}, {0: .01, 1: .02, 2: .015}), [MISS, OK]),
    ("label_noise", _case(BASE["t_conv"], BASE["real_final_soft"], BASE["ideal_final_soft"],
                          BASE["ideal_mean_soft"], {0: .01, 1: .02, 2: .015}, NO), [INCONCLUSIVE]),
])
def test_case_claims(case, entries, verdicts):
    assert [v.verdict for _, v in checks.case_claims(case, BASE, entries, "x")] == verdicts


def test_no_ok_when_learning_is_removed(store_path):
    """The smoke preset cut to 4 SGD steps (every case, both architectures): nothing is learned,
    so no headline row may say ok."""
    cfg = db.EXPERIMENT.config("smoke", sets=["steps=4", "eval_every=2", "pretrain_steps=2",
                                              "models=mlp,cnn", "cases=augment,pretrain,label_noise"])
    store = Store(store_path)
    db.EXPERIMENT.execute(cfg, store, progress=False)
    headline = db.EXPERIMENT.analyze(store)["headline"]
    kinds = {h["name"].split(":")[0].split(" (")[0] for h in headline}
    assert {"mlp, N = 256", "cnn, N = 256", "N = 256", "data augmentation", "pretraining",
            "label noise"} <= kinds
    assert [h["name"] for h in headline if h["check"] == OK] == []
