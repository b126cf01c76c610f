"""The verdict of a claim (ok / MISS / inconclusive / paper scale) and the headline rows built
from it."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

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
