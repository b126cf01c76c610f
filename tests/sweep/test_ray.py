"""The Ray executor for real: a local 2-CPU Ray runs smoke sweeps (a job sweep and a custom run)
and the store holds exactly the local executor's runs and numbers; a failed task keeps the
others' results and its traceback reaches the caller; each task's XLA threads match its CPUs."""
import dataclasses

import numpy as np
import pytest
from typer.testing import CliRunner

from genlab.cli import app
from genlab.config import check
from genlab.store import open_store
from genlab.sweep.ray import RemoteTasksFailed, map_ray, task_resources

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _runs(path, experiment):
    db = open_store(path, create=False)
    return {r["run_id"]: r["summary"] for r in db.runs(experiment)}


# Fewer models and steps than the smoke preset: under load, compiling dominates this test.
SMALLER = {"baselines": ["--set", "models=linear,mlp", "--set", "steps=100",
                         "--set", "eval_every=50"]}


@pytest.mark.parametrize("experiment", ["baselines", "expressivity"])
def test_ray_store_equals_local(tmp_path, experiment):
    runner = CliRunner()
    stores = {}
    for executor in ("local", "ray"):
        stores[executor] = tmp_path / executor / "genlab.sqlite"
        args = ["run", experiment, "--preset", "smoke", "--no-progress", "--executor", executor,
                *SMALLER.get(experiment, []),
                "--store", str(stores[executor])]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    local, remote = _runs(stores["local"], experiment), _runs(stores["ray"], experiment)
    assert sorted(local) == sorted(remote) and len(local) >= 8
    for run_id, summary in local.items():
        assert summary.keys() == remote[run_id].keys()
        for name, value in summary.items():  # float32 sums may be ordered differently by
            np.testing.assert_allclose(remote[run_id][name], value, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{run_id} {name}")  # a 1-thread XLA


def test_failed_group_keeps_the_others_and_reports_its_traceback(tmp_path, capsys):
    from genlab import experiments
    from genlab.sweep import run_jobs
    exp = experiments.get("baselines")
    good = [j for j in exp.jobs(exp.config("smoke")) if j.model == "linear"]
    bad = dataclasses.replace(good[0], model_kwargs={"no_such_argument": 1})
    db = open_store(tmp_path / "genlab.sqlite")
    run_jobs("baselines", good + [bad], db, progress=False, executor="ray")
    stderr = capsys.readouterr().err
    assert "runs failed on ray" in stderr and "no_such_argument" in stderr, stderr
    assert "Traceback" in stderr or "train_records" in stderr, stderr
    assert {r["run_id"] for r in db.runs("baselines")} == {j.run_id("baselines") for j in good}
    [failed] = db.runs("baselines", statuses=("failed",))
    assert failed["run_id"] == bad.run_id("baselines") and "no_such_argument" in failed["error"]


def test_map_ray_raises_failures_after_yielding_the_rest():
    got = {}
    calls = [(True, "fine"), (False, "member two is broken"), (True, "fine")]
    with pytest.raises(RemoteTasksFailed) as err:  # check(False, ...) raises in its task
        for i, out in map_ray(check, calls):
            got[i] = out
    assert got == {0: None, 2: None}
    assert "1 of 3 remote tasks failed" in str(err.value) and "member two" in str(err.value)


@pytest.mark.parametrize("cpus", [1, 2])
def test_task_xla_threads_match_its_cpus(cpus):
    [(_, seen)] = list(map_ray(task_resources, [()], cpus=cpus))
    assert seen["cpus"] == cpus and seen["omp_threads"] == str(cpus)
    assert f"intra_op_parallelism_threads={cpus}" in seen["xla_flags"]
    assert f"--xla_cpu_multi_thread_eigen={'true' if cpus > 1 else 'false'}" in seen["xla_flags"]
