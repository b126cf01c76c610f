"""`genlab data` and `genlab bench`: the dataset writer and the speed benchmarks (sub-commands)."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from genlab.config import INT64, ConfigError

bench_app = typer.Typer(no_args_is_help=True, help="Speed benchmarks (see docs/BENCHMARKS.md).")
data_app = typer.Typer(no_args_is_help=True, help="Datasets.")
console = Console()


def check_output(path: Path, what: str = "--out", *, directory: bool = False) -> Path:
    """ConfigError (one line) unless `path` can be written: checked before anything is written,
    so a bad output path is refused instead of failing with a traceback half-way. A file must
    not be a directory (a directory output must not be a file); every existing ancestor must be
    a directory, the nearest existing one writable; names must fit the filesystem."""
    try:
        if path.exists():
            if path.is_dir() != directory:
                raise ConfigError(f"{what} {path} is {'not ' if directory else ''}a directory")
            if not os.access(path, os.W_OK | (os.X_OK if directory else 0)):
                raise ConfigError(f"{what} {path} is not writable")
            return path
        parent = path.absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise ConfigError(f"cannot write {what} {path}: {parent} is not a directory")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ConfigError(f"cannot write {what} {path}: {parent} is not writable")
    except OSError as e:  # e.g. a name too long for the filesystem
        raise ConfigError(f"cannot write {what} {path}: {e.strerror or e}") from None
    return path


def check_report_outputs(store: Path | None, out: Path | None) -> None:
    """The report's page and the figures and data folders it writes beside the store."""
    from genlab.report.export import outputs
    from genlab.store import DEFAULT_PATH
    beside = outputs(store or DEFAULT_PATH)
    check_output(out if out is not None else beside["report"], "--out" if out is not None else "report")
    check_output(beside["figures"], "figures folder", directory=True)
    check_output(beside["data"], "data folder", directory=True)


def _check_generator_args(given: dict) -> None:
    """Ints within int64 (NumPy overflows past it), floats finite (inf gave a NaN dataset)."""
    for name, value in given.items():
        for v in value if isinstance(value, tuple) else (value,):
            option = f"--{name.replace('_', '-')}"
            if isinstance(v, float) and not math.isfinite(v):
                raise ConfigError(f"{option} must be finite, got {v}")
            if isinstance(v, int) and not isinstance(v, bool) and not INT64[0] <= v <= INT64[1]:
                raise ConfigError(f"{option} must fit in int64, got {v}")


@data_app.command("mnist1d")
def data_mnist1d(out: Path = typer.Option(..., help="output .npz"),
                 num_samples: Optional[int] = None, train_split: Optional[float] = None,
                 padding: Optional[tuple[int, int]] = typer.Option(None, help="LO HI"),
                 scale_coeff: Optional[float] = None, max_translation: Optional[int] = None,
                 corr_noise_scale: Optional[float] = None, iid_noise_scale: Optional[float] = None,
                 shear_scale: Optional[float] = None, shuffle_seq: bool = typer.Option(False),
                 final_seq_length: Optional[int] = None, seed: Optional[int] = None):
    """Write MNIST-1D (keys x, x_test, y, y_test, t): the frozen set, or generated with any option."""
    import numpy as np

    from genlab.data import mnist1d
    given = {k: v for k, v in dict(
        num_samples=num_samples, train_split=train_split, padding=padding, scale_coeff=scale_coeff,
        max_translation=max_translation, corr_noise_scale=corr_noise_scale,
        iid_noise_scale=iid_noise_scale, shear_scale=shear_scale, final_seq_length=final_seq_length,
        seed=seed).items() if v is not None}
    if shuffle_seq:
        given["shuffle_seq"] = True
    _check_generator_args(given)
    args = mnist1d.MNIST1DArgs(**given) if given else None
    if out.suffix != ".npz":
        raise ConfigError(f"--out must end in .npz, got {out}")
    check_output(out)
    d = mnist1d.make_dataset(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **{k: d[k] for k in ("x", "x_test", "y", "y_test", "t")})
    console.print(f"wrote {out} ({'generated' if given else 'frozen'}: {len(d['y'])} train, "
                  f"{len(d['y_test'])} test)")


