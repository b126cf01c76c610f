"""Member invariance: how much a run's numbers move when other members share its program.

`python -m genlab.bench.members mlp` trains one job alone and the same job in a group of four
(one of them diverging at lr 1e12) and prints, per metric, the largest absolute and relative
difference (docs/ENGINE.md states the measured bound)."""
from __future__ import annotations

import sys

import numpy as np

from genlab.data.datasets import DataSpec
from genlab.sweep import Job, local
from genlab.train import TrainSpec


def member_differences(model: str = "mlp", steps: int = 200) -> dict[str, tuple[float, float]]:
    """{metric: (max abs difference, max relative difference)} alone vs in a group of four."""
    spec = TrainSpec(steps=steps, batch_size=50, eval_every=50, optimizer="adam", batching="reshuffle")

    def job(seed, lr):
        return Job(model=model, data=DataSpec(n_train=500), train=spec, lr=lr, seed=seed)
    alone = local.train_records("members", [job(0, 0.01)])[0]
    shared = local.train_records("members", [job(3, 0.003), job(0, 0.01), job(1, 1e12), job(2, 0.02)])[1]
    out = {}
    for name, (_, values) in alone.metrics.items():
        a, b = np.asarray(values), np.asarray(shared.metrics[name][1])
        diff = np.abs(a - b)
        out[name] = (float(diff.max()), float((diff / np.maximum(np.abs(a), 1e-12)).max()))
    return out


if __name__ == "__main__":
    for name, (absolute, relative) in sorted(member_differences(*sys.argv[1:2]).items()):
        print(f"{name}: abs {absolute:.2e} rel {relative:.2e}")
