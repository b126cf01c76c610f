"""Experiment: presets, jobs (or a custom run), analysis and figures — the contract every study meets."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Callable

from genlab.config import ConfigError, apply_overrides, check
from genlab.store.sqlite import LATEST_IDS

PRESETS = ("smoke", "quick", "paper")
MAX_SEEDS = 1000  # more is a typo, not a sweep: it would build millions of jobs before failing
__all__ = ["LATEST_IDS", "MAX_SEEDS", "PRESETS", "Experiment"]


@dataclasses.dataclass(frozen=True)
class Experiment:
    """name/title/paper describe it; presets map smoke|quick|paper to a frozen Config dataclass
    (with a `seeds` field). Either `jobs(cfg) -> list[Job]` (trained by the shared engine) or
    `run(cfg, store, progress)` for work that is not network training. `analyze(store)` returns
    {"tables": {title: {"columns", "rows"}}, "headline": [{name, ours, paper, expected, seeds,
    check}], "notes": [...], optional "protocol" and "captions"} — the full contract is in
    docs/ENGINE.md ("What the report shows"); `plot(store, outdir)` writes PNGs, returns paths."""
    name: str
    title: str
    paper: str
    presets: dict
    analyze: Callable[[Any], dict]
    plot: Callable[[Any, Path], list[Path]]
    jobs: Callable[[Any], list] | None = None
    run: Callable[..., None] | None = None
    summarize: Callable | None = None
    validate: Callable[[Any], None] | None = None  # raises ConfigError; for a custom `run`

    def config(self, preset: str = "quick", *, seeds: int | None = None, sets: list[str] | None = None):
        if preset not in self.presets:
            raise ConfigError(f"unknown preset {preset!r} for {self.name}; choices: {', '.join(self.presets)}")
        cfg = self.presets[preset]
        if seeds is not None:
            check(0 < seeds <= MAX_SEEDS, f"--seeds must be in [1, {MAX_SEEDS}], got {seeds}")
            cfg = dataclasses.replace(cfg, seeds=seeds)
        cfg = apply_overrides(cfg, sets)
        seeds = getattr(cfg, "seeds", 1)
        check(0 < seeds <= MAX_SEEDS, f"seeds must be in [1, {MAX_SEEDS}], got {seeds}")
        if self.validate is not None:
            self.validate(cfg)
        if self.jobs is not None:  # validate everything before a store is opened
            from genlab.sweep.jobs import validate_jobs
            jobs = self.jobs(cfg)
            if not jobs:  # e.g. --set models= : an empty list is a typo, not a sweep
                empty = [f.name for f in dataclasses.fields(cfg) if getattr(cfg, f.name) == ()]
                raise ConfigError(f"{self.name}: this config gives no runs (empty: "
                                  f"{', '.join(empty) or 'none'})")
            validate_jobs(jobs)
        return cfg

    def execute(self, cfg, store, *, progress: bool = True, executor: str = "local",
                address: str | None = None) -> None:
        """Run (resuming), then record which runs this config consists of, so analysis can
        show the latest protocol rather than a mix of presets (see tables.latest_runs).
        executor/address reach a custom `run` too (through sweep.executor.use_executor)."""
        from genlab.sweep.executor import ExecutorSpec, use_executor
        with use_executor(ExecutorSpec(executor, address)):
            if self.run is not None:
                ids = self.run(cfg, store, progress=progress)
            else:
                from genlab.sweep import run_jobs
                ids = run_jobs(self.name, self.jobs(cfg), store, summarize=self.summarize,
                               progress=progress)
        if ids:
            store.put_artifact(self.name, LATEST_IDS, json.dumps(list(ids)).encode(), kind="json")
