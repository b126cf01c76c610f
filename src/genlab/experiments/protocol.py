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
