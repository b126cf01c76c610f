"""Deep Bootstrap (Nakkiran, Neyshabur & Sedghi, ICLR 2021) analysis: bootstrap gap up to the Real
World's convergence, architecture rankings in both worlds, the case studies, and the figures."""
from __future__ import annotations

import numpy as np

from genlab.experiments import tables
from genlab.report import conditions, figures

CONVERGED = 0.01  # Real-World train error below which it has converged (T_conv)
GAP_TOL = 0.06  # own pilot's bound on the soft-error gap before T_conv (N = 4000, MLP and CNN)
PAPER = "Nakkiran et al. 2021"
SAME_TOL = 0.02  # "barely changes the Ideal World": final test soft error within 2 points
NOTE = ("T_conv: first eval with Real-World train error < 1% (on at most eval_train_max of its N "
        "samples); T if never. Ideal-World 'train' metrics are on a fixed held-out sample it never "
        "trains on. Label-noise case: train and test labels both noisy (the distribution is).")
CASE_TITLES = {"augment": "data augmentation", "pretrain": "pretraining", "label_noise": "label noise"}


def bootstrap_stats(steps, real_train_err, real_soft, ideal_soft, threshold: float = CONVERGED) -> dict:
    """One seed's pair of curves (num_evals + 1,): T_conv is the first eval step where the Real
    World's train error is below `threshold` (the last step if never); the bootstrap gap is
    |Real - Ideal| test soft error at each eval up to and including T_conv."""
    below = np.flatnonzero(np.asarray(real_train_err) < threshold)
    k = int(below[0]) if below.size else len(steps) - 1
    gap = np.abs(np.asarray(real_soft) - np.asarray(ideal_soft))[:k + 1]
    return {"t_conv": float(steps[k]), "converged": float(below.size > 0), "max_gap": float(gap.max()),
            "mean_gap": float(gap.mean()), "gap_at_conv": float(gap[-1])}


def _pairs(store, name: str) -> dict:
    """{(case, model, N): [per-seed dict of stats, final errors and curves]} from the latest
    execution's runs (of the longest T, where no execution recorded its ids)."""
    runs = tables.latest_runs(store, name)
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
        entry.update(steps=steps, **curves, real_final_soft=curves["real_soft"][-1],
                     ideal_final_soft=curves["ideal_soft"][-1], real_final_err=1 - curves["real_acc"][-1],
                     ideal_final_err=1 - curves["ideal_acc"][-1], ideal_mean_soft=curves["ideal_soft"].mean())
        out.setdefault((tags["case"], r["config"]["model"], r["config"]["data"]["n_train"]), []).append(entry)
    return out


def _stat(entries, key):
    return tables.mean_std(e[key] for e in entries)


def _fmt(entries, key, scale=100.0):
    mean, std, _ = _stat(entries, key)
    return tables.fmt(mean, std, scale, digits=1 if scale == 100.0 else 0)


def _main_table(pairs) -> dict:
    cols = ["case", "model", "N", "T_conv (steps)", "converged", "max gap %", "mean gap %", "gap at T_conv %",
            "Real test soft err %", "Ideal test soft err %", "Real test err %", "Ideal test err %"]
    rows = [[case, model, n, _fmt(e, "t_conv", 1.0), f"{int(sum(x['converged'] for x in e))}/{len(e)}",
             _fmt(e, "max_gap"), _fmt(e, "mean_gap"), _fmt(e, "gap_at_conv"), _fmt(e, "real_final_soft"),
             _fmt(e, "ideal_final_soft"), _fmt(e, "real_final_err"), _fmt(e, "ideal_final_err")]
            for (case, model, n), e in sorted(pairs.items())]
    return tables.table(cols, rows)


def _rankings(pairs) -> tuple[dict, list]:
    """Per N: do the architectures rank the same by final test soft error in both worlds?"""
    from scipy import stats
    rows, agree = [], []
    for n in sorted({n for c, _, n in pairs if c == "main"}):
        models = sorted(m for c, m, k in pairs if c == "main" and k == n)
        real = [_stat(pairs[("main", m, n)], "real_final_soft")[0] for m in models]
        ideal = [_stat(pairs[("main", m, n)], "ideal_final_soft")[0] for m in models]
        same = list(np.argsort(real)) == list(np.argsort(ideal))
        rho = stats.spearmanr(real, ideal)[0] if len(models) > 2 else (1.0 if same else -1.0)
        rows.append([n, " < ".join(np.asarray(models)[np.argsort(ideal)]),
                     " < ".join(np.asarray(models)[np.argsort(real)]), f"{rho:.2f}", "yes" if same else "no"])
        agree.append(same)
    cols = ["N", "Ideal ranking (best first)", "Real ranking", "Spearman rho", "same order"]
    return tables.table(cols, rows), agree


def _case_row(label, base, entries, what, key, scale, paper, ok) -> dict:
    return {"name": f"{label}: {what}", "ours": f"{_fmt(base, key, scale)} -> {_fmt(entries, key, scale)}",
            "paper": f"{paper} ({PAPER})", "seeds": len(entries), "check": _verdict(entries, ok)}


def _verdict(entries, ok) -> str:
    """A gap is only meaningful up to T_conv: a configuration whose Real World never converged
    cannot confirm or refute the finding, and says so."""
    converged = int(sum(e["converged"] for e in entries))
    if converged == 0:
        return "not converged (no seed reached T_conv)"
    return "ok" if ok else "MISS"


