"""Multilayer perceptrons: the MNIST-1D residual MLP, and plain MLPs for double descent."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.random as jr

from genlab.config import ConfigError
from genlab.models import activations, check_choice, check_int, make_dropout, register, split_key
from genlab.models.norm import NORMS, BatchNorm, with_running


@register("mlp")
class MLP(eqx.Module):
    """in -> width -> act, then `depth` hidden blocks at `width`, then -> num_outputs.

    residual=True (the MNIST-1D reference at the defaults: 15,210 parameters) makes each
    block h + act(W h + b); residual=False makes it act(W h + b), so depth=1 is the plain
    in -> width -> width -> out net of double-descent studies. Dropout follows every hidden
    layer (the stem and each block). norm="batch" puts a BatchNorm after each hidden Linear,
    before its activation, and drops that Linear's bias (the BatchNorm's shift replaces it); the
    weights are those of norm="none" at the same key. A training-mode call returns the running
    statistics (models/norm.py).
    """

    stem: eqx.nn.Linear
    blocks: tuple[eqx.nn.Linear, ...]
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout
    norms: tuple[BatchNorm, ...]
    activation: str = eqx.field(static=True)
    residual: bool = eqx.field(static=True)

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, width: int = 100,
        depth: int = 1, residual: bool = True, activation: str = "relu", dropout: float = 0.0,
        norm: str = "none",
    ):
        check_int("width", width)
        check_int("depth", depth, minimum=0)
        check_choice("norm", norm, NORMS)
        if not isinstance(residual, bool):
            raise ConfigError(f"residual must be a bool, got {residual!r}")
        activations.get(activation)
        self.activation, self.residual = activation, residual
        self.dropout = make_dropout(dropout)
        self.norms = tuple(BatchNorm(width) for _ in range(depth + 1)) if norm == "batch" else ()
        stem_key, readout_key, *block_keys = jr.split(key, depth + 2)
        bias = not self.norms  # before a BatchNorm a bias is redundant (its gradient is round-off)
        self.stem = eqx.nn.Linear(in_size, width, use_bias=bias, key=stem_key)
        self.blocks = tuple(eqx.nn.Linear(width, width, use_bias=bias, key=k) for k in block_keys)
        self.readout = eqx.nn.Linear(width, num_outputs, key=readout_key)

    def __call__(self, x: jax.Array, *, key=None, batch_axis=None):
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given. With
        batch_axis (training under a vmap of that name): (logits, self with updated running
        statistics)."""
        act = activations.get(self.activation)
        keys = split_key(key, len(self.blocks) + 1)
        running = []

        def hidden(i, z):  # Linear output -> [BatchNorm] -> activation
            if self.norms:
                z, stats = self.norms[i](z, batch_axis)
                running.append(stats)
            return act(z)
        h = self.dropout(hidden(0, self.stem(x)), key=keys[0], inference=key is None)
        for i, (block, k) in enumerate(zip(self.blocks, keys[1:])):
            branch = hidden(i + 1, block(h))
            h = h + branch if self.residual else branch
            h = self.dropout(h, key=k, inference=key is None)
        out = self.readout(h)
        return out if batch_axis is None else (out, with_running(self, running))
