"""Deep Bootstrap (Nakkiran, Neyshabur & Sedghi, ICLR 2021) analysis: bootstrap gap up to the Real
World's convergence, architecture rankings in both worlds, the case studies, and the figures."""
from __future__ import annotations

import numpy as np

from genlab import claims
from genlab.experiments import tables
from genlab.experiments.deep_bootstrap import checks
from genlab.report import conditions, figures

CONVERGED = 0.01  # Real-World train error below which it has converged (T_conv)
PAPER = "Nakkiran et al. 2021"
# The paper's Fig. 1 caption, in words: no number is printed for "close".
PAPER_GAP = (f"small: \"the Real World Test remains close to Ideal World Test, despite a large "
             f"generalization gap\" ({PAPER}, Fig. 1)")
NOTE = ("T_conv: first eval with Real-World train error < 1% (on at most eval_train_max of its N "
        "samples); T if never. Bootstrap error ε_t = Real − Ideal test soft error at step t (signed, "
        "the paper's §3); 'mean gap' averages it over the evaluations 0 < t ≤ T_conv, the headline's "
        "statistic; 'max |gap|' is the largest |ε_t| up to T_conv, shown but not tested (one noisy "
        "evaluation can set it). Ideal-World 'train' metrics are on a fixed held-out sample it never "
        "trains on. Label-noise case: train and test labels both noisy (the distribution is).")
CASE_TITLES = {"augment": "data augmentation", "pretrain": "pretraining", "label_noise": "label noise"}


def bootstrap_stats(steps, real_train_err, real_soft, ideal_soft, threshold: float = CONVERGED) -> dict:
    """One seed's pair of curves (num_evals + 1,): T_conv is the first eval step where the Real
    World's train error is below `threshold` (the last step if never); ε_t = Real − Ideal test
    soft error. mean_gap: mean ε over the evals 0 < t <= T_conv; gap_at_conv: ε at T_conv;
    max_gap: max |ε| over the evals up to T_conv."""
    below = np.flatnonzero(np.asarray(real_train_err) < threshold)
    k = int(below[0]) if below.size else len(steps) - 1
    eps = (np.asarray(real_soft) - np.asarray(ideal_soft))[:k + 1]
    after_init = eps[1:] if k > 0 else eps
    return {"t_conv": float(steps[k]), "converged": float(below.size > 0),
            "max_gap": float(np.abs(eps).max()), "mean_gap": float(after_init.mean()),
            "gap_at_conv": float(eps[-1])}


def _pairs(store, name: str) -> dict:
    """{(case, model, N): [per-seed dict of stats, final errors and curves]} from the latest
    execution's runs (of the longest T, where no execution recorded its ids)."""
    runs = [r for r in tables.latest_runs(store, name) if tables.is_done(r)]  # diverged: left out
    longest = max((r["config"]["train"]["steps"] for r in runs), default=0)
    runs = [r for r in runs if r["config"]["train"]["steps"] == longest]
    ideal = {(r["config"]["tags"]["case"], r["config"]["model"], r["seed"]): r
             for r in runs if r["config"]["tags"].get("world") == "ideal"}
    out: dict = {}
    for r in runs:
        tags = r["config"]["tags"]
        partner = ideal.get((tags.get("case"), r["config"]["model"], r["seed"]))
        if tags.get("world") != "real" or partner is None:
            continue
        real_m, ideal_m = store.metrics(r["run_id"]), store.metrics(partner["run_id"])
        steps = np.asarray(real_m["test/soft_error"][0])
        curves = {f"{w}_{k}": np.asarray(m[metric][1]) for w, m in (("real", real_m), ("ideal", ideal_m))
                  for k, metric in (("soft", "test/soft_error"), ("acc", "test/acc"), ("train", "train/acc"))}
        entry = bootstrap_stats(steps, 1 - curves["real_train"], curves["real_soft"], curves["ideal_soft"])
        entry.update(seed=r["seed"], steps=steps, **curves, real_final_soft=curves["real_soft"][-1],
                     ideal_final_soft=curves["ideal_soft"][-1], real_final_err=1 - curves["real_acc"][-1],
                     ideal_final_err=1 - curves["ideal_acc"][-1], ideal_mean_soft=curves["ideal_soft"].mean())
        out.setdefault((tags["case"], r["config"]["model"], r["config"]["data"]["n_train"]), []).append(entry)
    return out


