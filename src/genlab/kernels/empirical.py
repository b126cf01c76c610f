"""Empirical (finite-width) NTK: Jacobian inner products of any per-example network function."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp


def _blocks(x, size: int):
    """Zero-pad rows to a multiple of size and split: (n, ...) -> (n_blocks, size, ...)."""
    n_pad = -x.shape[0] % size
    x = jnp.concatenate([x, jnp.zeros((n_pad,) + x.shape[1:], x.dtype)])
    return x.reshape((-1, size) + x.shape[1:])


def _jacobians(out_fn, params, xs):
    """Per-example Jacobians of out_fn(params, x) -> (K,): a params-shaped pytree of (b, K, ...)."""
    return jax.vmap(jax.jacrev(out_fn), in_axes=(None, 0))(params, xs)


def _contract(jac1, jac2):
    """Σ_k Σ_p J1[i, k, p] J2[j, k, p] over all parameter leaves: (b1, b2)."""
    def leaf(a, b):
        a = a.reshape(a.shape[0], a.shape[1], -1)
        b = b.reshape(b.shape[0], b.shape[1], -1)
        return jnp.einsum("ikp,jkp->ij", a, b)
    return sum(jax.tree_util.tree_leaves(jax.tree_util.tree_map(leaf, jac1, jac2)))


@functools.partial(jax.jit, static_argnames=("apply_fn", "batch_size", "output_index"))
def empirical_ntk(apply_fn, params, x1, x2=None, *, batch_size: int = 32,
                  output_index: int | None = None):
    """Θ̂(x1_i, x2_j) = Σ_p ∂f(x1_i)/∂p · ∂f(x2_j)/∂p over every leaf of the params pytree.

    apply_fn(params, x) takes ONE example (x1[i]) and returns a scalar or a (K,) vector. For
    vector outputs, output_index picks one output; None sums Θ̂_kk over the K outputs (the
    trace; for an NTK-param net each Θ̂_kk estimates the same Θ, so divide by K for it).
    x1 (n1, ...), x2 (n2, ...) or None (= x1). Returns (n1, n2).

    Jacobians are formed batch_size examples at a time (memory ~2·batch_size·K·#params);
    the column blocks' Jacobians are recomputed for every row block. Jitted with apply_fn
    static (pass the same function object to reuse the compile); vmap it over params for an
    ensemble (see finite.mean_empirical_ntk).
    """
    x2 = x1 if x2 is None else x2
    n1, n2 = x1.shape[0], x2.shape[0]
    size = min(batch_size, max(n1, n2))

    def out_fn(p, x):
        out = jnp.reshape(apply_fn(p, x), (-1,))
        return out if output_index is None else out[output_index:output_index + 1]

    blocks2 = _blocks(x2, size)

    def row_block(xb1):
        jac1 = _jacobians(out_fn, params, xb1)
        cols = jax.lax.map(lambda xb2: _contract(jac1, _jacobians(out_fn, params, xb2)), blocks2)
        return jnp.transpose(cols, (1, 0, 2)).reshape(size, -1)  # (size, n_blocks2·size)

    rows = jax.lax.map(row_block, _blocks(x1, size))
    return rows.reshape(-1, rows.shape[-1])[:n1, :n2]
