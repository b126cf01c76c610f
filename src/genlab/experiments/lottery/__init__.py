"""Lottery tickets on MNIST-1D (Frankle & Carbin, ICLR 2019; Greydanus & Kobak, Scaling down deep
learning with MNIST-1D, ICML 2024): the notebook's iterative layer-wise search, IMP with rewinding,
random-ticket controls and the spatial ablations of the ~92%-sparse ticket."""
from __future__ import annotations

from genlab.experiments.base import Experiment
from genlab.experiments.lottery import ablations, protocols
from genlab.experiments.lottery.analysis import analyze
from genlab.experiments.lottery.config import NAME, PRESETS, Config, validate
from genlab.experiments.lottery.figures import plot
from genlab.sweep.progress import progress_bar


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    """Every level in order (a level's masks come from the stored runs of the level before);
    finished levels are skipped, so a re-run trains nothing new. Returns all run ids."""
    total = 0
    if "mnist1d" in cfg.protocols:
        total += len(cfg.schedule) * cfg.search_spec().num_evals
    if "imp" in cfg.protocols:
        total += (cfg.imp_levels + 1) * cfg.imp_spec().num_evals
    if cfg.ablations:
        total += cfg.ablation_spec().num_evals
    ids = []
    with progress_bar(total, f"{NAME}: search", progress) as advance:
        if "mnist1d" in cfg.protocols:
            ids += protocols.run_mnist1d(cfg, store, advance)
        if "imp" in cfg.protocols:
            ids += protocols.run_imp(cfg, store, advance)
        if cfg.ablations:
            ids += ablations.run_ablations(cfg, store, advance)
    return ids


EXPERIMENT = Experiment(name=NAME, title="Lottery tickets on MNIST-1D",
                        paper="Frankle & Carbin (ICLR 2019); Greydanus & Kobak, MNIST-1D (ICML 2024)",
                        presets=PRESETS, run=run, validate=validate, analyze=analyze, plot=plot)
