"""Property test of the CLI contract: any bad input -> one line on stderr, exit 2, and no file
created or changed (hypothesis over wrong types, bad numbers, unknown names, odd strings, bad
stores). In-process through typer.testing.CliRunner, so it takes seconds."""
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from genlab import cli, experiments
from genlab.store.schema import SCHEMA

SMOKE = ["--preset", "smoke", "--set", "models=linear"]
NAMES = set(experiments.names())
odd_text = st.one_of(st.just(""), st.text(min_size=1, max_size=12),
                     st.text(alphabet="é漢字🙂\u200b ", min_size=1, max_size=6),
                     st.integers(2000, 5000).map(lambda n: "x" * n))
bad_positive_int = st.one_of(st.integers(-10**6, 0).map(str), st.sampled_from(
    ["1.5", "abc", "nan", "inf", "", "1e3", "１２ab"]))
bad_float = st.one_of(st.floats(max_value=0.0, allow_nan=False).map(repr),
                      st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "abc", "", "0x"]))


def bad_stores(root):
    """Paths of --store values that must be refused: (name, path)."""
    return {"directory": root / "a_dir", "parent_is_file": root / "plain.txt" / "db.sqlite",
            "not_sqlite": root / "garbage.sqlite", "other_schema": root / "other.sqlite",
            "newer_schema": root / "newer.sqlite", "old_schema": root / "old.sqlite"}


def make_bad_stores(root):
    paths = bad_stores(root)
    paths["directory"].mkdir()
    (root / "plain.txt").write_text("not a directory")
    paths["not_sqlite"].write_bytes(b"this is not a database\n" * 200)
    for name, script in [("other_schema", "CREATE TABLE foo (x);"),
                         ("newer_schema", SCHEMA + "PRAGMA user_version=99;"),
                         ("old_schema", SCHEMA.replace("CREATE TABLE IF NOT EXISTS leases", "CREATE TABLE IF NOT EXISTS x"))]:
        con = sqlite3.connect(paths[name])
        con.executescript(script)
        con.close()
    if os.geteuid() != 0:  # root may write anywhere: an unwritable place only exists for others
        (root / "locked").mkdir(mode=0o500)
        paths["unwritable"] = root / "locked" / "db.sqlite"
    return paths


@st.composite
def bad_input(draw):
    kind = draw(st.sampled_from(["experiment", "preset", "set_int", "set_float", "set_key", "set_form",
                                 "seeds", "executor", "format", "store", "results_exp", "type"]))
    if kind == "experiment":
        return ["run", draw(odd_text.filter(lambda t: t.strip() not in NAMES and not t.startswith("-")))]
    if kind == "preset":
        return ["run", "baselines", "--preset", draw(odd_text.filter(lambda t: t not in ("smoke", "quick", "paper")))]
    if kind == "set_int":
        key = draw(st.sampled_from(["steps", "eval_every", "batch_size", "seeds"]))
        return ["run", "baselines", *SMOKE, "--set", f"{key}={draw(bad_positive_int)}"]
    if kind == "set_float":
        return ["run", "baselines", *SMOKE, "--set", f"lr={draw(bad_float)}"]
    if kind == "set_key":
        key = draw(odd_text.filter(lambda t: "=" not in t and t.strip() not in
                                   ("models", "variants", "eval_every", "seeds", "steps", "lr", "batch_size")))
        return ["run", "baselines", "--set", f"{key}=1"]
    if kind == "set_form":
        return ["run", "baselines", "--set", draw(odd_text.filter(lambda t: "=" not in t))]
    if kind == "seeds":
        return ["run", "baselines", *SMOKE, "--seeds", draw(st.one_of(
            st.integers(-10**9, 0), st.integers(1001, 10**12)).map(str))]
    if kind == "executor":
        return ["run", "baselines", *SMOKE, "--executor", draw(odd_text.filter(lambda t: t not in ("local", "ray")))]
    if kind == "format":
        return ["results", "baselines", "--format", draw(odd_text.filter(lambda t: t not in ("table", "json", "csv")))]
    if kind == "results_exp":
        return ["results", draw(odd_text.filter(lambda t: t.strip() not in NAMES and not t.startswith("-")))]
    if kind == "type":
        return ["run", "baselines", draw(st.sampled_from(["--seeds", "--preset"])), *(["abc"] if draw(st.booleans()) else [])]
    command = draw(st.sampled_from([["run", "baselines", *SMOKE], ["results", "baselines"], ["report"]]))
    return [*command, "--store", ("STORE", draw(st.sampled_from(sorted(bad_stores(__import__("pathlib").Path("."))))))]


