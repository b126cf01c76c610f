"""Meta-learning the learning rate by gradient descent through 200 SGD steps (Greydanus & Kobak,
Scaling down deep learning with MNIST-1D, ICML 2024, meta-learning notebook): both starts, 1.5 and
0.15, should reach the same lr (published ≈ 0.62); plus the meta-loss landscape, a float64
finite-difference check of the hypergradient, and a meta-learned 200-step lr schedule."""
from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from genlab import models
from genlab.config import check
from genlab.data.datasets import DataSpec, build
from genlab.data.sources import FiniteSource
from genlab.experiments.base import Experiment
from genlab.experiments.meta import lr_report
from genlab.sweep import run_computed
from genlab.train import TrainSpec
from genlab.train import hypergrad as hg
from genlab.train.meta_loop import MetaSpec, run_meta_group

NAME = "meta_lr"


@dataclasses.dataclass(frozen=True)
class Config:
    starts: tuple[float, ...] = (1.5, 0.15)
    seeds: int = 3               # inner-network initializations (meta-members)
    inner_steps: int = 200       # plain SGD, batch 50, consecutive slices of the 4000 examples
    batch_size: int = 50
    width: int = 50              # MLP 40-50-10, tanh
    outer_steps: int = 50        # plain GD on the lr
    meta_lr: float = 0.3
    landscape_lrs: tuple[float, float, int] = (0.05, 3.0, 60)  # (lowest, highest, count), log grid
    check_lrs: tuple[float, ...] = (0.15, 0.62, 1.5)          # finite-difference check, float64
    fd_epsilon: float = 1e-4
    schedule_outer_steps: int = 100  # per-step lr schedule: Adam on 200 values from the optimum
    schedule_meta_lr: float = 0.02


PRESETS = {
    # seconds: 40 inner steps, 30 outer steps, 1 seed; both starts move toward one lr.
    "smoke": Config(seeds=1, inner_steps=40, outer_steps=30, landscape_lrs=(0.05, 3.0, 8),
                    check_lrs=(0.62,), schedule_outer_steps=3),
    # `genlab run meta_lr --preset quick`: the notebook's protocol (50 outer steps of 200 inner
    # steps) over 2 seeds; ~30 s on 2 cores. Expect both starts within ±0.02 of one lr (≈0.6).
    "quick": Config(seeds=2, landscape_lrs=(0.05, 3.0, 50), check_lrs=(0.15, 0.62, 1.5),
                    schedule_outer_steps=40),
    # the same protocol over 5 seeds, 200 outer steps for the schedule; ~2 min on 2 cores.
    "paper": Config(seeds=5, schedule_outer_steps=200),
}


def protocol(cfg: Config) -> dict:
    """The fields that define a meta-run's numbers (part of each run id)."""
    return {"inner_steps": cfg.inner_steps, "batch_size": cfg.batch_size, "width": cfg.width}


@functools.lru_cache(maxsize=8)
def programs(cfg: Config, dtype=None) -> dict:
    """The compiled-once functions of this protocol: objective, hypergradient, landscape values."""
    d = build(DataSpec())
    x = jnp.asarray(d["x"], dtype or jnp.float32)
    source = FiniteSource(x, jnp.asarray(d["y"]), batch_size=cfg.batch_size, batching="slices")
    spec = TrainSpec(steps=cfg.inner_steps, batch_size=cfg.batch_size, eval_every=cfg.inner_steps,
                     optimizer="sgd", batching="slices")

    def make_model(hyper, key):
        return models.make("mlp", key=key, width=cfg.width, depth=0, residual=False,
                           activation="tanh")
    fn = hg.make_objective(make_model, source, spec, dtype=dtype)
    return {"objective": fn, "grads": hg.hypergradient(fn), "values": hg.meta_values(fn)}


def landscape_lrs(cfg: Config) -> np.ndarray:
    low, high, count = cfg.landscape_lrs
    return np.geomspace(low, high, int(count))


def compute_landscape(cfg: Config, config: dict) -> dict:
    """Meta-loss at every grid lr, all in one vmapped program."""
    lrs = landscape_lrs(cfg)
    keys = hg.member_keys([config["seed"]] * len(lrs))
    losses = np.asarray(programs(cfg)["values"]({"lr": jnp.asarray(lrs, jnp.float32)}, keys))
    steps = list(range(len(lrs)))
    best = int(np.nanargmin(losses))
    return {"summary": {"landscape/argmin_lr": lrs[best], "landscape/min_loss": losses[best]},
            "metrics": {"landscape/lr": (steps, lrs.tolist()),
                        "landscape/meta_loss": (steps, losses.tolist())}}


