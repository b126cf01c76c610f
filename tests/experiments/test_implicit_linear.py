"""Section 5: SGD from zero reaches the pseudo-inverse solution; kernels interpolate any labels."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.experiments import implicit_linear
from genlab.store import Store


def test_sgd_from_zero_equals_pseudo_inverse_solution():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 200)) / np.sqrt(200)  # underdetermined and well conditioned
    y = rng.normal(size=(40, 3))
    w_pinv = np.linalg.pinv(x) @ y
    with jax.enable_x64(True):
        w, dist = implicit_linear.sgd(jnp.asarray(x), jnp.asarray(y), jnp.asarray(w_pinv),
                                      jax.random.key(0), 5.0, batch_size=10, epochs=200)
        w, dist = np.asarray(w), np.asarray(dist)
    assert w.dtype == np.float64
    # SGD never leaves the row space, so the interpolant it converges to is the minimum-norm one.
    assert np.linalg.norm(w - w_pinv) / np.linalg.norm(w_pinv) < 1e-10
    assert dist[-1] < dist[0]


def test_mnist1d_random_features_sgd_reaches_min_norm():
    cfg = implicit_linear.PRESETS["smoke"]
    c = next(c for c in implicit_linear.configs(cfg) if c.get("features") == "fourier")
    out = implicit_linear.compute_sgd(c)
    s = out["summary"]
    assert s["sgd/rel_distance"] < 1e-3
    assert s["sgd/out_of_span"] < 1e-10
    assert s["norm/alt"] > 1.4 * s["norm/min"]  # the other interpolant: same fit, larger norm
    steps, dist = out["metrics"]["sgd/rel_distance"]
    assert len(steps) == cfg.epochs and dist[-1] < dist[0]


def test_gaussian_kernel_interpolates_true_and_random_labels():
    base = {"part": "kernel", "kernel": "gaussian", "scale": 0.5, "n_train": 500, "seed": 0}
    true = implicit_linear.compute_kernel({**base, "labels": "true"})["summary"]
    rand = implicit_linear.compute_kernel({**base, "labels": "random"})["summary"]
    for s in (true, rand):
        assert s["train/acc"] == 1.0 and s["train/max_error"] < 1e-8
    assert true["test/acc"] > 0.3 and rand["test/acc"] < 0.16
    assert rand["rkhs/norm"] > true["rkhs/norm"]


def test_smoke_preset_analyze_and_plot(store_path, tmp_path):
    store = Store(store_path)
    exp = implicit_linear.EXPERIMENT
    exp.execute(exp.config("smoke"), store, progress=False)
    out = implicit_linear.analyze(store)
    assert len(out["tables"]) == 2
    heads = {h["name"].split(":")[0]: h for h in out["headline"]}
    fourier = heads["fourier features (n = 200, D = 800)"]
    # 60 epochs bring both seeds to ~1e-4 of X⁺y; two seeds an order of magnitude apart cannot
    # place the mean log-distance below -3 at 95%, so this may read inconclusive, never MISS.
    assert fourier["check"] in {OK, INCONCLUSIVE} and len(fourier["parts"]) == 2
    assert heads["relu features (n = 200, D = 800)"]["check"] == MISS  # too ill-conditioned
    kernel_rows = [h for h in out["headline"] if h["name"].startswith("Gaussian")]
    assert len(kernel_rows) == 2 and all(h["check"] == OK for h in kernel_rows)
    assert implicit_linear.plot(store, tmp_path)[0].stat().st_size > 0


def test_one_epoch_of_sgd_passes_no_sgd_check(tmp_path):
    """Learning removed (one epoch): SGD is nowhere near X⁺y, so no SGD row may say ok. The
    kernel rows are closed-form solves (nothing is learned) and keep their verdicts."""
    store = Store(tmp_path / "s.sqlite")
    exp = implicit_linear.EXPERIMENT
    exp.execute(exp.config("smoke", sets=["epochs=1"]), store, progress=False)
    sgd_rows = [h for h in implicit_linear.analyze(store)["headline"] if "features" in h["name"]]
    assert len(sgd_rows) == 2 and all(h["check"] == MISS for h in sgd_rows)


TINY = {0: 1e-15, 1: 3e-16, 2: 2e-15}


@pytest.mark.parametrize("distance, span, verdict", [
    ({0: 1e-10, 1: 3e-11, 2: 5e-10}, TINY, OK),
    ({0: 0.4, 1: 0.5, 2: 0.45}, TINY, MISS),  # not converged (ReLU features, or one epoch)
    ({0: 1e-10, 1: 3e-11, 2: 5e-10}, {0: 1e-15, 1: 1e-3, 2: 1e-15}, MISS),  # left the span
    ({0: 1e-6, 1: 1e-2}, TINY, INCONCLUSIVE),  # two seeds four decades apart
])
def test_claim_min_norm(distance, span, verdict):
    assert implicit_linear.report.claim_min_norm(distance, span).verdict == verdict


@pytest.mark.parametrize("errors, test_true, verdict", [
    ({("true", 0): 1e-12, ("random", 0): 2e-12, ("random", 1): 1e-12}, {0: 59.6, 1: 59.6}, OK),
    ({("true", 0): 1e-12, ("random", 0): 0.3, ("random", 1): 1e-12}, {0: 59.6, 1: 59.6}, MISS),
    ({("true", 0): 1e-12, ("random", 0): 2e-12}, {0: 8.0, 1: 9.0}, MISS),  # no generalization
])
def test_claim_interpolates(errors, test_true, verdict):
    test_random = {0: 10.2, 1: 11.1}
    got = implicit_linear.report.claim_interpolates(errors, test_true, test_random)
    assert got.verdict == verdict


def test_claim_norm():
    report = implicit_linear.report
    assert report.claim_norm({0: 1.33, 1: 1.35, 2: 1.30}).verdict == OK
    assert report.claim_norm({0: 0.8, 1: 0.82, 2: 0.79}).verdict == MISS
    assert report.claim_norm({0: 1.3}).verdict == INCONCLUSIVE  # n = 1: not deterministic
