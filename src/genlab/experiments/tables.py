"""Shared analysis helpers: group finished runs and report mean ± std over seeds."""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np


def latest_runs(store, experiment: str) -> list[dict]:
    """Finished runs of the experiment's latest execution (its config's run ids), or all runs
    when no execution recorded them. Keeps a smoke run from mixing into a quick run's table."""
    import json

    from genlab.experiments.base import LATEST_IDS
    runs = store.runs(experiment)
    raw = store.artifacts(experiment).get(LATEST_IDS)
    if raw is None:
        return runs
    keep = set(json.loads(raw))
    return [r for r in runs if r["run_id"] in keep]


def group_runs(runs: list[dict], key: Callable[[dict], tuple]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        groups[key(r)].append(r)
    return dict(groups)


def mean_std(values) -> tuple[float, float, int]:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return float("nan"), float("nan"), 0
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0, int(v.size)


def fmt(mean: float, std: float, scale: float = 100.0, digits: int = 1) -> str:
    """'63.2 ± 1.1' (percent by default)."""
    if not np.isfinite(mean):
        return "–"
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def summary_stat(runs: list[dict], metric: str) -> tuple[float, float, int]:
    return mean_std(r["summary"].get(metric) for r in runs)


def table(columns: list[str], rows: list[list]) -> dict:
    return {"columns": columns, "rows": rows}


def curves(store, runs: list[dict], metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values (n_runs, n_evals)) of one metric for runs that share eval steps."""
    series = [store.metrics(r["run_id"]).get(metric) for r in runs]
    series = [s for s in series if s]
    if not series:
        return np.zeros(0), np.zeros((0, 0))
    n = min(len(s[0]) for s in series)
    return np.asarray(series[0][0][:n]), np.asarray([s[1][:n] for s in series])
