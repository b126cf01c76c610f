"""lottery: masks and rewinding read back exactly from the store, controls' sparsity, resume."""
import dataclasses

import jax
import numpy as np
import pytest

from genlab.experiments import lottery
from genlab.experiments.lottery import ablations, analysis, levels, protocols
from genlab.store import Store
from genlab.sweep.local import initial_params
from genlab.train import prune

CFG = dataclasses.replace(lottery.PRESETS["smoke"], width=32, steps=40, eval_every=20, imp_steps=40,
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
    assert len(ids) == 2 * (1 + 2 * 2) + 2 * (1 + 2 * 4) + 2 * 7  # mnist1d, imp, ablations


def test_pruned_weights_are_exactly_zero_after_training(run):
    for job in protocols.mnist1d_jobs(CFG, 2) + protocols.imp_jobs(CFG, 2):
        for p, m in zip(_leaves(_load(run, job, "final")), _leaves(_load(run, job, "mask"))):
            assert np.all(p[~m] == 0.0) and m.dtype == bool


def test_ticket_is_layerwise_magnitude_of_the_previous_round(run):
    by = {(j.tags["line"], j.seed): j for j in protocols.mnist1d_jobs(CFG, 2)}
    parents = {(j.tags["line"], j.seed): j for j in protocols.mnist1d_jobs(CFG, 1)}
    for trial in range(CFG.seeds):
        parent = parents[("ticket", trial)]
        expected = prune.prune_layerwise(_load(run, parent, "mask"),
                                         prune.magnitude_scores(_load(run, parent, "final")), 0.8)
        for a, b in zip(_leaves(_load(run, by[("ticket", trial)], "mask")), _leaves(expected)):
            np.testing.assert_array_equal(a, b)
            assert np.all(_leaves(_load(run, parent, "mask"))[0][_leaves(expected)[0]])


def test_random_masks_match_the_tickets_per_layer_sparsity(run):
    for jobs in (protocols.mnist1d_jobs(CFG, 2), protocols.imp_jobs(CFG, 2)):
        by = {(j.tags["line"], j.seed): j for j in jobs}
        ticket_line, random_line = ("ticket", "random") if "ticket" in {k[0] for k in by} else \
            ("init", "random_prune")
        for trial in range(CFG.seeds):
            ticket = _load(run, by[(ticket_line, trial)], "mask")
            random = _load(run, by[(random_line, trial)], "mask")
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
    assert all(row["check"] in ("ok", "MISS") or row["check"].startswith("paper scale: ")
               for row in result["headline"])
    # 40-step runs are far below the notebook's 1501 / 6000 steps: a failed dense or ablation
    # check says so instead of MISS; the scale-free checks (orderings) stay ok / MISS
    for row in result["headline"]:
        if row["name"].startswith(("mnist1d dense", "ablation:")) and row["check"] != "ok":
            assert row["check"].startswith("paper scale: 40 of the notebook's")
    paths = lottery.plot(run, tmp_path)
    assert len(paths) == 3 and all(p.exists() for p in paths)


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
    """The spatial finding shows even at this scale (P(3 adjacent kept) ~1.6% vs ~0.9%); tickets
    beating dense does not (smoke-scale training is far too short), so it is not asserted."""
    rows = {e["line"]: e["stats"] for e in analysis.adjacency_rows(run, analysis.grouped(run))}
    ticket, random = (np.mean([s[3] for s in rows[line]]) for line in ("ticket", "random"))
    assert len(rows["ticket"]) == CFG.seeds and ticket > random
