"""The activation notebook's noise, as its forward_fn draws it: `h + .1*(2*torch.rand(*b1.shape)-1)`
with b1 of shape (1, H), i.e. ONE uniform ±noise vector per forward pass, shared by every example
of the batch (a random offset per step), added after the activation; the same line runs inside g
(its 1-100-1 tanh net is built by the same forward_fn) and at test time.

genlab's inner loop hands the model one example at a time, so the per-step vectors travel with the
batch: NoisySource appends them to every row of x (the same values on each row), and SharedNoiseMLP
splits a row into (input, hidden-unit noise, g's noise)."""
from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from genlab import rng
from genlab.data.sources import FiniteSource
from genlab.models import learned

NOISE_TAG = 7_919  # fold_in tag that separates the noise stream from the data key's batching use
G_HIDDEN = 100     # g's hidden units (learned.LearnedActivation's default)


class NoisySource(eqx.Module):
    """A FiniteSource whose batches carry this step's shared noise: x (B, D) -> (B, D + size),
    the last `size` columns one uniform ±noise draw, the same on every row."""
    inner: FiniteSource
    size: int = eqx.field(static=True)
    noise: float = eqx.field(static=True)

    @property
    def num_examples(self) -> int:
        return self.inner.num_examples

    def init(self, key):
        return self.inner.init(key)

    def next(self, state, step, key):
        state, (x, y) = self.inner.next(state, step, key)
        draw = jr.uniform(jr.fold_in(jr.fold_in(key, NOISE_TAG), step), (self.size,), x.dtype,
                          -self.noise, self.noise)
        return state, (with_noise(x, draw), y)


def with_noise(x: jax.Array, draw: jax.Array) -> jax.Array:
    """x (B, D) with one noise vector appended to every row."""
    return jnp.concatenate([x, jnp.broadcast_to(draw, (x.shape[0], draw.shape[0]))], axis=1)


def noise_size(width: int, learned_act: bool) -> int:
    """Columns a row carries: the hidden units' noise, and g's when the activation is learned."""
    return width + (G_HIDDEN if learned_act else 0)


def test_inputs(x: jax.Array, key, width: int, learned_act: bool, noise: float) -> jax.Array:
    """Test inputs with the notebook's test-time noise: one draw for the whole evaluation."""
    size = noise_size(width, learned_act)
    return with_noise(x, jr.uniform(key, (size,), x.dtype, -noise, noise))


def test_keys(seeds) -> jax.Array:
    """One test-noise key per member (the same at every outer step, as the notebook's reseeded RNG)."""
    return jnp.stack([rng.stream(int(s), "test_noise") for s in seeds])


def activate(act: Callable, x: jax.Array, g_noise: jax.Array) -> jax.Array:
    """a(x) with g's hidden units offset by g_noise (a learned activation); a fixed one ignores it."""
    if not isinstance(act, learned.LearnedActivation):
        return act(x)
    shape = (1,) * x.ndim + (-1,)
    hidden = jnp.tanh(x[..., None] * act.w_in.reshape(shape) + act.b_in.reshape(shape))
    return jax.nn.elu(x) + act.scale * ((hidden + g_noise.reshape(shape)) @ act.w_out + act.b_out)


class SharedNoiseMLP(eqx.Module):
    """in -> width -> a -> (+ the row's hidden-unit noise) -> num_outputs; initialised exactly as
    learned.NoisyMLP. A row is (input, hidden noise [width], g's noise [100, learned a only])."""
    hidden: eqx.nn.Linear
    readout: eqx.nn.Linear
    activation: Callable
    in_size: int = eqx.field(static=True)

    def __init__(self, activation: Callable, *, key, in_size: int = 40, width: int = 128,
                 num_outputs: int = 10):
        first, second = jr.split(key)
        self.hidden = eqx.nn.Linear(in_size, width, key=first)
        self.readout = eqx.nn.Linear(width, num_outputs, key=second)
        self.activation, self.in_size = activation, in_size

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        width = self.hidden.out_features
        inp, h_noise = x[:self.in_size], x[self.in_size:self.in_size + width]
        h = activate(self.activation, self.hidden(inp), x[self.in_size + width:]) + h_noise
        return self.readout(h)