def compute_check(cfg: Config, config: dict) -> dict:
    """Hypergradient (reverse mode through training) vs a central difference, in float64, at
    every check lr in one vmapped program."""
    with jax.enable_x64(True):
        fn = programs(cfg, jnp.float64)["objective"]
        keys = {k: v[0] for k, v in hg.member_keys([config["seed"]]).items()}

        def both(lr):
            hyper = {"lr": lr}
            grad = jax.grad(lambda h: fn(h, keys)[0])(hyper)["lr"]
            return grad, hg.finite_difference(fn, hyper, keys, "lr", config["epsilon"])
        grads, finite = jax.jit(jax.vmap(both))(jnp.asarray(config["lrs"], jnp.float64))
    steps = list(range(len(config["lrs"])))
    rel = np.abs(np.asarray(grads) - np.asarray(finite)) / np.maximum(np.abs(finite), 1e-12)
    return {"summary": {"check/max_rel_error": float(rel.max())},
            "metrics": {"check/lr": (steps, list(config["lrs"])),
                        "check/hypergrad": (steps, np.asarray(grads).tolist()),
                        "check/finite_difference": (steps, np.asarray(finite).tolist()),
                        "check/rel_error": (steps, rel.tolist())}}


def run_schedule(cfg: Config, store, optimum: float) -> list[str]:
    """Meta-learn lr_t for each of the inner steps (Adam), from the constant optimum, all seeds
    as members of one program; the schedule itself is stored as the run's array "lr_steps"."""
    prog, seeds = programs(cfg), list(range(cfg.seeds))
    keys = hg.member_keys(seeds)
    const = {"lr_steps": jnp.full((cfg.seeds, cfg.inner_steps), optimum, jnp.float32)}
    configs = [{"kind": "schedule", "start_lr": round(optimum, 4), "seed": k, **protocol(cfg),
                "outer_steps": cfg.schedule_outer_steps, "meta_lr": cfg.schedule_meta_lr}
               for k in seeds]

    def final(hyper):
        return {"final/meta_loss": prog["values"](hyper, keys),
                "final/constant_meta_loss": prog["values"](const, keys)}
    spec = MetaSpec(outer_steps=cfg.schedule_outer_steps, meta_lr=cfg.schedule_meta_lr,
                    optimizer="adam")
    return run_meta_group(NAME, store, configs, prog["grads"], const, keys, spec, final=final,
                          arrays=lambda h: {"lr_steps": np.asarray(h["lr_steps"])})


def validate(cfg: Config) -> None:
    check(len(cfg.starts) > 0 and all(s > 0 for s in cfg.starts), "starts must be positive lrs")
    for name in ("inner_steps", "batch_size", "width", "outer_steps", "schedule_outer_steps"):
        check(int(getattr(cfg, name)) > 0, f"{name} must be a positive integer")
    check(cfg.meta_lr > 0 and cfg.schedule_meta_lr > 0, "meta learning rates must be positive")
    low, high, count = cfg.landscape_lrs
    check(0 < low < high and int(count) >= 2, "landscape_lrs must be (low > 0, high > low, count >= 2)")
    check(all(v > 0 for v in cfg.check_lrs) and cfg.fd_epsilon > 0, "check_lrs, fd_epsilon must be > 0")


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    base = {**protocol(cfg), "outer_steps": cfg.outer_steps, "meta_lr": cfg.meta_lr}
    members = [(s, k) for s in cfg.starts for k in range(cfg.seeds)]
    configs = [{"kind": "meta", "start": s, "seed": k, **base} for s, k in members]
    ids = run_meta_group(NAME, store, configs, programs(cfg)["grads"],
                         {"lr": jnp.asarray([s for s, _ in members], jnp.float32)},
                         hg.member_keys([k for _, k in members]),
                         MetaSpec(outer_steps=cfg.outer_steps, meta_lr=cfg.meta_lr),
                         final=lambda h: {"final/lr": h["lr"]})
    finals = [r["summary"]["final/lr"] for r in store.runs(NAME) if r["run_id"] in ids]
    optimum = float(np.mean(finals))
    landscape = [{"kind": "landscape", "grid": landscape_lrs(cfg).tolist(), "seed": k,
                  **protocol(cfg)} for k in range(cfg.seeds)]
    ids += run_computed(NAME, landscape, lambda c: compute_landscape(cfg, c), store,
                        progress=progress)
    check_config = {"kind": "check", "lrs": list(cfg.check_lrs), "epsilon": cfg.fd_epsilon,
                    "seed": 0, **protocol(cfg)}
    ids += run_computed(NAME, [check_config], lambda c: compute_check(cfg, c), store,
                        progress=progress)
    return ids + run_schedule(cfg, store, optimum)


EXPERIMENT = Experiment(name=NAME, title="Meta-learning the learning rate through training",
                        paper="Greydanus & Kobak, Scaling down deep learning with MNIST-1D "
                              "(ICML 2024), meta-learning notebook",
                        presets=PRESETS, validate=validate, run=run, analyze=lr_report.analyze,
                        plot=lr_report.plot)
