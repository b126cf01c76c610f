"""Where a number came from: genlab version, git commit, jax version, device."""
from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path

import jax

import genlab


@functools.lru_cache(maxsize=1)
def provenance() -> dict:
    dev = jax.devices()[0]
    return {"genlab": genlab.__version__, "git": _git_commit(), "jax": jax.__version__,
            "device": f"{dev.platform}:{getattr(dev, 'device_kind', '')}",
            "python": platform.python_version(), "machine": platform.machine()}


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, cwd=Path(__file__).parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None
