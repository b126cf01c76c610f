"""MNIST-1D (Greydanus 2020): the canonical NumPy generator and the checksummed frozen set."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.resources
import json

import numpy as np

from genlab.config import ConfigError, check

# Global mean / population std of the raw default signals (all 5000 rows, before standardizing),
# re-derived by tests/data/test_mnist1d.py. Fixed constants let streamed batches be standardized
# exactly like the frozen set, never with per-batch statistics.
FROZEN_MEAN = -0.0055075064312771795
FROZEN_STD = 0.15467803420593054

NUM_CLASSES = 10
EPS = 1e-8  # added to the digit so its zeros differ from the padding zeros
SIGMA, TRUNCATE = 2.0, 4.0  # the correlated-noise Gaussian filter (scipy.ndimage semantics)
FROZEN_KEYS = ("x", "x_test", "y", "y_test", "t",
               "templates_x", "templates_t", "templates_y")
_RAW_TEMPLATES = (
    (5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5),
    (5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5),
    (5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5),
    (5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5),
    (5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5),
    (5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5),
    (5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5),
    (5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5),
    (5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5),
    (5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5),
)


@dataclasses.dataclass(frozen=True)
class MNIST1DArgs:
    """The reference generator's arguments; the defaults (seed 42) give the frozen set."""
    num_samples: int = 5000
    train_split: float = 0.8
    template_len: int = 12
    padding: tuple[int, int] = (36, 60)
    scale_coeff: float = 0.4
    max_translation: int = 48
    corr_noise_scale: float = 0.25
    iid_noise_scale: float = 0.02
    shear_scale: float = 0.75
    shuffle_seq: bool = False
    final_seq_length: int = 40
    seed: int = 42

    def __post_init__(self):
        # JSON round trips hand back lists; a tuple keeps the args hashable (a jit static arg).
        check(isinstance(self.padding, (tuple, list)), f"padding must be (lo, hi), got {self.padding!r}")
        object.__setattr__(self, "padding", tuple(self.padding))
        lo_hi = self.padding
        check(len(lo_hi) == 2 and all(_is_int(v) for v in lo_hi),
              f"padding must be two ints (lo, hi), got {lo_hi}")
        check(0 <= lo_hi[0] <= lo_hi[1], f"padding needs 0 <= lo <= hi, got {lo_hi}")
        check(_is_int(self.num_samples) and self.num_samples >= NUM_CLASSES,
              f"num_samples must be an int >= {NUM_CLASSES}, got {self.num_samples}")
        check(0.0 < self.train_split < 1.0, f"train_split must be in (0, 1), got {self.train_split}")
        check(_is_int(self.template_len) and self.template_len >= 1,
              f"template_len must be an int >= 1, got {self.template_len}")
        for name in ("scale_coeff", "corr_noise_scale", "iid_noise_scale", "shear_scale"):
            check(getattr(self, name) >= 0, f"{name} must be >= 0, got {getattr(self, name)}")
        check(_is_int(self.max_translation) and self.max_translation >= 1,
              f"max_translation must be an int >= 1, got {self.max_translation}")
        check(_is_int(self.final_seq_length) and self.final_seq_length >= 1,
              f"final_seq_length must be an int >= 1, got {self.final_seq_length}")
        check(isinstance(self.shuffle_seq, (bool, np.bool_)),
              f"shuffle_seq must be a bool, got {self.shuffle_seq!r}")
        check(_is_int(self.seed) and 0 <= self.seed < 2**32,
              f"seed must be an int in [0, 2**32), got {self.seed}")

    def is_default(self) -> bool:
        return self == MNIST1DArgs()

    @property
    def internal_length(self) -> int:
        """L = template_len + padding hi: the length of the intermediate signal."""
        return self.template_len + self.padding[1]


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def templates() -> dict:
    """The 10 digit templates: x (10, 12) float64, t (12,) float64, y (10,) int64."""
    x = np.array(_RAW_TEMPLATES, dtype=np.float64)
    x -= x.mean(1, keepdims=True)
    x /= x.std(1, keepdims=True)
    x -= x[:, :1]  # every digit starts (and, but for rounding, ends) at 0
    return {"x": x / 6.0, "t": np.linspace(-5, 5, x.shape[1]) / 6.0,
            "y": np.arange(NUM_CLASSES, dtype=np.int64)}


def _verify(arrays: dict, digests: dict) -> None:
    """Raise ValueError unless each array's sha256 (of `arr.tobytes()`) matches `digests`."""
    if set(arrays) != set(digests):
        raise ValueError(f"frozen MNIST-1D keys {sorted(arrays)} != checksummed {sorted(digests)}")
    for name, arr in arrays.items():
        got = hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
        if got != digests[name]:
            raise ValueError(f"frozen MNIST-1D array {name!r} fails its sha256 check "
                             f"(got {got[:12]}..., expected {digests[name][:12]}...)")


