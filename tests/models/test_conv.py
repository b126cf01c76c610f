"""genlab's channels-last Conv1d computes eqx.nn.Conv1d (PyTorch's conv) with the same parameters."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab.models.conv import Conv1d


@pytest.mark.parametrize("c_in,c_out,kernel,stride,padding,length",
                         [(1, 4, 5, 2, 1, 40), (3, 5, 3, 2, 1, 20), (3, 2, 3, 1, 1, 11),
                          (2, 3, 4, 3, 0, 17)])
def test_conv1d_matches_equinox_conv(c_in, c_out, kernel, stride, padding, length):
    ours = Conv1d(c_in, c_out, kernel, stride=stride, padding=padding, key=jax.random.PRNGKey(0))
    ref = eqx.nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=padding,
                        key=jax.random.PRNGKey(1))
    ref = eqx.tree_at(lambda m: (m.weight, m.bias), ref, (ours.weight, ours.bias))
    x = jnp.asarray(np.random.default_rng(0).normal(size=(c_in, length)), jnp.float32)
    expected = ref(x)  # (C_out, L_out), channels first
    got = ours(x.T)  # channels last
    assert got.shape == expected.T.shape
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected.T), rtol=1e-5, atol=1e-6)
    # the gradients agree too (the backward pass is where the layout matters for speed)
    g_ours = jax.grad(lambda w: jnp.sum(jnp.sin(eqx.tree_at(lambda m: m.weight, ours, w)(x.T))))(ours.weight)
    g_ref = jax.grad(lambda w: jnp.sum(jnp.sin(eqx.tree_at(lambda m: m.weight, ref, w)(x))))(ours.weight)
    np.testing.assert_allclose(np.asarray(g_ours), np.asarray(g_ref), rtol=1e-4, atol=1e-5)
