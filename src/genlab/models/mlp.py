"""Multilayer perceptrons: the MNIST-1D residual MLP, and plain MLPs for double descent."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.random as jr

from genlab.config import ConfigError
from genlab.models import activations, check_int, make_dropout, register, split_key


@register("mlp")
class MLP(eqx.Module):
    """in -> width -> act, then `depth` hidden blocks at `width`, then -> num_outputs.

    residual=True (the MNIST-1D reference at the defaults: 15,210 parameters) makes each
    block h + act(W h + b); residual=False makes it act(W h + b), so depth=1 is the plain
    in -> width -> width -> out net of double-descent studies. Dropout follows every hidden
    layer (the stem and each block).
    """

    stem: eqx.nn.Linear
    blocks: tuple[eqx.nn.Linear, ...]
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout
    activation: str = eqx.field(static=True)
    residual: bool = eqx.field(static=True)

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, width: int = 100,
        depth: int = 1, residual: bool = True, activation: str = "relu", dropout: float = 0.0,
    ):
        check_int("width", width)
        check_int("depth", depth, minimum=0)
        if not isinstance(residual, bool):
            raise ConfigError(f"residual must be a bool, got {residual!r}")
        activations.get(activation)
        self.activation, self.residual = activation, residual
        self.dropout = make_dropout(dropout)
        stem_key, readout_key, *block_keys = jr.split(key, depth + 2)
        self.stem = eqx.nn.Linear(in_size, width, key=stem_key)
        self.blocks = tuple(eqx.nn.Linear(width, width, key=k) for k in block_keys)
        self.readout = eqx.nn.Linear(width, num_outputs, key=readout_key)

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given."""
        act = activations.get(self.activation)
        keys = split_key(key, len(self.blocks) + 1)
        h = self.dropout(act(self.stem(x)), key=keys[0], inference=key is None)
        for block, k in zip(self.blocks, keys[1:]):
            branch = act(block(h))
            h = h + branch if self.residual else branch
            h = self.dropout(h, key=k, inference=key is None)
        return self.readout(h)
