"""Sharing a store: read-only opens never write; a lock held past the timeout is waited out."""
import hashlib
import sqlite3
import threading
import time

import pytest

from genlab.config import ConfigError
from genlab.store import RunRecord, Store
from genlab.store.leases import new_owner


def rec(i):
    return RunRecord(f"run{i}", i, {"i": i}, {"m": ([0], [1.0])}, {"m": 1.0})


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_store_never_writes(store_path):
    s = Store(store_path)
    s.write_group("e", [rec(0)])
    s.close()
    before = digest(store_path)
    ro = Store(store_path, read_only=True)
    assert [r["run_id"] for r in ro.runs("e")] == ["run0"]
    with pytest.raises(ConfigError):
        ro.put_artifact("e", "x", b"1")
    with pytest.raises(sqlite3.OperationalError):
        ro.write_group("e", [rec(1)])
    ro.close()
    assert digest(store_path) == before
    with pytest.raises(ConfigError, match="no store"):
        Store(store_path.parent / "absent.sqlite", read_only=True)
    assert not (store_path.parent / "absent.sqlite").exists()


def test_cli_results_and_report_leave_the_store_unchanged(tmp_path, store_path):
    from typer.testing import CliRunner

    from genlab import cli
    from genlab.data.datasets import DataSpec
    from genlab.sweep import Job
    from genlab.train import TrainSpec
    job = Job(model="linear", data=DataSpec(), train=TrainSpec(steps=10, eval_every=5), lr=0.01,
              tags={"variant": "original"})
    s = Store(store_path)
    s.write_group("baselines", [RunRecord(job.run_id("baselines"), 0, job.to_dict(),
                                          {"test/acc": ([0, 5, 10], [0.1, 0.2, 0.3])}, {"test/acc": 0.3})])
    s.close()
    before = digest(store_path)
    runner = CliRunner()
    for args in (["results", "baselines"], ["results", "baselines", "--format", "json"], ["results", "baselines", "--format", "csv"],
                 ["report", "--out", str(tmp_path / "r.html")]):
        result = runner.invoke(cli.app, [*args, "--store", str(store_path)])
        assert result.exit_code == 0, result.output
    assert digest(store_path) == before


def test_a_lock_held_past_the_timeout_is_retried_not_lost(store_path, capsys):
    store = Store(store_path, lock_timeout=0.1)
    blocker = sqlite3.connect(store_path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock for 1.5 s
    threading.Timer(1.5, lambda: blocker.execute("COMMIT")).start()
    t0 = time.monotonic()
    store.write_group("e", [rec(0), rec(1)])
    assert time.monotonic() - t0 >= 1.0
    assert len(store.runs("e")) == 2
    assert "store busy" in capsys.readouterr().err


def test_leases_keep_a_second_owner_off_and_expire(store_path):
    store = Store(store_path)
    a, b = new_owner(), new_owner()
    assert store.claim(["x", "y"], a, ttl=0.5) == ["x", "y"]
    assert store.claim(["x", "y", "z"], b, ttl=0.5) == ["z"]
    time.sleep(0.6)  # a stopped beating: its leases expire
    assert store.claim(["x", "y"], b) == ["x", "y"]
    store.write_group("e", [rec(0)], owner=b)
    assert store.claim(["run0"], a) == []  # a result is never claimed


def test_a_dead_local_owner_frees_its_leases_at_once(store_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = new_owner().split(":")
    dead[1] = proc.stdout.strip()
    store = Store(store_path)
    assert store.claim(["x"], ":".join(dead), ttl=600) == ["x"]
    assert store.claim(["x"], new_owner()) == ["x"]