@bench_app.command("train")
def bench_train(json_out: bool = typer.Option(False, "--json"), ensemble: int = 64,
                steps: int = typer.Option(300, help="timed steps per measurement"),
                member_chunk: int = typer.Option(8, help="members per pass inside the ensemble "
                                                 "program (TrainSpec.member_chunk; 0 = all at once)"),
                member_devices: Optional[int] = typer.Option(None, help="XLA devices the "
                                                             "passes are spread over (default: "
                                                             "all there are; GENLAB_DEVICES="
                                                             "cores makes one per core)"),
                model: Optional[list[str]] = typer.Option(None, "--model", help="models to time "
                                                          "(repeatable; default mlp and cnn)")):
    """Model-steps/s: one model at a time vs a vmapped ensemble in lax.scan; fp32 matmul rate."""
    from genlab import models
    from genlab.bench.train import bench_train as run_bench
    from genlab.bench.train import print_table
    if member_chunk < 0 or (member_devices is not None and member_devices < 1) or ensemble < 1 or steps < 1:
        raise ConfigError("ensemble, steps and member-devices must be >= 1, member-chunk >= 0")
    for name in model or ():
        if name not in models.names():
            raise ConfigError(f"unknown model {name!r}; choices: {', '.join(models.names())}")
    result = run_bench(ensemble=ensemble, steps=steps, member_chunk=member_chunk,
                       member_devices=member_devices, models_=tuple(model or ("mlp", "cnn")))
    typer.echo(json.dumps(result, indent=1)) if json_out else print_table(result, console)


@bench_app.command("stream")
def bench_stream(json_out: bool = typer.Option(False, "--json")):
    """Ideal-World cost: a fresh MNIST-1D batch as a fraction of an MLP train step."""
    from genlab.bench.stream import bench_stream as run_bench
    _print_json_or_dict(run_bench(), json_out)


@bench_app.command("n-axis")
def bench_n_axis(json_out: bool = typer.Option(False, "--json"), steps: int = 1000,
                 repeats: int = typer.Option(3, help="compiled passes timed; the fastest counts")):
    """A grid over N: one padded program (N a member axis) vs one program per N."""
    from genlab.bench.members_n import bench_n_axis as run_bench
    if steps < 1 or repeats < 1:
        raise ConfigError("steps and repeats must be >= 1")
    _print_json_or_dict(run_bench(steps=steps, repeats=repeats), json_out)


@bench_app.command("ray")
def bench_ray(json_out: bool = typer.Option(False, "--json"), groups: int = 12, steps: int = 1000):
    """Many small compile groups on a local Ray: 1 vs 2 worker CPUs."""
    from genlab.bench.ray_workers import bench_ray as run_bench
    _print_json_or_dict(run_bench(groups=groups, steps=steps), json_out)


@bench_app.command("profile")
def bench_profile(json_out: bool = typer.Option(False, "--json"), members: int = 64,
                  trace: Optional[str] = typer.Option(None, help="write a jax.profiler trace here")):
    """Where an ensemble's train step goes: forward, backward, Adam, batch gather (ablation)."""
    from genlab.bench.profile import bench_profile as run_bench
    _print_json_or_dict(run_bench(members=members, trace_dir=trace), json_out)


@bench_app.command("kernels")
def bench_kernels(json_out: bool = typer.Option(False, "--json"), n: int = 5000,
                  cntk_n: Optional[int] = typer.Option(None, help="rows for the CNTK (default n)")):
    """Time and peak memory of the n x n FC depth-3 NTK and 1-D CNTK Gram matrices."""
    from genlab.config import check
    from genlab.kernels.bench import bench_kernels as run_bench
    check(n > 0, f"n must be positive, got {n}")
    _print_json_or_dict(run_bench(n=n, cntk_n=cntk_n), json_out)


def _print_json_or_dict(result: dict, json_out: bool) -> None:
    if json_out:
        typer.echo(json.dumps(result, indent=1))
        return
    for k, v in result.items():
        console.print(f"{k}: {v}")


def migrate(store: Optional[Path] = typer.Option(None, "--store", help="SQLite store (default "
                                                 "./genlab-runs/genlab.sqlite)")):
    """Migrate a store written by an older genlab to the current run-record schema (ids, status)."""
    from genlab.store import DEFAULT_PATH
    from genlab.store.migrate import migrate as migrate_store
    counts = migrate_store(store or DEFAULT_PATH)
    console.print(f"migrated {store or DEFAULT_PATH}: {counts}")
