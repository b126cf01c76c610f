"""A small pre-norm Transformer encoder over positions (or patches) of the 1-D signal."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.random as jr

from genlab.config import ConfigError
from genlab.models import activations, check_int, make_dropout, register, split_key


class EncoderBlock(eqx.Module):
    """x + attn(ln(x)), then x + mlp(ln(x)) on tokens (T, dim); dropout on both branches."""

    norm1: eqx.nn.LayerNorm
    attention: eqx.nn.MultiheadAttention
    norm2: eqx.nn.LayerNorm
    mlp_in: eqx.nn.Linear
    mlp_out: eqx.nn.Linear

    def __init__(self, dim: int, heads: int, *, key):
        attn_key, in_key, out_key = jr.split(key, 3)
        self.norm1 = eqx.nn.LayerNorm(dim)
        self.attention = eqx.nn.MultiheadAttention(heads, dim, key=attn_key)
        self.norm2 = eqx.nn.LayerNorm(dim)
        self.mlp_in = eqx.nn.Linear(dim, 4 * dim, key=in_key)
        self.mlp_out = eqx.nn.Linear(4 * dim, dim, key=out_key)

    def __call__(self, x: jax.Array, act, dropout: eqx.nn.Dropout, *, key=None) -> jax.Array:
        keys = split_key(key, 2)
        y = jax.vmap(self.norm1)(x)
        x = x + dropout(self.attention(y, y, y), key=keys[0], inference=key is None)
        y = jax.vmap(self.norm2)(x)
        y = jax.vmap(self.mlp_out)(act(jax.vmap(self.mlp_in)(y)))
        return x + dropout(y, key=keys[1], inference=key is None)


@register("transformer")
class Transformer(eqx.Module):
    """Patches of `patch_size` positions -> Linear embed to `dim` + learned positions ->
    `layers` encoder blocks (`heads` heads, MLP 4 * dim) -> LayerNorm -> mean over tokens
    -> Linear. 26,890 parameters at the defaults (attention projections have no biases).
    """

    embed: eqx.nn.Linear
    position: jax.Array  # (tokens, dim)
    blocks: tuple[EncoderBlock, ...]
    norm: eqx.nn.LayerNorm
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout
    activation: str = eqx.field(static=True)
    patch_size: int = eqx.field(static=True)

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, dim: int = 32, layers: int = 2,
        heads: int = 4, patch_size: int = 1, activation: str = "relu", dropout: float = 0.0,
    ):
        for name, value in (("dim", dim), ("layers", layers), ("heads", heads)):
            check_int(name, value)
        check_int("patch_size", patch_size)
        if dim % heads or in_size % patch_size:
            raise ConfigError(
                f"dim ({dim}) must divide by heads ({heads}) and in_size ({in_size}) "
                f"by patch_size ({patch_size})"
            )
        activations.get(activation)
        self.activation, self.patch_size = activation, patch_size
        self.dropout = make_dropout(dropout)
        embed_key, pos_key, readout_key, *block_keys = jr.split(key, layers + 3)
        self.embed = eqx.nn.Linear(patch_size, dim, key=embed_key)
        # Small-normal positions, as ViT/GPT-2: large ones would swamp a 1-value patch.
        self.position = 0.02 * jr.normal(pos_key, (in_size // patch_size, dim))
        self.blocks = tuple(EncoderBlock(dim, heads, key=k) for k in block_keys)
        self.norm = eqx.nn.LayerNorm(dim)
        self.readout = eqx.nn.Linear(dim, num_outputs, key=readout_key)

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given."""
        act = activations.get(self.activation)
        patches = x.reshape(-1, self.patch_size)  # (tokens, patch_size)
        h = jax.vmap(self.embed)(patches) + self.position
        for block, k in zip(self.blocks, split_key(key, len(self.blocks))):
            h = block(h, act, self.dropout, key=k)
        h = jax.vmap(self.norm)(h).mean(axis=0)
        return self.readout(h)
