"""Optimizers on real networks (Arora's essay "Is optimization a sufficient language for understanding
deep learning?"; Wilson et al., NeurIPS 2017): MNIST-1D MLP/CNN trained to ~zero training loss by
full-batch GD, SGD, SGD + momentum, Adam and AdaGrad, each at the lr picked on a validation split carved
from the training set (Wilson et al.): the same training loss, different test accuracy, test
predictions, distance travelled from the init and weight norm."""
from __future__ import annotations

import dataclasses
import functools
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab import models
from genlab.config import check
from genlab.data import datasets
from genlab.data.datasets import DataSpec
from genlab.experiments.base import Experiment
from genlab.optim import SCHEDULES
from genlab.provenance import provenance
from genlab.store import RunRecord
from genlab.sweep import Job, resume
from genlab.sweep.jobs import group_jobs
from genlab.sweep.local import train_networks
from genlab.sweep.progress import progress_bar
from genlab.train import TrainSpec
from genlab.train.diverge import diverged_step
from genlab.train.loop import FINITE
from genlab.train.many import scale_init

NAME = "optimizers"
# label -> (optimizer, full batch?); minibatch methods use cfg.batch_size with reshuffling.
METHODS = {"gd": ("sgd", True), "sgd": ("sgd", False), "momentum": ("momentum", False),
           "adam": ("adam", False), "adagrad": ("adagrad", False)}
# Tuning grids (members of one program). Quick runs with grids one and two steps lower picked
# the top value for every method (largest stable lr = lowest final train loss), so each grid
# now reaches one step above the last pick (2026-11-29).
LR_GRIDS = {"gd": (0.1, 0.3, 1.0, 3.0), "sgd": (0.1, 0.3, 1.0, 3.0), "momentum": (0.01, 0.03, 0.1, 0.3),
            "adam": (1e-3, 3e-3, 1e-2, 3e-2), "adagrad": (0.01, 0.03, 0.1, 0.3)}
FROZEN_TRAIN = 4000  # rows of the frozen MNIST-1D training split; validation comes from its tail


@dataclasses.dataclass(frozen=True)
class Config:
    """Each (model, method, init scale) is one program; its members are the lr grid x seeds.
    The init-scale panel reruns `init_methods` on `init_models` at each of `init_scales`
    (every parameter multiplied by the scale) over the same lr grid.
    n_val: validation examples, the last n_val rows of the frozen training split (never trained
    on: n_train + n_val <= 4000); the lr is picked on them (Wilson et al. 2017 tune on a
    development set). schedule: the lr's shape over training (TrainSpec); "step" multiplies it
    by 0.1 at 1/3 and 2/3 of training, a fixed decay of the kind Wilson et al. tune per method."""
    models: tuple[str, ...] = ("mlp", "cnn")
    methods: tuple[str, ...] = tuple(METHODS)
    seeds: int = 3
    n_train: int = 3500
    n_val: int = 500
    schedule: str = "constant"
    steps: int = 8000
    eval_every: int = 250
    batch_size: int = 100
    init_models: tuple[str, ...] = ("mlp",)
    init_methods: tuple[str, ...] = ("gd", "adam")
    init_scales: tuple[float, ...] = (0.5, 2.0)


def validate(cfg: Config) -> None:
    check(cfg.seeds > 0 and cfg.steps > 0 and 0 < cfg.eval_every <= cfg.steps
          and cfg.steps % cfg.eval_every == 0, "need seeds, steps > 0 and eval_every dividing steps")
    for m in cfg.models + cfg.init_models:
        models.get(m)
    unknown = set(cfg.methods + cfg.init_methods) - set(METHODS)
    check(not unknown, f"unknown method(s) {sorted(unknown)}; choices: {', '.join(METHODS)}")
    check(all(s > 0 for s in cfg.init_scales), "init scales must be > 0")
    check(cfg.n_train > 0 and cfg.n_val > 0 and cfg.n_train + cfg.n_val <= FROZEN_TRAIN,
          f"need n_train, n_val > 0 and n_train + n_val <= {FROZEN_TRAIN} (validation rows are "
          "held out of the training split)")
    check(cfg.schedule in SCHEDULES, f"unknown schedule {cfg.schedule!r}; choices: {', '.join(SCHEDULES)}")


