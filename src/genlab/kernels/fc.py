"""Infinite-width NNGP / NTK of fully connected ReLU networks (arc-cosine recursion, NTK param)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

KINDS = ("ntk", "nngp")


def half_angle(s, c, r):
    """atan2(s, c) ∈ [0, π/2] for s, c ≥ 0 with r = √(s² + c²); exactly 0 when s = 0.

    XLA's CPU atan2 does not vectorize (it was over half of the CNTK's time); three tangent
    halvings bring the argument to ≤ tan(π/16) ≈ 0.2, where a short odd Taylor series is exact
    to the dtype's precision (alternating series: the error is below the first omitted term).
    """
    denom = r + c
    t = s / jnp.where(denom > 0.0, denom, 1.0)  # tan(φ/2) ≤ 1
    for _ in range(2):
        t = t / (1.0 + jnp.sqrt(1.0 + t * t))  # tan(x/2) = tan x / (1 + sec x)
    eps = float(jnp.finfo(t.dtype).eps)
    n_terms = next(k for k in range(1, 64) if 0.2 ** (2 * k + 1) / (2 * k + 1) < eps / 8)
    t2, poly = t * t, jnp.zeros_like(t)
    for k in reversed(range(n_terms)):
        poly = poly * t2 + (-1.0) ** k / (2 * k + 1)
    return 8.0 * t * poly


def relu_moments(q1, q2, dist):
    """Gaussian ReLU moments of a pre-activation pair (u, v) with E u² = q1, E v² = q2 and
    E (u - v)² = dist (all broadcast to one shape S). Returns (E[relu u relu v],
    E[step u step v], E[(relu u - relu v)²]), each of shape S.

    The angle comes from the distance, not from cos = Σ/√(q1 q2): with a = √q1, b = √q2,
    θ = 2·atan2(√(dist - (a-b)²), √((a+b)² - dist)), so identical inputs (dist = 0) give θ = 0
    exactly and the diagonal is the exact ‖x‖² recursion rather than arccos(1 - ε) ≈ √(2ε).
    """
    a, b = jnp.sqrt(q1), jnp.sqrt(q2)
    s2 = jnp.maximum(dist - (a - b) ** 2, 0.0)  # = 4ab sin²(θ/2)
    c2 = jnp.maximum((a + b) ** 2 - dist, 0.0)  # = 4ab cos²(θ/2)
    s, c = jnp.sqrt(s2), jnp.sqrt(c2)
    theta = 2.0 * half_angle(s, c, jnp.sqrt(s2 + c2))
    # ab·sinθ = sc/2 and ab·cosθ = (c² - s²)/4: no division, and zero inputs need no guard.
    ab_sin, ab_cos = s * c / 2.0, (c2 - s2) / 4.0
    cross = (ab_sin + (jnp.pi - theta) * ab_cos) / (2.0 * jnp.pi)
    step = (jnp.pi - theta) / (2.0 * jnp.pi)
    # E(relu u - relu v)² = (a-b)²/2 + ab(1 - J(θ)/π) with ab(1 - cosθ) = s²/2: no q1 + q2 - 2Σ.
    gap = (a - b) ** 2 / 2.0 + s2 / 2.0 - (ab_sin - theta * ab_cos) / jnp.pi
    return cross, step, jnp.maximum(gap, 0.0)


def _flatten(x):
    return x.reshape(x.shape[0], -1)


def pairwise_stats(x1, x2, *, batch_size: int = 256):
    """(x1_i · x2_j, ‖x1_i - x2_j‖²), each (n1, n2), as elementwise reductions like the row norms
    (not a matmul), so equal rows give exactly ‖x‖² and 0. Row-blocked for memory."""
    def row(xi):
        return jnp.sum(xi[None, :] * x2, axis=-1), jnp.sum((xi[None, :] - x2) ** 2, axis=-1)
    return jax.lax.map(row, x1, batch_size=min(batch_size, x1.shape[0]))


@functools.partial(jax.jit, static_argnames=("depths",))
def _fc_grams(x1, x2, *, depths, w_std, b_std):
    """{depth: (NNGP, NTK)} of the same inputs from one recursion to max(depths)."""
    d = x1.shape[1]
    w2, b2 = w_std**2, b_std**2
    # Layer-0 "post-activations" are the inputs themselves; no derivative flows into them.
    q1, q2 = jnp.sum(x1**2, axis=1) / d, jnp.sum(x2**2, axis=1) / d
    cross, gap = pairwise_stats(x1, x2)
    cross, gap, step, ntk = cross / d, gap / d, jnp.zeros(()), jnp.zeros(())
    out = {}
    for layer in range(max(depths)):
        sigma = w2 * cross + b2  # the Dense layer's pre-activation covariance
        ntk = w2 * (step * ntk + cross) + b2  # = Σ̇·Θ + Σ with Σ̇ = w²·E[step step]
        if layer + 1 in depths:
            out[layer + 1] = (sigma, ntk)
        if layer == max(depths) - 1:
            break
        q1, q2 = w2 * q1 + b2, w2 * q2 + b2
        cross, step, gap = relu_moments(q1[:, None], q2[None, :], w2 * gap)  # bias cancels
        q1, q2 = q1 / 2.0, q2 / 2.0  # E relu(u)² = q/2
    return out


def fc_kernels(x1, x2=None, *, depths: tuple[int, ...], w_std: float = 2**0.5,
               b_std: float = 0.0) -> dict:
    """Every fc_kernel for `depths` x KINDS from one recursion: {(kind, depth): (n1, n2)}."""
    depths = tuple(sorted(set(int(k) for k in depths)))
    if not depths or depths[0] < 1:
        raise ValueError(f"depths must be >= 1, got {depths}")
    x1 = _flatten(jnp.asarray(x1))
    x2 = x1 if x2 is None else _flatten(jnp.asarray(x2))
    grams = _fc_grams(x1, x2, depths=depths, w_std=w_std, b_std=b_std)
    return {(kind, k): grams[k][int(kind == "ntk")] for kind in KINDS for k in depths}


def fc_kernel(x1, x2=None, *, depth: int, w_std: float = 2**0.5, b_std: float = 0.0,
              kind: str = "ntk"):
    """Kernel of the scalar output of `depth` Dense layers with ReLU between them.

    x1 (n1, d...), x2 (n2, d...) or None (= x1); trailing dims are flattened. Each Dense is
    (w_std/√fan_in)·W h + b_std·β with W, β ~ N(0, 1). Returns (n1, n2): the NNGP Σ or the
    NTK Θ (Θ ← Θ·Σ̇ + Σ layer by layer). Several depths or both kinds: fc_kernels.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return fc_kernels(x1, x2, depths=(depth,), w_std=w_std, b_std=b_std)[(kind, depth)]
