"""Rich progress bars for sweeps: one bar over all training chunks of a run_jobs call."""
from __future__ import annotations

import contextlib
import sys

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool = True):
    """Yields advance(n=1, description=None); a no-op when disabled or total is 0."""
    if not enabled or total == 0:
        yield lambda n=1, description=None: None
        return
    cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*cols, transient=not sys.stderr.isatty(), console=None) as prog:
        task = prog.add_task(description, total=total)

        def advance(n=1, description=None):
            prog.update(task, advance=n, **({"description": description} if description else {}))
        yield advance
