"""Implicit regularization in linear models (Zhang et al. 2017, Section 5): SGD from zero finds the
minimum-norm interpolant; exact kernel interpolation of true and random MNIST-1D labels."""
from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist

from genlab.config import check
from genlab.data.datasets import DataSpec, build
from genlab.experiments.base import Experiment
from genlab.experiments.implicit_linear.report import analyze, plot
from genlab.sweep import run_computed

NAME = "implicit_linear"


@dataclasses.dataclass(frozen=True)
class Config:
    # (a) least squares on n random features of width width_factor·n (underdetermined).
    features: tuple[str, ...] = ("fourier", "relu")
    n_sgd: int = 1000
    width_factor: int = 4
    rff_bandwidth: float = 2.0  # on standardized inputs, whose median pairwise distance is ≈ 8.5
    batch_size: int = 100
    epochs: int = 100
    lr_fraction: float = 0.5  # of 2 / (a bound on the minibatch curvature)
    # (b) exact kernel interpolation: Gaussian bandwidths (× median distance), NTK depths.
    bandwidths: tuple[float, ...] = (0.25, 0.5, 1.0)
    ntk_depths: tuple[int, ...] = (2,)
    n_kernel: int | None = None  # None: all 4000 training examples
    seeds: int = 3


PRESETS = {
    # ~8 s: 200 / 500 examples, 1 bandwidth, no NTK.
    "smoke": Config(n_sgd=200, epochs=60, bandwidths=(0.5,), ntk_depths=(), n_kernel=500, seeds=2),
    # `genlab run implicit_linear --preset quick`: n = 1000 (SGD) and 4000 (kernels), 2 seeds
    # (3 before 2026-11-30: seeds 0 and 1 give every check the same outcome); ~20 s on 2 cores.
    # Expect SGD within 1e-9 of X⁺y on Fourier features (ReLU ones are too ill-conditioned to
    # get anywhere in 100 epochs), 0% kernel train error on true and random labels, 33-48% test
    # error, a 1.3-1.9x larger RKHS norm for random labels.
    "quick": Config(seeds=2),
    # ~3 min (estimated): 300 epochs, one more bandwidth, NTK depths 2 and 3, 5 seeds.
    "paper": Config(epochs=300, bandwidths=(0.1, 0.25, 0.5, 1.0), ntk_depths=(2, 3), seeds=5),
}


def random_features(kind: str, dim: int, width: int, bandwidth: float, rng):
    """A fixed random map (m, dim) -> (m, width), rows of norm ≈ 1: cos (Gaussian-kernel random
    Fourier features) or ReLU (arc-cosine kernel)."""
    w = rng.normal(size=(dim, width)) / (bandwidth if kind == "fourier" else np.sqrt(dim))
    if kind == "fourier":
        phase = rng.uniform(0.0, 2 * np.pi, width)
        return lambda u: np.sqrt(2.0 / width) * np.cos(u @ w + phase)
    bias = rng.normal(size=width)
    return lambda u: np.maximum(u @ w + bias, 0.0) / np.sqrt(width)  # E relu(N(0, 2))² = 1


