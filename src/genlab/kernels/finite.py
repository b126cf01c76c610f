"""NTK-parameterized finite MLPs and 1-D conv nets: Monte Carlo checks of the analytic kernels.

Weights are stored raw, W, β ~ N(0, 1); each layer computes (w_std/√fan_in)·W h + b_std·β, so
as width -> ∞ the output's covariance is the NNGP and the Jacobian inner product is the NTK of
genlab.kernels.fc / conv1d with the same depth, w_std, b_std. Networks act on ONE example.
"""
from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp

from genlab.kernels.conv1d import READOUTS
from genlab.kernels.empirical import empirical_ntk

ARCHS = ("fc", "conv1d")


def _draw(key, shapes: list) -> list:
    """Standard normal arrays of the given shapes from ONE draw: each separate threefry call
    adds ~1 s of CPU compile time under vmap, and tests build many nets."""
    sizes = [math.prod(shape) for shape in shapes]
    flat = jax.random.normal(key, (sum(sizes),))
    ends = [sum(sizes[:i + 1]) for i in range(len(sizes))]
    return [flat[end - size:end].reshape(shape) for end, size, shape in zip(ends, sizes, shapes)]


def init_fc(key, in_dim: int, width: int, depth: int, out_dim: int = 1, *,
            w_std: float = 2**0.5, b_std: float = 0.0) -> list:
    """`depth` Dense layers in_dim -> width -> ... -> out_dim as [{"w": (out, in), "b": (out,)}].

    Draws are N(0, 1) whatever w_std, b_std (taken so init and apply read the same settings):
    the NTK parameterization puts the scales in apply_fc.
    """
    del w_std, b_std
    dims = [in_dim] + [width] * (depth - 1) + [out_dim]
    shapes = []
    for fan_in, fan_out in itertools.pairwise(dims):
        shapes += [(fan_out, fan_in), (fan_out,)]
    arrays = _draw(key, shapes)
    return [{"w": w, "b": b} for w, b in zip(arrays[::2], arrays[1::2])]


def apply_fc(params: list, x, *, w_std: float = 2**0.5, b_std: float = 0.0):
    """One example x (any shape, flattened to in_dim) -> () if out_dim == 1 else (out_dim,)."""
    h = jnp.reshape(x, (-1,))
    for i, layer in enumerate(params):
        if i > 0:
            h = jax.nn.relu(h)
        h = w_std / h.shape[0] ** 0.5 * (layer["w"] @ h) + b_std * layer["b"]
    return h[0] if h.shape[0] == 1 else h


def init_conv1d(key, in_channels: int, width: int, depth: int, *, filter_size: int = 3,
                out_dim: int = 1, readout: str = "gap", length: int | None = None) -> dict:
    """`depth` Conv1d(width) layers + a Dense readout: {"conv": [{"w": (k, C_in, width),
    "b": (width,)}], "readout": {"w": (out_dim, fan_in), "b": (out_dim,)}}; fan_in = width for
    "gap", length·width for "flatten" (length required then)."""
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    if readout == "flatten" and length is None:
        raise ValueError("readout='flatten' needs length")
    fan_in = width if readout == "gap" else length * width
    shapes = []
    for i in range(depth):
        shapes += [(filter_size, in_channels if i == 0 else width, width), (width,)]
    arrays = _draw(key, shapes + [(out_dim, fan_in), (out_dim,)])
    conv = [{"w": w, "b": b} for w, b in zip(arrays[:-2:2], arrays[1:-2:2])]
    return {"conv": conv, "readout": {"w": arrays[-2], "b": arrays[-1]}}


def apply_conv1d(params: dict, x, *, w_std: float = 2**0.5, b_std: float = 0.0,
                 readout: str = "gap"):
    """One example x (L, C) or (L,) -> () if out_dim == 1 else (out_dim,). "SAME" zero padding,
    stride 1, ReLU after every conv, then global average pooling or flatten, then Dense."""
    h = x[:, None] if x.ndim == 1 else x
    for layer in params["conv"]:
        k, c_in, _ = layer["w"].shape
        out = jax.lax.conv_general_dilated(h[None], layer["w"], (1,), "SAME",
                                           dimension_numbers=("NWC", "WIO", "NWC"))[0]
        h = jax.nn.relu(w_std / (k * c_in) ** 0.5 * out + b_std * layer["b"][None, :])
    h = jnp.mean(h, axis=0) if readout == "gap" else jnp.reshape(h, (-1,))
    w, b = params["readout"]["w"], params["readout"]["b"]
    out = w_std / h.shape[0] ** 0.5 * (w @ h) + b_std * b
    return out[0] if out.shape[0] == 1 else out


def make_net(key, x_shape: tuple, *, width: int, depth: int, arch: str = "fc",
             w_std: float = 2**0.5, b_std: float = 0.0, filter_size: int = 3,
             readout: str = "gap"):
    """Fresh scalar-output net for examples of shape x_shape: (params, apply_fn(params, x))."""
    if arch == "fc":
        params = init_fc(key, math.prod(x_shape), width, depth)
        return params, lambda p, x: apply_fc(p, x, w_std=w_std, b_std=b_std)
    if arch == "conv1d":
        channels = 1 if len(x_shape) == 1 else x_shape[1]
        params = init_conv1d(key, channels, width, depth, filter_size=filter_size,
                             readout=readout, length=x_shape[0])
        return params, lambda p, x: apply_conv1d(p, x, w_std=w_std, b_std=b_std,
                                                 readout=readout)
    raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")


def sample_outputs(key, x, *, n_models: int, models_per_batch: int | None = None,
                   **net_kwargs):
    """Outputs of n_models independent random nets (make_net kwargs) on x (n, ...): (n_models, n).
    Their covariance over models estimates the NNGP. Nets are drawn models_per_batch at a time
    (vmapped; None = all at once): memory ~ models_per_batch · #params."""
    def one(k):
        params, apply_fn = make_net(k, x.shape[1:], **net_kwargs)
        return jax.vmap(apply_fn, in_axes=(None, 0))(params, x)
    keys = jax.random.split(key, n_models)
    return jax.lax.map(one, keys, batch_size=models_per_batch or n_models)


def mean_empirical_ntk(key, x1, x2=None, *, width: int, depth: int, n_models: int,
                       arch: str = "fc", w_std: float = 2**0.5, b_std: float = 0.0,
                       filter_size: int = 3, readout: str = "gap", batch_size: int = 32,
                       models_per_batch: int | None = None):
    """Empirical NTK (n1, n2) averaged over n_models random inits, vmapped over keys
    (models_per_batch at a time to bound memory; None = all at once)."""
    net_kwargs = {"width": width, "depth": depth, "arch": arch, "w_std": w_std,
                  "b_std": b_std, "filter_size": filter_size, "readout": readout}

    def one(k):
        params, apply_fn = make_net(k, x1.shape[1:], **net_kwargs)
        return empirical_ntk(apply_fn, params, x1, x2, batch_size=batch_size)

    keys = jax.random.split(key, n_models)
    return jnp.mean(jax.lax.map(one, keys, batch_size=models_per_batch or n_models), axis=0)
