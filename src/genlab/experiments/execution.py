"""An execution as the CLI runs it: resumed runs announced, conditions recorded (preset, config,
status, wall and compile time) so the report can say under which conditions each number arose."""
from __future__ import annotations

import dataclasses
import sys
import time

from genlab.compilation import compile_timer
from genlab.experiments import tables
from genlab.report import conditions


def expected_ids(exp, cfg) -> list[str] | None:
    """Run ids a job sweep will produce (None for a custom `run`, which only knows them after)."""
    if exp.jobs is None:
        return None
    return [job.run_id(exp.name) for job in exp.jobs(cfg)]


def execute(exp, cfg, store, *, preset: str, overrides: list[str] | None = None,
            progress: bool = True, executor: str = "local", address: str | None = None,
            log=None) -> dict:
    """exp.execute with its conditions recorded before (status 'running') and after ('complete');
    an interrupted execution therefore shows as incomplete in the report."""
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    ids = expected_ids(exp, cfg)
    before = conditions.read(store, exp.name) or {}
    skipped = 0
    if ids:
        skipped = len(store.finished_ids(ids))
        log(f"{exp.name}: {len(ids)} runs; {skipped} already in the store (skipped), "
            f"{len(ids) - skipped} to train")
    conditions.record(store, exp.name, preset=preset, overrides=list(overrides or []),
                      config=_config_dict(cfg), status="running", expected_ids=ids)
    stored_before = len(store.runs(exp.name))
    start = time.perf_counter()
    with compile_timer() as compiled:
        exp.execute(cfg, store, progress=progress, executor=executor, address=address)
    total = len(ids or [])
    if not ids:  # a custom run: count after the fact from the ids it recorded
        total = len(tables.latest_runs(store, exp.name))
        skipped = max(total - (len(store.runs(exp.name)) - stored_before), 0)
        log(f"{exp.name}: {total} runs; {skipped} were already in the store (skipped)")
    times = {"wall_s": time.perf_counter() - start, "compile_s": compiled.seconds,
             "resumed_runs": skipped}
    if total and skipped == total and before.get("wall_s") is not None:
        # nothing trained: keep the times of the execution that trained
        times = {k: before.get(k) for k in times}
    conditions.record(store, exp.name, status="complete", **times)
    return times


def _config_dict(cfg) -> dict:
    if dataclasses.is_dataclass(cfg):
        return dataclasses.asdict(cfg)
    return dict(vars(cfg))
