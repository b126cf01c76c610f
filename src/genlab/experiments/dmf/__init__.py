"""Deep matrix factorization vs nuclear norm (Arora, Cohen, Hu & Luo, NeurIPS 2019; Arora's essay
"Is optimization a sufficient language for understanding deep learning?")."""
from __future__ import annotations

from genlab.experiments.base import Experiment
from genlab.experiments.dmf import run as training  # the submodule stays `dmf.run`
from genlab.experiments.dmf.analysis import analyze
from genlab.experiments.dmf.config import PRESETS, Config, validate
from genlab.experiments.dmf.figures import plot

EXPERIMENT = Experiment(name=training.NAME, title="Deep matrix factorization vs nuclear norm",
                        paper="Arora, Cohen, Hu & Luo, Implicit Regularization in Deep Matrix "
                              "Factorization (NeurIPS 2019)",
                        presets=PRESETS, run=training.run, analyze=analyze, plot=plot, validate=validate)

__all__ = ["EXPERIMENT", "Config", "PRESETS"]
