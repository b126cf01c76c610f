"""Lottery headline rows: per-seed values read from the grouped runs, tested by lottery.checks,
with the notebooks' printed values as the published column."""
from __future__ import annotations

import numpy as np

from genlab import claims
from genlab.experiments import tables
from genlab.experiments.lottery import checks
from genlab.experiments.lottery.config import (
    ABLATION_CITE,
    FIGURE_ABLATION,
    PUBLISHED_ABLATION,
    PUBLISHED_DENSE,
    PUBLISHED_RANDOM,
    PUBLISHED_TICKET,
    SEARCH_CITE,
)

NEAREST = 0.011  # a schedule level stands for a published sparsity within 1.1 points (linspace step)
NOTEBOOK_STEPS, ABLATION_STEPS = 1501, 6000  # the notebook's steps per round / per ablation run


def per_seed(runs: list[dict]) -> dict[int, float]:
    """{trial: last-step test accuracy in %} of the done runs (diverged ones left out)."""
    return {r["seed"]: 100.0 * r["summary"]["test/acc"] for r in runs
            if tables.is_done(r) and r["summary"].get("test/acc") is not None}


def ours(values: dict) -> str:
    stat = tables.mean_std(values.values())
    return tables.fmt(stat[0], stat[1], scale=1.0)


def printed(values, cite: str) -> str:
    return " / ".join(f"{v:g}" for v in values) + f" ({cite})"


def _short(runs: list[dict], published_steps: int) -> str | None:
    steps = runs[0]["config"]["train"]["steps"] if runs else published_steps
    return f"{steps} of the notebook's {published_steps} steps" if steps < published_steps else None


def _levels(groups: dict) -> list[tuple[int, float]]:
    found = {k[2]: runs[0]["config"]["tags"]["sparsity"] for k, runs in groups.items() if k[0] == "mnist1d"}
    return sorted(found.items())


def _nearest(groups: dict, target: float) -> int | None:
    found = [(abs(s - target), level) for level, s in _levels(groups)]
    best = min(found, default=(1.0, None))
    return best[1] if best[0] <= NEAREST else None


def search_headline(groups: dict) -> list[dict]:
    dense_runs = groups.get(("mnist1d", "dense", 0), [])
    dense = per_seed(dense_runs)
    verdict = checks.dense_matches(dense, float(np.mean(PUBLISHED_DENSE)), _short(dense_runs, NOTEBOOK_STEPS))
    rows = [claims.row("mnist1d dense test acc (%)", verdict, ours=ours(dense),
                       paper=printed(PUBLISHED_DENSE, SEARCH_CITE + "; round 1 of the magnitude, then "
                                                      "of the random runs"))]
    for target in sorted(set(PUBLISHED_TICKET) | set(PUBLISHED_RANDOM)):
        level = _nearest(groups, target)
        if level is None:
            continue
        pct = f"{100 * target:.0f}%"
        ticket = per_seed(groups.get(("mnist1d", "ticket", level), []))
        random = per_seed(groups.get(("mnist1d", "random", level), []))
        if target < 0.99:
            name, verdict = f"ticket at {pct} (vs dense, random)", checks.ticket_wins(ticket, dense, random, pct)
        else:
            name, verdict = f"ticket at {pct} (below dense)", checks.ticket_below_dense(ticket, dense, pct)
        rows.append(claims.row(name, verdict, ours=ours(ticket),
                               paper=printed(PUBLISHED_TICKET[target], SEARCH_CITE)))
        rows.append(claims.row(f"random ticket at {pct} (below ticket)",
                               checks.random_below_ticket(ticket, random, pct), ours=ours(random),
                               paper=printed(PUBLISHED_RANDOM[target], SEARCH_CITE)))
    return rows


def ablation_values(groups: dict) -> dict[str, dict[int, float]]:
    """{ablation line: {trial: test acc %}}."""
    out: dict[str, dict[int, float]] = {}
    for key, runs in groups.items():
        if key[0] == "ablation":
            out.setdefault(key[1], {}).update(per_seed(runs))
    return out


def _ablation_paper(variant: str, line: str) -> str:
    return printed(PUBLISHED_ABLATION[variant][line], f"{ABLATION_CITE}, {line}")


