"""dmf analysis: test error vs #observations and init scale, the nuclear-norm comparison, GD vs Adam."""
from __future__ import annotations

import collections

import numpy as np

from genlab.experiments import tables

NAME = "dmf"
# An independent re-run of the reference protocol at 2000 observations (the issue), and the
# authors' plots (min test error, 2000 observations): depth 1 0.82, depth 2 0.099, depth 3 0.0017.
RERUN = {"nuclear": 0.049, 1: 0.82, 2: 0.050, 3: 3.2e-5, 4: 2.1e-5}
RERUN_NORM = {"deep": 219.6, "minimizer": 215.3}
RERUN_EFFECTIVE_RANK = {2: 8.8, 3: 5.0, 4: 5.0}
RERUN_ADAM = {2: 0.27, 3: 0.0026}


def load(store) -> dict:
    """Latest runs split into {"trained": [...], "nuclear": [...]} plus the protocol they share:
    main init scale (the most common), reference #observed (where the optimizer panel ran)."""
    runs = tables.latest_runs(store, NAME)
    trained = [r for r in runs if r["config"].get("kind") == "factorization"]
    nuclear = [r for r in runs if r["config"].get("kind") == "nuclear"]
    scales = collections.Counter(r["config"]["init_scale"] for r in trained
                                 if r["config"]["optimizer"] == "global_rms")
    others = [r["config"]["num_observed"] for r in trained if r["config"]["optimizer"] != "global_rms"]
    counts = sorted({r["config"]["num_observed"] for r in trained})
    reference = others[0] if others else (counts[len(counts) // 2] if counts else None)
    main_scale = scales.most_common(1)[0][0] if scales else None
    rank = trained[0]["config"]["rank"] if trained else None
    return {"trained": trained, "nuclear": nuclear, "main_scale": main_scale,
            "reference": reference, "counts": counts, "rank": rank}


def select(runs, **fields) -> list[dict]:
    return [r for r in runs if all(r["config"].get(k) == v for k, v in fields.items())]


def sci(mean: float, std: float) -> str:
    return "–" if not np.isfinite(mean) else f"{mean:.2g} ± {std:.1g}"


def stat(runs, metric) -> tuple[float, float, int]:
    return tables.summary_stat(runs, metric)


def observations_table(data: dict) -> dict:
    depths = sorted({r["config"]["depth"] for r in data["trained"]})
    rows = []
    for m in data["counts"]:
        row = [m]
        for d in depths:
            row.append(sci(*stat(select(data["trained"], depth=d, num_observed=m, optimizer="global_rms",
                                        init_scale=data["main_scale"]), "test/loss")[:2]))
        row.append(sci(*stat(select(data["nuclear"], num_observed=m), "test/loss")[:2]))
        rows.append(row)
    return tables.table(["#observed"] + [f"depth {d}" for d in depths] + ["nuclear-norm min."], rows)


def init_table(data: dict) -> dict:
    rows = []
    keys = sorted({(r["config"]["num_observed"], r["config"]["depth"], r["config"]["init_scale"])
                   for r in select(data["trained"], optimizer="global_rms")})
    for m, d, s in keys:
        runs = select(data["trained"], optimizer="global_rms", num_observed=m, depth=d, init_scale=s)
        minimizer = stat(select(data["nuclear"], num_observed=m), "matrix/nuclear_norm")[0]
        rows.append([m, d, f"{s:g}", sci(*stat(runs, "test/loss")[:2]),
                     f"{stat(runs, 'matrix/nuclear_norm')[0]:.1f}", f"{minimizer:.1f}",
                     f"{stat(runs, 'matrix/effective_rank')[0]:.2f}", _steps(runs)])
    cols = ["#observed", "depth", "init scale", "test MSE", "nuclear norm", "minimizer's norm",
            "effective rank", "steps (converged/runs)"]
    return tables.table(cols, rows)


def optimizers_table(data: dict) -> dict:
    rows = []
    runs = select(data["trained"], num_observed=data["reference"], init_scale=data["main_scale"])
    for d, opt, lr in sorted({(r["config"]["depth"], r["config"]["optimizer"], r["config"]["lr"]) for r in runs}):
        group = select(runs, depth=d, optimizer=opt, lr=lr)
        rows.append([d, opt, f"{lr:g}", _steps(group), sci(*stat(group, "test/loss")[:2]),
                     f"{stat(group, 'matrix/effective_rank')[0]:.2f}"])
    cols = ["depth", "optimizer", "lr", "steps to train MSE <= stop (converged/runs)", "test MSE",
            "effective rank"]
    return tables.table(cols, rows)


def _steps(runs) -> str:
    converged = [r for r in runs if r["summary"].get("train/converged")]
    mean, std, _ = stat(converged, "train/steps")
    return f"{mean:.0f} ± {std:.0f} ({len(converged)}/{len(runs)})" if converged else f"– (0/{len(runs)})"


def best_converged(runs, metric="test/loss") -> list[dict]:
    """The runs of the lr whose converged runs have the lowest mean `metric` (tuned per optimizer)."""
    by_lr = tables.group_runs([r for r in runs if r["summary"].get("train/converged")],
                              lambda r: r["config"]["lr"])
    if not by_lr:
        return []
    return min(by_lr.values(), key=lambda g: stat(g, metric)[0])


def headline(data: dict) -> list[dict]:
    ref, trained = data["reference"], data["trained"]
    main = select(trained, num_observed=ref, optimizer="global_rms", init_scale=data["main_scale"])
    nuclear = select(data["nuclear"], num_observed=ref)
    nuc_mse, nuc_std, nuc_n = stat(nuclear, "test/loss")
    rows = [{"name": f"nuclear-norm minimizer test MSE, {ref} observed", "ours": sci(nuc_mse, nuc_std),
             "paper": RERUN["nuclear"], "seeds": nuc_n, "check": ""}]
    depth_mse = {}
    for d in sorted({r["config"]["depth"] for r in main}):
        mean, std, n = stat(select(main, depth=d), "test/loss")
        depth_mse[d] = mean
        check = ("ok" if mean < 0.1 * nuc_mse else "MISS") if d >= 3 else ""
        rows.append({"name": f"depth {d} test MSE, {ref} observed (depth >= 3 beats nuclear norm 10x?)",
                     "ours": sci(mean, std), "paper": RERUN.get(d), "seeds": n, "check": check})
    deepest = max((d for d in depth_mse if d >= 3), default=None)
    if deepest is not None and nuclear:
        deep_norm = stat(select(main, depth=deepest), "matrix/nuclear_norm")
        min_norm = stat(nuclear, "matrix/nuclear_norm")
        rows.append({"name": f"nuclear norm: depth {deepest} solution vs minimizer", "seeds": deep_norm[2],
                     "ours": f"{deep_norm[0]:.1f} vs {min_norm[0]:.1f}",
                     "paper": f"{RERUN_NORM['deep']} vs {RERUN_NORM['minimizer']}",
                     "check": "ok" if deep_norm[0] > min_norm[0] else "MISS"})
        eff = stat(select(main, depth=deepest), "matrix/effective_rank")
        rows.append({"name": f"effective rank, depth {deepest} (true rank {data['rank']})",
                     "ours": f"{eff[0]:.2f} ± {eff[1]:.2f}", "paper": RERUN_EFFECTIVE_RANK.get(deepest),
                     "seeds": eff[2], "check": "ok" if abs(eff[0] - data["rank"]) < 1 else "MISS"})
    rows += _init_rows(data) + _adam_rows(data)
    return rows


def _init_rows(data: dict) -> list[dict]:
    """Smaller init => lower effective rank, at each (#observed, depth) of the init panel."""
    rows = []
    panel = select(data["trained"], optimizer="global_rms")
    for m, d in sorted({(r["config"]["num_observed"], r["config"]["depth"]) for r in panel}):
        runs = select(panel, num_observed=m, depth=d)
        scales = sorted({r["config"]["init_scale"] for r in runs})
        if len(scales) < 2:
            continue
        small, large = (stat(select(runs, init_scale=s), "matrix/effective_rank") for s in (scales[0], scales[-1]))
        rows.append({"name": f"effective rank at init {scales[0]:g} vs {scales[-1]:g} (depth {d}, {m} observed)",
                     "ours": f"{small[0]:.2f} vs {large[0]:.2f}", "paper": "smaller init, lower",
                     "seeds": small[2], "check": "ok" if small[0] < large[0] else "MISS"})
    return rows


def _adam_rows(data: dict) -> list[dict]:
    """Adam (its best converged lr) vs the reference optimizer: fewer steps, higher test error?"""
    rows = []
    runs = select(data["trained"], num_observed=data["reference"], init_scale=data["main_scale"])
    for d in sorted({r["config"]["depth"] for r in select(runs, optimizer="adam")}):
        adam, reference = best_converged(select(runs, depth=d, optimizer="adam")), \
            select(runs, depth=d, optimizer="global_rms")
        if not adam or not reference:
            continue
        steps = [stat(g, "train/steps")[0] for g in (adam, reference)]
        mse = [stat(g, "test/loss")[0] for g in (adam, reference)]
        rows.append({"name": f"depth {d}: Adam (lr {adam[0]['config']['lr']:g}) vs adaptive GD, steps | test MSE",
                     "ours": f"{steps[0]:.0f} vs {steps[1]:.0f} | {mse[0]:.2g} vs {mse[1]:.2g}",
                     "paper": f"faster, worse (Adam {RERUN_ADAM.get(d, '–')})", "seeds": len(adam),
                     "check": "ok" if steps[0] < steps[1] and mse[0] > mse[1] else "MISS"})
    return rows


def analyze(store) -> dict:
    data = load(store)
    if not data["trained"]:
        return {"tables": {}, "headline": [], "notes": ["no dmf runs yet: `genlab run dmf`"]}
    ref = data["reference"]
    notes = [f"Matrix {data['trained'][0]['config']['size']}^2, rank {data['rank']}; init scale "
             f"{data['main_scale']:g}; GD with one global adaptive step unless stated; stop at train "
             "MSE <= 1e-6 or the step cap. Published column: the issue's independent re-run at 2000 "
             "observations of a 100 x 100 rank-5 matrix (quick uses 50 x 50 rank 3 with counts "
             "scaled by the degrees of freedom: 600 stands for 2000).",
             "Adam and plain GD are tuned over their lr grids; the headline uses each one's best "
             "converged lr by test error (the most favourable choice for them)."]
    return {"tables": {"Test MSE (all entries) vs #observed entries, mean ± std over seeds":
                       observations_table(data),
                       "Init-scale panel: test MSE, nuclear norm and effective rank at the end":
                       init_table(data),
                       f"Optimizers at {ref} observed: steps to converge and test MSE":
                       optimizers_table(data)},
            "headline": headline(data), "notes": notes}
