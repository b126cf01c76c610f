"""Deep matrix factorization: W = W_depth ... W_1 of full-size square factors (Arora et al. 2019).

Not in the model registry: the registry's contract is a classifier x (in_size,) float ->
logits (num_outputs,) that fits random labels; this model's input is an integer (row, column)
index pair and its output is one entry of W, so the contract's tests do not apply to it.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from genlab.data.matrices import effective_rank
from genlab.models import check_int


class Factorization(eqx.Module):
    """factors[k] (size, size), Gaussian with std size**-1/2 each (end-to-end ||W||_F ~ sqrt(size));
    scale_init(s) multiplies each by s**(1/depth), so the end-to-end scale is s."""
    factors: tuple[jax.Array, ...]

    def __init__(self, *, key, size: int = 100, depth: int = 2):
        check_int("size", size)
        check_int("depth", depth)
        keys = jr.split(key, depth)
        self.factors = tuple(jr.normal(k, (size, size)) / jnp.sqrt(size) for k in keys)

    @property
    def depth(self) -> int:
        return len(self.factors)

    def matrix(self) -> jax.Array:
        """The end-to-end matrix W_depth ... W_1 (size, size)."""
        product = self.factors[0]
        for factor in self.factors[1:]:
            product = factor @ product
        return product

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x: (row, column) int pair -> (1,) entry. Under vmap over entries the product does not
        depend on x, so it is computed once per batch, not per entry."""
        del key
        return self.matrix()[x[0], x[1]][None]

    def scale_init(self, scale) -> Factorization:
        per_factor = jnp.asarray(scale, jnp.float32) ** (1.0 / self.depth)
        return eqx.tree_at(lambda m: m.factors, self, tuple(f * per_factor for f in self.factors))


def spectrum_probe(model: Factorization, top: int = 10) -> dict:
    """Trajectory measurements of the end-to-end matrix: top singular values sv/1..sv/top,
    nuclear norm, effective rank (Roy & Vetterli) and Frobenius norm."""
    singular = jnp.linalg.svd(model.matrix(), compute_uv=False)
    out = {f"sv/{i + 1}": singular[i] for i in range(min(top, singular.shape[0]))}
    out["matrix/nuclear_norm"] = jnp.sum(singular)
    out["matrix/effective_rank"] = effective_rank(singular)
    out["matrix/frobenius_norm"] = jnp.sqrt(jnp.sum(singular ** 2))
    return out
