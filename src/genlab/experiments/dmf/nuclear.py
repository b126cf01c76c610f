"""Nuclear-norm minimization baseline (convex): min ||X||_* s.t. |X_ij - W*_ij| <= tol on observed entries."""
from __future__ import annotations

import numpy as np

TOLERANCE = 1e-3


def minimize_nuclear_norm(size: int, indices: np.ndarray, values: np.ndarray,
                          tolerance: float = TOLERANCE) -> np.ndarray:
    """The minimizer X (size, size) found by cvxpy with the SCS solver (Gunasekar et al.'s
    conjectured limit of depth-2 gradient descent from small init). indices (m, 2), values (m,)."""
    import cvxpy as cp

    matrix = cp.Variable((size, size))
    observed = matrix[indices[:, 0], indices[:, 1]]
    constraints = [cp.abs(observed - values) <= tolerance]
    problem = cp.Problem(cp.Minimize(cp.normNuc(matrix)), constraints)
    problem.solve(solver=cp.SCS, eps=1e-6, max_iters=20_000)
    if matrix.value is None:
        raise RuntimeError(f"SCS returned no solution (status {problem.status})")
    return np.asarray(matrix.value)


def solution_summary(solution: np.ndarray, target: np.ndarray, indices: np.ndarray) -> dict:
    """test/loss (MSE over all entries), train/loss (MSE on observed), the largest constraint
    violation, nuclear norm, effective rank and top singular values of the minimizer."""
    from genlab.data.matrices import effective_rank

    singular = np.linalg.svd(solution, compute_uv=False)
    rows, cols = indices[:, 0], indices[:, 1]
    residual = solution[rows, cols] - target[rows, cols]
    out = {"test/loss": float(np.mean((solution - target) ** 2)),
           "train/loss": float(np.mean(residual ** 2)),
           "train/max_violation": float(np.max(np.abs(residual))),
           "matrix/nuclear_norm": float(singular.sum()),
           "matrix/effective_rank": float(effective_rank(singular))}
    out.update({f"sv/{i + 1}": float(s) for i, s in enumerate(singular[:10])})
    return out
