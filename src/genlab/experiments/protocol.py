"""The MNIST-1D reference training protocol (Greydanus & Kobak, ICML 2024), shared by the
experiments that reproduce its tables: Adam, lr 1e-2, batch 100 as consecutive slices, 6000
steps. An experiment's Config subclasses Reference and adds what it sweeps."""
from __future__ import annotations

import dataclasses

from genlab.train import TrainSpec


@dataclasses.dataclass(frozen=True)
class Reference:
    seeds: int = 3
    steps: int = 6000
    eval_every: int = 500
    lr: float = 1e-2
    batch_size: int = 100

    def train_spec(self) -> TrainSpec:
        """The reference TrainSpec at this config's steps, batch size and eval interval."""
        return TrainSpec(steps=self.steps, batch_size=self.batch_size, eval_every=self.eval_every,
                         optimizer="adam", batching="slices")


# The reference protocol as published, for the report's protocol-vs-paper table.
PUBLISHED = (("optimizer", "adam", "config:train.optimizer"), ("learning rate", 0.01, "config:lr"),
             ("batch size", 100, "config:train.batch_size"),
             ("batches", "slices", "config:train.batching"),
             ("training steps", 6000, "config:train.steps"))


def protocol_table(runs: list[dict], extra: tuple = ()) -> dict:
    """Protocol vs paper for an experiment on the reference protocol (plus its own `extra` rows,
    e.g. the training-set sizes), read from the stored run configs."""
    from genlab.report import conditions
    return conditions.protocol(runs, [*PUBLISHED, *extra])
