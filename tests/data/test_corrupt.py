"""Randomization-test corruptions (Zhang et al. 2017): rates, invariants, seeding."""
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.data import corrupt

N, D = 20_000, 40


@pytest.fixture
def labels():
    return np.random.default_rng(0).integers(0, 10, N)


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_corrupt_labels_realized_fraction(labels, p):
    y_new, realized = corrupt.corrupt_labels(labels, p, seed=1)
    assert y_new.dtype == labels.dtype and y_new.shape == labels.shape
    assert realized == np.mean(y_new != labels)
    q = 0.9 * p  # a replacement lands on the old class 1 time in 10
    sd = np.sqrt(q * (1 - q) / N)
    assert abs(realized - q) <= 5 * sd + 1e-12  # binomial, 5 standard deviations
    assert np.all((y_new >= 0) & (y_new < 10))


def test_random_labels_are_uniform_and_independent_of_truth(labels):
    y_new, realized = corrupt.random_labels(labels, seed=2)
    assert np.array_equal(y_new, corrupt.corrupt_labels(labels, 1.0, seed=2)[0])
    counts = np.bincount(y_new, minlength=10)
    assert np.abs(counts - N / 10).max() < 5 * np.sqrt(N * 0.1 * 0.9)
    assert abs(realized - 0.9) < 5 * np.sqrt(0.09 / N)


def test_corrupt_labels_rejects_bad_p(labels):
    with pytest.raises(ConfigError):
        corrupt.corrupt_labels(labels, 1.5, seed=0)


def _grid(n=50, d=D):
    """Row r, column c holds 1000 r + c: a value names its row and original position."""
    return (1000 * np.arange(n)[:, None] + np.arange(d)[None, :]).astype(np.float64)


def test_shuffled_pixels_one_permutation_for_train_and_test():
    x, x_test, y = _grid(), _grid(7) + 0.5, np.zeros(50, np.int64)
    out = corrupt.apply_condition("shuffled_pixels", x, y, x_test, seed=3)
    perm = corrupt.fixed_permutation(D, 3)
    assert not np.array_equal(perm, np.arange(D))
    assert np.array_equal(out["x"] % 1000, np.tile(perm, (50, 1)))
    assert np.array_equal(out["x_test"] % 1000, np.tile(perm, (7, 1)) + 0.5)
    assert out["y"] is y and out["realized_fraction"] == 0.0
    with pytest.raises(ConfigError):
        corrupt.shuffle_pixels(x, np.zeros(D, int))


def test_random_pixels_differ_per_row_and_keep_each_rows_values():
    x, x_test = _grid(), _grid(5)
    out = corrupt.apply_condition("random_pixels", x, np.zeros(50, int), x_test, seed=4)
    perms = out["x"] % 1000
    assert len({tuple(r) for r in perms}) == 50  # a fresh permutation per row
    assert np.array_equal(np.sort(out["x"], axis=1), x)  # each row: same multiset of values
    assert out["x_test"] is x_test


def test_gaussian_pixels_match_dataset_moments():
    x = np.random.default_rng(5).gamma(2.0, 1.5, (N, D)).astype(np.float32)
    g = corrupt.gaussian_pixels(x, seed=6)
    assert g.shape == x.shape and g.dtype == x.dtype
    se = x.std() / np.sqrt(x.size)
    assert abs(g.mean() - x.mean()) < 5 * se
    assert g.std() == pytest.approx(x.std(), rel=0.01)
    given = corrupt.gaussian_pixels(x[:10], seed=6, mean=3.0, std=0.0)
    assert np.all(given == 3.0)


@pytest.mark.parametrize("name", corrupt.CONDITIONS)
def test_conditions_are_seeded_and_pure(name):
    rng = np.random.default_rng(7)
    x, x_test, y = rng.normal(size=(200, D)), rng.normal(size=(30, D)), rng.integers(0, 10, 200)
    before = (x.copy(), x_test.copy(), y.copy())
    a = corrupt.apply_condition(name, x, y, x_test, seed=8, p=0.5)
    b = corrupt.apply_condition(name, x, y, x_test, seed=8, p=0.5)
    c = corrupt.apply_condition(name, x, y, x_test, seed=9, p=0.5)
    for k in ("x", "y", "x_test"):
        assert np.array_equal(a[k], b[k]), k
    assert all(np.array_equal(v, w) for v, w in zip(before, (x, x_test, y)))  # inputs untouched
    changed = not (np.array_equal(a["x"], c["x"]) and np.array_equal(a["y"], c["y"]))
    assert changed == (name != "true")
    if name != "shuffled_pixels":
        assert np.array_equal(a["x_test"], x_test)  # the test set stays clean


def test_generator_seed_is_accepted_and_advanced():
    y = np.arange(10).repeat(100)
    rng = np.random.default_rng(0)
    first, _ = corrupt.random_labels(y, rng)
    second, _ = corrupt.random_labels(y, rng)
    assert not np.array_equal(first, second)
    assert np.array_equal(first, corrupt.random_labels(y, np.random.default_rng(0))[0])


def test_unknown_condition_lists_choices():
    with pytest.raises(ConfigError, match="random_pixels"):
        corrupt.apply_condition("noise", np.zeros((2, 3)), np.zeros(2), np.zeros((1, 3)), seed=0)
