"""Elementwise activation functions by name: `get("gelu")(x)` keeps x's shape."""
from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from genlab.config import ConfigError


def identity(x: jax.Array) -> jax.Array:
    return x


def gelu(x: jax.Array) -> jax.Array:
    # The exact erf form, as PyTorch's default; jax.nn.gelu defaults to the tanh approximation.
    return jax.nn.gelu(x, approximate=False)


_ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "gelu": gelu,
    "tanh": jnp.tanh,
    "elu": jax.nn.elu,
    "swish": jax.nn.silu,
    "silu": jax.nn.silu,
    "identity": identity,
    "softplus": jax.nn.softplus,
    "sigmoid": jax.nn.sigmoid,
}


def register(name: str, fn: Callable[[jax.Array], jax.Array]) -> None:
    """Add an activation under a new name (e.g. a frozen learned one); same name, same function."""
    if name in _ACTIVATIONS and _ACTIVATIONS[name] is not fn and not name.startswith("learned-"):
        raise ValueError(f"activation {name!r} registered twice")
    _ACTIVATIONS[name] = fn


def names() -> list[str]:
    return sorted(_ACTIVATIONS)


def get(name: str) -> Callable[[jax.Array], jax.Array]:
    """The activation called `name` (swish and silu are the same function)."""
    if name not in _ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; choices: {', '.join(names())}")
    return _ACTIVATIONS[name]
