"""Validation: options that would be silently ignored, sizes that do not fit, one label_noise."""
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.data import datasets
from genlab.data.datasets import DataSpec
from genlab.sweep import Job
from genlab.train import TrainSpec

SPEC = dict(steps=20, batch_size=50, eval_every=10)


@pytest.mark.parametrize("kwargs, match", [
    (dict(warmup_steps=5), "warmup_steps"),
    (dict(schedule="cosine", warmup_steps=5), "warmup_steps"),
    (dict(optimizer="adam", momentum=0.5), "momentum"),
    (dict(optimizer="sgd", momentum=0.0), "momentum"),
    (dict(optimizer="momentum", momentum=1.5), "momentum"),
    (dict(optimizer="adam", rms_decay=0.99), "rms_decay=0.99 has no effect"),
    (dict(optimizer="sgd", rms_eps=1e-4), "rms_eps=0.0001 has no effect"),
    (dict(optimizer="global_rms", rms_decay=1.0), "rms_decay must be < 1"),
    (dict(optimizer="global_rms", rms_eps=0.0), "rms_eps must be > 0"),
    (dict(eval_batch=0), "eval_batch"),
    (dict(steps=20.5), "steps"),
])
def test_train_spec_rejects_ignored_or_bad_options(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TrainSpec(**{**SPEC, **kwargs})


def test_train_spec_accepts_the_options_where_they_act():
    TrainSpec(**SPEC, schedule="warmup_cosine", warmup_steps=5)
    TrainSpec(**SPEC, optimizer="momentum", momentum=0.5)
    TrainSpec(**SPEC, optimizer="global_rms", rms_decay=0.99, rms_eps=1e-4)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler="jax", generator={"seed": 3}), "no effect with sampler='jax'"),
    (dict(sampler="jax", generator={"num_samples": 100}), "no effect"),
    (dict(sampler="jax", generator={"shuffle_seq": True}), "shuffle_seq"),
    (dict(n_train=4001), "exceeds the 4000 training rows"),
    (dict(n_test=1001), "exceeds the 1000 test rows"),
    (dict(generator={"num_samples": 100}, n_train=81), "exceeds the 80"),
    (dict(condition="random_labels", label_noise=0.3), "no effect with condition"),
    (dict(condition="nonsense"), "unknown condition"),
    (dict(generator={"bogus": 1}), "unknown generator option"),
    (dict(label_noise=float("nan")), "label_noise"),
    (dict(augment_noise=float("inf")), "augment_noise"),
])
def test_data_spec_rejects_ignored_or_bad_options(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DataSpec(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(data=DataSpec(n_train=40)), "larger than the training set"),
    (dict(data=DataSpec(sampler="jax", stream=True), train=TrainSpec(**SPEC, batching="slices")),
     "no effect on a stream"),
    (dict(lr=float("inf")), "lr must be finite"),
    (dict(lr=float("nan")), "lr"),
    (dict(weight_decay=-1.0), "weight_decay"),
    (dict(seed=-1), "seed"),
])
def test_job_rejects_bad_combinations(kwargs, match):
    base = dict(model="mlp", data=DataSpec(n_train=200), train=TrainSpec(**SPEC), lr=0.1)
    with pytest.raises(ConfigError, match=match):
        Job(**{**base, **kwargs})


def test_batch_larger_than_n_is_fine_with_slices():
    Job(model="mlp", data=DataSpec(n_train=40), train=TrainSpec(**SPEC, batching="slices"), lr=0.1)


def test_label_noise_has_one_meaning_whatever_the_sampler():
    """DataSpec(label_noise=p) corrupts labels under the default sampler too (it used to change
    none; it is the same data and run as condition='corrupt'), and label_noise_kind means the
    same under both samplers: 'uniform' changes about 0.9 p of the labels, 'wrong' a fraction p."""
    noisy = DataSpec(n_train=1000, label_noise=0.5, seed=1)
    assert noisy == DataSpec(n_train=1000, condition="corrupt", label_noise=0.5, seed=1)
    clean = datasets.build(DataSpec(n_train=1000))["y"]
    for kind, (low, high) in {"uniform": (0.4, 0.5), "wrong": (0.45, 0.55)}.items():
        built = datasets.build(DataSpec(n_train=1000, label_noise=0.5, seed=1, label_noise_kind=kind))
        changed = np.mean(built["y"] != clean)
        assert low < changed < high and abs(built["realized_noise"] - changed) < 1e-12, kind
        jax_built = datasets.build(DataSpec(sampler="jax", n_train=2000, label_noise=0.5, seed=1,
                                            label_noise_kind=kind))
        assert low < jax_built["realized_noise"] < high, kind


def test_label_noise_kind_without_noise_is_an_error():
    with pytest.raises(ConfigError, match="no effect without label_noise"):
        DataSpec(label_noise_kind="wrong")
    with pytest.raises(ConfigError, match="label_noise_kind"):
        DataSpec(label_noise=0.1, label_noise_kind="other")