"""A small 1-D ResNet: conv stem, residual blocks of two k3 convs, global average pool."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.random as jr

from genlab.config import ConfigError
from genlab.models import activations, check_int, make_dropout, register
from genlab.models.conv import Conv1d


class ResidualBlock(eqx.Module):
    """act(shortcut(h) + conv2(act(conv1(h)))) on (L, channels) -> (ceil(L / stride), channels).

    At stride 2 the shortcut keeps every other position, a parameter-free match for conv1's
    output length (He et al.'s option A, here without any change of width).
    """

    conv1: Conv1d
    conv2: Conv1d
    stride: int = eqx.field(static=True)

    def __init__(self, channels: int, stride: int, *, key):
        key1, key2 = jr.split(key)
        self.conv1 = Conv1d(channels, channels, 3, stride=stride, padding=1, key=key1)
        self.conv2 = Conv1d(channels, channels, 3, padding=1, key=key2)
        self.stride = stride

    def __call__(self, h: jax.Array, act) -> jax.Array:
        return act(h[:: self.stride] + self.conv2(act(self.conv1(h))))


@register("resnet1d")
class ResNet1d(eqx.Module):
    """Conv(1->c, k3, p1) -> act -> `blocks` residual blocks at c channels -> mean over
    positions -> dropout -> Linear. With downsample=True every block after the first halves
    the length (40 -> 20 -> 10 ...). No normalization layers: every layer stays per-example
    and stateless. 12,874 parameters at the defaults.
    """

    stem: Conv1d
    blocks: tuple[ResidualBlock, ...]
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout
    activation: str = eqx.field(static=True)

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, channels: int = 32,
        blocks: int = 2, downsample: bool = True, activation: str = "relu", dropout: float = 0.0,
    ):
        check_int("channels", channels)
        check_int("blocks", blocks, minimum=0)
        if not isinstance(downsample, bool):
            raise ConfigError(f"downsample must be a bool, got {downsample!r}")
        activations.get(activation)
        self.activation = activation
        self.dropout = make_dropout(dropout)
        stem_key, readout_key, *block_keys = jr.split(key, blocks + 2)
        self.stem = Conv1d(1, channels, 3, padding=1, key=stem_key)
        strides = [2 if downsample and i > 0 else 1 for i in range(blocks)]
        self.blocks = tuple(ResidualBlock(channels, s, key=k) for s, k in zip(strides, block_keys))
        self.readout = eqx.nn.Linear(channels, num_outputs, key=readout_key)

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given."""
        act = activations.get(self.activation)
        h = act(self.stem(x[:, None]))  # (in_size, channels): channels last
        for block in self.blocks:
            h = block(h, act)
        h = self.dropout(h.mean(axis=0), key=key, inference=key is None)
        return self.readout(h)
