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
from genlab.claims.combine import all_of, learned, ordering, unmet
from genlab.claims.compare import exact, greater, less, matches, slope, within
from genlab.claims.intervals import Values, mean_interval
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
                                   count,
                                   row,
)

__all__ = ["BOOTSTRAP_SAMPLES", "BOOTSTRAP_SEED", "INCONCLUSIVE", "LEVEL", "MAX_SEEDS_ESTIMATE",
           "MISS", "OK", "PAPER_SCALE", "Values", "Verdict", "all_of", "count", "exact", "greater",
           "learned", "less", "matches", "mean_interval", "ordering", "row", "slope", "unmet",
           "within"]
