"""lottery: masks and rewinding read back exactly from the store, controls' sparsity, resume."""
import dataclasses

import jax
import numpy as np
import pytest

from genlab.experiments import lottery
from genlab.experiments.lottery import ablations, analysis, checks, levels, protocols
from genlab.store import Store
from genlab.sweep.local import initial_params
from genlab.train import prune

CFG = dataclasses.replace(lottery.PRESETS["smoke"], width=32, steps=40, score_step=27, eval_every=20, imp_steps=40,
                          imp_eval_every=20, ablation_steps=40, ablation_eval_every=20)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("lottery") / "genlab.sqlite")
    lottery.EXPERIMENT.execute(CFG, store, progress=False)
    return store


def _load(store, job, name):
    return levels.load(store, CFG, job, name)


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


def test_every_run_is_stored_with_its_mask(run):
    ids = lottery.run(CFG, run, progress=False)
    assert len(ids) == len(set(ids)) and run.finished_ids(ids) == set(ids)
    assert len(ids) == 2 * (1 + 2 * 2) + 2 * (1 + 2 * 4) + 2 * 9  # mnist1d, imp, ablations


def test_pruned_weights_are_exactly_zero_after_training(run):
    for job in protocols.mnist1d_jobs(CFG, 2) + protocols.imp_jobs(CFG, 2):
        for p, m in zip(_leaves(_load(run, job, "final")), _leaves(_load(run, job, "mask"))):
            assert np.all(p[~m] == 0.0) and m.dtype == bool


def test_ticket_is_layerwise_magnitude_of_the_previous_round(run):
    """As the notebook: each layer's weight and bias ranked together, magnitudes read from the
    parent's params at score_step (its train_model's kept checkpoint), not its final ones."""
    by = {(j.tags["line"], j.seed): j for j in protocols.mnist1d_jobs(CFG, 2)}
    parents = {(j.tags["line"], j.seed): j for j in protocols.mnist1d_jobs(CFG, 1)}
    for trial in range(CFG.seeds):
        parent = parents[("ticket", trial)]
        scored = _load(run, parent, f"step_{CFG.score_step}")
        assert not np.array_equal(_leaves(scored)[0], _leaves(_load(run, parent, "final"))[0])
        expected = prune.prune_by_layer(_load(run, parent, "mask"), prune.magnitude_scores(scored), 0.8)
        for a, b in zip(_leaves(_load(run, by[("ticket", trial)], "mask")), _leaves(expected)):
            np.testing.assert_array_equal(a, b)
            assert np.all(_leaves(_load(run, parent, "mask"))[0][_leaves(expected)[0]])


def _kept_per_layer(mask) -> dict[str, int]:
    """Entries kept per layer, its weight and bias together (what the notebook's ranking fixes)."""
    out: dict[str, int] = {}
    for path, m in jax.tree_util.tree_flatten_with_path(mask)[0]:
        out[prune.layer_of(path)] = out.get(prune.layer_of(path), 0) + int(np.sum(m))
    return out


def test_random_masks_match_the_tickets_per_layer_sparsity(run):
    for jobs in (protocols.mnist1d_jobs(CFG, 2), protocols.imp_jobs(CFG, 2)):
        by = {(j.tags["line"], j.seed): j for j in jobs}
        search = "ticket" in {k[0] for k in by}
        ticket_line, random_line = ("ticket", "random") if search else ("init", "random_prune")
        for trial in range(CFG.seeds):
            ticket = _load(run, by[(ticket_line, trial)], "mask")
            random = _load(run, by[(random_line, trial)], "mask")
            if search:  # per layer (weight and bias ranked together), as the notebook
                assert _kept_per_layer(random) == _kept_per_layer(ticket)
            else:       # imp: per leaf
                assert prune.layer_sparsity(random) == prune.layer_sparsity(ticket)
            assert not np.array_equal(random.stem.weight, ticket.stem.weight)


