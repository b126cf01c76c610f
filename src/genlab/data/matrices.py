"""Low-rank matrix-completion problems: a ground truth W* and a uniform sample of observed entries."""
from __future__ import annotations

import dataclasses

import numpy as np

from genlab import rng
from genlab.config import check


@dataclasses.dataclass(frozen=True)
class MatrixProblem:
    """W* = U V^T / sqrt(rank) with standard Gaussian U, V (size x rank), rescaled so that its
    entries have RMS 1 (Arora, Cohen, Hu & Luo 2019); `num_observed` entries drawn uniformly
    without replacement. `seed` fixes both draws (streams "matrix" and "observed")."""
    size: int = 100
    rank: int = 5
    num_observed: int = 2000
    seed: int = 0

    def __post_init__(self):
        check(self.size > 1, f"size must be > 1, got {self.size}")
        check(0 < self.rank <= self.size, f"rank must be in [1, size], got {self.rank}")
        check(0 < self.num_observed <= self.size ** 2,
              f"num_observed must be in [1, size^2 = {self.size ** 2}], got {self.num_observed}")


def ground_truth(problem: MatrixProblem) -> np.ndarray:
    """W* (size, size) float64 of rank `rank`, entry RMS exactly 1."""
    gen = np.random.default_rng(rng.numpy_seed(problem.seed, "matrix"))
    left = gen.standard_normal((problem.size, problem.rank))
    right = gen.standard_normal((problem.size, problem.rank))
    target = left @ right.T / np.sqrt(problem.rank)
    return target / np.sqrt(np.mean(target ** 2))


def observed_indices(problem: MatrixProblem) -> np.ndarray:
    """(num_observed, 2) int32 (row, column) pairs, distinct, uniform over the size^2 entries."""
    gen = np.random.default_rng(rng.numpy_seed(problem.seed, "observed"))
    flat = gen.choice(problem.size ** 2, size=problem.num_observed, replace=False)
    return np.stack(np.divmod(flat, problem.size), axis=1).astype(np.int32)


def entry_arrays(problem: MatrixProblem) -> dict:
    """Matrix entries as regression data: x = (row, column) int32 pairs, y = the entry (., 1).

    Train = the observed entries; test = all size^2 entries (the reconstruction error), so the
    arrays plug into genlab.data.arrays like any other regression set (num_outputs 1).
    """
    target = ground_truth(problem)
    train = observed_indices(problem)
    rows, cols = np.divmod(np.arange(problem.size ** 2), problem.size)
    test = np.stack([rows, cols], axis=1).astype(np.int32)
    return {"x": train, "y": target[train[:, 0], train[:, 1]][:, None].astype(np.float32),
            "x_test": test, "y_test": target.reshape(-1, 1).astype(np.float32),
            "target": target}


def effective_rank(singular_values, eps: float = 1e-12):
    """Roy & Vetterli (2007): exp of the Shannon entropy of s / sum(s). Works on NumPy or JAX
    arrays; a rank-r matrix with equal singular values has effective rank exactly r."""
    xp = _namespace(singular_values)
    p = singular_values / (xp.sum(singular_values) + eps)
    return xp.exp(-xp.sum(xp.where(p > 0, p * xp.log(xp.maximum(p, eps)), 0.0)))


def _namespace(array):
    if isinstance(array, np.ndarray):
        return np
    import jax.numpy as jnp
    return jnp
