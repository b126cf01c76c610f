"""genlab CLI (typer): thin — parse, build config, call, print; ConfigError -> one line, exit 2."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from genlab.cli_tools import bench_app, check_output, check_report_outputs, data_app, migrate
from genlab.config import ConfigError

HELP = ("genlab: small, fast reproductions of classic findings about generalization in deep "
        "learning.\n\nStart with `genlab list`, then `genlab run NAME --preset smoke` (seconds) "
        "or `--preset quick` (minutes). `genlab results NAME` prints the numbers next to the "
        "published ones; `genlab report` writes an HTML report beside the store; `genlab "
        "reproduce` runs everything.")

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


app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True, help=HELP)
app.add_typer(bench_app, name="bench")
app.add_typer(data_app, name="data")
app.command()(migrate)  # store maintenance
console = Console()
STORE_OPT = typer.Option(None, "--store", help="SQLite store (default ./genlab-runs/genlab.sqlite)")


@app.command("list")
def list_cmd():
    """List the experiments, what each shows, and their presets (fast: imports no JAX)."""
    from genlab.experiments import MODULES, catalog, names
    table = Table("experiment", "what it shows", "presets", box=None)
    for name in names():
        described = catalog.describe(MODULES[name])
        if described is None:  # source not a plain literal: import it
            from genlab import experiments
            exp = experiments.get(name)
            described = exp.title, list(exp.presets)
        table.add_row(f"[bold]{name}[/bold]", described[0], ", ".join(described[1]))
    console.print(table)


@app.command()
def show(experiment: str = typer.Argument(..., help="experiment name (see `genlab list`)"),
         preset: str = typer.Option("quick", help="smoke | quick | paper"),
         seeds: Optional[int] = typer.Option(None, help="number of seeds"),
         set_: Optional[list[str]] = typer.Option(None, "--set", help="override: key=value")):
    """Print the full config of EXPERIMENT at PRESET and the keys --set accepts."""
    import dataclasses

    from genlab import experiments
    exp = experiments.get(experiment)
    cfg = exp.config(preset, seeds=seeds, sets=set_)
    console.print(f"[bold]{exp.name}[/bold] — {exp.title}\n{exp.paper}\npreset {preset}:")
    table = Table("--set key", "value", "type", box=None)
    for field in dataclasses.fields(cfg):
        kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", field.type)
        table.add_row(field.name, repr(getattr(cfg, field.name)), str(kind))
    console.print(table)
    console.print("override any key with --set key=value (tuples as comma lists: --set models=mlp,cnn)")


@app.command()
def run(experiment: str = typer.Argument(..., help="experiment name (see `genlab list`)"),
        preset: str = typer.Option("quick", help="smoke (seconds) | quick (minutes) | paper (hours)"),
        seeds: Optional[int] = typer.Option(None, help="number of seeds (overrides the preset)"),
        set_: Optional[list[str]] = typer.Option(None, "--set", help="override a config key: key=value "
                                                 "(see `genlab show NAME`)"),
        store: Optional[Path] = STORE_OPT,
        progress: bool = typer.Option(True, help="progress bar (one line per group without a terminal)"),
        executor: str = typer.Option("local", help="local | ray (optional extra)"),
        address: Optional[str] = typer.Option(None, help="Ray cluster to join (with --executor ray)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="count runs and compiled programs; train nothing"),
        retry_diverged: bool = typer.Option(False, "--retry-diverged",
                                            help="also retrain runs stored as diverged")):
    """Train EXPERIMENT, print its results and draw its figures.

    Resumes: finished runs are skipped (diverged ones too, unless --retry-diverged). Ctrl-C stops
    cleanly (exit 130); finished compile groups stay in the store."""
    from genlab import experiments
    from genlab.experiments.execution import execute
    from genlab.store import open_store
    exp = experiments.get(experiment)
    cfg = exp.config(preset, seeds=seeds, sets=set_)
    _check_executor(executor, address)
    if dry_run:
        return _print_plan(exp, cfg)
    db = open_store(store)
    from genlab.sweep.resume import retrying_diverged
    with retrying_diverged(retry_diverged):
        execute(exp, cfg, db, preset=preset, overrides=set_, progress=progress, executor=executor,
                address=address)
    _print_results(exp, db)
    from genlab.report.export import outputs
    for path in exp.plot(db, outputs(db.path)["figures"]):
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
def results(experiment: str = typer.Argument(..., help="experiment name (see `genlab list`)"),
            format: str = typer.Option("table", "--format", help="table | json | csv"),
            analysis: bool = typer.Option(False, "--analysis", help="with --format json: the analysis "
                                          "(conditions, protocol, headline, tables, notes)"),
            curves: bool = typer.Option(False, "--curves", help="with json/csv: per-step curves in long "
                                        "format (run_id, step, metric, value)"),
            store: Optional[Path] = STORE_OPT, out: Optional[Path] = typer.Option(None, help="write to this file")):
    """Print the results of EXPERIMENT from the store.

    table: conditions, protocol vs paper, headline, tables. json / csv: one record per run (csv:
    one column per config key); --analysis: the analysis itself; --curves: per-step curves."""
    from genlab import experiments
    from genlab.report import conditions, export
    from genlab.store import open_store
    from genlab.store.sqlite import STATUSES
    if format not in ("table", "json", "csv"):
        raise ConfigError(f"unknown format {format!r}; choices: table, json, csv")
    if analysis and format != "json":
        raise ConfigError("--analysis needs --format json")
    if out is not None:
        check_output(out)
    exp = experiments.get(experiment)
    db = open_store(store, read_only=True)
    if exp.name not in db.experiments():
        raise ConfigError(f"the store {db.path} holds no runs of {exp.name}; run: genlab run {exp.name}")
    runs = db.latest_runs(exp.name)
    if format == "table":
        return _print_results(exp, db)
    if analysis:
        text = export.dumps({"experiment": exp.name, "title": exp.title, "paper": exp.paper,
                             "conditions": conditions.summary(db, exp.name, runs), **exp.analyze(db)})
    elif format == "json":
        keys = ("experiment", "run_id", "seed", "status", "diverged_step", "error", "config", "summary")
        records = [{k: r[k] for k in keys} for r in db.runs(exp.name, statuses=STATUSES)]
        # run records keep NaN / Infinity as themselves (a diverged run's values); curves: strict JSON
        text = export.dumps(list(export.curve_rows(db, runs))) if curves else json.dumps(records, indent=1)
    else:
        buffer = io.StringIO()
        export.write_csv(buffer, export.curve_rows(db, runs) if curves
                         else export.run_rows(db.runs(exp.name, statuses=STATUSES)))
        text = buffer.getvalue()
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        out.write_text(text)
        console.print(f"wrote {out}")


@app.command()
def report(store: Optional[Path] = STORE_OPT,
           out: Optional[Path] = typer.Option(None, help="HTML file (default: beside the store, "
                                              "named after it: genlab.sqlite -> genlab-report.html)")):
    """Write the HTML report (checks, conditions, tables, figures, data files) from the store."""
    from genlab import experiments
    from genlab.report.html import write_report
    from genlab.store import open_store
    check_report_outputs(store, out)  # before anything is written
    db = open_store(store, read_only=True)
    exps = [experiments.get(n) for n in experiments.names()]
    console.print(f"report: {write_report(db, out, exps)}")


@app.command()
def reproduce(preset: str = typer.Option("quick", help="smoke | quick | paper"),
              store: Optional[Path] = STORE_OPT,
              progress: bool = typer.Option(True, help="progress bar (one line per group without a terminal)"),
              executor: str = typer.Option("local", help="local | ray (optional extra)"),
              address: Optional[str] = typer.Option(None, help="Ray cluster to join"),
              only: Optional[list[str]] = typer.Option(None, "--only", help="run only these experiments "
                                                       "(repeatable); the report still lists all"),
              jobs: int = typer.Option(2, help="experiments run at a time, each in its own process "
                                       "(1: one after another in this process; with "
                                       "--executor ray always 1: Ray parallelizes)")):
    """Run every registered experiment at PRESET and write the report.

    The report is rewritten after each experiment, so an interrupted reproduce still leaves a
    report of what finished. With --jobs 2 (the default) two experiments train at once in
    separate processes; their output is printed as each one finishes."""
    from genlab import experiments
    from genlab.experiments.execution import execute
    from genlab.processes import wall_line
    from genlab.report.html import write_report
    from genlab.store import open_store
    every = [experiments.get(n) for n in experiments.names()]  # the report lists them all
    exps = [experiments.get(n) for n in (only or experiments.names())]
    cfgs = [e.config(preset) for e in exps]  # validate all before writing anything
    _check_executor(executor, address)
    if jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    db = open_store(store)
    walls = []
    if executor == "ray" and jobs > 1:  # Ray spreads each experiment's groups over the cluster;
        jobs = 1                        # two children would each start their own local Ray
    if jobs > 1 and len(exps) > 1:
        from genlab import processes
        failed = processes.reproduce_concurrently(exps, preset, db, every, jobs, executor, address,
                                                  console, _print_results)
        if failed:
            raise typer.Exit(1)
        return
    for exp, cfg in zip(exps, cfgs):
        console.rule(f"{exp.name} ({preset})")
        times = execute(exp, cfg, db, preset=preset, progress=progress, executor=executor,
                        address=address)
        walls.append(wall_line(exp.name, times))
        _print_results(exp, db)
        console.print(f"report: {write_report(db, None, every)}")
    console.print(f"wall time ({preset}; finished runs are skipped; compile: this process, "
                  f"including persistent-cache fetches): {', '.join(walls)}")


@app.command("_execute", hidden=True)
def execute_one(experiment: str, preset: str = "quick", store: Optional[Path] = STORE_OPT,
                executor: str = "local", address: Optional[str] = None):
    """One experiment of `reproduce --jobs N`: train and record it (no figures, no report)."""
    from genlab import experiments
    from genlab.experiments.execution import execute
    from genlab.store import open_store
    exp = experiments.get(experiment)
    execute(exp, exp.config(preset), open_store(store), preset=preset, progress=False,
            executor=executor, address=address, log=lambda text: console.print(text, markup=False))


def _print_results(exp, db) -> None:
    from genlab.report import conditions
    from genlab.report.console import print_analysis
    summary = conditions.summary(db, exp.name, db.latest_runs(exp.name))
    print_analysis(console, exp.analyze(db), summary)


def main():
    """Entry point: typer handles usage errors (exit 2); ConfigError becomes one line and exit 2;
    Ctrl-C prints one line and exits 130 without unwinding through XLA's threads (which crashed
    the interpreter at exit); every finished group is already committed to the store."""
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        app()
    except ConfigError as e:
        typer.echo(f"error: {' '.join(str(e).split())}", err=True)
        sys.exit(2)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted(signum, frame):
    """Leave at once: an open store transaction rolls back (SQLite), committed groups stay.
    Children of `reproduce --jobs N` get the interrupt too and leave the same way."""
    from genlab.processes import RUNNING, stop_children
    if RUNNING:
        stop_children()
    typer.echo("\ninterrupted: finished runs are kept in the store; re-run to resume", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


if __name__ == "__main__":
    main()