def test_rewinding_restores_stored_init_and_step_k_exactly(run):
    dense = {j.seed: j for j in protocols.imp_jobs(CFG, 0)}
    init = prune.unstack(initial_params(protocols.imp_jobs(CFG, 0)), CFG.seeds)
    (k,) = CFG.rewind_steps()
    for job in protocols.imp_jobs(CFG, 1):
        line, trial = job.tags["line"], job.seed
        if line == "random_reinit":
            continue
        source = "step_0" if line in ("init", "random_prune") else f"step_{k}"
        expected = prune.rewind(_load(run, dense[trial], source), _load(run, job, "mask"))
        for a, b in zip(_leaves(_load(run, job, "step_0")), _leaves(expected)):
            np.testing.assert_array_equal(a, b)  # what training started from, stored by the run
    for trial in range(CFG.seeds):  # the dense run's stored init is the seed's initialization
        for a, b in zip(_leaves(_load(run, dense[trial], "step_0")), _leaves(init[trial])):
            np.testing.assert_array_equal(a, b)
        step_k = _leaves(_load(run, dense[trial], f"step_{k}"))
        assert not np.array_equal(step_k[0], _leaves(init[trial])[0])


def test_rerun_resumes_without_training(run, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a finished level was trained again")
    monkeypatch.setattr(levels, "train_records", refuse)
    lottery.run(CFG, run, progress=False)


def test_analysis_and_figures_from_the_store(run, tmp_path):
    result = analysis.analyze(run)
    assert len(result["tables"]) == 4 and result["headline"]
    for row in result["headline"]:
        assert row["verdict"] in ("ok", "MISS", "inconclusive", "paper scale"), row
        assert row["claim"] and row["n"] == CFG.seeds and row["interval"] is not None
        # 40-step runs are far below the notebook's 1501 / 6000 steps: a failed dense or ablation
        # comparison says so instead of MISS; the "learned" parts and the search orderings do not
        if row["verdict"] == "paper scale":
            assert row["check"].startswith("paper scale: 40 of the notebook's")
    rows = {r[0]: r for r in result["protocol"]["rows"]}
    assert rows["search: steps per round"][2:] == ["40", "DEVIATES"]
    assert rows["learning rate"][2:] == ["0.02", "same"]
    assert [r[2:] for k, r in rows.items() if k.startswith("pruning: unit ranked")] == [["layer", "same"]]
    assert [r[2:] for k, r in rows.items() if k.startswith("pruning: magnitudes")] == [["27", "DEVIATES"]]
    assert rows["ablation: chunks order (10-sample blocks)"][2:] == ["3, 4, 1, 2", "same"]
    paths = lottery.plot(run, tmp_path)
    assert len(paths) == 3 and all(p.exists() for p in paths)
    assert {p.stem for p in paths} == set(result["captions"])


def test_chunks_input_is_the_notebooks_halves_swapped():
    """The notebook's chunks variant: blocks 3, 4, 1, 2 of 10 samples (its halves swapped)."""
    from genlab.data import corrupt
    perm = corrupt.chunk_permutation(40, 10, lottery.config.CHUNKS_SEED)
    np.testing.assert_array_equal(perm, np.r_[20:40, 0:20])
    assert CFG.ablation_data("chunks").seed == lottery.config.CHUNKS_SEED
    assert CFG.ablation_data("shuffle").seed == CFG.ablation_data_seed


def test_score_step_past_the_round_is_refused():
    with pytest.raises(Exception, match="score_step"):
        lottery.config.validate(dataclasses.replace(CFG, score_step=CFG.steps + 1))


def test_adjacency_counts_kept_windows():
    mask = np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool)
    stats = ablations.adjacency(mask)
    assert stats[2] == pytest.approx(3 / 6) and stats[3] == pytest.approx(1 / 4)
    assert stats[4] == pytest.approx(0.0)


@pytest.mark.parametrize("sets", [["schedule=0.5,0.1"], ["protocols=foo"], ["protocols=imp"],
                                  ["rewind_fractions=1.5"]])
def test_bad_config_is_refused_before_anything_runs(sets):
    from genlab.config import ConfigError
    with pytest.raises(ConfigError):
        lottery.EXPERIMENT.config("smoke", sets=sets)


