"""Deep Bootstrap mechanics: the worlds differ only in their data source; gap and T_conv bookkeeping."""
import dataclasses

import equinox as eqx
import jax
import numpy as np
import pytest

from genlab import rng
from genlab.experiments import deep_bootstrap as db
from genlab.experiments.deep_bootstrap import report
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
    assert s["mean_gap"] == pytest.approx((0 + 0.02 + 0.05 + 0.02) / 4)
    never = report.bootstrap_stats(steps, np.full(6, 0.5), real, ideal)  # T if never converged
    assert never["t_conv"] == 500 and never["converged"] == 0.0 and never["max_gap"] == pytest.approx(0.2)


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
    assert row[5] == "6.0 ± 0.0" and row[8] == "30.0 ± 0.0" and row[9] == "21.0 ± 0.0"
    assert [h["check"] for h in out["headline"]] == ["ok", "ok", "ok"]  # gap 6% <= tolerance; same ranking
    assert len(db.EXPERIMENT.plot(store, tmp_path / "figs")) == 2


def test_a_real_world_that_never_converges_is_reported_not_checked(store_path):
    out = db.EXPERIMENT.analyze(_synthetic_store(store_path, gap=0.09, converges=False))
    gaps = [h for h in out["headline"] if "before T_conv" in h["name"]]
    assert gaps and all(h["check"].startswith("not converged") for h in gaps)
    assert any(n.startswith("Never reached T_conv") and "main cnn N=1000" in n for n in out["notes"])
    assert ["SGD steps T", "39000", "20", "DEVIATES"] in out["protocol"]["rows"]  # from the configs
