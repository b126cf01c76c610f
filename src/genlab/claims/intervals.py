"""Per-seed values, their intervals and the decision rule shared by every kind of claim."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from scipy import stats as sps

from genlab.claims.verdict import (
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    INCONCLUSIVE,
    LEVEL,
    MAX_SEEDS_ESTIMATE,
    MISS,
    OK,
    PAPER_SCALE,
    Verdict,
)

Values = Mapping | Sequence | np.ndarray | float | int


def _clean(values: Values) -> tuple[dict, int]:
    """{key: float} of the finite values (keys are seeds, or positions for a sequence) and how
    many non-finite ones were dropped."""
    if isinstance(values, Mapping):
        items = list(values.items())
    else:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        items = list(enumerate(arr.tolist()))
    kept = {k: float(v) for k, v in items if v is not None and math.isfinite(float(v))}
    return kept, len(items) - len(kept)


def _dropped_note(dropped: int) -> str:
    return f"{dropped} non-finite value{'s' if dropped != 1 else ''} left out" if dropped else ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _t(n: int) -> float:
    return float(sps.t.ppf(0.5 + LEVEL / 2, n - 1))


def mean_interval(values: Sequence[float], method: str = "t") -> tuple[float, tuple[float, float] | None]:
    """Mean and its 95% interval over seeds (None for n < 2): Student t or percentile bootstrap."""
    x = np.asarray(values, dtype=float)
    n, mean = x.size, float(x.mean()) if x.size else float("nan")
    if n < 2:
        return mean, None
    if method == "bootstrap":
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        means = x[rng.integers(0, n, size=(BOOTSTRAP_SAMPLES, n))].mean(axis=1)
        lo, hi = np.quantile(means, [(1 - LEVEL) / 2, 0.5 + LEVEL / 2])
        return mean, (float(lo), float(hi))
    half = _t(n) * float(x.std(ddof=1)) / math.sqrt(n)
    return mean, (mean - half, mean + half)


def _seeds_needed(sd: float, distance: float, n: int) -> str:
    """About how many seeds a t interval needs so that its half-width is below `distance`."""
    if not (sd > 0) or not math.isfinite(sd):
        return ""
    if distance <= 0:
        return "the effect sits on the boundary: no number of seeds would resolve it"
    for m in range(max(n + 1, 2), MAX_SEEDS_ESTIMATE + 1):
        if _t(m) * sd / math.sqrt(m) < distance:
            return f"about {m} seeds would resolve it if the effect and spread held"
    return f"more than {MAX_SEEDS_ESTIMATE} seeds would be needed"


def _decide(interval, above: float | None = None, below: float | None = None) -> str:
    """ok if the interval lies in (above, below); MISS if wholly outside; else inconclusive."""
    lo, hi = interval
    inside = (above is None or lo > above) and (below is None or hi < below)
    outside = (above is not None and hi < above) or (below is not None and lo > below)
    return OK if inside else MISS if outside else INCONCLUSIVE


def _paper_scale(v: Verdict) -> Verdict:
    if v.verdict == MISS and v.short_of_paper:
        return replace(v, verdict=PAPER_SCALE,
                       note=_join(v.note, f"below the published scale: {v.short_of_paper}"))
    return v
