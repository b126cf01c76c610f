"""A store written before run-record v2 is refused with one line, and `genlab migrate` re-addresses it."""
import json
import math
import sqlite3

import pytest

from genlab.config import ConfigError, config_hash
from genlab.data.datasets import DataSpec
from genlab.store import Store
from genlab.store.migrate import migrate
from genlab.sweep import Job
from genlab.sweep.computed import computed_id
from genlab.train import TrainSpec

# The schema of commit 6ff5247 (store version 1: no user_version, NaN stored as NULL).
V1_SCHEMA = """
CREATE TABLE runs (id TEXT PRIMARY KEY, experiment TEXT NOT NULL, seed INTEGER, config TEXT NOT NULL,
  status TEXT NOT NULL, provenance TEXT, wall_s REAL, created REAL);
CREATE TABLE metrics (run_id TEXT NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL);
CREATE TABLE summaries (run_id TEXT NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, name));
CREATE TABLE run_arrays (run_id TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, name));
CREATE TABLE artifacts (experiment TEXT NOT NULL, name TEXT NOT NULL, kind TEXT, data BLOB, created REAL,
  PRIMARY KEY (experiment, name));
"""


def v1_store(path):
    spec = TrainSpec(steps=20, batch_size=50, eval_every=10)
    jobs = [Job(model="mlp", data=DataSpec(n_train=200), train=spec, lr=lr) for lr in (0.1, 1e9)]
    computed = {"part": "kernel", "n": 10, "seed": 0}
    con = sqlite3.connect(path)
    con.executescript(V1_SCHEMA)
    rows = [(config_hash({"experiment": "e", **j.to_dict()}), j.to_dict()) for j in jobs]
    rows.append((config_hash({"experiment": "e", **computed}), computed))
    for k, (rid, cfg) in enumerate(rows):
        con.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?)",
                    (rid, "e", 0, json.dumps(cfg), "done", "{}", 1.0, float(k)))
        nan_at_10 = k == 1
        con.executemany("INSERT INTO metrics VALUES (?,?,?,?)",
                        [(rid, 0, "test/loss", 2.3), (rid, 10, "test/loss", None if nan_at_10 else 1.0)])
        con.execute("INSERT INTO summaries VALUES (?,?,?)", (rid, "test/loss", None if nan_at_10 else 1.0))
    con.execute("INSERT INTO artifacts VALUES (?,?,?,?,?)",
                ("e", "latest_run_ids", "json", json.dumps([r for r, _ in rows]).encode(), 0.0))
    con.commit()
    con.close()
    return jobs, computed


def test_old_store_is_refused_then_migrated(tmp_path):
    path = tmp_path / "old.sqlite"
    jobs, computed = v1_store(path)
    before = path.read_bytes()
    for kw in ({}, {"read_only": True}):
        with pytest.raises(ConfigError, match="genlab migrate") as e:
            Store(path, **kw)
        assert "\n" not in str(e.value)
    assert path.read_bytes() == before  # refusing changes nothing
    counts = migrate(path)
    assert counts["runs"] == 3 and counts["renamed"] == 3 and counts["diverged"] == 1
    store = Store(path, read_only=True)
    runs = {r["run_id"]: r for r in store.runs("e")}
    new_ids = [j.run_id("e") for j in jobs] + [computed_id("e", computed)]
    assert set(runs) == set(new_ids)
    assert runs[new_ids[0]]["status"] == "done"
    assert runs[new_ids[1]]["status"] == "diverged" and runs[new_ids[1]]["diverged_step"] == 10
    assert math.isnan(runs[new_ids[1]]["summary"]["test/loss"])
    assert math.isnan(store.metrics(new_ids[1])["test/loss"][1][1])
    assert json.loads(store.artifacts("e")["latest_run_ids"]) == new_ids
    assert sqlite3.connect(counts["backup"]).execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 3
    assert migrate(path)["runs"] == 0  # idempotent


def test_cli_refuses_then_migrates(tmp_path):
    from typer.testing import CliRunner

    from genlab import cli
    path = tmp_path / "old.sqlite"
    v1_store(path)
    runner = CliRunner()
    refused = runner.invoke(cli.app, ["results", "baselines", "--format", "json", "--store", str(path)])
    assert refused.exit_code == 2 and "genlab migrate" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert runner.invoke(cli.app, ["migrate", "--store", str(path)]).exit_code == 0
    assert Store(path, read_only=True).runs("e")
