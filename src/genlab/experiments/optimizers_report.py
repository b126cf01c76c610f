"""optimizers analysis: per model and method at the lr picked on the validation split, speed to ~zero
train loss, test accuracy, distance from the init and weight norm; whether the methods land on
different solutions; the init-scale panel; curves side by side."""
from __future__ import annotations

import numpy as np

from genlab import claims
from genlab.experiments import optimizers_solutions, tables
from genlab.experiments.optimizers_claims import (
    ADAPTIVE,
    FIT_LOSS,
    SGD_FAMILY,
    claim_reached,
    claim_sgd_beats_adaptive,
    pick_lr,
)
from genlab.report import conditions, figures

NAME = "optimizers"


def _key(r):
    c = r["config"]
    return c["model"], c["tags"]["method"], float(c["tags"]["init_scale"]), c["lr"]


def _fitted(runs) -> bool:
    return all(tables.is_done(r) and r["summary"].get("train/loss", np.inf) <= FIT_LOSS for r in runs)


def tuned(store) -> dict:
    """{(model, method, init_scale): runs at the tuned lr}: the highest mean validation accuracy
    among the lrs where every seed is done and reached train loss <= FIT_LOSS (optimizers_claims.
    pick_lr; the validation rows are held out of the training split)."""
    grid: dict = {}
    for (model, method, scale, lr), runs in tables.group_runs(tables.latest_runs(store, NAME), _key).items():
        mean, _, n = tables.summary_stat(runs, "val/acc")
        grid.setdefault((model, method, scale), {})[lr] = (runs, (mean, n == len(runs), _fitted(runs)))
    return {k: lrs[pick_lr({lr: c for lr, (_, c) in lrs.items()})][0] for k, lrs in grid.items()}


def oracle(store) -> dict:
    """{(model, method, init_scale): runs at the lr with the highest mean TEST accuracy among the
    lrs where no seed diverged}: a diagnostic of how much the tuning criterion matters, never a
    protocol (it tunes on the test set)."""
    best: dict = {}
    for (model, method, scale, _), runs in tables.group_runs(tables.latest_runs(store, NAME), _key).items():
        mean, _, finite = tables.summary_stat(runs, "test/acc")
        value = -mean if finite == len(runs) else np.inf  # an lr where any seed diverged loses
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
            tables.fmt(*tables.summary_stat(runs, "val/acc")[:2]),
            tables.fmt(*tables.summary_stat(runs, "test/acc")[:2]),
            tables.fmt(*tables.summary_stat(runs, "params/distance_from_init")[:2], scale=1.0),
            tables.fmt(*tables.summary_stat(runs, "params/norm")[:2], scale=1.0)]


def _oracle(runs) -> str:
    return f"{tables.fmt(*tables.summary_stat(runs, 'test/acc')[:2])} ({runs[0]['config']['lr']:g})"


def per_seed(runs, metric: str, scale: float = 1.0) -> dict:
    """{seed: scale · summary metric} of the runs; a run that is not done gives NaN (left out
    of every test and counted in its note). Runs of one model share inits seed by seed, so
    these mappings pair across methods."""
    return {r["seed"]: scale * r["summary"].get(metric, float("nan")) if tables.is_done(r)
            else float("nan") for r in runs}


def _fit_rows(store, model: str, at_one: dict, loss: dict) -> list[dict]:
    """Speed to the loss target (no check) and every method at the target at the end."""
    speed = {meth: steps_to_fit(store, runs) for meth, runs in at_one.items()}
    fitted = {k: v[0] for k, v in speed.items() if v[1] == len(at_one[k])}
    first = min(fitted.values()) if fitted else None
    fastest = (", ".join(k for k, v in fitted.items() if v == first) + f" ({first:.0f} steps)"
               if fitted else "none reached it in every seed")
    values = [x for v in loss.values() for x in v.values()]
    bad = sum(not np.isfinite(x) for x in values)
    worst = f"worst final train loss {max((x for x in values if np.isfinite(x)), default=np.nan):.2g}"
    worst += f" ({bad} run{'s' if bad != 1 else ''} not done)" if bad else ""
    return [claims.row(f"{model}: fastest to train loss <= {FIT_LOSS} (tuned lr; ties listed)", None,
                       ours=fastest, paper="–", seeds=len(next(iter(at_one.values())))),
            claims.row(f"{model}: every method at train loss <= {FIT_LOSS} at the end (tuned lr)",
                       claim_reached(loss), ours=worst,
                       paper="all methods reach (near) zero training loss (Arora 2019; Wilson "
                             "et al. 2017)", expected=f"<= {FIT_LOSS} (genlab's target)")]


