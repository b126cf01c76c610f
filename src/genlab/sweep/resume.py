"""The one resume path: every sweep (trained jobs, computations, fine-tuning) skips what the store
already holds, leases what it trains, writes each unit atomically and records failures.

A unit is a list of (run_id, item) trained together (a compile group, or one computation).
`train(items) -> [RunRecord]` must be pure (no store access). Runs that are results (`done`,
`diverged`) are skipped; `diverged` ones are retrained only under retry_diverged (the CLI's
--retry-diverged). Runs leased by another live sweep are waited for, not trained twice; a dead
sweep's leases expire (store.leases.TTL). A unit whose training raises is written as `failed`
runs with the error (retried by the next sweep) and the sweep goes on.
"""
from __future__ import annotations

import contextlib
import contextvars
import sys
import time
from typing import Callable

from genlab.store import RunRecord, Store
from genlab.store.leases import TTL, Heartbeat, new_owner
from genlab.store.sqlite import RESULTS

_RETRY_DIVERGED = contextvars.ContextVar("retry_diverged", default=False)


@contextlib.contextmanager
def retrying_diverged(enabled: bool = True):
    """Within the block every sweep also retrains runs stored as `diverged`."""
    token = _RETRY_DIVERGED.set(enabled)
    try:
        yield
    finally:
        _RETRY_DIVERGED.reset(token)


def result_statuses() -> tuple[str, ...]:
    """Statuses that count as finished (skipped on resume)."""
    return ("done",) if _RETRY_DIVERGED.get() else RESULTS


def todo(store: Store, ids: list[str]) -> list[bool]:
    """For each id: does it still need a run?"""
    finished = store.finished_ids(ids, statuses=result_statuses())
    return [i not in finished for i in ids]


def run_units(experiment: str, store: Store, units: list[list[tuple[str, object]]],
              train: Callable[[list], list[RunRecord]], describe: Callable[[object], tuple[int, dict]],
              *, ttl: float = TTL, poll_s: float = 1.0) -> None:
    """Train and write every unit's unfinished runs. describe(item) -> (seed, config) for the
    `failed` records of a unit whose training raised."""
    owner, statuses, tried = new_owner(), result_statuses(), set()
    waiting = [u for u in units if u]
    if not waiting:
        return
    with Heartbeat(store.path, owner, ttl):
        while waiting:
            later = []
            for unit in waiting:
                mine = set(store.claim([i for i, _ in unit], owner, ttl, statuses=statuses))
                if mine:
                    items = [(i, x) for i, x in unit if i in mine]
                    tried.update(mine)
                    store.write_group(experiment, _train_or_fail(train, items, describe), owner=owner)
                rest = [(i, x) for i, x in unit if i not in tried]
                finished = store.finished_ids([i for i, _ in rest], statuses=statuses)
                rest = [(i, x) for i, x in rest if i not in finished]
                if rest:  # leased by another live sweep: wait for it (or for its lease to expire)
                    later.append(rest)
            if later:
                time.sleep(poll_s)
            waiting = later


def _train_or_fail(train, items, describe) -> list[RunRecord]:
    try:
        records = train([x for _, x in items])
    except Exception as e:  # recorded as `failed`; KeyboardInterrupt still stops the sweep
        error = f"{type(e).__name__}: {e}".splitlines()[0][:500]
        print(f"genlab: {len(items)} runs failed: {error}", file=sys.stderr)
        return [RunRecord(i, *describe(x), {}, {}, status="failed", error=error) for i, x in items]
    ids = [i for i, _ in items]
    if [r.run_id for r in records] != ids:
        raise RuntimeError(f"train returned runs {[r.run_id for r in records]}, expected {ids}")
    return records
