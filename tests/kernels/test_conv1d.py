"""1-D CNTK / NNGP: reduction to FC at filter 1, blocking, PSD, float64 loops, wide conv nets."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab.kernels import conv1d_kernel, fc_kernel, mean_empirical_ntk


def _inputs(n, length, channels, seed=0):
    return jax.random.normal(jax.random.key(seed), (n, length, channels))


def _relu_moments(q1, q2, cov):
    """Textbook arc-cosine moments (float64 arccos): E relu·relu, E step·step."""
    norm = np.sqrt(q1 * q2)
    theta = np.arccos(np.clip(cov / norm, -1.0, 1.0))
    return (norm * (np.sin(theta) + (np.pi - theta) * np.cos(theta)) / (2 * np.pi),
            (np.pi - theta) / (2 * np.pi))


def _numpy_pair(x, y, depth, k, w_std, b_std, readout):
    """Position-by-position loops for one pair x, y (L, C) -> (nngp, ntk)."""
    length, channels = x.shape
    lo = (k - 1) // 2
    w2, b2 = w_std**2 / k, b_std**2
    post = x @ y.T / channels                              # E[h_i(x) h_j(y)] of layer 0
    grad = np.zeros((length, length))                      # Σ̇ ⊙ Θ carried into the next layer
    var_x, var_y = np.sum(x**2, 1) / channels, np.sum(y**2, 1) / channels
    for _ in range(depth):
        sigma, theta = np.full((length, length), b2), np.full((length, length), b2)
        new_x, new_y = np.full(length, b2), np.full(length, b2)
        for i in range(length):
            for j in range(length):
                for o in range(-lo, k - lo):
                    a, b = i + o, j + o
                    if 0 <= a < length and 0 <= b < length:
                        sigma[i, j] += w2 * post[a, b]
                        theta[i, j] += w2 * (post[a, b] + grad[a, b])
            for o in range(-lo, k - lo):
                if 0 <= i + o < length:
                    new_x[i] += w2 * var_x[i + o]
                    new_y[i] += w2 * var_y[i + o]
        post, step = _relu_moments(new_x[:, None], new_y[None, :], sigma)
        grad = step * theta
        var_x, var_y = new_x / 2, new_y / 2
    reduce = np.mean if readout == "gap" else (lambda m: np.mean(np.diagonal(m)))
    return w_std**2 * reduce(post) + b2, w_std**2 * reduce(post + grad) + b2


@pytest.mark.parametrize("readout", ["gap", "flatten"])
def test_filter_one_reduces_to_fc_between_positions(readout):
    # Filter 1: every position runs through the same FC net (depth conv layers + readout =
    # depth + 1 Dense layers, d = channels). GAP averages that FC kernel over all position
    # pairs (i, j); flatten's per-position readout weights keep only i == j.
    x1, x2 = _inputs(3, 6, 2), _inputs(4, 6, 2, seed=1)
    fc = fc_kernel(x1.reshape(-1, 2), x2.reshape(-1, 2), depth=3, b_std=0.3).reshape(3, 6, 4, 6)
    want = fc.mean(axis=(1, 3)) if readout == "gap" else \
        jnp.mean(jnp.diagonal(fc, axis1=1, axis2=3), axis=-1)
    got = conv1d_kernel(x1, x2, depth=2, filter_size=1, b_std=0.3, readout=readout)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_blocking_and_symmetry_do_not_change_the_gram():
    x = _inputs(7, 9, 1)[..., 0]  # (n, length) means one channel
    full = conv1d_kernel(x, x, depth=2, block_size=64)
    np.testing.assert_allclose(conv1d_kernel(x, depth=2, block_size=3), full, rtol=1e-6)
    np.testing.assert_allclose(conv1d_kernel(x, x, depth=2, block_size=2), full, rtol=1e-6)


@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_gram_is_symmetric_psd_with_exact_diagonal(kind):
    x = _inputs(12, 10, 2)
    gram = np.asarray(conv1d_kernel(x, depth=3, kind=kind), np.float64)
    np.testing.assert_allclose(gram, gram.T, rtol=1e-6)
    evals = np.linalg.eigvalsh(gram)
    assert evals.min() >= -1e-6 * evals.max()
    if kind == "nngp":  # flatten + filter 1 + w² = 2: every layer keeps Σ(x, x)_ii = 2‖x_i‖²/C
        flat = conv1d_kernel(x, depth=3, filter_size=1, readout="flatten", kind="nngp")
        want = 2 * jnp.mean(jnp.sum(x**2, axis=-1) / 2, axis=1)
        np.testing.assert_allclose(jnp.diagonal(flat), want, rtol=2e-6)


@pytest.mark.parametrize("readout", ["gap", "flatten"])
def test_float64_matches_numpy_loops(readout):
    with jax.enable_x64(True):
        x1 = jax.random.normal(jax.random.key(0), (3, 5, 2), dtype=jnp.float64)
        x2 = jax.random.normal(jax.random.key(1), (2, 5, 2), dtype=jnp.float64)
        got = {kind: conv1d_kernel(x1, x2, depth=2, w_std=1.3, b_std=0.2, readout=readout,
                                   kind=kind) for kind in ("nngp", "ntk")}
    assert got["ntk"].dtype == jnp.float64
    want = np.array([[_numpy_pair(a, b, 2, 3, 1.3, 0.2, readout) for b in np.asarray(x2)]
                     for a in np.asarray(x1)])
    np.testing.assert_allclose(got["nngp"], want[..., 0], rtol=1e-9)
    np.testing.assert_allclose(got["ntk"], want[..., 1], rtol=1e-9)


def test_cntk_matches_wide_conv_nets():
    # Mean empirical NTK of 3 width-256 NTK-param conv nets; measured relative Frobenius error
    # ~4% (64 channels: ~11%), so 10% is loose but still fails on any normalization slip.
    x = _inputs(4, 8, 2)
    analytic = conv1d_kernel(x, depth=2, b_std=0.2)
    empirical = mean_empirical_ntk(jax.random.key(1), x, width=256, depth=2, n_models=3,
                                   arch="conv1d", b_std=0.2, batch_size=4)
    err = jnp.linalg.norm(empirical - analytic) / jnp.linalg.norm(analytic)
    assert err < 0.10, f"relative Frobenius error {float(err):.3f}"


def test_one_pass_family_equals_each_kernel_alone():
    # conv1d_kernels computes every (kind, depth, readout) in one recursion; each must equal
    # the kernel computed on its own (same ops, so equal to float64 rounding).
    from genlab.kernels import conv1d_kernels
    with jax.enable_x64(True):
        x1 = jnp.asarray(_inputs(5, 7, 2), jnp.float64)
        x2 = jnp.asarray(_inputs(4, 7, 2, seed=3), jnp.float64)
        for pair in ((x1, None), (x1, x2)):
            family = conv1d_kernels(*pair, depths=(3, 1), readouts=("flatten", "gap"), b_std=0.2)
            assert set(family) == {(k, d, r) for k in ("ntk", "nngp") for d in (1, 3)
                                   for r in ("gap", "flatten")}
            for (kind, depth, readout), gram in family.items():
                alone = conv1d_kernel(*pair, depth=depth, kind=kind, readout=readout, b_std=0.2)
                np.testing.assert_allclose(gram, alone, rtol=1e-12, atol=1e-14)
        assert not np.allclose(family[("ntk", 1, "gap")], family[("ntk", 3, "gap")])
    with pytest.raises(ValueError):
        conv1d_kernels(x1, depths=(0, 2))
    with pytest.raises(ValueError):
        conv1d_kernels(x1, depths=(2,), readouts=("max",))
