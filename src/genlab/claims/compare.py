"""Claims about one quantity or a difference: A > B, a band, a published value, an exact
number, a slope."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
from scipy import stats as sps

from genlab.claims.intervals import (
    Values,
    _clean,
    _decide,
    _dropped_note,
    _join,
    _paper_scale,
    _seeds_needed,
    mean_interval,
)
from genlab.claims.verdict import (
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    INCONCLUSIVE,
    LEVEL,
    MISS,
    OK,
    Verdict,
)


# ---------------------------------------------------------------------------------- kinds
def greater(a: Values, b: Values | None = None, *, claim: str, margin: float = 0.0,
            paired: bool | None = None, method: str = "t", units: str = "", digits: int = 2,
            short_of_paper: str | None = None) -> Verdict:
    """Claim: mean(a − b) > margin (b None or a number: mean(a) − b > margin).

    Two mappings are paired on their common seeds (paired t) unless ``paired=False``; otherwise
    the difference of means gets a Welch interval (or a bootstrap of each group)."""
    av, ad = _clean(a)
    if b is None or isinstance(b, (int, float)) and not isinstance(b, bool):
        base = float(b or 0.0)
        diffs = [v - base for v in av.values()]
        kind = f"mean > {base + margin:g}" if b is not None else f"mean > {margin:g}"
        return _one_sample(diffs, claim, kind, margin, method, units, digits, short_of_paper,
                           _dropped_note(ad), above=True)
    bv, bd = _clean(b)
    common = sorted(set(av) & set(bv), key=str)
    pair = paired if paired is not None else (isinstance(a, Mapping) and isinstance(b, Mapping)
                                              and len(common) >= 1)
    note = _dropped_note(ad + bd)
    if pair:
        diffs = [av[k] - bv[k] for k in common]
        unpaired = len(av) + len(bv) - 2 * len(common)
        if unpaired:
            note = _join(note, f"{unpaired} unpaired value{'s' if unpaired != 1 else ''} left out")
        return _one_sample(diffs, claim, f"A − B > {margin:g}, paired by seed", margin, method,
                           units, digits, short_of_paper, note, above=True, label="paired")
    return _two_sample(list(av.values()), list(bv.values()), claim, margin, method, units,
                       digits, short_of_paper, note)


def less(a: Values, b: Values | None = None, *, claim: str, margin: float = 0.0,
         **kwargs) -> Verdict:
    """Claim: mean(a − b) < −margin, i.e. b exceeds a by more than margin. Reported as the
    effect b − a > margin (a positive effect supports the claim)."""
    if b is None or isinstance(b, (int, float)) and not isinstance(b, bool):
        av, _ = _clean(a)
        neg = {k: -v for k, v in av.items()} if isinstance(a, Mapping) else [-v for v in av.values()]
        return greater(neg, None if b is None else -float(b), claim=claim, margin=margin, **kwargs)
    return greater(b, a, claim=claim, margin=margin, **kwargs)


def _one_sample(diffs, claim, kind, margin, method, units, digits, short, note, above=True,
                label="one-sample") -> Verdict:
    x = np.asarray(diffs, dtype=float)
    n = int(x.size)
    if n == 0:
        return Verdict(claim, kind, INCONCLUSIVE, n=0, method="", units=units, digits=digits,
                       note=_join(note, "no values"), short_of_paper=short)
    mean, interval = mean_interval(x, method)
    how = "bootstrap over seeds" if method == "bootstrap" else f"{label} t over seeds"
    if interval is None:
        return Verdict(claim, kind, INCONCLUSIVE, effect=mean, n=n, method=how, units=units,
                       digits=digits, short_of_paper=short,
                       note=_join(note, "n = 1: one seed cannot give an interval"))
    verdict = _decide(interval, above=margin)
    extra = ""
    if verdict == INCONCLUSIVE:
        extra = _seeds_needed(float(x.std(ddof=1)), abs(mean - margin), n)
    return _paper_scale(Verdict(claim, kind, verdict, effect=mean, interval=interval, n=n,
                                method=how, units=units, digits=digits, short_of_paper=short,
                                note=_join(note, extra)))


def _two_sample(a, b, claim, margin, method, units, digits, short, note) -> Verdict:
    x, y = np.asarray(a, float), np.asarray(b, float)
    kind = f"A − B > {margin:g}, unpaired"
    n = int(min(x.size, y.size))
    effect = float(x.mean() - y.mean()) if x.size and y.size else float("nan")
    if x.size < 2 or y.size < 2:
        return Verdict(claim, kind, INCONCLUSIVE, effect=effect if math.isfinite(effect) else None,
                       n=n, method="Welch t over seeds", units=units, digits=digits,
                       short_of_paper=short, note=_join(note, "fewer than 2 seeds in a group"))
    if method == "bootstrap":
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        d = (x[rng.integers(0, x.size, (BOOTSTRAP_SAMPLES, x.size))].mean(1)
             - y[rng.integers(0, y.size, (BOOTSTRAP_SAMPLES, y.size))].mean(1))
        lo, hi = np.quantile(d, [(1 - LEVEL) / 2, 0.5 + LEVEL / 2])
        interval, how, sd = (float(lo), float(hi)), "bootstrap over seeds (unpaired)", float(d.std())
        sd_per_seed = sd * math.sqrt(n)
    else:
        vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
        se = math.sqrt(vx + vy)
        if se > 0:
            df = (vx + vy) ** 2 / ((vx ** 2 / (x.size - 1) if vx else 0) + (vy ** 2 / (y.size - 1) if vy else 0))
            half = float(sps.t.ppf(0.5 + LEVEL / 2, df)) * se
        else:
            half = 0.0
        interval, how = (effect - half, effect + half), "Welch t over seeds"
        sd_per_seed = se * math.sqrt(n)
    verdict = _decide(interval, above=margin)
    extra = _seeds_needed(sd_per_seed, abs(effect - margin), n) if verdict == INCONCLUSIVE else ""
    return _paper_scale(Verdict(claim, kind, verdict, effect=effect, interval=interval, n=n,
                                method=how, units=units, digits=digits, short_of_paper=short,
                                note=_join(note, extra)))


def within(x: Values, lo: float | None, hi: float | None, *, claim: str, method: str = "t",
           units: str = "", digits: int = 2, short_of_paper: str | None = None,
           kind: str | None = None) -> Verdict:
    """Claim: the mean of x lies in [lo, hi] (either bound may be None: a one-sided band).
    ok when the whole 95% interval of the mean is inside, MISS when it is wholly outside."""
    xv, dropped = _clean(x)
    vals = np.asarray(list(xv.values()), float)
    band = f"[{'−∞' if lo is None else f'{lo:g}'}, {'∞' if hi is None else f'{hi:g}'}]"
    kind = kind or f"mean in {band}"
    note = _dropped_note(dropped)
    if vals.size == 0:
        return Verdict(claim, kind, INCONCLUSIVE, n=0, units=units, digits=digits,
                       note=_join(note, "no values"), short_of_paper=short_of_paper)
    mean, interval = mean_interval(vals, method)
    how = "bootstrap over seeds" if method == "bootstrap" else "one-sample t over seeds"
    if interval is None:
        return Verdict(claim, kind, INCONCLUSIVE, effect=mean, n=1, method=how, units=units,
                       digits=digits, short_of_paper=short_of_paper,
                       note=_join(note, "n = 1: one seed cannot give an interval"))
    a, b = interval
    inside = (lo is None or a >= lo) and (hi is None or b <= hi)
    outside = (lo is not None and b < lo) or (hi is not None and a > hi)
    verdict = OK if inside else MISS if outside else INCONCLUSIVE
    extra = ""
    if verdict == INCONCLUSIVE:
        in_band = (lo is None or mean >= lo) and (hi is None or mean <= hi)
        edges = [abs(mean - e) for e in (lo, hi) if e is not None]
        extra = _seeds_needed(float(vals.std(ddof=1)), min(edges), vals.size)
        if not in_band and not extra.startswith("the effect"):
            extra = extra.replace("would resolve it", "would show it outside")
    return _paper_scale(Verdict(claim, kind, verdict, effect=mean, interval=interval, n=int(vals.size),
                                method=how, units=units, digits=digits, signed=False,
                                short_of_paper=short_of_paper, note=_join(note, extra)))


def matches(x: Values, published: float, tol: float, *, claim: str, **kwargs) -> Verdict:
    """Claim: x matches a published value within ±tol (the mean's interval inside the band)."""
    return within(x, published - tol, published + tol, claim=claim,
                  kind=f"mean within ±{tol:g} of the published {published:g}", **kwargs)


def exact(value: float, passed: bool, *, claim: str, kind: str, n: int = 1, units: str = "",
          digits: int = 2, note: str = "") -> Verdict:
    """A deterministic quantity (an exact construction error, a closed-form solution): no
    interval is needed, the value decides; n = 1 is enough."""
    v = float(value)
    return Verdict(claim, kind, OK if passed else MISS, effect=v, interval=(v, v), n=n,
                   method="exact (deterministic)", units=units, digits=digits, note=note,
                   signed=False)


def slope(x: Sequence[float], y: Mapping | Sequence, *, claim: str, sign: int = 1,
          margin: float = 0.0, log: bool = False, units: str = "", digits: int = 3,
          short_of_paper: str | None = None) -> Verdict:
    """Claim: the slope of y against x has the given sign (and |slope| beyond margin).

    ``y`` is {seed: values along x} (each seed's least-squares slope, then a one-sample t over
    seeds) or one sequence (the OLS slope and its t interval over the points, n = points).
    ``log`` fits log y against log x (a power law's exponent)."""
    xs = np.asarray(x, float)
    tx = np.log(xs) if log else xs
    kind = f"slope {'>' if sign > 0 else '<'} {sign * margin:g}" + (" (log-log)" if log else "")
    if isinstance(y, Mapping):
        slopes = {}
        for k, ys in y.items():
            ty = np.asarray(ys, float)
            ty = np.log(ty) if log else ty
            ok = np.isfinite(ty)
            if ok.sum() >= 2:
                slopes[k] = float(np.polyfit(tx[ok], ty[ok], 1)[0])
        if sign > 0:
            v = greater(slopes, None, claim=claim, margin=margin, units=units, digits=digits,
                        short_of_paper=short_of_paper)
        else:
            v = less(slopes, None, claim=claim, margin=margin, units=units, digits=digits,
                     short_of_paper=short_of_paper)
            v = _flip(v)
        return replace(v, kind=kind, method=f"per-seed slope, {v.method}")
    ty = np.asarray(y, float)
    ty = np.log(ty) if log else ty
    ok = np.isfinite(ty) & np.isfinite(tx)
    n = int(ok.sum())
    if n < 3:
        return Verdict(claim, kind, INCONCLUSIVE, n=n, method="OLS slope t over points",
                       units=units, digits=digits, note="fewer than 3 points")
    res = sps.linregress(tx[ok], ty[ok])
    half = float(sps.t.ppf(0.5 + LEVEL / 2, n - 2)) * float(res.stderr)
    interval = (res.slope - half, res.slope + half)
    verdict = _decide(interval, above=margin) if sign > 0 else _decide(interval, below=-margin)
    return _paper_scale(Verdict(claim, kind, verdict, effect=float(res.slope), interval=interval,
                                n=n, method="OLS slope t over points", units=units, digits=digits,
                                short_of_paper=short_of_paper))


def _flip(v: Verdict) -> Verdict:
    """`less` reports b − a; a slope's sign reads better as the slope itself."""
    if v.effect is None:
        return v
    iv = None if v.interval is None else (-v.interval[1], -v.interval[0])
    return replace(v, effect=-v.effect, interval=iv)
