"""Sweep progress: a rich bar on a terminal; without one (CI, logs, pipes), one line per group."""
from __future__ import annotations

import contextlib
import sys
import time

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool = True, stream=None):
    """Yields advance(n=1, description=None); a no-op when disabled or total is 0. A new
    description marks a new group: without a terminal each one prints a line to `stream`."""
    if not enabled or total == 0:
        yield lambda n=1, description=None: None
        return
    stream = stream or sys.stderr
    if not stream.isatty():
        with _line_progress(total, description, stream) as advance:
            yield advance
        return
    cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*cols, transient=False, console=None) as prog:
        task = prog.add_task(description, total=total)

        def advance(n=1, description=None):
            prog.update(task, advance=n, **({"description": description} if description else {}))
        yield advance


@contextlib.contextmanager
def _line_progress(total: int, description: str, stream):
    """Plain lines: the sweep's start, each group's start (with the work done so far), the end;
    a sweep without groups (one advance per item) prints about every tenth of the way."""
    start, done, last_tenth = time.perf_counter(), 0, 0

    def line(text: str) -> None:
        print(f"[{time.perf_counter() - start:6.0f} s] {text} ({done}/{total})", file=stream, flush=True)

    def advance(n=1, description=None):
        nonlocal done, last_tenth
        done += n
        if description:
            line(description)
        elif done * 10 // total > last_tenth:
            last_tenth = done * 10 // total
            if done < total:
                line(f"{description_0}: in progress")

    description_0 = description
    line(f"{description}: start")
    yield advance
    line(f"{description}: finished" if done >= total else f"{description}: stopped")