def ablation_headline(groups: dict) -> list[dict]:
    acc = ablation_values(groups)
    def get(line):
        return acc.get(line, {})
    runs = [r for k, v in groups.items() if k[0] == "ablation" for r in v]
    short = _short(runs, ABLATION_STEPS)
    def diff(a, b):
        return {t: get(a)[t] - get(b)[t] for t in set(get(a)) & set(get(b))}
    return [
        claims.row("ablation: ticket beats dense and random",
                   checks.ablation_ticket_wins(get("ticket"), get("dense"), get("random"), short),
                   ours=ours(get("ticket")), paper=_ablation_paper("none", "ticket"),
                   expected=f"{FIGURE_ABLATION['ticket']} (2020 ablation figure, read by eye)"),
        claims.row("ablation: random below dense",
                   checks.random_below_dense(get("random"), get("dense"), short),
                   ours=ours(get("random")), paper=_ablation_paper("none", "random"),
                   expected=f"{FIGURE_ABLATION['random']} (2020 ablation figure, read by eye)"),
        claims.row("ablation: re-initialized ticket beats dense and random",
                   checks.reinit_wins(get("reinit"), get("dense"), get("random"), short),
                   ours=ours(get("reinit")),
                   paper="– (plotted in the 2024 notebook, not printed)",
                   expected=f"{FIGURE_ABLATION['reinit']} (2020 ablation figure, read by eye)"),
        claims.row("ablation: shuffling hurts the ticket more than dense (points)",
                   checks.shuffle_hurts_ticket_more(get("ticket"), get("dense"), get("shuffled"),
                                                    get("dense_shuffled"), short),
                   ours=f"ticket − dense {ours(diff('ticket', 'dense'))} vs shuffled "
                        f"{ours(diff('shuffled', 'dense_shuffled'))}",
                   paper="+9.6 / +8.0 from the printed " + ABLATION_CITE + " (ticket − dense "
                         "71.5 − 63.1, 69.7 − 64.0; shuffled 63.7 − 64.9, 61.9 − 64.2)"),
        claims.row("ablation: flipped ticket beats dense on flipped inputs",
                   checks.flip_keeps_structure(get("flipped"), get("dense_flipped"), short),
                   ours=f"{ours(get('flipped'))} vs dense {ours(get('dense_flipped'))}",
                   paper=_ablation_paper("flip", "ticket") + "; dense 65 / 64.2"),
    ]


def adjacency_headline(stats: dict, dense: dict[int, float]) -> list[dict]:
    """stats: {n: {"ticket": {trial: %}, "null": {trial: %}}} (see analysis.adjacency_stats)."""
    rows = []
    for n, s in stats.items():
        rows.append(claims.row(
            f"P({n} adjacent inputs kept) %: ticket vs degree-preserving null",
            checks.adjacency_above_null(s["ticket"], s["null"], dense, n),
            ours=f"{ours(s['ticket'])} vs {ours(s['null'])}",
            paper="– (not reported as a number; the notebook compares with a random ticket)",
            expected="ticket > null (magnitude pruning of a spatially structured input)"))
    return rows


def _imp_levels(groups: dict) -> dict[int, float]:
    return {k[2]: runs[0]["config"]["tags"]["sparsity"] for k, runs in groups.items() if k[0] == "imp"}


def imp_headline(groups: dict) -> list[dict]:
    """Per rewind line: the ticket matches dense down to some sparsity; at the sparsest IMP
    level, the ticket beats its random controls."""
    found = _imp_levels(groups)
    if len(found) < 2:
        return []
    level = max(found)
    lines = sorted({k[1] for k in groups if k[0] == "imp" and k[2] == level and not k[1].startswith("random")})
    def get(line, at=level):
        return per_seed(groups.get(("imp", line, at), []))
    rows = [imp_matching_row(groups, line, found) for line in lines]
    return rows + [claims.row(f"imp at {100 * found[level]:.0f}%: {line} ticket beats random controls",
                              checks.imp_ticket_beats_controls(get(line), get("random_reinit"),
                                                               get("random_prune"), line),
                              ours=f"{ours(get(line))} vs re-init {ours(get('random_reinit'))}, "
                                   f"random pruning {ours(get('random_prune'))}",
                              paper="– (Frankle & Carbin 2019 report this on MNIST / CIFAR-10, not MNIST-1D)",
                              expected="ticket > both controls (Frankle & Carbin 2019 on MNIST / CIFAR-10)")
                   for line in lines]


def imp_matching_row(groups: dict, line: str, found: dict[int, float]) -> dict:
    """The ticket of `line` >= dense (within checks.MATCH_TOLERANCE) down to the sparsest level
    before a clear drop (checks.imp_ticket_matches_dense says how that level is chosen)."""
    dense = per_seed(groups.get(("imp", "dense", 0), []))
    tickets = {lv: per_seed(groups.get(("imp", line, lv), [])) for lv in sorted(found) if lv > 0}
    level, verdict = checks.imp_ticket_matches_dense(tickets, dense, found, line)
    shown = "–" if level is None else (f"down to {100 * found[level]:.0f}%: {ours(tickets[level])} "
                                       f"vs dense {ours(dense)}")
    return claims.row(f"imp: {line} ticket ≥ dense down to some sparsity", verdict, ours=shown,
                      paper="– (Frankle & Carbin 2019 report this on MNIST / CIFAR-10, not MNIST-1D)",
                      expected="matching down to 80–90% sparsity (Frankle & Carbin 2019: winning "
                               "tickets at 10–20% of the weights on MNIST / CIFAR-10)")
