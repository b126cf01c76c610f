"""Implicit regularizers and kernel interpolation (Zhang et al., Understanding deep learning requires
rethinking generalization, ICLR 2017, §3.1, Fig. 2 and §5) on MNIST-1D: early stopping's gain with
true and noisy labels, and the minimum-norm interpolant on random (untrained) conv features."""
from __future__ import annotations

import dataclasses

from genlab.config import check
from genlab.data.datasets import DataSpec
from genlab.experiments import tables
from genlab.experiments.base import Experiment
from genlab.experiments.implicit_reg import features, features_report, stopping
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


PRESETS = {
    # ~15 s: the mechanics (MLP only, 300 examples, 600 steps, 2 seeds; kernels on 300 examples).
    "smoke": Config(archs=("mlp1x512",), seeds=2, n_train=300, steps=600, kernel_n=300,
                    conv_channels=128, gaussian_scales=(0.5,), feature_seeds=2),
    # `genlab run implicit_reg --preset quick`: MLP and CNN on 1000 examples, 4 seeds, 2000 Adam
    # steps; kernels on 1000 examples, 512 random filters (10,240 features), 3 filter seeds.
    # Expect a gain < 1 point with true labels and 1.5-3 points with 20% noise, the noisy runs'
    # best step before their fit step; conv features ~78% test acc vs ~48% (Gaussian), ~24% (raw).
    "quick": Config(),
    # All 4000 training examples, 6 seeds, 4000 steps; kernels on 4000 examples with 2048 random
    # filters (40,960 features) in one and two layers, 5 filter seeds.
    "paper": Config(seeds=6, n_train=None, steps=4000, kernel_n=None, conv_channels=2048,
                    conv_depths=(1, 2), feature_seeds=5),
}


def jobs(cfg: Config) -> list[Job]:
    """Every network the study trains: each arch x {true labels, label_noise} x seed."""
    spec = TrainSpec(steps=cfg.steps, batch_size=cfg.batch_size, eval_every=cfg.eval_every,
                     optimizer="adam", batching="reshuffle")
    out = []
    for arch in cfg.archs:
        model, kwargs = ARCHS[arch]
        for p in (0.0, cfg.label_noise):
            out += [Job(model=model, model_kwargs=kwargs, train=spec, lr=cfg.lr, seed=s,
                        data=DataSpec(n_train=cfg.n_train, label_noise=p, seed=s),
                        tags={"arch": arch}) for s in range(cfg.seeds)]
    return list({j.run_id(NAME): j for j in out}.values())  # a job named twice trains once


def validate(cfg: Config) -> None:
    check(set(cfg.archs) <= set(ARCHS), f"archs must be among {', '.join(ARCHS)}")
    check(0.0 < cfg.label_noise < 1.0, f"label_noise must be in (0, 1), got {cfg.label_noise}")
    features.validate(cfg)


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    ids = run_jobs(NAME, jobs(cfg), store, progress=progress)
    return ids + run_computed(NAME, features.configs(cfg), features.compute, store,
                              progress=progress)


def analyze(store) -> dict:
    parts = [stopping.analyze(store, NAME), features_report.analyze(store, NAME)]
    out = {"tables": {}, "headline": [], "notes": [], "captions": {}}
    for part in parts:
        for key in out:
            out[key] = out[key] | part.get(key, {}) if isinstance(out[key], dict) \
                else out[key] + part.get(key, [])
    out["protocol"] = conditions.protocol(tables.latest_runs(store, NAME),
                                          [*stopping.PROTOCOL, *features_report.PROTOCOL])
    return out


def plot(store, outdir):
    return stopping.plot(store, NAME, outdir) + features_report.plot(store, NAME, outdir)


EXPERIMENT = Experiment(name=NAME, title="Implicit regularizers: early stopping, kernel interpolation",
                        paper="Zhang et al., Understanding deep learning requires rethinking "
                              "generalization (ICLR 2017)",
                        presets=PRESETS, jobs=jobs, run=run, validate=validate, analyze=analyze,
                        plot=plot)
