"""Ctrl-C during `genlab run`: one line, exit 130, the store intact and resumable."""
import os
import signal
import sqlite3
import subprocess
import sys
import time


def test_ctrl_c_exits_130_and_keeps_the_store(tmp_path):
    store = tmp_path / "db.sqlite"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "from genlab.cli import main; main()", "run",
                             "baselines", "--preset", "quick", "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = ""
    deadline = time.time() + 120
    while "to train" not in line and time.time() < deadline:  # training has started
        line = proc.stderr.readline()
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
