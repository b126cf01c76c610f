"""Shared matplotlib pieces: headless backend, one palette and print-readable sizes for every
experiment, curve panels with mean ± std bands, readable log axes, saving without clipping."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

# Okabe-Ito: distinguishable in color-blind vision and in greyscale print order.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
STYLE = {"axes.prop_cycle": matplotlib.cycler(color=PALETTE), "font.size": 9, "axes.titlesize": 9,
         "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 7,
         "legend.framealpha": 0.8, "axes.grid": True, "grid.alpha": 0.25, "lines.linewidth": 1.4}
plt.rcParams.update(STYLE)
MAX_TICKS = 8


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


def log_ticks(ax, values, axis: str = "x") -> None:
    """A log axis labelled at the data's own values (as plain numbers, at most MAX_TICKS of
    them, no minor ticks): matplotlib's default mixes 10^k and 2x10^k labels that overlap."""
    values = sorted({v for v in values if v is not None and v > 0})
    if not values:
        return
    step = -(-len(values) // MAX_TICKS)
    shown = values[::step] if values[-1] in values[::step] else values[::step] + [values[-1]]
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    setter(shown, [f"{v:g}" for v in shown])
    ax.minorticks_off()


def absent(ax, text: str) -> None:
    """A panel whose data this store does not hold: say so instead of leaving it blank."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=8, color="0.4",
            transform=ax.transAxes)


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
    fig.savefig(path, dpi=110, bbox_inches="tight", pad_inches=0.1)  # never clip a label or title
    plt.close(fig)
    return path
