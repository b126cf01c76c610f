"""genlab CLI (typer): thin — parse, build config, call, print; ConfigError -> one line, exit 2."""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from genlab.config import ConfigError


class _OneLineErrors(TyperGroup):
    """Bad input of any kind (ConfigError, or a usage error such as a wrong type) prints one
    line on stderr and exits 2: the same in-process (typer.testing.CliRunner) and from a shell."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ConfigError, typer.exceptions.TyperException) as e:
            if not isinstance(e, ConfigError) and not hasattr(e, "format_message"):
                raise  # not a usage error (typer's own internals)
            message = e.format_message() if not isinstance(e, ConfigError) else str(e)
            typer.echo(f"error: {' '.join(message.split())}", err=True)
            ctx.exit(2)


app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True, help=__doc__)
bench_app = typer.Typer(no_args_is_help=True, help="Speed benchmarks (see docs/BENCHMARKS.md).")
data_app = typer.Typer(no_args_is_help=True, help="Datasets.")
app.add_typer(bench_app, name="bench")
app.add_typer(data_app, name="data")
console = Console()
STORE_OPT = typer.Option(None, "--store", help="SQLite store (default ./genlab-runs/genlab.sqlite)")


@app.command("list")
def list_cmd():
    """Experiments and their presets."""
    from genlab import experiments
    table = Table("experiment", "what it shows", "presets", box=None)
    for name in experiments.names():
        exp = experiments.get(name)
        table.add_row(f"[bold]{name}[/bold]", exp.title, ", ".join(exp.presets))
    console.print(table)


@app.command()
def run(experiment: str, preset: str = typer.Option("quick", help="smoke | quick | paper"),
        seeds: Optional[int] = typer.Option(None, help="number of seeds"),
        set_: Optional[list[str]] = typer.Option(None, "--set", help="override: key=value"),
        store: Optional[Path] = STORE_OPT, progress: bool = typer.Option(True),
        executor: str = typer.Option("local", help="local | ray (optional extra)"),
        address: Optional[str] = typer.Option(None, help="Ray cluster to join (with --executor ray)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="count runs and compiled programs; train nothing"),
        retry_diverged: bool = typer.Option(False, "--retry-diverged",
                                            help="also retrain runs stored as diverged")):
    """Run EXPERIMENT (resumes: finished runs are skipped), then print its table and draw figures."""
    from genlab import experiments
    from genlab.store import open_store
    exp = experiments.get(experiment)
    cfg = exp.config(preset, seeds=seeds, sets=set_)
    _check_executor(executor, address)
    if dry_run:
        return _print_plan(exp, cfg)
    db = open_store(store)
    from genlab.sweep.resume import retrying_diverged
    with retrying_diverged(retry_diverged):
        exp.execute(cfg, db, progress=progress, executor=executor, address=address)
    _print_analysis(exp.analyze(db))
    for path in exp.plot(db, db.path.parent / "figures"):
        console.print(f"figure: {path}")


def _check_executor(executor: str, address: str | None) -> None:
    from genlab.sweep.executor import ExecutorSpec
    ExecutorSpec(executor, address)  # raises ConfigError on a bad combination
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError("the ray executor needs Ray: pip install -e '.[ray]'")


def _print_plan(exp, cfg) -> None:
    """Size of a sweep before running it: runs, compiled programs, model-steps."""
    if exp.jobs is None:
        console.print(f"{exp.name}: custom run (not a job sweep); config: {cfg}")
        return
    from genlab.sweep import group_jobs
    jobs = exp.jobs(cfg)
    groups = group_jobs(jobs)
    steps = sum(j.train.steps for j in jobs)
    console.print(f"{exp.name}: {len(jobs)} runs in {len(groups)} compiled programs "
                  f"(largest {max(map(len, groups), default=0)} members), {steps:,} model-steps")


@app.command()
def results(experiment: str, format: str = typer.Option("table", "--format", help="table | json | csv"),
            store: Optional[Path] = STORE_OPT, out: Optional[Path] = typer.Option(None, help="csv file")):
    """Results of EXPERIMENT from the store: the analysis table, or one record per run (json/csv)."""
    from genlab import experiments
    from genlab.store import open_store
    from genlab.store.sqlite import STATUSES
    if format not in ("table", "json", "csv"):
        raise ConfigError(f"unknown format {format!r}; choices: table, json, csv")
    exp = experiments.get(experiment)
    db = open_store(store, read_only=True)
    if format == "table":
        _print_analysis(exp.analyze(db))
    elif format == "json":
        keys = ("experiment", "run_id", "seed", "status", "diverged_step", "error", "config", "summary")
        runs = db.runs(exp.name, statuses=STATUSES)
        typer.echo(json.dumps([{k: r[k] for k in keys} for r in runs], indent=1))  # NaN / Infinity as themselves
    else:
        if out is None:
            db.to_csv(sys.stdout, exp.name)
        else:
            console.print(f"wrote {db.to_csv(out, exp.name)}")


@app.command()
def report(store: Optional[Path] = STORE_OPT, out: Optional[Path] = typer.Option(None)):
    """Write the static HTML report (figures, tables, headline numbers) from the store alone."""
    from genlab import experiments
    from genlab.report.html import write_report
    from genlab.store import open_store
    db = open_store(store, read_only=True)
    exps = [experiments.get(n) for n in experiments.names()]
    path = write_report(db, out or db.path.parent / "report.html", exps)
    console.print(f"report: {path}")


@app.command()
def reproduce(preset: str = typer.Option("quick"), store: Optional[Path] = STORE_OPT,
              progress: bool = typer.Option(True),
              executor: str = typer.Option("local", help="local | ray (optional extra)"),
              address: Optional[str] = typer.Option(None, help="Ray cluster to join")):
    """Run every registered experiment at PRESET, then write the report."""
    from genlab import experiments
    from genlab.compilation import compile_timer
    from genlab.report.html import write_report
    from genlab.store import open_store
    exps = [experiments.get(n) for n in experiments.names()]
    cfgs = [e.config(preset) for e in exps]  # validate all before writing anything
    _check_executor(executor, address)
    db = open_store(store)
    walls = []
    for exp, cfg in zip(exps, cfgs):
        console.rule(f"{exp.name} ({preset})")
        start = time.perf_counter()
        with compile_timer() as compiled:  # this process only: Ray workers compile remotely
            exp.execute(cfg, db, progress=progress, executor=executor, address=address)
        walls.append(f"{exp.name} {time.perf_counter() - start:.0f} s "
                     f"(compile {compiled.seconds:.0f} s)")
        _print_analysis(exp.analyze(db))
    console.print(f"wall time ({preset}; finished runs are skipped; compile: this process, "
                  f"including persistent-cache fetches): {', '.join(walls)}")
    console.print(f"report: {write_report(db, db.path.parent / 'report.html', exps)}")


@app.command()
def migrate(store: Optional[Path] = STORE_OPT):
    """Migrate a store written by an older genlab to the current run-record schema (ids, status)."""
    from genlab.store import DEFAULT_PATH
    from genlab.store.migrate import migrate as migrate_store
    counts = migrate_store(store or DEFAULT_PATH)
    console.print(f"migrated {store or DEFAULT_PATH}: {counts}")


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
    args = mnist1d.MNIST1DArgs(**given) if given else None
    if out.suffix != ".npz":
        raise ConfigError(f"--out must end in .npz, got {out}")
    d = mnist1d.make_dataset(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **{k: d[k] for k in ("x", "x_test", "y", "y_test", "t")})
    console.print(f"wrote {out} ({'generated' if given else 'frozen'}: {len(d['y'])} train, "
                  f"{len(d['y_test'])} test)")


@bench_app.command("train")
def bench_train(json_out: bool = typer.Option(False, "--json"), ensemble: int = 64,
                steps: int = typer.Option(300, help="timed steps per measurement")):
    """Model-steps/s: one model at a time vs a vmapped ensemble in lax.scan; fp32 matmul rate."""
    from genlab.bench.train import bench_train as run_bench
    from genlab.bench.train import print_table
    result = run_bench(ensemble=ensemble, steps=steps)
    typer.echo(json.dumps(result, indent=1)) if json_out else print_table(result, console)


@bench_app.command("stream")
def bench_stream(json_out: bool = typer.Option(False, "--json")):
    """Ideal-World cost: a fresh MNIST-1D batch as a fraction of an MLP train step."""
    from genlab.bench.stream import bench_stream as run_bench
    _print_json_or_dict(run_bench(), json_out)


@bench_app.command("n-axis")
def bench_n_axis(json_out: bool = typer.Option(False, "--json"), steps: int = 1000):
    """A grid over N: one padded program (N a member axis) vs one program per N."""
    from genlab.bench.members_n import bench_n_axis as run_bench
    _print_json_or_dict(run_bench(steps=steps), json_out)


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


def _print_analysis(analysis: dict) -> None:
    if analysis.get("headline"):
        t = Table(title="headline: genlab vs published")
        for c in ("quantity", "genlab", "published", "seeds", "check"):
            t.add_column(c)
        for h in analysis["headline"]:
            t.add_row(str(h["name"]), str(h["ours"]), str(h.get("paper", "–")),
                      str(h.get("seeds", "")), str(h.get("check", "")))
        console.print(t)
    for title, tab in analysis.get("tables", {}).items():
        t = Table(title=title)
        for c in tab["columns"]:
            t.add_column(str(c))
        for row in tab["rows"]:
            t.add_row(*(str(v) for v in row))
        console.print(t)
    for note in analysis.get("notes", []):
        console.print(f"note: {note}")


def main():
    """Entry point: typer handles usage errors (exit 2); ConfigError becomes one line and exit 2."""
    try:
        app()
    except ConfigError as e:
        typer.echo(f"error: {' '.join(str(e).split())}", err=True)
        sys.exit(2)
