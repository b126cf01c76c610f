"""Kernel regression, GD dynamics in function space, NNGP posterior, target helpers."""
import jax
import jax.numpy as jnp
import numpy as np

from genlab.kernels import (
    accuracy,
    fc_kernel,
    gd_prediction,
    kernel_regression,
    nngp_posterior,
    one_hot_targets,
)


def _problem(n_train=12, n_test=5, classes=3):
    """float64 NTK Grams of a small random problem (call inside jax.enable_x64)."""
    x = jax.random.normal(jax.random.key(0), (n_train + n_test, 6), dtype=jnp.float64)
    gram = fc_kernel(x, depth=3, b_std=0.1)
    labels = jax.random.randint(jax.random.key(1), (n_train,), 0, classes)
    y = one_hot_targets(labels, classes)
    return gram[:n_train, :n_train], y, gram[n_train:, :n_train]


def test_ridgeless_regression_interpolates():
    with jax.enable_x64(True):
        k_tt, y, _ = _problem()
        np.testing.assert_allclose(kernel_regression(k_tt, y, k_tt), y, atol=1e-8)
        ridged = kernel_regression(k_tt, y, k_tt, ridge=1.0)
    assert np.abs(ridged - y).max() > 1e-3  # a ridge shrinks the fit


def test_gd_limits_are_initial_outputs_and_kernel_regression():
    with jax.enable_x64(True):
        k_tt, y, k_st = _problem()
        f0_train = jax.random.normal(jax.random.key(2), y.shape, dtype=jnp.float64)
        f0_test = jax.random.normal(jax.random.key(3), (k_st.shape[0], y.shape[1]),
                                    dtype=jnp.float64)
        start = gd_prediction(k_tt, y, k_st, t=0.0, f0_train=f0_train, f0_test=f0_test)
        end = gd_prediction(k_tt, y, k_st, t=jnp.inf)
        end_f0 = gd_prediction(k_tt, y, k_st, t=jnp.inf, f0_train=f0_train, f0_test=f0_test)
        regression = kernel_regression(k_tt, y, k_st)
        # With initial outputs the limit regresses the residual and adds back f0.
        regression_f0 = f0_test + kernel_regression(k_tt, y - f0_train, k_st)
    np.testing.assert_allclose(start, f0_test, atol=1e-12)
    np.testing.assert_allclose(end, regression, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(end_f0, regression_f0, rtol=1e-7, atol=1e-9)


def test_gd_matches_euler_steps_in_function_space():
    # Linearized GD on genlab's mse (mean over n of Σ_k (f - y)²) with a small lr: each step is
    # f <- f - (2 lr / n) Θ (f - y) on train and the same Θ* ·(f - y) move on test.
    with jax.enable_x64(True):
        k_tt, y, k_st = _problem()
        n, steps = k_tt.shape[0], 400
        lr = 0.01 * n / (2 * float(jnp.linalg.eigvalsh(k_tt)[-1]))  # step · λ_max = 0.01
        f_train, f_test = jnp.zeros_like(y), jnp.zeros((k_st.shape[0], y.shape[1]))
        for _ in range(steps):
            residual = f_train - y
            f_train, f_test = (f_train - 2 * lr / n * k_tt @ residual,
                               f_test - 2 * lr / n * k_st @ residual)
        flow, f_test = np.asarray(gd_prediction(k_tt, y, k_st, t=steps, lr=lr)), np.asarray(f_test)
    # Euler's global error is O(step·λ) = 1% of the distance travelled.
    np.testing.assert_allclose(flow, f_test, atol=0.01 * np.abs(f_test).max())


def test_nngp_posterior_mean_and_variance():
    with jax.enable_x64(True):
        k_tt, y, k_st = _problem()
        mean = nngp_posterior(k_tt, y, k_st)
        np.testing.assert_allclose(mean, kernel_regression(k_tt, y, k_st), rtol=1e-9)
        _, train_var = nngp_posterior(k_tt, y, k_tt, k_ss_diag=jnp.diagonal(k_tt))
        x = jax.random.normal(jax.random.key(0), (17, 6), dtype=jnp.float64)
        prior = jnp.diagonal(fc_kernel(x, depth=3, b_std=0.1))[12:]
        _, test_var = nngp_posterior(k_tt, y, k_st, noise=0.1, k_ss_diag=prior)
        test_var, prior = np.asarray(test_var), np.asarray(prior)
    np.testing.assert_allclose(train_var, 0.0, atol=1e-8)  # noiseless: train points are known
    assert np.all(test_var > 0) and np.all(test_var < prior)


def test_targets_and_accuracy():
    labels = jnp.array([0, 2, 1, 2])
    centered = one_hot_targets(labels, 3)
    np.testing.assert_allclose(jnp.sum(centered, axis=1), 0.0, atol=1e-7)
    np.testing.assert_allclose(one_hot_targets(labels, 3, centered=False),
                               jax.nn.one_hot(labels, 3))
    assert float(accuracy(centered, labels)) == 1.0
    assert float(accuracy(centered, jnp.array([0, 2, 1, 0]))) == 0.75
