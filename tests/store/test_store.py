"""Store: atomic group writes, resume after a kill, WAL, CSV export, stable run ids."""
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from genlab.config import ConfigError, config_hash
from genlab.store import RunRecord, Store


def record(i, bad=False):
    values = [0.1, float("nan") if not bad else object()]
    return RunRecord(f"run{i}", i, {"i": i}, {"test/acc": ([0, 10], values)}, {"test/acc": 0.5})


def test_write_and_read(store_path):
    s = Store(store_path)
    s.write_group("exp", [record(0), record(1)])
    runs = s.runs("exp")
    assert [r["run_id"] for r in runs] == ["run0", "run1"]
    assert runs[0]["summary"] == {"test/acc": 0.5} and runs[0]["config"] == {"i": 0}
    assert s.metrics("run0")["test/acc"][0] == [0, 10]
    assert s.finished_ids(["run0", "run9"]) == {"run0"}
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_failed_group_write_leaves_nothing(store_path):
    s = Store(store_path)
    with pytest.raises(TypeError):
        s.write_group("exp", [record(0), record(1, bad=True)])
    assert s.runs("exp") == []
    assert s.db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 0


def test_csv(store_path, tmp_path):
    s = Store(store_path)
    s.write_group("exp", [record(0)])
    text = s.to_csv(tmp_path / "out.csv", "exp").read_text()
    header = text.splitlines()[0].split(",")
    assert header[0] == "config.i" and {"experiment", "run_id", "status", "test/acc"} <= set(header)


def test_unreadable_store_is_config_error(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError):
        Store(bad)
    with pytest.raises(ConfigError):
        Store(tmp_path / "missing.sqlite", create=False)


def test_config_hash_is_pinned():
    """Stored results stay findable: these literal hashes must never change."""
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) == "015abd7f5cc57a2d"
    assert config_hash({"a": 1, "new": 0}, defaults={"new": 0}) == "015abd7f5cc57a2d"


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from genlab.store import Store
    from genlab.sweep import local
    from tests_helper_jobs import make_jobs
    calls = []
    real = local.train_records
    def dying(experiment, group, *a, **k):
        calls.append(1)
        if len(calls) == 2:  # killed while training the second group
            os.kill(os.getpid(), signal.SIGKILL)
        return real(experiment, group, *a, **k)
    local.train_records = dying
    local.run_jobs("kill", make_jobs(), Store(sys.argv[1]), progress=False)
""")

JOBS_HELPER = textwrap.dedent("""
    from genlab.data.datasets import DataSpec
    from genlab.sweep import Job
    from genlab.train import TrainSpec
    def make_jobs():
        spec = TrainSpec(steps=20, batch_size=50, eval_every=10, batching="slices")
        return [Job(model=m, data=DataSpec(n_train=200), train=spec, lr=1e-2, seed=s)
                for m in ("linear", "mlp") for s in (0, 1)]
""")


def test_killed_sweep_resumes(tmp_path, monkeypatch):
    (tmp_path / "tests_helper_jobs.py").write_text(JOBS_HELPER)
    (tmp_path / "kill.py").write_text(KILL_SCRIPT)
    db = tmp_path / "s.sqlite"
    proc = subprocess.run([sys.executable, str(tmp_path / "kill.py"), str(db)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    con = sqlite3.connect(db)
    models = [r[0] for r in con.execute("SELECT json_extract(config, '$.model') FROM runs")]
    assert models == ["linear", "linear"]  # first group complete, second absent
    n_metrics = con.execute("SELECT COUNT(DISTINCT run_id) FROM metrics").fetchone()[0]
    assert n_metrics == 2
    con.close()

    monkeypatch.syspath_prepend(str(tmp_path))
    from tests_helper_jobs import make_jobs

    from genlab.sweep import local
    trained = []
    real = local.train_records
    monkeypatch.setattr(local, "train_records", lambda e, g, *a, **k: trained.append(g[0].model) or real(e, g, *a, **k))
    local.run_jobs("kill", make_jobs(), Store(db), progress=False)
    assert trained == ["mlp"]
    assert len(Store(db).runs("kill")) == 4


def test_run_arrays_are_written_with_the_run(store_path):
    import numpy as np
    s = Store(store_path)
    mask = {"layers": [{"weight": np.eye(3, dtype=np.float32), "bias": np.ones(3, bool)}]}
    rec = record(0)
    rec.arrays = {"mask": mask}
    s.write_group("exp", [rec])
    got = s.run_arrays("run0", "mask")
    assert sorted(got) == ["layers/0/bias", "layers/0/weight"]
    np.testing.assert_array_equal(got["layers/0/weight"], np.eye(3))
    assert got["layers/0/bias"].dtype == bool
    with pytest.raises(KeyError):
        s.run_arrays("run0", "params")