@functools.partial(jax.jit, static_argnames=("batch_size", "epochs"))
def sgd(x, y, w_ref, key, lr, *, batch_size: int, epochs: int):
    """Minibatch SGD on ½‖x w − y‖²/batch from w = 0, reshuffling every epoch. x (n, D), y (n, K)
    -> (w (D, K), ‖w − w_ref‖ after each epoch (epochs,))."""
    n = x.shape[0]

    def epoch(w, k):
        batches = jax.random.permutation(k, n)[: n // batch_size * batch_size]
        batches = batches.reshape(-1, batch_size)

        def step(w, idx):
            xb, yb = x[idx], y[idx]
            return w - lr * xb.T @ (xb @ w - yb) / batch_size, None
        w = jax.lax.scan(step, w, batches)[0]
        return w, jnp.linalg.norm(w - w_ref)
    w0 = jnp.zeros((x.shape[1], y.shape[1]), x.dtype)
    return jax.lax.scan(epoch, w0, jax.random.split(key, epochs))


def compute_sgd(c: dict) -> dict:
    """SGD from 0 on random features vs X⁺y = Xᵀ(XXᵀ)⁻¹y, and X⁺y + a null-space vector."""
    d, rng = build(DataSpec(n_train=c["n_train"])), np.random.default_rng(c["seed"])
    mu, sd = d["x"].mean(0), d["x"].std(0)
    phi = random_features(c["features"], d["x"].shape[1], c["width"], c["bandwidth"], rng)
    feats, feats_test = (phi((v.astype(np.float64) - mu) / sd) for v in (d["x"], d["x_test"]))
    y, gram = np.eye(10)[d["y"]] - 0.1, feats @ feats.T  # centered one-hot targets
    chol, eig = scipy.linalg.cho_factor(gram), scipy.linalg.eigvalsh(gram)
    w_min = feats.T @ scipy.linalg.cho_solve(chol, y)

    def null(v):  # (I − X⁺X) v
        return v - feats.T @ scipy.linalg.cho_solve(chol, feats @ v)
    v = null(rng.normal(size=w_min.shape))
    w_alt = w_min + v * np.linalg.norm(w_min) / np.linalg.norm(v)
    curvature = eig[-1] / len(feats) + np.max(np.sum(feats**2, 1)) / c["batch_size"]
    lr = c["lr_fraction"] * 2.0 / curvature
    with jax.enable_x64(True):
        w, dist = sgd(*map(jnp.asarray, (feats, y, w_min)), jax.random.key(c["seed"]), lr,
                      batch_size=c["batch_size"], epochs=c["epochs"])
        w, dist = np.asarray(w), np.asarray(dist) / np.linalg.norm(w_min)
    summary = {"sgd/rel_distance": dist[-1], "sgd/lr": lr, "gram/cond": eig[-1] / eig[0],
               "sgd/out_of_span": np.linalg.norm(null(w)) / np.linalg.norm(w),
               "norm/min": np.linalg.norm(w_min), "norm/alt": np.linalg.norm(w_alt)}
    for name, coef in (("min_norm", w_min), ("alt", w_alt)):
        summary[f"test/acc_{name}"] = np.mean((feats_test @ coef).argmax(1) == d["y_test"])
    return {"summary": {k: float(s) for k, s in summary.items()},
            "metrics": {"sgd/rel_distance": (list(range(1, len(dist) + 1)), dist.tolist())}}


@functools.lru_cache(maxsize=1)  # configs come kernel-major: one Gram + factorization per kernel
def kernel_system(kernel: str, scale: float, n_train: int | None):
    """(K (n, n), K_test (m, n), Cholesky factor, data) for a Gaussian kernel with bandwidth
    scale × median pairwise distance, or the depth-`scale` ReLU NTK (genlab.kernels)."""
    d = build(DataSpec(n_train=n_train))
    x, x_test = d["x"].astype(np.float64), d["x_test"].astype(np.float64)
    if kernel == "gaussian":
        d2, d2_test = cdist(x, x, "sqeuclidean"), cdist(x_test, x, "sqeuclidean")
        width2 = 2 * scale**2 * np.median(d2[np.triu_indices(len(x), 1)])
        k, k_test = np.exp(-d2 / width2), np.exp(-d2_test / width2)
    else:
        from genlab.kernels import fc_kernel
        with jax.enable_x64(True):
            k, k_test = (np.asarray(fc_kernel(jnp.asarray(a), jnp.asarray(x), depth=int(scale)))
                         for a in (x, x_test))
    return k, k_test, scipy.linalg.cho_factor(k, lower=True), d


def compute_kernel(c: dict) -> dict:
    k, k_test, chol, d = kernel_system(c["kernel"], c["scale"], c["n_train"])
    rng = np.random.default_rng(c["seed"])
    labels = d["y"] if c["labels"] == "true" else rng.integers(0, 10, len(d["y"]))
    y = np.eye(10)[labels] - 0.1
    alpha = scipy.linalg.cho_solve(chol, y)
    fit = k @ alpha
    summary = {"train/acc": np.mean(fit.argmax(1) == labels),
               "train/max_error": np.abs(fit - y).max(),
               "test/acc": np.mean((k_test @ alpha).argmax(1) == d["y_test"]),
               "rkhs/norm": np.sum(alpha * y)}  # Σ_k α_kᵀ K α_k, as K α = y
    return {"summary": {n: float(v) for n, v in summary.items()}}


def configs(cfg: Config) -> list[dict]:
    seeds = range(cfg.seeds)
    sgd_part = [{"part": "sgd", "features": f, "n_train": cfg.n_sgd,
                 "width": cfg.width_factor * cfg.n_sgd, "bandwidth": cfg.rff_bandwidth,
                 "batch_size": cfg.batch_size, "epochs": cfg.epochs,
                 "lr_fraction": cfg.lr_fraction, "seed": s} for f in cfg.features for s in seeds]
    kernels = [("gaussian", b) for b in cfg.bandwidths]
    kernels += [("ntk", float(depth)) for depth in cfg.ntk_depths]
    return sgd_part + [{"part": "kernel", "kernel": k, "scale": b, "labels": lab,
                        "n_train": cfg.n_kernel, "seed": s}
                       for k, b in kernels for lab in ("true", "random") for s in seeds]


FEATURES = ("fourier", "relu")


def validate(cfg: Config) -> None:
    check(set(cfg.features) <= set(FEATURES), f"features must be among {', '.join(FEATURES)}")
    for name in ("n_sgd", "width_factor", "batch_size", "epochs"):
        check(getattr(cfg, name) > 0, f"{name} must be positive, got {getattr(cfg, name)}")
    check(cfg.n_sgd <= 4000 and (cfg.n_kernel is None or 0 < cfg.n_kernel <= 4000),
          "n_sgd and n_kernel must be in 1..4000 (frozen set)")
    check(all(b > 0 for b in cfg.bandwidths + (cfg.rff_bandwidth, cfg.lr_fraction)),
          "bandwidths and lr_fraction must be positive")
    check(all(int(d) == d and d >= 1 for d in cfg.ntk_depths), "ntk_depths must be integers >= 1")


def run(cfg: Config, store, progress: bool = True) -> list[str]:
    def compute(c):
        return compute_sgd(c) if c["part"] == "sgd" else compute_kernel(c)
    return run_computed(NAME, configs(cfg), compute, store, progress=progress)


EXPERIMENT = Experiment(name=NAME, title="Implicit regularization: min-norm SGD, kernel fits",
                        paper="Zhang et al., Understanding deep learning requires rethinking "
                              "generalization (ICLR 2017)",
                        presets=PRESETS, validate=validate, analyze=analyze, plot=plot, run=run)
