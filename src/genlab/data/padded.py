"""Training-set size as a member axis: N stored examples padded to the group's largest N.

A PaddedSource draws exactly the batches a FiniteSource of its own n draws (same indices, same
order), so Real-World members of different N share one compiled program. Its permutation is
jax.random.permutation's sort-based shuffle, done on the padded length with the padding's sort
keys set to the maximum: the sort is stable and threefry bits are per-element (partitionable),
so the first n entries are bit-identical to permutation(key, n).
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab.config import check
from genlab.data.sources import BATCHING

_UINT32_MAX = np.uint32(np.iinfo(np.uint32).max)


def shuffle_rounds(n: int) -> int:
    """Sort rounds jax.random.permutation uses for n elements (its static heuristic)."""
    return int(np.ceil(3 * np.log(max(1, n)) / np.log(int(_UINT32_MAX))))


def padded_permutation(key, n, rounds, length: int, max_rounds: int):
    """permutation(key, n) in the first n of `length` entries (n, rounds: traced ints)."""
    position = jnp.arange(length)
    x = position
    for r in range(max_rounds):
        key, sub = jax.random.split(key)
        bits = jnp.where(position < n, jax.random.bits(sub, (length,), jnp.uint32), _UINT32_MAX)
        x = jnp.where(r < rounds, jax.lax.sort_key_val(bits, x)[1], x)
    return x


class PaddedSource(eqx.Module):
    """x, y: (N_max, ...) with the member's n real rows first; n, rounds: this member's (scalar
    arrays, stacked on the member axis by the caller). sizes: every member's n (static), so
    "some member starts an epoch at this step" is a real branch under vmap."""
    x: jax.Array
    y: jax.Array
    n: jax.Array
    rounds: jax.Array
    batch_size: int = eqx.field(static=True)
    batching: str = eqx.field(static=True, default="reshuffle")
    sizes: tuple = eqx.field(static=True, default=())

    def __check_init__(self):
        check(self.batching in BATCHING, f"unknown batching {self.batching!r}; choices: {', '.join(BATCHING)}")
        check(self.batching == "slices" or self.batch_size <= min(self.sizes),
              f"batch_size {self.batch_size} is larger than a training set ({min(self.sizes)})")

    @classmethod
    def of(cls, x, y, n: int, batch_size: int, batching: str, sizes: tuple):
        """One member: its n rows padded (with zeros) to max(sizes) rows."""
        pad = max(sizes) - n
        x = jnp.pad(jnp.asarray(x), [(0, pad)] + [(0, 0)] * (np.ndim(x) - 1))
        y = jnp.pad(jnp.asarray(y), [(0, pad)] + [(0, 0)] * (np.ndim(y) - 1))
        return cls(x, y, jnp.asarray(n, jnp.int32), jnp.asarray(shuffle_rounds(n), jnp.int32),
                   batch_size, batching, tuple(sizes))

    def _permutation(self, key):
        max_rounds = max(shuffle_rounds(s) for s in self.sizes)
        return padded_permutation(key, self.n, self.rounds, self.x.shape[0], max_rounds)

    def init(self, key):
        if self.batching == "slices":
            return jnp.zeros((), jnp.int32)
        return self._permutation(jax.random.fold_in(key, 0))

    def next(self, state, step, key):
        bs = self.batch_size
        if self.batching == "slices":
            idx = (step * bs + jnp.arange(bs)) % self.n
            return state, (self.x[idx], self.y[idx])
        per_epoch = jnp.maximum(self.n // bs, 1)
        epoch, i = step // per_epoch, step % per_epoch
        anyone = any_epoch_start(step, self.sizes, bs)  # unbatched: a real branch under vmap
        perm = jax.lax.cond(
            anyone,
            lambda: jnp.where((i == 0) & (step > 0), self._permutation(jax.random.fold_in(key, epoch)),
                              state),
            lambda: state)
        idx = jax.lax.dynamic_slice_in_dim(perm, i * bs, bs)
        return perm, (self.x[idx], self.y[idx])


def any_epoch_start(step, sizes: tuple, batch_size: int):
    """True at a step > 0 where the member of some size in `sizes` starts a new epoch."""
    starts = [step % max(s // batch_size, 1) == 0 for s in sorted(set(sizes))]
    return (step > 0) & jnp.any(jnp.stack(starts))
