"""Infinite width on MNIST-1D (Jacot et al., NeurIPS 2018; Arora et al., "On Exact Computation
with an Infinitely Wide Neural Net", NeurIPS 2019): NTK / NNGP regression with FC and 1-D conv
kernels, and finite NTK-parameterized MLPs trained by gradient descent approaching the NTK."""
from __future__ import annotations

import dataclasses
import functools
import json

import jax
import jax.numpy as jnp
import numpy as np

from genlab.config import check
from genlab.data.datasets import DataSpec, build
from genlab.experiments.base import Experiment
from genlab.experiments.ntk.nets import train_nets
from genlab.experiments.ntk.report import NAME, analyze, plot
from genlab.kernels import accuracy, conv1d_kernels, fc_kernels, gd_prediction, kernel_regression
from genlab.kernels.conv1d import READOUTS
from genlab.kernels.fc import KINDS
from genlab.sweep import run_computed

NUM_CLASSES = 10


@dataclasses.dataclass(frozen=True)
class Config:
    # (a) kernel regression (ridge 0) on the first n frozen training examples.
    kinds: tuple[str, ...] = KINDS
    fc_depths: tuple[int, ...] = (2, 3, 4, 5, 6)
    fc_n_train: tuple[int, ...] = (500, 1000, 2000, 4000)
    cntk_depths: tuple[int, ...] = (1, 2, 4)
    readouts: tuple[str, ...] = READOUTS
    cntk_n_train: tuple[int, ...] = (500, 1000, 2000)
    cntk_n_test: int = 1000  # the CNTK costs O(n·(n + n_test)·L²·depth): a test subset is cheaper
    # (b) finite MLPs (depth Dense layers) vs the NTK of the same depth.
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096)
    net_depth: int = 2
    net_n_train: int = 1000
    steps: int = 2000  # full-batch GD steps (NTK parameterization)
    lr_fraction: float = 0.5  # lr = lr_fraction · n / λmax(Θ): (2·lr/n)·λmax = 2·lr_fraction < 2
    adam_steps: int = 2000  # full-batch Adam steps (standard parameterization)
    adam_lr: float = 1e-3
    evals: int = 8  # test outputs recorded at steps 0, T/evals, ..., T
    seeds: int = 3  # network inits; kernel regression is deterministic (one run each)


PRESETS = {
    # ~25 s: the mechanics at toy sizes (n ≤ 200, widths 64 and 1024).
    "smoke": Config(fc_depths=(2, 3), fc_n_train=(100, 200), cntk_depths=(1,), cntk_n_train=(50,),
                    cntk_n_test=100, widths=(64, 1024), net_n_train=100, steps=200,
                    adam_steps=200, evals=4, seeds=2),
    # `genlab run ntk --preset quick`: ~3 min on 2 cores. Expect FC kernels 44-55% test acc at
    # n = 2000 (rising with n), CNTK-GAP depth 2 ~90% at n = 500 (flatten ~50%), the GD nets'
    # distance to their linearization 0.81 -> 0.39 (width 64 -> 1024), nets ~25% vs NTK 32%.
    # Three net seeds: the third costs ~18 of ~104 CPU-s (measured), and decides the Adam net
    # vs NTK row (two seeds: -5.1 [-24.2, +14.0] points; three: -5.6 [-9.9, -1.3]).
    "quick": Config(fc_n_train=(250, 500, 1000, 2000), cntk_depths=(1, 2),
                    cntk_n_train=(125, 250, 500), cntk_n_test=500, widths=(64, 256, 1024),
                    net_n_train=500, steps=1000, adam_steps=1000, seeds=3),
    # ~1 h (estimated from quick's costs; the CNTKs at n = 2000 and width 4096 dominate).
    "paper": Config(),
}


@functools.cache
def _data() -> dict:
    return build(DataSpec())


