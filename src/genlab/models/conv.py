"""A 1-D convolution on channels-last activations: K shifted, strided slices concatenated along
the channel axis (im2col) and one matmul.

Layout is what decides the speed on XLA:CPU at these tiny channel counts. With channels-last
(L, C) per example, the batch and member axes that vmap adds stay in front of (L, K*C), so the
forward matmul, both backward matmuls and the im2col's transpose need no data movement; the
earlier channels-first einsum ("oik,ikl->ol") spent ~65% of a CNN ensemble's step in layout
copies (transposes around every contraction; jax.profiler trace in docs/BENCHMARKS.md). lax.conv
is slower still here, and becomes a grouped convolution under vmap over members.
The parameters, their shapes and their initialisation are those of eqx.nn.Conv1d (PyTorch's:
weight (out, in, kernel)), so models and parameter counts are unchanged.
"""
from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp


class Conv1d(eqx.Module):
    """(L, in_channels) -> (L_out, out_channels), channels last; weight (out, in, kernel), bias
    (out, 1) as eqx.nn.Conv1d / PyTorch."""
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
        out_channels, _, kernel = self.weight.shape
        xp = jnp.pad(x, ((self.padding, self.padding), (0, 0)))
        length = (xp.shape[0] - kernel) // self.stride + 1
        span = self.stride * (length - 1) + 1
        cols = jnp.concatenate([xp[k:k + span:self.stride] for k in range(kernel)], axis=1)
        w = jnp.transpose(self.weight, (2, 1, 0)).reshape(-1, out_channels)  # (K * C_in, C_out)
        out = cols @ w
        return out if self.bias is None else out + self.bias.T  # (1, C_out)
