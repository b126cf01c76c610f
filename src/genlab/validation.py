"""Checks that make a bad config a ConfigError before any store is opened: values in range, sizes
that fit the data, and no option that would be silently ignored in the chosen combination."""
from __future__ import annotations

import math
import numbers

from genlab.config import check

JAX_IGNORED_GENERATOR = ("seed", "num_samples", "train_split")  # sizes/seeds come from the spec


def finite_number(name: str, value, *, low: float | None = None, positive: bool = False) -> None:
    """ConfigError unless value is a real, finite number (bools excluded) within the bound."""
    check(isinstance(value, numbers.Real) and not isinstance(value, bool),
          f"{name} must be a number, got {value!r}")
    check(math.isfinite(value), f"{name} must be finite, got {value}")
    check(not positive or value > 0, f"{name} must be > 0, got {value}")
    check(low is None or value >= low, f"{name} must be >= {low}, got {value}")


def integer(name: str, value, *, low: int | None = None) -> None:
    check(isinstance(value, numbers.Integral) and not isinstance(value, bool),
          f"{name} must be an integer, got {value!r}")
    check(low is None or value >= low, f"{name} must be >= {low}, got {value}")


def check_train_spec(spec) -> None:
    """TrainSpec options that are out of range or would have no effect."""
    for name in ("steps", "batch_size", "eval_every", "eval_batch", "eval_train_max"):
        integer(name, getattr(spec, name), low=1)
    integer("warmup_steps", spec.warmup_steps, low=0)
    finite_number("momentum", spec.momentum, low=0.0)
    check(spec.momentum < 1.0, f"momentum must be < 1, got {spec.momentum}")
    finite_number("rms_decay", spec.rms_decay, low=0.0)
    check(spec.rms_decay < 1.0, f"rms_decay must be < 1, got {spec.rms_decay}")
    finite_number("rms_eps", spec.rms_eps, positive=True)
    finite_number("diverge_factor", spec.diverge_factor)
    check(spec.diverge_factor > 1, f"diverge_factor must be > 1, got {spec.diverge_factor}")
    check(spec.warmup_steps == 0 or spec.schedule == "warmup_cosine",
          f"warmup_steps={spec.warmup_steps} has no effect with schedule {spec.schedule!r} "
          "(use schedule='warmup_cosine')")
    check(spec.warmup_steps <= spec.steps, f"warmup_steps ({spec.warmup_steps}) exceeds steps ({spec.steps})")
    # rmsprop reads `momentum` as the decay of its squared-gradient average (optim.make_optimizer)
    check(spec.momentum == 0.9 or spec.optimizer in ("momentum", "rmsprop"),
          f"momentum={spec.momentum} has no effect with optimizer {spec.optimizer!r}")
    for name in ("rms_decay", "rms_eps"):  # global_rms's decay and eps (optim.scale_by_global_rms)
        value, default = getattr(spec, name), type(spec).__dataclass_fields__[name].default
        check(value == default or spec.optimizer == "global_rms",
              f"{name}={value} has no effect with optimizer {spec.optimizer!r} (global_rms only)")


def check_data_spec(spec) -> None:
    """DataSpec options that are out of range, would be ignored, or ask for more rows than exist."""
    from genlab.data.corrupt import CONDITIONS
    check(isinstance(spec.generator, dict), f"generator must be a dict, got {spec.generator!r}")
    check(spec.condition in CONDITIONS, f"unknown condition {spec.condition!r}; choices: {', '.join(CONDITIONS)}")
    finite_number("label_noise", spec.label_noise, low=0.0)
    finite_number("augment_noise", spec.augment_noise, low=0.0)
    integer("seed", spec.seed, low=0)
    integer("augment_shift", spec.augment_shift, low=0)
    for name in ("n_train", "n_test"):
        if getattr(spec, name) is not None:
            integer(name, getattr(spec, name), low=1)
    check(spec.label_noise == 0 or spec.condition in ("true", "corrupt"),
          f"label_noise={spec.label_noise} has no effect with condition {spec.condition!r}")
    from genlab.data.corrupt import NOISE_KINDS
    check(spec.label_noise_kind in NOISE_KINDS, f"unknown label_noise_kind "
          f"{spec.label_noise_kind!r}; choices: {', '.join(NOISE_KINDS)}")
    check(spec.label_noise_kind == "uniform" or spec.label_noise > 0,
          f"label_noise_kind={spec.label_noise_kind!r} has no effect without label_noise")
    from genlab.data.mnist1d import MNIST1DArgs
    known = {f for f in MNIST1DArgs.__dataclass_fields__}
    unknown = sorted(set(map(str, spec.generator)) - known)
    check(not unknown, f"unknown generator option(s) {', '.join(unknown)}; choices: {', '.join(sorted(known))}")
    args = spec.generator_args()
    if spec.sampler == "jax":
        ignored = [k for k in JAX_IGNORED_GENERATOR if k in spec.generator]
        check(not ignored, f"generator {', '.join(ignored)} has no effect with sampler='jax' "
                           "(its sizes are n_train / n_test, its seed the DataSpec seed)")
        check(not args.shuffle_seq, "shuffle_seq is not supported by sampler='jax'")
        return
    rows = 10 * (args.num_samples // 10)
    train_rows = int(rows * args.train_split)
    check(spec.n_train is None or spec.n_train <= train_rows,
          f"n_train {spec.n_train} exceeds the {train_rows} training rows of the data")
    check(spec.n_test is None or spec.n_test <= rows - train_rows,
          f"n_test {spec.n_test} exceeds the {rows - train_rows} test rows of the data")


def train_rows(spec) -> int | None:
    """Rows a DataSpec trains on (None for a stream)."""
    if spec.stream:
        return None
    if spec.sampler == "jax":
        from genlab.data.datasets import JAX_N_TRAIN
        return spec.n_train or JAX_N_TRAIN
    args = spec.generator_args()
    return spec.n_train or int(10 * (args.num_samples // 10) * args.train_split)


def check_job(job) -> None:
    """A Job's own numbers, and how its TrainSpec meets its DataSpec."""
    finite_number("lr", job.lr, positive=True)
    finite_number("weight_decay", job.weight_decay, low=0.0)
    integer("seed", job.seed, low=0)
    check(job.init_seed is None or (isinstance(job.init_seed, numbers.Integral) and job.init_seed >= 0),
          f"init_seed must be None or an integer >= 0, got {job.init_seed!r}")
    check(isinstance(job.model_kwargs, dict) and isinstance(job.tags, dict),
          "model_kwargs and tags must be dicts")
    n = train_rows(job.data)
    if n is None:
        check(job.train.batching == "reshuffle",
              f"batching={job.train.batching!r} has no effect on a stream (fresh batches every step)")
    else:
        check(job.train.batch_size <= n or job.train.batching == "slices",
              f"batch_size {job.train.batch_size} is larger than the training set ({n}) "
              "with batching='reshuffle'")
