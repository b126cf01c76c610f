"""Implicit regularizers and kernel interpolation (Zhang et al., Understanding deep learning requires
rethinking generalization, ICLR 2017, §3.1, Fig. 2, Table 1 and §5) on MNIST-1D: early stopping's
gain with true and noisy labels, the minimum-norm interpolant on random (untrained) conv features,
and the same nets with and without batch norm."""
from __future__ import annotations

import dataclasses

from genlab.config import check
from genlab.data.datasets import DataSpec
from genlab.experiments import tables
from genlab.experiments.base import Experiment
from genlab.experiments.implicit_reg import batchnorm, features, features_report, stopping
from genlab.report import conditions
from genlab.sweep import Job, run_computed, run_jobs
from genlab.train import TrainSpec

NAME = "implicit_reg"
# Named architectures (registered model, kwargs): Zhang et al.'s MLP 1x512, and the MNIST-1D CNN.
ARCHS = {"mlp1x512": ("mlp", {"width": 512, "depth": 0, "residual": False}), "cnn": ("cnn", {})}


@dataclasses.dataclass(frozen=True)
class Config:
    # (1) early stopping: each arch on true labels and with label_noise, seeds members of one program
    archs: tuple[str, ...] = tuple(ARCHS)
    label_noise: float = 0.2
    seeds: int = 4
    n_train: int | None = 1000
    steps: int = 2000
    eval_every: int = 50  # the resolution of the best and the fit step
    lr: float = 4e-3  # Adam, as the randomization study: fits 1000 true labels in ~300-500 steps
    batch_size: int = 100
    # (2) kernel interpolation: random conv features (seeds = the random filters), Gaussian, raw
    kernel_n: int | None = 1000
    conv_channels: int = 512  # features = channels x positions of the last layer
    conv_depths: tuple[int, ...] = (1,)
    conv_pool: bool = True  # average over pairs of positions after each layer
    gaussian_scales: tuple[float, ...] = (0.25, 0.5, 1.0)  # bandwidth x median pairwise distance
    feature_seeds: int = 3
    # (3) batch norm: each bn_arch with and without it, true and random labels, trained as the
    # paper (SGD + momentum 0.9, constant lr here); n_train, batch size, seeds as in (1)
    bn_archs: tuple[str, ...] = tuple(ARCHS)
    bn_optimizer: str = "momentum"
    bn_lr: float = 0.05
    bn_steps: int = 1000
    # random labels on the first bn_random_n examples (None: n_train): fitting them is a question
    # of capacity against n, and at 4000 neither net fits them within a few thousand steps
    bn_random_n: int | None = 1000


PRESETS = {
    # ~20 s: the mechanics (MLP only, 300 examples, 600 steps, 2 seeds; kernels on 300 examples).
    "smoke": Config(archs=("mlp1x512",), seeds=2, n_train=300, steps=600, kernel_n=300,
                    conv_channels=128, gaussian_scales=(0.5,), feature_seeds=2,
                    bn_archs=("mlp1x512",), bn_steps=600),
    # `genlab run implicit_reg --preset quick`: MLP 1x512 and CNN on 1000 examples, 4 seeds:
    # 1200 Adam steps with true and 20%-noisy labels; 1000 SGD + momentum steps with and without
    # batch norm on true and random labels; kernels on 1000 examples, 512 random filters
    # (10,240 features), 3 filter seeds. Expect early stopping to gain ~1 point with true labels,
    # 2-4 with noise (best step before the fit step); conv features ~78% test acc vs ~48%
    # (Gaussian) and ~24% (raw); batch norm +2 (MLP) and ~+10 points (CNN), the CNN's random
    # labels fit only with it.
    "quick": Config(steps=1200),
    # All 4000 training examples, 6 seeds, 4000 steps (3000 for batch norm); kernels on 4000
    # examples with 2048 random filters (40,960 features), 5 filter seeds.
    "paper": Config(seeds=6, n_train=None, steps=4000, kernel_n=None, conv_channels=2048,
                    feature_seeds=5, bn_steps=3000),
}


