"""Per-batch augmentation inside the jitted step: random circular shifts and additive noise.

A source wrapper, so Real and Ideal World (or any source) get identical augmentation code.
"""
from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from genlab import rng

_STREAM = rng.stream_id("augment")


class Augmented(eqx.Module):
    """Wraps a source; each example gets a shift in [-max_shift, max_shift] and N(0, noise²) noise."""
    base: Any
    max_shift: int = eqx.field(static=True, default=0)
    noise: float = eqx.field(static=True, default=0.0)

    def init(self, key):
        return self.base.init(key)

    def next(self, state, step, key):
        state, (x, y) = self.base.next(state, step, key)
        k_shift, k_noise = jax.random.split(jax.random.fold_in(jax.random.fold_in(key, _STREAM), step))
        if self.max_shift > 0:
            shifts = jax.random.randint(k_shift, (x.shape[0],), -self.max_shift, self.max_shift + 1)
            x = jax.vmap(lambda row, s: jnp.roll(row, s, axis=0))(x, shifts)
        if self.noise > 0:
            x = x + self.noise * jax.random.normal(k_noise, x.shape, x.dtype)
        return state, (x, y)
