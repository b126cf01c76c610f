"""Migrate a version-1 store (genlab before run-record v2) to the current schema, once.

Version 1 hashed every field of a run's config (performance settings included, 1 != 1.0) and
stored NaN as NULL with every run `done`. Migration, in one transaction after a backup copy:
each run gets its version-2 id (genlab.identity; recomputed from its stored config), NULL metric
and summary values become NaN (SQLite stored NaN as NULL; ±inf survived), a run with a NaN
metric becomes `diverged` at the first step where one appears, JSON artifacts listing run ids
(e.g. latest_run_ids) are re-addressed, and the schema version is set. Two old runs that map to
one new id (they differed only in a performance setting or in 1 vs 1.0) keep the newest.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from genlab.config import ConfigError
from genlab.store.schema import SCHEMA, SCHEMA_VERSION, check_writable, inspect


def migrate(path: str | Path) -> dict:
    """Migrate the store at path in place (a copy is kept as <name>.v1.bak). Returns counts."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"no store at {path}")
    version = inspect(path)
    if version is None or version == SCHEMA_VERSION:
        return {"runs": 0, "renamed": 0, "diverged": 0, "merged": 0, "backup": None}
    check_writable(path)
    backup = path.with_name(path.name + f".v{version}.bak")
    con = sqlite3.connect(path, timeout=30)
    try:
        with sqlite3.connect(backup) as copy:
            con.backup(copy)
        with con:
            counts = _migrate_v1(con)
            con.executescript(SCHEMA)
        con.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    finally:
        con.close()
    return {**counts, "backup": str(backup)}


def _migrate_v1(con) -> dict:
    cols = {r[1] for r in con.execute("PRAGMA table_info(runs)")}
    for col, typ in (("diverged_step", "INTEGER"), ("error", "TEXT")):
        if col not in cols:
            con.execute(f"ALTER TABLE runs ADD COLUMN {col} {typ}")
    rows = con.execute("SELECT id, experiment, config, created FROM runs ORDER BY created").fetchall()
    new_ids = {old: new_run_id(exp, json.loads(cfg)) for old, exp, cfg, _ in rows}
    merged = 0
    for old, new in new_ids.items():  # oldest first: a later run replaces an earlier duplicate
        if old == new:
            continue
        if con.execute("SELECT 1 FROM runs WHERE id=?", (new,)).fetchone():
            merged += 1
            _delete(con, new)
        con.execute("UPDATE runs SET id=? WHERE id=?", (new, old))
        for table in ("metrics", "summaries", "run_arrays"):
            con.execute(f"UPDATE {table} SET run_id=? WHERE run_id=?", (new, old))
    for table in ("metrics", "summaries"):
        con.execute(f"UPDATE {table} SET value='nan' WHERE value IS NULL")
    diverged = con.execute(
        "SELECT run_id, MIN(step) FROM metrics WHERE value='nan' GROUP BY run_id").fetchall()
    con.executemany("UPDATE runs SET status='diverged', diverged_step=? WHERE id=?",
                    [(step, rid) for rid, step in diverged])
    _readdress_artifacts(con, new_ids)
    return {"runs": len(rows), "renamed": sum(o != n for o, n in new_ids.items()),
            "diverged": len(diverged), "merged": merged}


def _delete(con, run_id: str) -> None:
    con.execute("DELETE FROM runs WHERE id=?", (run_id,))
    for table in ("metrics", "summaries", "run_arrays"):
        con.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))


def new_run_id(experiment: str, config: dict) -> str:
    """The version-2 id of a stored config: a trained job's config rebuilds its Job; anything
    else is a computed config (sweep.computed). A job config that no longer validates keeps the
    generic hash of its stored fields (it stays in the store as a result; no preset asks for it)."""
    from genlab.sweep.computed import computed_id
    from genlab.sweep.jobs import Job
    if {"model", "data", "train", "lr"} <= set(config):
        try:
            return Job.from_dict(config).run_id(experiment)
        except (ConfigError, TypeError, ValueError):
            pass
    return computed_id(experiment, config)


def _readdress_artifacts(con, new_ids: dict) -> None:
    for exp, name, data in con.execute("SELECT experiment, name, data FROM artifacts WHERE kind='json'").fetchall():
        try:
            value = json.loads(data)
        except (TypeError, ValueError):
            continue
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            mapped = [new_ids.get(v, v) for v in value]
            if mapped != value:
                con.execute("UPDATE artifacts SET data=? WHERE experiment=? AND name=?",
                            (json.dumps(mapped).encode(), exp, name))
