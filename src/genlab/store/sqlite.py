"""SQLite store: one transaction per compile group, WAL so reports read while sweeps write."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import sqlite3
import time
from pathlib import Path

import numpy as np

from genlab.config import ConfigError, canonical_json

DEFAULT_PATH = Path("genlab-runs") / "genlab.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, experiment TEXT NOT NULL, seed INTEGER, config TEXT NOT NULL,
  status TEXT NOT NULL, provenance TEXT, wall_s REAL, created REAL);
CREATE TABLE IF NOT EXISTS metrics (
  run_id TEXT NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run_id, name);
CREATE TABLE IF NOT EXISTS summaries (
  run_id TEXT NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS run_arrays (
  run_id TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, name));
CREATE TABLE IF NOT EXISTS artifacts (
  experiment TEXT NOT NULL, name TEXT NOT NULL, kind TEXT, data BLOB, created REAL,
  PRIMARY KEY (experiment, name));
"""


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


class Store:
    def __init__(self, path: str | Path = DEFAULT_PATH, *, create: bool = True):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise ConfigError(f"no store at {self.path} (run an experiment first, or pass --store)")
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except (sqlite3.DatabaseError, OSError) as e:
            raise ConfigError(f"cannot open store {self.path}: {e}") from None

    def close(self):
        self.db.close()

    def finished_ids(self, ids) -> set[str]:
        ids = list(ids)
        done = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            q = f"SELECT id FROM runs WHERE status='done' AND id IN ({','.join('?' * len(chunk))})"
            done.update(r[0] for r in self.db.execute(q, chunk))
        return done

    def write_group(self, experiment: str, records: list[RunRecord]) -> None:
        """All records in one transaction: either every run of the group lands, or none."""
        now = time.time()
        with self.db:
            for r in records:
                self.db.execute("DELETE FROM metrics WHERE run_id=?", (r.run_id,))
                self.db.execute("DELETE FROM summaries WHERE run_id=?", (r.run_id,))
                self.db.execute("DELETE FROM run_arrays WHERE run_id=?", (r.run_id,))
                self.db.executemany("INSERT INTO run_arrays VALUES (?,?,?)",
                                    [(r.run_id, k, _npz(v)) for k, v in r.arrays.items()])
                self.db.execute(
                    "INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?)",
                    (r.run_id, experiment, r.seed, canonical_json(r.config), "done",
                     canonical_json(r.provenance), r.wall_s, now))
                self.db.executemany(
                    "INSERT INTO metrics VALUES (?,?,?,?)",
                    [(r.run_id, int(s), name, float(v))
                     for name, (steps, values) in r.metrics.items() for s, v in zip(steps, values)])
                self.db.executemany("INSERT INTO summaries VALUES (?,?,?)",
                                    [(r.run_id, k, float(v)) for k, v in r.summary.items()])

    def runs(self, experiment: str | None = None) -> list[dict]:
        """One dict per finished run: experiment, run_id, seed, config, summary, wall_s."""
        q = "SELECT id, experiment, seed, config, wall_s, provenance FROM runs WHERE status='done'"
        args = ()
        if experiment:
            q, args = q + " AND experiment=?", (experiment,)
        out = []
        for rid, exp, seed, cfg, wall, prov in self.db.execute(q + " ORDER BY created, id", args):
            summ = dict(self.db.execute("SELECT name, value FROM summaries WHERE run_id=?", (rid,)))
            out.append({"experiment": exp, "run_id": rid, "seed": seed, "config": json.loads(cfg),
                        "summary": summ, "wall_s": wall, "provenance": json.loads(prov or "{}")})
        return out

    def metrics(self, run_id: str) -> dict[str, tuple[list[int], list[float]]]:
        out: dict[str, tuple[list, list]] = {}
        rows = self.db.execute(
            "SELECT name, step, value FROM metrics WHERE run_id=? ORDER BY name, step", (run_id,))
        for name, step, value in rows:
            out.setdefault(name, ([], []))
            out[name][0].append(step)
            out[name][1].append(value)
        return out

    def run_arrays(self, run_id: str, name: str) -> dict[str, np.ndarray]:
        """A run's stored arrays under `name`, as {leaf path: array} (see RunRecord.arrays)."""
        row = self.db.execute("SELECT data FROM run_arrays WHERE run_id=? AND name=?",
                              (run_id, name)).fetchone()
        if row is None:
            raise KeyError(f"run {run_id} has no stored arrays {name!r}")
        with np.load(io.BytesIO(row[0]), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def experiments(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT experiment FROM runs ORDER BY 1")]

    def put_artifact(self, experiment: str, name: str, data: bytes, kind: str = "bytes") -> None:
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
    row = {"experiment": run["experiment"], "run_id": run["run_id"], "seed": run["seed"]}
    row.update({f"config.{k}": v if not isinstance(v, (dict, list)) else json.dumps(v)
                for k, v in run["config"].items()})
    row.update(run["summary"])
    return row


def open_store(path: str | Path | None = None, *, create: bool = True) -> Store:
    return Store(path or DEFAULT_PATH, create=create)
