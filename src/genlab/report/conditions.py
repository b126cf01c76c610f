"""Conditions of a result: preset, seeds, settings read from the stored configs, times, protocol vs paper."""
from __future__ import annotations

import json
import time

NAME = "conditions"  # artifact written by the CLI around each execution
MAX_VALUES = 6  # distinct values listed in full before a setting is summarized as a range


def record(store, experiment: str, **fields) -> None:
    """Merge `fields` (preset, config, status, wall_s, compile_s, expected_ids, ...) into the
    experiment's conditions artifact; `status` is 'running' until the execution finishes."""
    current = read(store, experiment) or {}
    current.update(fields, updated=time.time())
    store.put_artifact(experiment, NAME, json.dumps(current, default=str).encode(), kind="json")


def read(store, experiment: str) -> dict | None:
    raw = store.artifacts(experiment).get(NAME)
    return json.loads(raw) if raw is not None else None


def flatten(value, prefix: str = "") -> dict:
    """Nested config dict -> {'train.steps': 300, 'model_kwargs.width': 100, ...}; lists stay
    values (a list is one setting), joined into text by `show`."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat = {}
    for k, v in value.items():
        flat.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return flat


def show(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def distinct(runs: list[dict], key: str) -> list:
    """Distinct values of flattened config `key` over runs, sorted; missing keys are skipped."""
    seen = {}
    for r in runs:
        flat = flatten(r.get("config", {}))
        if key in flat:
            seen[show(flat[key])] = flat[key]
    return [seen[k] for k in sorted(seen, key=_sort_key(seen))]


def _sort_key(seen):
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen.values())
    return (lambda k: seen[k]) if numeric else (lambda k: k)


def describe(values: list) -> str:
    if not values:
        return "–"
    if len(values) <= MAX_VALUES:
        return ", ".join(show(v) for v in values)
    return f"{show(values[0])} … {show(values[-1])} ({len(values)} values)"


def settings(runs: list[dict]) -> list[list[str]]:
    """[[setting, values used]] for every config key of the runs (seed excluded: see `summary`)."""
    keys = sorted({k for r in runs for k in flatten(r.get("config", {}))})
    return [[k, describe(distinct(runs, k))] for k in keys if k not in ("seed",)]


def summary(store, experiment: str, runs: list[dict]) -> dict:
    """What the report and `results` print above an experiment's tables."""
    cond = read(store, experiment) or {}
    seeds = sorted({r["seed"] for r in runs if r.get("seed") is not None})
    expected = cond.get("expected_ids")
    finished = len(store.finished_ids(expected)) if expected else None
    wall_runs = sum(r.get("wall_s") or 0.0 for r in runs)
    return {"preset": cond.get("preset", "unknown (not run through the CLI)"),
            "status": _status(cond, finished, expected),
            "runs": len(runs), "seeds": f"{len(seeds)} ({describe(seeds)})",
            "overrides": ", ".join(cond.get("overrides") or []) or "none",
            "wall_s": cond.get("wall_s"), "compile_s": cond.get("compile_s"),
            "resumed_runs": cond.get("resumed_runs") or 0,
            "wall_runs_s": wall_runs, "finished": finished,
            "expected": len(expected) if expected else None, "when": cond.get("updated")}


def _status(cond: dict, finished: int | None, expected: list | None) -> str:
    if not cond:
        return "unknown (runs stored without an execution record)"  # older store, API use
    if cond.get("status") == "complete":
        return "complete"
    if expected:
        return f"incomplete: {finished} of {len(expected)} runs finished"
    return "incomplete: the execution was interrupted"


def protocol(runs: list[dict], published: list[tuple]) -> dict:
    """Protocol vs paper table. `published`: (setting, paper value, key or literal). A key is a
    flattened config key ('train.optimizer') read from the stored runs; anything else is taken
    as the literal genlab value (e.g. the dataset). A row deviates when the values differ."""
    rows = []
    for setting, paper, ours in published:
        if isinstance(ours, str) and ours.startswith("config:"):
            used = describe(distinct(runs, ours.removeprefix("config:")))
        else:
            used = show(ours)
        rows.append([setting, show(paper), used, "same" if _same(paper, used) else "DEVIATES"])
    return {"columns": ["setting", "paper", "genlab (stored configs)", "deviation"], "rows": rows}


def _same(paper, used: str) -> bool:
    try:
        return float(paper) == float(used)
    except (TypeError, ValueError):
        return show(paper).strip().lower() == used.strip().lower()


def seconds(value) -> str:
    if value is None:
        return "not recorded"
    return f"{value:.0f} s" if value < 600 else f"{value / 60:.1f} min"
