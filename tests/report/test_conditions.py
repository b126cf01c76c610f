"""Conditions, protocol tables, exports and the report's handling of partial and absent results."""
import csv
import io
import json

from genlab import experiments
from genlab.report import conditions, export
from genlab.report.html import write_report
from genlab.store import RunRecord, Store

EXPERIMENTS = [experiments.get(n) for n in experiments.names()]


def _run(i, steps=300, optimizer="adam", lr=0.01):
    config = {"model": "mlp", "lr": lr, "train": {"steps": steps, "optimizer": optimizer},
              "model_kwargs": {"width": 8}, "tags": {"variant": "original"}, "seed": i}
    return RunRecord(f"id{i}", i, config, {"test/acc": ([0, 100], [0.1, 0.5 + i / 10])},
                     {"test/acc": 0.5 + i / 10}, wall_s=2.0)


def test_protocol_rows_read_the_stored_configs():
    runs = [{"run_id": f"id{i}", "seed": i, "config": _run(i, steps=s).config}
            for i, s in enumerate((300, 6000))]
    table = conditions.protocol(runs, [("optimizer", "adam", "config:train.optimizer"),
                                       ("steps", 6000, "config:train.steps"),
                                       ("data", "CIFAR-10", "MNIST-1D")])
    assert table["rows"] == [["optimizer", "adam", "adam", "same"],
                             ["steps", "6000", "300, 6000", "DEVIATES"],
                             ["data", "CIFAR-10", "MNIST-1D", "DEVIATES"]]


def test_exports_are_flat_and_long(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.write_group("baselines", [_run(0), _run(1)])
    runs = store.runs("baselines")
    rows = export.run_rows(runs)
    assert rows[0]["config.train.steps"] == 300 and rows[0]["config.model_kwargs.width"] == 8
    assert not any(isinstance(v, (dict, list)) for row in rows for v in row.values())
    curves = list(export.curve_rows(store, runs))
    assert curves[0] == {"run_id": "id0", "step": 0, "metric": "test/acc", "value": 0.1}
    assert len(curves) == 4
    buffer = io.StringIO()
    export.write_csv(buffer, curves)
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["run_id", "step", "metric", "value"]
    assert json.loads(export.dumps({"x": float("nan")})) == {"x": None}


def test_outputs_are_named_after_the_store(tmp_path):
    a, b = export.outputs(tmp_path / "a.sqlite"), export.outputs(tmp_path / "b.sqlite")
    assert a["report"] == tmp_path / "a-report.html" and a["figures"] == tmp_path / "a-figures"
    assert not set(a.values()) & set(b.values())


def test_report_marks_interrupted_and_absent_experiments(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.write_group("baselines", [_run(0)])
    conditions.record(store, "baselines", preset="quick", status="running",
                      expected_ids=["id0", "id1", "id2"], config={"steps": 6000})
    page = write_report(store, None, EXPERIMENTS).read_text()
    assert "incomplete: 1 of 3 runs finished" in page
    assert "preset quick" in page
    assert "Not run: the store holds no runs" in page  # every other registered experiment
    assert "s-data/baselines_curves.csv" in page  # download links
    conditions.record(store, "baselines", status="complete", wall_s=12.0, compile_s=3.0)
    page = write_report(store, None, EXPERIMENTS).read_text()
    assert "incomplete" not in page.split("id='baselines'")[1].split("<h2")[0]
    assert "wall 12 s, compile 3 s" in page


def test_report_marks_an_experiment_interrupted_before_its_first_run(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    conditions.record(store, "pooling", preset="quick", status="running", expected_ids=["a", "b"])
    page = write_report(store, None, EXPERIMENTS).read_text()
    assert "Started (preset quick) but interrupted before any run finished." in page


def test_a_resumed_execution_says_so_and_a_finished_one_keeps_its_times(tmp_path):
    # expressivity is a custom run (no job ids): an interrupted execution leaves some runs; the
    # one that finishes it records how many came before; one with nothing to do keeps the times.
    import sqlite3

    from genlab.experiments.execution import execute
    from genlab.report.console import conditions_line
    exp = experiments.get("expressivity")
    store = Store(tmp_path / "s.sqlite")
    execute(exp, exp.config("smoke"), store, preset="smoke", progress=False, log=lambda _: None)
    ids = [r["run_id"] for r in store.runs("expressivity")]
    with sqlite3.connect(tmp_path / "s.sqlite") as con:  # "interrupt": drop all but 2 runs
        for table, key in (("runs", "id"), ("metrics", "run_id"), ("summaries", "run_id")):
            con.executemany(f"DELETE FROM {table} WHERE {key}=?", [(i,) for i in ids[2:]])
    times = execute(exp, exp.config("smoke"), store, preset="smoke", progress=False,
                    log=lambda _: None)
    assert times["resumed_runs"] == 2
    runs = store.runs("expressivity")
    line = conditions_line(conditions.summary(store, "expressivity", runs))
    assert "2 runs came from an earlier, interrupted one" in line
    again = execute(exp, exp.config("smoke"), store, preset="smoke", progress=False,
                    log=lambda _: None)
    assert again == times  # nothing trained: the finishing execution's times stay