def _stat(entries, key):
    return tables.mean_std(e[key] for e in entries)


def _fmt(entries, key, scale=100.0):
    mean, std, _ = _stat(entries, key)
    return tables.fmt(mean, std, scale, digits=1 if scale == 100.0 else 0)


def _by_seed(entries, key) -> dict:
    """{seed: value} of one statistic: the form genlab.claims pairs on."""
    return {e["seed"]: float(e[key]) for e in entries}


def _main_table(pairs) -> dict:
    cols = ["case", "model", "N", "T_conv (steps)", "converged", "mean gap %", "gap at T_conv %",
            "max |gap| %", "Real test soft err %", "Ideal test soft err %", "Real test err %",
            "Ideal test err %"]
    rows = [[case, model, n, _fmt(e, "t_conv", 1.0), f"{int(sum(x['converged'] for x in e))}/{len(e)}",
             _fmt(e, "mean_gap"), _fmt(e, "gap_at_conv"), _fmt(e, "max_gap"), _fmt(e, "real_final_soft"),
             _fmt(e, "ideal_final_soft"), _fmt(e, "real_final_err"), _fmt(e, "ideal_final_err")]
            for (case, model, n), e in sorted(pairs.items())]
    return tables.table(cols, rows)


def _rankings(pairs) -> tuple[dict, list[dict]]:
    """Per N with two or more architectures: the order in each world (table) and the paired
    ordering test (headline)."""
    rows, headline = [], []
    for n in sorted({n for c, _, n in pairs if c == "main"}):
        main = {m: pairs[("main", m, k)] for c, m, k in pairs if c == "main" and k == n}
        if len(main) < 2:
            continue
        real, ideal = ({m: _by_seed(e, key) for m, e in main.items()}
                       for key in ("real_final_soft", "ideal_final_soft"))
        flags = {m: _by_seed(e, "converged") for m, e in main.items()}
        v = checks.ranking_agrees(real, ideal, flags, n)
        order = {w: " < ".join(sorted(main, key=lambda m: _stat(main[m], k)[0]))
                 for w, k in (("real", "real_final_soft"), ("ideal", "ideal_final_soft"))}
        rows.append([n, order["ideal"], order["real"], v.check])
        headline.append(claims.row(
            f"N = {n}: architecture ranking by final test soft error, Real = Ideal", v,
            ours=f"Ideal {order['ideal']}; Real {order['real']} (best first)",
            paper=f"same ranking in both worlds ({PAPER}, abstract: CNNs generalize better than MLPs "
                  "in the Real World because they optimize faster in the Ideal World)"))
    cols = ["N", "Ideal ranking (best first)", "Real ranking", "same order (paired test)"]
    return tables.table(cols, rows), headline


def _case_headlines(pairs) -> list[dict]:
    """Each case against the main run at the same (model, N), paired by seed: 'baseline -> case'."""
    out = []
    keys = ("t_conv", "real_final_soft", "ideal_final_soft", "ideal_mean_soft", "converged", "mean_gap")
    fmt = {"T_conv (steps)": ("t_conv", 1.0), "Real test soft err %": ("real_final_soft", 100.0),
           "Ideal test soft err %": ("ideal_final_soft", 100.0),
           "Ideal test soft err % (mean over training)": ("ideal_mean_soft", 100.0),
           "mean bootstrap error % up to T_conv": ("mean_gap", 100.0)}
    paper = {"T_conv (steps)": "larger", "Real test soft err %": "lower",
             "Ideal test soft err %": "about the same",
             "Ideal test soft err % (mean over training)": "lower (faster Ideal optimization)",
             "mean bootstrap error % up to T_conv": "small"}
    for (case, model, n), e in sorted(pairs.items()):
        if case == "main" or ("main", model, n) not in pairs:
            continue
        base = pairs[("main", model, n)]
        label = f"{CASE_TITLES.get(case, case)} ({model}, N={n})"
        per_seed = [{k: _by_seed(x, k) for k in keys} for x in (base, e)]
        for what, v in checks.case_claims(case, *per_seed, label):
            key, scale = fmt[what]
            out.append(claims.row(f"{label}: {what}", v,
                                  ours=f"{_fmt(base, key, scale)} -> {_fmt(e, key, scale)}",
                                  paper=f"{paper[what]} ({PAPER}, in words)",
                                  expected=_expected(what)))
    return out


