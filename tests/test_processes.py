"""`genlab reproduce --jobs N`: experiments as concurrent child processes sharing one store."""
import json
import subprocess
import sys
import time

from genlab.processes import run_concurrently


def test_run_concurrently_runs_each_once_at_most_jobs_at_a_time(tmp_path):
    # each child records when it started and stopped; exit codes come back per name
    def command(name):
        code = 3 if name == "c" else 0
        script = (f"import time, pathlib; p = pathlib.Path({str(tmp_path)!r}) / {name!r}; "
                  f"p.write_text(str(time.time())); time.sleep(0.5); "
                  f"p.write_text(p.read_text() + ' ' + str(time.time())); raise SystemExit({code})")
        return [sys.executable, "-c", script]
    finished = []
    codes = run_concurrently(["a", "b", "c", "d"], 2, command,
                             lambda name, code, out, wall: finished.append(name), poll_s=0.05)
    assert codes == {"a": 0, "b": 0, "c": 3, "d": 0}
    assert sorted(finished) == ["a", "b", "c", "d"]
    spans = {n: tuple(map(float, (tmp_path / n).read_text().split())) for n in "abcd"}
    events = sorted([(s, 1) for s, _ in spans.values()] + [(e, -1) for _, e in spans.values()])
    live, most = 0, 0
    for _, change in events:
        live += change
        most = max(most, live)
    assert most == 2  # two at a time, never more


def _results(store, name):
    out = subprocess.run([sys.executable, "-m", "genlab.cli", "results", name, "--store", str(store),
                          "--format", "json"], capture_output=True, text=True, check=True)
    return sorted((r["run_id"], json.dumps(r["summary"], sort_keys=True)) for r in json.loads(out.stdout))


def test_reproduce_in_two_processes_equals_one(tmp_path):
    only = ["--only", "expressivity", "--only", "implicit_linear"]
    stores = {}
    for jobs in (1, 2):
        stores[jobs] = tmp_path / f"j{jobs}" / "genlab.sqlite"
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "genlab.cli", "reproduce", "--preset", "smoke",
                               "--store", str(stores[jobs]), "--no-progress", "--jobs", str(jobs),
                               *only], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert (stores[jobs].parent / "genlab-report.html").exists(), time.perf_counter() - t
    assert "2 at a time" in done.stdout
    for name in ("expressivity", "implicit_linear"):
        one, two = _results(stores[1], name), _results(stores[2], name)
        assert one and one == two


def test_reproduce_with_ray_runs_experiments_one_at_a_time(monkeypatch, tmp_path):
    """Ray already spreads each experiment's groups: two children would start two local Rays."""
    import pytest
    pytest.importorskip("ray")
    from typer.testing import CliRunner

    from genlab import cli, processes
    from genlab.experiments import execution
    ran = []
    monkeypatch.setattr(processes, "reproduce_concurrently",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran concurrently")))
    monkeypatch.setattr(execution, "execute", lambda exp, *a, **k: ran.append(exp.name) or
                        {"wall_s": 0.0, "compile_s": 0.0})
    monkeypatch.setattr(cli, "_print_results", lambda exp, db: None)
    result = CliRunner().invoke(cli.app, ["reproduce", "--preset", "smoke", "--executor", "ray",
                                          "--jobs", "2", "--store", str(tmp_path / "g.sqlite"),
                                          "--only", "expressivity", "--only", "implicit_linear"])
    assert result.exit_code == 0, result.output
    assert ran == ["expressivity", "implicit_linear"]


def test_longest_expected_experiment_starts_first():
    from genlab import experiments
    order = experiments.longest_first(experiments.names())
    assert sorted(order) == sorted(experiments.names())
    walls = [experiments.EXPECTED_WALL_S.get(n, 60) for n in order]
    assert walls == sorted(walls, reverse=True)
    assert order[0] == max(experiments.names(), key=lambda n: experiments.EXPECTED_WALL_S.get(n, 60))
    # unknown names count as 60 s; ties keep the given order
    assert experiments.longest_first(["x", "expressivity", "y", "deep_bootstrap"]) == \
        ["deep_bootstrap", "x", "y", "expressivity"]
