"""Double descent headline claims as tests over seeds (genlab.claims). Each takes plain per-seed
curves ({seed: values along the size grid}; the sizes of one seed share its data, label noise
and init seed, so they are paired) and returns a claims.Verdict.

Positions (the minimum, the peak) are read off the mean curve over seeds; the heights there are
then compared seed by seed, and each seed's own interpolation threshold (the first size with
train error <= TOL) is compared with the peak's position.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from genlab import claims
from genlab.claims import INCONCLUSIVE, Verdict
from genlab.experiments import series

TOL = 0.005  # "train error 0": at most 0.5% of the (noisy) training labels missed
PEAK_MARGIN = 1.0  # pp: a peak must stand 1 point above both sides (genlab tolerance)
NEAR = 1  # grid steps between a seed's interpolation threshold and the peak
MSE_BAND = (0.5, 2.0)  # "P ≈ n·K": within a factor 2 (genlab tolerance)

Curves = Mapping[object, Sequence[float]]


def mean_curve(curves: Curves) -> np.ndarray:
    """Mean over seeds at each size (NaN where a seed has no finite value is left out)."""
    arr = np.asarray([list(v) for v in curves.values()], dtype=float)
    with np.errstate(invalid="ignore"):
        return np.nanmean(arr, axis=0) if arr.size else np.zeros(0)


def threshold(train_err: Sequence[float], tol: float = TOL) -> int | None:
    """Index of the first size whose train error is <= tol (None: no size interpolates)."""
    return series.first_at_most([v if math.isfinite(v) else math.inf for v in train_err], tol)


def peak_positions(test_err: Curves, train_err: Curves) -> tuple[int | None, int, int]:
    """(threshold, i_min, i_peak) of the mean curves: the minimum of the test error up to the
    threshold, then its maximum from there on (series.dip_then_peak)."""
    thr = threshold(mean_curve(train_err))
    i_min, i_peak = series.dip_then_peak(mean_curve(test_err), thr)
    return thr, i_min, i_peak


def _at(curves: Curves, i: int, scale: float = 1.0) -> dict:
    return {s: float(v[i]) * scale for s, v in curves.items()}


def _near(train_err: Curves, i_peak: int, what: str) -> Verdict:
    offsets = {s: (float(t) - i_peak if (t := threshold(v)) is not None else math.nan)
               for s, v in train_err.items()}
    return claims.within(offsets, -NEAR, NEAR, digits=1, units="grid steps",
                         claim=f"each seed's interpolation threshold is within {NEAR} grid size "
                               f"of the {what}")


def _no_threshold(claim: str, n: int) -> Verdict:
    return Verdict(claim, "needs an interpolation threshold", INCONCLUSIVE, n=n,
                   note=f"no size reaches train error <= {TOL:.1%} (mean over seeds): nothing "
                        "interpolates, so there is no threshold to find a peak at")


def error_peak(test_err: Curves, train_err: Curves, label: str) -> Verdict:
    """Noisy labels: test error rises from its minimum to a peak > PEAK_MARGIN above it, falls
    again > PEAK_MARGIN by the largest size, and the peak sits at the interpolation threshold."""
    claim = (f"{label}: test error peaks near the interpolation threshold, at least "
             f"{PEAK_MARGIN:g} pp above its minimum before it and above the largest size")
    thr, i_min, i_peak = peak_positions(test_err, train_err)
    if thr is None:
        return _no_threshold(claim, len(test_err))
    last = len(mean_curve(test_err)) - 1
    peak = _at(test_err, i_peak, 100)
    parts = [claims.greater(peak, _at(test_err, i_min, 100), margin=PEAK_MARGIN, units="pp", digits=1,
                            claim="test error rises from the minimum to the peak"),
             claims.greater(peak, _at(test_err, last, 100), margin=PEAK_MARGIN, units="pp", digits=1,
                            claim="test error falls from the peak to the largest size"),
             _near(train_err, i_peak, "test-error peak")]
    return claims.all_of(parts, claim=claim, kind="peak: rise and fall > 1 pp, at the threshold")


def loss_peak(test_loss: Curves, train_err: Curves, label: str) -> Verdict:
    """Clean labels: the test loss (cross-entropy) has a peak inside the size grid — above the
    smallest and the largest size — at the interpolation threshold."""
    claim = f"{label}: test loss peaks near the interpolation threshold"
    mean_loss, thr = mean_curve(test_loss), threshold(mean_curve(train_err))
    if thr is None:
        return _no_threshold(claim, len(test_loss))
    i_peak, last = int(np.nanargmax(mean_loss)), len(mean_loss) - 1
    peak = _at(test_loss, i_peak)
    if i_peak in (0, last):  # a maximum at the edge of the grid is no peak
        inside = claims.exact(i_peak, False, claim="the test-loss maximum is inside the size grid",
                              kind="0 < peak index < last", digits=0)
        return claims.all_of([inside, _near(train_err, i_peak, "test-loss peak")], claim=claim)
    parts = [claims.greater(peak, _at(test_loss, 0), units="nats", digits=2,
                            claim="test loss at the peak exceeds the smallest size's"),
             claims.greater(peak, _at(test_loss, last), units="nats", digits=2,
                            claim="test loss at the peak exceeds the largest size's"),
             _near(train_err, i_peak, "test-loss peak")]
    return claims.all_of(parts, claim=claim, kind="test-loss peak inside the grid, at the threshold")


def loss_thresholds(mse: Mapping, xent: Mapping) -> Verdict:
    """The interpolation threshold in parameters per (n_train K): with MSE it lies in MSE_BAND
    (P ≈ n·K), and cross-entropy interpolates at fewer parameters than MSE (paired by n_train and
    seed: the same data, labels and init). Keys (n_train, seed); NaN where a seed never
    interpolates within the grid (left out, and counted in the note)."""
    lo, hi = MSE_BAND
    at_nk = claims.within(mse, lo, hi, digits=2,
                          claim=f"with MSE the threshold has P/(n_train K) in [{lo:g}, {hi:g}]")
    earlier = claims.less(xent, mse, digits=2,
                          claim="cross-entropy reaches its threshold at a smaller P/(n_train K) "
                                "than MSE (paired by n_train and seed)")
    return claims.all_of([at_nk, earlier], kind="MSE threshold at P ≈ n·K, cross-entropy's earlier",
                         claim="the interpolation threshold sits at P ≈ n_train·K parameters with MSE "
                               "and earlier with cross-entropy")