def _expected(what: str) -> str | None:
    if what.startswith("mean bootstrap"):
        return f"|mean ε| <= {checks.GAP_TOL:.0%} (genlab tolerance)"
    if what == "Ideal test soft err %":
        return f"within ±{checks.SAME_TOL:.0%} (genlab tolerance)"
    return None


def _gap_headlines(pairs) -> list[dict]:
    """One row per (model, N) of the main grid (a small gap at large N cannot hide a large one at
    small N, nor the reverse): the mean bootstrap error up to T_conv, tested over seeds."""
    rows = []
    for (case, model, n), entries in sorted(pairs.items()):
        if case != "main":
            continue
        v = checks.gap_small(_by_seed(entries, "mean_gap"), _by_seed(entries, "converged"),
                             f"{model}, N = {n}")
        rows.append(claims.row(
            f"{model}, N = {n}: mean bootstrap error ε % over the evaluations up to T_conv",
            v, ours=f"{_fmt(entries, 'mean_gap')} (at T_conv {_fmt(entries, 'gap_at_conv')}; "
                    f"max |ε| {_fmt(entries, 'max_gap')})",
            paper=PAPER_GAP, expected=f"|mean ε| <= {checks.GAP_TOL:.0%} (genlab tolerance)"))
    return rows


def analyze(store, name: str) -> dict:
    pairs = _pairs(store, name)
    rank_table, rank_headline = _rankings(pairs)
    return {"tables": {"Real vs Ideal World: bootstrap error ε = Real − Ideal test soft error up "
                       "to T_conv, and final test errors (mean ± std over seeds)": _main_table(pairs),
                       "Architecture ranking by final test soft error": rank_table},
            "headline": _gap_headlines(pairs) + rank_headline + _case_headlines(pairs),
            "notes": [NOTE, *_convergence_note(pairs)],
            "protocol": _protocol(tables.latest_runs(store, name)), "captions": CAPTIONS}


def _convergence_note(pairs) -> list[str]:
    """Configurations whose Real World never reached T_conv: their gaps say nothing yet."""
    never = [f"{case} {model} N={n}" for (case, model, n), e in sorted(pairs.items())
             if not any(x["converged"] for x in e)]
    if not never:
        return []
    return [f"Never reached T_conv (Real-World train error < {CONVERGED:.0%}) within T in any seed: "
            f"{', '.join(never)}. Every evaluation of theirs is before T_conv, so a large gap there refutes "
            "the claim, but a small one cannot confirm it (the Real World may not have learned): "
            "their rows are inconclusive unless the gap is MISS; a longer T is needed."]


def _protocol(runs) -> dict:
    """The paper's setup (its App. A for CIFAR-5m) against the stored configs."""
    sgd = [r for r in runs if r["config"]["model"] in ("mlp", "cnn", "resnet1d")]
    real = [r for r in runs if r["config"]["tags"].get("world") == "real"]
    rows = conditions.protocol(sgd, [("optimizer (MLP, CNN, ResNet)", "sgd", "config:train.optimizer"),
                                     ("learning rate (MLP, CNN, ResNet)", 0.1, "config:lr")])["rows"]
    rows += conditions.protocol(runs, [
        ("schedule", "cosine", "config:train.schedule"),
        ("batch size", 128, "config:train.batch_size"),
        ("SGD steps T", 39000, "config:train.steps"),
        ("data", "CIFAR-5m", "MNIST-1D (fresh samples from its generator)"),
        ("models", "MLP, CNN, ResNet, ViT, ...", "config:model")])["rows"]
    rows += conditions.protocol(real, [("Real World N", 50000, "config:data.n_train")])["rows"]
    vit = [r for r in runs if r["config"]["model"] == "transformer"]
    if vit:  # ViT-B/4 on 32x32 images: 64 patch tokens; here patches of the 1-D signal
        rows += conditions.protocol(vit, [("transformer tokens: positions per patch", "4x4 pixels",
                                           "config:model_kwargs.patch_size")])["rows"]
    return {"columns": ["setting", "paper", "genlab (stored configs)", "deviation"], "rows": rows}


