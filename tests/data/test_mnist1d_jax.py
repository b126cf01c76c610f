"""MNIST-1D in JAX: same transform as the NumPy generator on the same parameters; the sampler."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from genlab.config import ConfigError
from genlab.data import mnist1d, mnist1d_jax
from genlab.data.mnist1d import MNIST1DArgs

ARGS = [
    MNIST1DArgs(),
    MNIST1DArgs(padding=(10, 20), final_seq_length=60, max_translation=5),
    MNIST1DArgs(padding=(0, 13), scale_coeff=0.9, shear_scale=2.0),  # integer grid crossings
    MNIST1DArgs(padding=(0, 0), template_len=3, final_seq_length=5),  # L = 3 < filter radius
]


def _numpy_case(args, n=500, seed=0):
    rng = np.random.RandomState(seed)
    params = mnist1d.sample_params(rng, n, args)
    rows = mnist1d.templates()["x"][rng.randint(0, 10, n)]
    return rows, params


def _transform_and_mask(rows, params, args):
    """One program for both, to keep the number of XLA compiles (the test's cost) down."""
    placed = mnist1d_jax._place(rows.astype(params["corr_noise"].dtype), params, args)
    return mnist1d_jax.transform(rows, params, args), placed == 0


_transform_and_mask_jit = jax.jit(_transform_and_mask, static_argnums=2)


@pytest.mark.parametrize("args", ARGS, ids=["default", "pad10-20", "pad0-13", "tiny"])
def test_transform_matches_numpy_float32(args):
    rows, params = _numpy_case(args)
    want = mnist1d.transform_numpy(rows, params, args)
    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    got, mask_jax = _transform_and_mask_jit(jnp.asarray(rows), jparams, args)
    assert got.shape == want.shape and got.dtype == jnp.float32
    # signals are O(0.1-1); float32 rounding of the inputs and ops stays far below 1e-5
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    # the "v == 0 is padding" mask must agree exactly, or a point would swap digit for noise
    mask_np = mnist1d._place(rows, params, args) == 0
    assert np.array_equal(mask_np, np.asarray(mask_jax))
    assert 0 < mask_np.mean() < 1 or args.padding == (0, 0)


def test_transform_matches_numpy_float64():
    args = ARGS[1]
    rows, params = _numpy_case(args, n=200, seed=1)
    want = mnist1d.transform_numpy(rows, params, args)
    with jax.enable_x64(True):
        jparams = {k: jnp.asarray(v) for k, v in params.items()}
        got, _ = _transform_and_mask_jit(jnp.asarray(rows), jparams, args)
        got = np.asarray(got)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_sample_params_ranges():
    args = MNIST1DArgs(padding=(5, 9), max_translation=7)
    p = jax.jit(mnist1d_jax.sample_params, static_argnums=(1, 2))(jax.random.key(0), 2000, args)
    assert set(np.unique(p["padding"]).tolist()) == set(range(5, 10))
    assert set(np.unique(p["shift"]).tolist()) == set(range(7))
    assert p["padding"].dtype == p["shift"].dtype == jnp.int32
    assert p["corr_noise"].shape == (2000, args.internal_length) == p["white_noise"].shape
    assert float(jnp.max(jnp.abs(p["scale"] - 1))) <= args.scale_coeff / 2
    assert float(jnp.max(jnp.abs(p["shear"]))) <= args.shear_scale / 2
    assert float(jnp.std(p["white_noise"])) == pytest.approx(args.iid_noise_scale, rel=0.05)
    assert float(jnp.std(p["corr_noise"])) == pytest.approx(args.corr_noise_scale, rel=0.05)


def test_sample_shapes_determinism_and_keys():
    sample_fn = jax.jit(mnist1d_jax.sample, static_argnums=(1, 2), static_argnames="normalize")
    x, y = sample_fn(jax.random.key(0), 128)
    assert x.shape == (128, 40) and x.dtype == jnp.float32 and y.dtype == jnp.int32
    x2, y2 = sample_fn(jax.random.key(0), 128)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, y3 = sample_fn(jax.random.key(1), 128)
    assert not np.array_equal(y, y3) and not np.allclose(x, x3)
    raw, y4 = sample_fn(jax.random.key(0), 128, normalize=False)
    assert np.array_equal(y, y4)
    # fixed constants, never batch statistics
    np.testing.assert_allclose((raw - mnist1d.FROZEN_MEAN) / mnist1d.FROZEN_STD, x, atol=1e-5)
    # other args: shapes by tracing only (their values are covered by the transform tests)
    args = MNIST1DArgs(final_seq_length=60, padding=(10, 20))
    xa, ya = jax.eval_shape(lambda k: mnist1d_jax.sample(k, 16, args), jax.random.key(0))
    assert xa.shape == (16, 60) and xa.dtype == jnp.float32 and ya.shape == (16,)


@pytest.fixture(scope="module")
def big_sample():
    x, y = jax.jit(mnist1d_jax.sample, static_argnums=(1,))(jax.random.key(3), 20_000)
    return np.asarray(x, np.float64), np.asarray(y)


def test_sample_class_balance(big_sample):
    counts = np.bincount(big_sample[1], minlength=10)
    # chi-square goodness of fit to uniform, 9 dof, at a 1e-4 false-alarm level
    chi2 = ((counts - 2000) ** 2 / 2000).sum()
    assert counts.sum() == 20_000 and chi2 < stats.chi2.ppf(1 - 1e-4, 9)


def test_sample_statistics_match_frozen_set(big_sample):
    """Per-position mean and mean square of a fresh stream vs the frozen 5000 rows.

    Rows are independent, so each statistic's standard error is std / sqrt(rows); we allow 5
    combined standard errors (the frozen set's exact class balance only lowers its error): a
    false-alarm rate of ~6e-7 per statistic, ~5e-5 over all 80, with a fixed key."""
    fresh = big_sample[0]
    d = mnist1d.load_frozen()
    ref = np.concatenate([d["x"], d["x_test"]])
    for stat in (lambda a: a, lambda a: a**2):
        a, b = stat(fresh), stat(ref)
        se = np.sqrt(a.var(0) / len(a) + b.var(0) / len(b))
        z = (a.mean(0) - b.mean(0)) / se
        assert np.abs(z).max() < 5, np.abs(z).max()
    # the frozen set is exactly mean 0, std 1; these margins are > 5 standard errors
    assert abs(fresh.mean()) < 0.02 and fresh.std() == pytest.approx(1.0, abs=0.02)


def test_sample_rejects_shuffle_seq():
    with pytest.raises(ConfigError, match="fixed_permutation"):
        mnist1d_jax.sample(jax.random.key(0), 4, MNIST1DArgs(shuffle_seq=True))
