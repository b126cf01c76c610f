"""DataSpec: a recorded, seeded recipe for a training set (which MNIST-1D, corruption, positions)."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from genlab.config import canonical_json, check

POSITIONS = ("none", "shuffle", "flip")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """generator: MNIST1DArgs overrides ({} = the frozen canonical set). n_train: keep the first n
    training rows (None = all). condition/label_noise: a genlab.data.corrupt condition applied to
    the training split. positions: a fixed permutation ('shuffle', applied to train and test) or a
    left-right flip. seed: the corruption / permutation seed (recorded; not the training seed).
    augment_shift / augment_noise: per-batch random circular shifts / Gaussian noise in training."""
    generator: dict = dataclasses.field(default_factory=dict)
    n_train: int | None = None
    condition: str = "true"
    label_noise: float = 0.0
    positions: str = "none"
    seed: int = 0
    augment_shift: int = 0
    augment_noise: float = 0.0

    def __post_init__(self):
        check(self.n_train is None or self.n_train > 0, f"n_train must be positive, got {self.n_train}")
        check(0.0 <= self.label_noise <= 1.0, f"label_noise must be in [0, 1], got {self.label_noise}")
        check(self.positions in POSITIONS, f"unknown positions {self.positions!r}; choices: {', '.join(POSITIONS)}")
        check(self.augment_shift >= 0 and self.augment_noise >= 0, "augmentation must be non-negative")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def shape_key(self) -> str:
        """What fixes array shapes: members whose specs differ only elsewhere share a program."""
        return canonical_json({"generator": self.generator, "n_train": self.n_train,
                               "augment": [self.augment_shift, self.augment_noise]})


def build(spec: DataSpec) -> dict:
    """Arrays x, y, x_test, y_test (float32 / int32) plus info {realized_noise}."""
    return _build(canonical_json(spec.to_dict()))


@functools.lru_cache(maxsize=32)
def _build(key: str) -> dict:
    from genlab.data import corrupt, mnist1d

    spec = DataSpec(**__import__("json").loads(key))
    args = mnist1d.MNIST1DArgs(**_tuples(spec.generator)) if spec.generator else None
    d = mnist1d.make_dataset(args)
    x, y, x_test, y_test = d["x"], d["y"], d["x_test"], d["y_test"]
    if spec.n_train is not None:
        check(spec.n_train <= len(x), f"n_train {spec.n_train} exceeds the {len(x)} training rows")
        x, y = x[:spec.n_train], y[:spec.n_train]
    if spec.positions == "shuffle":
        perm = corrupt.fixed_permutation(x.shape[1], spec.seed)
        x, x_test = corrupt.shuffle_pixels(x, perm), corrupt.shuffle_pixels(x_test, perm)
    elif spec.positions == "flip":
        x, x_test = x[:, ::-1], x_test[:, ::-1]
    out = corrupt.apply_condition(spec.condition, x, y, x_test, spec.seed, p=spec.label_noise)
    result = {"x": np.asarray(out["x"], np.float32), "y": np.asarray(out["y"], np.int32),
              "x_test": np.asarray(out["x_test"], np.float32), "y_test": np.asarray(y_test, np.int32),
              "realized_noise": float(out.get("realized_fraction", 0.0))}
    for v in result.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return result


def _tuples(gen: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in gen.items()}
