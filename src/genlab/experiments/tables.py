"""Shared analysis helpers: group finished runs and report mean ± std over seeds.

Means are over the runs whose status is `done`; `diverged` runs (kept in the store, returned by
store.runs) are counted, never averaged: a Stat says how many runs a mean is over and how many
diverged, and fmt_stat prints it."""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np


def latest_runs(store, experiment: str) -> list[dict]:
    """Runs (done and diverged) of the experiment's latest execution (its config's run ids), or
    all runs when no execution recorded them. Keeps a smoke run from mixing into a quick run's
    table."""
    return store.latest_runs(experiment)


def group_runs(runs: list[dict], key: Callable[[dict], tuple]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        groups[key(r)].append(r)
    return dict(groups)


class Stat(tuple):
    """(mean, std, n) — n the number of values averaged — plus `runs` (the done runs asked
    about) and `diverged` (runs excluded because they diverged)."""

    def __new__(cls, mean: float, std: float, n: int, runs: int | None = None, diverged: int = 0):
        self = super().__new__(cls, (mean, std, n))
        self.runs, self.diverged = n if runs is None else runs, diverged
        return self

    mean = property(lambda self: self[0])
    std = property(lambda self: self[1])
    n = property(lambda self: self[2])


def mean_std(values) -> Stat:
    """Mean ± std (ddof 1) of the finite values; n counts them (missing / non-finite dropped, so
    a caller can say 'k of n', e.g. seeds that never fitted)."""
    values = list(values)
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return Stat(float("nan"), float("nan"), 0, len(values))
    return Stat(float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0, int(v.size), len(values))


def is_done(run: dict) -> bool:
    return run.get("status", "done") == "done"


def status_counts(runs: list[dict]) -> str:
    """'3 done' / '2 done, 1 diverged': the status column of a table row."""
    counts: dict[str, int] = {}
    for r in runs:
        counts[r.get("status", "done")] = counts.get(r.get("status", "done"), 0) + 1
    order = {"done": 0, "diverged": 1, "failed": 2}
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: order.get(kv[0], 3))) \
        or "0 runs"


def fmt(mean: float, std: float, scale: float = 100.0, digits: int = 1) -> str:
    """'63.2 ± 1.1' (percent by default)."""
    if not np.isfinite(mean):
        return "–"
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def fmt_stat(stat: Stat, scale: float = 100.0, digits: int = 1) -> str:
    """fmt of a Stat, with '[n of N, k diverged]' whenever the mean is not over every run."""
    cell = fmt(stat[0], stat[1], scale, digits)
    notes = [f"{stat.n} of {stat.runs}"] if stat.n != stat.runs else []
    notes += [f"{stat.diverged} diverged"] if stat.diverged else []
    return f"{cell} [{', '.join(notes)}]" if notes else cell


def summary_stat(runs: list[dict], metric: str) -> Stat:
    """Mean ± std of a summary metric over the `done` runs; diverged runs counted, not averaged."""
    done = [r for r in runs if is_done(r)]
    diverged = sum(r.get("status") == "diverged" for r in runs)
    m = mean_std(r["summary"].get(metric) for r in done)
    return Stat(m[0], m[1], m[2], len(done), diverged)


def per_seed(runs: list[dict], metric: str, scale: float = 1.0) -> dict:
    """{seed: scale × summary metric} for genlab.claims: a run that is not `done` (diverged) or
    lacks the metric gives NaN, which a claim leaves out and counts in its note. Runs that share
    seeds (inits, data) pair across groups by these keys."""
    out = {}
    for r in runs:
        v = r["summary"].get(metric) if is_done(r) else None
        out[r["seed"]] = float("nan") if v is None else scale * float(v)
    return out


def table(columns: list[str], rows: list[list]) -> dict:
    return {"columns": columns, "rows": rows}


def curves(store, runs: list[dict], metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values (n_runs, n_evals)) of one metric for the `done` runs among `runs` (they
    share eval steps); diverged runs are left out (figures.mark_diverged says so on a panel)."""
    series = [store.metrics(r["run_id"]).get(metric) for r in runs if is_done(r)]
    series = [s for s in series if s]
    if not series:
        return np.zeros(0), np.zeros((0, 0))
    n = min(len(s[0]) for s in series)
    return np.asarray(series[0][0][:n]), np.asarray([s[1][:n] for s in series])
