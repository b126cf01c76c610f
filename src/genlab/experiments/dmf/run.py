"""dmf runs: one train_many program per (depth, #observed, optimizer); convex baselines per problem."""
from __future__ import annotations

import functools
import time

import equinox as eqx
import jax
import jax.numpy as jnp

from genlab.data import arrays, matrices
from genlab.experiments.dmf.config import Config
from genlab.experiments.dmf.nuclear import minimize_nuclear_norm, solution_summary
from genlab.models.factorization import Factorization, spectrum_probe
from genlab.provenance import provenance
from genlab.store import RunRecord
from genlab.sweep import resume
from genlab.sweep.computed import computed_id, run_computed
from genlab.sweep.progress import progress_bar
from genlab.train.diverge import diverged_step
from genlab.train.loop import FINITE, TrainSpec
from genlab.train.many import Members, train_many

NAME = "dmf"


def programs(cfg: Config) -> dict[tuple, list[dict]]:
    """{(depth, num_observed, optimizer, init): member configs}: the panels, duplicates merged."""
    out: dict[tuple, dict[str, dict]] = {}

    def add(depth, observed, optimizer, scales, lrs, **extra):
        for seed in range(cfg.seeds):
            for scale in scales:
                for lr in lrs:
                    c = {**member_config(cfg, depth, observed, optimizer, scale, lr, seed), **extra}
                    key = (depth, observed, optimizer, c.get("init", "gaussian"))
                    out.setdefault(key, {})[computed_id(NAME, c)] = c

    for depth in cfg.depths:
        for observed in cfg.observed:
            add(depth, observed, "global_rms", (cfg.init_scale,), (cfg.lr,))
    for depth in cfg.init_depths:
        for observed in cfg.init_observed:
            add(depth, observed, "global_rms", cfg.init_scales, (cfg.lr,))
    for depth in cfg.optimizer_depths:
        for optimizer, lrs in cfg.optimizer_lrs().items():
            add(depth, cfg.reference_observed, optimizer, (cfg.init_scale,), lrs)
    for depth in cfg.dynamics_depths:  # Fig. 3: plain GD from the identity scaled to the init size
        add(depth, cfg.reference_observed, "sgd", (cfg.init_scale,), (cfg.dynamics_lr,), init="identity",
            steps=cfg.dynamics_steps, eval_every=cfg.dynamics_eval_every)
    return {k: list(v.values()) for k, v in out.items()}


def member_config(cfg: Config, depth, observed, optimizer, init_scale, lr, seed) -> dict:
    c = {"kind": "factorization", "size": cfg.size, "rank": cfg.rank, "num_observed": observed,
         "depth": depth, "optimizer": optimizer, "lr": lr, "init_scale": init_scale,
         "seed": seed, "steps": cfg.steps, "eval_every": cfg.eval_every, "stop_loss": cfg.stop_loss}
    if optimizer == "global_rms":  # the authors' GroupRMSprop (roosephu/deep_matrix_factorization
        # opt.py; main.py builds it with eps 1e-4, decay 0.99), through TrainSpec.rms_decay / rms_eps
        c.update(rms_decay=cfg.rms_decay, rms_eps=cfg.rms_eps)
    return c


