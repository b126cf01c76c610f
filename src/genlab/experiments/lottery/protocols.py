"""The two ticket searches: the MNIST-1D notebook (layer-wise, weights+biases, rewind to init) and
IMP (Frankle & Carbin 2019; Frankle et al. 2020: global, weights only, rewind to init / step k)."""
from __future__ import annotations

from genlab.experiments.lottery.config import Config
from genlab.experiments.lottery.levels import (
    REINIT_OFFSET,
    lineage,
    load,
    make_job,
    run_level,
    template,
)
from genlab.sweep.local import initial_params
from genlab.train import prune

# ---- mnist1d: each round prunes every layer to the schedule's next sparsity ----


def ranking(cfg: Config) -> dict:
    """The tags that say how the search ranked its masks (recorded by every run they shape)."""
    return {"rank": cfg.rank, "score_step": "final" if cfg.score_step is None else cfg.score_step}


def mnist1d_jobs(cfg: Config, level: int) -> list:
    """Level 0: the dense network per trial; later levels: magnitude ticket and random ticket."""
    lines = ("dense",) if level == 0 else ("ticket", "random")
    tag = lineage("mnist1d", cfg.schedule[:level + 1])
    return [make_job(cfg, cfg.search_spec(), protocol="mnist1d", line=line, level=level, trial=t,
                     sparsity=cfg.schedule[level], lineage=tag, extra=ranking(cfg))
            for line in lines for t in range(cfg.seeds)]


def score_params(store, cfg: Config, job):
    """The params a run's magnitudes are read from: its snapshot at score_step, or its final ones."""
    return load(store, cfg, job, "final" if cfg.score_step is None else f"step_{cfg.score_step}")


def prune_round(cfg: Config, mask, scores, sparsity: float):
    """One round of the search: the notebook's per-layer ranking, or each leaf on its own."""
    if cfg.rank == "layer":
        return prune.prune_by_layer(mask, scores, sparsity)
    return prune.prune_layerwise(mask, scores, sparsity, "weights_and_biases")


def _mnist1d_parent(cfg: Config, job):
    level, line = job.tags["level"] - 1, job.tags["line"]
    want = "dense" if level == 0 else line
    return next(j for j in mnist1d_jobs(cfg, level) if j.seed == job.seed and j.tags["line"] == want)


def _mnist1d_masks(store, cfg: Config, jobs: list):
    masks = []
    for job in jobs:
        level = job.tags["level"]
        if level == 0:
            masks.append(prune.full_mask(template(cfg.width)))
            continue
        parent = _mnist1d_parent(cfg, job)
        if job.tags["line"] == "ticket":
            scores = prune.magnitude_scores(score_params(store, cfg, parent))
        else:
            scores = prune.random_scores(template(cfg.width), seed=1000 * level + job.seed)
        masks.append(prune_round(cfg, load(store, cfg, parent, "mask"), scores, cfg.schedule[level]))
    return masks, None


def run_mnist1d(cfg: Config, store, advance) -> list[str]:
    ids, snaps = [], () if cfg.score_step is None else (cfg.score_step,)
    for level in range(len(cfg.schedule)):
        jobs = mnist1d_jobs(cfg, level)
        ids += run_level(store, jobs, lambda todo: _mnist1d_masks(store, cfg, todo),
                         snapshot_steps=snaps, on_chunk=lambda i: advance())
    return ids


# ---- imp: global magnitude pruning of imp_fraction of the surviving weights per level ----


def imp_lines(cfg: Config) -> tuple[str, ...]:
    return ("init",) + tuple(f"k{k}" for k in cfg.rewind_steps()) + ("random_prune", "random_reinit")


def imp_jobs(cfg: Config, level: int) -> list:
    lines = ("dense",) if level == 0 else imp_lines(cfg)
    tag = lineage("imp", cfg.imp_fraction, cfg.rewind_steps())
    sparsity = 1.0 - (1.0 - cfg.imp_fraction) ** level
    return [make_job(cfg, cfg.imp_spec(), protocol="imp", line=line, level=level, trial=t,
                     sparsity=sparsity, lineage=tag,
                     init_seed=REINIT_OFFSET + t if line == "random_reinit" else None)
            for line in lines for t in range(cfg.seeds)]


def _imp_ticket(store, cfg: Config, level: int, line: str, trial: int):
    """The ticket of `line` at `level`: global magnitude pruning of its own previous level."""
    if level == 1:
        parent = next(j for j in imp_jobs(cfg, 0) if j.seed == trial)
    else:
        parent = next(j for j in imp_jobs(cfg, level - 1) if j.seed == trial and j.tags["line"] == line)
    return prune.prune_global(load(store, cfg, parent, "mask"),
                              prune.magnitude_scores(load(store, cfg, parent, "final")),
                              cfg.imp_fraction, "weights")


def _imp_masks(store, cfg: Config, jobs: list):
    """Ticket lines prune their own previous level; the controls reuse this level's init ticket:
    its layer-wise shuffle (same per-layer sparsity) and a fresh initialization."""
    dense = {j.seed: j for j in imp_jobs(cfg, 0)}
    masks, starts = [], []
    for job in jobs:
        level, line, trial = job.tags["level"], job.tags["line"], job.seed
        ticket_line = "init" if line.startswith("random") else line
        mask = _imp_ticket(store, cfg, level, ticket_line, trial)
        if line == "random_prune":
            mask = prune.shuffle_layerwise(mask, seed=1000 * level + trial, scope="weights")
        if line == "random_reinit":
            start = prune.unstack(initial_params([job]), 1)[0]
        else:
            start = load(store, cfg, dense[trial], "step_0" if ticket_line == "init"
                         else f"step_{line[1:]}")
        masks.append(mask)
        starts.append(prune.rewind(start, mask))
    return masks, starts


def run_imp(cfg: Config, store, advance) -> list[str]:
    dense = imp_jobs(cfg, 0)
    ids = run_level(store, dense, lambda todo: ([prune.full_mask(template(cfg.width))] * len(todo), None),
                    snapshot_steps=(0,) + cfg.rewind_steps(), on_chunk=lambda i: advance())
    for level in range(1, cfg.imp_levels + 1):
        jobs = imp_jobs(cfg, level)
        ids += run_level(store, jobs, lambda todo: _imp_masks(store, cfg, todo),
                         snapshot_steps=(0,), on_chunk=lambda i: advance())
    return ids
