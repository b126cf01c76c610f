"""Training-set size as a member axis: N stored examples padded to the group's largest N.

A PaddedSource draws exactly the batches a FiniteSource of its own n draws (same indices, same
order), so Real-World members of different N share one compiled program.

Reshuffled batches are drawn ahead of training: epoch e's order is jax.random.permutation(
fold_in(key, e), n), as FiniteSource draws it at the epoch's first step, computed once per member
at its own n and kept as a (steps, batch_size) index table. Inside the program a step only reads
its row. (Drawing the permutation inside the program instead needs it at the padded length,
sorted for every member whenever any member starts an epoch: that made a padded program slower
than one program per N; docs/BENCHMARKS.md, `genlab bench n-axis`.)
"""
from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab.config import check
from genlab.data.sources import BATCHING


@functools.partial(jax.jit, static_argnums=(1, 2))
def _epoch_permutations(key, n: int, epochs: int):
    return jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n))(jnp.arange(epochs))


def reshuffle_order(key, n: int, batch_size: int, steps: int) -> np.ndarray:
    """(steps, batch_size) int32: the rows FiniteSource(n, batching="reshuffle") reads at each
    step under data key `key` (a fresh permutation each epoch, drop-last within an epoch)."""
    check(batch_size <= n, f"batch_size {batch_size} is larger than the training set ({n})")
    per_epoch = n // batch_size
    t = np.arange(max(steps, 1))
    perms = np.asarray(_epoch_permutations(key, n, int(t[-1] // per_epoch) + 1))
    cols = (t % per_epoch)[:, None] * batch_size + np.arange(batch_size)
    return perms[(t // per_epoch)[:, None], cols].astype(np.int32)


class PaddedSource(eqx.Module):
    """x, y: (N_max, ...) with the member's n real rows first; n: this member's (a scalar array,
    stacked on the member axis by the caller); order: reshuffle's (steps, batch_size) rows
    (reshuffle_order), None for slices. sizes: every member's n (static)."""
    x: jax.Array
    y: jax.Array
    n: jax.Array
    order: jax.Array | None
    batch_size: int = eqx.field(static=True)
    batching: str = eqx.field(static=True, default="reshuffle")
    sizes: tuple = eqx.field(static=True, default=())

    def __check_init__(self):
        check(self.batching in BATCHING, f"unknown batching {self.batching!r}; choices: {', '.join(BATCHING)}")
        check(self.batching == "slices" or self.batch_size <= min(self.sizes),
              f"batch_size {self.batch_size} is larger than a training set ({min(self.sizes)})")

    @classmethod
    def of(cls, x, y, n: int, batch_size: int, batching: str, sizes: tuple, key=None, steps: int = 0):
        """One member: its n rows padded (with zeros) to max(sizes) rows; reshuffle needs the
        member's data key and the run's steps (its batches are drawn here)."""
        pad = max(sizes) - n
        x = jnp.pad(jnp.asarray(x), [(0, pad)] + [(0, 0)] * (np.ndim(x) - 1))
        y = jnp.pad(jnp.asarray(y), [(0, pad)] + [(0, 0)] * (np.ndim(y) - 1))
        order = None
        if batching == "reshuffle":
            check(key is not None and steps > 0, "a reshuffled PaddedSource needs its data key and steps")
            order = jnp.asarray(reshuffle_order(key, n, batch_size, steps))
        return cls(x, y, jnp.asarray(n, jnp.int32), order, batch_size, batching, tuple(sizes))

    def init(self, key):
        del key
        return jnp.zeros((), jnp.int32)  # stateless: the step picks the batch

    def next(self, state, step, key):
        del key  # reshuffle's batches were drawn with it in `of`
        if self.batching == "slices":
            idx = (step * self.batch_size + jnp.arange(self.batch_size)) % self.n
        else:
            idx = self.order[step]
        return state, (self.x[idx], self.y[idx])
