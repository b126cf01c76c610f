"""Steps-to-fit bookkeeping for randomization tests: when a run first fits its training set, the
per-seed ratios to the true-label run, and the table cells and curves built from them."""
from __future__ import annotations

import numpy as np

from genlab.experiments import tables

LOSS_FIT = 0.01
ACC_FIT = 1.0 - 1e-6  # acc is a float32 mean of 0/1 values: exact for a fully fitted set


def summarize(job, history: dict, eval_steps) -> dict:
    """First eval step with 100% train accuracy, and with train loss ≤ LOSS_FIT (NaN: never).
    Both are measured on the (possibly corrupted) training labels without augmentation."""
    del job
    steps = np.asarray(eval_steps, dtype=float)
    acc = first_step(steps, np.asarray(history["train/acc"]) >= ACC_FIT)
    loss = first_step(steps, np.asarray(history["train/loss"]) <= LOSS_FIT)
    return {"fit/steps_acc": acc, "fit/steps_loss": loss,
            "fit/reached_acc": float(np.isfinite(acc))}


def first_step(steps: np.ndarray, hit: np.ndarray) -> float:
    idx = np.flatnonzero(hit)
    return float(steps[idx[0]]) if idx.size else float("nan")


def steps_by_seed(runs: list[dict], metric: str = "fit/steps_acc") -> dict[int, float]:
    """{seed: steps}; NaN where the run never fitted (the store turns NaN into None)."""
    out = {}
    for r in runs:
        v = r["summary"].get(metric)
        out[r["seed"]] = float("nan") if v is None else float(v)
    return out


def ratios(runs: list[dict], base: list[dict]) -> np.ndarray:
    """Per-seed steps-to-fit of `runs` over the same seed's `base` run (NaN if either missed)."""
    num, den = steps_by_seed(runs), steps_by_seed(base)
    return np.asarray([num[s] / den[s] if den[s] else np.nan for s in sorted(num) if s in den])


def stat(runs: list[dict], metric: str, scale: float = 100.0, digits: int = 1) -> str:
    mean, std, _ = tables.summary_stat(runs, metric)
    return tables.fmt(mean, std, scale, digits)


def steps_cell(runs: list[dict], metric: str) -> str:
    """'1500 ± 100' over the seeds that fitted, with '(k/n fit)' when some did not."""
    values = list(steps_by_seed(runs, metric).values())
    mean, std, k = tables.mean_std(values)
    cell = tables.fmt(mean, std, 1.0, 0)
    return cell if k == len(values) else f"{cell} ({k}/{len(values)} fit)"


def fit_cells(runs: list[dict]) -> list[str]:
    """[train acc %, test acc %, steps to 100% train acc, steps to train loss ≤ LOSS_FIT]."""
    if not runs:
        return ["–"] * 4
    return [stat(runs, "train/acc"), stat(runs, "test/acc"),
            steps_cell(runs, "fit/steps_acc"), steps_cell(runs, "fit/steps_loss")]


def ratio_cell(values: np.ndarray) -> str:
    mean, std, k = tables.mean_std(values)
    cell = "–" if not k else f"{mean:.2f} ± {std:.2f}×"
    return cell if k == len(values) else f"{cell} ({k}/{len(values)} fit)"


def noise_curve(groups: dict, arch: str, name: str) -> tuple[list[float], list[np.ndarray]]:
    """Corruption levels p and, per level, the per-seed values of `name`: 'relative_time'
    (steps-to-fit over the true-label run's) or 'test_error' (%); groups {(arch, p, regs): runs}."""
    levels = sorted(k[1] for k in groups if k[0] == arch and k[2] == "none"
                    and isinstance(k[1], float))
    base, values = groups.get((arch, 0.0, "none"), []), []
    for p in levels:
        runs = groups[(arch, p, "none")]
        values.append(ratios(runs, base) if name == "relative_time"
                      else np.asarray([100 * (1 - r["summary"]["test/acc"]) for r in runs]))
    return levels, values


def plot_vs_noise(ax, groups: dict, arch: str, name: str, label: str) -> None:
    """Mean ± std over seeds of `name` against the corruption level (unfitted seeds dropped)."""
    levels, values = noise_curve(groups, arch, name)
    stats = [tables.mean_std(v) for v in values]
    ax.errorbar(levels, [m for m, _, _ in stats], yerr=[s for _, s, _ in stats], marker="o",
                capsize=3, label=label)


def stat_row(name: str, runs: list[dict], metric: str, paper: str, ok, scale: float = 100.0,
             digits: int = 1, expected: str | None = None) -> dict | None:
    """A headline row for mean ± std of a summary metric; check 'ok' if ok(mean). None: no runs.
    paper: the published value with its citation; expected: what this scale should show."""
    mean, std, n = tables.summary_stat(runs, metric)
    return {"name": name, "ours": tables.fmt(mean, std, scale, digits), "paper": paper,
            "expected": expected, "seeds": n, "check": "ok" if ok(mean) else "MISS"} if n else None


def ratio_row(name: str, ratio: np.ndarray) -> dict | None:
    """Steps-to-fit ratio; 'ok' when every seed fitted and the factor is a small constant."""
    ok = ratio.size and np.all(np.isfinite(ratio)) and 1.0 <= ratio.mean() <= 10.0
    return {"name": name, "ours": ratio_cell(ratio),
            "paper": "slower by a small constant factor (Zhang et al. 2017, Fig. 1b)",
            "expected": "1–10× (own pilot: ~1.5–2× for the MLP)",
            "seeds": int(ratio.size), "check": "ok" if ok else "MISS"} if ratio.size else None


def noise_row(name: str, levels: list[float], errors: list[np.ndarray]) -> dict | None:
    """Mean test error along p; 'ok' when it never drops by more than a point (seed noise)."""
    if len(levels) < 3:
        return None
    means = [e.mean() for e in errors]
    return {"name": f"{name} = " + ", ".join(f"{q:g}" for q in levels),
            "paper": "rises steadily with p toward chance (Zhang et al. 2017, Fig. 1c)",
            "expected": "non-decreasing (within 1 point) toward 90",
            "ours": " → ".join(f"{m:.0f}" for m in means), "seeds": min(e.size for e in errors),
            "check": "ok" if np.all(np.diff(means) > -1.0) else "MISS"}


def change_row(name: str, base: list[dict], variants: dict[str, list[dict]]) -> dict | None:
    """Mean test-accuracy change (points) of each variant {label: runs} over `base`."""
    ref = tables.summary_stat(base, "test/acc")[0]
    if not base or not variants:
        return None
    diffs = {k: 100 * (tables.summary_stat(v, "test/acc")[0] - ref) for k, v in variants.items()}
    return {"name": name, "ours": ", ".join(f"{k} {d:+.1f}" for k, d in diffs.items()),
            "paper": "small gains; none is needed to generalize (Zhang et al. 2017, Table 1)",
            "seeds": len(base), "check": ""}
