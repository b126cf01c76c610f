"""When a run diverged: the host-side rule applied to the history every training returns."""
from __future__ import annotations

import numpy as np

from genlab.train.loop import FINITE


def diverged_step(history: dict, eval_steps, factor: float) -> int | None:
    """The first evaluation step at which a member diverged, or None (the run is `done`).

    history: one member's {name: (num_evals + 1,)}, FINITE included (train_many's rows for that
    member, or train()'s history). Diverged: FINITE is 0 (a non-finite loss, metric or
    parameter), or the training loss is above `factor` (TrainSpec.diverge_factor) times its value
    at step 0. The training loss is "train/loss" (the train eval); without a train eval,
    "train/batch_loss", whose step-0 entry is then a placeholder, so its first chunk's mean is
    the reference. A reference that is not a positive finite number leaves only the FINITE rule.
    Host-side, from the history training returns anyway: no extra work in the program."""
    bad = np.asarray(history[FINITE]) < 1
    if "train/loss" in history:
        loss = np.asarray(history["train/loss"], np.float64)
        ref = loss[0]
    else:
        loss = np.asarray(history["train/batch_loss"], np.float64)
        ref = loss[1] if loss.shape[0] > 1 else np.nan
    if np.isfinite(ref) and ref > 0:
        with np.errstate(invalid="ignore"):
            bad = bad | (loss > factor * ref)
    hits = np.flatnonzero(bad)
    return int(eval_steps[hits[0]]) if hits.size else None