def _family_row(model: str, at_one: dict, loss: dict) -> dict:
    """Best SGD-family vs best adaptive method ('best': highest mean validation accuracy)."""
    acc = {m: per_seed(runs, "test/acc", 100.0) for m, runs in at_one.items()}
    val = {m: tables.summary_stat(runs, "val/acc")[0] for m, runs in at_one.items()}
    rank = {m: v if np.isfinite(v) else -np.inf for m, v in val.items()}
    sgd = max((m for m in SGD_FAMILY if m in acc), key=rank.get, default=None)
    ada = max((m for m in ADAPTIVE if m in acc), key=rank.get, default=None)
    name = f"{model}: best SGD-family vs best adaptive method, test accuracy (tuned lr)"
    paper = "SGD family above adaptive methods on every task (Wilson et al. 2017, Sec. 1, 4)"
    if sgd is None or ada is None:
        return claims.row(name, None, ours="needs a method of each family", paper=paper)
    ours = (f"{sgd} {tables.fmt_stat(tables.summary_stat(at_one[sgd], 'test/acc'))} vs "
            f"{ada} {tables.fmt_stat(tables.summary_stat(at_one[ada], 'test/acc'))}")
    return claims.row(name, claim_sgd_beats_adaptive(sgd, ada, acc, loss), ours=ours,
                      paper=paper, expected="SGD family > adaptive")


def _model_headline(store, model: str, at_one: dict) -> list[dict]:
    """The headline rows of one model: speed (no check), every method fitted, SGD vs adaptive,
    different solutions (checked) and their parameter distance (shown)."""
    loss = {m: per_seed(runs, "train/loss") for m, runs in at_one.items()}
    return (_fit_rows(store, model, at_one, loss) + [_family_row(model, at_one, loss)]
            + optimizers_solutions.rows(store, model, at_one, loss))


def analyze(store) -> dict:
    best, test_tuned = tuned(store), oracle(store)
    cols = ["model", "method", "init scale", "tuned lr", "final train loss",
            f"steps to train loss <= {FIT_LOSS} (runs)", "val acc %", "test acc %", "distance from init",
            "weight norm", "diagnostic only: test-tuned oracle, best test acc % over the grid (lr)"]
    rows = [[m, meth, f"{s:g}"] + _row(store, runs) + [_oracle(test_tuned[(m, meth, s)])]
            for (m, meth, s), runs in sorted(best.items())]
    headline = []
    for model in sorted({m for m, _, s in best if s == 1.0}):
        at_one = {meth: runs for (m, meth, s), runs in best.items() if m == model and s == 1.0}
        headline += _model_headline(store, model, at_one)
    return {"tables": {"Optimizers at their tuned lr (mean ± std over seeds)": tables.table(cols, rows)},
            "headline": headline, "notes": NOTES, "captions": CAPTIONS,
            "protocol": _protocol(tables.latest_runs(store, NAME))}


NOTES = [f"Tuned lr = the grid value with the highest mean validation accuracy among those where "
         f"every seed reached train loss <= {FIT_LOSS} (the claims are about solutions of ~zero "
         "training loss; when no lr of a method fits, among all its finished lrs). The validation "
         "rows are the last n_val rows of the frozen training split, never trained on (Wilson et "
         f"al. 2017 tune on a development set). 'Steps to fit' is the first eval with train loss "
         f"<= {FIT_LOSS}. GD is full batch; the others use batch 100 with reshuffling. Init scale "
         "multiplies every parameter of the default init. The last column is a DIAGNOSTIC, not a "
         "protocol: the lr picked by test accuracy, to show how much the tuning criterion matters.",
         "The SGD-family vs adaptive row pairs seeds: every method starts seed s from the same "
         "init. It is conjoined with both methods having reached the training-loss target, since "
         "the claim is about solutions of (near) zero training loss.",
         "Different solutions: for each method, the fraction of test examples whose predicted "
         "class differs from the other methods' runs of the same seed (same init), against that "
         "between its own runs of different seeds (another init and batch order); paired over "
         "methods (the pairs share runs, so the methods are not independent units: read the "
         "interval as approximate)."]

CAPTIONS = {
    "optimizers_curves": "Training loss and test accuracy over training for each method at its "
                         "tuned lr (mean ± std over seeds): the curves of Wilson et al. 2017, "
                         "Fig. 1 (CIFAR-10: training loss and test error per method), on MNIST-1D.",
    "optimizers_init_scale": "Test accuracy and distance travelled from the init against the init "
                             "scale, per method: no figure in Wilson et al. 2017; genlab's panel "
                             "on the trajectory view of Arora's essay (2019), where the init and "
                             "the path, not the loss alone, pick the solution.",
}


def _protocol(runs) -> dict:
    """Protocol vs Wilson et al. 2017 (Sec. 4) and Arora's essay, read from the stored configs."""
    return conditions.protocol(runs, [
        ("data", "CIFAR-10, War and Peace (char. LM), Penn Treebank (parsing)", "MNIST-1D (frozen)"),
        ("training examples", "50000 (CIFAR-10)", conditions.describe(sorted(
            {r["config"]["data"]["n_train"] or 4000 for r in runs}))),
        ("model", "VGG-style CNN (CIFAR-10), LSTMs", "config:model"),
        ("methods", "SGD, heavy ball, AdaGrad, RMSProp, Adam", "config:tags.method"),
        ("initial lr", "grid 2^k over 5 consecutive k, widened until the best lies inside",
         "config:lr"),
        ("lr picked by", "development-set performance", "validation accuracy (held-out "
         "training rows) among the lrs that reached train loss <= 0.01"),
        ("validation examples (held out of training)", "development set",
         conditions.describe(sorted({r["config"]["tags"].get("n_val") for r in runs}, key=str))),
        ("lr schedule", "decay scheme tuned per method", "config:train.schedule"),
        ("training length (steps)", "until (near) zero training loss (Arora 2019)",
         "config:train.steps"),
    ])


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
