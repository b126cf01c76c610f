"""CLI: bad input gives one line on stderr, exit code 2, and writes nothing."""
import json
import sys

import numpy as np
import pytest

from genlab import cli


def run_cli(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["genlab", *args])
    with pytest.raises(SystemExit) as e:
        cli.main()
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


@pytest.mark.parametrize("args", [
    ["run", "no_such_experiment"],
    ["run", "baselines", "--preset", "huge"],
    ["run", "baselines", "--set", "models=linear,nonsense"],
    ["run", "baselines", "--set", "steps=-5"],
    ["run", "baselines", "--set", "lr=0"],
    ["run", "baselines", "--set", "lr=-1"],
    ["run", "baselines", "--set", "no_such_key=1"],
    ["run", "baselines", "--set", "steps=abc"],
    ["run", "baselines", "--seeds", "0"],
    ["run", "baselines", "--executor", "spark"],
    ["run", "spatial_prior", "--set", "variants=upside"],
    ["run", "pooling", "--set", "pools=max,bogus"],
    ["run", "double_descent", "--set", "widths=0"],
    ["run", "deep_bootstrap", "--set", "n_trains=-1"],
    ["run", "expressivity", "--set", "targets=true,fake"],
    ["run", "implicit_linear", "--set", "ntk_depths=0"],
    ["results", "no_such_experiment"],
    ["results", "baselines", "--format", "xml"],
    # issue 27: beyond int64, an empty sweep, unknown tuple members
    ["run", "baselines", "--set", "steps=9223372036854775808"],
    ["run", "baselines", "--set", "steps=9223372036854775900"],  # a multiple of eval_every
    ["run", "baselines", "--set", "eval_every=-9223372036854775809"],
    ["run", "baselines", "--set", "models="],
    ["run", "baselines", "--set", "models=,"],
    ["run", "baselines", "--set", "variants=nosuch"],
    ["run", "baselines", "--set", "variants=original,nosuch"],
    ["run", "randomization", "--set", "models=nosuch"],
])
def test_bad_input_exit_2_and_writes_nothing(monkeypatch, capsys, tmp_path, args):
    store = tmp_path / "s" / "db.sqlite"
    code, out, err = run_cli(monkeypatch, capsys, *args, "--store", str(store))
    assert code == 2
    assert err.strip().startswith("error:") and len(err.strip().splitlines()) == 1, err
    assert not store.exists() and not store.parent.exists()


@pytest.mark.parametrize("args", [
    ["bench", "train", "--steps", "0"],
    ["bench", "train", "--model", "nonsense"],
    ["bench", "n-axis", "--steps", "0"],
    ["bench", "n-axis", "--repeats", "0"],
])
def test_bench_bad_input_exit_2(monkeypatch, capsys, args):
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2 and not out
    assert err.strip().startswith("error:") and len(err.strip().splitlines()) == 1, err


def test_unreadable_store(monkeypatch, capsys, tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"garbage" * 1000)
    code, _, err = run_cli(monkeypatch, capsys, "results", "baselines", "--store", str(bad))
    assert code == 2 and "cannot open store" in err
    code, _, err = run_cli(monkeypatch, capsys, "results", "baselines", "--store", str(tmp_path / "none.sqlite"))
    assert code == 2 and "no store" in err


