"""The outer (meta-)optimization loop over hypergradients: history per outer step, stored like any
run's metrics, with a meta-state snapshot every few steps so an interrupted meta-run resumes."""
from __future__ import annotations

import dataclasses
import io
import operator
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from genlab.provenance import provenance
from genlab.store import RunRecord


@dataclasses.dataclass(frozen=True)
class MetaSpec:
    """outer_steps of `optimizer` ("sgd" | "adam") at meta_lr, hypergradients clipped elementwise
    to ±clip (None: no clipping); a snapshot every snapshot_every outer steps; fresh_keys: a new
    inner init / data / noise draw at every outer step (fold_in of the step), else the same one."""
    outer_steps: int
    meta_lr: float
    optimizer: str = "sgd"
    clip: float | None = None
    snapshot_every: int = 10
    fresh_keys: bool = False

    def make_optimizer(self) -> optax.GradientTransformation:
        core = {"sgd": optax.sgd, "adam": optax.adam}[self.optimizer](self.meta_lr)
        return core if self.clip is None else optax.chain(optax.clip(self.clip), core)


def leaf_metrics(prefix: str, tree: dict) -> dict:
    """Per-member scalars of a hyper pytree {name: (M, ...)}: the value itself if a scalar per
    member, its L2 norm ('.../norm') otherwise."""
    out = {}
    for name, value in tree.items():
        value = np.asarray(value)
        if value.ndim == 1:
            out[f"{prefix}/{name}"] = value
        else:
            out[f"{prefix}/{name}/norm"] = np.sqrt((value.reshape(len(value), -1) ** 2).sum(1))
    return out


def _pack(step: int, state, history: dict) -> bytes:
    arrays = {f"state/{i:04d}": np.asarray(a) for i, a in enumerate(jax.tree.leaves(state))}
    arrays.update({f"history/{k}": np.stack(v) for k, v in history.items()})
    buffer = io.BytesIO()
    np.savez(buffer, step=np.asarray(step), **arrays)
    return buffer.getvalue()


def _unpack(data: bytes, like):
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        leaves = [jnp.asarray(z[f"state/{i:04d}"]) for i in range(len(jax.tree.leaves(like)))]
        history = {k[len("history/"):]: list(z[k]) for k in z.files if k.startswith("history/")}
        return int(z["step"]), jax.tree.unflatten(jax.tree.structure(like), leaves), history


def fold_keys(keys: dict, step: int) -> dict:
    """Every member's key streams folded with the outer step (a fresh inner draw per step)."""
    return {name: jax.vmap(jax.random.fold_in, (0, None))(k, step) for name, k in keys.items()}


def meta_train(step_grads: Callable, hyper: dict, keys: dict, spec: MetaSpec, *,
               extras: Callable | None = None, store=None, experiment: str = "",
               snapshot: str | None = None, on_step: Callable | None = None):
    """Optimize hyper {name: (M, ...)} by the hypergradients step_grads(hyper, keys) ->
    ((loss (M,), aux), grads). extras(hyper, aux) -> {name: (M,)} adds metrics per outer step.

    History rows t = 0..outer_steps-1 hold the meta-loss, hyperparameters and hypergradients at
    the hyper of step t (before its update). With store and snapshot (an artifact name), the
    state is saved every spec.snapshot_every steps and a later call resumes from it.
    Returns (final hyper, history {name: np.ndarray (outer_steps, M)}).
    """
    opt = spec.make_optimizer()
    state, start, history = (hyper, opt.init(hyper)), 0, {}
    saved = store.artifacts(experiment).get(snapshot) if store is not None and snapshot else None
    if saved:
        start, state, history = _unpack(saved, state)
    for t in range(start, spec.outer_steps):
        hyper, opt_state = state
        step_keys = fold_keys(keys, t) if spec.fresh_keys else keys
        (loss, aux), grads = step_grads(hyper, step_keys)
        row = {"meta/loss": np.asarray(loss), **leaf_metrics("hyper", hyper),
               **leaf_metrics("hypergrad", grads), **(extras(hyper, aux) if extras else {})}
        for name, value in row.items():
            history.setdefault(name, []).append(np.asarray(value))
        updates, opt_state = opt.update(grads, opt_state, hyper)
        state = (optax.apply_updates(hyper, updates), opt_state)
        if store is not None and snapshot and ((t + 1) % spec.snapshot_every == 0):
            store.put_artifact(experiment, snapshot, _pack(t + 1, state, history), kind="npz")
        if on_step is not None:
            on_step(t)
    return state[0], {k: np.stack(v) for k, v in history.items()}


def member_records(run_ids, seeds, configs, history: dict, *, final=None, arrays=None,
                   wall_s: float = 0.0):
    """One RunRecord per meta-member: metrics over outer steps; summary = the last row plus
    final {name: (M,)} (e.g. the hyperparameters after the last update); arrays {name: (M, ...)}."""
    records = []
    steps = list(range(len(next(iter(history.values())))))
    for m, (run_id, seed, config) in enumerate(zip(run_ids, seeds, configs)):
        metrics = {k: (steps, v[:, m].tolist()) for k, v in history.items()}
        summary = {k: float(v[-1, m]) for k, v in history.items()}
        summary.update({k: float(np.asarray(v)[m]) for k, v in (final or {}).items()})
        extra = {k: jax.tree.map(operator.itemgetter(m), v) for k, v in (arrays or {}).items()}
        records.append(RunRecord(run_id, int(seed), config, metrics, summary, wall_s,
                                 provenance(), extra))
    return records


def timed(fn: Callable, *args, **kwargs):
    """(result, wall seconds) of fn(*args, **kwargs)."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def run_meta_group(experiment: str, store, configs: list[dict], step_grads: Callable, hyper: dict,
                   keys: dict, spec: MetaSpec, *, extras: Callable | None = None,
                   final: Callable | None = None, arrays: Callable | None = None,
                   on_step: Callable | None = None) -> list[str]:
    """Meta-train M members (configs[m] with a 'seed') as one vmapped program and write one run
    each, atomically; skipped when all are stored, resumed from the group's last snapshot.
    final(hyper) -> {name: (M,)} adds end-of-run values to the summaries; arrays(hyper) ->
    {name: (M, ...)} stores per-member arrays (Store.run_arrays). Returns the run ids."""
    from genlab.config import config_hash
    from genlab.sweep.computed import computed_id

    ids = [computed_id(experiment, c) for c in configs]
    if store.finished_ids(ids) == set(ids):
        return ids
    snapshot = f"meta_state/{config_hash({'ids': ids})}"
    (result, wall_s) = timed(meta_train, step_grads, hyper, keys, spec, extras=extras, store=store,
                             experiment=experiment, snapshot=snapshot, on_step=on_step)
    last, history = result
    records = member_records(ids, [c["seed"] for c in configs], configs, history,
                             final=final(last) if final else None,
                             arrays=arrays(last) if arrays else None, wall_s=wall_s)
    store.write_group(experiment, records)
    return ids