def snapshot(root):
    return {str(p.relative_to(root)): (p.is_dir() or hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*"))}


def test_cli_contract_holds_for_many_distinct_bad_inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default ./genlab-runs store would show up in the snapshot
    stores = make_bad_stores(tmp_path)
    before = snapshot(tmp_path)
    runner, seen = CliRunner(), set()

    @settings(max_examples=90, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(bad_input())
    def check(args):
        args = [str(stores[a[1]]) if isinstance(a, tuple) else a for a in args]
        seen.add(tuple(args))
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 2, (args, result.output, result.exception)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.stderr)
        assert snapshot(tmp_path) == before, args

    check()
    assert len(seen) >= 50


def tiny_store(path):
    """A genlab store holding one baselines run (enough for `results` and `report`)."""
    from genlab.store.sqlite import RunRecord, Store
    store = Store(path)
    store.write_group("baselines", [RunRecord(run_id="r1", seed=0, config={"model": "linear"},
                                              metrics={"test/acc": ([0, 1], [0.1, 0.2])},
                                              summary={"test/acc": 0.2})])
    store.close()
    return path


def refused(args, root, before):
    """The contract for one bad input: exit 2, one `error:` line, nothing under root changed."""
    result = CliRunner().invoke(cli.app, [str(a) for a in args])
    assert result.exit_code == 2, (args, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.stderr)
    assert snapshot(root) == before, args
    return lines[0]


@pytest.mark.parametrize("command", [["results", "baselines", "--format", "json"], ["report"],
                                     ["data", "mnist1d"]])
@pytest.mark.parametrize("where", ["under_a_file", "a_directory", "unwritable", "name_too_long"])
def test_bad_output_path_is_refused_before_writing(tmp_path, monkeypatch, command, where):
    """issue 27: an --out under a file, that is a directory, in an unwritable folder, or with a
    name too long for the filesystem was a traceback (and `report` had written its data folder)."""
    monkeypatch.chdir(tmp_path)
    store = tiny_store(tmp_path / "db.sqlite")
    (tmp_path / "plain.txt").write_text("a file, not a folder")
    (tmp_path / "adir.npz").mkdir()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root may write anywhere: let access() answer as it does for others
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: (
            Path(p) != locked and real(p, mode, *a, **k)))
    out = {"under_a_file": tmp_path / "plain.txt" / "o.npz", "a_directory": tmp_path / "adir.npz",
           "unwritable": locked / "o.npz", "name_too_long": tmp_path / ("a" * 300 + ".npz")}[where]
    store_args = [] if command[0] == "data" else ["--store", store]
    refused([*command, "--out", out, *store_args], tmp_path, snapshot(tmp_path))


@pytest.mark.parametrize("args", [
    ["--num-samples", "100000000000000000000"], ["--num-samples", "-100000000000000000000"],
    ["--padding", "1", "100000000000000000000"], ["--scale-coeff", "inf"],
    ["--iid-noise-scale", "inf"], ["--corr-noise-scale", "nan"], ["--shear-scale", "-inf"],
    ["--train-split", "nan"]])
def test_data_generator_bad_numbers_refused(tmp_path, args):
    """issue 27: ints beyond int64 overflowed in NumPy (traceback); inf scales wrote a NaN set."""
    line = refused(["data", "mnist1d", "--out", tmp_path / "d.npz", *args], tmp_path,
                   snapshot(tmp_path))
    assert args[0] in line


def damaged_stores(root):
    """Stores SQLite cannot read, each of which made `results` / `report` leave -wal / -shm files
    beside it (issue 27): random bytes, a genlab store cut to half its size, page 1 garbled."""
    good = tiny_store(root / "good.sqlite").read_bytes()
    rng = __import__("random").Random(0)
    paths = {"random_bytes": bytes(rng.randrange(256) for _ in range(100)),
             "truncated_half": good[:len(good) // 2],
             "truncated_header_only": good[:100],
             "page1_garbled": good[:100] + bytes(rng.randrange(256) for _ in range(400)) + good[500:]}
    (root / "good.sqlite").unlink()
    for name, data in paths.items():
        (root / f"{name}.sqlite").write_bytes(data)
    return sorted(paths)


@pytest.mark.parametrize("command", [["results", "baselines"], ["report"],
                                     ["run", "baselines", "--preset", "smoke"]])
def test_damaged_store_is_refused_without_side_files(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    names = damaged_stores(tmp_path)
    before = snapshot(tmp_path)
    for name in names:
        line = refused([*command, "--store", tmp_path / f"{name}.sqlite"], tmp_path, before)
        assert "cannot open store" in line, line
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))]


@pytest.mark.parametrize("command", [["results", "baselines"], ["report"],
                                     ["run", "baselines", "--preset", "smoke"]])
def test_store_name_too_long_is_refused(tmp_path, monkeypatch, command):
    """A --store name longer than the filesystem allows was an OSError traceback (issue 27)."""
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    line = refused([*command, "--store", tmp_path / ("a" * 300 + ".sqlite")], tmp_path, before)
    assert "too long" in line, line  # report checks its own page (beside the store) first
