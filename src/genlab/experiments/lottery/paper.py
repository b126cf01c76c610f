"""What the lottery notebooks did, against what genlab ran: the protocol-vs-paper table (read
from the stored run configs) and the captions naming the figure each plot reproduces."""
from __future__ import annotations

from genlab.data import corrupt
from genlab.report import conditions

# (setting, the notebook's value, "config:<key>" or genlab's literal), per group of runs.
SEARCH = (("search: sparsity rounds", 100, "levels"),
          ("search: steps per round", 1501, "config:train.steps"),
          ("search: batch size", 100, "config:train.batch_size"),
          ("optimizer", "adam", "config:train.optimizer"),
          ("learning rate", 0.02, "config:lr"),
          ("hidden width", 500, "config:model_kwargs.width"),
          ("trials", 2, "trials"),
          ("pruning: unit ranked (layer = its weight and bias as one vector, int(s n) dropped)",
           "layer", "config:tags.rank"),
          ("pruning: magnitudes read after N updates (train_model's last kept checkpoint, "
           "step 1000 of 0-1501)", 1001, "config:tags.score_step"))
ABLATION = (("ablation: steps", 6000, "config:train.steps"),
            ("ablation: batch size", 500, "config:train.batch_size"),
            ("ablation: ticket sparsity", 0.919, "config:tags.sparsity"),
            ("ablation: data", "fresh MNIST-1D", "fresh MNIST-1D"),
            ("ablation: chunks order (10-sample blocks)", "3, 4, 1, 2", "chunks"),
            ("ablation: nets on moved inputs", "dense, ticket, random on shuffled / flipped / chunks",
             "ticket on all three, dense on shuffled and flipped"),
            ("adjacency compared with", "a random ticket (uniform within each layer)",
             "the ticket's own mask shuffled within units, per-position counts kept"))
CAPTIONS = {
    "lottery_accuracy_vs_sparsity": "Last-step test accuracy of the magnitude ticket and the random "
        "ticket against sparsity, the dense net dashed: the MNIST-1D lottery notebook's accuracy-vs-"
        "sparsity plot (Greydanus & Kobak 2024, lottery panels); for IMP, the test accuracy against "
        "weights remaining of Frankle & Carbin (2019).",
    "lottery_ablations": "Final test accuracy of the ticket at the ablation sparsity and of its "
        "controls retrained on a fresh MNIST-1D, and of the ticket and the dense net on shuffled, "
        "flipped and chunked inputs: the end points of the notebook's lottery_asymptotes curves "
        "(MNIST-1D paper, lottery panels c-f).",
    "lottery_first_layer_mask": "First-layer masks (hidden unit x input position) of trial 0's "
        "ticket and random ticket: the notebook's lottery_mask_vis figure, whose kept runs of "
        "adjacent inputs are the adjacency of panel g.",
}


def _literal(runs: list[dict], what: str):
    if what == "levels":
        return len({r["config"]["tags"]["level"] for r in runs})
    return len({r["seed"] for r in runs})  # trials


def _chunk_order(runs: list[dict]) -> str:
    """The block order (1-based) of the stored chunks runs' inputs, e.g. "3, 4, 1, 2"."""
    seeds = {r["config"]["data"]["seed"] for r in runs if r["config"]["data"].get("positions") == "chunks"}
    orders = {", ".join(str(int(b) // 10 + 1) for b in corrupt.chunk_permutation(40, 10, s)[::10])
              for s in seeds}
    return " / ".join(sorted(orders)) or "not run"


def _rows(runs: list[dict], published) -> list[list]:
    resolved = [(s, p, _literal(runs, v) if v in ("levels", "trials") else v) for s, p, v in published]
    return conditions.protocol(runs, resolved)["rows"] if runs else []


def _imp_rows(runs: list[dict]) -> list[list]:
    pruned = sorted({r["config"]["tags"]["sparsity"] for r in runs if r["config"]["tags"]["level"] == 1})
    if not pruned:
        return []
    ours = f"{pruned[0]:.0%} of the remaining weights per level, ranked globally, output layer included"
    return conditions.protocol(runs, [
        ("imp: pruning per level", "20% per layer, output layer 10% (Frankle & Carbin 2019)", ours),
        ("imp: steps per level", "to convergence (MNIST: 50,000 iterations)", "config:train.steps")])["rows"]


def protocol_table(runs: list[dict]) -> dict:
    """Protocol vs paper for the mnist1d search, IMP and the ablations actually stored."""
    imp = [r for r in runs if r["config"]["tags"]["protocol"] == "imp"]
    search = [r for r in runs if r["config"]["tags"]["protocol"] == "mnist1d"]
    ablation = [r for r in runs if r["config"]["tags"]["protocol"] == "ablation"]
    tickets = [r for r in ablation if r["config"]["tags"]["line"] == "ticket"]
    moved = [(s, p, _chunk_order(ablation) if v == "chunks" else v) for s, p, v in ABLATION[2:]]
    rows = (_rows(search, SEARCH) + _imp_rows(imp) + _rows(ablation, ABLATION[:2])
            + _rows(tickets, moved))
    return {"columns": ["setting", "paper", "genlab (stored configs)", "deviation"], "rows": rows}
