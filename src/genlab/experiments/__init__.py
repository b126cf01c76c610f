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
    "implicit_reg": "genlab.experiments.implicit_reg",
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

# Quick-preset wall seconds measured by `make run` (2 cores, cold compile cache, 2026-11-30;
# docs/BENCHMARKS.md), used only to start the longest experiments first under `reproduce
# --jobs N` (a long one started last would run alone at the end). Unlisted: 60 s.
EXPECTED_WALL_S = {"deep_bootstrap": 295, "double_descent": 113, "baselines": 84, "ntk": 75,
                   "optimizers": 64, "meta_activation": 63, "spatial_prior": 62, "lottery": 60,
                   "dmf": 56, "randomization": 54, "pooling": 53, "implicit_linear": 19,
                   "implicit_reg": 70,
                   "meta_lr": 16, "expressivity": 8}


def longest_first(names_: list[str]) -> list[str]:
    """names_ ordered by EXPECTED_WALL_S, longest first (ties keep the registry order)."""
    return sorted(names_, key=lambda n: -EXPECTED_WALL_S.get(n, 60))


def names() -> list[str]:
    """Registered experiments whose module is present (planned ones appear once written)."""
    return [n for n, m in MODULES.items() if importlib.util.find_spec(m) is not None]


def get(name: str) -> Experiment:
    if name not in names():
        raise ConfigError(f"unknown experiment {name!r}; choices: {', '.join(names())}")
    return importlib.import_module(MODULES[name]).EXPERIMENT


__all__ = ["EXPECTED_WALL_S", "PRESETS", "Experiment", "get", "longest_first", "names"]
