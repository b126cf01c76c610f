"""Diverged means diverged: a run is `diverged` at the first evaluation where a value is
non-finite or its training loss is above TrainSpec.diverge_factor times its step-0 value."""
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.data.datasets import DataSpec
from genlab.sweep import Job, local
from genlab.train import TrainSpec
from genlab.train.diverge import diverged_step
from genlab.train.loop import FINITE

STEPS = [0, 10, 20, 30, 40]


def history(loss, finite=None, name="train/loss"):
    return {name: np.asarray(loss, np.float32),
            FINITE: np.ones(len(loss), np.float32) if finite is None else np.asarray(finite, np.float32)}


def test_loss_rising_past_the_factor_diverges_at_that_step():
    # 2.3 -> 1.0 -> 24 (> 10 x 2.3 = 23) -> back down: diverged at the first evaluation above
    assert diverged_step(history([2.3, 1.0, 24.0, 1e4, 0.5]), STEPS, 10.0) == 20
    assert diverged_step(history([2.3, 1.0, 5.0, 24.0, 0.5]), STEPS, 2.0) == 20  # the factor given


def test_loss_staying_below_the_factor_is_done():
    assert diverged_step(history([2.3, 1.0, 22.9, 0.1, 0.01]), STEPS, 10.0) is None
    assert diverged_step(history([2.3, 2.0, 1.5, 1.0, 0.5]), STEPS, 10.0) is None
    assert diverged_step(history([2.3, 20.0, 1.0, 1.0, 1.0]), STEPS, 10.0) is None  # a spike < 10x


def test_non_finite_values_still_diverge_first():
    # FINITE drops at step 10 (a parameter went inf) before the loss rises at step 30
    assert diverged_step(history([2.3, 2.0, 2.0, 50.0, np.nan], [1, 0, 0, 0, 0]), STEPS, 10.0) == 10
    assert diverged_step(history([2.3, np.nan, np.nan, np.nan, np.nan], [1, 0, 0, 0, 0]), STEPS, 10.0) == 10


def test_batch_loss_is_the_fallback_with_its_first_chunk_as_reference():
    # without a train eval, train/batch_loss[0] is a placeholder 0 (loop.train, train_many)
    h = history([0.0, 2.0, 3.0, 21.0, 1.0], name="train/batch_loss")
    assert diverged_step(h, STEPS, 10.0) == 30
    assert diverged_step(history([0.0, 2.0, 3.0, 19.0, 1.0], name="train/batch_loss"), STEPS, 10.0) is None


def test_train_records_status_and_step(monkeypatch):
    """Where a sweep decides the status: each member by its own loss and factor."""
    spec = TrainSpec(steps=40, batch_size=50, eval_every=10, optimizer="sgd", batching="slices")
    jobs = [Job(model="mlp", data=DataSpec(n_train=200), train=spec, lr=lr, seed=0)
            for lr in (0.1, 0.2, 0.3)]
    loss = np.array([[2.3, 1.0, 0.5, 0.4, 0.3],      # learns
                     [2.3, 5.0, 30.0, 1e6, 1e9],     # blows up without a NaN
                     [2.3, 2.0, np.inf, np.nan, np.nan]], np.float32)
    hist = {"train/loss": loss, "test/loss": loss.copy(),
            FINITE: np.isfinite(loss).astype(np.float32)}
    data = [{"realized_noise": 0.0}] * 3
    monkeypatch.setattr(local, "train_networks", lambda *a, **k: (None, dict(hist), data, None))
    records = local.train_records("e", jobs)
    assert [(r.status, r.diverged_step) for r in records] == [
        ("done", None), ("diverged", 20), ("diverged", 20)]
    assert records[1].metrics["train/loss"][1][-1] == 1e9  # the numbers are kept as they are


def test_diverge_factor_is_validated_and_a_default_renames_nothing():
    for bad in (1.0, 0.5, float("inf"), float("nan")):
        with pytest.raises(ConfigError):
            TrainSpec(diverge_factor=bad)
    job = Job(model="mlp", data=DataSpec(n_train=200), train=TrainSpec(steps=20, eval_every=10),
              lr=0.1, seed=0)
    explicit = Job(model="mlp", data=DataSpec(n_train=200),
                   train=TrainSpec(steps=20, eval_every=10, diverge_factor=10.0), lr=0.1, seed=0)
    other = Job(model="mlp", data=DataSpec(n_train=200),
                train=TrainSpec(steps=20, eval_every=10, diverge_factor=100.0), lr=0.1, seed=0)
    assert job.run_id("x") == explicit.run_id("x") != other.run_id("x")
