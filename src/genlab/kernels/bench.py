"""Wall-clock and memory of full infinite-width Gram matrices on MNIST-1D-shaped inputs."""
from __future__ import annotations

import pathlib
import resource
import time

import jax
import numpy as np

from genlab.kernels.conv1d import conv1d_kernel
from genlab.kernels.fc import fc_kernel

FROZEN = pathlib.Path(__file__).resolve().parent.parent / "data" / "frozen" / "mnist1d_frozen.npz"


def _inputs(n: int, length: int) -> tuple[np.ndarray, str]:
    """The frozen MNIST-1D train + test inputs (5000 × 40) when they cover (n, length), else
    standard normal rows (same cost: the kernels' work does not depend on the values)."""
    if length == 40 and FROZEN.exists():
        with np.load(FROZEN, allow_pickle=False) as data:
            x = np.concatenate([data["x"], data["x_test"]])
        if n <= x.shape[0]:
            return x[:n].astype(np.float32), "mnist1d_frozen"
    return np.random.default_rng(0).standard_normal((n, length), dtype=np.float32), "normal"


def _rss_now_gb() -> float:
    """Resident set size now (Linux /proc), or the high-water mark where /proc is missing."""
    try:
        pages = int(pathlib.Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 1e9
    except OSError:
        return _rss_peak_gb()


def _rss_peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # KiB on Linux


def _measure(fn, x, prefix: str) -> dict:
    """Compile, then run once: seconds for each, and the memory the run added to the process.

    XLA allocates outside Python's allocator (tracemalloc sees none of it), so memory is the
    ru_maxrss high-water mark after the run minus the resident size before it: exact when the
    run sets a new high-water mark (the big Gram runs do), an upper bound otherwise.
    """
    rss_before = _rss_now_gb()
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(x).compile()
    compiled_at = time.perf_counter()
    out = jax.block_until_ready(compiled(x))
    done = time.perf_counter()
    assert np.isfinite(np.asarray(out)).all(), f"{prefix}: non-finite Gram entries"
    return {f"{prefix}/compile_seconds": compiled_at - start,
            f"{prefix}/seconds": done - compiled_at,
            f"{prefix}/mem_gb": _rss_peak_gb() - rss_before,
            f"{prefix}/gram_gb": out.nbytes / 1e9}


def bench_kernels(n: int = 5000, length: int = 40, *, cntk_n: int | None = None) -> dict:
    """Time the n × n Gram of the depth-3 FC NTK and of the depth-3 1-D CNTK (filter 3, GAP)
    on (n, length) inputs, float32 on the default device. cntk_n < n times the CNTK on the
    first cntk_n rows only and reports cntk/seconds_at_n = seconds · (n / cntk_n)², labelled
    cntk/extrapolated (the work is exactly quadratic in n). Keys are "fc/…", "cntk/…".
    """
    x, source = _inputs(n, length)
    result = {"n": n, "length": length, "data": source, "device": str(jax.devices()[0]),
              "n_devices": jax.device_count()}
    result.update(_measure(lambda a: fc_kernel(a, depth=3, kind="ntk"), x, "fc"))
    cntk_n = n if cntk_n is None else min(cntk_n, n)
    result.update(_measure(lambda a: conv1d_kernel(a, depth=3, kind="ntk"), x[:cntk_n], "cntk"))
    result["cntk/n"] = cntk_n
    result["cntk/extrapolated"] = cntk_n < n
    result["cntk/seconds_at_n"] = result["cntk/seconds"] * (n / cntk_n) ** 2
    result["peak_rss_gb"] = _rss_peak_gb()
    return result
