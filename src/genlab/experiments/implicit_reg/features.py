"""Kernel interpolation on random features (Zhang et al. 2017, §5): the minimum-norm interpolant,
solved exactly, on raw MNIST-1D inputs (linear), under a Gaussian kernel, and on the features of
random untrained 1-D conv layers (ReLU, average pooling); its test accuracy and its norm."""
from __future__ import annotations

import functools

import numpy as np
import scipy.linalg
from scipy.spatial.distance import cdist

from genlab.config import check
from genlab.data.datasets import DataSpec, build

KERNEL_SIZE, BIAS_STD = 5, 1.0  # first conv layer's filter length; random biases ~ N(0, 1)
BLOCK = 128  # last-layer channels per block of the Gram accumulation (bounds memory)


def configs(cfg) -> list[dict]:
    base = {"part": "kernel", "n_train": cfg.kernel_n}
    return ([{**base, "features": "raw", "seed": 0}]
            + [{**base, "features": "gaussian", "scale": s, "seed": 0} for s in cfg.gaussian_scales]
            + [{**base, "features": "conv", "channels": cfg.conv_channels, "depth": d,
                "pool": cfg.conv_pool, "seed": s}
               for d in cfg.conv_depths for s in range(cfg.feature_seeds)])


def validate(cfg) -> None:
    check(cfg.kernel_n is None or 10 < cfg.kernel_n <= 4000, "kernel_n must be in 11..4000")
    check(cfg.conv_channels > 0 and cfg.feature_seeds > 0, "conv_channels, feature_seeds > 0")
    check(all(int(d) == d and 1 <= d <= 3 for d in cfg.conv_depths), "conv_depths in 1..3")
    check(all(s > 0 for s in cfg.gaussian_scales), "gaussian_scales must be positive")


def _weights(rng, fan_in: int, channels: int):
    """He-normal filters (fan_in, channels) and N(0, 1) biases, float32."""
    w = rng.normal(size=(fan_in, channels)) * np.sqrt(2.0 / fan_in)
    return w.astype(np.float32), (rng.normal(size=channels) * BIAS_STD).astype(np.float32)


def _conv(h, w, b, kernel: int, pool: bool):
    """One random layer on (N, L, C) float32: conv ('same' zero padding) -> ReLU -> average
    over pairs of positions if pool."""
    hp = np.pad(h, ((0, 0), (kernel // 2, (kernel - 1) // 2), (0, 0)))
    length = h.shape[1]
    cols = np.concatenate([hp[:, t:t + length] for t in range(kernel)], axis=2)
    out = np.maximum(cols @ w + b, 0.0)
    return out[:, :length // 2 * 2].reshape(len(out), -1, 2, w.shape[1]).mean(2) if pool else out


def conv_gram(x, n: int, seed: int, channels: int, depth: int, pool: bool):
    """K = Φ Φ[:n]ᵀ (N, n) float64 for the flattened last-layer features Φ of x (N, L), scaled
    so that the training rows' mean diagonal is 1, and the feature count D. Earlier layers are
    built whole; the last one in blocks of BLOCK channels (the same filters whatever BLOCK),
    each block's Gram added in float64."""
    rng = np.random.default_rng(seed)
    h = (x / x[:n].std())[:, :, None].astype(np.float32)
    for layer in range(depth):
        kernel = KERNEL_SIZE if layer == 0 else 3
        w, b = _weights(rng, kernel * h.shape[2], channels)
        if layer < depth - 1:
            h = _conv(h, w, b, kernel, pool)
    gram, dim = np.zeros((len(x), n)), 0
    for start in range(0, channels, BLOCK):
        block = slice(start, start + BLOCK)
        phi = _conv(h, w[:, block], b[block], kernel, pool).reshape(len(x), -1).astype(np.float64)
        gram += phi @ phi[:n].T
        dim += phi.shape[1]
    return gram / np.mean(np.diag(gram[:n])), dim


def _data(n):
    d = build(DataSpec(n_train=n))
    return np.concatenate([d["x"], d["x_test"]]).astype(np.float64), d["y"], d["y_test"]


def interpolate(gram, y, y_test) -> dict:
    """Minimum-norm interpolant of centered one-hot targets: α = K⁻¹Y (Cholesky; float64).
    gram (N, n): training rows first. Norm: ‖f‖ = sqrt(Σ_k α_kᵀ K α_k) = sqrt(Σ α ⊙ Y)."""
    n = len(y)
    targets = np.eye(10)[y] - 0.1
    alpha = scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram[:n], lower=True), targets)
    fit = gram[:n] @ alpha
    return {"train/acc": np.mean(fit.argmax(1) == y), "train/max_error": np.abs(fit - targets).max(),
            "test/acc": np.mean((gram[n:] @ alpha).argmax(1) == y_test),
            "norm": np.sqrt(np.sum(alpha * targets))}


@functools.lru_cache(maxsize=1)
def _distances(n):
    x, _, _ = _data(n)
    n = n or 4000
    d2 = cdist(x, x[:n], "sqeuclidean")
    return d2, np.median(d2[:n][np.triu_indices(n, 1)])


def compute(c: dict) -> dict:
    """One feature map: the true-label interpolant, and (conv) a random-label one on the same
    features (labels drawn from the seed): {"summary": {...}}."""
    x, y, y_test = _data(c["n_train"])
    n = len(y)
    if c["features"] == "raw":  # d = 40 < n: the min-norm least-squares fit (cannot interpolate)
        feats = x / np.sqrt(np.mean(np.sum(x[:n] ** 2, 1)))
        w = np.linalg.lstsq(feats[:n], np.eye(10)[y] - 0.1, rcond=None)[0]
        out = {"train/acc": np.mean((feats[:n] @ w).argmax(1) == y),
               "test/acc": np.mean((feats[n:] @ w).argmax(1) == y_test),
               "norm": np.linalg.norm(w), "dim": feats.shape[1]}
    elif c["features"] == "gaussian":
        d2, median = _distances(c["n_train"])
        out = interpolate(np.exp(-d2 / (2 * c["scale"] ** 2 * median)), y, y_test)
    else:
        gram, dim = conv_gram(x, n, c["seed"], c["channels"], c["depth"], c["pool"])
        out = {**interpolate(gram, y, y_test), "dim": dim}
        shuffled = np.random.default_rng(c["seed"]).integers(0, 10, n)
        out.update({f"random/{k}": v for k, v in interpolate(gram, shuffled, y_test).items()})
    return {"summary": {k: float(v) for k, v in out.items()}}
