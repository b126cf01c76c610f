"""MNIST-1D NumPy generator: frozen set, checksums, reproduction of the reference, arguments."""
import dataclasses
import importlib.resources
import json

import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.data import mnist1d
from genlab.data.mnist1d import MNIST1DArgs

SPLITS = ("x", "x_test", "y", "y_test", "t")


@pytest.fixture(scope="module")
def frozen():
    return mnist1d.load_frozen()


@pytest.fixture(scope="module")
def raw_default():
    return mnist1d._generate_raw(MNIST1DArgs())


def _digests() -> dict:
    root = importlib.resources.files("genlab.data").joinpath("frozen")
    return json.loads(root.joinpath("mnist1d_frozen.sha256.json").read_text())


def test_frozen_loads_with_expected_shapes_and_is_read_only(frozen):
    assert set(frozen) == set(mnist1d.FROZEN_KEYS)
    assert frozen["x"].shape == (4000, 40) and frozen["x"].dtype == np.float64
    assert frozen["x_test"].shape == (1000, 40) and frozen["t"].shape == (40,)
    assert frozen["y"].shape == (4000,) and frozen["y"].dtype == np.int64
    assert frozen["y_test"].shape == (1000,)
    with pytest.raises(ValueError):
        frozen["x"][0, 0] = 1.0
    mnist1d.load_frozen(verify=True)["x"] = None  # the caller's dict is its own
    assert mnist1d.load_frozen()["x"] is not None


def test_tampered_or_missing_array_fails_verification(frozen):
    arrays = dict(frozen)
    mnist1d._verify(arrays, _digests())  # the shipped arrays pass
    arrays["x"] = frozen["x"].copy()
    arrays["x"][17, 3] += 1e-12
    with pytest.raises(ValueError, match="'x' fails its sha256"):
        mnist1d._verify(arrays, _digests())
    del arrays["x"]
    with pytest.raises(ValueError, match="keys"):
        mnist1d._verify(arrays, _digests())


def test_templates_match_frozen_exactly(frozen):
    tmpl = mnist1d.templates()
    assert np.array_equal(tmpl["x"], frozen["templates_x"])
    assert np.array_equal(tmpl["t"], frozen["templates_t"])
    assert np.array_equal(tmpl["y"], frozen["templates_y"])


def test_generate_reproduces_frozen_set(frozen):
    got = mnist1d.generate()
    for k in ("y", "y_test", "t"):
        assert got[k].dtype == frozen[k].dtype and np.array_equal(got[k], frozen[k]), k
    # signals: ulp-level libm differences only (spec: atol 1e-12)
    np.testing.assert_allclose(got["x"], frozen["x"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["x_test"], frozen["x_test"], rtol=0, atol=1e-12)


def test_frozen_standardization_constants(raw_default):
    x = raw_default["x"]
    assert x.shape == (5000, 40)
    assert mnist1d.FROZEN_MEAN == pytest.approx(x.mean(), rel=1e-12, abs=0)
    assert mnist1d.FROZEN_STD == pytest.approx(x.std(), rel=1e-12, abs=0)


def test_make_dataset_default_is_frozen_copy(frozen):
    for args in (None, MNIST1DArgs()):
        d = mnist1d.make_dataset(args)
        assert set(d) == set(SPLITS)
        assert all(np.array_equal(d[k], frozen[k]) for k in SPLITS)
        d["x"][0, 0] = 123.0  # a copy: the cached frozen arrays are untouched
        assert frozen["x"][0, 0] != 123.0


NON_DEFAULT = [
    MNIST1DArgs(num_samples=1000),
    MNIST1DArgs(num_samples=1000, shuffle_seq=True, seed=3),
    MNIST1DArgs(num_samples=1000, final_seq_length=60, padding=(10, 20)),
    MNIST1DArgs(num_samples=1003, train_split=0.5, max_translation=1, padding=(0, 0)),
]


@pytest.mark.parametrize("args", NON_DEFAULT, ids=lambda a: str(hash(a) % 10_000))
def test_generate_non_default(args):
    d = mnist1d.make_dataset(args)
    n = 10 * (args.num_samples // 10)
    n_train = int(n * args.train_split)
    f = args.final_seq_length
    assert d["x"].shape == (n_train, f) and d["x_test"].shape == (n - n_train, f)
    assert d["t"].shape == (f,) and d["x"].dtype == np.float64 and d["y"].dtype == np.int64
    y = np.concatenate([d["y"], d["y_test"]])
    assert np.array_equal(np.bincount(y, minlength=10), np.full(10, n // 10))
    x = np.concatenate([d["x"], d["x_test"]])
    assert abs(x.mean()) < 1e-12 and x.std() == pytest.approx(1.0, rel=1e-12)
    again = mnist1d.generate(args)
    assert all(np.array_equal(d[k], again[k]) for k in SPLITS)
    other = mnist1d.generate(dataclasses.replace(args, seed=args.seed + 1))
    assert not np.array_equal(d["x"], other["x"]) and not np.array_equal(d["y"], other["y"])


def test_shuffle_seq_permutes_columns_only():
    base = mnist1d._generate_raw(MNIST1DArgs(num_samples=200))
    shuf = mnist1d._generate_raw(MNIST1DArgs(num_samples=200, shuffle_seq=True))
    assert np.array_equal(base["y"], shuf["y"])
    # the column permutation is the last draw: every column reappears somewhere
    cols = [np.flatnonzero((base["x"] == shuf["x"][:, [j]]).all(0)) for j in range(40)]
    assert sorted(int(c[0]) for c in cols) == list(range(40))
    assert [int(c[0]) for c in cols] != list(range(40))


def test_sample_params_draw_order_and_ranges():
    args = MNIST1DArgs(padding=(5, 9), max_translation=7)
    p = mnist1d.sample_params(np.random.RandomState(0), 400, args)
    assert p["corr_noise"].shape == (400, args.internal_length) == p["white_noise"].shape
    assert set(np.unique(p["padding"])) == set(range(5, 10))
    assert set(np.unique(p["shift"])) == set(range(7))
    assert np.all(np.abs(p["scale"] - 1) <= args.scale_coeff / 2)
    rng = np.random.RandomState(0)  # sample 0 by hand, in the spec's order
    assert p["padding"][0] == 5 + int(rng.rand() * 5)
    assert p["scale"][0] == 1 + 0.4 * (rng.rand() - 0.5)
    assert p["shift"][0] == rng.randint(0, 7)
    assert np.array_equal(p["corr_noise"][0], 0.25 * rng.randn(args.internal_length))


BAD = [("num_samples", 0), ("num_samples", 9), ("num_samples", 10.5), ("train_split", 0.0),
       ("train_split", 1.0), ("padding", (5, 4)), ("padding", (-1, 4)), ("padding", (1, 2, 3)),
       ("padding", 7), ("scale_coeff", -0.1), ("corr_noise_scale", -1), ("iid_noise_scale", -1),
       ("shear_scale", -1), ("max_translation", 0), ("final_seq_length", 0), ("template_len", 0),
       ("seed", -1), ("shuffle_seq", "yes")]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_bad_args_raise_config_error(field, value):
    with pytest.raises(ConfigError) as err:
        MNIST1DArgs(**{field: value})
    assert "\n" not in str(err.value)


def test_args_are_hashable_and_padding_list_becomes_tuple():
    args = MNIST1DArgs(padding=[36, 60])
    assert args.padding == (36, 60) and args.is_default() and hash(args) == hash(MNIST1DArgs())
    assert not MNIST1DArgs(seed=1).is_default()
    assert MNIST1DArgs().internal_length == 72
