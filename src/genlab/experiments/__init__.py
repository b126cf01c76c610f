"""Registry of experiments: one module per study, each exposing EXPERIMENT."""
from __future__ import annotations

import importlib

from genlab.config import ConfigError
from genlab.experiments.base import PRESETS, Experiment

# name -> module; order is the order of `genlab reproduce` and the report.
MODULES = {
    "baselines": "genlab.experiments.baselines",
}


def names() -> list[str]:
    return list(MODULES)


def get(name: str) -> Experiment:
    if name not in MODULES:
        raise ConfigError(f"unknown experiment {name!r}; choices: {', '.join(MODULES)}")
    return importlib.import_module(MODULES[name]).EXPERIMENT


__all__ = ["PRESETS", "Experiment", "get", "names"]
