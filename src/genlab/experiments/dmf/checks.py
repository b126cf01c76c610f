"""Headline checks of dmf as genlab.claims tests on plain per-seed values.

Seed s fixes the problem (W* and the observed set) and the init, so a factorization run, the
nuclear-norm minimizer and the ground truth of the same seed are paired. Errors are compared in
decades (log10 of the test MSE): they span orders of magnitude. Every claim about a solution is
conjoined with "and it fits the observed entries": the paper's claims are about the solutions
gradient descent converges to, and a run that has not fitted its observations (too few steps)
says nothing about them. The claim under test comes first in each conjunction, so an ok row shows
its effect (not the fit's)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from genlab import claims

# "Fits the observed entries": train MSE ≤ 1e-4, an RMS residual of at most 1% of the entries'
# RMS (1) — loose next to the stop rule (1e-6), so a run stopped at the step cap just short of
# the rule still counts.
FIT_MSE = 1e-4
RANK_TOL = 1.0  # effective rank within one of the ground truth's


def _log10(values: Mapping) -> dict:
    return {k: math.log10(v) if v is not None and v > 0 else float("nan") for k, v in values.items()}


def claim_fits(train_mse: Mapping, what: str = "the runs") -> claims.Verdict:
    """{seed: the largest train MSE over the runs in question} below FIT_MSE (in decades)."""
    return claims.less(_log10(train_mse), math.log10(FIT_MSE), units="decades", digits=1,
                       claim=f"{what} fit the observed entries (train MSE ≤ {FIT_MSE:g})")


def claim_beats_nuclear(deep: Mapping, nuclear: Mapping, fits: Mapping, depth: int) -> claims.Verdict:
    """Depth `depth` reconstructs better than the nuclear-norm minimizer of the same problem:
    log10 test MSE lower, paired by seed; and the factorization fits its observations.
    deep, nuclear: {seed: test MSE}; fits: {seed: train MSE of the factorization}."""
    lower = claims.greater(_log10(nuclear), _log10(deep), units="decades", digits=1,
                           claim=f"depth {depth} test MSE below the nuclear-norm minimizer's "
                                 "(log10, paired by seed)")
    return claims.all_of([lower, claim_fits(fits, f"the depth-{depth} runs")],
                         claim=f"depth {depth} fits the observations and reconstructs the matrix "
                               "better than nuclear-norm minimization (Arora et al. 2019)")


def claim_norms(deep: Mapping, minimizer: Mapping, truth: Mapping, fits: Mapping) -> claims.Verdict:
    """Deep factorization does not minimize the nuclear norm: its solution's nuclear norm is
    closer to the ground truth's than the minimizer's is, and the minimizer's lies below the
    truth's. All {seed: nuclear norm}; fits: {seed: train MSE of the deep runs}."""
    seeds = [s for s in truth if s in deep and s in minimizer and truth[s] > 0]
    gap_deep = {s: abs(deep[s] / truth[s] - 1) for s in seeds}
    gap_min = {s: abs(minimizer[s] / truth[s] - 1) for s in seeds}
    closer = claims.less(gap_deep, gap_min, units="relative", digits=3,
                         claim="the deep solution's nuclear norm is closer to the ground truth's "
                               "than the minimizer's (|norm / truth − 1|, paired by seed)")
    below = claims.less({s: minimizer[s] / truth[s] for s in seeds}, 1.0, units="relative", digits=3,
                        claim="the minimizer's nuclear norm lies below the ground truth's")
    return claims.all_of([closer, below, claim_fits(fits, "the deep runs")],
                         claim="the deep solution's nuclear norm is near the ground truth's while "
                               "the nuclear-norm minimizer's is below it: depth does not minimize "
                               "the nuclear norm")


def claim_rank(effective: Mapping, truth: Mapping, fits: Mapping, tol: float = RANK_TOL) -> claims.Verdict:
    """The deep solution's effective rank is within ±tol of the ground truth's (paired by seed)
    and it fits the observations. effective, truth: {seed: effective rank}."""
    diff = {s: effective[s] - truth[s] for s in effective if s in truth}
    near = claims.within(diff, -tol, tol, digits=2,
                         claim=f"effective rank within ±{tol:g} of the ground truth's")
    return claims.all_of([near, claim_fits(fits, "the deep runs")],
                         claim="the deep solution fits the observations with the ground truth's "
                               "effective rank (a low-rank solution)")


