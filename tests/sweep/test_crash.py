"""Crash safety and sharing with real processes: SIGKILL at random moments (and inside a group's
write) leaves a consistent store and a resumed sweep equals an uninterrupted one; two sweeps on
one store never train the same run twice."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from genlab.store import Store

JOBS = textwrap.dedent("""
    from genlab.data.datasets import DataSpec
    from genlab.sweep import Job
    from genlab.train import TrainSpec
    def make_jobs():
        spec = TrainSpec(steps=20, batch_size=50, eval_every=10, batching="slices")
        return [Job(model="linear", data=DataSpec(n_train=100), train=spec, lr=lr, seed=s)
                for s in range(4) for lr in (0.01, 1e12)]  # one program, four groups of two
""")
SWEEP = textwrap.dedent("""
    import os, signal, sys
    from genlab.store import Store, sqlite
    from genlab.sweep import local
    from crash_jobs import make_jobs
    if os.environ.get("KILL_IN_WRITE"):  # die after the first run of the second group is written
        real, calls = sqlite.Store._write_run, []
        def dying(self, experiment, r):
            real(self, experiment, r)
            calls.append(r.run_id)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        sqlite.Store._write_run = dying
    real_train = local.train_records
    def logged(experiment, group, *a, **k):
        records = real_train(experiment, group, *a, **k)
        print("trained", " ".join(r.run_id for r in records), flush=True)
        return records
    local.train_records = logged
    local.run_jobs("crash", make_jobs(), Store(sys.argv[1]), progress=False, max_members=2)
""")


def setup(tmp_path):
    (tmp_path / "crash_jobs.py").write_text(JOBS)
    (tmp_path / "sweep.py").write_text(SWEEP)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    return lambda db, **extra: subprocess.Popen(
        [sys.executable, str(tmp_path / "sweep.py"), str(db)], cwd=tmp_path, text=True,
        env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def contents(db):
    store = Store(db, read_only=True)
    runs = store.runs("crash", statuses=("done", "diverged", "failed"))
    return {r["run_id"]: (r["status"], r["diverged_step"], r["summary"], store.metrics(r["run_id"]))
            for r in runs}


def assert_consistent(db):
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = {r[0] for r in con.execute("SELECT id FROM runs")}
    with_metrics = {r[0] for r in con.execute("SELECT DISTINCT run_id FROM metrics")}
    with_summary = {r[0] for r in con.execute("SELECT DISTINCT run_id FROM summaries")}
    con.close()
    assert runs == with_metrics == with_summary  # no half-written run
    assert len(runs) % 2 == 0  # whole groups of two members only


def nan_equal(a, b):
    return repr(a) == repr(b)  # NaN == NaN, and every bit of each float


def test_kill_minus_9_at_random_moments_then_resume_equals_uninterrupted(tmp_path):
    start = setup(tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        from crash_jobs import make_jobs

        from genlab.sweep import local
        reference = tmp_path / "reference.sqlite"
        local.run_jobs("crash", make_jobs(), Store(reference), progress=False, max_members=2)
    finally:
        sys.path.remove(str(tmp_path))
    db = tmp_path / "killed.sqlite"
    proc = start(db, KILL_IN_WRITE="1")
    proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert_consistent(db)
    assert len(contents(db)) == 2  # the first group only: the second died inside its write
    rng, kills = random.Random(0), 0
    for _ in range(3):  # up to three more kills at random moments (start-up, compile, train, write)
        proc = start(db)
        time.sleep(rng.uniform(0.5, 5.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=300)
        assert_consistent(db)
        if proc.returncode == 0:
            break
    else:
        proc = start(db)
        proc.communicate(timeout=300)
        assert proc.returncode == 0
    got, want = contents(db), contents(reference)
    assert sorted(got) == sorted(want) and len(want) == 8
    assert nan_equal(got, want)


def test_two_sweeps_on_one_store_never_train_a_run_twice(tmp_path):
    start = setup(tmp_path)
    db = tmp_path / "shared.sqlite"
    Store(db).close()
    procs = [start(db), start(db)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-1000:] for o in outs]
    trained = [[i for line in out.splitlines() if line.startswith("trained") for i in line.split()[1:]]
               for out, _ in outs]
    assert not set(trained[0]) & set(trained[1])
    assert len(trained[0]) + len(trained[1]) == 8 and len(contents(db)) == 8
