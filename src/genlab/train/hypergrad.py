"""Hypergradients: gradients of a meta-objective through a whole unrolled train() run, with respect
to any hyperparameter pytree, for M meta-members (seeds, starting points) in one vmapped program."""
from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

from genlab import rng
from genlab.train.loop import TrainSpec, train

# hyper keys train() itself consumes; every other key is for make_model (init scale, activation).
TRAINER_KEYS = ("lr", "weight_decay", "lr_steps")


def member_keys(seeds, *, noise: bool = False) -> dict:
    """Stacked key streams {init, data[, dropout]} for meta-members, shape (M, 2) each."""
    names = ("init", "data") + (("dropout",) if noise else ())
    return {n: jnp.stack([rng.stream(int(s), n) for s in seeds]) for n in names}


def trainer_hyper(hyper: dict) -> dict:
    """The hyperparameters train() reads; lr defaults to 1 (so "lr_steps" alone is the lr)."""
    dtype = jnp.result_type(*jax.tree.leaves(hyper)) if hyper else jnp.float32
    out = {"lr": hyper.get("lr", jnp.ones((), dtype)),
           "weight_decay": hyper.get("weight_decay", jnp.zeros((), dtype))}
    if "lr_steps" in hyper:
        out["lr_steps"] = hyper["lr_steps"]
    return out


def make_objective(make_model: Callable, source, spec: TrainSpec, *, last_steps: int | None = None,
                   evals: dict | None = None, frozen: Callable | None = None,
                   checkpoint: bool = False, dtype=None, constants: dict | None = None) -> Callable:
    """objective(hyper, keys) -> (meta_loss, final model): train from make_model(hyper, key) and
    average the minibatch training losses of all steps (or of the last `last_steps`).

    frozen(model) selects parameters the inner loop must not train; checkpoint=True stores one
    state per eval chunk for the backward pass (see train); dtype (e.g. float64) casts the model;
    constants (e.g. {"lr": 1e-2}) fill hyperparameters that hyper does not hold (not differentiated).
    """
    def objective(hyper, keys):
        model = make_model(hyper, keys["init"])
        if dtype is not None:
            model = jax.tree.map(lambda a: a.astype(dtype) if eqx.is_inexact_array(a) else a, model)
        final, hist = train(model, trainer_hyper({**(constants or {}), **hyper}), source, evals or {},
                            keys, spec, checkpoint=checkpoint, step_losses=True, frozen=frozen)
        losses = hist["train/step_loss"]
        losses = losses if last_steps is None else losses[-last_steps:]
        return jnp.mean(losses), final
    return objective


def hypergradient(objective: Callable) -> Callable:
    """jit(vmap(value_and_grad)): (hyper (M, ...), keys (M, ...)) -> ((loss (M,), model), grads)."""
    return eqx.filter_jit(jax.vmap(jax.value_and_grad(objective, has_aux=True)))


def meta_values(objective: Callable) -> Callable:
    """jit(vmap(objective)) without gradients: a landscape over M hyperparameter settings."""
    return eqx.filter_jit(jax.vmap(lambda h, k: objective(h, k)[0]))


def finite_difference(objective: Callable, hyper: dict, keys: dict, name: str,
                      epsilon: float) -> jax.Array:
    """Central difference of objective w.r.t. the scalar hyper[name] for one member."""
    def at(delta):
        return objective({**hyper, name: hyper[name] + delta}, keys)[0]
    return (at(epsilon) - at(-epsilon)) / (2 * epsilon)


def stack_members(hyper: dict, count: int) -> dict:
    """Broadcast one hyperparameter pytree to M identical members (leading axis)."""
    return jax.tree.map(lambda a: jnp.broadcast_to(a, (count,) + jnp.shape(a)), hyper)


def sqrt_chunk(steps: int) -> int:
    """The divisor of `steps` nearest sqrt(steps): the eval chunk that makes checkpointed
    memory grow like sqrt(steps) (one state per chunk + one chunk's residuals)."""
    divisors = [d for d in range(1, steps + 1) if steps % d == 0]
    return min(divisors, key=lambda d: (abs(d - steps ** 0.5), d))
