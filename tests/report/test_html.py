"""Report: the runs' own provenance (and a warning when a table mixes several); no import cycle."""
import ast
from pathlib import Path

import genlab
from genlab.experiments.base import Experiment
from genlab.provenance import KEY_FIELDS, provenance
from genlab.report.html import write_report
from genlab.store import RunRecord, Store


def test_provenance_records_what_produced_a_run():
    prov = provenance()
    assert set(KEY_FIELDS) <= set(prov)
    assert all(prov[lib] for lib in ("jax", "jaxlib", "equinox", "optax", "numpy"))
    assert prov["backend"] == "cpu" and prov["prng_impl"] and prov["git_dirty"] in (True, False, None)


def test_provenance_records_the_usable_cores(tmp_path):
    """XLA's thread count changes a run's numbers by round-off, so the cores it could use are a
    provenance key: a process pinned to one core records 1."""
    import os
    import subprocess
    import sys
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from genlab.provenance import provenance, describe; p = provenance(); "
            "print(p['cpus'], describe(p))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("1 ") and "usable CPU cores: 1" in out
    assert "cpus" in KEY_FIELDS and provenance()["cpus"] == len(os.sched_getaffinity(0))


def fake_experiment():
    return Experiment(name="fake", title="Fake study", paper="nobody", presets={},
                      analyze=lambda store: {"tables": {}}, plot=lambda store, outdir: [])


def record(i, commit):
    prov = {**provenance(), "git": commit, "jax": "0.0.fake"}
    return RunRecord(f"r{i}", i, {"i": i}, {}, {"test/acc": 0.5}, 1.0, prov)


def test_report_shows_the_runs_provenance_and_mixing(store_path, tmp_path):
    store = Store(store_path)
    store.write_group("fake", [record(0, "deadbee"), record(1, "deadbee")])
    page = write_report(Store(store_path, read_only=True), tmp_path / "a.html", [fake_experiment()]).read_text()
    assert "deadbee" in page and "jax 0.0.fake" in page and "mix runs" not in page
    store.write_group("fake", [record(2, "cafe123")])
    page = write_report(Store(store_path, read_only=True), tmp_path / "b.html", [fake_experiment()]).read_text()
    assert "mix runs from 2 different provenances" in page and "cafe123" in page and "deadbee" in page


def test_report_never_imports_experiments():
    """experiments import report.figures; report must not import experiments (no cycle)."""
    for path in (Path(genlab.__file__).parent / "report").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.startswith("genlab.experiments") for n in names), path
            if isinstance(node, ast.ImportFrom) and node.module == "genlab":
                assert "experiments" not in [a.name for a in node.names], path


def test_paper_scale_checks_are_counted_apart_from_miss():
    from genlab import claims
    from genlab.report.html import _counts
    false = claims.greater({0: 1.0, 1: 1.1, 2: 0.9}, {0: 2.0, 1: 2.1, 2: 1.9}, claim="x",
                           short_of_paper="small")

    class Section:
        status = "complete"
        checks = [{"check": "ok"}, {"check": "MISS"}, claims.row("x", false), {"check": ""},
                  {"check": "inconclusive"}, {"check": "inconclusive"}]
    counts = _counts([Section()])
    assert counts.startswith("1 checks ok, 1 MISS, 2 inconclusive")
    assert "1 not tested below paper scale" in counts and "1 without a check" in counts


def test_report_redraws_only_experiments_whose_runs_changed(store_path, tmp_path):
    """reproduce rewrites the report after every experiment: an unchanged experiment's
    section (analysis, figures, data files) is reused, a changed one is drawn again."""
    calls = {"a": 0, "b": 0}

    def counting(name):
        def analyze(store):
            calls[name] += 1
            return {"tables": {}, "headline": [{"name": f"{name} runs", "ours": str(len(store.runs(name))),
                                                "check": "ok"}]}
        return Experiment(name=name, title=name, paper="nobody", presets={}, analyze=analyze,
                          plot=lambda store, outdir: [])

    exps = [counting("a"), counting("b")]
    store = Store(store_path)
    store.write_group("a", [record(0, "deadbee")])
    store.write_group("b", [record(1, "deadbee")])
    first = write_report(store, tmp_path / "r.html", exps).read_text()
    assert calls == {"a": 1, "b": 1}
    assert write_report(store, tmp_path / "r.html", exps).read_text().split("page drawn")[1] \
        .split("</p>", 1)[1] == first.split("page drawn")[1].split("</p>", 1)[1]
    assert calls == {"a": 1, "b": 1}  # nothing changed: nothing analyzed again
    store.write_group("b", [record(2, "deadbee")])
    page = write_report(store, tmp_path / "r.html", exps).read_text()
    assert calls == {"a": 1, "b": 2} and "b runs" in page
    a_files = sorted((store_path.parent / "genlab-data").glob("a*"))
    assert a_files  # the section's data files, beside the store
    a_files[0].unlink()  # a section whose files are gone is drawn again
    write_report(store, tmp_path / "r.html", exps)
    assert calls == {"a": 2, "b": 2}
