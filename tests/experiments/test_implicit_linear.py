"""Section 5: SGD from zero reaches the pseudo-inverse solution; kernels interpolate any labels."""
import jax
import jax.numpy as jnp
import numpy as np

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
    heads = out["headline"]
    sgd_row = next(h for h in heads if h["name"].startswith("fourier features (n = 200"))
    assert sgd_row["check"] == "ok"
    kernel_rows = [h for h in heads if h["name"].startswith("Gaussian")]
    assert len(kernel_rows) == 2 and all(h["check"] == "ok" for h in kernel_rows)
    assert implicit_linear.plot(store, tmp_path)[0].stat().st_size > 0
