"""The executor setting: bad combinations are one-line errors (exit 2) before anything is
written; a custom `run` sees the command's executor through the context."""
import sys
from unittest import mock

import pytest
from typer.testing import CliRunner

from genlab.cli import app, main
from genlab.sweep.executor import ExecutorSpec, current, use_executor


def test_bad_executor_or_address_exits_2_and_writes_nothing(tmp_path):
    store = tmp_path / "s" / "genlab.sqlite"
    for args in (["--executor", "dask"], ["--address", "10.0.0.1:6379"]):
        argv = ["genlab", "run", "baselines", "--preset", "smoke", "--store", str(store), *args]
        with mock.patch.object(sys, "argv", argv), pytest.raises(SystemExit) as exit_:
            main()
        assert exit_.value.code == 2 and not store.exists()
    result = CliRunner().invoke(app, ["reproduce", "--executor", "dask", "--store", str(store)])
    assert result.exit_code != 0 and not store.exists()


def test_context_reaches_code_without_an_executor_argument():
    assert current().name == "local"
    with use_executor(ExecutorSpec("ray", "auto")):
        assert current() == ExecutorSpec("ray", "auto")
    assert current().name == "local"
