"""Shared matplotlib pieces: headless backend, curve panels with mean ± std bands, saving."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.2):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    return fig, axes


def band(ax, steps, values, label=None, color=None, linestyle="-", alpha=0.2):
    """Mean curve with a ±1 std band over the rows of `values` (n_runs, n_steps)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return
    mean = values.mean(axis=0)
    std = values.std(axis=0, ddof=1) if values.shape[0] > 1 else np.zeros_like(mean)
    line, = ax.plot(steps, mean, label=label, color=color, linestyle=linestyle)
    ax.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=alpha, linewidth=0)


def save(fig, outdir: Path, name: str) -> Path:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
