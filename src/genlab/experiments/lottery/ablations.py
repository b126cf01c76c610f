"""Ablations of the notebook's ~92%-sparse ticket on freshly generated MNIST-1D: what carries the gain
(mask, init, input layout), and the adjacency statistic of first-layer masks."""
from __future__ import annotations

import numpy as np

from genlab.experiments.lottery.config import ABLATIONS, Config
from genlab.experiments.lottery.levels import (
    REINIT_OFFSET,
    lineage,
    load,
    make_job,
    run_level,
    template,
)
from genlab.experiments.lottery.protocols import mnist1d_jobs, ranking
from genlab.train import prune

POSITIONS = {"shuffled": "shuffle", "flipped": "flip", "chunks": "chunks",
             "dense_shuffled": "shuffle", "dense_flipped": "flip"}
ADJACENT = (2, 3, 4)


def ablation_jobs(cfg: Config) -> list:
    """Per trial: dense, ticket, random mask, re-initialized ticket, ticket on moved inputs and the
    dense net on the same moved inputs (same init as the trial's dense run)."""
    level = cfg.ablation_level()
    tag = lineage("ablation", cfg.schedule[:level + 1], cfg.ablation_data_seed)
    return [make_job(cfg, cfg.ablation_spec(), protocol="ablation", line=line, level=level, trial=t,
                     sparsity=0.0 if is_dense(line) else cfg.schedule[level], lineage=tag,
                     data=cfg.ablation_data(POSITIONS.get(line, "none")),
                     init_seed=REINIT_OFFSET + t if line == "reinit" else None, extra=ranking(cfg))
            for line in ABLATIONS for t in range(cfg.seeds)]


def is_dense(line: str) -> bool:
    return line.startswith("dense")


def source_jobs(cfg: Config) -> dict:
    """{(line, trial): search job} whose masks the ablations use ('ticket' / 'random')."""
    return {(j.tags["line"], j.seed): j for j in mnist1d_jobs(cfg, cfg.ablation_level())}


def _masks(store, cfg: Config, jobs: list):
    sources = source_jobs(cfg)
    masks = []
    for job in jobs:
        line = job.tags["line"]
        if is_dense(line):
            masks.append(prune.full_mask(template(cfg.width)))
        else:
            which = "random" if line == "random" else "ticket"
            masks.append(load(store, cfg, sources[(which, job.seed)], "mask"))
    return masks, None


def run_ablations(cfg: Config, store, advance) -> list[str]:
    jobs = ablation_jobs(cfg)
    return run_level(store, jobs, lambda todo: _masks(store, cfg, todo), on_chunk=lambda i: advance())


def adjacency(first_layer_mask: np.ndarray, sizes=ADJACENT) -> dict[int, float]:
    """P(n adjacent input positions all kept), over hidden units and windows; mask (hidden, inputs)."""
    m = np.asarray(first_layer_mask, bool)
    out = {}
    for n in sizes:
        windows = np.stack([m[:, i:m.shape[1] - n + 1 + i] for i in range(n)])
        out[n] = float(np.mean(np.all(windows, axis=0)))
    return out


def first_layer(mask) -> np.ndarray:
    """The stem's weight mask, (hidden units, input positions)."""
    return np.asarray(mask.stem.weight)
