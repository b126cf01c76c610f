"""Infinite-width NNGP / CNTK of 1-D ReLU conv nets (Arora et al. 2019 DP over position pairs)."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from genlab.kernels.fc import KINDS, relu_moments

READOUTS = ("gap", "flatten")


def same_pads(filter_size: int) -> tuple[int, int]:
    """XLA's "SAME" split of the filter_size - 1 zero-padding positions: (low, high)."""
    return (filter_size - 1) // 2, filter_size // 2


def _window_sum(m, filter_size: int, fill=None):
    """Σ_o m[i+o, j+o, ...] over the conv window: the diagonal-shifted sum a conv applies to a
    covariance. m (L, L, ...); out-of-range entries are 0, or taken from fill (broadcastable
    to the padded (L+k-1, L+k-1, ...) array) if given."""
    lo, hi = same_pads(filter_size)
    length = m.shape[0]
    padded = jnp.pad(m, ((lo, hi), (lo, hi)) + ((0, 0),) * (m.ndim - 2))
    if fill is not None:
        inside = jnp.pad(jnp.ones((length,), bool), (lo, hi))
        both = (inside[:, None] & inside[None, :]).reshape(padded.shape[:2] + (1,) * (m.ndim - 2))
        padded = jnp.where(both, padded, fill)
    return sum(padded[t:t + length, t:t + length] for t in range(filter_size))


def _vec_window_sum(v, filter_size: int):
    """Σ_o v[i+o, ...] with zero padding: the conv of a per-position variance. v (L, ...)."""
    padded = jnp.pad(v, (same_pads(filter_size),) + ((0, 0),) * (v.ndim - 1))
    return sum(padded[t:t + v.shape[0]] for t in range(filter_size))


def _block_kernel(x1, x2, *, depths, filter_size, w_std, b_std, readouts):
    """Every (depth, readout) kernel for all pairs of x1 (B1, L, C) and x2 (B2, L, C): an array
    (len(depths), len(readouts), 2, B1, B2) whose third axis is (NNGP, NTK). One recursion to
    max(depths) serves every shallower depth, and the NNGP is a by-product of the NTK.

    Work arrays are (L, L, P = B1·B2) with the pair axis innermost, so the window sums'
    shifted slices are contiguous and vectorize (a vmap over pairs puts it outermost: ~2x
    slower; two small pair axes vectorize poorly).
    """
    channels, n1, n2 = x1.shape[2], x1.shape[0], x2.shape[0]
    w2, b2 = w_std**2 / filter_size, b_std**2  # fan_in = filter_size · channels
    # Pair p = (a, b) -> a·n2 + b; every input is repeated so pairs line up on one axis.
    u = jnp.transpose(jnp.repeat(x1, n2, axis=0), (1, 2, 0))  # (L, C, P)
    v = jnp.transpose(jnp.tile(x2, (n1, 1, 1)), (1, 2, 0))
    q1, q2 = jnp.sum(u**2, axis=1) / channels, jnp.sum(v**2, axis=1) / channels  # (L, P)
    # Layer-0 moments are the inputs' own (elementwise sums like q1, q2: exact diagonal).
    cross = jnp.sum(u[:, None] * v[None, :], axis=2) / channels  # (L, L, P)
    gap = jnp.sum((u[:, None] - v[None, :]) ** 2, axis=2) / channels
    step, ntk = jnp.zeros(()), jnp.zeros(())
    pads = (same_pads(filter_size), (0, 0))
    out = {}
    for layer in range(1, max(depths) + 1):
        ntk = w2 * _window_sum(step * ntk + cross, filter_size) + b2  # Θ ← conv(Σ̇ ⊙ Θ + Σ)
        # A position paired with zero padding differs from it by its own second moment.
        fill = jnp.pad(q1, pads)[:, None, :] + jnp.pad(q2, pads)[None, :, :]
        dist = w2 * _window_sum(gap, filter_size, fill)
        q1 = w2 * _vec_window_sum(q1, filter_size) + b2
        q2 = w2 * _vec_window_sum(q2, filter_size) + b2
        cross, step, gap = relu_moments(q1[:, None, :], q2[None, :, :], dist)
        q1, q2 = q1 / 2.0, q2 / 2.0
        if layer in depths:  # the readout Dense on top of `layer` conv layers
            out[layer] = [[w_std**2 * _readout(m, r) + b_std**2 for m in (cross, step * ntk + cross)]
                          for r in readouts]
    return jnp.stack([jnp.stack([jnp.stack(kinds) for kinds in out[d]]) for d in depths]
                     ).reshape(len(depths), len(readouts), 2, n1, n2)


def _readout(m, readout):
    """Readout Dense: GAP averages all position pairs; flatten has independent weights per
    position (fan_in = L·C), so only same-position terms survive and are averaged."""
    if readout == "gap":
        return jnp.mean(m, axis=(0, 1))
    return jnp.mean(jnp.diagonal(m, axis1=0, axis2=1), axis=-1)


def _as_3d(x):
    return x[..., None] if x.ndim == 2 else x


def _blocks(x, size):
    """Pad rows to a multiple of size and split: (n, ...) -> (n_blocks, size, ...)."""
    n_pad = -x.shape[0] % size
    x = jnp.concatenate([x, jnp.zeros((n_pad,) + x.shape[1:], x.dtype)])
    return x.reshape((-1, size) + x.shape[1:])


@functools.partial(jax.jit, static_argnames=(
    "depths", "filter_size", "readouts", "block_size", "symmetric"))
