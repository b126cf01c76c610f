"""The Ideal-World stream and the JAX-sampled DataSpec: fresh, fixed-normalized, one distribution."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.data import datasets, mnist1d_jax
from genlab.data.augment import Augmented
from genlab.data.datasets import DataSpec
from genlab.data.mnist1d import FROZEN_MEAN, FROZEN_STD, MNIST1DArgs
from genlab.data.stream import StreamSource, draw, draw_split
from genlab.sweep import Job
from genlab.sweep.local import _group_data
from genlab.train import TrainSpec


@eqx.filter_jit
def _batches(source, key, steps):
    """(steps, B, L), (steps, B): the batches source.next hands the trainer at steps 0..steps-1."""
    def body(state, step):
        state, xy = source.next(state, step, key)
        return state, xy
    return jax.lax.scan(body, source.init(key), jnp.arange(steps))[1]


def test_stream_never_repeats_a_sample():
    source = StreamSource(MNIST1DArgs(), 64)
    x, y = _batches(source, jax.random.key(0), 40)
    rows = np.asarray(x).reshape(-1, x.shape[-1])
    assert rows.shape == (40 * 64, 40) and y.dtype == jnp.int32
    assert len(np.unique(rows, axis=0)) == len(rows)  # continuous noise: a repeat would be a reused sample
    other = np.asarray(_batches(source, jax.random.key(1), 40)[0]).reshape(-1, 40)
    assert not {r.tobytes() for r in rows} & {r.tobytes() for r in other}  # another member's stream
    counts = np.bincount(np.asarray(y).ravel(), minlength=10)
    assert counts.min() > 0.7 * counts.mean()  # i.i.d. uniform labels


def test_normalization_uses_the_fixed_frozen_constants():
    key, args = jax.random.key(3), MNIST1DArgs()
    for n in (8, 200):  # the same affine map whatever the batch: never batch statistics
        raw, _ = mnist1d_jax.sample(key, n, args, normalize=False)
        x, _ = draw(key, n, args)
        np.testing.assert_allclose(np.asarray(x), (np.asarray(raw) - FROZEN_MEAN) / FROZEN_STD, rtol=1e-5, atol=1e-5)
    small = np.asarray(draw(key, 8, args)[0])
    assert abs(small.mean()) > 1e-3 or abs(small.std() - 1) > 1e-3  # a small batch is not re-standardized
    x, _ = draw_split(0, "test", 4000, args)
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05  # the frozen set's constants fit the stream


def test_jax_spec_draws_train_and_test_from_separate_streams():
    d = datasets.build(DataSpec(sampler="jax", n_train=300, n_test=500, seed=1))
    assert d["x"].shape == (300, 40) and d["x_test"].shape == (500, 40) and d["y"].dtype == np.int32
    assert not {r.tobytes() for r in d["x"]} & {r.tobytes() for r in d["x_test"]}
    small = draw_split(1, "train", 100, MNIST1DArgs())[0]
    np.testing.assert_array_equal(small, d["x"][:100])  # a smaller N is a prefix of a larger one
    again = datasets.build(DataSpec(sampler="jax", n_train=300, n_test=500, seed=2))
    assert not np.allclose(again["x"], d["x"])


def test_label_noise_is_a_property_of_the_distribution():
    clean = datasets.build(DataSpec(sampler="jax", n_train=2000, n_test=2000))
    noisy = datasets.build(DataSpec(sampler="jax", n_train=2000, n_test=2000, label_noise=0.5,
                                    label_noise_kind="wrong"))
    np.testing.assert_array_equal(clean["x"], noisy["x"])
    for split in ("y", "y_test"):  # train and test labels alike; a fraction p changes (always wrong)
        assert 0.46 < np.mean(clean[split] != noisy[split]) < 0.54
    assert noisy["realized_noise"] == pytest.approx(np.mean(clean["y"] != noisy["y"]))
    always = datasets.build(DataSpec(sampler="jax", n_train=2000, n_test=10, label_noise=1.0,
                                     label_noise_kind="wrong"))
    assert np.all(always["y"] != clean["y"])  # a noisy label is never the true one


def test_new_fields_keep_old_run_ids_and_split_programs():
    spec = TrainSpec(steps=10, eval_every=5)
    old = DataSpec(n_train=100)
    assert set(old.to_dict()) == {"generator", "n_train", "condition", "label_noise", "positions", "seed",
                                  "augment_shift", "augment_noise"}  # the fields runs were stored with
    real = Job("mlp", DataSpec(sampler="jax", n_train=100), spec, lr=0.1)
    ideal = Job("mlp", DataSpec(sampler="jax", n_train=100, stream=True), spec, lr=0.1)
    assert real.group_key() != ideal.group_key() and real.run_id("x") != ideal.run_id("x")
    noisy = Job("mlp", DataSpec(sampler="jax", n_train=100, label_noise=0.2, seed=3), spec, lr=0.1, seed=3)
    assert noisy.group_key() == real.group_key()  # label noise and data seed stay vmapped members
    with pytest.raises(ConfigError):
        DataSpec(stream=True)
    with pytest.raises(ConfigError):
        DataSpec(sampler="jax", positions="shuffle")


def test_group_data_builds_the_ideal_world_with_the_real_worlds_test_set():
    spec = TrainSpec(steps=10, eval_every=5, batch_size=32, eval_train_max=100)
    ideal = DataSpec(sampler="jax", n_test=300, stream=True, augment_shift=3, augment_noise=0.1)
    source, evals, axis, _ = _group_data([Job("mlp", ideal, spec, lr=0.1)])
    assert isinstance(source, Augmented) and isinstance(source.base, StreamSource) and axis is None
    _, real_evals, _, _ = _group_data([Job("mlp", DataSpec(sampler="jax", n_train=200, n_test=300), spec, lr=0.1)])
    np.testing.assert_array_equal(evals["test"][0], real_evals["test"][0])  # one shared test set
    assert evals["train"][0].shape == (100, 40) and real_evals["train"][0].shape == (100, 40)
    x, y = _batches(source, jax.random.key(0), 2)
    assert x.shape == (2, 32, 40) and y.shape == (2, 32)
    noisy = [Job("mlp", DataSpec(sampler="jax", n_test=300, stream=True, label_noise=p, seed=s), spec, lr=0.1, seed=s)
             for s, p in ((0, 0.0), (1, 0.3))]
    source, evals, axis, _ = _group_data(noisy)  # label noise and data seed: stacked members
    assert axis == 0 and source.label_noise.shape == (2,) and evals["test"][0].shape == (2, 300, 40)
