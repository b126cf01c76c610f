"""Which executor a sweep uses: set once per command, read by run_jobs and run_computed.

The CLI (run, reproduce) enters `use_executor(...)` around `Experiment.execute`, so an
experiment with a custom `run` (which calls run_jobs / run_computed itself) follows
`--executor` and `--address` without any executor argument of its own.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses

from genlab.config import check

EXECUTORS = ("local", "ray")


@dataclasses.dataclass(frozen=True)
class ExecutorSpec:
    """name: local | ray; address: a Ray cluster to join (None: RAY_ADDRESS, else start one);
    cpus_per_task: CPUs (and XLA threads) each remote compile group gets."""
    name: str = "local"
    address: str | None = None
    cpus_per_task: int = 1

    def __post_init__(self):
        check(self.name in EXECUTORS,
              f"unknown executor {self.name!r}; choices: {', '.join(EXECUTORS)}")
        check(self.cpus_per_task >= 1, f"cpus per task must be >= 1, got {self.cpus_per_task}")
        check(self.address is None or self.name == "ray", "--address needs --executor ray")


_CURRENT: contextvars.ContextVar[ExecutorSpec | None] = contextvars.ContextVar(
    "genlab_executor", default=None)


def current() -> ExecutorSpec:
    """The executor of the command in progress; local when none was set."""
    return _CURRENT.get() or ExecutorSpec()


@contextlib.contextmanager
def use_executor(spec: ExecutorSpec):
    token = _CURRENT.set(spec)
    try:
        yield spec
    finally:
        _CURRENT.reset(token)