@functools.lru_cache(maxsize=2)
def _load_frozen(verify: bool) -> dict:
    root = importlib.resources.files("genlab.data").joinpath("frozen")
    with root.joinpath("mnist1d_frozen.npz").open("rb") as f, np.load(f, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    if verify:
        _verify(arrays, json.loads(root.joinpath("mnist1d_frozen.sha256.json").read_text()))
    for arr in arrays.values():
        arr.setflags(write=False)  # cached and shared: nobody may edit them in place
    return arrays


def load_frozen(verify: bool = True) -> dict[str, np.ndarray]:
    """The frozen reference arrays (read-only): x (4000, 40), x_test (1000, 40), y, y_test,
    t (40,), templates_x (10, 12), templates_t (12,), templates_y (10,)."""
    return dict(_load_frozen(bool(verify)))


def sample_params(rng: np.random.RandomState, n: int, args: MNIST1DArgs) -> dict:
    """Per-sample random parameters, drawn sample by sample in the reference's order.

    padding (n,) int: zeros appended; scale (n,): multiplicative factor; shift (n,) int: circular
    shift right; corr_noise (n, L): scaled, not yet filtered; white_noise (n, L): scaled;
    shear (n,): slope coefficient of the linear ramp subtracted.
    """
    lo, hi = args.padding
    length = args.internal_length
    out = {"padding": np.empty(n, np.int64), "scale": np.empty(n), "shift": np.empty(n, np.int64),
           "corr_noise": np.empty((n, length)), "white_noise": np.empty((n, length)),
           "shear": np.empty(n)}
    for i in range(n):
        out["padding"][i] = lo + int(rng.rand() * (hi - lo + 1))
        out["scale"][i] = 1 + args.scale_coeff * (rng.rand() - 0.5)
        out["shift"][i] = rng.randint(0, args.max_translation)
        out["corr_noise"][i] = args.corr_noise_scale * rng.randn(length)
        out["white_noise"][i] = args.iid_noise_scale * rng.randn(length)
        out["shear"][i] = args.shear_scale * (rng.rand() - 0.5)
    return out


def _resample(v: np.ndarray, num: int) -> np.ndarray:
    """Linear resampling of (m,) onto `num` evenly spaced points spanning the same ends."""
    return np.interp(np.linspace(0, 1, num), np.linspace(0, 1, len(v)), v)


def _place(template_rows: np.ndarray, params: dict, args: MNIST1DArgs) -> np.ndarray:
    """Steps 1-5 (pad, resample, scale, shift): (n, template_len') -> (n, L); 0 marks padding."""
    out = np.empty((len(template_rows), args.internal_length))
    for i, row in enumerate(template_rows):
        v = np.concatenate([row + EPS, np.zeros(params["padding"][i])])
        v = _resample(v, args.internal_length) * params["scale"][i]
        out[i] = np.roll(v, params["shift"][i])  # out[j] = v[(j - k) mod L]
    return out


def transform_numpy(template_rows: np.ndarray, params: dict, args: MNIST1DArgs) -> np.ndarray:
    """Per-sample transform before standardization: (n, 12) templates -> (n, final_seq_length)."""
    from scipy.ndimage import gaussian_filter1d  # deferred: only generation needs scipy

    v = _place(template_rows, params, args)
    corr = gaussian_filter1d(params["corr_noise"], SIGMA, axis=-1, mode="reflect",
                             truncate=TRUNCATE)
    v = np.where(v != 0, v, corr) + params["white_noise"]
    v = v - params["shear"][:, None] * np.linspace(-0.5, 0.5, args.internal_length)[None, :]
    return np.stack([_resample(row, args.final_seq_length) for row in v])


def _generate_raw(args: MNIST1DArgs) -> dict:
    """Unstandardized signals in final row (and column) order: x (N, F), y (N,), t (F,)."""
    rng = np.random.RandomState(args.seed)
    tmpl = templates()
    y = np.repeat(tmpl["y"], args.num_samples // NUM_CLASSES)  # class by class, 0..9
    x = transform_numpy(tmpl["x"][y], sample_params(rng, len(y), args), args)
    t = _resample(_resample(tmpl["t"], args.internal_length), args.final_seq_length)
    perm = rng.permutation(len(y))
    x, y = x[perm], y[perm]
    if args.shuffle_seq:
        x = x[:, rng.permutation(args.final_seq_length)]
    return {"x": x, "y": y, "t": t}


def generate(args: MNIST1DArgs | None = None) -> dict:
    """Run the generator: x (n_train, F) float64, x_test (N - n_train, F), y, y_test (int64),
    t (F,), with N = 10 * (num_samples // 10) and n_train = int(N * train_split)."""
    args = MNIST1DArgs() if args is None else args
    raw = _generate_raw(args)
    x, y = raw["x"], raw["y"]
    mean, std = x.mean(), x.std()  # over train and test together, as the reference does
    x = (x - mean) / std
    n_train = int(len(y) * args.train_split)
    return {"x": x[:n_train], "x_test": x[n_train:], "y": y[:n_train], "y_test": y[n_train:],
            "t": raw["t"] / std}


def make_dataset(args: MNIST1DArgs | None = None) -> dict:
    """The frozen arrays (copies) for default args, else `generate(args)`; keys x, x_test, y,
    y_test, t."""
    if args is not None and not isinstance(args, MNIST1DArgs):
        raise ConfigError(f"expected MNIST1DArgs, got {type(args).__name__}")
    if args is None or args.is_default():
        frozen = load_frozen()
        return {k: frozen[k].copy() for k in ("x", "x_test", "y", "y_test", "t")}
    return generate(args)
