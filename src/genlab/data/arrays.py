"""User arrays (classification or regression) as engine data: validated, then a source and eval sets."""
from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np

from genlab.config import ConfigError, check
from genlab.data.sources import FiniteSource

KEYS = ("x", "y", "x_test", "y_test")


def array_data(x, y, x_test, y_test) -> dict:
    """Check shapes and types; return {x, y, x_test, y_test, task, num_outputs}.

    Integer y (N,) = classification with num_outputs = number of classes (max label + 1);
    float y (N,) or (N, K) = regression with K outputs ((N,) becomes (N, 1)). x may be float
    features or integer indices (matrix entries); x and x_test must agree past the first axis.
    """
    x, y, x_test, y_test = (np.asarray(a) for a in (x, y, x_test, y_test))
    check(len(x) == len(y) and len(x_test) == len(y_test),
          f"x/y lengths differ: {len(x)}/{len(y)} train, {len(x_test)}/{len(y_test)} test")
    check(len(x) > 0 and len(x_test) > 0, "empty training or test set")
    check(x.shape[1:] == x_test.shape[1:], f"x {x.shape[1:]} and x_test {x_test.shape[1:]} differ")
    check(y.dtype.kind == y_test.dtype.kind, "y and y_test must both be integer or both float")
    if y.dtype.kind in "iu":
        check(y.ndim == 1 and y.min() >= 0 and y_test.min() >= 0, "class labels must be (N,) and >= 0")
        out = {"task": "classification", "num_outputs": int(max(y.max(), y_test.max())) + 1,
               "y": y.astype(np.int32), "y_test": y_test.astype(np.int32)}
    elif y.dtype.kind == "f":
        y, y_test = (a[:, None] if a.ndim == 1 else a for a in (y, y_test))
        check(y.ndim == 2 and y.shape[1:] == y_test.shape[1:], "regression targets must be (N,) or (N, K)")
        out = {"task": "regression", "num_outputs": int(y.shape[1]),
               "y": y.astype(np.float32), "y_test": y_test.astype(np.float32)}
    else:
        raise ConfigError(f"y must be integer labels or float targets, got dtype {y.dtype}")
    x_type = np.int32 if x.dtype.kind in "iu" else np.float32
    return {**out, "x": x.astype(x_type), "x_test": x_test.astype(x_type)}


def load_npz(path: str | Path) -> dict:
    """array_data from a .npz holding x, y, x_test, y_test."""
    path = Path(path)
    check(path.is_file(), f"no such file: {path}")
    with np.load(path) as f:
        missing = [k for k in KEYS if k not in f]
        check(not missing, f"{path} lacks {', '.join(missing)}; needs {', '.join(KEYS)}")
        return array_data(*(f[k] for k in KEYS))


def source_and_evals(data: dict, batch_size: int | None = None, batching: str = "slices",
                     eval_train_max: int | None = None):
    """(FiniteSource, {"train", "test"} eval sets) for train_many; batch_size None = full batch."""
    bs = batch_size or len(data["x"])
    source = FiniteSource(jnp.asarray(data["x"]), jnp.asarray(data["y"]), bs, batching)
    cap = eval_train_max or len(data["x"])
    evals = {"train": (jnp.asarray(data["x"][:cap]), jnp.asarray(data["y"][:cap])),
             "test": (jnp.asarray(data["x_test"]), jnp.asarray(data["y_test"]))}
    return source, evals
