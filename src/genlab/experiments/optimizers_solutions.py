"""optimizers: do methods that all reach ~zero training loss land on different solutions (Arora
2019)? Test-prediction disagreement and parameter distance between the tuned runs of different
methods from the same init, against those between seeds of one method."""
from __future__ import annotations

import numpy as np

from genlab import claims
from genlab.experiments import tables
from genlab.experiments.optimizers_claims import claim_different_solutions


def load(store, at_tuned: dict) -> tuple[dict, dict]:
    """({(method, seed): (test examples,) predicted class}, {(method, seed): flat final params})
    of the done runs in {method: runs} that stored them."""
    preds, params = {}, {}
    for method, runs in at_tuned.items():
        for r in runs:
            if not tables.is_done(r):
                continue
            try:
                pred, final = (store.run_arrays(r["run_id"], n) for n in ("test_pred", "final"))
            except KeyError:  # a run stored before predictions were kept
                continue
            preds[(method, r["seed"])] = next(iter(pred.values()))
            params[(method, r["seed"])] = np.concatenate([final[k].ravel() for k in sorted(final)])
    return preds, params


def disagreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of examples whose predicted class differs."""
    return float(np.mean(a != b))


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """L2 distance between two flat parameter vectors."""
    return float(np.linalg.norm(a - b))


def by_method(values: dict, measure) -> tuple[dict, dict]:
    """values: {(method, seed): array}. Returns ({method: mean measure to the other methods' runs
    of the same seed (same init)}, {method: mean measure between its own runs of different
    seeds}); a method with no such pair is left out of that mapping."""
    methods = sorted({m for m, _ in values})
    between, within = {}, {}
    for m in methods:
        seeds = sorted(s for mm, s in values if mm == m)
        b = [measure(values[(m, s)], values[(o, s)]) for o in methods if o != m for s in seeds
             if (o, s) in values]
        w = [measure(values[(m, s)], values[(m, t)]) for i, s in enumerate(seeds) for t in seeds[i + 1:]]
        if b:
            between[m] = float(np.mean(b))
        if w:
            within[m] = float(np.mean(w))
    return between, within


PAPER = ("optimizers that all reach ~zero training loss find different solutions with different "
         "generalization (Arora 2019, essay; Wilson et al. 2017, Sec. 1)")


def rows(store, model: str, at_tuned: dict, final_loss: dict) -> list[dict]:
    """The two solution rows of one model: disagreement (checked) and parameter distance (shown)."""
    preds, params = load(store, at_tuned)
    between, within = (
        {m: 100.0 * v for m, v in d.items()} for d in by_method(preds, disagreement))
    name = f"{model}: methods land on different solutions (test-prediction disagreement, tuned lr)"
    if not between or not within:
        verdict = claims.unmet("methods land on different solutions",
                               "needs two methods and two seeds with stored test predictions")
        return [claims.row(name, verdict, ours="–", paper=PAPER)]
    ours = (f"between methods (same init) {np.mean(list(between.values())):.1f}% vs between seeds "
            f"{np.mean(list(within.values())):.1f}% of test examples")
    out = [claims.row(name, claim_different_solutions(between, within, final_loss), ours=ours,
                      paper=PAPER, expected="between methods > between seeds",
                      seeds=len({s for _, s in preds}))]
    pb, pw = by_method(params, distance)
    init = tables.summary_stat([r for runs in at_tuned.values() for r in runs], "params/distance_from_init")
    out.append(claims.row(
        f"{model}: parameter distance between solutions (tuned lr; not checked)", None,
        ours=(f"between methods (same init) {np.mean(list(pb.values())):.2f} vs between seeds "
              f"{np.mean(list(pw.values())):.2f} (distance from init {init[0]:.2f}); runs from "
              "different inits also differ by hidden-unit permutations, so only the same-init "
              "distance reads as 'how far apart'") if pb and pw else "–",
        paper="–", seeds=len(within)))
    return out
