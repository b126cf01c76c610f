"""Theorem 1's construction: exact float64 interpolation with 2n + d weights, chance test acc."""
import numpy as np
import pytest

from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.experiments import expressivity
from genlab.store import Store


# Midpoint kinks (0.5) carry every huge slope to the end, so cancellation costs ~1e3x precision.
@pytest.mark.parametrize("offset, tol", [(0.01, 1e-8), (0.5, 1e-6)])
def test_construction_interpolates_arbitrary_targets(offset, tol):
    rng = np.random.default_rng(0)
    x, a = rng.normal(size=(300, 10)), rng.normal(size=10)
    targets = rng.normal(size=300)
    b, w, gaps = expressivity.fit_relu_net(x, targets, a, offset)
    assert b.size + w.size + a.size == 2 * 300 + 10
    assert np.max(np.abs(expressivity.predict(x, a, b, w) - targets)) < tol
    z = np.sort(x @ a)  # the kinks interleave the sorted projections
    assert np.all(b[0] < z[0]) and np.all((z[:-1] < b[1:]) & (b[1:] < z[1:]))
    assert gaps.min() > 0


def test_construction_rejects_tied_projections():
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match="distinct"):
        expressivity.fit_relu_net(x, np.arange(3.0), np.ones(2), 0.5)


def test_mnist1d_labels_fit_exactly_and_test_at_chance():
    config = {"targets": "random", "kink_offset": 0.01, "n_train": 500, "seed": 0}
    out = expressivity.compute(config)["summary"]
    assert out["fit/max_error"] < 1e-8 and out["fit/max_error_onehot"] < 1e-8
    assert out["train/acc"] == 1.0
    assert out["fit/num_weights"] == 2 * 500 + 40
    assert out["test/acc"] < 0.16 and out["test/acc_onehot"] < 0.16
    assert out["fit/max_error_f32"] > 1e3 * out["fit/max_error"]  # why float64 is needed


def test_smoke_preset_analyze_and_plot(store_path, tmp_path):
    store = Store(store_path)
    exp = expressivity.EXPERIMENT
    exp.execute(exp.config("smoke"), store, progress=False)
    assert len(store.runs(expressivity.NAME)) == 3 * 2 * 2
    out = expressivity.analyze(store)
    exact = [h for h in out["headline"] if "max |c" in h["name"]]
    assert len(exact) == 3 and all(h["check"] == OK and h["method"].startswith("exact")
                                   for h in exact)
    chance = [h for h in out["headline"] if "test acc" in h["name"]]
    assert len(chance) == 2 and all(len(h["parts"]) == 2 for h in chance)  # chance AND exact fit
    assert all(h["check"] in {OK, INCONCLUSIVE} for h in chance)  # 2 seeds may not resolve it
    assert expressivity.plot(store, tmp_path)[0].stat().st_size > 0


def test_claim_exact_is_deterministic_and_can_fail():
    ok = expressivity.claim_exact({0: 2e-8, 1: 3e-9, 2: 1e-8}, "x")
    assert ok.verdict == OK and ok.n == 3 and ok.method.startswith("exact")
    assert ok.effect == pytest.approx(np.log10(2e-8))  # the worst seed decides
    assert expressivity.claim_exact({0: 2e-8, 1: 5e-4}, "x").verdict == MISS  # one seed misses
    assert expressivity.claim_exact({0: 0.0}, "x").verdict == OK  # n = 1 suffices: exact


@pytest.mark.parametrize("fit_errors, test_acc, verdict", [
    ({0: 1e-10, 1: 2e-10, 2: 1e-11}, {0: 10.7, 1: 10.4, 2: 11.0}, OK),
    ({0: 1e-10, 1: 2e-10, 2: 1e-11}, {0: 31.0, 1: 33.0, 2: 30.0}, MISS),  # it generalized
    ({0: 0.4, 1: 0.5, 2: 0.3}, {0: 10.7, 1: 10.4, 2: 11.0}, MISS),  # at chance, but no fit
    ({0: 1e-10, 1: 2e-10}, {0: 8.0, 1: 12.5}, INCONCLUSIVE),  # 2 seeds, spread too wide
])
def test_claim_chance_needs_the_exact_fit(fit_errors, test_acc, verdict):
    assert expressivity.claim_chance(fit_errors, test_acc).verdict == verdict
