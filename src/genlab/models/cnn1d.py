"""1-D convolutional nets: the MNIST-1D reference CNN and a two-layer net with pooling options."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from genlab.config import ConfigError
from genlab.models import activations, check_choice, check_int, make_dropout, register
from genlab.models.conv import Conv1d
from genlab.models.norm import NORMS, BatchNorm, with_running

POOLS = ("none", "stride", "max", "avg", "l2")


def conv_length(length: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a 1-D convolution (PyTorch/Equinox formula)."""
    return (length + 2 * padding - kernel) // stride + 1


def _check_length(length: int, in_size: int) -> None:
    if length < 1:
        raise ConfigError(f"in_size {in_size} is too short for this conv net (nothing left)")


def pool_pairs(h: jax.Array, kind: str) -> jax.Array:
    """Pool (L, C) -> (L // 2, C) (channels last, as `conv.Conv1d`) with windows of 2 at stride
    2 (a trailing odd position drops).

    l2 is the root mean square over the window, sqrt((a^2 + b^2) / 2), so that a constant
    signal passes through unchanged as it does for avg.
    """
    length, channels = h.shape
    windows = h[: length // 2 * 2].reshape(length // 2, 2, channels)
    if kind == "max":
        return windows.max(axis=1)
    if kind == "avg":
        return windows.mean(axis=1)
    mean_sq = (windows * windows).mean(axis=1)
    # sqrt has an infinite slope at 0 (common after ReLU): take it only where mean_sq > 0.
    positive = mean_sq > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, mean_sq, 1.0)), 0.0)


@register("cnn")
class CNN(eqx.Module):
    """Conv(1->c, k5, s2, p1) -> act -> Conv(c->c, k3, s2, p1) -> act -> Conv(c->c, k3, s2, p1)
    -> act -> flatten (channel-major, as PyTorch's view) -> dropout -> Linear.

    At the MNIST-1D defaults (in_size 40, channels 25) the flatten is 25 * 5 = 125 and the
    net has 5,210 parameters, as the reference. The convs are `conv.Conv1d`: eqx.nn.Conv1d's
    parameters and init, computed faster on CPU. norm="batch" puts a BatchNorm after each conv,
    before its activation, and drops the conv's bias (the BatchNorm's shift replaces it); the
    filters are those of norm="none" at the same key. A training-mode call returns the running
    statistics (models/norm.py).
    """

    convs: tuple[Conv1d, ...]
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout
    norms: tuple[BatchNorm, ...]
    activation: str = eqx.field(static=True)

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, channels: int = 25,
        activation: str = "relu", dropout: float = 0.0, norm: str = "none",
    ):
        check_int("channels", channels)
        check_choice("norm", norm, NORMS)
        activations.get(activation)
        self.activation = activation
        self.dropout = make_dropout(dropout)
        self.norms = tuple(BatchNorm(channels) for _ in range(3)) if norm == "batch" else ()
        specs = ((1, 5), (channels, 3), (channels, 3))  # (in channels, kernel); stride 2, pad 1
        length = in_size
        for _, kernel in specs:
            length = conv_length(length, kernel, 2, 1)
        _check_length(length, in_size)
        keys = jr.split(key, 4)
        self.convs = tuple(  # before a BatchNorm a bias is redundant (its gradient is round-off)
            Conv1d(c_in, channels, kernel, stride=2, padding=1, use_bias=not self.norms, key=k)
            for (c_in, kernel), k in zip(specs, keys[:3])
        )
        self.readout = eqx.nn.Linear(channels * length, num_outputs, key=keys[3])

    def __call__(self, x: jax.Array, *, key=None, batch_axis=None):
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given. With
        batch_axis (training under a vmap of that name): (logits, self with updated running
        statistics)."""
        act = activations.get(self.activation)
        h = x[:, None]  # (in_size, 1 channel): channels last
        running = []
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if self.norms:
                h, stats = self.norms[i](h, batch_axis)
                running.append(stats)
            h = act(h)
        h = self.dropout(h.T.reshape(-1), key=key, inference=key is None)  # channel-major
        out = self.readout(h)
        return out if batch_axis is None else (out, with_running(self, running))


@register("cnn_pool")
class PoolCNN(eqx.Module):
    """Conv(1->c, k3, p1) -> act -> P -> Conv(c->c, k3, p1) -> act -> P -> flatten -> dropout
    -> Linear, for comparing ways to downsample.

    pool: "none" (stride-1 convs, no pooling: flatten c * in_size), "stride" (stride-2 convs,
    no pooling), or "max" / "avg" / "l2" pooling with window 2, stride 2 (see `pool_pairs`).
    """

    convs: tuple[Conv1d, ...]
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout
    activation: str = eqx.field(static=True)
    pool: str = eqx.field(static=True)

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, channels: int = 20,
        pool: str = "max", activation: str = "relu", dropout: float = 0.0,
    ):
        check_int("channels", channels)
        check_choice("pool", pool, POOLS)
        activations.get(activation)
        self.activation, self.pool = activation, pool
        self.dropout = make_dropout(dropout)
        stride = 2 if pool == "stride" else 1
        length = in_size
        for _ in range(2):
            length = conv_length(length, 3, stride, 1)
            length = length // 2 if pool in ("max", "avg", "l2") else length
        _check_length(length, in_size)
        keys = jr.split(key, 3)
        self.convs = tuple(
            Conv1d(c_in, channels, 3, stride=stride, padding=1, key=k)
            for c_in, k in zip((1, channels), keys[:2])
        )
        self.readout = eqx.nn.Linear(channels * length, num_outputs, key=keys[2])

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given."""
        act = activations.get(self.activation)
        h = x[:, None]  # (in_size, 1 channel): channels last
        for conv in self.convs:
            h = act(conv(h))
            h = pool_pairs(h, self.pool) if self.pool in ("max", "avg", "l2") else h
        h = self.dropout(h.T.reshape(-1), key=key, inference=key is None)  # channel-major
        return self.readout(h)
