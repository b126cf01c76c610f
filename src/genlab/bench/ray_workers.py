"""`genlab bench ray`: a sweep of many small compile groups on a local Ray with 1 vs 2 worker
CPUs (one CPU and one XLA thread per task), each from a fresh store and compilation cache."""
from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

from genlab.provenance import provenance


def small_groups(groups: int, members: int, steps: int) -> list:
    """`groups` compile groups (MLP widths) of `members` seeds each, baselines protocol."""
    from genlab import experiments
    exp = experiments.get("baselines")
    base = [j for j in exp.jobs(exp.config("smoke")) if j.model == "mlp"][0]
    spec = dataclasses.replace(base.train, steps=steps, eval_every=steps)
    return [dataclasses.replace(base, train=spec, seed=s,
                                model_kwargs={**base.model_kwargs, "width": 40 + 8 * g})
            for g in range(groups) for s in range(members)]


def timed_sweep(jobs: list, cpus: int, workdir: Path) -> float:
    """Wall seconds of run_jobs on a fresh local Ray with `cpus` CPUs (Ray start excluded)."""
    import ray

    from genlab.store import open_store
    from genlab.sweep import run_jobs
    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(workdir / f"xla-{cpus}")  # cold for each
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        db = open_store(workdir / f"ray-{cpus}.sqlite")
        t = time.perf_counter()
        run_jobs("bench", jobs, db, progress=False, executor="ray")
        return time.perf_counter() - t
    finally:
        ray.shutdown()


def bench_ray(groups: int = 12, members: int = 2, steps: int = 1000) -> dict:
    jobs = small_groups(groups, members, steps)
    saved = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            walls = {cpus: timed_sweep(jobs, cpus, Path(tmp)) for cpus in (1, 2)}
    finally:
        if saved is not None:
            os.environ["JAX_COMPILATION_CACHE_DIR"] = saved
    return {"groups": groups, "members": members, "steps": steps,
            "one_worker_s": round(walls[1], 2), "two_workers_s": round(walls[2], 2),
            "speedup": round(walls[1] / walls[2], 2), "load": os.getloadavg(),
            "machine": provenance()}
