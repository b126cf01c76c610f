"""One pruning level = one compiled program: lottery jobs, their stored arrays, and the level runner."""
from __future__ import annotations

import functools

import jax

from genlab import models
from genlab.config import config_hash
from genlab.data.datasets import DataSpec
from genlab.experiments.lottery.config import NAME, Config
from genlab.sweep import Job, resume
from genlab.sweep.local import train_records
from genlab.train import TrainSpec, prune

REINIT_OFFSET = 10_000  # init seed of a re-initialized ticket: trial + offset (a fresh draw)


def make_job(cfg: Config, spec: TrainSpec, *, protocol: str, line: str, level: int, trial: int,
             sparsity: float, lineage: str, data: DataSpec | None = None,
             init_seed: int | None = None, extra: dict | None = None) -> Job:
    """A lottery run. `lineage` names the pruning history (schedule prefix, rates) that produced
    its mask, so two different histories never share a run id; `extra`: more tags (how masks
    were ranked), recorded in the run's config."""
    tags = {"protocol": protocol, "line": line, "level": level, "sparsity": round(float(sparsity), 6),
            "lineage": lineage, **(extra or {})}
    return Job(model="mlp", data=data or DataSpec(), train=spec, lr=cfg.lr,
               model_kwargs={"width": cfg.width}, seed=trial, init_seed=init_seed, tags=tags)


def lineage(*parts) -> str:
    return config_hash({"lineage": [list(p) if isinstance(p, tuple) else p for p in parts]})[:12]


@functools.lru_cache(maxsize=8)
def template(width: int, in_size: int = 40):
    """The params pytree of the study's network (leaf structure for masks and stored arrays)."""
    return prune.params_of(models.make("mlp", key=jax.random.key(0), in_size=in_size, width=width))


def load(store, cfg: Config, job: Job, name: str):
    """A stored pytree ('final', 'mask', 'step_<k>') of a finished run, shaped like the params."""
    return prune.from_arrays(template(cfg.width), store.run_arrays(job.run_id(NAME), name))


def run_level(store, jobs: list[Job], build, *, snapshot_steps: tuple[int, ...] = (),
              on_chunk=None) -> list[str]:
    """Train a level's jobs as one program (trials x lines are members) unless all are stored,
    through the engine's one resume path (leases; a raising unit is stored as `failed`).

    build(jobs) -> (masks, starts or None), one per job: called only when the level must train,
    so a re-run reads nothing and trains nothing. Each record stores final params, mask, snapshots."""
    ids = [j.run_id(NAME) for j in jobs]
    if not any(resume.todo(store, ids)):
        return ids

    def train(todo: list[Job]) -> list:
        masks, starts = build(todo)
        return train_records(NAME, todo, on_chunk=on_chunk, mask=prune.stack(masks),
                             start=None if starts is None else prune.stack(starts),
                             snapshot_steps=snapshot_steps, keep_arrays=True)
    resume.run_units(NAME, store, [list(zip(ids, jobs))], train, lambda j: (j.seed, j.to_dict()))
    return ids