def validate(cfg: Config) -> None:
    """Raise ConfigError on values that cannot run; called by Experiment.config, before any store."""
    n_train, n_test = len(_data()["y"]), len(_data()["y_test"])
    check(len(cfg.kinds) > 0 and set(cfg.kinds) <= set(KINDS), f"kinds must be in {KINDS}")
    check(set(cfg.readouts) <= set(READOUTS), f"readouts must be in {READOUTS}")
    check(all(d >= 1 for d in cfg.fc_depths + cfg.cntk_depths), "kernel depths must be >= 1")
    check(cfg.net_depth >= 2, f"net_depth must be >= 2 (a hidden layer), got {cfg.net_depth}")
    sizes = cfg.fc_n_train + cfg.cntk_n_train + (cfg.net_n_train,)
    check(all(1 <= n <= n_train for n in sizes), f"training sizes must be in 1..{n_train}")
    check(1 <= cfg.cntk_n_test <= n_test, f"cntk_n_test must be in 1..{n_test}")
    check(all(w >= 1 for w in cfg.widths), "widths must be positive")
    check(cfg.evals >= 1 and cfg.steps % cfg.evals == 0 and cfg.adam_steps % cfg.evals == 0,
          f"steps and adam_steps must be positive multiples of evals ({cfg.evals})")
    check(0 < cfg.lr_fraction < 1, f"lr_fraction must be in (0, 1) for stable GD, got {cfg.lr_fraction}")
    check(cfg.adam_lr > 0, f"adam_lr must be positive, got {cfg.adam_lr}")


def _targets(labels):
    return np.eye(NUM_CLASSES)[labels] - 1.0 / NUM_CLASSES  # centered one-hot


@functools.lru_cache(maxsize=2)  # configs come kernel-major: one family per arch
def grams(arch: str, depths: tuple[int, ...], readouts: tuple[str, ...], n_train: int,
          n_test: int | None) -> dict:
    """{(kind, depth, readout): (K train-train (n, n), K test-train (m, n))} in float64 on the
    first n_train / n_test rows. One pass per arch computes every depth, kind and readout
    (kernels.fc_kernels / conv1d_kernels); every n <= n_train slices it."""
    d = _data()
    with jax.enable_x64(True):
        x, x_test = (jnp.asarray(a, jnp.float64) for a in (d["x"][:n_train], d["x_test"][:n_test]))
        if arch == "fc":
            train, test = fc_kernels(x, depths=depths), fc_kernels(x_test, x, depths=depths)
            return {(kind, k, None): (np.asarray(train[kind, k]), np.asarray(test[kind, k]))
                    for kind, k in train}
        train, test = (conv1d_kernels(*pair, depths=depths, readouts=readouts)
                       for pair in ((x, None), (x_test, x)))
        return {key: (np.asarray(train[key]), np.asarray(test[key])) for key in train}


def gram(arch: str, kind: str, depth: int, readout: str | None, n_train: int, n_test: int | None,
         family: tuple = ()):
    """One kernel's (K train-train, K test-train); `family` = (depths, readouts) of the whole
    sweep, computed together (default: this kernel alone)."""
    depths, readouts = family or ((depth,), (readout,))
    return grams(arch, tuple(depths), tuple(readouts), n_train, n_test)[(kind, depth, readout)]


def compute_kernel(c: dict, n_max: int | None = None, family: tuple = ()) -> dict:
    """Ridgeless regression on centered one-hot targets with one kernel at one n; n_max: build the
    Gram on that many rows (shared by every n ≤ n_max) and slice it; family: see gram."""
    n, d = c["n_train"], _data()
    k_train, k_test = gram(c["arch"], c["kind"], c["depth"], c["readout"], n_max or n, c["n_test"],
                           family)
    with jax.enable_x64(True):
        pred = kernel_regression(k_train[:n, :n], _targets(d["y"][:n]), k_test[:, :n])
        y_test = d["y_test"][:len(k_test)]
        summary = {"test/acc": accuracy(pred, y_test),
                   "test/mse": jnp.mean(jnp.sum((pred - _targets(y_test)) ** 2, -1))}
    return {"summary": {k: float(v) for k, v in summary.items()}}


