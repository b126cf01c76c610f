"""Local executor: run each compile group as one train_many call; write each group atomically."""
from __future__ import annotations

import time
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab.compilation import compile_timer
from genlab.config import check
from genlab.data import datasets
from genlab.data.augment import Augmented
from genlab.data.sources import FiniteSource
from genlab.provenance import provenance
from genlab.store import RunRecord, Store
from genlab.sweep import resume
from genlab.sweep.executor import EXECUTORS, current
from genlab.sweep.groups import RegistryModel, padded_group_data
from genlab.sweep.jobs import Job, group_jobs
from genlab.sweep.padded_models import padded_members
from genlab.sweep.progress import progress_bar
from genlab.train.diverge import diverged_step
from genlab.train.loop import FINITE
from genlab.train.many import Members, train_many


def run_jobs(experiment: str, jobs: list[Job], store: Store, *, summarize: Callable | None = None,
             progress: bool = True, max_members: int = 64, executor: str | None = None) -> list[str]:
    """Train every job not already finished in `store`; return all run ids (in job order).

    summarize(job, history, eval_steps) -> dict of extra summary values (optional).
    executor: "local" (groups one after another, progress per eval chunk) or "ray" (groups as
    remote tasks; see sweep/ray.py); None: the command's (sweep/executor.py). Either way the driver writes each group atomically through
    the one resume path (sweep/resume.py): killing a sweep loses only the groups in flight, and
    re-running resumes. max_members and executor change speed only, never run ids or numbers.
    """
    executor = executor or current().name
    check(executor in EXECUTORS, f"unknown executor {executor!r}; choices: {', '.join(EXECUTORS)}")
    ids = [j.run_id(experiment) for j in jobs]
    pending = [j for j, needed in zip(jobs, resume.todo(store, ids)) if needed]
    groups = group_jobs(pending, max_members)
    if executor == "ray":
        _run_ray(experiment, groups, store, summarize)
        return ids
    total = sum(g[0].train.num_evals for g in groups)
    with progress_bar(total, f"{experiment}: {len(pending)} runs", progress) as advance:
        def train(group):
            advance(0, f"{experiment} {group[0].model} ({len(group)} members)")
            return train_records(experiment, group, summarize, on_chunk=lambda i: advance())
        units = [[(j.run_id(experiment), j) for j in g] for g in groups]
        resume.run_units(experiment, store, units, train, _describe)
    return ids


def _describe(job: Job) -> tuple[int, dict]:
    return job.seed, job.to_dict()


def _run_ray(experiment, groups, store, summarize) -> None:
    """Claim every pending run, train the groups remotely, write each as it arrives."""
    from genlab.sweep.ray import run_units_ray
    units = [[(j.run_id(experiment), j) for j in g] for g in groups]
    run_units_ray(experiment, store, units, train_records,
                  lambda jobs: (experiment, jobs, summarize), _describe)


def train_records(experiment: str, group: list[Job], summarize=None, on_chunk=None,
                  make=None, *, mask=None, start=None, snapshot_steps: tuple[int, ...] = (),
                  keep_arrays: bool = False) -> list[RunRecord]:
    """Train one compile group (one compiled program); return its store records, each with its
    status (done, or diverged at the first evaluation with a non-finite loss, metric or
    parameter, or a training loss above TrainSpec.diverge_factor times its step-0 value:
    train.loop.diverged_step). Pure: no store access. make(key) -> model overrides the registry
    model.
    mask / start / snapshot_steps: per-member (stacked) masks, start params and snapshots, as in
    train_many. keep_arrays: each record stores its member's final params ("final"), mask
    ("mask") and snapshots ("step_<k>") in RunRecord.arrays."""
    t0 = time.perf_counter()
    with compile_timer() as compiled:
        out = train_networks(group, make, on_chunk, mask=mask, start=start,
                             snapshot_steps=snapshot_steps)
    nets, hist, data = out[:3]
    wall = (time.perf_counter() - t0) / len(group)
    # compile_s: the whole group's compile time (tracing + XLA, or a persistent-cache fetch)
    steps, prov = group[0].train.eval_steps(), {**provenance(), "compile_s": compiled.seconds}
    finite = hist.pop(FINITE)
    records = []
    for m, (job, d) in enumerate(zip(group, data)):
        h = {name: v[m] for name, v in hist.items()}
        diverged = diverged_step({**h, FINITE: finite[m]}, steps, job.train.diverge_factor)
        summary = {name: float(v[-1]) for name, v in h.items()}
        summary["data/realized_noise"] = d["realized_noise"]
        if summarize is not None:
            summary.update(summarize(job, h, steps))
        arrays = _member_arrays(m, nets, mask, out[4] if snapshot_steps else {}) if keep_arrays else {}
        records.append(RunRecord(job.run_id(experiment), job.seed, job.to_dict(),
                                 {n: (steps, v.tolist()) for n, v in h.items()}, summary, wall, prov,
                                 status="done" if diverged is None else "diverged",
                                 diverged_step=diverged, arrays=arrays))
    return records


