"""Infinite-width FC kernels: closed forms, exact diagonal, PSD, float64 reference, Monte Carlo."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab.kernels import fc_kernel, sample_outputs


def _inputs(n, d, seed=0):
    return jax.random.normal(jax.random.key(seed), (n, d))


def _numpy_fc(x1, x2, depth, w_std, b_std):
    """Textbook float64 recursion (arccos of the clipped cosine) -> (nngp, ntk)."""
    d, w2, b2 = x1.shape[1], w_std**2, b_std**2
    sigma = w2 * x1 @ x2.T / d + b2
    q1, q2 = w2 * np.sum(x1**2, 1) / d + b2, w2 * np.sum(x2**2, 1) / d + b2
    ntk = sigma.copy()
    for _ in range(depth - 1):
        norm = np.sqrt(np.outer(q1, q2))
        theta = np.arccos(np.clip(sigma / norm, -1.0, 1.0))
        sigma = w2 * norm * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi) + b2
        ntk = ntk * w2 * (np.pi - theta) / (2 * np.pi) + sigma
        q1, q2 = w2 * q1 / 2 + b2, w2 * q2 / 2 + b2
    return sigma, ntk


@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_depth_one_is_the_scaled_input_covariance(kind):
    x1, x2 = _inputs(5, 7), _inputs(4, 7, seed=1)
    got = fc_kernel(x1, x2, depth=1, w_std=1.3, b_std=0.4, kind=kind)
    want = 1.3**2 * x1 @ x2.T / 7 + 0.4**2
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_one_relu_layer_nngp_is_the_arc_cosine_kernel():
    # Cho & Saul (2009) order 1: E_w[relu(w·u) relu(w·v)] = ‖u‖‖v‖(sin θ + (π-θ) cos θ) / 2π
    # for w ~ N(0, I); here u, v are the first layer's pre-activation "features".
    x1, x2 = np.asarray(_inputs(6, 5), np.float64), np.asarray(_inputs(3, 5, seed=1), np.float64)
    w_std, b_std = 1.1, 0.3
    cov = w_std**2 * x1 @ x2.T / 5 + b_std**2
    n1 = np.sqrt(w_std**2 * np.sum(x1**2, 1) / 5 + b_std**2)
    n2 = np.sqrt(w_std**2 * np.sum(x2**2, 1) / 5 + b_std**2)
    theta = np.arccos(cov / np.outer(n1, n2))
    arc = np.outer(n1, n2) * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi)
    got = fc_kernel(x1, x2, depth=2, w_std=w_std, b_std=b_std, kind="nngp")
    np.testing.assert_allclose(got, w_std**2 * arc + b_std**2, rtol=1e-5)


@pytest.mark.parametrize("kind", ["nngp", "ntk"])
@pytest.mark.parametrize("depth", [2, 5])
def test_gram_is_symmetric_and_psd(kind, depth):
    x = _inputs(30, 10)
    x = x.at[1].set(x[0] + 1e-4)  # a near-duplicate: the hardest case for the angle
    gram = np.asarray(fc_kernel(x, depth=depth, b_std=0.2, kind=kind), np.float64)
    np.testing.assert_allclose(gram, gram.T, rtol=1e-6)
    evals = np.linalg.eigvalsh(gram)
    assert evals.min() >= -1e-6 * evals.max()


@pytest.mark.parametrize("w_std,b_std", [(2**0.5, 0.0), (1.7, 0.5)])
def test_diagonal_is_exact(w_std, b_std):
    # K(x, x) follows the scalar recursion q <- w²q/2 + b², Θ <- Θ·w²/2 + q (θ = 0 exactly);
    # a clipped-arccos angle would be off by ~√eps ≈ 3e-4 here (float32).
    x = _inputs(8, 40)
    q = w_std**2 * jnp.sum(x**2, axis=1) / 40 + b_std**2
    ntk = q
    for depth in range(1, 7):
        if depth > 1:
            q = w_std**2 * q / 2 + b_std**2
            ntk = ntk * w_std**2 / 2 + q
        if depth not in (1, 3, 6):  # each depth is a compile; these cover the recursion
            continue
        np.testing.assert_allclose(jnp.diagonal(fc_kernel(x, depth=depth, w_std=w_std,
                                                          b_std=b_std, kind="nngp")), q, rtol=3e-6)
        np.testing.assert_allclose(jnp.diagonal(fc_kernel(x, depth=depth, w_std=w_std,
                                                          b_std=b_std)), ntk, rtol=3e-6)
    if b_std == 0.0:  # w² = 2 preserves the norm: Σ_l(x, x) = 2‖x‖²/d at every layer
        np.testing.assert_allclose(q, 2 * jnp.sum(x**2, axis=1) / 40, rtol=1e-6)


def test_trailing_dims_are_flattened():
    x = jax.random.normal(jax.random.key(3), (4, 6, 2))
    np.testing.assert_array_equal(fc_kernel(x, depth=3), fc_kernel(x.reshape(4, 12), depth=3))


def test_float64_matches_numpy_reference():
    with jax.enable_x64(True):
        x1 = jax.random.normal(jax.random.key(0), (5, 6), dtype=jnp.float64)
        x2 = jax.random.normal(jax.random.key(1), (4, 6), dtype=jnp.float64)
        got = {kind: fc_kernel(x1, x2, depth=4, w_std=1.2, b_std=0.3, kind=kind)
               for kind in ("nngp", "ntk")}
    assert got["ntk"].dtype == jnp.float64
    nngp, ntk = _numpy_fc(np.asarray(x1), np.asarray(x2), 4, 1.2, 0.3)
    np.testing.assert_allclose(got["nngp"], nngp, rtol=1e-9)
    np.testing.assert_allclose(got["ntk"], ntk, rtol=1e-9)


def test_nngp_matches_monte_carlo_output_covariance():
    # 2000 nets of width 128: the covariance estimate of a Gaussian pair has standard error
    # √((K_ii K_jj + K_ij²)/S); we allow 4.5 SE (a false alarm ~1e-5 per entry) plus 3% for
    # the O(1/width) finite-width bias of a depth-3 net (depth 2 would have none).
    x, n_models = _inputs(4, 10), 2000
    out = sample_outputs(jax.random.key(7), x, n_models=n_models, models_per_batch=500,
                         width=128, depth=3, b_std=0.2)
    cov = np.asarray(out.T @ out / n_models)
    nngp = np.asarray(fc_kernel(x, depth=3, b_std=0.2, kind="nngp"))
    diag = np.diagonal(nngp)
    stderr = np.sqrt((np.outer(diag, diag) + nngp**2) / n_models)
    assert np.all(np.abs(cov - nngp) <= 4.5 * stderr + 0.03 * np.abs(nngp))


def test_one_recursion_family_equals_each_kernel_alone():
    from genlab.kernels import fc_kernels
    with jax.enable_x64(True):
        x1, x2 = (jnp.asarray(_inputs(6, 5, seed=s), jnp.float64) for s in (0, 1))
        family = fc_kernels(x1, x2, depths=(4, 1, 2), b_std=0.1)
        assert set(family) == {(k, d) for k in ("ntk", "nngp") for d in (1, 2, 4)}
        for (kind, depth), gram in family.items():
            want = _numpy_fc(np.asarray(x1), np.asarray(x2), depth, 2**0.5, 0.1)[kind == "ntk"]
            np.testing.assert_allclose(gram, want, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(gram, fc_kernel(x1, x2, depth=depth, kind=kind, b_std=0.1),
                                       rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError):
        fc_kernels(x1, depths=())
