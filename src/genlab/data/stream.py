"""The Ideal World (Nakkiran et al., Deep Bootstrap, ICLR 2021): a fresh MNIST-1D batch every step.

StreamSource draws `mnist1d_jax.sample(fold_in(key, step), batch_size, args)` inside the jitted
step loop, standardized with the frozen set's fixed constants (never batch statistics), so the
Real World's N stored samples and the Ideal World's batches come from one distribution.
"""
from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab import rng
from genlab.data import mnist1d_jax
from genlab.data.mnist1d import NUM_CLASSES, MNIST1DArgs

_NOISE_STREAM = rng.stream_id("label_noise")
_CHUNK = 2000  # draw_split's fixed chunk size


def noisy_labels(key, y, p, kind: str = "uniform"):
    """Replace each label with probability p: by a uniform class (kind "uniform", as
    genlab.data.corrupt; about 0.9 p change) or by a uniform *wrong* class (kind "wrong", the Deep
    Bootstrap's noisy distribution: a fraction p changes). y (n,) int32 -> (n,) int32; p traced,
    kind static."""
    k_replace, k_class = jax.random.split(key)
    replace = jax.random.uniform(k_replace, y.shape) < p
    if kind == "wrong":
        other = (y + jax.random.randint(k_class, y.shape, 1, NUM_CLASSES)) % NUM_CLASSES
    else:
        other = jax.random.randint(k_class, y.shape, 0, NUM_CLASSES)
    return jnp.where(replace, other, y).astype(y.dtype)


def draw(key, n: int, args: MNIST1DArgs, label_noise=0.0, noise_kind: str = "uniform"):
    """n fresh samples: x (n, final_seq_length) float32 standardized with the frozen constants,
    y (n,) int32; labels of the *distribution* are noisy with probability label_noise
    (noise_kind: see noisy_labels)."""
    x, y = mnist1d_jax.sample(key, n, args)
    y = noisy_labels(jax.random.fold_in(key, _NOISE_STREAM), y, label_noise, noise_kind)
    return x, y


@functools.partial(jax.jit, static_argnums=(1, 2, 4))
def _draw_jit(key, n, args, label_noise, noise_kind):
    return draw(key, n, args, label_noise, noise_kind)


def draw_split(seed: int, split: str, n: int, args: MNIST1DArgs, label_noise: float = 0.0,
               noise_kind: str = "uniform"):
    """A fixed sample of the distribution: key stream `split` ("train" / "test") under `seed`.
    Returns NumPy (x (n, L) float32, y (n,) int32). Drawn in fixed-size chunks (one compile for
    any n; sample i depends only on (seed, split, i), so a smaller n is a prefix of a larger one)."""
    key = rng.stream(int(seed), split)
    parts = [_draw_jit(jax.random.fold_in(key, i), _CHUNK, args, jnp.float32(label_noise),
                     noise_kind)
             for i in range(-(-n // _CHUNK))]
    x = np.concatenate([np.asarray(p[0]) for p in parts])[:n]
    return x, np.concatenate([np.asarray(p[1]) for p in parts])[:n].astype(np.int32)


class StreamSource(eqx.Module):
    """Fresh i.i.d. batches forever: step t of a member with data key k draws from fold_in(k, t).

    label_noise is an array so members with different noise levels can be stacked and vmapped.
    """
    args: MNIST1DArgs = eqx.field(static=True)
    batch_size: int = eqx.field(static=True)
    label_noise: jax.Array
    noise_kind: str = eqx.field(static=True)

    def __init__(self, args: MNIST1DArgs, batch_size: int, label_noise=0.0, noise_kind="uniform"):
        self.args, self.batch_size, self.noise_kind = args, batch_size, noise_kind
        self.label_noise = jnp.asarray(label_noise, jnp.float32)

    def init(self, key):
        del key
        return jnp.zeros((), jnp.int32)  # stateless: the step number is the only state needed

    def next(self, state, step, key):
        return state, draw(jax.random.fold_in(key, step), self.batch_size, self.args, self.label_noise,
                            self.noise_kind)