def test_ticket_masks_keep_adjacent_inputs_more_often_than_random(run):
    """The spatial finding shows even at this scale (P(3 adjacent kept) ~1.6% for the ticket,
    ~1.2% for its degree-preserving shuffle, ~0.9% for a random mask); tickets beating dense does
    not (smoke-scale training is far too short), so it is not asserted."""
    stats = analysis.adjacency_stats(run, analysis.grouped(run))[3]
    assert set(stats["ticket"]) == set(stats["null"]) == set(range(CFG.seeds))
    assert np.mean(list(stats["ticket"].values())) > np.mean(list(stats["random"].values()))


# ---- every headline check decides, and can fail ----
FIVE = range(5)


def _seeds(*values):
    return {t: float(v) for t, v in zip(FIVE, values)}


TICKET, DENSE, RANDOM = _seeds(71, 70, 72, 71.5, 70.5), _seeds(64, 63, 65, 64.5, 63.5), _seeds(58, 59, 57, 58, 59)
AT_CHANCE = _seeds(10.2, 9.8, 10.1, 10.0, 9.9)


def _at_chance(args):
    """The arguments' ordering kept (gaps of 0.3 points, the same in every seed) at chance."""
    rank = np.argsort(np.argsort([np.mean(list(a.values())) for a in args], kind="stable"), kind="stable")
    return [{t: v + 0.3 * r for t, v in AT_CHANCE.items()} for r in rank]
