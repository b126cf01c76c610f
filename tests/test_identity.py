"""Run identity: pinned ids of real jobs, normalized numbers, performance-only and new fields."""
import dataclasses

import numpy as np
import pytest

from genlab import experiments
from genlab.data.datasets import DataSpec
from genlab.identity import identity_fields, identity_hash, normalize
from genlab.sweep import Job
from genlab.sweep.computed import computed_id
from genlab.train import TrainSpec

# Literal ids of real preset jobs (experiment, preset, index in jobs(cfg), id). They must never
# change: a change re-addresses stored runs, and resume would silently retrain everything.
# The quick presets ran 3 seeds when these were pinned (2 since 2026-11-30): "quick:3" is the
# quick preset with 3 seeds, whose jobs (and ids) the 2-seed preset shares.
PINNED = [
    ("baselines", "quick:3", 0, "5b8925b58247d62e"),
    ("baselines", "quick:3", 1, "ba90db4aa173a7b9"),
    ("baselines", "quick:3", 23, "eec871a001947966"),
    ("randomization", "quick:3", 0, "55a60687e1c8388a"),
    ("randomization", "quick:3", 1, "21232c53cb6b829b"),
    ("randomization", "quick:3", 53, "aefad0fe49575641"),
    # Re-addressed on purpose (issue 16): the Deep Bootstrap now trains with the paper's plain SGD
    # (was momentum 0.9) and its label-noise case uses the always-wrong noise model: different
    # training, so different runs; runs stored under the old protocol keep their old ids.
    ("deep_bootstrap", "smoke", 0, "e05d0a8d171c68db"),
    ("deep_bootstrap", "smoke", 1, "09c0d461216635a2"),
    # the label-noise case names its noise model in the data (label_noise_kind="wrong")
    ("deep_bootstrap", "smoke", 7, "78c19c5824732b64"),
]


def preset_jobs(name, preset):
    exp = experiments.get(name)
    preset, _, seeds = preset.partition(":")
    cfg = exp.config(preset, seeds=int(seeds) if seeds else None)
    if exp.jobs is not None:
        return exp.jobs(cfg)
    from genlab.experiments import deep_bootstrap
    return deep_bootstrap.jobs(cfg)


@pytest.mark.parametrize("name, preset, index, run_id", PINNED)
def test_real_job_ids_are_pinned(name, preset, index, run_id):
    assert preset_jobs(name, preset)[index].run_id(name) == run_id


def job(**kw):
    spec = TrainSpec(steps=20, batch_size=50, eval_every=10, **kw.pop("train", {}))
    return Job(model="mlp", data=DataSpec(**{"n_train": 200, **kw.pop("data", {})}), train=spec,
               **{"lr": 0.1, **kw})


def test_numbers_are_normalized():
    assert job(lr=1).run_id("x") == job(lr=1.0).run_id("x") == job(lr=np.float32(1.0)).run_id("x")
    assert job(weight_decay=0).run_id("x") == job().run_id("x")  # a default, given explicitly
    assert job(model_kwargs={"width": 64.0}).run_id("x") == job(model_kwargs={"width": 64}).run_id("x")
    assert job(lr=0.1).run_id("x") != job(lr=0.2).run_id("x")
    assert computed_id("e", {"a": 1, "b": (1, 2)}) == computed_id("e", {"b": [1.0, 2], "a": 1.0})
    assert normalize(float("nan")) == "nan" and normalize(-0.0) == 0


def test_performance_only_settings_are_not_identity():
    assert job(train={"eval_batch": 500}).run_id("x") == job().run_id("x")
    assert "eval_batch" not in identity_fields(job(train={"eval_batch": 500}).train)


def test_experiment_and_meaningful_fields_are_identity():
    base = job()
    assert base.run_id("x") != base.run_id("y")
    for other in (job(seed=1), job(train={"eval_train_max": 100}), job(data={"n_train": 100}),
                  job(tags={"variant": "a"}), job(model_kwargs={"width": 8})):
        assert other.run_id("x") != base.run_id("x")


@pytest.mark.parametrize("cls_name", ["Job", "TrainSpec", "DataSpec"])
def test_a_new_field_with_a_default_keeps_every_id(cls_name):
    """Adding a field with a no-op default to TrainSpec / Job / DataSpec renames no stored run."""
    old = [j for name, preset, _, _ in PINNED for j in preset_jobs(name, preset)[:3]] + [job()]
    cls = {"Job": Job, "TrainSpec": TrainSpec, "DataSpec": DataSpec}[cls_name]
    grown = dataclasses.make_dataclass(cls_name, [("new_option", float, dataclasses.field(default=0.0))],
                                       bases=(cls,), frozen=True)
    for j in old:
        if cls is Job:
            new = grown(**{f.name: getattr(j, f.name) for f in dataclasses.fields(j)})
        elif cls is TrainSpec:
            new = dataclasses.replace(j, train=grown(**dataclasses.asdict(j.train)))
        else:
            new = dataclasses.replace(j, data=grown(**{f.name: getattr(j.data, f.name)
                                                       for f in dataclasses.fields(j.data)}))
        assert new.run_id("e") == j.run_id("e")
        assert dataclasses.replace(new, **_set_new(new, cls)).run_id("e") != j.run_id("e")


def _set_new(new, cls):
    """The same job with the new field off its default: now it must be a different run."""
    if cls is Job:
        return {"new_option": 1.0}
    part = "train" if cls is TrainSpec else "data"
    return {part: dataclasses.replace(getattr(new, part), new_option=1.0)}


def test_hash_is_versioned():
    assert identity_hash("e", {"a": 1}) != identity_hash("f", {"a": 1})
    assert len(identity_hash("e", {})) == 16


@pytest.mark.parametrize("name", ["baselines", "randomization", "double_descent"])
def test_two_seed_quick_runs_are_the_three_seed_runs_of_seeds_0_and_1(name):
    """Cutting a preset's seeds keeps the other runs' addresses: a store from the 3-seed
    preset resumes the 2-seed one without training anything."""
    ids = lambda seeds: {j.run_id(name) for j in preset_jobs(name, f"quick:{seeds}")}  # noqa: E731
    assert ids(2) < ids(3) and len(ids(2)) * 3 == len(ids(3)) * 2