def claim_init_rank(scales: Sequence[float], effective: Mapping, fits: Mapping) -> claims.Verdict:
    """Smaller init, lower effective rank: the per-seed slope of effective rank against log10
    init scale is positive, and every init scale's run fits the observations.
    effective: {seed: [effective rank at each scale]}; fits: {seed: largest train MSE}."""
    rises = claims.slope([math.log10(s) for s in scales], effective, sign=1, digits=2,
                         claim="effective rank rises with log10 init scale (per-seed slope)")
    return claims.all_of([rises, claim_fits(fits, "the runs at every init scale")],
                         claim="every init scale fits the observations, and the smaller the init "
                               "the lower the solution's effective rank")


def claim_adam(steps: Mapping[str, Mapping], error: Mapping[str, Mapping], fits: Mapping) -> claims.Verdict:
    """Adam reaches the stop rule in fewer steps but generalizes worse than the reference
    adaptive GD, paired by seed; both fit. steps, error: {"adam"|"reference": {seed: value}}."""
    faster = claims.less(steps["adam"], steps["reference"], units="steps", digits=0,
                         claim="Adam reaches train MSE ≤ stop in fewer steps (paired by seed)")
    worse = claims.greater(_log10(error["adam"]), _log10(error["reference"]), units="decades",
                           digits=1, claim="Adam's test MSE is higher (log10, paired by seed)")
    return claims.all_of([faster, worse, claim_fits(fits, "Adam and the reference runs")],
                         claim="Adam fits faster but lands on a solution that generalizes worse "
                               "(Arora's essay: the trajectory, not the objective, decides)")


# "Recovers W*": test MSE (all entries) ≤ 1e-3, an RMS error of ~3% of the entries' RMS (1); a
# documented tolerance, the same for every method.
RECOVER_MSE = 1e-3
# The depth-2 − minimizer gap must exceed 0.1 decade (26% in MSE) to count as a departure: the
# minimizer is solved to |X_ij − W*_ij| ≤ 1e-3 on the observed entries, far inside that.
GAP_TOL = 0.1


def claim_departs(scales: Sequence[float], gap: Mapping, fits: Mapping) -> claims.Verdict:
    """Depth 2 does not simply find the nuclear-norm minimizer: gap = log10 test MSE of depth 2
    − log10 test MSE of the minimizer of the same problem, {seed: [gap at each init scale]}
    (scales ascending). Its per-seed slope against log10 init is positive (the depth-2 solution
    moves away from the minimizer, to lower error, as init → 0) and at the smallest init the gap
    is below −GAP_TOL decades; every init scale fits its observations."""
    falls = claims.slope([math.log10(s) for s in scales], gap, sign=1, digits=2,
                         claim="depth-2 − minimizer log10 test MSE falls as init shrinks (per-seed slope)")
    smallest = {k: v[0] for k, v in gap.items()}
    below = claims.less(smallest, -GAP_TOL, units="decades", digits=2,
                        claim=f"at init {scales[0]:g} depth 2's test MSE is below the minimizer's "
                              f"by more than {GAP_TOL:g} decade (paired by seed)")
    return claims.all_of([falls, below, claim_fits(fits, "the depth-2 runs at every init scale")],
                         claim="as init → 0 depth 2's solution departs from the nuclear-norm "
                               "minimizer's (lower test error): depth 2 does not simply minimize "
                               "the nuclear norm (Arora et al. 2019, Sec. 2 / Fig. 2)")


def threshold(counts: Sequence[int], errors: Sequence[float]) -> float:
    """Smallest count from which on every larger count recovers (test MSE ≤ RECOVER_MSE);
    2 x the largest count when even the largest does not (recovery not reached on the grid)."""
    out = 2.0 * max(counts)
    for m, e in sorted(zip(counts, errors), reverse=True):
        if not (e is not None and e <= RECOVER_MSE):
            break
        out = float(m)
    return out


def claim_threshold(deep: Mapping, nuclear: Mapping, fits: Mapping, depth: int) -> claims.Verdict:
    """Depth `depth` needs fewer observed entries to recover W* than nuclear-norm minimization:
    per-seed recovery thresholds (threshold()), deep < minimizer's in log10 (the counts form a
    roughly geometric grid), paired by seed; and the deep
    runs fit. deep, nuclear: {seed: threshold}; fits: {seed: largest train MSE of the deep runs}."""
    fewer = claims.less(_log10(deep), _log10(nuclear), units="decades", digits=2,
                        claim=f"depth {depth} recovers (test MSE ≤ {RECOVER_MSE:g}) from fewer "
                              "observed entries than the minimizer (log10 threshold, paired by seed)")
    return claims.all_of([fewer, claim_fits(fits, f"the depth-{depth} runs")],
                         claim=f"depth {depth} needs fewer observations than nuclear-norm "
                               "minimization to recover the matrix (Arora et al. 2019, Fig. 1)")
