"""SQLite store: one transaction per compile group, WAL so reports read while sweeps write."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

from genlab.config import ConfigError, canonical_json
from genlab.store import leases
from genlab.store.schema import (
    SCHEMA,
    SCHEMA_VERSION,
    check_writable,
    from_db,
    inspect,
    refuse_old,
    to_db,
)

DEFAULT_PATH = Path("genlab-runs") / "genlab.sqlite"

@dataclasses.dataclass
class RunRecord:
    """One finished run: its id, config, per-eval metrics {name: (steps, values)} and summary."""
    run_id: str
    seed: int
    config: dict
    metrics: dict
    summary: dict
    wall_s: float = 0.0
    provenance: dict = dataclasses.field(default_factory=dict)
    arrays: dict = dataclasses.field(default_factory=dict)  # {name: pytree of arrays} (masks, params)
    status: str = "done"  # done | diverged (at diverged_step) | failed (with error)
    diverged_step: int | None = None
    error: str | None = None


LATEST_IDS = "latest_run_ids"  # artifact: the run ids of an experiment's latest execution
STATUSES = ("done", "diverged", "failed")
RESULTS = ("done", "diverged")  # runs that are results: shown, and not retrained on resume


class Store:
    """read_only=True (results, report): opened with SQLite's mode=ro, so nothing is ever written.
    lock_timeout: seconds one SQLite lock wait may take; a write that outwaits it is retried
    (for up to write_patience seconds) rather than losing a trained group."""

    def __init__(self, path: str | Path = DEFAULT_PATH, *, create: bool = True,
                 read_only: bool = False, lock_timeout: float = 30.0, write_patience: float = 3600.0):
        self.path, self.read_only, self.write_patience = Path(path), read_only, write_patience
        try:
            exists = self.path.exists() or self.path.is_dir()
            if not exists and (read_only or not create):
                raise ConfigError(f"no store at {self.path} (run an experiment first, or pass --store)")
            version = inspect(self.path) if exists else None
            if version is not None and version < SCHEMA_VERSION:
                raise refuse_old(self.path, version)
            if not read_only:
                check_writable(self.path)
        except OSError as e:  # e.g. a name too long for the filesystem
            raise ConfigError(f"cannot open store {self.path}: {e.strerror or e}") from None
        try:
            if read_only:
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=lock_timeout)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(self.path, timeout=lock_timeout)
                if version is None:  # a new store; an existing one is opened without writing
                    self.db.execute("PRAGMA journal_mode=WAL")
                    self.db.executescript(SCHEMA)
                    self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (sqlite3.DatabaseError, OSError) as e:
            raise ConfigError(f"cannot open store {self.path}: {e}") from None

    def close(self):
        self.db.close()

    def finished_ids(self, ids, *, statuses=RESULTS) -> set[str]:
        """The ids among `ids` whose run is a result (done or diverged): not to be retrained.
        statuses=("done",) also retrains diverged runs (--retry-diverged)."""
        return self._ids_with_status(list(ids), tuple(statuses))

    def _ids_with_status(self, ids: list, statuses: tuple) -> set[str]:
        done, marks = set(), ",".join("?" * len(statuses))
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = (f"SELECT id FROM runs WHERE status IN ({marks}) "
                 f"AND id IN ({','.join('?' * len(chunk))})")
            done.update(r[0] for r in self.db.execute(q, [*statuses, *chunk]))
        return done

    def write_group(self, experiment: str, records: list[RunRecord], *, owner: str | None = None) -> None:
        """All records in one transaction: either every run of the group lands, or none. A lock
        wait past the timeout is retried (the group is never dropped); `owner`'s leases on these
        runs are released in the same transaction."""
        deadline = time.monotonic() + self.write_patience
        while True:
            try:
                with self.db:
                    for r in records:
                        self._write_run(experiment, r)
                    if owner is not None:
                        leases.release(self.db, [r.run_id for r in records], owner)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e) or time.monotonic() > deadline:
                    raise
                print(f"genlab: store busy ({e}); retrying the write of {len(records)} runs",
                      file=sys.stderr)
                time.sleep(0.5)

    def _write_run(self, experiment: str, r: RunRecord) -> None:
        if r.status not in STATUSES:
            raise ValueError(f"unknown run status {r.status!r}")
        for table in ("metrics", "summaries", "run_arrays"):
            self.db.execute(f"DELETE FROM {table} WHERE run_id=?", (r.run_id,))
        self.db.executemany("INSERT INTO run_arrays VALUES (?,?,?)",
                            [(r.run_id, k, _npz(v)) for k, v in r.arrays.items()])
        self.db.execute(
            "INSERT OR REPLACE INTO runs (id, experiment, seed, config, status, provenance, wall_s,"
            " created, diverged_step, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (r.run_id, experiment, r.seed, canonical_json(r.config), r.status,
             canonical_json(r.provenance), r.wall_s, time.time(), r.diverged_step, r.error))
        self.db.executemany(
            "INSERT INTO metrics VALUES (?,?,?,?)",
            [(r.run_id, int(s), name, to_db(v))
             for name, (steps, values) in r.metrics.items() for s, v in zip(steps, values)])
        self.db.executemany("INSERT INTO summaries VALUES (?,?,?)",
                            [(r.run_id, k, to_db(v)) for k, v in r.summary.items()])

    def claim(self, ids, owner: str, ttl: float = leases.TTL, *, statuses=RESULTS) -> list[str]:
        """Lease the ids no other live sweep holds and that are not yet results (see leases)."""
        return leases.claim(self, list(ids), owner, ttl, statuses)

    def runs(self, experiment: str | None = None, *, statuses=RESULTS) -> list[dict]:
        """One dict per run with a status in `statuses` (done and diverged by default):
        experiment, run_id, seed, status, diverged_step, error, config, summary, wall_s,
        provenance. Non-finite values come back as float NaN / inf."""
        marks = ",".join("?" * len(statuses))
        q = ("SELECT id, experiment, seed, config, wall_s, provenance, status, diverged_step, error "
             f"FROM runs WHERE status IN ({marks})")
        args = tuple(statuses)
        if experiment:
            q, args = q + " AND experiment=?", args + (experiment,)
        out = []
        for rid, exp, seed, cfg, wall, prov, status, step, error in self.db.execute(
                q + " ORDER BY created, id", args):
            summ = {k: from_db(v) for k, v in self.db.execute(
                "SELECT name, value FROM summaries WHERE run_id=?", (rid,))}
            out.append({"experiment": exp, "run_id": rid, "seed": seed, "status": status,
                        "diverged_step": step, "error": error, "config": json.loads(cfg),
                        "summary": summ, "wall_s": wall, "provenance": json.loads(prov or "{}")})
        return out

    def latest_runs(self, experiment: str, *, statuses=RESULTS) -> list[dict]:
        """Runs of the experiment's latest execution (the LATEST_IDS artifact), or all its runs
        when no execution recorded them."""
        runs = self.runs(experiment, statuses=statuses)
        raw = self.artifacts(experiment).get(LATEST_IDS)
        if raw is None:
            return runs
        keep = set(json.loads(raw))
        return [r for r in runs if r["run_id"] in keep]

    def metrics(self, run_id: str) -> dict[str, tuple[list[int], list[float]]]:
        out: dict[str, tuple[list, list]] = {}
        rows = self.db.execute(
            "SELECT name, step, value FROM metrics WHERE run_id=? ORDER BY name, step", (run_id,))
        for name, step, value in rows:
            out.setdefault(name, ([], []))
            out[name][0].append(step)
            out[name][1].append(from_db(value))
        return out

    def run_arrays(self, run_id: str, name: str) -> dict[str, np.ndarray]:
        """A run's stored arrays under `name`, as {leaf path: array} (see RunRecord.arrays)."""
        row = self.db.execute("SELECT data FROM run_arrays WHERE run_id=? AND name=?",
                              (run_id, name)).fetchone()
        if row is None:
            raise KeyError(f"run {run_id} has no stored arrays {name!r}")
        with np.load(io.BytesIO(row[0]), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def version(self, experiment: str) -> tuple:
        """Changes whenever a run or an artifact of the experiment is written: (runs, latest
        write, summed wall, artifacts, latest artifact write). Cheap: two aggregate queries."""
        runs = self.db.execute("SELECT count(*), max(created), total(wall_s) FROM runs "
                               "WHERE experiment=?", (experiment,)).fetchone()
        arts = self.db.execute("SELECT count(*), max(created) FROM artifacts WHERE experiment=?",
                               (experiment,)).fetchone()
        return (*runs, *arts)

    def experiments(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT experiment FROM runs ORDER BY 1")]

    def put_artifact(self, experiment: str, name: str, data: bytes, kind: str = "bytes") -> None:
        if self.read_only:
            raise ConfigError(f"store {self.path} is open read-only")
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO artifacts VALUES (?,?,?,?,?)",
                            (experiment, name, kind, data, time.time()))

    def artifacts(self, experiment: str) -> dict[str, bytes]:
        rows = self.db.execute("SELECT name, data FROM artifacts WHERE experiment=? ORDER BY name",
                               (experiment,))
        return dict(rows)

    def to_csv(self, path_or_file, experiment: str | None = None):
        """Flat CSV: one row per run, config fields and summary metrics as columns."""
        rows = [_flatten(r) for r in self.runs(experiment)]
        cols = sorted({k for r in rows for k in r}, key=lambda c: (c.count("/") > 0, c))
        if hasattr(path_or_file, "write"):
            _write_csv(path_or_file, cols, rows)
            return path_or_file
        with open(path_or_file, "w", newline="") as f:
            _write_csv(f, cols, rows)
        return Path(path_or_file)


def _npz(tree) -> bytes:
    """A pytree of arrays (or a flat dict) as npz bytes keyed by leaf path, e.g. 'layers/0/weight'."""
    import jax
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    flat = {"/".join(_key_name(k) for k in path) or "value": np.asarray(v) for path, v in leaves}
    buf = io.BytesIO()
    np.savez_compressed(buf, **flat)
    return buf.getvalue()


def _key_name(k) -> str:
    for attr in ("key", "name", "idx"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def _write_csv(f, cols, rows):
    w = csv.DictWriter(f, fieldnames=cols)
    w.writeheader()
    w.writerows(rows)


def _flatten(run: dict) -> dict:
    row = {"experiment": run["experiment"], "run_id": run["run_id"], "seed": run["seed"],
           "status": run["status"], "diverged_step": run["diverged_step"]}
    row.update({f"config.{k}": v if not isinstance(v, (dict, list)) else json.dumps(v)
                for k, v in run["config"].items()})
    row.update(run["summary"])
    return row


def open_store(path: str | Path | None = None, *, create: bool = True, read_only: bool = False) -> Store:
    return Store(path or DEFAULT_PATH, create=create, read_only=read_only)