def nuclear_configs(cfg: Config) -> list[dict]:
    counts = dict.fromkeys(cfg.observed + cfg.init_observed)
    return [{"kind": "nuclear", "size": cfg.size, "rank": cfg.rank, "num_observed": m,
             "tolerance": cfg.nuclear_tolerance, "seed": s} for m in counts for s in range(cfg.seeds)]


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    """Train every program's unfinished members through the shared resume path (leases, failed
    runs recorded), solve the convex baselines; return all run ids."""
    groups = programs(cfg)
    units = [[(computed_id(NAME, c), c) for c in configs] for configs in groups.values()]
    ids = [i for unit in units for i, _ in unit]
    pending = [[(i, c) for (i, c), needed in zip(unit, resume.todo(store, [i for i, _ in unit])) if needed]
               for unit in units]
    with progress_bar(sum(bool(u) for u in pending) * (cfg.steps // cfg.eval_every),
                      f"{NAME}: {len(groups)} programs", progress) as advance:
        def train(configs):
            c0 = configs[0]
            advance(0, f"{NAME} depth {c0['depth']}, {c0['num_observed']} observed, {c0['optimizer']}")
            return train_program(configs, [computed_id(NAME, c) for c in configs], on_chunk=lambda i: advance())
        resume.run_units(NAME, store, pending, train, lambda c: (c["seed"], c))
    ids += run_computed(NAME, nuclear_configs(cfg), solve_nuclear, store, progress=progress)
    return ids


def problem(c: dict) -> matrices.MatrixProblem:
    return matrices.MatrixProblem(c["size"], c["rank"], c["num_observed"], c["seed"])


def train_program(configs: list[dict], run_ids: list[str], on_chunk=None) -> list[RunRecord]:
    """One train_many call: members share depth, #observed and optimizer; each member trains on
    its own seed's problem (stacked sources), full batch, stopping at train MSE <= stop_loss."""
    c0, t0 = configs[0], time.perf_counter()
    size, observed = c0["size"], c0["num_observed"]
    per_member = [arrays.source_and_evals(_entry_data(problem(c))) for c in configs]
    source, evals = jax.tree.map(lambda *a: jnp.stack(a), *per_member)
    # global_rms members carry the authors' GroupRMSprop decay and eps (member_config)
    rms = {k: c0[k] for k in ("rms_decay", "rms_eps") if k in c0}
    spec = TrainSpec(steps=c0["steps"], batch_size=observed, eval_every=c0["eval_every"],
                     optimizer=c0["optimizer"], loss="mse", batching="slices",
                     eval_batch=size * size, eval_train_max=observed, **rms)
    members = Members(seeds=tuple(c["seed"] for c in configs), lr=tuple(c["lr"] for c in configs),
                      init_scale=tuple(c["init_scale"] for c in configs))
    make = functools.partial(_make_factorization, size, c0["depth"], c0.get("init", "gaussian"))
    _, hist = train_many(make, members, source, evals, spec, source_axis=0, eval_axis=0,
                         on_chunk=on_chunk, stop_loss=c0["stop_loss"], probe=probe)
    wall, steps, prov = (time.perf_counter() - t0) / len(configs), spec.eval_steps(), provenance()
    finite = hist.pop(FINITE)
    records = []
    for m, (c, run_id) in enumerate(zip(configs, run_ids)):
        h = {name: v[m] for name, v in hist.items()}
        summary = {name: float(v[-1]) for name, v in h.items()}
        stop = int(h["train/stop_step"][-1])
        summary.update({"train/converged": float(stop >= 0), "train/steps": stop if stop >= 0 else c["steps"]})
        bad = diverged_step({**h, FINITE: finite[m]}, steps, spec.diverge_factor)
        records.append(RunRecord(run_id, c["seed"], c, {n: (steps, v.tolist()) for n, v in h.items()},
                                 summary, wall, prov, status="done" if bad is None else "diverged",
                                 diverged_step=bad))
    return records


def probe(model: Factorization) -> dict:
    """spectrum_probe plus matrix/schatten: sum of sigma_i^(2/depth), the Schatten-2/depth
    quasi-norm raised to 2/depth (what the authors' main.py logs as `Schatten_norm`; the
    penalty a depth-N factorization with balanced factors pays, Arora et al. 2019 Sec. 2)."""
    out = spectrum_probe(model)
    singular = jnp.linalg.svd(model.matrix(), compute_uv=False)
    out["matrix/schatten"] = jnp.sum(singular ** (2.0 / model.depth))
    return out


@functools.lru_cache(maxsize=64)
def _entry_data(prob: matrices.MatrixProblem) -> dict:
    d = matrices.entry_arrays(prob)
    return arrays.array_data(*(d[k] for k in arrays.KEYS))


def _make_factorization(size, depth, init, key):
    """Gaussian factors, or (init "identity", the authors' dynamics runs) every factor the
    identity, which scale_init then scales by init_scale**(1/depth) as main.py does."""
    model = Factorization(key=key, size=size, depth=depth)
    if init == "identity":
        model = eqx.tree_at(lambda m: m.factors, model, tuple(jnp.eye(size) for _ in range(depth)))
    return model


def solve_nuclear(c: dict) -> dict:
    d = matrices.entry_arrays(problem(c))
    values = d["target"][d["x"][:, 0], d["x"][:, 1]]  # float64, not the float32 training copy
    solution = minimize_nuclear_norm(c["size"], d["x"], values, c["tolerance"])
    return {"summary": solution_summary(solution, d["target"], d["x"])}
