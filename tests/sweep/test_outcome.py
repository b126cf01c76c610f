"""Run outcome: a diverged member is stored as `diverged` (with its step), NaN stays NaN, tables
count it instead of averaging it, and resume skips it unless asked to retry."""
import math
import sys

import numpy as np
import pytest

from genlab import cli
from genlab.data.datasets import DataSpec
from genlab.experiments import tables
from genlab.store import RunRecord, Store
from genlab.sweep import Job, local
from genlab.sweep.resume import retrying_diverged
from genlab.train import TrainSpec

SPEC = TrainSpec(steps=20, batch_size=50, eval_every=10, optimizer="sgd", batching="slices")


def jobs():
    return [Job(model="mlp", data=DataSpec(n_train=200), train=SPEC, lr=lr, seed=0)
            for lr in (0.05, 1e12)]


def test_diverged_member_is_marked_and_kept(store_path):
    store = Store(store_path)
    ids = local.run_jobs("out", jobs(), store, progress=False)
    runs = {r["run_id"]: r for r in store.runs("out")}
    good, bad = runs[ids[0]], runs[ids[1]]
    assert good["status"] == "done" and good["diverged_step"] is None
    assert bad["status"] == "diverged" and bad["diverged_step"] in (10, 20)
    assert not math.isfinite(bad["summary"]["test/loss"])  # stored as itself, not NULL
    assert math.isfinite(good["summary"]["test/loss"])
    stat = tables.summary_stat(list(runs.values()), "test/acc")
    assert (stat.n, stat.runs, stat.diverged) == (1, 1, 1)
    assert stat.mean == good["summary"]["test/acc"]
    assert "1 diverged" in tables.fmt_stat(stat) and tables.status_counts(list(runs.values())) == "1 done, 1 diverged"
    steps, values = tables.curves(store, list(runs.values()), "test/acc")
    assert values.shape[0] == 1 and np.all(np.isfinite(values))


def test_diverged_runs_are_not_retried_unless_asked(store_path, monkeypatch):
    store = Store(store_path)
    local.run_jobs("out", jobs(), store, progress=False)
    trained = []
    real = local.train_records
    monkeypatch.setattr(local, "train_records",
                        lambda e, g, *a, **k: trained.append(len(g)) or real(e, g, *a, **k))
    local.run_jobs("out", jobs(), store, progress=False)
    assert trained == []
    with retrying_diverged():
        local.run_jobs("out", jobs(), store, progress=False)
    assert trained == [1]  # only the diverged run, retrained (and diverging again)
    assert sorted(r["status"] for r in store.runs("out")) == ["diverged", "done"]


def test_non_finite_values_round_trip(store_path):
    store = Store(store_path)
    values = [0.5, float("nan"), float("inf"), float("-inf")]
    store.write_group("e", [RunRecord("r", 0, {}, {"m": ([0, 1, 2, 3], values)},
                                      {"a": float("nan"), "b": float("-inf"), "c": 2.0})])
    got = store.metrics("r")["m"][1]
    assert got[0] == 0.5 and math.isnan(got[1]) and got[2] == math.inf and got[3] == -math.inf
    summary = store.runs("e")[0]["summary"]
    assert math.isnan(summary["a"]) and summary["b"] == -math.inf and summary["c"] == 2.0


def test_failed_group_is_recorded_and_retried(store_path, monkeypatch):
    store = Store(store_path)

    def broken(*a, **k):
        raise RuntimeError("out of memory\nmore detail")
    monkeypatch.setattr(local, "train_records", broken)
    ids = local.run_jobs("out", jobs(), store, progress=False)
    failed = store.runs("out", statuses=("failed",))
    assert {r["run_id"] for r in failed} == set(ids) and store.runs("out") == []
    assert failed[0]["error"] == "RuntimeError: out of memory"
    monkeypatch.undo()
    local.run_jobs("out", jobs(), store, progress=False)
    assert sorted(r["status"] for r in store.runs("out")) == ["diverged", "done"]


def test_a_blown_up_sweep_is_diverged_not_done(monkeypatch, tmp_path):
    """`genlab run baselines --preset smoke --set lr=10000`, shortened to one seed and 100 steps
    and with the GRU added: every loss climbs 1e3-1e10-fold without a NaN, so every run is stored
    `diverged` at the first evaluation (step 50), and the table averages none of them."""
    store = tmp_path / "db.sqlite"
    monkeypatch.setattr(sys, "argv", [
        "genlab", "run", "baselines", "--preset", "smoke", "--set", "lr=10000", "--seeds", "1",
        "--set", "models=linear,mlp,cnn,gru", "--set", "steps=100", "--set", "eval_every=50",
        "--store", str(store), "--no-progress"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 0
    runs = Store(store).runs("baselines")
    assert sorted((r["config"]["model"], r["status"], r["diverged_step"]) for r in runs) == sorted(
        (m, "diverged", 50) for m in ("linear", "mlp", "cnn", "gru") for _ in range(2))
    assert all(math.isfinite(r["summary"]["train/loss"]) for r in runs)  # diverged, yet finite
    stat = tables.summary_stat(runs, "test/acc")
    assert (stat.n, stat.diverged) == (0, 8) and "8 diverged" in tables.fmt_stat(stat)
    assert tables.status_counts(runs) == "8 diverged"
