"""Lottery tables and headline, read from the store alone (runs, summaries, stored masks)."""
from __future__ import annotations

import numpy as np

from genlab.experiments import tables
from genlab.experiments.lottery import ablations, headline, paper
from genlab.experiments.lottery.config import ABLATIONS, NAME, PUBLISHED_ABLATION
from genlab.train import prune

NULL_DRAWS = 8  # degree-preserving shuffles of each ticket mask averaged into its null adjacency
VARIANT = {"dense": ("none", "dense"), "ticket": ("none", "ticket"), "random": ("none", "random"),
           "shuffled": ("shuffle", "ticket"), "flipped": ("flip", "ticket"),
           "chunks": ("chunks", "ticket"), "dense_shuffled": ("shuffle", "dense"),
           "dense_flipped": ("flip", "dense")}  # ablation line -> the notebook's (data, model)


def grouped(store) -> dict[tuple, list[dict]]:
    """{(protocol, line, level): runs} of the latest execution."""
    runs = tables.latest_runs(store, NAME)
    return tables.group_runs(runs, lambda r: (r["config"]["tags"]["protocol"],
                                              r["config"]["tags"]["line"], r["config"]["tags"]["level"]))


def accuracy(runs: list[dict]) -> tuple[float, float, int]:
    return tables.summary_stat(runs, "test/acc")


def levels(groups: dict, protocol: str) -> list[tuple[int, float]]:
    """[(level, sparsity)] of a protocol, in order."""
    out = {k[2]: runs[0]["config"]["tags"]["sparsity"] for k, runs in groups.items() if k[0] == protocol}
    return sorted(out.items())


def lines_of(groups: dict, protocol: str) -> tuple[str, ...]:
    """The pruned lines of a protocol: tickets first (rewind steps in order), then the controls."""
    def order(line):
        return (line.startswith("random"), int(line[1:]) if line[1:].isdigit() else -1, line)
    return tuple(sorted({k[1] for k in groups if k[0] == protocol and k[1] != "dense"}, key=order))


def search_table(groups: dict, protocol: str, lines: tuple[str, ...]) -> dict:
    rows = []
    for level, sparsity in levels(groups, protocol):
        row = [level, f"{100 * sparsity:.1f}"]
        row += [tables.fmt(*accuracy(groups.get((protocol, line, level), []))[:2]) for line in lines]
        rows.append(row)
    return tables.table(["level", "sparsity %"] + list(lines), rows)


def ablation_table(groups: dict) -> dict:
    rows = []
    for line in ABLATIONS:
        runs = [r for k, v in groups.items() if k[0] == "ablation" and k[1] == line for r in v]
        variant, model = VARIANT.get(line, (None, None))
        pub = PUBLISHED_ABLATION.get(variant, {}).get(model)
        rows.append([line, tables.fmt(*accuracy(runs)[:2]), " / ".join(map(str, pub)) if pub else "–"])
    return tables.table(["variant", "test acc % (ours)", "notebook 2024, printed (trials 0 / 1)"], rows)


def ablation_level(groups: dict) -> int | None:
    return next((k[2] for k in groups if k[0] == "ablation"), None)


def adjacency_stats(store, groups: dict) -> dict[int, dict[str, dict[int, float]]]:
    """{n: {"ticket" | "null" | "random": {trial: P(n adjacent kept) in %}}} for the first-layer
    masks of the search at the ablation level. The null: the ticket's own mask with kept
    positions permuted within units, per-unit and per-position counts kept (NULL_DRAWS draws)."""
    level = ablation_level(groups)
    out = {n: {"ticket": {}, "null": {}, "random": {}} for n in ablations.ADJACENT}
    for line in ("ticket", "random"):
        for run in groups.get(("mnist1d", line, level), []):
            trial = run["seed"]
            mask = np.asarray(store.run_arrays(run["run_id"], "mask")["stem/weight"], bool)
            for n, p in ablations.adjacency(mask).items():
                out[n][line][trial] = 100.0 * p
            if line == "ticket":
                nulls = [ablations.adjacency(prune.degree_preserving_shuffle(mask, 1000 * trial + k))
                         for k in range(NULL_DRAWS)]
                for n in ablations.ADJACENT:
                    out[n]["null"][trial] = 100.0 * float(np.mean([d[n] for d in nulls]))
    return out


