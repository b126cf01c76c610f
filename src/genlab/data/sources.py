"""Where batches come from: FiniteSource(N) is the Real World; a StreamSource is the Ideal World.

A source is an eqx.Module with `init(key) -> state` and `next(state, step, key) -> (state, (x, y))`,
called inside the jitted step loop. `step` is shared by all members (not vmapped), so
`lax.cond` on it stays a real branch under vmap. The trainer knows nothing else about data.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from genlab.config import check

BATCHING = ("slices", "reshuffle")


class FiniteSource(eqx.Module):
    """N stored examples reused across epochs.

    batching="slices": the MNIST-1D reference's consecutive slices, wrapping around (no shuffle).
    batching="reshuffle": a fresh permutation each epoch (drop-last within an epoch).
    """
    x: jax.Array
    y: jax.Array
    batch_size: int = eqx.field(static=True)
    batching: str = eqx.field(static=True, default="reshuffle")

    def __check_init__(self):
        check(self.batching in BATCHING, f"unknown batching {self.batching!r}; choices: {', '.join(BATCHING)}")
        check(self.batch_size <= self.x.shape[0] or self.batching == "slices",
              f"batch_size {self.batch_size} is larger than the training set ({self.x.shape[0]})")

    @property
    def num_examples(self) -> int:
        return self.x.shape[0]

    def init(self, key):
        if self.batching == "slices":
            return jnp.zeros((), jnp.int32)
        return jax.random.permutation(jax.random.fold_in(key, 0), self.num_examples)

    def next(self, state, step, key):
        n, bs = self.num_examples, self.batch_size
        if self.batching == "slices":
            idx = (step * bs + jnp.arange(bs)) % n
            return state, (self.x[idx], self.y[idx])
        per_epoch = max(n // bs, 1)
        epoch, i = step // per_epoch, step % per_epoch
        perm = jax.lax.cond(
            (i == 0) & (step > 0),
            lambda: jax.random.permutation(jax.random.fold_in(key, epoch), n),
            lambda: state)
        idx = jax.lax.dynamic_slice_in_dim(perm, i * bs, bs) if bs <= n else perm[jnp.arange(bs) % n]
        return perm, (self.x[idx], self.y[idx])