def _case_headlines(pairs) -> list[dict]:
    """Each case against the main run at the same (model, N): 'baseline -> case' (mean ± std)."""
    out = []
    for (case, model, n), e in sorted(pairs.items()):
        if case == "main" or ("main", model, n) not in pairs:
            continue
        base = pairs[("main", model, n)]
        label = f"{CASE_TITLES.get(case, case)} ({model}, N={n})"
        delta = {k: _stat(e, k)[0] - _stat(base, k)[0] for k in ("t_conv", "real_final_soft",
                                                                "ideal_final_soft", "ideal_mean_soft")}
        if case == "augment":
            out += [_case_row(label, base, e, "T_conv (steps)", "t_conv", 1.0, "larger", delta["t_conv"] > 0),
                    _case_row(label, base, e, "Real test soft err %", "real_final_soft", 100.0, "lower",
                              delta["real_final_soft"] < 0),
                    _case_row(label, base, e, "Ideal test soft err %", "ideal_final_soft", 100.0,
                              f"about the same (within {SAME_TOL:.0%})", abs(delta["ideal_final_soft"]) <= SAME_TOL)]
        elif case == "pretrain":
            out.append(_case_row(label, base, e, "Ideal test soft err % (mean over training)", "ideal_mean_soft",
                                 100.0, "lower (faster Ideal optimization)", delta["ideal_mean_soft"] < 0))
        row = _case_row(label, base, e, "max gap % before T_conv", "max_gap", 100.0, "small",
                        _stat(e, "max_gap")[0] <= GAP_TOL)
        out.append({**row, "expected": f"<= {GAP_TOL:.0%} (own pilot)"})
    return out


def _gap_headlines(pairs) -> list[dict]:
    """One row per (model, N) of the main grid: the max gap before T_conv (a row per N, so a
    small gap at large N cannot hide a large one at small N, nor the reverse)."""
    rows = []
    for (case, model, n), entries in sorted(pairs.items()):
        if case != "main":
            continue
        converged = int(sum(e["converged"] for e in entries))
        rows.append({"name": f"{model}, N = {n}: max |Real - Ideal| test soft err % before T_conv "
                             f"({converged}/{len(entries)} seeds converged)",
                     "ours": _fmt(entries, "max_gap"),
                     "paper": f"small: Real ≈ Ideal until the Real World converges ({PAPER}, Fig. 1)",
                     "expected": f"<= {GAP_TOL:.0%} (own pilot at N = 4000)", "seeds": len(entries),
                     "check": _verdict(entries, _stat(entries, "max_gap")[0] <= GAP_TOL)})
    return rows


def analyze(store, name: str) -> dict:
    pairs = _pairs(store, name)
    rank_table, agree = _rankings(pairs)
    headline = _gap_headlines(pairs)
    if agree:
        headline.append({"name": "architecture ranking, Ideal = Real (N values agreeing)",
                         "ours": f"{sum(agree)}/{len(agree)}",
                         "paper": f"same ranking in both worlds ({PAPER})",
                         "seeds": "", "check": "ok" if all(agree) else "MISS"})
    return {"tables": {"Real vs Ideal World: bootstrap gap up to T_conv and final test errors "
                       "(mean ± std over seeds; gap = |Real - Ideal| test soft error)": _main_table(pairs),
                       "Architecture ranking by final test soft error": rank_table},
            "headline": headline + _case_headlines(pairs), "notes": [NOTE, *_convergence_note(pairs)],
            "protocol": _protocol(tables.latest_runs(store, name)), "captions": CAPTIONS}


def _convergence_note(pairs) -> list[str]:
    """Configurations whose Real World never reached T_conv: their gaps say nothing yet."""
    never = [f"{case} {model} N={n}" for (case, model, n), e in sorted(pairs.items())
             if not any(x["converged"] for x in e)]
    if not never:
        return []
    return [f"Never reached T_conv (Real-World train error < {CONVERGED:.0%}) within T in any seed: "
            f"{', '.join(never)}. Their gap is measured over the whole run, where the Real World "
            "is still fitting, so it neither confirms nor refutes the finding; a longer T is needed."]


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
    "deep_bootstrap_gap_vs_n": "Left: the largest |Real − Ideal| test soft error before T_conv vs N; "
                               "right: the Real − Ideal gap at the end of training vs N.",
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
        before = [_stat(main[(m, n)], "max_gap") for n in x]
        final = [tables.mean_std(e["real_final_soft"] - e["ideal_final_soft"] for e in main[(m, n)]) for n in x]
        for ax, stats in zip(axes[0], (before, final)):
            ax.errorbar(x, [s[0] for s in stats], yerr=[s[1] for s in stats], label=m, color=colors[m], marker="o")
    axes[0][0].set(xscale="log", xlabel="N (Real-World samples)", ylabel="max |Real − Ideal| soft err.",
                   title="largest gap before T_conv")
    axes[0][1].set(xscale="log", xlabel="N (Real-World samples)", ylabel="Real − Ideal soft err.",
                   title="gap at the end (step T)")
    for ax in axes[0]:
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()
    axes[0][0].legend(fontsize=8)
    return figures.save(fig, outdir, "deep_bootstrap_gap_vs_n")
