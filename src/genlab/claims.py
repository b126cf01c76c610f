"""Headline claims as statistical tests.

A headline check states a claim in words and in kind, computes from per-seed values the effect,
a 95% interval and n, and returns a verdict:

- **ok**: the interval lies wholly on the claimed side (inside the band, above the threshold);
- **MISS**: it lies wholly on the other side;
- **inconclusive**: it straddles the boundary (the note says roughly how many seeds would
  resolve it, if the effect and spread held);
- **paper scale**: it would be MISS, but the runs are smaller than the published protocol and
  the paper-scale run is known to decide it (``short_of_paper`` says how).

Values are given per seed: a mapping ``{seed: value}`` (two mappings are paired on their common
seeds: runs that share seeds or inits) or a sequence (unpaired). Non-finite values are left out
and counted in the note. n = 1 is inconclusive unless the quantity is deterministic (``exact``).

Intervals: Student t over seeds (paired, one-sample or Welch), a percentile bootstrap over seeds
(``method="bootstrap"``: a fixed resampling seed, so the same values give the same interval), an
OLS slope's t interval, or ``exact`` for a deterministic number. Conjunctions (``all_of``) are
intersection-union tests: ok only when every part is ok at 95%, MISS when any part is MISS.

Build headline rows with ``row(name, verdict, ours=..., paper=..., expected=...)``: it keeps the
short ``check`` cell and adds ``claim``, ``effect``, ``interval``, ``n``, ``verdict``, ``method``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats as sps

OK, MISS, INCONCLUSIVE, PAPER_SCALE = "ok", "MISS", "inconclusive", "paper scale"
LEVEL = 0.95
BOOTSTRAP_SAMPLES = 4000
BOOTSTRAP_SEED = 0
MAX_SEEDS_ESTIMATE = 1000  # beyond this the note says "more than 1000 seeds"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim. ``effect`` and ``interval`` are in the units the caller passed
    (``units`` names them); ``margin`` is the threshold or band the interval was compared with."""
    claim: str
    kind: str
    verdict: str
    effect: float | None = None
    interval: tuple[float, float] | None = None
    n: int = 0
    method: str = ""
    note: str = ""
    units: str = ""
    digits: int = 2
    short_of_paper: str | None = None
    parts: tuple["Verdict", ...] = field(default=())
    signed: bool = True  # a difference prints its sign (+3.1); a level in a band does not (65.9)

    @property
    def check(self) -> str:
        """The short check cell: ok / MISS / inconclusive / 'paper scale: <why>'."""
        if self.verdict == PAPER_SCALE and self.short_of_paper:
            return f"{PAPER_SCALE}: {self.short_of_paper}"
        return self.verdict

    def cell(self) -> str:
        """'+3.1 [+0.4, +5.8], n = 3' (the effect, its interval, n)."""
        if self.effect is None or not math.isfinite(self.effect):
            return f"n = {self.n}"
        f = f"{'+' if self.signed else ''}.{self.digits}f"
        text = format(self.effect, f)
        if self.interval is not None:
            lo, hi = self.interval
            text += f" [{format(lo, f)}, {format(hi, f)}]"
        return f"{text}{' ' + self.units if self.units else ''}, n = {self.n}"

    def as_dict(self) -> dict:
        out = {"claim": self.claim, "kind": self.kind, "verdict": self.verdict,
               "effect": _num(self.effect), "n": self.n, "method": self.method,
               "interval": None if self.interval is None else [_num(v) for v in self.interval],
               "note": self.note, "units": self.units}
        if self.parts:
            out["parts"] = [p.as_dict() for p in self.parts]
        return out


def _num(v):
    return None if v is None or not math.isfinite(v) else float(v)


# ---------------------------------------------------------------------------------- values
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