def _member_arrays(m: int, nets, mask, snapshots: dict) -> dict:
    def pick(tree):
        return jax.tree.map(lambda a: np.asarray(a[m]), tree)
    arrays = {"final": pick(eqx.filter(nets, eqx.is_inexact_array))}
    if mask is not None:
        arrays["mask"] = pick(mask)
    arrays.update({f"step_{k}": pick(v) for k, v in snapshots.items()})
    return arrays


def initial_params(group: list[Job]):
    """The stacked params the group's members start from (the registry model at each init key)."""
    members, x_size = _members(group), datasets.build(group[0].data)["x"].shape[1]
    make = RegistryModel(group[0].model, x_size, tuple(sorted(group[0].model_kwargs.items())))
    return eqx.filter(eqx.filter_vmap(make)(members.keys()["init"]), eqx.is_inexact_array)


def _members(group: list[Job]) -> Members:
    return Members(seeds=tuple(j.seed for j in group), lr=tuple(j.lr for j in group),
                   weight_decay=tuple(j.weight_decay for j in group),
                   init_seeds=tuple(j.seed if j.init_seed is None else j.init_seed for j in group),
                   dropout=group[0].uses_dropout)


def train_networks(group: list[Job], make=None, on_chunk=None, *, mask=None, start=None,
                   snapshot_steps: tuple[int, ...] = ()):
    """train_many on one compile group, keeping the final networks: (stacked networks, history,
    per-member data, Members), plus {step: stacked params} when snapshot_steps is given.
    make defaults to the registry model of the group's jobs."""
    job0 = group[0]
    source, evals, axis, data = _group_data(group)
    members = _members(group)
    padded = None if make is not None else padded_members(
        group, members.keys()["init"], data[0]["x"].shape[1], data[0].get("num_outputs", 10))
    if padded is not None:  # sizes as a member axis (TrainSpec.pad_model)
        check(mask is None and start is None, "pad_model does not combine with masks or start params")
        make, start, mask = padded
    make = make or RegistryModel(job0.model, data[0]["x"].shape[1],
                                 tuple(sorted(job0.model_kwargs.items())),
                                 num_outputs=data[0].get("num_outputs", 10))  # from the data
    out = train_many(make, members, source, evals, job0.train, source_axis=axis, eval_axis=axis,
                     on_chunk=on_chunk, mask=mask, start=start, snapshot_steps=snapshot_steps)
    return (out[0], out[1], data, members) + tuple(out[2:])


# Earlier names, kept for callers in other studies.
train_group = train_records
train_models = train_networks


def _group_data(group: list[Job]):
    """Shared arrays when every member trains on the same data; else stacked on a member axis.

    A stream spec (the Ideal World) trains on a StreamSource of fresh batches; its "train" eval is
    its fixed n_train sample (drawn like the Real World's, never trained on: a held-out estimate),
    its "test" eval the shared test set. Augmentation wraps either source identically.
    """
    from genlab.data.stream import StreamSource

    data = [datasets.build(j.data) for j in group]
    if len({len(d["y"]) for d in data}) > 1:  # training-set size as a member axis
        return *padded_group_data(group, data, _members(group).keys()["data"]), 0, data
    spec, cap = group[0].train, group[0].train.eval_train_max
    aug = group[0].data

    def member(d, dspec):
        if dspec.stream:
            source = StreamSource(dspec.generator_args(), spec.batch_size, dspec.label_noise,
                                  dspec.label_noise_kind)
        else:
            source = FiniteSource(jnp.asarray(d["x"]), jnp.asarray(d["y"]), spec.batch_size, spec.batching)
        if aug.augment_shift or aug.augment_noise:
            source = Augmented(source, aug.augment_shift, aug.augment_noise)
        evals = {"train": (jnp.asarray(d["x"][:cap]), jnp.asarray(d["y"][:cap])),
                 "test": (jnp.asarray(d["x_test"]), jnp.asarray(d["y_test"]))}
        return source, evals

    if len({id(d) for d in data}) == 1:
        return *member(data[0], aug), None, data
    per_member = [member(d, j.data) for d, j in zip(data, group)]
    source, evals = jax.tree.map(lambda *a: jnp.stack(a), *per_member)
    return source, evals, 0, data
