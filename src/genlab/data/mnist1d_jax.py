"""MNIST-1D in jax.numpy: a jit-able sampler of fresh examples (the "Ideal World" stream)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from genlab.config import ConfigError
from genlab.data import mnist1d
from genlab.data.mnist1d import (
    EPS,
    FROZEN_MEAN,
    FROZEN_STD,
    NUM_CLASSES,
    SIGMA,
    TRUNCATE,
    MNIST1DArgs,
)

_TEMPLATES_X = mnist1d.templates()["x"]  # (10, 12) float64; cast per call
DEFAULT_ARGS = MNIST1DArgs()


def sample_params(key, n: int, args: MNIST1DArgs = DEFAULT_ARGS, *, dtype=jnp.float32) -> dict:
    """Per-sample parameters with the meanings of mnist1d.sample_params (own jax.random stream):
    padding, shift (n,) int32; scale, shear (n,); corr_noise, white_noise (n, L).

    Two draws in all (uniforms, normals): each jax.random call costs ~0.2 s of XLA compile on CPU.
    """
    lo, hi = args.padding
    key_u, key_z = jax.random.split(key)
    u = jax.random.uniform(key_u, (4, n), dtype)
    z = jax.random.normal(key_z, (2, n, args.internal_length), dtype)
    return {
        "padding": _uniform_int(u[0], lo, hi + 1),
        "scale": 1 + args.scale_coeff * (u[1] - 0.5),
        "shift": _uniform_int(u[2], 0, args.max_translation),
        "corr_noise": args.corr_noise_scale * z[0],
        "white_noise": args.iid_noise_scale * z[1],
        "shear": args.shear_scale * (u[3] - 0.5),
    }


def _uniform_int(u, lo: int, hi: int):
    """lo + int(u * (hi - lo)), as the reference draws padding: uniform on {lo, ..., hi - 1}.
    min() guards float rounding of u * (hi - lo) up to the excluded end."""
    return jnp.minimum(lo + jnp.floor(u * (hi - lo)).astype(jnp.int32), hi - 1)


def _place(template_rows, params, args: MNIST1DArgs):
    """Steps 1-5 (pad, resample, scale, shift): (n, m) -> (n, L); exactly 0 on the padding.

    Output j reads the resampled signal at s = (j - shift) mod L, i.e. at fractional index
    f = s * (m + p - 1) / (L - 1) of the padded vector (template, then zeros). Splitting f in
    integers makes it exact whenever it is a whole number, so a point on the padding reads two
    zeros with weights 1 and 0 and is exactly 0, as in np.interp.
    """
    dtype = template_rows.dtype
    (n, m), length = template_rows.shape, args.internal_length
    j = jnp.arange(length)[None, :]
    src = jnp.mod(j - params["shift"][:, None].astype(jnp.int32), length)  # (n, L)
    last = (m - 1 + params["padding"].astype(jnp.int32))[:, None]  # (n, 1) padded length - 1
    num, den = src * last, max(length - 1, 1)
    # integer division: whole-number f gives frac exactly 0 on any backend's float division
    left, frac = num // den, (num % den).astype(dtype) / den
    # every index past the template reads a zero, whatever this sample's p
    padded = jnp.concatenate([template_rows + EPS, jnp.zeros((n, args.padding[1] + 2), dtype)], 1)
    v = (jnp.take_along_axis(padded, left, 1) * (1 - frac)
         + jnp.take_along_axis(padded, left + 1, 1) * frac)
    return v * params["scale"][:, None]


def _gaussian_filter(c):
    """scipy.ndimage.gaussian_filter1d(c, 2, mode='reflect', truncate=4) along the last axis."""
    radius = int(TRUNCATE * SIGMA + 0.5)
    xs = np.arange(-radius, radius + 1)
    w = np.exp(-0.5 / SIGMA**2 * xs**2)
    w = w / w.sum()
    # numpy's 'symmetric' pad (edge repeated) is scipy's 'reflect' (d c b a | a b c d)
    padded = jnp.pad(c, ((0, 0), (radius, radius)), mode="symmetric")
    length = c.shape[-1]
    return sum(float(w[i]) * padded[:, i:i + length] for i in range(2 * radius + 1))


def _resample_fixed(v, num: int):
    """np.interp of (n, L) rows onto `num` evenly spaced points: static indices and weights."""
    length = v.shape[-1]
    num_steps = np.arange(num) * (length - 1)
    lo = num_steps // max(num - 1, 1)
    frac = (num_steps % max(num - 1, 1)) / max(num - 1, 1)
    hi = np.minimum(lo + 1, length - 1)
    frac = jnp.asarray(frac, v.dtype)[None, :]
    return v[:, lo] * (1 - frac) + v[:, hi] * frac


def transform(template_rows, params, args: MNIST1DArgs = DEFAULT_ARGS):
    """Per-sample transform before standardization: (n, 12) -> (n, final_seq_length), computed
    in the dtype of params["corr_noise"]. Matches mnist1d.transform_numpy on the same params.

    Fixed shapes throughout (variable padding becomes traced interpolation weights), and only
    elementwise ops and gathers, so GPU TF32 matmul modes cannot blur the signal.
    """
    dtype = params["corr_noise"].dtype
    v = _place(jnp.asarray(template_rows, dtype), params, args)
    v = jnp.where(v != 0, v, _gaussian_filter(params["corr_noise"])) + params["white_noise"]
    ramp = jnp.linspace(-0.5, 0.5, args.internal_length, dtype=dtype)[None, :]
    v = v - params["shear"][:, None].astype(dtype) * ramp
    return _resample_fixed(v, args.final_seq_length)


def sample(key, n: int, args: MNIST1DArgs = DEFAULT_ARGS, *, normalize: bool = True):
    """n fresh examples: x (n, final_seq_length) float32, y (n,) int32 i.i.d. uniform classes.

    normalize: standardize with the frozen set's fixed FROZEN_MEAN / FROZEN_STD (never batch
    statistics), so a stream looks like the frozen data (for non-default args too, on purpose).
    n and args are static under jit.
    """
    if args.shuffle_seq:
        raise ConfigError("sample() does not shuffle positions; permute columns with "
                          "genlab.data.corrupt.fixed_permutation instead")
    key_y, key_params = jax.random.split(key)
    y = _uniform_int(jax.random.uniform(key_y, (n,)), 0, NUM_CLASSES)
    rows = jnp.asarray(_TEMPLATES_X, jnp.float32)[y]
    x = transform(rows, sample_params(key_params, n, args), args)
    if normalize:
        x = (x - FROZEN_MEAN) / FROZEN_STD
    return x.astype(jnp.float32), y