def test_data_frozen_and_generated(monkeypatch, capsys, tmp_path):
    from genlab.data import mnist1d
    code, _, _ = run_cli(monkeypatch, capsys, "data", "mnist1d", "--out", str(tmp_path / "f.npz"))
    assert code == 0
    with np.load(tmp_path / "f.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["t", "x", "x_test", "y", "y_test"]
        np.testing.assert_array_equal(f["x"], mnist1d.load_frozen()["x"])
    code, _, _ = run_cli(monkeypatch, capsys, "data", "mnist1d", "--out", str(tmp_path / "g.npz"),
                         "--num-samples", "200", "--padding", "10", "20", "--seed", "3")
    assert code == 0
    with np.load(tmp_path / "g.npz", allow_pickle=False) as g:
        assert g["x"].shape == (160, 40) and g["x_test"].shape == (40, 40)
    code, _, err = run_cli(monkeypatch, capsys, "data", "mnist1d", "--out", str(tmp_path / "h.npz"),
                           "--num-samples", "-3")
    assert code == 2 and not (tmp_path / "h.npz").exists()


def test_run_results_json_report(monkeypatch, capsys, tmp_path):
    store = str(tmp_path / "db.sqlite")
    code, _, _ = run_cli(monkeypatch, capsys, "run", "baselines", "--preset", "smoke", "--seeds", "1",
                         "--set", "models=linear", "--set", "steps=100", "--set", "eval_every=50",
                         "--store", store, "--no-progress")
    assert code == 0
    code, out, _ = run_cli(monkeypatch, capsys, "results", "baselines", "--format", "json", "--store", store)
    rows = json.loads(out)
    assert code == 0 and len(rows) == 2  # one model x two variants x one seed
    assert set(rows[0]) == {"experiment", "run_id", "seed", "status", "diverged_step", "error",
                            "config", "summary"}
    assert {r["status"] for r in rows} == {"done"}
    assert 0.0 <= rows[0]["summary"]["test/acc"] <= 1.0
    code, out, _ = run_cli(monkeypatch, capsys, "results", "baselines", "--format", "csv", "--curves",
                           "--store", store)
    header, *lines = out.splitlines()
    assert code == 0 and header == "run_id,step,metric,value"
    assert {line.split(",")[0] for line in lines} == {r["run_id"] for r in rows}
    assert {int(line.split(",")[1]) for line in lines} == {0, 50, 100}
    code, out, _ = run_cli(monkeypatch, capsys, "results", "baselines", "--format", "csv", "--store", store)
    assert code == 0 and "config.train.steps" in out.splitlines()[0] and "{" not in out
    code, out, _ = run_cli(monkeypatch, capsys, "results", "baselines", "--format", "json", "--analysis",
                           "--store", store)
    analysis = json.loads(out)
    assert code == 0 and analysis["conditions"]["preset"] == "smoke"
    assert analysis["conditions"]["status"] == "complete" and analysis["headline"]
    code, _, _ = run_cli(monkeypatch, capsys, "report", "--store", store)
    html = (tmp_path / "db-report.html").read_text()  # named after the store
    assert code == 0 and "MNIST-1D baselines" in html and "db-figures/" in html
    assert "preset smoke" in html and "Not run" in html  # the other experiments are shown absent


def test_results_on_absent_experiment_exit_2(monkeypatch, capsys, tmp_path):
    from genlab.store import open_store
    store = tmp_path / "db.sqlite"
    open_store(store).close()
    code, out, err = run_cli(monkeypatch, capsys, "results", "pooling", "--store", str(store))
    assert code == 2 and "holds no runs of pooling" in err and len(err.strip().splitlines()) == 1


def test_show_prints_config_and_set_keys(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "show", "pooling", "--preset", "smoke", "--set", "seeds=2")
    assert code in (0, None) and "seeds" in out and "2" in out and "--set" in out


def test_ray_executor_without_ray(monkeypatch, capsys, tmp_path):
    import importlib.util
    if importlib.util.find_spec("ray") is not None:
        return  # with Ray installed this check does not apply; the local path is tested above
    store = tmp_path / "db.sqlite"
    code, _, err = run_cli(monkeypatch, capsys, "run", "baselines", "--preset", "smoke",
                           "--executor", "ray", "--store", str(store))
    assert code == 2 and "pip install" in err and not store.exists()


def test_executor_map_is_driver_written(tmp_path, monkeypatch):
    """Any executor only returns records; the driver writes them (here a fake 'ray')."""
    from genlab.data.datasets import DataSpec
    from genlab.store import Store
    from genlab.sweep import Job, local
    from genlab.sweep import ray as ray_exec
    from genlab.train import TrainSpec

    def fake_map(fn, calls, **options):
        for i in reversed(range(len(calls))):  # out of order, as remote tasks may finish
            yield i, fn(*calls[i])

    monkeypatch.setattr(ray_exec, "map_ray", fake_map)
    spec = TrainSpec(steps=10, batch_size=20, eval_every=5, batching="slices")
    jobs = [Job(model=m, data=DataSpec(n_train=100), train=spec, lr=1e-2, seed=0) for m in ("linear", "mlp")]
    store = Store(tmp_path / "s.sqlite")
    local.run_jobs("fake", jobs, store, progress=False, executor="ray")
    assert sorted(r["config"]["model"] for r in store.runs("fake")) == ["linear", "mlp"]


def test_dry_run_counts_runs_and_programs_and_writes_nothing(monkeypatch, capsys, tmp_path):
    from genlab import experiments
    from genlab.sweep import group_jobs
    store = tmp_path / "s" / "db.sqlite"
    code, out, _ = run_cli(monkeypatch, capsys, "run", "pooling", "--preset", "quick", "--dry-run",
                           "--store", str(store))
    exp = experiments.get("pooling")
    jobs = exp.jobs(exp.config("quick"))
    assert code in (0, None)
    assert f"{len(jobs)} runs in {len(group_jobs(jobs))} compiled programs" in " ".join(out.split())
    assert not store.parent.exists()


def test_empty_set_list_skips_a_part_but_not_every_run(monkeypatch, capsys, tmp_path):
    """`--set channels=` (an empty tuple) still drops one part of a sweep; only a config left
    with no runs at all (`--set models=`) is refused (issue 27)."""
    store = tmp_path / "s" / "db.sqlite"
    code, out, err = run_cli(monkeypatch, capsys, "run", "double_descent", "--preset", "smoke",
                             "--set", "channels=", "--dry-run", "--store", str(store))
    assert code in (0, None) and "runs in" in out, err
    code, out, err = run_cli(monkeypatch, capsys, "run", "baselines", "--preset", "smoke",
                             "--set", "models=", "--dry-run", "--store", str(store))
    assert code == 2 and err.strip() == "error: baselines: this config gives no runs (empty: models)"
    assert not store.parent.exists()
