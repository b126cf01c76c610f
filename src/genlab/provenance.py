"""Where a number came from: code (commit + dirty flag), library versions, backend and device,
PRNG implementation, XLA flags and usable CPU cores of the process that trains. Stored with
every run."""
from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

import jax

import genlab

LIBRARIES = ("jax", "jaxlib", "equinox", "optax", "numpy")
# What must agree for two runs to count as produced alike (the report groups runs by these).
# XLA:CPU sizes its thread pool by the usable cores unless XLA_FLAGS says otherwise, and its
# reductions run in another order with another thread count: the same config and seed on one
# core and on two give numbers that differ by round-off grown through training
# (docs/BENCHMARKS.md, the Deep Bootstrap paper preset on both cores), so the cores are a key.
KEY_FIELDS = ("genlab", "git", "git_dirty", *LIBRARIES, "backend", "device", "prng_impl", "xla_flags",
              "cpus")


@functools.lru_cache(maxsize=1)
def provenance() -> dict:
    dev = jax.devices()[0]
    commit, dirty = _git_state()
    return {"genlab": genlab.__version__, "git": commit, "git_dirty": dirty,
            **{lib: _version(lib) for lib in LIBRARIES},
            "backend": jax.default_backend(), "device": f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
            "device_count": jax.device_count(), "prng_impl": str(jax.config.jax_default_prng_impl),
            "xla_flags": os.environ.get("XLA_FLAGS", ""), "cpus": usable_cpus(),
            "python": platform.python_version(), "machine": platform.machine()}


def describe(prov: dict) -> str:
    """One line: 'genlab 0.1 (git abc123, dirty), jax 0.4 / jaxlib 0.4, equinox …, cpu:cpu, …'."""
    if not prov:
        return "provenance not recorded"
    git = prov.get("git") or "no git"
    git += ", dirty" if prov.get("git_dirty") else ""
    libs = ", ".join(f"{lib} {prov[lib]}" for lib in LIBRARIES if prov.get(lib))
    extra = [f"PRNG {prov['prng_impl']}"] if prov.get("prng_impl") else []
    extra += [f"usable CPU cores: {prov['cpus']}"] if prov.get("cpus") else []
    extra += [f"XLA_FLAGS={prov['xla_flags']!r}"] if prov.get("xla_flags") else []
    return ", ".join([f"genlab {prov.get('genlab', '?')} ({git})", libs, str(prov.get("device", "?")), *extra])


def usable_cpus() -> int:
    """CPU cores this process may run on (its affinity mask, e.g. under taskset or a container's
    cpuset; os.cpu_count() where the platform has no affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def key(prov: dict) -> tuple:
    return tuple(str(prov.get(k)) for k in KEY_FIELDS)


def _version(lib: str) -> str | None:
    try:
        return importlib.metadata.version(lib)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_state() -> tuple[str | None, bool | None]:
    """(short commit, dirty?) of the source tree genlab is imported from; (None, None) outside git."""
    cwd = Path(__file__).parent

    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=5, cwd=cwd)
    try:
        commit = git("rev-parse", "--short", "HEAD").stdout.strip() or None
        if commit is None:
            return None, None
        return commit, bool(git("status", "--porcelain", "--untracked-files=no").stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None
