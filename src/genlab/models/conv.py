"""A 1-D convolution written as K shifted, strided slices and one einsum.

XLA:CPU runs lax.conv poorly for these tiny channel counts, and worse under vmap over
ensemble members (it becomes a grouped convolution): on 2 cores the reference CNN trained
~5x faster with this layer (see docs/BENCHMARKS.md). The parameters, their shapes and their
initialisation are those of eqx.nn.Conv1d (PyTorch's), so models and parameter counts are
unchanged.
"""
from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp


class Conv1d(eqx.Module):
    """(in_channels, L) -> (out_channels, L_out); weight (out, in, kernel), bias (out, 1)."""
    weight: jax.Array
    bias: jax.Array | None
    stride: int = eqx.field(static=True)
    padding: int = eqx.field(static=True)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, *, stride: int = 1,
                 padding: int = 0, use_bias: bool = True, key):
        wkey, bkey = jax.random.split(key)
        bound = 1.0 / math.sqrt(in_channels * kernel_size)
        shape = (out_channels, in_channels, kernel_size)
        self.weight = jax.random.uniform(wkey, shape, minval=-bound, maxval=bound)
        self.bias = (jax.random.uniform(bkey, (out_channels, 1), minval=-bound, maxval=bound)
                     if use_bias else None)
        self.stride, self.padding = stride, padding

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        kernel = self.weight.shape[-1]
        xp = jnp.pad(x, ((0, 0), (self.padding, self.padding)))
        length = (xp.shape[1] - kernel) // self.stride + 1
        span = self.stride * (length - 1) + 1
        cols = jnp.stack([xp[:, k:k + span:self.stride] for k in range(kernel)], axis=1)
        out = jnp.einsum("oik,ikl->ol", self.weight, cols)
        return out if self.bias is None else out + self.bias
