"""spatial_prior: one permutation for train and test, variants as members, CNN hurt by shuffling."""
import numpy as np
import pytest

from genlab import experiments
from genlab.claims import MISS, OK
from genlab.data import datasets
from genlab.experiments import series
from genlab.experiments import spatial_prior as sp
from genlab.store import Store
from genlab.sweep import group_jobs, run_jobs


def _build(variant: str) -> dict:
    return datasets.build(datasets.DataSpec(positions=sp.VARIANTS[variant]))


def test_shuffle_uses_one_permutation_for_train_and_test():
    original, shuffled = _build("original"), _build("shuffled")
    # recover the permutation column by column from the training set ...
    perm = np.array([int(np.flatnonzero((original["x"] == col[:, None]).all(axis=0))[0])
                     for col in shuffled["x"].T])
    assert sorted(perm) == list(range(40)) and (perm != np.arange(40)).any()
    # ... and the test set must be permuted by the same one
    np.testing.assert_array_equal(shuffled["x_test"], original["x_test"][:, perm])
    np.testing.assert_array_equal(shuffled["y_test"], original["y_test"])


def test_flip_reverses_positions():
    original, flipped = _build("original"), _build("flipped")
    np.testing.assert_array_equal(flipped["x"], original["x"][:, ::-1])
    np.testing.assert_array_equal(flipped["x_test"], original["x_test"][:, ::-1])


def test_variants_and_seeds_share_one_program_per_model():
    cfg = sp.PRESETS["paper"]
    groups = group_jobs(sp.jobs(cfg))
    assert [g[0].model for g in groups] == list(cfg.models)
    assert all(len(g) == len(cfg.variants) * cfg.seeds for g in groups)


def test_cnn_does_worse_on_shuffled_positions(store_path):
    store = Store(store_path)
    cfg = sp.Config(models=("cnn",), variants=("original", "shuffled"), seeds=1, steps=400,
                    eval_every=200)
    run_jobs(sp.NAME, sp.jobs(cfg), store, progress=False)
    curve = sp.curves(store)[("cnn",)]
    assert curve.x == ["original", "shuffled"]
    assert sp.drop(curve) > 5.0  # pp lost; ~35 pp at the full 6000 steps
    (table,) = sp.analyze(store)["tables"].values()
    assert table["rows"][0][0] == "cnn"


# ------------------------------------------------------------------------------ headline checks
def seeds(*values):
    return dict(enumerate(values))


LEARNED = {"linear": seeds(31.3, 31.3, 31.4), "mlp": seeds(65.0, 64.6, 65.3),
           "cnn": seeds(94.9, 94.5, 95.2), "gru": seeds(90.4, 91.0, 89.9)}
UNTRAINED = {"linear": seeds(24.5, 24.6, 24.4), "mlp": seeds(29.1, 29.3, 28.9),
             "cnn": seeds(27.0, 28.8, 26.1), "gru": seeds(20.2, 21.0, 20.5)}


def shifted(values, by):
    return {k: v - b for (k, v), b in zip(values.items(), by)}


@pytest.mark.parametrize("model", ["cnn", "gru"])
def test_local_loss_holds_for_a_large_loss_and_misses_a_small_one(model):
    original = LEARNED[model]
    assert sp.claim_local_loss(model, original, shifted(original, (35, 33, 36))).verdict == OK
    assert sp.claim_local_loss(model, original, shifted(original, (2, -1, 1))).verdict == MISS


@pytest.mark.parametrize("model", ["linear", "mlp"])
def test_no_loss_needs_learning_and_a_loss_inside_the_band(model):
    same, lost = seeds(0.3, -0.5, 0.1), seeds(8.0, 9.5, 7.2)
    assert sp.claim_no_loss(model, LEARNED[model], same).verdict == OK
    v = sp.claim_no_loss(model, UNTRAINED[model], same)  # both at chance: no evidence
    assert v.verdict == MISS and v.parts[0].verdict == OK
    assert sp.claim_no_loss(model, LEARNED[model], lost).verdict == MISS


def test_about_35_matches_the_papers_loss_and_misses_a_small_one():
    assert sp.claim_about_35({"cnn": seeds(34.0, 36.1, 35.2), "gru": seeds(37.0, 36.2, 35.5)}).verdict == OK
    assert sp.claim_about_35({"cnn": seeds(34.0, 36.1, 35.2), "gru": seeds(12.0, 11.1, 13.0)}).verdict == MISS
    assert sp.claim_about_35({"cnn": seeds(-1.0, 0.5, 0.2)}).verdict == MISS


def test_flip_needs_every_model_to_learn_and_keep_its_accuracy():
    same = {m: seeds(0.4, -0.6, 0.2) for m in LEARNED}
    assert sp.claim_flip(LEARNED, same).verdict == OK
    assert sp.claim_flip({**LEARNED, "mlp": UNTRAINED["mlp"]}, same).verdict == MISS
    assert sp.claim_flip(LEARNED, {**same, "gru": seeds(9.0, 8.0, 10.5)}).verdict == MISS


def test_losses_are_paired_by_seed():
    s = series.Series(x=["original", "shuffled"], runs=[
        [_run(0, 0.90), _run(1, 0.80)], [_run(1, 0.60), _run(0, 0.50), _run(2, 0.1)]])
    assert sp.losses(s) == pytest.approx({0: 40.0, 1: 20.0})


def _run(seed, acc, status="done"):
    return {"seed": seed, "status": status, "summary": {"test/acc": acc}}


def test_smoke_with_learning_removed_gives_no_ok(store_path):
    """20 steps with 2 seeds, the flip and the MLP added so that every kind of row is built:
    the no-loss rows and the flip row no longer pass on nets that never learned."""
    exp = experiments.get("spatial_prior")
    cfg = exp.config("smoke", sets=["steps=20", "eval_every=10", "seeds=2", "models=linear,mlp,cnn",
                                    "variants=original,shuffled,flipped"])
    store = Store(store_path)
    exp.execute(cfg, store, progress=False)
    rows = exp.analyze(store)["headline"]
    checked = {r["name"]: r["check"] for r in rows if r["check"]}
    assert len(checked) == 5  # linear, mlp, cnn; cnn about 35; flip
    assert OK not in checked.values(), checked
    assert checked["mlp: accuracy lost to shuffling (pp)"] == MISS  # linear: inconclusive (spread)
