"""Batch normalization for per-example models, its running statistics kept as model state.

A model with batch norm is still called on ONE example. In training mode the engine vmaps it over
the minibatch under the axis name BATCH_AXIS and passes `batch_axis=BATCH_AXIS`: each BatchNorm
then normalizes with the minibatch's statistics (`lax.pmean` over that axis) and the model
returns `(logits, itself with updated running statistics)`. Called without `batch_axis` (every
evaluation) it normalizes with the running statistics and returns the logits alone.

The running statistics live in `Running` nodes of the model pytree. `genlab.train` takes them out
of the parameters (`train.loop.split_running`): the optimizer never sees them (no gradient, no
weight decay); each member carries its own in the train state, replaced after every step by the
ones its training-mode call returned.
"""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax

BATCH_AXIS = "batch"  # the vmapped minibatch axis of a training step
NORMS = ("none", "batch")


class Running(eqx.Module):
    """Running statistics of one BatchNorm: per-channel mean and (unbiased) variance."""
    mean: jax.Array
    var: jax.Array


class BatchNorm(eqx.Module):
    """Normalize channels-last activations (..., C) per channel; affine weight (ones) and bias
    (zeros) are trained. Running statistics as PyTorch's BatchNorm1d: momentum 0.1, running
    variance unbiased, eps 1e-5; they start at mean 0, variance 1."""
    weight: jax.Array
    bias: jax.Array
    running: Running
    momentum: float = eqx.field(static=True)
    eps: float = eqx.field(static=True)

    def __init__(self, channels: int, *, momentum: float = 0.1, eps: float = 1e-5):
        self.weight, self.bias = jnp.ones((channels,)), jnp.zeros((channels,))
        self.running = Running(jnp.zeros((channels,)), jnp.ones((channels,)))
        self.momentum, self.eps = momentum, eps

    def __call__(self, h: jax.Array, batch_axis: str | None = None) -> tuple[jax.Array, Running]:
        """h (..., C) for one example -> (normalized h, running statistics after this call)."""
        shape = (1,) * (h.ndim - 1) + (-1,)  # per channel, broadcast over positions
        if batch_axis is None:
            mean, var, running = self.running.mean, self.running.var, self.running
        else:
            positions = tuple(range(h.ndim - 1))  # statistics over the batch and positions
            mean = lax.pmean(jnp.mean(h, axis=positions), batch_axis)
            var = lax.pmean(jnp.mean(jnp.square(h - mean.reshape(shape)), axis=positions),
                            batch_axis)
            count = lax.psum(1, batch_axis) * max(1, h.size // h.shape[-1])
            unbiased = var * count / jnp.maximum(count - 1, 1)
            m = self.momentum
            running = Running((1 - m) * self.running.mean + m * lax.stop_gradient(mean),
                              (1 - m) * self.running.var + m * lax.stop_gradient(unbiased))
        scale = (lax.rsqrt(var + self.eps) * self.weight).reshape(shape)
        return (h - mean.reshape(shape)) * scale + self.bias.reshape(shape), running


def with_running(model, running: list[Running]):
    """The model with its BatchNorms' (`model.norms`) running statistics replaced, in order."""
    if not running:
        return model
    return eqx.tree_at(lambda m: [n.running for n in m.norms], model, running)
