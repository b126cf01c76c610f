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


def mark_diverged(ax, runs: list[dict]) -> int:
    """Say on the panel how many of `runs` diverged (their curves are left out of the bands:
    experiments.tables.curves keeps done runs only). Returns that count."""
    diverged = [r for r in runs if r.get("status") == "diverged"]
    if diverged:
        steps = sorted({r.get("diverged_step") for r in diverged if r.get("diverged_step") is not None})
        at = f" (at step {', '.join(map(str, steps[:3]))}{'…' if len(steps) > 3 else ''})" if steps else ""
        ax.text(0.02, 0.02, f"✗ {len(diverged)} of {len(runs)} runs diverged{at}, not shown",
                transform=ax.transAxes, fontsize=7, color="#b00", va="bottom")
    return len(diverged)


def save(fig, outdir: Path, name: str) -> Path:
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