@functools.lru_cache(maxsize=1)
def _net_group(protocol: str, seeds: tuple[int, ...]) -> dict:
    """Train one vmapped group (all seeds of one width/optimizer); {seed: result}."""
    c, d = json.loads(protocol), _data()
    n = c["n_train"]
    x, y, x_test = d["x"][:n], _targets(d["y"][:n]), d["x_test"]
    theta, theta_test = gram("fc", "ntk", c["depth"], None, n, None)
    lam_max = float(np.linalg.eigvalsh(theta)[-1])
    lr = c["lr_fraction"] * n / lam_max if c["optimizer"] == "gd" else c["lr"]
    keys = jax.vmap(jax.random.key)(jnp.asarray(seeds))
    f0, test, loss, train_acc = map(np.asarray, train_nets(
        keys, jnp.asarray(x), jnp.asarray(y, jnp.float32), jnp.asarray(x_test), lr,
        width=c["width"], depth=c["depth"], steps=c["steps"], evals=c["evals"],
        optimizer=c["optimizer"]))
    times = np.linspace(0, c["steps"], c["evals"] + 1)
    out = {}
    with jax.enable_x64(True):
        mean_t = gd_prediction(theta, y, theta_test, t=c["steps"], lr=lr)  # f0 = 0: E over inits
        mean_inf = kernel_regression(theta, y, theta_test)
        for i, s in enumerate(seeds):
            s_sum = {"test/acc": accuracy(test[i, -1], d["y_test"]), "train/loss": loss[i],
                     "train/acc": train_acc[i], "lr": lr}
            metrics = {"test/acc": (times, [accuracy(t, d["y_test"]) for t in test[i]])}
            if c["optimizer"] == "gd":  # the linearized (infinite-width) net from this net's f0
                lin = jax.vmap(lambda t, i=i: gd_prediction(
                    theta, y, theta_test, t=t, lr=lr, f0_train=f0[i], f0_test=test[i, 0]))(times)
                dist = jnp.linalg.norm(test[i] - lin, axis=(1, 2)) / jnp.linalg.norm(lin, axis=(1, 2))
                metrics["test/rel_distance"] = (times, dist)
                s_sum.update({"test/rel_distance": dist[-1], "ntk/acc_linearized": accuracy(
                    lin[-1], d["y_test"]), "ntk/acc_t": accuracy(mean_t, d["y_test"]),
                    "ntk/acc_inf": accuracy(mean_inf, d["y_test"])})
            out[s] = {"summary": {k: float(v) for k, v in s_sum.items()},
                      "metrics": {k: (np.asarray(st).astype(int).tolist(), np.asarray(v).tolist())
                                  for k, (st, v) in metrics.items()}}
    return out


def compute_net(c: dict, seeds: tuple[int, ...] | None = None) -> dict:
    """One trained net (seed c["seed"]), computed with its vmapped group `seeds`."""
    protocol = json.dumps({k: v for k, v in c.items() if k not in ("seed", "part")}, sort_keys=True)
    return _net_group(protocol, seeds or (c["seed"],))[c["seed"]]


def configs(cfg: Config) -> list[dict]:
    kern = [("fc", kind, depth, None, n, None) for kind in cfg.kinds for depth in cfg.fc_depths
            for n in cfg.fc_n_train]
    kern += [("cntk", kind, depth, r, n, cfg.cntk_n_test) for kind in cfg.kinds
             for depth in cfg.cntk_depths for r in cfg.readouts for n in cfg.cntk_n_train]
    keys = ("arch", "kind", "depth", "readout", "n_train", "n_test")
    out = [{"part": "kernel", **dict(zip(keys, k)), "seed": 0} for k in kern]
    base = {"part": "net", "depth": cfg.net_depth, "n_train": cfg.net_n_train, "evals": cfg.evals}
    for width in cfg.widths:
        out += [{**base, "optimizer": "gd", "width": width, "steps": cfg.steps,
                 "lr_fraction": cfg.lr_fraction, "seed": s} for s in range(cfg.seeds)]
        out += [{**base, "optimizer": "adam", "width": width, "steps": cfg.adam_steps,
                 "lr": cfg.adam_lr, "seed": s} for s in range(cfg.seeds)]
    return out


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    validate(cfg)
    n_max = {"fc": max(cfg.fc_n_train, default=0), "cntk": max(cfg.cntk_n_train, default=0)}
    family = {"fc": (cfg.fc_depths, (None,)), "cntk": (cfg.cntk_depths, cfg.readouts)}
    seeds = tuple(range(cfg.seeds))

    def compute(c):
        if c["part"] == "kernel":
            return compute_kernel(c, n_max[c["arch"]], family[c["arch"]])
        return compute_net(c, seeds)
    return run_computed(NAME, configs(cfg), compute, store, progress=progress)


EXPERIMENT = Experiment(name=NAME, title="Infinite width: NTK / NNGP regression, finite nets vs NTK",
                        paper="Jacot et al. 2018 (NTK); Arora et al., On Exact Computation with an "
                              "Infinitely Wide Neural Net (NeurIPS 2019)",
                        presets=PRESETS, analyze=analyze, plot=plot, run=run, validate=validate)
