"""Registry of experiments: one module per study, each exposing EXPERIMENT."""
from __future__ import annotations

import importlib
import importlib.util

from genlab.config import ConfigError
from genlab.experiments.base import PRESETS, Experiment

# name -> module; order is the order of `genlab reproduce` and the report.
MODULES = {
    "baselines": "genlab.experiments.baselines",
    "deep_bootstrap": "genlab.experiments.deep_bootstrap",
    "randomization": "genlab.experiments.randomization",
    "expressivity": "genlab.experiments.expressivity",
    "implicit_linear": "genlab.experiments.implicit_linear",
    "ntk": "genlab.experiments.ntk",
    "double_descent": "genlab.experiments.double_descent",
    "pooling": "genlab.experiments.pooling",
    "spatial_prior": "genlab.experiments.spatial_prior",
    "dmf": "genlab.experiments.dmf",
    "optimizers": "genlab.experiments.optimizers",
    "meta_lr": "genlab.experiments.meta.lr",
    "meta_activation": "genlab.experiments.meta.activation",
    "lottery": "genlab.experiments.lottery",
}


def names() -> list[str]:
    """Registered experiments whose module is present (planned ones appear once written)."""
    return [n for n, m in MODULES.items() if importlib.util.find_spec(m) is not None]


def get(name: str) -> Experiment:
    if name not in names():
        raise ConfigError(f"unknown experiment {name!r}; choices: {', '.join(names())}")
    return importlib.import_module(MODULES[name]).EXPERIMENT


__all__ = ["PRESETS", "Experiment", "get", "names"]
