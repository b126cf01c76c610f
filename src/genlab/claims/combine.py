"""Claims made of other claims: conjunctions, orderings, the 'model learned' guard, and a claim
whose precondition failed."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from genlab.claims.compare import greater
from genlab.claims.intervals import Values
from genlab.claims.verdict import INCONCLUSIVE, MISS, OK, PAPER_SCALE, Verdict


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
