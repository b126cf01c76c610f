"""optimizers analysis: per model and method at its tuned lr, speed to ~zero train loss, test accuracy,
distance from the init and weight norm; the init-scale panel; curves side by side."""
from __future__ import annotations

import numpy as np

from genlab.experiments import tables
from genlab.report import figures

NAME = "optimizers"
FIT_LOSS = 0.01  # "reached ~zero training loss": the first eval with train loss at or below this


def _key(r):
    c = r["config"]
    return c["model"], c["tags"]["method"], float(c["tags"]["init_scale"]), c["lr"]


def tuned(store, metric: str = "train/loss", sign: float = 1.0) -> dict:
    """{(model, method, init_scale): runs at the lr with the lowest mean final train loss, among
    the lrs where no seed diverged}
    (metric="test/acc", sign=-1: the highest test accuracy, an oracle shown for contrast)."""
    best: dict = {}
    for (model, method, scale, _), runs in tables.group_runs(tables.latest_runs(store, NAME), _key).items():
        mean, _, finite = tables.summary_stat(runs, metric)
        value = sign * mean if finite == len(runs) else np.inf  # an lr where any seed diverged loses
        if (model, method, scale) not in best or value < best[(model, method, scale)][0]:
            best[(model, method, scale)] = (value, runs)
    return {k: v[1] for k, v in best.items()}


def steps_to_fit(store, runs) -> tuple[float, int]:
    """Mean first eval step with train loss <= FIT_LOSS over the runs that got there, and how many."""
    hits = []
    for r in runs:
        steps, values = store.metrics(r["run_id"])["train/loss"]
        below = [s for s, v in zip(steps, values) if v is not None and np.isfinite(v) and v <= FIT_LOSS]
        if below:
            hits.append(below[0])
    return (float(np.mean(hits)) if hits else float("nan")), len(hits)


def _row(store, runs) -> list:
    fit, n_fit = steps_to_fit(store, runs)
    loss = tables.summary_stat(runs, "train/loss")
    return [f"{runs[0]['config']['lr']:g}", f"{loss[0]:.2g}",
            f"{fit:.0f} ({n_fit}/{len(runs)})" if n_fit else f"– (0/{len(runs)})",
            tables.fmt(*tables.summary_stat(runs, "test/acc")[:2]),
            tables.fmt(*tables.summary_stat(runs, "params/distance_from_init")[:2], scale=1.0),
            tables.fmt(*tables.summary_stat(runs, "params/norm")[:2], scale=1.0)]


def _oracle(runs) -> str:
    return f"{tables.fmt(*tables.summary_stat(runs, 'test/acc')[:2])} ({runs[0]['config']['lr']:g})"


def analyze(store) -> dict:
    best, oracle = tuned(store), tuned(store, "test/acc", -1.0)
    cols = ["model", "method", "init scale", "tuned lr", "final train loss",
            f"steps to train loss <= {FIT_LOSS} (runs)", "test acc %", "distance from init", "weight norm",
            "oracle: best test acc % over the grid (lr)"]
    rows = [[m, meth, f"{s:g}"] + _row(store, runs) + [_oracle(oracle[(m, meth, s)])]
            for (m, meth, s), runs in sorted(best.items())]
    headline = []
    for model in sorted({m for m, _, s in best if s == 1.0}):
        at_one = {meth: runs for (m, meth, s), runs in best.items() if m == model and s == 1.0}
        speed = {meth: steps_to_fit(store, runs) for meth, runs in at_one.items()}
        fitted = {k: v[0] for k, v in speed.items() if v[1] == len(at_one[k])}
        acc = {meth: tables.summary_stat(runs, "test/acc") for meth, runs in at_one.items()}
        best_acc = max(acc, key=lambda k: acc[k][0])
        first = min(fitted.values()) if fitted else None
        fastest = (", ".join(k for k, v in fitted.items() if v == first) + f" ({first:.0f} steps)"
                   if fitted else "none reached it in every seed")
        headline += [
            {"name": f"{model}: fastest to train loss <= {FIT_LOSS} (tuned lr; ties listed)",
             "ours": fastest, "paper": "–",
             "seeds": len(at_one[best_acc]), "check": ""},
            {"name": f"{model}: best test accuracy (tuned lr)",
             "ours": f"{best_acc} {tables.fmt(*acc[best_acc][:2])}", "paper":
             "Wilson et al.: SGD family >= adaptive", "seeds": acc[best_acc][2],
             "check": "agrees" if best_acc in ("gd", "sgd", "momentum") else "differs"}]
    notes = [f"Tuned lr = the grid value with the lowest mean final train loss (optimization is "
             f"the tuning criterion); 'steps to fit' is the first eval with train loss <= {FIT_LOSS}. "
             "GD is full batch; the others use batch 100 with reshuffling. Init scale multiplies "
             "every parameter of the default init. The oracle column picks the lr by test accuracy "
             "(not a fair protocol; it shows how much the tuning criterion matters)."]
    return {"tables": {"Optimizers at their tuned lr (mean ± std over seeds)": tables.table(cols, rows)},
            "headline": headline, "notes": notes}


def plot(store, outdir) -> list:
    best = tuned(store)
    model_names = sorted({m for m, _, s in best if s == 1.0})
    fig, axes = figures.new_figure(ncols=2, nrows=max(len(model_names), 1))
    for row, model in enumerate(model_names):
        for (m, meth, s), runs in sorted(best.items()):
            if m == model and s == 1.0:
                for col, metric in enumerate(("train/loss", "test/acc")):
                    steps, values = tables.curves(store, runs, metric)
                    figures.band(axes[row][col], steps, values, label=meth)
        axes[row][0].set(yscale="log", xlabel="step", ylabel="train loss", title=f"{model}: training")
        axes[row][1].set(xlabel="step", ylabel="test accuracy", title=f"{model}: test")
        axes[row][0].legend(fontsize=7)
    paths = [figures.save(fig, outdir, "optimizers_curves")]
    fig, axes = figures.new_figure(ncols=2)
    for (model, meth) in sorted({(m, meth) for m, meth, s in best if s != 1.0}):
        scales = sorted(s for m, mm, s in best if (m, mm) == (model, meth))
        for col, metric in enumerate(("test/acc", "params/distance_from_init")):
            means = [tables.summary_stat(best[(model, meth, s)], metric) for s in scales]
            axes[0][col].errorbar(scales, [v[0] for v in means], yerr=[v[1] for v in means], marker="o",
                                  capsize=2, label=f"{model} {meth}")
    axes[0][0].set(xscale="log", xlabel="init scale", ylabel="test accuracy", title="test accuracy vs init scale")
    axes[0][1].set(xscale="log", yscale="log", xlabel="init scale", ylabel="distance from init",
                   title="distance travelled vs init scale")
    axes[0][0].legend(fontsize=7)
    paths.append(figures.save(fig, outdir, "optimizers_init_scale"))
    return paths
