"""Kernel regression, gradient-descent dynamics in function space, and the NNGP posterior."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl


def one_hot_targets(y, num_classes: int, centered: bool = True):
    """Integer labels (n,) -> (n, K) regression targets; centered subtracts 1/K (zero-mean rows,
    the usual choice for MSE on classes)."""
    targets = jax.nn.one_hot(y, num_classes)
    return targets - 1.0 / num_classes if centered else targets


def accuracy(pred, y_labels):
    """Fraction of rows whose argmax matches the label: pred (n, K), y_labels (n,) -> ()."""
    return jnp.mean((jnp.argmax(pred, axis=-1) == y_labels).astype(pred.dtype))


def _cholesky(k, shift: float, jitter: float):
    """Lower Cholesky factor of k + (shift + jitter·mean diag k)·I."""
    diag = shift + jitter * jnp.mean(jnp.diagonal(k))
    return jnp.linalg.cholesky(k + diag * jnp.eye(k.shape[0], dtype=k.dtype))


def kernel_regression(k_train_train, y_train, k_test_train, *, ridge: float = 0.0,
                      jitter: float = 0.0):
    """K_* (K + ridge·I)⁻¹ y by Cholesky. k_train_train (n, n), y_train (n,) or (n, K),
    k_test_train (m, n) -> (m,) or (m, K). ridge 0 interpolates; jitter (relative to the mean
    diagonal) only rescues a numerically indefinite float32 Gram, it is not a regularizer."""
    chol = _cholesky(k_train_train, ridge, jitter)
    return k_test_train @ jsl.cho_solve((chol, True), y_train)


def gd_prediction(k_train_train, y_train, k_test_train, *, t, lr: float = 1.0,
                  f0_train=None, f0_test=None):
    """Outputs after t steps of full-batch gradient descent (continuous-time limit) on genlab's
    "mse" loss, mean_i Σ_k (f(x_i) - y_ik)², for a network whose NTK stays k (the linearized /
    infinite-width model): df/dt = -(2·lr/n)·Θ(f - y), so

        f_t(X*) = f0(X*) + Θ*ₓ Θ⁻¹ (I - e^{-(2·lr·t/n)Θ}) (y - f0(X)).

    Shapes as kernel_regression; f0_train (n, ...) / f0_test (m, ...) are the initial outputs
    (None = 0). t = 0 gives f0_test; t = jnp.inf gives kernel regression (needs Θ ≻ 0).
    Computed in Θ's eigenbasis; t may be traced (vmap over t for a learning curve).
    """
    n = k_train_train.shape[0]
    evals, evecs = jnp.linalg.eigh(k_train_train)
    evals = jnp.maximum(evals, 0.0)  # round-off can make a PSD Gram's smallest one negative
    rate = 2.0 * lr * t / n
    tiny = evals <= jnp.finfo(evals.dtype).tiny
    # (1 - e^{-rate·λ})/λ, with its λ -> 0 limit (rate): an unlearned direction moves linearly.
    gain = jnp.where(tiny, rate, -jnp.expm1(-rate * evals) / jnp.where(tiny, 1.0, evals))
    residual = y_train if f0_train is None else y_train - f0_train
    coef = evecs @ _scale_rows(gain, evecs.T @ residual)
    pred = k_test_train @ coef
    return pred if f0_test is None else f0_test + pred


def _scale_rows(scale, m):
    """scale (n,) times each row of m (n,) or (n, K), without implicit rank promotion."""
    return scale * m if m.ndim == 1 else scale[:, None] * m


def nngp_posterior(k_tt, y, k_st, *, noise: float = 0.0, k_ss_diag=None):
    """Gaussian-process posterior with prior covariance the NNGP and observation-noise variance
    `noise`. k_tt (n, n) train Gram, y (n,) or (n, K), k_st (m, n) test-train -> mean (m,) or
    (m, K) = k_st (k_tt + noise·I)⁻¹ y. With k_ss_diag (m,), the prior variances at the test
    points, returns (mean, posterior variance (m,))."""
    chol = _cholesky(k_tt, noise, 0.0)
    mean = k_st @ jsl.cho_solve((chol, True), y)
    if k_ss_diag is None:
        return mean
    half = jsl.solve_triangular(chol, k_st.T, lower=True)  # (n, m): L⁻¹ k_stᵀ
    return mean, k_ss_diag - jnp.sum(half**2, axis=0)
