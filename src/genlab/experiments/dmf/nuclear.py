"""Nuclear-norm minimization baseline (convex): min ||X||_* s.t. |X_ij - W*_ij| <= tol on observed entries."""
from __future__ import annotations

import numpy as np

TOLERANCE = 1e-3
SCS_SIGINT = -5  # SCS's status value for a solve stopped by Ctrl-C


def minimize_nuclear_norm(size: int, indices: np.ndarray, values: np.ndarray,
                          tolerance: float = TOLERANCE) -> np.ndarray:
    """The minimizer X (size, size) found by cvxpy with the SCS solver (Gunasekar et al.'s
    conjectured limit of depth-2 gradient descent from small init). indices (m, 2), values (m,)."""
    import cvxpy as cp

    matrix = cp.Variable((size, size))
    observed = matrix[indices[:, 0], indices[:, 1]]
    constraints = [cp.abs(observed - values) <= tolerance]
    problem = cp.Problem(cp.Minimize(cp.normNuc(matrix)), constraints)
    # Solved through cvxpy's data / solve / unpack API rather than problem.solve: SCS handles
    # Ctrl-C itself (it stops with status SCS_SIGINT, which problem.solve reports as a generic
    # SolverError), and an interrupted sweep must stop, not record a failed run and go on.
    data, chain, inverse_data = problem.get_problem_data(cp.SCS)
    raw = chain.solver.solve_via_data(data, warm_start=False, verbose=False,
                                      solver_opts={"eps": 1e-6, "max_iters": 20_000})
    if raw.get("info", {}).get("status_val") == SCS_SIGINT:
        raise KeyboardInterrupt("SCS solve interrupted")
    problem.unpack_results(raw, chain, inverse_data)
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
    # Schatten-2/N quasi-norm^(2/N) for the depths a factorization is compared at (run.probe)
    out.update({f"matrix/schatten_{n}": float(np.sum(singular ** (2.0 / n))) for n in (1, 2, 3, 4)})
    return out