CHECKS = {  # name: (check, arguments where the claim holds, arguments where it is false)
    "ticket_wins": (lambda a, b, c: checks.ticket_wins(a, b, c, "90%"),
                    (TICKET, DENSE, RANDOM), (DENSE, TICKET, RANDOM)),
    "ticket_below_dense": (lambda a, b: checks.ticket_below_dense(a, b, "99%"),
                           (RANDOM, DENSE), (TICKET, DENSE)),
    "random_below_ticket": (lambda a, b: checks.random_below_ticket(a, b, "90%"),
                            (TICKET, RANDOM), (RANDOM, TICKET)),
    "ablation_ticket_wins": (lambda a, b, c: checks.ablation_ticket_wins(a, b, c, None),
                             (TICKET, DENSE, RANDOM), (RANDOM, DENSE, TICKET)),
    "random_below_dense": (lambda a, b: checks.random_below_dense(a, b, None),
                           (RANDOM, DENSE), (TICKET, DENSE)),
    "reinit_wins": (lambda a, b, c: checks.reinit_wins(a, b, c, None),
                    (TICKET, DENSE, RANDOM), (RANDOM, DENSE, TICKET)),
    # the ticket gains 7 points on intact inputs and loses 1 on shuffled ones (holds); shuffling
    # costs the ticket 1 point and the dense net 3 (false: it hurts dense more)
    "shuffle_hurts_ticket_more": (lambda *v: checks.shuffle_hurts_ticket_more(*v, None),
                                  (TICKET, DENSE, {t: v - 1 for t, v in DENSE.items()}, DENSE),
                                  (TICKET, DENSE, {t: v - 1 for t, v in TICKET.items()},
                                   {t: v - 3 for t, v in DENSE.items()})),
    "flip_keeps_structure": (lambda a, b: checks.flip_keeps_structure(a, b, None),
                             (TICKET, DENSE), (DENSE, TICKET)),
    "imp_ticket_beats_controls": (lambda a, b, c: checks.imp_ticket_beats_controls(a, b, c, "init"),
                                  (TICKET, DENSE, RANDOM), (RANDOM, TICKET, DENSE)),
    "adjacency_above_null": (lambda a, b, c: checks.adjacency_above_null(a, b, c, 3),
                             (_seeds(1.6, 1.7, 1.5, 1.6, 1.65), _seeds(1.2, 1.2, 1.1, 1.25, 1.2), DENSE),
                             (_seeds(1.2, 1.2, 1.1, 1.25, 1.2), _seeds(1.6, 1.7, 1.5, 1.6, 1.65), DENSE)),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_holds_fails_and_needs_learning(name):
    check, holds, false = CHECKS[name]
    assert check(*holds).verdict == "ok"
    assert check(*false).verdict == "MISS"
    # the same ordering between nets that never learned (all at chance) is not evidence
    at_chance = [*holds[:2], AT_CHANCE] if name == "adjacency_above_null" else _at_chance(holds)
    assert check(*at_chance).verdict == "MISS"
    assert [p.verdict for p in check(*at_chance).parts][:-1] == ["ok"] * (len(check(*holds).parts) - 1)
    assert check(*[{t: v[t] for t in (0,)} for v in holds]).verdict == "inconclusive"  # n = 1


SPARSITY = {1: 0.2, 2: 0.36, 3: 0.49}


def _minus(values, points):
    return {t: v - points for t, v in values.items()}


@pytest.mark.parametrize("tickets, level, verdict", [
    # within 1 point of dense at 20% and 36%, 12 below at 49% (a clear drop): matches down to 36%
    ({1: TICKET, 2: _minus(DENSE, 1), 3: _minus(DENSE, 12)}, 2, "ok"),
    # every level at or above dense: tested down to the sparsest
    ({1: TICKET, 2: TICKET, 3: DENSE}, 3, "ok"),
    # already 6 points below dense at the first level: the claim fails
    ({1: _minus(DENSE, 6), 2: _minus(DENSE, 8), 3: _minus(DENSE, 12)}, 1, "MISS"),
    # 1.9 to 3.9 points below dense (around the 2.9-point tolerance) at the sparsest: undecided
    ({1: TICKET, 2: TICKET, 3: {t: DENSE[t] - 2.9 + d for t, d in zip(FIVE, (1, -1, 0.5, -0.5, 0))}},
     3, "inconclusive"),
])
def test_imp_ticket_matches_dense_down_to_the_level_before_a_clear_drop(tickets, level, verdict):
    got_level, got = checks.imp_ticket_matches_dense(tickets, DENSE, SPARSITY, "init")
    assert (got_level, got.verdict) == (level, verdict)
    assert f"{100 * SPARSITY[level]:.0f}%" in got.claim


def test_imp_matching_needs_learning_and_seeds():
    at_chance = {lv: AT_CHANCE for lv in SPARSITY}
    level, v = checks.imp_ticket_matches_dense(at_chance, AT_CHANCE, SPARSITY, "init")
    assert level == 3 and v.verdict == "MISS" and v.parts[-1].verdict == "MISS"  # dense never learned
    one = {lv: {0: TICKET[0]} for lv in SPARSITY}
    assert checks.imp_ticket_matches_dense(one, {0: DENSE[0]}, SPARSITY, "init")[1].verdict == "inconclusive"
    assert checks.imp_ticket_matches_dense({}, DENSE, SPARSITY, "init")[1].verdict == "inconclusive"


def test_dense_accuracy_matches_the_notebook_within_tolerance():
    assert checks.dense_matches(_seeds(63, 64, 62.5, 63.5, 64), 63.3, None).verdict == "ok"
    assert checks.dense_matches(_seeds(40, 41, 39, 40.5, 40), 63.3, None).verdict == "MISS"
    short = checks.dense_matches(_seeds(40, 41, 39, 40.5, 40), 63.3, "400 of the notebook's 1501 steps")
    assert short.check == "paper scale: 400 of the notebook's 1501 steps"


def test_without_learning_no_headline_row_says_ok(tmp_path):
    """lr = 1e-7: every net stays at its init; whatever order its accuracies fall in, no
    headline check may read it as the paper's finding."""
    cfg = dataclasses.replace(CFG, lr=1e-7)
    store = Store(tmp_path / "genlab.sqlite")
    lottery.EXPERIMENT.execute(cfg, store, progress=False)
    rows = analysis.analyze(store)["headline"]
    # search, ablations, adjacency, imp (init and k5 tickets: matching dense, beating controls)
    assert len(rows) == 3 + 5 + 3 + 2 + 2
    assert not [r["name"] for r in rows if r["check"] == "ok"]