PRESETS = {
    # seconds: the MLP, 2 methods, 300 examples, 1 seed.
    "smoke": Config(models=("mlp",), methods=("gd", "adam"), seeds=1, n_train=300, n_val=200, steps=200,
                    eval_every=100, init_methods=("gd",), init_scales=(0.5,)),
    # `genlab run optimizers --preset quick`: the MLP on 1000 examples (500 more held out for
    # validation), 5 methods x 4 lrs x 2 seeds, 2000 steps, init scales 0.5 / 2 for SGD and Adam;
    # ~1 min on 2 idle cores (59.5 s user+sys CPU, +1% over picking by train loss; 2026-12-07).
    # Measured: every method at the validation-picked lr ends below train loss 0.006; test
    # accuracy momentum 47.8 ± 1.1% vs AdaGrad 47.2 ± 1.8% (the best of each family by
    # validation); from one init the methods' test predictions differ on 30% of examples, one
    # method's two seeds on 36%.
    "quick": Config(models=("mlp",), seeds=2, n_train=1000, steps=2000, eval_every=100,
                    init_methods=("sgd", "adam")),
    # MLP and CNN on 3500 examples (500 held out for validation), 8000 steps, 3 seeds: ~1.3 h on
    # 2 cores, ESTIMATED from the engine benchmark (docs/BENCHMARKS.md; measured at 4000
    # examples); full-batch GD on the CNN is most of it.
    "paper": Config(),
}


def jobs(cfg: Config) -> list[tuple[float, Job]]:
    """(init scale, job) pairs; tags carry method, init scale and the validation rows (part of
    the run id: the record holds the validation accuracy)."""
    out = []
    panels = [(cfg.models, cfg.methods, (1.0,)), (cfg.init_models, cfg.init_methods, cfg.init_scales)]
    for model_names, methods, scales in panels:
        for model in model_names:
            for method in methods:
                optimizer, full = METHODS[method]
                spec = TrainSpec(steps=cfg.steps, batch_size=cfg.n_train if full else cfg.batch_size,
                                 eval_every=cfg.eval_every, optimizer=optimizer, batching="reshuffle",
                                 eval_train_max=cfg.n_train, schedule=cfg.schedule)
                out += [(scale, Job(model=model, data=DataSpec(n_train=cfg.n_train), train=spec, lr=lr,
                                    seed=s, tags={"method": method, "init_scale": scale, "n_val": cfg.n_val}))
                        for scale in scales for lr in LR_GRIDS[method] for s in range(cfg.seeds)]
    return out


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    """Train every (model, method, init scale) program's unfinished runs through the shared
    resume path (leases; a program that raises is stored as failed); return the run ids."""
    pairs = jobs(cfg)
    ids = [j.run_id(NAME) for _, j in pairs]
    todo = [(s, j) for (s, j), needed in zip(pairs, resume.todo(store, ids)) if needed]
    units = [[(j.run_id(NAME), (s, j)) for j in g] for s in dict.fromkeys(s for s, _ in todo)
             for g in group_jobs([j for t, j in todo if t == s])]
    with progress_bar(sum(u[0][1][1].train.num_evals for u in units), f"{NAME}: {len(todo)} runs",
                      progress) as advance:
        def train(items):
            scale, group = items[0][0], [j for _, j in items]
            advance(0, f"{NAME} {group[0].model} {group[0].tags['method']} init x{scale:g}")
            return train_program(group, scale, on_chunk=lambda i: advance())
        resume.run_units(NAME, store, units, train, lambda item: (item[1].seed, item[1].to_dict()))
    return ids


