"""Randomization-test corruptions (Zhang et al. 2017): noisy/random labels, shuffled/noise inputs."""
from __future__ import annotations

import numpy as np

from genlab.config import ConfigError, check

CONDITIONS = ("true", "corrupt", "random_labels", "shuffled_pixels", "random_pixels", "gaussian")


def _rng(seed) -> np.random.Generator:
    """An int seeds a fresh Generator; a Generator is used (and advanced) as is."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


NOISE_KINDS = ("uniform", "wrong")


def corrupt_labels(y: np.ndarray, p: float, seed, num_classes: int = 10,
                   kind: str = "uniform") -> tuple[np.ndarray, float]:
    """Replace each label independently with probability p by a uniform class (kind "uniform",
    Zhang et al.: it may be the same one, so about p * (1 - 1/num_classes) change) or by a uniform
    *wrong* class (kind "wrong", the Deep Bootstrap's code: a fraction p changes).
    (N,) -> ((N,) same dtype, realized fraction changed)."""
    check(kind in NOISE_KINDS, f"unknown label noise kind {kind!r}; choices: {', '.join(NOISE_KINDS)}")
    check(0.0 <= p <= 1.0, f"label corruption p must be in [0, 1], got {p}")
    y = np.asarray(y)
    rng = _rng(seed)
    replace = rng.random(y.shape) < p
    if kind == "wrong":
        other = (y + rng.integers(1, num_classes, y.shape)) % num_classes
    else:
        other = rng.integers(0, num_classes, y.shape)
    y_new = np.where(replace, other, y).astype(y.dtype)
    return y_new, float(np.mean(y_new != y)) if y.size else 0.0


def random_labels(y: np.ndarray, seed, num_classes: int = 10) -> tuple[np.ndarray, float]:
    """Every label replaced by a uniform class: corrupt_labels with p = 1."""
    return corrupt_labels(y, 1.0, seed, num_classes)


def fixed_permutation(length: int, seed) -> np.ndarray:
    """One permutation of `length` positions, to be shared by every example (train and test)."""
    return _rng(seed).permutation(length)


def chunk_permutation(length: int, chunk: int, seed) -> np.ndarray:
    """Positions regrouped as `chunk`-sample blocks in a fixed random order (never the identity):
    each block keeps its inner order, so local structure survives while the layout moves."""
    check(length % chunk == 0 and length // chunk > 1, f"{length} positions do not split into chunks of {chunk}")
    blocks, rng = length // chunk, _rng(seed)
    order = np.arange(blocks)
    while np.array_equal(order, np.arange(blocks)):
        order = rng.permutation(blocks)
    return (order[:, None] * chunk + np.arange(chunk)[None]).ravel()


def shuffle_pixels(x: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """Apply one position permutation to every row: (N, D) -> (N, D), out[:, j] = x[:, perm[j]]."""
    x, perm = np.asarray(x), np.asarray(perm)
    check(np.array_equal(np.sort(perm), np.arange(x.shape[-1])),
          f"perm must be a permutation of {x.shape[-1]} positions")
    return x[..., perm]


def random_pixels(x: np.ndarray, seed) -> np.ndarray:
    """A different random permutation of positions for each row: (N, D) -> (N, D)."""
    return _rng(seed).permuted(np.asarray(x), axis=-1)


def gaussian_pixels(x: np.ndarray, seed, mean: float | None = None,
                    std: float | None = None) -> np.ndarray:
    """I.i.d. Gaussian inputs with the dataset's overall mean / std (from x unless given);
    same shape and dtype as x."""
    x = np.asarray(x)
    mean = float(x.mean()) if mean is None else float(mean)
    std = float(x.std()) if std is None else float(std)
    return _rng(seed).normal(mean, std, x.shape).astype(x.dtype)


def apply_condition(name: str, x: np.ndarray, y: np.ndarray, x_test: np.ndarray, seed,
                    p: float = 0.0, noise_kind: str = "uniform") -> dict:
    """Apply a randomization condition to the training split: dict(x, y, x_test,
    realized_fraction). Only "shuffled_pixels" touches x_test (the same permutation as x); the
    test set otherwise stays clean. p is read only by "corrupt"."""
    if name not in CONDITIONS:
        raise ConfigError(f"unknown condition {name!r}; choices: {', '.join(CONDITIONS)}")
    realized = 0.0
    if name == "corrupt":
        y, realized = corrupt_labels(y, p, seed, kind=noise_kind)
    elif name == "random_labels":
        y, realized = random_labels(y, seed)
    elif name == "shuffled_pixels":
        perm = fixed_permutation(np.shape(x)[-1], seed)
        x, x_test = shuffle_pixels(x, perm), shuffle_pixels(x_test, perm)
    elif name == "random_pixels":
        x = random_pixels(x, seed)
    elif name == "gaussian":
        x = gaussian_pixels(x, seed)
    return {"x": x, "y": y, "x_test": x_test, "realized_fraction": realized}
