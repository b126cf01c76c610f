"""Lottery-ticket study config, presets and the published values (notebook of Greydanus & Kobak)."""
from __future__ import annotations

import dataclasses

import numpy as np

from genlab.config import check
from genlab.data.datasets import DataSpec
from genlab.train import TrainSpec

NAME = "lottery"
PROTOCOLS = ("mnist1d", "imp")
# mnist1d ranking: "layer" = a layer's weight and bias ranked together, int(s * size) dropped (the
# notebook's get_layer_vecs / get_mask); "leaf" = each weight and each bias ranked on its own.
RANKS = ("layer", "leaf")
# Ablation lines: the ticket, its controls, the ticket on moved inputs, and the dense net on the
# same moved inputs (the notebook trains dense / ticket / random on every input variant; the
# shuffle and flip claims compare the ticket with the dense net on the same inputs).
ABLATIONS = ("dense", "ticket", "random", "reinit", "shuffled", "flipped", "chunks",
             "dense_shuffled", "dense_flipped")
# Printed output of the 2020 notebook (greydanus/mnist1d notebooks/lottery-tickets.ipynb, commit
# d7cb925): last-step test accuracy (%) of its 2 trials ("retrain #k", sparsity (k - 1) / 99).
SEARCH_CITE = "MNIST-1D notebook lottery-tickets.ipynb (2020), printed last_acc of trials 0 / 1"
PUBLISHED_DENSE = (66.4, 64.8, 60.6, 61.4)  # round 1 of the magnitude runs, then of the random runs
PUBLISHED_TICKET = {0.80: (72.9, 72.1), 0.90: (74.3, 74.1), 0.92: (75.6, 74.4),
                    0.95: (69.2, 70.5), 0.97: (68.1, 67.3), 0.99: (41.9, 41.5)}
PUBLISHED_RANDOM = {0.80: (68.6, 66.3), 0.90: (60.5, 65.7), 0.92: (60.6, 61.8),
                    0.95: (55.9, 54.6), 0.97: (41.2, 43.7), 0.99: (16.7, 15.4)}
# Printed output of the 2024 notebook (notebooks/5. lottery_tickets.ipynb, commit 5907490): step-6000
# test accuracy (%) of dense / ticket / random, trials 0 / 1, with the masks of retrain_step 91
# (91.9% sparse) retrained on a fresh MNIST-1D, per input variant. Its re-initialized ticket is
# plotted there, not printed.
ABLATION_CITE = "MNIST-1D notebook 5. lottery_tickets.ipynb (2024), printed step-6000 test_acc"
PUBLISHED_ABLATION = {
    "none": {"dense": (63.1, 64.0), "ticket": (71.5, 69.7), "random": (58.8, 59.6)},
    "shuffle": {"dense": (64.9, 64.2), "ticket": (63.7, 61.9), "random": (59.7, 56.5)},
    "flip": {"dense": (65.0, 64.2), "ticket": (68.4, 69.1), "random": (59.3, 62.2)},
    "chunks": {"dense": (64.9, 64.0), "ticket": (67.7, 64.7), "random": (60.3, 62.8)},
}
# The notebook's "chunks" input: the two halves of the signal swapped, i.e. 10-sample blocks in the
# order 3, 4, 1, 2. genlab's chunks layout is a seeded block order; this seed draws that order
# (tests/experiments/test_lottery.py pins it).
CHUNKS_SEED = 39
# Values read off the 2020 ablation figure by eye (never printed): what to expect, not published.
FIGURE_ABLATION = {"ticket": "70.5–72", "reinit": "67", "dense": "64", "shuffled": "63", "random": "58"}


@dataclasses.dataclass(frozen=True)
class Config:
    """seeds = trials. mnist1d: `schedule` of per-round sparsities (layer-wise, weights+biases,
    ranked as `rank` says), `steps` per round, magnitudes read at `score_step` (the notebook's
    train_model keeps checkpoints every 1000 steps and its search ranks the last one: the params
    after 1001 of 1502 updates; None = the final params). imp: `imp_levels` rounds of global pruning of `imp_fraction` of the
    surviving weights, rewinding to init and to each `rewind_fractions` of `imp_steps`.
    Ablations: the ticket nearest `ablation_sparsity` retrained on MNIST-1D drawn with
    generator seed `ablation_data_seed`."""
    seeds: int = 2
    protocols: tuple[str, ...] = PROTOCOLS
    width: int = 500
    lr: float = 2e-2
    batch_size: int = 100
    steps: int = 1501
    eval_every: int = 79
    schedule: tuple[float, ...] = tuple(float(s) for s in np.round(np.linspace(0, 1, 100), 6))
    rank: str = "layer"
    score_step: int | None = 1001
    imp_levels: int = 12
    imp_fraction: float = 0.2
    imp_steps: int = 1500
    imp_eval_every: int = 150
    rewind_fractions: tuple[float, ...] = (0.01, 0.05)
    ablations: bool = True
    ablation_sparsity: float = 0.92
    ablation_steps: int = 6000
    ablation_batch_size: int = 500
    ablation_eval_every: int = 500
    ablation_data_seed: int = 2024
    eval_train_max: int = 1000

    def search_spec(self) -> TrainSpec:
        return self._spec(self.steps, self.batch_size, self.eval_every)

    def imp_spec(self) -> TrainSpec:
        return self._spec(self.imp_steps, self.batch_size, self.imp_eval_every)

    def ablation_spec(self) -> TrainSpec:
        return self._spec(self.ablation_steps, self.ablation_batch_size, self.ablation_eval_every)

    def _spec(self, steps, batch_size, eval_every) -> TrainSpec:
        return TrainSpec(steps=steps, batch_size=batch_size, eval_every=eval_every, optimizer="adam",
                         batching="slices", eval_train_max=self.eval_train_max)

    def rewind_steps(self) -> tuple[int, ...]:
        return tuple(max(1, int(round(f * self.imp_steps))) for f in self.rewind_fractions)

    def ablation_data(self, positions: str = "none") -> DataSpec:
        seed = CHUNKS_SEED if positions == "chunks" else self.ablation_data_seed
        return DataSpec(generator={"seed": self.ablation_data_seed}, positions=positions, seed=seed)

    def ablation_level(self) -> int:
        """Index of the schedule's sparsity nearest ablation_sparsity."""
        return int(np.argmin(np.abs(np.asarray(self.schedule) - self.ablation_sparsity)))