def jobs(cfg: Config) -> list[Job]:
    """Every network the study trains: (1) each arch x {true labels, label_noise} x seed (Adam);
    (3) each bn_arch x {no batch norm, batch norm} x {true, random labels} x seed (SGD +
    momentum). Seeds, labels and noise are members of one program per arch (and norm)."""
    out = []
    spec = TrainSpec(steps=cfg.steps, batch_size=cfg.batch_size, eval_every=cfg.eval_every,
                     optimizer="adam", batching="reshuffle")
    for arch in cfg.archs:
        model, kwargs = ARCHS[arch]
        for p in (0.0, cfg.label_noise):
            out += [Job(model=model, model_kwargs=kwargs, train=spec, lr=cfg.lr, seed=s,
                        data=DataSpec(n_train=cfg.n_train, label_noise=p, seed=s),
                        tags={"arch": arch}) for s in range(cfg.seeds)]
    spec = dataclasses.replace(spec, steps=cfg.bn_steps, optimizer=cfg.bn_optimizer)
    for arch in cfg.bn_archs:
        model, kwargs = ARCHS[arch]
        for norm in ("none", "batch"):
            kw = {**kwargs, "norm": norm} if norm != "none" else kwargs
            out += [Job(model=model, model_kwargs=kw, train=spec, lr=cfg.bn_lr, seed=s,
                        data=DataSpec(n_train=n, condition=c, seed=s),
                        tags={"arch": arch, "norm": norm})
                    for c, n in (("true", cfg.n_train), ("random_labels", cfg.bn_random_n or
                                                         cfg.n_train)) for s in range(cfg.seeds)]
    return list({j.run_id(NAME): j for j in out}.values())  # a job named twice trains once


def validate(cfg: Config) -> None:
    check(set(cfg.archs) | set(cfg.bn_archs) <= set(ARCHS), f"archs must be among {', '.join(ARCHS)}")
    check(0.0 < cfg.label_noise < 1.0, f"label_noise must be in (0, 1), got {cfg.label_noise}")
    check(cfg.bn_steps % cfg.eval_every == 0, "bn_steps must be a multiple of eval_every")
    features.validate(cfg)


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    ids = run_jobs(NAME, jobs(cfg), store, progress=progress)
    return ids + run_computed(NAME, features.configs(cfg), features.compute, store,
                              progress=progress)


def analyze(store) -> dict:
    parts = (stopping, features_report, batchnorm)
    out = {"tables": {}, "headline": [], "notes": [], "captions": {}}
    for part in (p.analyze(store, NAME) for p in parts):
        for key in ("tables", "captions"):
            out[key].update(part[key])
        for key in ("headline", "notes"):
            out[key] += part[key]
    runs = tables.latest_runs(store, NAME)
    trained = [r for r in runs if "model" in r["config"]]
    subsets = ((stopping, [r for r in trained if stopping.is_stopping(r)]),
               (features_report, [r for r in runs if r["config"].get("part") == "kernel"]),
               (batchnorm, [r for r in trained if batchnorm.is_bn_part(r)]))
    table = conditions.protocol([], [])
    table["rows"] = [row for part, sub in subsets for row in
                     conditions.protocol(sub, part.PROTOCOL)["rows"]]
    out["protocol"] = table
    return out


def plot(store, outdir):
    return [path for part in (stopping, features_report, batchnorm)
            for path in part.plot(store, NAME, outdir)]

EXPERIMENT = Experiment(name=NAME, title="Implicit regularizers: early stopping, batch norm, kernels",
                        paper="Zhang et al., Understanding deep learning requires rethinking "
                              "generalization (ICLR 2017)",
                        presets=PRESETS, jobs=jobs, run=run, validate=validate, analyze=analyze,
                        plot=plot)
