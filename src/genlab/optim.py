"""Optimizers as optax chains whose lr and weight decay are injected arrays (vmappable, differentiable)."""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from genlab.config import ConfigError

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "adagrad", "global_rms", "rmsprop")
SCHEDULES = ("constant", "cosine", "step", "warmup_cosine")


def schedule_fn(name: str, total_steps: int, *, warmup_steps: int = 0, step_every: int = 0,
                step_factor: float = 0.1):
    """Multiplier in [0, 1] as a function of the step: the lr's shape, separate from its scale."""
    if name == "constant":
        return lambda step: jnp.ones((), jnp.float32)
    if name in ("cosine", "warmup_cosine"):
        warm = warmup_steps if name == "warmup_cosine" else 0
        decay = max(total_steps - warm, 1)

        def cosine(step):
            s = jnp.asarray(step, jnp.float32)
            frac = jnp.clip((s - warm) / decay, 0.0, 1.0)
            cos = 0.5 * (1.0 + jnp.cos(jnp.pi * frac))
            return jnp.where(s < warm, (s + 1) / max(warm, 1), cos)
        return cosine
    if name == "step":
        every = step_every or max(total_steps // 3, 1)
        return lambda step: jnp.asarray(step_factor, jnp.float32) ** (step // every)
    raise ConfigError(f"unknown schedule {name!r}; choices: {', '.join(SCHEDULES)}")


def make_optimizer(name: str, schedule, *, momentum: float = 0.9, b1: float = 0.9,
                   b2: float = 0.999, eps: float = 1e-8):
    """optax GradientTransformation with injected hyperparameters `lr` and `weight_decay`.

    sgd/momentum/adam/adagrad use L2 weight decay added to the gradient (coupled, as in PyTorch);
    adamw decouples it. The schedule multiplies lr at every step. adagrad: per-coordinate
    g / sqrt(sum of past g^2) (Duchi et al. 2011, accumulator starting at 0). global_rms: gradient
    descent with ONE adaptive step for all parameters, the whole gradient divided by a running RMS
    of its global norm (Arora, Cohen, Hu & Luo 2019's optimizer for deep matrix factorization),
    with `b2` as that average's decay and `eps` added to the RMS (TrainSpec.rms_decay / rms_eps).
    rmsprop is jax.example_libraries' form: g / sqrt(v + eps), v = d*v + (1-d)*g^2 with v
    initialised to ones and the decay d given as `momentum` (the MNIST-1D meta-learning notebooks).
    """
    if name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; choices: {', '.join(OPTIMIZERS)}")

    def make(lr, weight_decay):
        scale_lr = optax.chain(optax.scale_by_schedule(schedule), optax.scale(-1.0),
                               _scale_by_array(lr))
        if name == "adamw":
            return optax.chain(optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
                               optax.add_decayed_weights(weight_decay), scale_lr)
        core = {"sgd": optax.identity(),
                "momentum": optax.trace(decay=momentum),
                "adam": optax.scale_by_adam(b1=b1, b2=b2, eps=eps),
                "adagrad": optax.scale_by_rss(initial_accumulator_value=0.0, eps=eps),
                "global_rms": scale_by_global_rms(decay=b2, eps=eps),
                "rmsprop": optax.scale_by_rms(decay=momentum, eps=eps, initial_scale=1.0)}[name]
        return optax.chain(optax.add_decayed_weights(weight_decay), core, scale_lr)

    return optax.inject_hyperparams(make)


def _scale_by_array(factor):
    # optax.scale wants a Python float in some versions; this keeps lr a traced array.
    def update(updates, state, params=None):
        del params
        return jax.tree.map(lambda u: u * jnp.asarray(factor, u.dtype), updates), state
    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


class GlobalRmsState(NamedTuple):
    count: jax.Array
    mean_square: jax.Array


def scale_by_global_rms(decay: float = 0.999, eps: float = 1e-8) -> optax.GradientTransformation:
    """g / sqrt(v_t) with v_t a bias-corrected running mean of ||g||^2 (one number for the whole
    pytree), so every coordinate keeps the gradient's direction; only the step length adapts."""
    def init(params):
        del params
        return GlobalRmsState(jnp.zeros((), jnp.int32), jnp.zeros((), jnp.float32))

    def update(updates, state, params=None):
        del params
        square = sum(jnp.sum(jnp.square(u)) for u in jax.tree.leaves(updates))
        count = state.count + 1
        mean_square = decay * state.mean_square + (1.0 - decay) * square
        corrected = mean_square / (1.0 - decay ** count.astype(jnp.float32))
        scale = 1.0 / (jnp.sqrt(corrected) + eps)
        return jax.tree.map(lambda u: u * scale.astype(u.dtype), updates), GlobalRmsState(count, mean_square)

    return optax.GradientTransformation(init, update)
