"""A learnable activation a(x) = ELU(x) + scale·g(x), g a 1-H-1 tanh MLP, and the noisy one-hidden-
layer MLP it is meta-learned in (Greydanus & Kobak 2024, MNIST-1D activation notebook)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from genlab.models import activations

PARAM_NAMES = ("w_in", "b_in", "w_out", "b_out")


class LearnedActivation(eqx.Module):
    """Elementwise a(x) = elu(x) + scale * (w_out · tanh(w_in x + b_in) + b_out); keeps x's shape."""
    w_in: jax.Array
    b_in: jax.Array
    w_out: jax.Array
    b_out: jax.Array
    scale: float = eqx.field(static=True)

    def __init__(self, *, key, hidden: int = 100, scale: float = 0.2):
        # eqx.nn.Linear's init (uniform ±1/sqrt(fan_in)) for the 1 -> hidden -> 1 net
        first, second = eqx.nn.Linear(1, hidden, key=key), eqx.nn.Linear(hidden, 1, key=jr.fold_in(key, 1))
        self.w_in, self.b_in = first.weight[:, 0], first.bias
        self.w_out, self.b_out = second.weight[0], second.bias[0]
        self.scale = scale

    def __call__(self, x: jax.Array) -> jax.Array:
        return jax.nn.elu(x) + self.scale * self.bump(x)

    def bump(self, x: jax.Array) -> jax.Array:
        """g(x), the learned part."""
        shape = (1,) * x.ndim + (-1,)  # explicit broadcast: x (...) against the hidden axis
        hidden = jnp.tanh(x[..., None] * self.w_in.reshape(shape) + self.b_in.reshape(shape))
        return hidden @ self.w_out + self.b_out


def params_of(act: LearnedActivation) -> dict:
    return {name: np.asarray(getattr(act, name)) for name in PARAM_NAMES}


def from_params(params: dict, *, scale: float = 0.2) -> LearnedActivation:
    return from_arrays(*(jnp.asarray(params[n], jnp.float32) for n in PARAM_NAMES), scale=scale)


def register_frozen(params: dict, *, scale: float = 0.2) -> str:
    """Freeze a learned activation into the activations registry (so any registry model can use
    it by name, e.g. activation="learned-1a2b3c4d"); the name hashes the parameters."""
    digest = hashlib.sha256(b"".join(np.asarray(params[n], np.float32).tobytes()
                                     for n in PARAM_NAMES)).hexdigest()[:8]
    name = f"learned-{digest}"
    act = from_params(params, scale=scale)
    activations.register(name, lambda x: act(x))
    return name


class FixedActivation(eqx.Module):
    """A registry activation by name, as a module (no parameters), so it can sit where a
    LearnedActivation does."""
    name: str = eqx.field(static=True)

    def __call__(self, x: jax.Array) -> jax.Array:
        return activations.get(self.name)(x)


def from_arrays(w_in, b_in, w_out, b_out, *, scale: float = 0.2) -> LearnedActivation:
    """A LearnedActivation holding exactly these (possibly traced) arrays."""
    act = LearnedActivation(key=jr.PRNGKey(0), hidden=w_in.shape[0], scale=scale)
    return eqx.tree_at(lambda a: [a.w_in, a.b_in, a.w_out, a.b_out], act, [w_in, b_in, w_out, b_out])


class NoisyMLP(eqx.Module):
    """in -> width -> activation (+ uniform ±noise on the hidden units when called with a key)
    -> num_outputs. `activation` is any callable; a LearnedActivation's parameters are leaves."""
    hidden: eqx.nn.Linear
    readout: eqx.nn.Linear
    activation: Callable
    noise: float = eqx.field(static=True)

    def __init__(self, activation: Callable, *, key, in_size: int = 40, width: int = 128,
                 num_outputs: int = 10, noise: float = 0.1):
        first, second = jr.split(key)
        self.hidden = eqx.nn.Linear(in_size, width, key=first)
        self.readout = eqx.nn.Linear(width, num_outputs, key=second)
        self.activation, self.noise = activation, noise

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        h = self.activation(self.hidden(x))
        if key is not None and self.noise:
            h = h + jr.uniform(key, h.shape, h.dtype, -self.noise, self.noise)
        return self.readout(h)
