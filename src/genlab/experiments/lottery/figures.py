"""Lottery figures from the store: accuracy vs sparsity, ablation bars, a first-layer mask image."""
from __future__ import annotations

import numpy as np

from genlab.experiments.lottery.analysis import accuracy, grouped, levels, lines_of
from genlab.experiments.lottery.config import ABLATIONS
from genlab.report import figures


def _per_trial(runs: list[dict]) -> dict[int, float]:
    return {r["seed"]: r["summary"].get("test/acc", np.nan) for r in runs}


def plot_search(groups: dict, protocol: str, lines: tuple[str, ...], ax) -> None:
    found = levels(groups, protocol)[1:]
    sparsity = np.asarray([100 * s for _, s in found])
    for line in lines:
        per_level = [_per_trial(groups.get((protocol, line, level), [])) for level, _ in found]
        trials = sorted(set().union(*per_level)) if per_level else []
        values = np.asarray([[lv.get(t, np.nan) for lv in per_level] for t in trials]) * 100
        if values.size:
            figures.band(ax, sparsity, values, label=line)
    dense = accuracy(groups.get((protocol, "dense", 0), []))[0]
    if np.isfinite(dense):
        ax.axhline(100 * dense, color="k", linestyle="--", label="dense")
    ax.set(title=f"{protocol}: ticket search", xlabel="sparsity (%)", ylabel="final test accuracy (%)")
    ax.legend(fontsize=8)


def plot(store, outdir):
    groups = grouped(store)
    paths = []
    protocols = [p for p in ("mnist1d", "imp") if any(k[0] == p for k in groups)]
    if protocols:
        fig, axes = figures.new_figure(ncols=len(protocols))
        for i, protocol in enumerate(protocols):
            plot_search(groups, protocol, lines_of(groups, protocol), axes[0][i])
        paths.append(figures.save(fig, outdir, "lottery_accuracy_vs_sparsity"))
    ablation = {line: accuracy([r for k, v in groups.items() if k[:2] == ("ablation", line) for r in v])
                for line in ABLATIONS}
    if any(np.isfinite(a[0]) for a in ablation.values()):
        fig, axes = figures.new_figure(width=6.0)
        ax = axes[0][0]
        ax.bar(list(ablation), [100 * a[0] for a in ablation.values()],
               yerr=[100 * a[1] for a in ablation.values()], capsize=3)
        ax.set(title="ablations at the ticket's sparsity", ylabel="test accuracy (%)")
        ax.tick_params(axis="x", rotation=30)
        paths.append(figures.save(fig, outdir, "lottery_ablations"))
        paths.append(plot_mask(store, groups, outdir))
    return paths


def plot_mask(store, groups: dict, outdir):
    """First-layer masks of the ablation level's ticket and random mask (trial 0)."""
    level = next(k[2] for k in groups if k[0] == "ablation")
    fig, axes = figures.new_figure(ncols=2, width=3.2, height=4.2)
    for ax, line in zip(axes[0], ("ticket", "random")):
        runs = sorted(groups.get(("mnist1d", line, level), []), key=lambda r: r["seed"])
        if runs:
            mask = store.run_arrays(runs[0]["run_id"], "mask")["stem/weight"]
            ax.imshow(mask, aspect="auto", cmap="Greys", interpolation="nearest")
        ax.set(title=f"{line} first-layer mask", xlabel="input position", ylabel="hidden unit")
    return figures.save(fig, outdir, "lottery_first_layer_mask")