CAPTIONS = {
    "deep_bootstrap_curves": f"Test soft error vs SGD steps in the Real World (solid: N samples "
                             f"reused) and the Ideal World (dashed: fresh samples), mean ± std over "
                             f"seeds; dotted verticals mark the mean T_conv ({PAPER}, Fig. 1 analogue "
                             "on MNIST-1D).",
    "deep_bootstrap_gap_vs_n": "Left: the bootstrap error ε = Real − Ideal test soft error averaged "
                               "over the evaluations up to T_conv (the headline's statistic) vs N; "
                               "right: ε at the end of training (step T) vs N; mean ± std over seeds.",
    "deep_bootstrap_cases": f"The case studies of {PAPER} (augmentation, pretraining, label noise) "
                            "against the same model and N without them (grey).",
}


def _curve_panel(ax, entries, label, color, key="soft"):
    steps = entries[0]["steps"]
    figures.band(ax, steps, [e[f"real_{key}"] for e in entries], label=f"{label} Real", color=color)
    figures.band(ax, steps, [e[f"ideal_{key}"] for e in entries], label=f"{label} Ideal", color=color,
                 linestyle="--")
    converged = [e["t_conv"] for e in entries if e["converged"]]
    if converged:  # the mean T_conv of the seeds that converged
        ax.axvline(float(np.mean(converged)), color=color, linestyle=":", linewidth=1)


def plot(store, outdir, name: str) -> list:
    pairs = _pairs(store, name)
    main = {(m, n): e for (c, m, n), e in pairs.items() if c == "main"}
    if not main:
        return []
    ns, models = sorted({n for _, n in main}), sorted({m for m, _ in main})
    colors = {m: f"C{i}" for i, m in enumerate(models)}
    paths = [_plot_curves(main, ns, models, colors, outdir), _plot_gaps(main, ns, models, colors, outdir)]
    cases = sorted(k for k in pairs if k[0] != "main" and k[1:] in main)
    if cases:
        fig, axes = figures.new_figure(ncols=len(cases))
        for ax, (case, m, n) in zip(axes[0], cases):
            _curve_panel(ax, main[(m, n)], "baseline", "0.5")
            _curve_panel(ax, pairs[(case, m, n)], CASE_TITLES.get(case, case), "C3")
            ax.set(title=f"{CASE_TITLES.get(case, case)}: {m}, N = {n}", xlabel="SGD steps",
                   ylabel="test soft error")
            ax.legend(fontsize=7)
        paths.append(figures.save(fig, outdir, "deep_bootstrap_cases"))
    return paths


def _plot_curves(main, ns, models, colors, outdir):
    """The paper's figure: test soft error vs SGD steps, one panel per N."""
    fig, axes = figures.new_figure(ncols=len(ns))
    for ax, n in zip(axes[0], ns):
        for m in models:
            if (m, n) in main:
                _curve_panel(ax, main[(m, n)], m, colors[m])
        ax.set(title=f"N = {n} (solid Real, dashed Ideal, dotted T_conv)", xlabel="SGD steps",
               ylabel="test soft error")
        ax.legend(fontsize=7)
    return figures.save(fig, outdir, "deep_bootstrap_curves")


def _plot_gaps(main, ns, models, colors, outdir):
    """Max gap before T_conv, and the final Real - Ideal gap, against N."""
    fig, axes = figures.new_figure(ncols=2)
    for m in models:
        x = [n for n in ns if (m, n) in main]
        before = [_stat(main[(m, n)], "mean_gap") for n in x]
        final = [tables.mean_std(e["real_final_soft"] - e["ideal_final_soft"] for e in main[(m, n)]) for n in x]
        for ax, stats in zip(axes[0], (before, final)):
            ax.errorbar(x, [s[0] for s in stats], yerr=[s[1] for s in stats], label=m, color=colors[m], marker="o")
    axes[0][0].set(xscale="log", xlabel="N (Real-World samples)", ylabel="mean Real − Ideal soft err.",
                   title="mean bootstrap error up to T_conv")
    axes[0][1].set(xscale="log", xlabel="N (Real-World samples)", ylabel="Real − Ideal soft err.",
                   title="gap at the end (step T)")
    for ax in axes[0]:
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()
    axes[0][0].legend(fontsize=8)
    return figures.save(fig, outdir, "deep_bootstrap_gap_vs_n")