def _make(name, kwargs, scale, key):
    model = models.make(name, key=key, **dict(kwargs))
    return model if scale == 1.0 else scale_init(model, jnp.asarray(scale, jnp.float32))


def held_out(job: Job) -> tuple:
    """(x_val, y_val, x_test, y_test): the last n_val rows of the frozen training split (never
    in the first n_train rows the job trains on) and the test set."""
    full = datasets.build(dataclasses.replace(job.data, n_train=None))
    n_val = int(job.tags["n_val"])
    check(len(full["x"]) - n_val >= (job.data.n_train or len(full["x"])), "validation rows overlap training")
    return full["x"][-n_val:], full["y"][-n_val:], full["x_test"], full["y_test"]


def predict(nets, x: np.ndarray) -> np.ndarray:
    """(members, examples) predicted classes of the stacked networks."""
    return np.asarray(eqx.filter_vmap(lambda net: jnp.argmax(jax.vmap(net)(jnp.asarray(x)), -1))(nets))


def train_program(group: list[Job], scale: float, on_chunk=None) -> list[RunRecord]:
    """train_models on one group at init scale `scale`; adds the validation accuracy, the
    distance travelled from the init and the final weight norm (L2 over all parameters) to each
    run's summary, and stores its final params ("final") and test predictions ("test_pred")."""
    t0 = time.perf_counter()
    make = functools.partial(_make, group[0].model, tuple(sorted(group[0].model_kwargs.items())), scale)
    nets, hist, _, members = train_networks(group, make, on_chunk)
    inits = eqx.filter_vmap(make)(members.keys()["init"])
    final, start = (eqx.filter(m, eqx.is_inexact_array) for m in (nets, inits))
    square = lambda tree: sum(jnp.sum(x.reshape(x.shape[0], -1) ** 2, axis=1) for x in jax.tree.leaves(tree))  # noqa: E731
    distance = np.sqrt(np.asarray(square(jax.tree.map(jnp.subtract, final, start))))
    norm = np.sqrt(np.asarray(square(final)))
    x_val, y_val, x_test, _ = held_out(group[0])
    val_acc, test_pred = (predict(nets, x_val) == y_val).mean(axis=1), predict(nets, x_test)
    steps, wall, prov = group[0].train.eval_steps(), (time.perf_counter() - t0) / len(group), provenance()
    finite = hist.pop(FINITE)
    records = []
    for m, job in enumerate(group):
        h = {name: v[m] for name, v in hist.items()}
        summary = {name: float(v[-1]) for name, v in h.items()}
        summary.update({"val/acc": float(val_acc[m]), "params/distance_from_init": float(distance[m]),
                        "params/norm": float(norm[m])})
        bad = diverged_step({**h, FINITE: finite[m]}, steps, job.train.diverge_factor)
        arrays = {"final": jax.tree.map(lambda a, i=m: np.asarray(a[i]), final),
                  "test_pred": test_pred[m].astype(np.int8)}
        records.append(RunRecord(job.run_id(NAME), job.seed, job.to_dict(),
                                 {n: (steps, v.tolist()) for n, v in h.items()}, summary, wall, prov,
                                 status="done" if bad is None else "diverged", diverged_step=bad,
                                 arrays=arrays))
    return records


def _report():
    from genlab.experiments import optimizers_report
    return optimizers_report


EXPERIMENT = Experiment(name=NAME, title="Optimizers: same training loss, different solutions",
                        paper="Arora, Is optimization a sufficient language for understanding deep "
                              "learning? (2019); Wilson et al., The marginal value of adaptive "
                              "gradient methods (NeurIPS 2017)",
                        presets=PRESETS, run=run, validate=validate,
                        analyze=lambda store: _report().analyze(store),
                        plot=lambda store, outdir: _report().plot(store, outdir))
