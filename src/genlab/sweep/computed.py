"""Experiments that compute rather than train (kernel regression, constructions): the same
store contract — a config's hash is its id, finished ids are skipped, each result lands atomically."""
from __future__ import annotations

import time
from typing import Callable, Iterable

from genlab.config import config_hash
from genlab.provenance import provenance
from genlab.store import RunRecord, Store
from genlab.sweep.progress import progress_bar


def computed_id(experiment: str, config: dict) -> str:
    return config_hash({"experiment": experiment, **config})


def run_computed(experiment: str, configs: Iterable[dict], compute: Callable[[dict], dict],
                 store: Store, *, progress: bool = True) -> list[str]:
    """For each config (a JSON-able dict with a 'seed' key) not yet in the store, call
    compute(config) -> {"summary": {name: float}, "metrics": {name: (steps, values)} (optional)}
    and write it as one run. Returns every config's run id, in order."""
    configs = list(configs)
    ids = [computed_id(experiment, c) for c in configs]
    done = store.finished_ids(ids)
    todo = [(c, i) for c, i in zip(configs, ids) if i not in done]
    with progress_bar(len(todo), f"{experiment}: {len(todo)} computations", progress) as advance:
        for config, run_id in todo:
            t0 = time.perf_counter()
            out = compute(config)
            rec = RunRecord(run_id, int(config.get("seed", 0)), config, out.get("metrics", {}),
                            out["summary"], time.perf_counter() - t0, provenance())
            store.write_group(experiment, [rec])
            advance()
    return ids
