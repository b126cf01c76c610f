"""The lottery study's claims as tests on per-seed values (MNIST-1D paper's lottery panels c–g;
Frankle & Carbin 2019). Each takes {trial: test accuracy in %} (trials are seeds: the runs of one
trial share their init and data order, so comparisons are paired) and returns a claims.Verdict.

A comparison between two nets that never trained can come out either way (at chance their
accuracies are those of their random inits), so every comparison is a conjunction with "and the
net learned": its mean test accuracy is above chance (10%, ten classes) by more than
LEARNED_MARGIN. The margin is a documented floor, not a fit: half of the worst accuracy the
notebooks print for a trained model below 99% sparsity (41.2%, the random ticket at 97%). The
"learned" part comes last in each conjunction, so a row shows the comparison's effect and interval
unless the net did not learn."""
from __future__ import annotations

from collections.abc import Mapping

from genlab import claims

CHANCE = 10.0  # % test accuracy of a guess among 10 classes
LEARNED_MARGIN = 10.0  # points above chance: a net below 20% has not learned (see module doc)
DENSE_TOLERANCE = 5.0  # points around the published dense mean: the notebook's four printed dense
# runs (two per trial) span 60.6–66.4, i.e. ±2.9 around their mean; 5 points covers that spread
MATCH_TOLERANCE = 2.9  # points a ticket may fall below the dense net of its trial and still
# "match" it: half the spread of the notebook's four printed dense runs (60.6–66.4), i.e. as far
# apart as two dense runs of the same protocol come in the notebook
PerSeed = Mapping[int, float]


def learned(acc: PerSeed, who: str, short_of_paper: str | None = None) -> claims.Verdict:
    """`who` learned: mean test accuracy above chance by more than LEARNED_MARGIN."""
    return claims.greater(acc, CHANCE, margin=LEARNED_MARGIN, units="points", digits=1,
                          claim=f"the {who} learned (test acc > {CHANCE + LEARNED_MARGIN:g}%)",
                          short_of_paper=short_of_paper)


def beats(a: PerSeed, b: PerSeed, what: str, short_of_paper: str | None = None,
          margin: float = 0.0) -> claims.Verdict:
    return claims.greater(a, b, claim=what, units="points", digits=1, short_of_paper=short_of_paper,
                          margin=margin)


def dense_matches(dense: PerSeed, published_mean: float, short_of_paper: str | None) -> claims.Verdict:
    """The dense net's last-step test accuracy matches the notebook's within DENSE_TOLERANCE."""
    return claims.matches(dense, published_mean, DENSE_TOLERANCE, units="%", digits=1,
                          short_of_paper=short_of_paper,
                          claim=f"dense last-step test acc within ±{DENSE_TOLERANCE:g} points of the "
                                f"notebook's {published_mean:.1f}%")


def ticket_wins(ticket: PerSeed, dense: PerSeed, random: PerSeed, sparsity: str) -> claims.Verdict:
    """Panel c: at this sparsity the ticket beats the dense net and the random ticket."""
    return claims.all_of([beats(ticket, dense, "ticket > dense, paired by trial"),
                          beats(ticket, random, "ticket > random ticket, paired by trial"),
                          learned(ticket, "ticket")],
                         claim=f"the {sparsity}-sparse ticket's last-step test acc beats the dense "
                               "net and the random ticket of the same trial (and it learned)")


def ticket_below_dense(ticket: PerSeed, dense: PerSeed, sparsity: str) -> claims.Verdict:
    """Panel c at 99%: the ticket's edge is gone, it falls below the dense net."""
    return claims.all_of([beats(dense, ticket, "dense > ticket, paired by trial"),
                          learned(dense, "dense net")],
                         claim=f"at {sparsity} the ticket's last-step test acc falls below the "
                               "dense net's (which learned)")


def random_below_ticket(ticket: PerSeed, random: PerSeed, sparsity: str) -> claims.Verdict:
    """Panel c: the random ticket (same per-layer sparsity) stays below the magnitude ticket."""
    return claims.all_of([beats(ticket, random, "ticket > random ticket, paired by trial"),
                          learned(ticket, "ticket")],
                         claim=f"at {sparsity} the random ticket's last-step test acc is below the "
                               "magnitude ticket's (which learned)")


def ablation_ticket_wins(ticket: PerSeed, dense: PerSeed, random: PerSeed,
                         short: str | None) -> claims.Verdict:
    """Panel c on fresh data: the ticket beats dense and random at convergence."""
    return claims.all_of([beats(ticket, dense, "ticket > dense, paired by trial", short),
                          beats(ticket, random, "ticket > random ticket, paired by trial", short),
                          learned(dense, "dense net")],
                         claim="retrained on a fresh MNIST-1D, the ticket's final test acc beats "
                               "the dense net and the random ticket (and dense learned)")


def random_below_dense(random: PerSeed, dense: PerSeed, short: str | None) -> claims.Verdict:
    """Panel c on fresh data: the random ticket ends below the dense net."""
    return claims.all_of([beats(dense, random, "dense > random ticket, paired by trial", short),
                          learned(dense, "dense net")],
                         claim="retrained on a fresh MNIST-1D, the random ticket's final test acc "
                               "is below the dense net's (which learned)")