def _grams(x1, x2, *, depths, filter_size, w_std, b_std, readouts, block_size, symmetric):
    """(len(depths), len(readouts), 2, n1, n2): see _block_kernel."""
    def block_fn(a, b):  # (K, B, B) with K = depths x readouts x (nngp, ntk)
        return _block_kernel(a, b, depths=depths, filter_size=filter_size, w_std=w_std,
                             b_std=b_std, readouts=readouts).reshape((-1,) + (a.shape[0], b.shape[0]))

    blocks1, blocks2 = _blocks(x1, block_size), _blocks(x2, block_size)
    n1b, n2b = blocks1.shape[0], blocks2.shape[0]
    # Symmetric Gram: only blocks on or above the diagonal, mirrored afterwards.
    idx = [(i, j) for i in range(n1b) for j in range(n2b) if not symmetric or i <= j]
    n_blocks, n_dev = len(idx), jax.device_count()
    idx += [(0, 0)] * (-n_blocks % n_dev)  # equal shares per device; the extras are dropped
    rows, cols = jnp.array([i for i, _ in idx]), jnp.array([j for _, j in idx])

    def evaluate(b1, b2, r, c):
        return jax.lax.map(lambda ij: block_fn(b1[ij[0]], b2[ij[1]]), (r, c))

    # Block pairs are split over all devices (XLA:CPU runs one op on one core, so several
    # CPU devices, XLA_FLAGS=--xla_force_host_platform_device_count=N, use N cores).
    mesh = jax.make_mesh((n_dev,), ("pairs",), (jax.sharding.AxisType.Auto,))
    pairs, whole = jax.sharding.PartitionSpec("pairs"), jax.sharding.PartitionSpec()
    evaluate = jax.shard_map(evaluate, mesh=mesh, in_specs=(whole, whole, pairs, pairs),
                             out_specs=pairs)
    out = evaluate(blocks1, blocks2, rows, cols)[:n_blocks]  # (blocks, K, B, B)
    rows, cols = rows[:n_blocks], cols[:n_blocks]

    def assemble(blocks):  # (blocks, B, B) -> (n1, n2)
        full = jnp.zeros((n1b, n2b, block_size, block_size), blocks.dtype).at[rows, cols].set(blocks)
        if symmetric:
            mirrored = jnp.swapaxes(full, 0, 1).swapaxes(2, 3)
            full = jnp.where((jnp.arange(n1b)[:, None] <= jnp.arange(n2b)[None, :])[..., None, None],
                             full, mirrored)
        full = full.swapaxes(1, 2).reshape(n1b * block_size, n2b * block_size)
        return full[:x1.shape[0], :x2.shape[0]]
    grams = jax.vmap(assemble, in_axes=1)(out)
    return grams.reshape((len(depths), len(readouts), 2) + grams.shape[1:])


def conv1d_kernels(x1, x2=None, *, depths: tuple[int, ...], readouts: tuple[str, ...] = ("gap",),
                   filter_size: int = 3, w_std: float = 2**0.5, b_std: float = 0.0,
                   block_size: int | None = None) -> dict:
    """Every conv1d_kernel for `depths` x `readouts` x KINDS from one pass over the pairs:
    {(kind, depth, readout): (n1, n2)}. The recursion to max(depths) passes through every
    shallower depth, the NNGP is computed on the way to the NTK, and the readouts only reduce
    the last layer's (L, L) moments: one pass costs about one deepest NTK."""
    depths, readouts = tuple(sorted(set(int(d) for d in depths))), tuple(readouts)
    if not depths or depths[0] < 1:
        raise ValueError(f"depths must be >= 1, got {depths}")
    bad = [r for r in readouts if r not in READOUTS]
    if bad or not readouts:
        raise ValueError(f"readouts must be among {READOUTS}, got {readouts!r}")
    symmetric = x2 is None
    x1 = _as_3d(jnp.asarray(x1))
    x2 = x1 if symmetric else _as_3d(jnp.asarray(x2))
    if block_size is None:
        # ~2^17 floats (512 KiB in float32) per (L, L, block²) work array stays in a core's L2
        # cache; larger blocks measured up to 2x slower on CPU.
        block_size = max(1, int((2**17 / x1.shape[1] ** 2) ** 0.5))
    block_size = min(block_size, max(x1.shape[0], x2.shape[0]))
    grams = _grams(x1, x2, depths=depths, filter_size=filter_size, w_std=w_std, b_std=b_std,
                   readouts=readouts, block_size=block_size, symmetric=symmetric)
    # axis 2 of grams is (NNGP, NTK)
    return {(kind, d, r): grams[i, j, int(kind == "ntk")] for kind in KINDS
            for i, d in enumerate(depths) for j, r in enumerate(readouts)}


def conv1d_kernel(x1, x2=None, *, depth: int, filter_size: int = 3, w_std: float = 2**0.5,
                  b_std: float = 0.0, readout: str = "gap", kind: str = "ntk",
                  block_size: int | None = None):
    """Kernel of the scalar output of `depth` (Conv1d "SAME", stride 1 -> ReLU) layers, then GAP
    or flatten, then one Dense; NTK parameterization with fan_in = filter_size · channels.

    x1 (n1, L, C) or (n1, L); x2 likewise or None (= x1: symmetric, half the work). Returns
    (n1, n2). Pairs are evaluated block_size × block_size at a time (lax.map over blocks),
    so memory is O(block_size² · L²), never O(n1 · n2 · L²). Several depths / readouts / kinds
    of the same inputs: conv1d_kernels (one pass for all).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    return conv1d_kernels(x1, x2, depths=(depth,), readouts=(readout,), filter_size=filter_size,
                          w_std=w_std, b_std=b_std, block_size=block_size)[(kind, depth, readout)]
