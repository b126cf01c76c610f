"""Experiments that compute rather than train (kernel regression, constructions): the same
store contract — a config's hash is its id, finished ids are skipped, each result lands atomically."""
from __future__ import annotations

import time
from typing import Callable, Iterable

from genlab.identity import identity_hash
from genlab.provenance import provenance
from genlab.store import RunRecord, Store
from genlab.sweep import resume
from genlab.sweep.executor import current
from genlab.sweep.progress import progress_bar


def computed_id(experiment: str, config: dict) -> str:
    return identity_hash(experiment, config)


def run_computed(experiment: str, configs: Iterable[dict], compute: Callable[[dict], dict],
                 store: Store, *, progress: bool = True) -> list[str]:
    """For each config (a JSON-able dict with a 'seed' key) not yet in the store, call
    compute(config) -> {"summary": {name: float}, "metrics": {name: (steps, values)} (optional)}
    and write it as one run, through the one resume path (sweep/resume.py). Returns every
    config's run id, in order. A computation that raises is stored as `failed`."""
    configs = list(configs)
    ids = [computed_id(experiment, c) for c in configs]
    units = [[(i, c)] for i, c, needed in zip(ids, configs, resume.todo(store, ids)) if needed]
    with progress_bar(len(units), f"{experiment}: {len(units)} computations", progress) as advance:
        def train(items):
            records = computed_records(experiment, compute, items[0])
            advance()
            return records
        if current().name == "ray":
            from genlab.sweep.ray import run_units_ray
            run_units_ray(experiment, store, units, computed_records,
                          lambda items: (experiment, compute, items[0]), _describe,
                          on_unit=advance)
        else:
            resume.run_units(experiment, store, units, train, _describe)
    return ids


def _describe(config: dict) -> tuple[int, dict]:
    return int(config.get("seed", 0)), config


def computed_records(experiment: str, compute: Callable[[dict], dict], config: dict) -> list:
    """One computation as its store record (run remotely by the ray executor)."""
    t0 = time.perf_counter()
    out = compute(config)
    return [RunRecord(computed_id(experiment, config), int(config.get("seed", 0)), config,
                      out.get("metrics", {}), out["summary"], time.perf_counter() - t0,
                      provenance())]
