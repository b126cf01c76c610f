"""Finite MLPs for the ntk experiment: NTK-parameterized nets trained by full-batch gradient
descent on MSE (Jacot et al. 2018; Lee et al. 2019), and standard-parameterization nets trained
by full-batch Adam, one net per key (vmapped over seeds)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax

from genlab.kernels import apply_fc, init_fc

OPTIMIZERS = ("gd", "adam")


def mse(pred, y):
    """genlab's "mse": the mean over examples of Σ_k (f_k − y_k)². pred, y (n, K) -> ()."""
    return jnp.mean(jnp.sum((pred - y) ** 2, axis=-1))


def to_standard(params: list, w_std: float = 2**0.5) -> list:
    """Raw NTK-parameterized weights -> the same function in the standard parameterization:
    W_sp = (w_std/√fan_in)·W, zero biases (with b_std = 0 the NTK-side biases are inert). Only
    the gradients differ: in the NTK parameterization each layer's are scaled by w_std/√fan_in."""
    return [{"w": w_std / layer["w"].shape[1] ** 0.5 * layer["w"],
             "b": jnp.zeros_like(layer["b"])} for layer in params]


def apply_standard(params: list, x):
    """One example x (d,) -> (K,): Dense layers h ← W h + b with ReLU between them."""
    h = jnp.reshape(x, (-1,))
    for i, layer in enumerate(params):
        if i > 0:
            h = jax.nn.relu(h)
        h = layer["w"] @ h + layer["b"]
    return h


@functools.partial(jax.jit, static_argnames=("width", "depth", "steps", "evals", "optimizer"))
def train_nets(keys, x, y, x_test, lr, *, width: int, depth: int, steps: int, evals: int,
               optimizer: str):
    """Full-batch training of one `depth`-layer, `width`-wide ReLU MLP per key on the mse loss:
    "gd" = NTK parameterization + plain gradient descent, "adam" = standard parameterization +
    Adam (same init function). keys (S,), x (n, d), y (n, K), x_test (m, d), lr ().

    Returns (f0_train (S, n, K), test outputs at steps 0, T/evals, ..., T (S, evals+1, m, K),
    final train loss (S,), final train accuracy (S,)).
    """
    apply_fn = apply_fc if optimizer == "gd" else apply_standard
    opt = optax.sgd(lr) if optimizer == "gd" else optax.adam(lr)

    def outputs(params, inputs):
        return jax.vmap(apply_fn, in_axes=(None, 0))(params, inputs)

    def step(carry, _):
        params, state = carry
        grads = jax.grad(lambda p: mse(outputs(p, x), y))(params)
        updates, state = opt.update(grads, state, params)
        return (optax.apply_updates(params, updates), state), None

    def chunk(carry, _):
        carry = jax.lax.scan(step, carry, None, length=steps // evals)[0]
        return carry, outputs(carry[0], x_test)

    def one(key):
        params = init_fc(key, x.shape[1], width, depth, y.shape[1])
        params = params if optimizer == "gd" else to_standard(params)
        (final, _), test = jax.lax.scan(chunk, (params, opt.init(params)), None, length=evals)
        fit = outputs(final, x)
        acc = jnp.mean((jnp.argmax(fit, -1) == jnp.argmax(y, -1)).astype(fit.dtype))
        return (outputs(params, x), jnp.concatenate([outputs(params, x_test)[None], test]),
                mse(fit, y), acc)

    return jax.vmap(one)(keys)
