"""Benchmarking pooling methods against training-set size (Greydanus & Kobak, Scaling down deep
learning with MNIST-1D, ICML 2024, §5.6): pooling helps most when data is scarce."""
from __future__ import annotations

import dataclasses

import numpy as np

from genlab.data.datasets import DataSpec
from genlab.experiments import series, tables
from genlab.experiments.base import Experiment
from genlab.experiments.protocol import Reference, protocol_table
from genlab.models.cnn1d import POOLS
from genlab.report import figures
from genlab.sweep import Job

NAME = "pooling"
TRAIN_SIZES = (1000, 2000, 5000, 10000, 20000, 50000)
N_TEST = 1000
# One generated set: 50,000 training rows (each size takes the first n, so the sets are nested)
# and the same 1000 test rows for every size.
GENERATOR = {"num_samples": max(TRAIN_SIZES) + N_TEST,
             "train_split": max(TRAIN_SIZES) / (max(TRAIN_SIZES) + N_TEST)}
# Published test accuracy (%), one seed: {train size: {pool: acc}}.
PUBLISHED = {1000: {"none": 59, "stride": 57, "max": 78, "avg": 78, "l2": 77},
             50000: {"none": 96, "stride": 95, "max": 98, "avg": 97, "l2": 97}}


@dataclasses.dataclass(frozen=True)
class Config(Reference):
    pools: tuple[str, ...] = POOLS
    train_sizes: tuple[int, ...] = TRAIN_SIZES


PRESETS = {
    # seconds: two variants, one small size, a few steps; mechanics only.
    "smoke": Config(pools=("none", "max"), train_sizes=(1000,), seeds=1, steps=100, eval_every=50),
    # `genlab run pooling --preset quick`: ~1 min on 2 cores. All five variants at the smallest
    # and a large size, 2 seeds, 1500 steps (3000 until 2026-11-30: max-pool gain +15.3 -> +1.6 pp;
    # 1500: +15.7 -> +1.0 pp). Expect max/avg/l2 well above none/stride at 1000 examples, and
    # the gap mostly closed at 20,000.
    "quick": Config(train_sizes=(1000, 20000), seeds=2, steps=1500),
    # the published protocol (Adam 1e-2, batch 100, 6000 steps) over 3 seeds.
    "paper": Config(),
}


def jobs(cfg: Config) -> list[Job]:
    return [Job(model="cnn_pool", model_kwargs={"pool": pool}, lr=cfg.lr, seed=s, train=cfg.train_spec(),
                data=DataSpec(generator=GENERATOR, n_train=n))
            for pool in cfg.pools for n in cfg.train_sizes for s in range(cfg.seeds)]


def curves(store) -> dict[tuple, series.Series]:
    """{(pool,): Series over training-set sizes}."""
    return series.collect(tables.latest_runs(store, NAME), lambda r: (r["config"]["model_kwargs"]["pool"],),
                          lambda r: r["config"]["data"]["n_train"])


def pooling_gain(cs: dict, n: int, pool: str = "max", base: str = "none") -> float:
    """Mean test accuracy of `pool` minus that of `base` at training size n (nan if missing)."""
    acc = {}
    for p in (pool, base):
        s = cs.get((p,))
        acc[p] = s.stat("test/acc")[0][s.x.index(n)] if s is not None and n in s.x else np.nan
    return float(acc[pool] - acc[base])


def analyze(store) -> dict:
    cs = curves(store)
    sizes = sorted({n for s in cs.values() for n in s.x})
    rows = [[pool, series.param_count("cnn_pool", pool=pool), *(s.cell("test/acc", n) for n in sizes),
             *(PUBLISHED[n][pool] for n in (1000, 50000))]
            for pool in POOLS if (s := cs.get((pool,))) is not None]
    cols = ["pool", "params", *(f"n={n}" for n in sizes), "paper n=1000", "paper n=50000"]
    headline = []
    if len(sizes) > 1:
        small, large = (pooling_gain(cs, n) * 100 for n in (sizes[0], sizes[-1]))
        paper = {n: PUBLISHED[n]["max"] - PUBLISHED[n]["none"] for n in PUBLISHED}
        headline.append({"name": f"max-pool gain over none (pp) at n={sizes[0]} -> n={sizes[-1]}",
                         "ours": f"{small:+.1f} -> {large:+.1f}",
                         "paper": f"{paper[1000]:+d} (n=1000) -> {paper[50000]:+d} (n=50000), "
                                  "Greydanus & Kobak 2024",
                         "expected": "gain > 5 at the smallest n, shrinking with n",
                         "seeds": min(s.seeds for s in cs.values()),
                         "check": "ok" if small > large and small > 5 else "MISS"})
    return {"tables": {"Pooling vs training-set size: test accuracy % (mean ± std over seeds)":
                       tables.table(cols, rows)},
            "headline": headline,
            "notes": [(f"test set: the same {N_TEST} generated examples for every size; training "
                      "sets are nested prefixes of one 50,000-example set")],
            "protocol": protocol_table(tables.latest_runs(store, NAME), (
                ("training sizes", "1000 … 50000", "config:data.n_train"),)),
            "captions": {"pooling_test_acc": "Test accuracy of the CNN with each pooling variant "
                         "against the training-set size (left; crosses: the published values, "
                         "one seed, in the variant's color) and the gain over no pooling (right): "
                         "the sample-efficiency figure of Greydanus & Kobak 2024."}}


def plot(store, outdir):
    cs = curves(store)
    fig, axes = figures.new_figure(ncols=2)
    for (pool,), s in sorted(cs.items(), key=lambda kv: POOLS.index(kv[0][0])):
        series.errorbars(axes[0][0], s, "test/acc", label=pool)
        gain = [pooling_gain(cs, n, pool) * 100 for n in s.x]
        axes[0][1].plot(s.x, gain, marker=".", label=pool)
    colors = {c.get_label(): c.lines[0].get_color() for c in axes[0][0].containers}
    first = True
    for n, accs in PUBLISHED.items():  # each published point in its variant's color (run ones only)
        for pool in (p for p in accs if p in colors):
            axes[0][0].scatter([n], [accs[pool]], marker="x", s=28, color=colors[pool],
                               label="published (1 seed)" if first else None)
            first = False
    axes[0][0].set(xlabel="training examples", ylabel="test accuracy (%)",
                   title="MNIST-1D, CNN with pooling variants")
    axes[0][1].axhline(0, color="k", lw=0.8)
    axes[0][1].set(xlabel="training examples", ylabel="gain over no pooling (pp)")
    sizes = sorted({n for s in cs.values() for n in s.x} | set(PUBLISHED))
    for ax in axes[0]:
        figures.log_ticks(ax, sizes)
    axes[0][0].legend(fontsize=7)
    return [figures.save(fig, outdir, "pooling_test_acc")]


EXPERIMENT = Experiment(name=NAME, title="Pooling and sample efficiency",
                        paper="Greydanus & Kobak, Scaling down deep learning with MNIST-1D (ICML 2024)",
                        presets=PRESETS, jobs=jobs, analyze=analyze, plot=plot)
