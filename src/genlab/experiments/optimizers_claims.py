"""optimizers headline checks on plain per-seed values (genlab.claims): every method reached the
loss target; the best SGD-family method tests above the best adaptive one (Wilson et al. 2017);
methods from one init land on different solutions (Arora 2019); and the validation-set lr pick."""
from __future__ import annotations

import dataclasses

import numpy as np

from genlab import claims

FIT_LOSS = 0.01  # "reached ~zero training loss": the first eval with train loss at or below this
SGD_FAMILY, ADAPTIVE = ("gd", "sgd", "momentum"), ("adam", "adagrad")


def pick_lr(candidates: dict) -> float:
    """The tuned lr of one method: {lr: (mean validation accuracy, every seed done, every seed
    at train loss <= FIT_LOSS)} -> the lr with the highest validation accuracy among those where
    every seed is done and fitted (the claims are about solutions of ~zero training loss); if no
    lr fitted, among the done ones; if none is done, the first lr."""
    for admissible in (lambda done, fit: done and fit, lambda done, fit: done):
        ok = {lr: acc for lr, (acc, done, fit) in candidates.items()
              if admissible(done, fit) and np.isfinite(acc)}
        if ok:
            return max(ok, key=ok.get)
    return next(iter(candidates))


def claim_reached(final_loss: dict, target: float = FIT_LOSS,
                  who: str = "every method") -> claims.Verdict:
    """Every method's runs at its tuned lr ended at train loss <= target, in every seed:
    {method: {seed: final train loss}}. A fact about these runs (exact): the worst seed decides;
    a seed that diverged or is missing counts as not reached. Effect: log10 of the worst loss."""
    parts = []
    for method, losses in final_loss.items():
        values = list(losses.values())
        worst = max(values) if values and all(np.isfinite(values)) else float("inf")
        parts.append((-worst, claims.exact(np.log10(worst) if np.isfinite(worst) else float("nan"),
                                  worst <= target, n=len(values), units="log10 loss",
                                  claim=f"{method} reached train loss <= {target:g} in every seed",
                                  kind=f"worst seed's final train loss <= {target:g}",
                                  note="a fact about these runs: no sampling enters")))
    parts = [v for _, v in sorted(parts, key=lambda p: p[0])]  # worst first: it shows when ok
    return claims.all_of(parts, claim=f"{who} reached ~zero training loss (final train "
                                      f"loss <= {target:g} at its tuned lr, every seed)",
                         kind="conjunction over methods")


def claim_sgd_beats_adaptive(sgd: str, adaptive: str, acc: dict, final_loss: dict) -> claims.Verdict:
    """Wilson et al. 2017: at (near) zero training loss the best SGD-family method tests above the
    best adaptive one. acc / final_loss: {method: {seed: value}}; test accuracy in points,
    paired t over seeds (same init per seed). Conjoined with both having reached the target."""
    better = claims.greater(acc[sgd], acc[adaptive], units="points",
                            claim=f"{sgd} tests above {adaptive} (test accuracy, paired by seed)")
    reached = claim_reached({m: final_loss[m] for m in (sgd, adaptive)}, who="both methods")
    return claims.all_of([better, reached],
                         claim="at ~zero training loss the best SGD-family method (GD, SGD, "
                               "momentum) tests above the best adaptive one (Adam, AdaGrad); "
                               "'best' = highest mean validation accuracy at the tuned lr within "
                               "each family (3 candidates vs 2: a slight selection advantage to "
                               "the SGD family)",
                         kind="A − B > 0, paired by seed, and both reached the target")


def claim_different_solutions(between: dict, within: dict, final_loss: dict) -> claims.Verdict:
    """Arora 2019: optimizers that all reach ~zero training loss land on different solutions.
    between / within: {method: test-prediction disagreement in points} — the mean over the other
    methods' runs from the same init (same seed), and over the method's own runs from other
    seeds (another init and batch order). Paired t over methods: each method's distance to the
    other methods against its own seed-to-seed spread. Conjoined with every method at the
    loss target (the claim is about solutions of ~zero training loss)."""
    differ = claims.greater(between, within, units="points",
                            claim="a method's test predictions differ more from the other methods' "
                                  "(same init) than from its own runs at other seeds")
    differ = dataclasses.replace(differ, method=differ.method.replace("over seeds", "over methods"),
                                 kind="between − within > 0, paired by method")
    both = claims.all_of([differ, claim_reached(final_loss)], lead=0,
                         claim="optimizers that all reach ~zero training loss land on different "
                               "solutions: test-prediction disagreement between methods from the "
                               "same init exceeds that between seeds of one method",
                         kind="paired by method, and every method reached the target")
    return dataclasses.replace(both, n=differ.n)  # n counts methods, the units of the test
