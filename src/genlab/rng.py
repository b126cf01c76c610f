"""Named key streams: every random draw is a pure function of (seed, stream name, step)."""
from __future__ import annotations

import zlib

import jax


def stream_id(name: str) -> int:
    """Stable 31-bit integer for a stream name (crc32, so it never changes between runs)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def root_key(seed: int) -> jax.Array:
    return jax.random.key(int(seed))


def stream(seed_or_key, name: str) -> jax.Array:
    """Key for stream `name` under an int seed or an existing key.

    Pinning one stream while varying another is a matter of passing a different seed for it:
    `stream(init_seed, "init")` vs `stream(seed, "data")`.
    """
    key = root_key(seed_or_key) if isinstance(seed_or_key, int) else seed_or_key
    return jax.random.fold_in(key, stream_id(name))


def numpy_seed(seed: int, name: str) -> int:
    """A NumPy seed derived from (seed, name), for data built outside jit (corruptions, splits)."""
    return (int(seed) * 1_000_003 + stream_id(name)) % (2**32)
