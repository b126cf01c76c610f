"""Headline checks of the ntk experiment, as genlab.claims tests on plain values.

Which quantities vary with the seed: kernel regression (ridgeless, float64, on a fixed prefix of
the frozen training set and a fixed test set) is deterministic — no seed enters it — so its rows
are exact (the value decides; the test-set sampling error is not in it and the note says so).
The finite nets depend on their init (the seed): their rows are tests over seeds, each one
conjoined with "the nets learned" so that a net that never trained cannot pass."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from genlab import claims

CHANCE = 0.1  # 10 classes
LEARNED_MARGIN = 0.2  # "learned": train accuracy at least 20 points above chance (genlab's floor)
RATE = -0.5  # Lee et al. 2019: ‖f_net − f_lin‖ = O(width^-1/2)
RATE_TOL = 0.2  # genlab's tolerance around it for the widest pair (pre-asymptotic widths)
LINEAR_TOL = 2.0  # points: genlab's band for "the net tests like its linearization"
EXACT_NOTE = ("deterministic: ridgeless kernel regression on fixed data, no seed enters; the "
              "test set's own sampling error is not in it")


def claim_rises(curves: Mapping[str, Mapping[int, float]]) -> claims.Verdict:
    """Every kernel's test accuracy is higher at its largest n than at its smallest.
    curves: {kernel label: {n: test acc (fraction)}}; effect = the smallest rise (points)."""
    rises = {k: 100 * (v[max(v)] - v[min(v)]) for k, v in curves.items() if len(v) > 1}
    worst = min(rises.values(), default=float("nan"))
    return claims.exact(worst, bool(rises) and worst > 0, n=len(rises), units="points",
                        claim="every kernel's ridgeless test accuracy rises from the smallest "
                              "to the largest training set (the smallest rise is > 0)",
                        kind="min over kernels of acc(n_max) − acc(n_min) > 0", note=EXACT_NOTE)


def claim_ntk_near_nngp(gaps: Mapping, tol: float = 5.0) -> claims.Verdict:
    """|NTK − NNGP| test accuracy below tol points for every kernel and n. gaps: {key: points}."""
    worst = max((abs(g) for g in gaps.values()), default=float("nan"))
    return claims.exact(worst, bool(gaps) and worst < tol, n=len(gaps), units="points",
                        claim=f"NTK and NNGP regression test within {tol:g} points of each other "
                              "for every kernel and n (the largest |gap| is below it)",
                        kind=f"max |NTK − NNGP| < {tol:g}", note=EXACT_NOTE)


def claim_gap_beats_flatten(gap: float, flatten: float) -> claims.Verdict:
    """The best CNTK with global average pooling beats the best flatten readout (fractions)."""
    diff = 100 * (gap - flatten)
    return claims.exact(diff, bool(np.isfinite(diff) and diff > 0), units="points",
                        claim="the best CNTK-GAP tests above the best CNTK-flatten at the "
                              "largest common n (Arora et al. 2019's GAP > vanilla)",
                        kind="GAP − flatten > 0", note=EXACT_NOTE)


def claim_learned(train_acc: Mapping) -> claims.Verdict:
    """The GD nets learned: {seed: lowest train accuracy over widths} above chance + margin."""
    return claims.greater(train_acc, CHANCE, margin=LEARNED_MARGIN, units="",
                          claim=f"the GD nets learned: train accuracy at every width at least "
                                f"{100 * LEARNED_MARGIN:.0f} points above chance "
                                f"({100 * CHANCE:.0f}%)")


def claim_distance_falls(widths: Sequence[int], distance: Mapping[int, Sequence[float]],
                         train_acc: Mapping) -> claims.Verdict:
    """‖f_net − f_lin‖/‖f_lin‖ falls with width: each seed's log-log slope over every width < 0,
    t over seeds; with the nets having learned. distance: {seed: [value at each width]}."""
    falls = claims.slope(widths, distance, log=True, sign=-1,
                         claim="the distance to the linearized net falls with width "
                               "(per-seed log-log slope over every width < 0)")
    return claims.all_of([falls, claim_learned(train_acc)],
                         claim="trained GD nets approach their linearization as width grows "
                               "(Jacot et al. 2018; Lee et al. 2019)",
                         kind="log-log slope < 0, and the nets learned")


def claim_rate(widths: Sequence[int], distance: Mapping[int, Sequence[float]], train_acc: Mapping,
               short_of_paper: str | None = None) -> claims.Verdict:
    """The rate between the two widest nets is width^-1/2 within RATE_TOL: each seed's two-point
    log-log slope, the mean's t interval inside [−0.7, −0.3]. distance as in claim_distance_falls."""
    w = np.log(np.asarray(widths[-2:], float))
    slopes = {s: float(np.diff(np.log(np.asarray(d[-2:], float)))[0] / np.diff(w)[0])
              for s, d in distance.items()}
    band = claims.within(slopes, RATE - RATE_TOL, RATE + RATE_TOL, digits=2,
                         short_of_paper=short_of_paper,
                         kind=f"log-log slope in [{RATE - RATE_TOL:g}, {RATE + RATE_TOL:g}]",
                         claim=f"the distance shrinks as width^{RATE:g} between the two widest "
                               f"nets (per-seed slope, ±{RATE_TOL:g}: genlab's tolerance)")
    return claims.all_of([band, claim_learned(train_acc)],
                         claim=f"the distance to the linearized net shrinks as width^{RATE:g} "
                               "(Lee et al. 2019)", kind=f"{band.kind}, and the nets learned")


def claim_close_to_linear(diff_points: Mapping, train_acc: Mapping) -> claims.Verdict:
    """The widest net's test accuracy equals its linearization's (same f0, same t) within
    ±LINEAR_TOL points: {seed: net − linearized, points}, paired by construction."""
    band = claims.within(diff_points, -LINEAR_TOL, LINEAR_TOL, units="points",
                         claim=f"net − linearized test accuracy within ±{LINEAR_TOL:g} points "
                               "(genlab's band; Lee et al. 2019 show the curves overlap)")
    return claims.all_of([band, claim_learned(train_acc)],
                         claim="the widest trained GD net tests like its linearization",
                         kind=f"{band.kind}, and the nets learned")


def claim_net_beats_kernel(net_acc: Mapping, kernel_acc: float) -> claims.Verdict:
    """The best finite net (Adam, SP) tests above NTK regression (deterministic) on the same n:
    {seed: net test acc} (fractions), one-sample t of the net minus the kernel, in points."""
    return claims.greater({s: 100 * v for s, v in net_acc.items()}, 100 * kernel_acc,
                          units="points",
                          claim="the best trained finite net (Adam, standard parameterization; "
                                "best width by mean) tests above NTK regression on the same data")
