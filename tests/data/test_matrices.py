"""Matrix-completion problems, effective rank, and user arrays as engine data."""
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.data import arrays, matrices


def test_ground_truth_has_the_rank_and_unit_entry_rms():
    problem = matrices.MatrixProblem(size=30, rank=4, num_observed=200, seed=3)
    target = matrices.ground_truth(problem)
    singular = np.linalg.svd(target, compute_uv=False)
    assert target.shape == (30, 30)
    assert singular[3] > 1e-6 * singular[0] and singular[4] < 1e-10 * singular[0]
    np.testing.assert_allclose(np.sqrt(np.mean(target ** 2)), 1.0, rtol=1e-12)


def test_observed_entries_are_distinct_and_seeded():
    problem = matrices.MatrixProblem(size=12, rank=2, num_observed=100, seed=1)
    idx = matrices.observed_indices(problem)
    assert idx.shape == (100, 2) and idx.min() >= 0 and idx.max() < 12
    assert len({tuple(p) for p in idx}) == 100
    np.testing.assert_array_equal(idx, matrices.observed_indices(problem))
    other = matrices.observed_indices(matrices.MatrixProblem(12, 2, 100, seed=2))
    assert not np.array_equal(idx, other)


def test_entry_arrays_are_the_matrix_entries():
    problem = matrices.MatrixProblem(size=10, rank=2, num_observed=30, seed=0)
    d = matrices.entry_arrays(problem)
    assert d["x_test"].shape == (100, 2) and d["y_test"].shape == (100, 1)
    np.testing.assert_allclose(d["y"][:, 0], d["target"][d["x"][:, 0], d["x"][:, 1]], rtol=1e-6)
    np.testing.assert_allclose(d["y_test"].reshape(10, 10), d["target"], rtol=1e-6)


@pytest.mark.parametrize("rank", [1, 3, 5])
def test_effective_rank_of_a_rank_r_matrix_is_about_r(rank):
    equal = np.zeros(20)
    equal[:rank] = 2.5
    np.testing.assert_allclose(matrices.effective_rank(equal), rank, rtol=1e-6)
    problem = matrices.MatrixProblem(size=60, rank=rank, num_observed=10, seed=0)
    singular = np.linalg.svd(matrices.ground_truth(problem), compute_uv=False)
    assert 0.75 * rank <= matrices.effective_rank(singular) <= rank + 1e-6


def test_bad_problems_raise_config_error():
    with pytest.raises(ConfigError, match="rank"):
        matrices.MatrixProblem(size=10, rank=11)
    with pytest.raises(ConfigError, match="num_observed"):
        matrices.MatrixProblem(size=10, rank=2, num_observed=101)


def test_array_data_classification_and_regression():
    x = np.random.default_rng(0).normal(size=(8, 3))
    cls = arrays.array_data(x, np.array([0, 1, 2, 1, 0, 2, 2, 1]), x[:4], np.array([0, 4, 1, 1]))
    assert cls["task"] == "classification" and cls["num_outputs"] == 5 and cls["y"].dtype == np.int32
    reg = arrays.array_data(x, np.arange(8.0), x[:4], np.arange(4.0))
    assert reg["task"] == "regression" and reg["num_outputs"] == 1 and reg["y"].shape == (8, 1)
    source, evals = arrays.source_and_evals(reg)
    assert source.batch_size == 8 and evals["test"][1].shape == (4, 1)


def test_array_data_rejects_bad_input(tmp_path):
    x = np.zeros((4, 3))
    with pytest.raises(ConfigError, match="lengths"):
        arrays.array_data(x, np.zeros(3), x, np.zeros(4))
    with pytest.raises(ConfigError, match="differ"):
        arrays.array_data(x, np.zeros(4), np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ConfigError, match="integer labels or float"):
        arrays.array_data(x, np.array(["a"] * 4), x, np.array(["a"] * 4))
    np.savez(tmp_path / "d.npz", x=x, y=np.zeros(4))
    with pytest.raises(ConfigError, match="lacks x_test"):
        arrays.load_npz(tmp_path / "d.npz")
    with pytest.raises(ConfigError, match="no such file"):
        arrays.load_npz(tmp_path / "missing.npz")