def all_of(parts: Sequence[Verdict], *, claim: str, kind: str = "conjunction",
           lead: int | None = None) -> Verdict:
    """A conjunction ("fits random labels *and* tests at chance"): ok when every part is ok,
    MISS when any part is MISS (paper scale when the failing parts are all paper scale),
    else inconclusive. Effect, interval and n are those of the part that decides it (the first
    MISS, else the first part not ok, else the first part; ``lead=i`` shows part i's always, e.g.
    the main claim beside an "and the model learned" guard); every part stays in ``parts``."""
    parts = tuple(parts)
    if not parts:
        return Verdict(claim, kind, INCONCLUSIVE, note="no parts")
    verdicts = [p.verdict for p in parts]
    if all(v == OK for v in verdicts):
        verdict, decider = OK, parts[0]
    elif MISS in verdicts:
        verdict, decider = MISS, parts[verdicts.index(MISS)]
    elif PAPER_SCALE in verdicts:
        verdict, decider = PAPER_SCALE, parts[verdicts.index(PAPER_SCALE)]
    else:
        verdict = INCONCLUSIVE
        decider = next(p for p in parts if p.verdict != OK)
    if lead is not None:  # the row shows the main claim's numbers; a guard's verdict is in the note
        decider = parts[lead]
    note = "; ".join(f"{p.claim}: {p.verdict}" + _resolve_hint(p) for p in parts)
    return Verdict(claim, kind, verdict, effect=decider.effect, interval=decider.interval,
                   n=min(p.n for p in parts), method=decider.method, signed=decider.signed,
                   units=decider.units, digits=decider.digits, note=note,
                   short_of_paper=decider.short_of_paper, parts=parts)


def _resolve_hint(part: Verdict) -> str:
    """An inconclusive part's 'about N seeds would resolve it', carried up into the conjunction."""
    if part.verdict != INCONCLUSIVE:
        return ""
    hints = [h for h in part.note.split("; ") if "seeds" in h or h.startswith("n = 1")]
    return f" ({hints[-1]})" if hints else ""


def unmet(claim: str, why: str, *, kind: str = "precondition") -> Verdict:
    """A claim that cannot be tested on these runs (a precondition failed: the training set was
    never fitted, no size interpolates): inconclusive, with the reason."""
    return Verdict(claim, kind, INCONCLUSIVE, note=why)


def learned(acc: Values, chance: float, margin: float, *, claim: str = "the model learned",
            units: str = "", digits: int = 1) -> Verdict:
    """The guard a "no effect" claim or a one-sided bound needs: mean accuracy above chance by
    more than `margin` (an untrained net is at chance and loses nothing to any change)."""
    return greater(acc, chance, claim=claim, margin=margin, units=units, digits=digits)


def ordering(values: Mapping[str, Values], order: Sequence[str], *, claim: str,
             margin: float = 0.0, units: str = "", digits: int = 2, **kwargs) -> Verdict:
    """Claim: the means rank as `order` (highest first): each adjacent pair A > B (paired by
    seed where the values are mappings sharing seeds), tested as one conjunction."""
    parts = [greater(values[hi], values[lo], claim=f"{hi} > {lo}", margin=margin, units=units,
                     digits=digits, **kwargs) for hi, lo in zip(order, order[1:])]
    v = all_of(parts, claim=claim, kind="ordering " + " > ".join(order))
    return v


# ---------------------------------------------------------------------------------- rows
def row(name: str, verdict: Verdict | None, *, ours: str | None = None, paper: str | None = None,
        expected: str | None = None, seeds: int | None = None) -> dict:
    """A headline row: the display cells, the short ``check`` cell, and the test's fields."""
    out = {"name": name, "ours": ours, "paper": paper, "expected": expected}
    if verdict is None:
        out.update(seeds=seeds, check="", claim=None, verdict="")
        return out
    out.update(seeds=seeds if seeds is not None else verdict.n, check=verdict.check,
               stat=verdict.cell(), **verdict.as_dict())
    return out


def count(rows: Sequence[dict]) -> dict:
    """{'ok', 'MISS', 'inconclusive', 'paper scale', 'no check'} counts of headline rows."""
    out = {OK: 0, MISS: 0, INCONCLUSIVE: 0, PAPER_SCALE: 0, "no check": 0}
    for r in rows:
        c = str(r.get("check") or "")
        key = (OK if c == OK else MISS if c.startswith(MISS) else INCONCLUSIVE
               if c.startswith(INCONCLUSIVE) else PAPER_SCALE if c.startswith(PAPER_SCALE)
               else "no check")
        out[key] += 1
    return out