def validate(cfg: Config) -> None:
    check(set(cfg.protocols) <= set(PROTOCOLS) and cfg.protocols,
          f"protocols must be among {', '.join(PROTOCOLS)}, got {cfg.protocols}")
    sched = np.asarray(cfg.schedule, float)
    check(sched.size >= 2 and sched[0] == 0 and np.all(np.diff(sched) > 0) and sched[-1] <= 1,
          f"schedule must start at 0 and increase within [0, 1], got {cfg.schedule}")
    check(cfg.imp_levels >= 1 and 0 < cfg.imp_fraction < 1,
          f"imp needs imp_levels >= 1 and 0 < imp_fraction < 1, got {cfg.imp_levels}, {cfg.imp_fraction}")
    check(all(0 < f < 1 for f in cfg.rewind_fractions), "rewind_fractions must be in (0, 1)")
    check(cfg.width >= 1 and cfg.lr > 0, "width and lr must be positive")
    check(cfg.rank in RANKS, f"rank must be one of {', '.join(RANKS)}, got {cfg.rank!r}")
    check(cfg.score_step is None or 0 <= cfg.score_step <= cfg.steps,
          f"score_step must be in [0, steps={cfg.steps}] or None, got {cfg.score_step}")
    check(not cfg.ablations or "mnist1d" in cfg.protocols,
          "ablations reuse the mnist1d search's tickets: keep 'mnist1d' in protocols")
    for spec in (cfg.search_spec, cfg.imp_spec, cfg.ablation_spec):
        spec()  # TrainSpec validates steps / eval_every


PRESETS = {
    # `genlab run lottery --preset smoke`: seconds of training (compiles dominate), for tests:
    # width 64, 3 rounds of 100 steps (scores at step 67), 2 imp levels, 100-step ablations.
    "smoke": Config(width=64, steps=100, score_step=67, eval_every=50, schedule=(0.0, 0.5, 0.8),
                    imp_levels=2, imp_steps=100, imp_eval_every=50, rewind_fractions=(0.05,),
                    ablation_sparsity=0.8, ablation_steps=100, ablation_batch_size=100,
                    ablation_eval_every=50, eval_train_max=500),
    # `genlab run lottery --preset quick`, ~64 s of user CPU (measured under load; 59 s before the
    # step-267 snapshots of issue 25), ~3 min wall on 2 loaded cores: the
    # notebook's network and optimizer, but 400 steps per round (not 1501) and 6 rounds to 99%
    # (not 100), 2 trials; ablations (18 members: 9 lines x 2 trials) 500 steps at batch 100 (not
    # 6000 at 500); imp left out (add it with --set protocols=mnist1d,imp: 9 levels of 40% at 400
    # steps, ~4 min of CPU more). Expected (measured): tickets > random at 50-99% (random collapses
    # at 95-99%) and ~8 points above dense at 80-90% -- but the 400-step dense net is undertrained
    # (56% vs 63% at 1501 steps, where tickets only tie dense): quick overstates the gain over
    # dense. With 2 trials a paired t has 1 degree of freedom; measured (issue 25 protocol): ok
    # for random < ticket at 95%, the 99% row, the ablation ticket / re-initialized ticket /
    # flipped ticket rows and 3-adjacency; the other checks read inconclusive.
    # Scores at step 267 of 400: the notebook's 1001 of 1502 updates, scaled.
    "quick": Config(protocols=("mnist1d",), steps=400, score_step=267, eval_every=100,
                    schedule=(0.0, 0.5, 0.8, 0.9, 0.95, 0.99), imp_levels=9, imp_fraction=0.4,
                    imp_steps=400, imp_eval_every=100, ablation_steps=500, ablation_batch_size=100,
                    ablation_eval_every=250),
    # the notebook: linspace(0, 1, 100) rounds of 1501 steps; imp 12 levels of 20% (93% sparse);
    # ablations 6000 steps at batch 500. About an hour or more on 2 cores (see docs/BENCHMARKS.md).
    "paper": Config(),
}
