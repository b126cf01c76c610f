"""dmf figures (the paper's): error vs #observed, init-scale panel, singular values, GD vs Adam."""
from __future__ import annotations

import numpy as np

from genlab.experiments import tables
from genlab.experiments.dmf.analysis import load, select, stat
from genlab.report import figures


def plot(store, outdir) -> list:
    data = load(store)
    if not data["trained"]:
        return []
    return [observations_figure(data, outdir), init_figure(data, outdir),
            singular_value_figure(store, data, outdir), optimizers_figure(data, outdir)]


def _mean_std_line(ax, xs, groups, metric, **kwargs):
    points = [(x, *stat(g, metric)[:2]) for x, g in zip(xs, groups) if g]
    if not points:
        return
    x, mean, std = (np.asarray(v, float) for v in zip(*points))
    ax.errorbar(x, mean, yerr=std, marker="o", capsize=2, **kwargs)


def observations_figure(data, outdir):
    fig, axes = figures.new_figure(width=5.0)
    ax, counts = axes[0][0], data["counts"]
    for d in sorted({r["config"]["depth"] for r in data["trained"]}):
        groups = [select(data["trained"], depth=d, num_observed=m, optimizer="global_rms",
                         init_scale=data["main_scale"]) for m in counts]
        _mean_std_line(ax, counts, groups, "test/loss", label=f"depth {d}")
    groups = [select(data["nuclear"], num_observed=m) for m in counts]
    _mean_std_line(ax, counts, groups, "test/loss", label="nuclear norm", color="black", linestyle="--")
    ax.set(yscale="log", xlabel="# observed entries", ylabel="test MSE (all entries)",
           title="Matrix completion: reconstruction error")
    ax.legend(fontsize=8)
    return figures.save(fig, outdir, "dmf_observations")


def init_figure(data, outdir):
    panel = select(data["trained"], optimizer="global_rms")
    keys = sorted({(r["config"]["num_observed"], r["config"]["depth"]) for r in panel
                   if len({q["config"]["init_scale"] for q in select(panel, num_observed=r["config"]["num_observed"],
                                                                     depth=r["config"]["depth"])}) > 1})
    counts = sorted({m for m, _ in keys})
    fig, axes = figures.new_figure(ncols=3, nrows=max(len(counts), 1))
    for row, m in enumerate(counts):
        for col, (metric, label) in enumerate([("test/loss", "test MSE"), ("matrix/nuclear_norm", "nuclear norm"),
                                               ("matrix/effective_rank", "effective rank")]):
            ax = axes[row][col]
            for d in sorted({d for mm, d in keys if mm == m}):
                runs = select(panel, num_observed=m, depth=d)
                scales = sorted({r["config"]["init_scale"] for r in runs})
                _mean_std_line(ax, scales, [select(runs, init_scale=s) for s in scales], metric, label=f"depth {d}")
            if metric == "matrix/nuclear_norm":
                minimizer = stat(select(data["nuclear"], num_observed=m), metric)[0]
                ax.axhline(minimizer, color="black", linestyle="--", label="minimizer")
            ax.set(xscale="log", yscale="log" if metric == "test/loss" else "linear",
                   xlabel="init scale", ylabel=label, title=f"{m} observed")
            ax.legend(fontsize=7)
    return figures.save(fig, outdir, "dmf_init_scale")


def singular_value_figure(store, data, outdir):
    main = select(data["dynamics"], seed=0) or select(  # plain GD from identity (Fig. 3)
        data["trained"], num_observed=data["reference"], optimizer="global_rms",
        init_scale=data["main_scale"], seed=0)
    depths = sorted({r["config"]["depth"] for r in main})[:3]
    fig, axes = figures.new_figure(ncols=max(len(depths), 1))
    for col, d in enumerate(depths):
        ax, metrics = axes[0][col], store.metrics(select(main, depth=d)[0]["run_id"])
        for i in range(1, 11):
            steps, values = metrics.get(f"sv/{i}", ([], []))
            ax.plot(steps, values, label=f"σ{i}" if i <= 6 else None)
        c = select(main, depth=d)[0]["config"]
        ax.set(xlabel="step", ylabel="singular value", xscale="symlog")
        ax.set_title(f"depth {d}, {c['optimizer']} lr {c['lr']:g}, {c.get('init', 'gaussian')} init "
                     f"{c['init_scale']:g}, {c['num_observed']} observed", fontsize=9)
        ax.legend(fontsize=7)
    return figures.save(fig, outdir, "dmf_singular_values")


def optimizers_figure(data, outdir):
    runs = select(data["trained"], num_observed=data["reference"], init_scale=data["main_scale"])
    depths = sorted({r["config"]["depth"] for r in runs if r["config"]["optimizer"] != "global_rms"})
    fig, axes = figures.new_figure(ncols=max(len(depths), 1))
    markers = {"global_rms": "o", "sgd": "s", "adam": "^"}
    for col, d in enumerate(depths):
        ax = axes[0][col]
        for (opt, lr), group in tables.group_runs(select(runs, depth=d), lambda r: (r["config"]["optimizer"],
                                                                                     r["config"]["lr"])).items():
            steps = [r["summary"]["train/steps"] for r in group]
            mse = [r["summary"]["test/loss"] for r in group]
            ax.scatter(steps, mse, marker=markers.get(opt, "x"), label=f"{opt} lr {lr:g}")
        ax.set(xscale="log", yscale="log", xlabel="steps to train MSE ≤ 1e-6 (cap if not reached)",
               ylabel="test MSE", title=f"depth {d}: speed vs generalization")
        ax.legend(fontsize=7)
    return figures.save(fig, outdir, "dmf_optimizers")
