"""Compilation: the persistent cache is on by default and can be moved or disabled; a compile
group of the same shapes reuses the compiled programs; each run records its group's compile time."""
import dataclasses
import os
import subprocess
import sys

from genlab import compilation, experiments
from genlab.store import open_store
from genlab.sweep import run_jobs
from genlab.sweep.local import train_models


def _cache_env(**env):
    code = "import genlab, os; print(os.environ.get('JAX_COMPILATION_CACHE_DIR'))"
    clean = {k: v for k, v in os.environ.items()
             if k not in ("JAX_COMPILATION_CACHE_DIR", "GENLAB_XLA_CACHE", "XDG_CACHE_HOME")}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def test_cache_on_by_default_movable_and_disableable(tmp_path):
    assert _cache_env(XDG_CACHE_HOME=str(tmp_path)) == str(tmp_path / "genlab" / "xla")
    assert _cache_env(GENLAB_XLA_CACHE=str(tmp_path / "x")) == str(tmp_path / "x")
    assert _cache_env(GENLAB_XLA_CACHE="0") == "None"


def _xla_flags(**env):
    code = ("import genlab, os, jax.numpy as jnp; jnp.ones(2).sum().block_until_ready(); "
            "print(os.environ.get('XLA_FLAGS'))")
    clean = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "GENLAB_XLA_OPT_LEVEL")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_backend_opt_level_1_by_default_and_overridable():
    assert _xla_flags() == "--xla_backend_optimization_level=1"
    assert _xla_flags(GENLAB_XLA_OPT_LEVEL="3") == "--xla_backend_optimization_level=3"
    user = "--xla_cpu_multi_thread_eigen=false --xla_backend_optimization_level=2"
    assert _xla_flags(XLA_FLAGS=user) == user  # the user's own level is left alone
    assert _xla_flags(XLA_FLAGS="--xla_cpu_multi_thread_eigen=false") == \
        "--xla_cpu_multi_thread_eigen=false --xla_backend_optimization_level=1"


def _linear_jobs(seeds):
    exp = experiments.get("baselines")
    jobs = [j for j in exp.jobs(exp.config("smoke")) if j.model == "linear"]
    return [dataclasses.replace(jobs[0], seed=s) for s in seeds]


def test_same_shapes_compile_nothing_new():
    train_models(_linear_jobs([0, 1]))
    with compilation.compile_timer() as again:
        train_models(_linear_jobs([5, 6]))  # another group, same shapes
    assert again.programs == 0, f"{again.programs} programs compiled for a same-shape group"


def test_runs_record_their_group_compile_time(tmp_path):
    db = open_store(tmp_path / "genlab.sqlite")
    jobs = _linear_jobs([0, 1])
    jobs = [dataclasses.replace(j, train=dataclasses.replace(j.train, steps=200)) for j in jobs]
    with compilation.compile_timer() as timer:
        run_jobs("baselines", jobs, db, progress=False)
    runs = db.runs("baselines")
    assert len(runs) == 2 and timer.programs > 0
    recorded = {r["provenance"]["compile_s"] for r in runs}
    assert len(recorded) == 1 and 0 < recorded.pop() <= timer.seconds + 1e-9
