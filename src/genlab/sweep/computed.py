"""Experiments that compute rather than train (kernel regression, constructions): the same
store contract — a config's hash is its id, finished ids are skipped, each result lands atomically."""
from __future__ import annotations

import time
from typing import Callable, Iterable

from genlab.config import config_hash
from genlab.provenance import provenance
from genlab.store import RunRecord, Store
from genlab.sweep.executor import current
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
        for config, run_id, out, wall in _outputs(todo, compute):
            rec = RunRecord(run_id, int(config.get("seed", 0)), config, out.get("metrics", {}),
                            out["summary"], wall, provenance())
            store.write_group(experiment, [rec])
            advance()
    return ids


def _timed(compute, config):
    t0 = time.perf_counter()
    return compute(config), time.perf_counter() - t0


def _outputs(todo, compute):
    """(config, run id, output, wall) per computation: in order here, or as Ray tasks finish
    under the ray executor (sweep/executor.py)."""
    spec = current()
    if spec.name != "ray":
        for config, run_id in todo:
            yield config, run_id, *_timed(compute, config)
        return
    from genlab.sweep.ray import map_ray
    calls = [(compute, config) for config, _ in todo]
    for i, (out, wall) in map_ray(_timed, calls, cpus=spec.cpus_per_task, address=spec.address):
        yield todo[i][0], todo[i][1], out, wall