def reinit_wins(reinit: PerSeed, dense: PerSeed, random: PerSeed, short: str | None) -> claims.Verdict:
    """Panel f: the ticket's mask with a fresh init still beats both baselines (contrary to
    Frankle & Carbin, where a re-initialized ticket loses its edge)."""
    return claims.all_of([beats(reinit, dense, "re-initialized ticket > dense, paired", short),
                          beats(reinit, random, "re-initialized ticket > random, paired", short),
                          learned(dense, "dense net")],
                         claim="the ticket's mask with other random weights beats the dense net "
                               "and the random ticket (and dense learned)")


def shuffle_hurts_ticket_more(ticket: PerSeed, dense: PerSeed, ticket_shuffled: PerSeed,
                              dense_shuffled: PerSeed, short: str | None) -> claims.Verdict:
    """Panel e: shuffling the input positions costs the ticket more than the dense net, i.e.
    (ticket − dense) − (ticket_shuffled − dense_shuffled) > 0 per trial."""
    trials = set(ticket) & set(dense) & set(ticket_shuffled) & set(dense_shuffled)
    diff = {t: (ticket[t] - dense[t]) - (ticket_shuffled[t] - dense_shuffled[t]) for t in trials}
    return claims.all_of([claims.greater(diff, None, units="points", digits=1, short_of_paper=short,
                                         claim="(ticket − dense) − (ticket − dense on shuffled "
                                               "inputs) > 0, per trial"),
                          learned(dense, "dense net")],
                         claim="shuffling input positions hurts the ticket more than the dense net "
                               "(a difference of paired differences, and dense learned)")


def flip_keeps_structure(ticket_flipped: PerSeed, dense_flipped: PerSeed,
                         short: str | None) -> claims.Verdict:
    """Panel d: on left-right flipped inputs (spatial structure kept, positions moved) the
    ticket still beats the dense net trained on the same flipped inputs."""
    return claims.all_of([beats(ticket_flipped, dense_flipped, "ticket > dense, both on flipped "
                                                                "inputs, paired", short),
                          learned(dense_flipped, "dense net on flipped inputs")],
                         claim="on flipped inputs the ticket still beats the dense net on the "
                               "same inputs (and dense learned)")


def adjacency_above_null(ticket: PerSeed, null: PerSeed, dense: PerSeed, n: int) -> claims.Verdict:
    """Panel g: the ticket's first layer keeps n adjacent inputs more often than a
    degree-preserving shuffle of its own mask (same count per unit and per position)."""
    return claims.all_of([claims.greater(ticket, null, units="points", digits=2,
                                         claim=f"P({n} adjacent kept): ticket > its degree-"
                                               "preserving shuffle, paired by trial"),
                          learned(dense, "dense net")],
                         claim=f"the ticket keeps {n} adjacent inputs more often than its own mask "
                               "with positions permuted within units (per-unit and per-position "
                               "counts kept), and the dense net learned")


def imp_ticket_beats_controls(ticket: PerSeed, reinit: PerSeed, pruned: PerSeed,
                              line: str) -> claims.Verdict:
    """Frankle & Carbin (2019) / open_lth at the sparsest IMP level: the rewound ticket beats
    the same mask re-initialized and a random mask of the same per-layer sparsity."""
    return claims.all_of([beats(ticket, reinit, f"{line} ticket > random re-init, paired"),
                          beats(ticket, pruned, f"{line} ticket > random pruning, paired"),
                          learned(ticket, f"{line} ticket")],
                         claim=f"at the sparsest IMP level the ticket rewound to {line} beats its "
                               "random re-initialization and random pruning (and it learned)")


def imp_ticket_matches_dense(tickets: Mapping[int, PerSeed], dense: PerSeed, sparsity: Mapping[int, float],
                             line: str) -> tuple[int | None, claims.Verdict]:
    """Frankle & Carbin (2019): the IMP ticket matches the dense net down to some sparsity.
    tickets: {level: {trial: acc}}. Per level, least sparse first, the non-inferiority check
    ticket − dense > −MATCH_TOLERANCE (paired by trial); the level tested is the sparsest one
    reached before the first level whose interval lies wholly below −MATCH_TOLERANCE (a clear
    drop), and the claim is every level up to it (and dense learned). A ticket already clearly
    below dense at the first level is a MISS. Returns (the level tested, the verdict)."""
    parts: list[claims.Verdict] = []
    for level in sorted(tickets):
        part = beats(tickets[level], dense, f"{line} ticket at {100 * sparsity[level]:.0f}% ≥ dense "
                     f"− {MATCH_TOLERANCE:g} points, paired", margin=-MATCH_TOLERANCE)
        if parts and part.verdict == claims.MISS:
            break
        parts.append(part)
        if part.verdict == claims.MISS:
            break
    if not parts:
        return None, claims.unmet(f"the {line} ticket matches the dense net", "no IMP level")
    level = sorted(tickets)[len(parts) - 1]
    return level, claims.all_of(
        parts + [learned(dense, "dense net")], lead=len(parts) - 1,
        claim=f"the {line} ticket's last-step test acc is within {MATCH_TOLERANCE:g} points of the "
              f"dense net's or above (paired) at every IMP level down to {100 * sparsity[level]:.0f}%, "
              "the sparsest before a clear drop below it (and dense learned)")
