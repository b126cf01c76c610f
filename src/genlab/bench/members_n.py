"""`genlab bench n-axis`: a grid over training-set sizes N as one padded program (N a member
axis) against one program per N (the engine before), same jobs, same numbers."""
from __future__ import annotations

import dataclasses
import time

from genlab.provenance import provenance


def grid_jobs(model: str, n_trains: tuple, seeds: int, steps: int, batching: str) -> list:
    """Real-World jobs of the baselines protocol with the given N grid (Deep Bootstrap's shape)."""
    from genlab import experiments
    exp = experiments.get("baselines")
    base = [j for j in exp.jobs(exp.config("smoke")) if j.model == model][0]
    spec = dataclasses.replace(base.train, steps=steps, eval_every=steps, batch_size=128,
                               batching=batching)
    return [dataclasses.replace(base, data=dataclasses.replace(base.data, n_train=n), train=spec,
                                seed=s) for n in n_trains for s in range(seeds)]


def _timed(groups, repeats: int) -> tuple[float, float]:
    """(first wall: compile included, fastest of `repeats` more: compiled programs reused)."""
    from genlab.sweep.local import train_group
    walls = []
    for _ in range(1 + repeats):
        t = time.perf_counter()
        for group in groups:
            train_group("bench", group)
        walls.append(time.perf_counter() - t)
    return walls[0], min(walls[1:])


def bench_n_axis(models_: tuple = ("mlp", "cnn"), n_trains: tuple = (1000, 2000, 4000),
                 seeds: int = 3, steps: int = 1000, repeats: int = 3) -> dict:
    out = {}
    for model in models_:
        for batching in ("slices", "reshuffle"):
            jobs = grid_jobs(model, n_trains, seeds, steps, batching)
            per_n = [[j for j in jobs if j.data.n_train == n] for n in n_trains]
            old_first, old_run = _timed(per_n, repeats)
            new_first, new_run = _timed([jobs], repeats)
            out[f"{model}/{batching}"] = {
                "per_n_programs_s": round(old_first, 2), "per_n_run_s": round(old_run, 2),
                "one_program_s": round(new_first, 2), "one_program_run_s": round(new_run, 2),
                "speedup_with_compile": round(old_first / new_first, 2),
                "speedup_run_only": round(old_run / new_run, 2)}
    out["setup"] = {"n_trains": list(n_trains), "seeds": seeds, "steps": steps, "batch": 128,
                    "repeats": repeats}
    out["machine"] = provenance()
    return out
