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


def _xla(**env) -> tuple[list[str], int]:
    """(XLA_FLAGS, number of JAX devices) of a fresh process that imported genlab with `env`."""
    code = ("import genlab, os, jax; jax.numpy.ones(2).sum().block_until_ready(); "
            "print(os.environ.get('XLA_FLAGS')); print(jax.device_count())")
    clean = {k: v for k, v in os.environ.items()
             if k not in ("XLA_FLAGS", "GENLAB_XLA_OPT_LEVEL", "GENLAB_DEVICES", "GENLAB_TASK_CPUS")}
    flags, count = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()
    return flags.split(), int(count)


def test_backend_opt_level_1_by_default_and_overridable():
    level = "--xla_backend_optimization_level="
    assert level + "1" in _xla()[0]
    assert level + "3" in _xla(GENLAB_XLA_OPT_LEVEL="3")[0]
    flags = _xla(XLA_FLAGS="--xla_cpu_multi_thread_eigen=false " + level + "2")[0]
    assert level + "2" in flags and level + "1" not in flags  # the user's own level is left alone
    assert "--xla_cpu_multi_thread_eigen=false" in flags


def test_cpu_devices_opt_in():
    """One CPU device unless asked: GENLAB_DEVICES=N, or "cores" for one per usable core."""
    flags, count = _xla()
    assert count == 1 and not any(compilation.DEVICES_FLAG in f for f in flags)
    assert _xla(GENLAB_DEVICES="3")[1] == 3
    assert _xla(GENLAB_DEVICES="cores")[1] == len(os.sched_getaffinity(0))
    assert _xla(GENLAB_DEVICES="cores", GENLAB_TASK_CPUS="1")[1] == 1  # a Ray task: its CPUs
    assert _xla(GENLAB_DEVICES="3", XLA_FLAGS=f"{compilation.DEVICES_FLAG}=2")[1] == 2  # user's wins


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


def test_compiled_programs_released_near_the_memory_map_limit():
    """Past the given fraction of vm.max_map_count the in-memory programs are dropped (their
    memory maps freed); below it nothing happens."""
    import jax
    f = jax.jit(lambda x: x * 2 + 1)
    f(jax.numpy.ones(3)).block_until_ready()
    assert f._cache_size() == 1
    assert not compilation.release_programs_if_needed(fraction=1.0)
    assert f._cache_size() == 1
    assert compilation.release_programs_if_needed(fraction=0.0)
    assert f._cache_size() == 0
