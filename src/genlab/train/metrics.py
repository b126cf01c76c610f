"""Per-example losses and metrics; metric names are 'split/metric'."""
from __future__ import annotations

import jax
import jax.numpy as jnp

LOSSES = ("xent", "mse")


def per_example_loss(name: str, out: jax.Array, target: jax.Array) -> jax.Array:
    """out (K,), target: int label () for classification, or (K,)/() real target for regression."""
    if name == "xent":
        return -jax.nn.log_softmax(out)[target]
    if name == "mse":
        if jnp.issubdtype(target.dtype, jnp.integer):
            target = jax.nn.one_hot(target, out.shape[-1], dtype=out.dtype)
        return jnp.sum((out - target) ** 2)
    raise ValueError(f"unknown loss {name!r}")


def per_example_metrics(loss_name: str, out: jax.Array, target: jax.Array) -> dict:
    """loss, acc (1 if argmax is the label) and soft_error (1 - p(true class)) for one example."""
    metrics = {"loss": per_example_loss(loss_name, out, target)}
    if jnp.issubdtype(target.dtype, jnp.integer):
        probs = jax.nn.softmax(out)
        metrics["acc"] = (jnp.argmax(out) == target).astype(jnp.float32)
        metrics["soft_error"] = 1.0 - probs[target]
    return metrics
