"""`genlab reproduce --jobs N`: experiments as N concurrent child processes sharing one store.

One process keeps 2 CPU cores only ~1.5 busy on average (XLA compiles on one thread, and small
programs do not fill two); two experiments at a time fill the gaps. Each child runs one
experiment through the same `execute` as `genlab run` (hidden command `_execute`), with its
output kept in a temporary file and printed as one block when it finishes, so concurrent
experiments never interleave their lines. SQLite (WAL, one transaction per compile group) lets
the children write concurrently. Children keep the default XLA thread pool, so each
experiment's numbers are those of `genlab run` on the same machine.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

RUNNING: list[subprocess.Popen] = []  # children to stop on Ctrl-C (see cli._interrupted)


def child_command(name: str, preset: str, store: Path, executor: str, address: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "genlab.cli", "_execute", name, "--preset", preset,
           "--store", str(store), "--executor", executor]
    return cmd + (["--address", address] if address else [])


def run_concurrently(names: Iterable[str], jobs: int, command: Callable[[str], list[str]],
                     on_done: Callable[[str, int, str, float], None], poll_s: float = 0.2) -> dict:
    """Run command(name) for every name, at most `jobs` at a time, in the given order.
    on_done(name, returncode, output, wall_s) is called in the parent as each one finishes.
    Returns {name: returncode}."""
    pending, running, codes = list(names), {}, {}
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            log = tempfile.TemporaryFile(mode="w+")
            proc = subprocess.Popen(command(name), stdout=log, stderr=subprocess.STDOUT, text=True)
            RUNNING.append(proc)
            running[name] = (proc, log, time.perf_counter())
        for name, (proc, log, start) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            RUNNING.remove(proc)
            log.seek(0)
            output = log.read()
            log.close()
            codes[name] = proc.returncode
            on_done(name, proc.returncode, output, time.perf_counter() - start)
        time.sleep(poll_s)
    return codes


def wall_line(name: str, times: dict) -> str:
    """'NAME 125 s (compile 21 s)' from an experiment's recorded wall_s / compile_s."""
    return f"{name} {times.get('wall_s') or 0:.0f} s (compile {times.get('compile_s') or 0:.0f} s)"


def reproduce_concurrently(exps, preset: str, db, every, jobs: int, executor: str,
                           address: str | None, console, print_results) -> list[str]:
    """`genlab reproduce --jobs N` with N > 1: each experiment in a child process; as each one
    finishes, its output, its results (print_results(exp, db)) and a fresh report. Returns the
    names of the experiments whose child failed."""
    from genlab.experiments import longest_first
    from genlab.report import conditions
    from genlab.report.html import write_report
    by_name, walls, failed = {e.name: e for e in exps}, [], []
    start = time.perf_counter()
    console.print(f"{len(exps)} experiments, {jobs} at a time (separate processes), the longest "
                  f"first; each one's output is printed when it finishes")

    def done(name, code, output, wall_s):
        console.rule(f"{name} ({preset})" + ("" if code == 0 else f" FAILED (exit {code})"))
        console.print(output.rstrip(), markup=False, highlight=False)
        if code != 0:
            failed.append(name)
            return
        print_results(by_name[name], db)
        walls.append(wall_line(name, conditions.read(db, name) or {}))
        console.print(f"report: {write_report(db, None, every)}")

    run_concurrently(longest_first([e.name for e in exps]), jobs,
                     lambda name: child_command(name, preset, db.path, executor, address), done)
    console.print(f"wall time ({preset}; {jobs} experiments at a time, so each one shared the "
                  f"cores; finished runs are skipped): all {time.perf_counter() - start:.0f} s; "
                  f"{', '.join(walls)}")
    if failed:
        console.print(f"failed: {', '.join(failed)} (their output is above; re-run to resume)")
    return failed


def stop_children() -> None:
    """Ctrl-C: pass it on; each child leaves with its finished compile groups in the store."""
    import signal
    for proc in list(RUNNING):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in list(RUNNING):
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