def adjacency_table(stats: dict) -> dict:
    rows = []
    for n, s in stats.items():
        mean = {k: tables.mean_std(v.values()) for k, v in s.items()}
        ratio = mean["ticket"][0] / mean["null"][0] if mean["null"][0] > 0 else float("nan")
        rows.append([n] + [tables.fmt(*mean[k][:2], scale=1.0, digits=2) for k in ("ticket", "null", "random")]
                    + [f"{ratio:.2f}" if np.isfinite(ratio) else "–"])
    return tables.table(["n adjacent", "ticket %", "degree-preserving null %", "random ticket %",
                         "ticket / null"], rows)


def analyze(store) -> dict:
    groups = grouped(store)
    result = {"tables": {}, "headline": [], "notes": [], "captions": paper.CAPTIONS,
              "protocol": paper.protocol_table(tables.latest_runs(store, NAME))}
    if any(k[0] == "mnist1d" for k in groups):
        result["tables"]["mnist1d search: last-step test acc % vs sparsity (mean ± std over trials)"] = \
            search_table(groups, "mnist1d", ("dense", "ticket", "random"))
        result["headline"] += headline.search_headline(groups)
    if any(k[0] == "imp" for k in groups):
        result["tables"]["imp (global, weights only): test acc % vs weight sparsity (mean ± std)"] = \
            search_table(groups, "imp", ("dense",) + lines_of(groups, "imp"))
        result["headline"] += headline.imp_headline(groups)
    if any(k[0] == "ablation" for k in groups):
        result["tables"]["ablations on fresh MNIST-1D (test acc %, mean ± std over trials)"] = \
            ablation_table(groups)
        result["headline"] += headline.ablation_headline(groups)
        stats = adjacency_stats(store, groups)
        result["tables"]["adjacency: P(n adjacent first-layer inputs all kept), % (mean ± std)"] = \
            adjacency_table(stats)
        dense = headline.per_seed(groups.get(("mnist1d", "dense", 0), []))
        result["headline"] += headline.adjacency_headline(stats, dense)
    result["notes"] = notes(groups)
    return result


def notes(groups: dict) -> list[str]:
    """The protocol actually run (from the stored configs) and the size of the effect."""
    out = []
    what = {"mnist1d": "{n} rounds (notebook: 100 rounds of 1501 steps, batch 100)",
            "imp": "{m} levels of global pruning of {f:.0%} of the surviving weights (open_lth: 20%)",
            "ablation": "ablations on freshly generated MNIST-1D (notebook: 6000 steps, batch 500)"}
    for protocol, text in what.items():
        runs = [r for k, v in groups.items() if k[0] == protocol for r in v]
        if not runs:
            continue
        cfg, count = runs[0]["config"], len(levels(groups, protocol))
        first = levels(groups, protocol)[1:2] or [(0, 0.0)]
        out.append(f"{protocol}: {text.format(n=count, m=count - 1, f=first[0][1])}; here {cfg['train']['steps']} "
                   f"steps per run at batch {cfg['train']['batch_size']}, Adam lr {cfg['lr']}, "
                   f"width {cfg['model_kwargs']['width']}.")
    acc = headline.ablation_values(groups)
    mean = {line: np.mean(list(v.values())) if v else np.nan for line, v in acc.items()}
    pub = {k: np.mean(v) for k, v in PUBLISHED_ABLATION["none"].items()}
    if all(np.isfinite(mean.get(k, np.nan)) for k in ("ticket", "dense", "random")):
        out.append(f"ablation effect: ticket - dense = {mean['ticket'] - mean['dense']:+.1f} points, "
                   f"ticket - random = {mean['ticket'] - mean['random']:+.1f} (from the 2024 notebook's "
                   f"printed values: {pub['ticket'] - pub['dense']:+.1f} and "
                   f"{pub['ticket'] - pub['random']:+.1f}).")
    out.append("Paired tests: a trial's ticket, random ticket and dense net share their init and data "
               "order, so each comparison is a paired t over trials; with 2 trials (t at 1 degree of "
               "freedom) only large, consistent gaps resolve, and the rest are reported inconclusive.")
    return out
