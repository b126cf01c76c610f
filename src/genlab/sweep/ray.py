"""Ray executor: a compile group (or one computation) is the unit of remote work; the driver
alone writes the store, so a sweep across a cluster keeps the local executor's atomicity and
resume. A failed task does not discard the others: they are yielded (and stored) as they
finish, and the failures are raised together at the end, each with its remote traceback."""
from __future__ import annotations

import os
import sys
from typing import Callable, Iterator, Sequence

from genlab.config import ConfigError


class RemoteTasksFailed(RuntimeError):
    """Some remote tasks raised; every other task's result was already handed back."""


def xla_env(cpus: int) -> dict:
    """Environment of a task's worker process: XLA's CPU threads (and CPU devices, where opted
    in: genlab.compilation.set_host_devices) match the task's CPUs, so two 1-CPU tasks on a 2-core
    machine do not each spawn a pool for the whole machine."""
    from genlab.compilation import DEVICES_FLAG
    multi = "true" if cpus > 1 else "false"
    flags = f"--xla_cpu_multi_thread_eigen={multi} intra_op_parallelism_threads={cpus}"
    if DEVICES_FLAG in os.environ.get("XLA_FLAGS", ""):  # devices opted in: one per task CPU
        flags += f" {DEVICES_FLAG}={cpus}"
    base = os.environ.get("XLA_FLAGS", "")
    base = " ".join(f for f in base.split()
                    if "eigen" not in f and "intra_op" not in f and DEVICES_FLAG not in f)
    return {"XLA_FLAGS": f"{base} {flags}".strip(), "OMP_NUM_THREADS": str(cpus),
            "GENLAB_TASK_CPUS": str(cpus)}


def connect(address: str | None = None):
    """The ray module, connected: to `address` (or RAY_ADDRESS) if given, else to a Ray this
    process already started, else a new local Ray with all cores."""
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install -e '.[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"), log_to_driver=False,
                 include_dashboard=False, configure_logging=False)
    return ray


def map_ray(fn: Callable, calls: Sequence[tuple], *, cpus: int = 1, address: str | None = None,
            failures: list | None = None) -> Iterator[tuple[int, object]]:
    """Run fn(*args) for each args in `calls` as Ray tasks; yield (index, result) in finishing
    order. Failed tasks: appended to `failures` as (index, error) if given, else raised together
    at the end. GENLAB_RAY_GPUS=1 asks one GPU per task where the cluster has them."""
    ray = connect(address)
    gpus = float(os.environ.get("GENLAB_RAY_GPUS", "0"))
    remote = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=0,
                        runtime_env={"env_vars": xla_env(cpus)})(fn)
    index = {remote.remote(*args): i for i, args in enumerate(calls)}
    pending, failed = list(index), [] if failures is None else failures
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayError as e:
                failed.append((index[done[0]], e))
                continue
            yield index[done[0]], result
    finally:
        for ref in pending:  # interrupted: do not leave work running on the cluster
            ray.cancel(ref, force=True)
    if failed and failures is None:
        raise RemoteTasksFailed(f"{len(failed)} of {len(calls)} remote tasks failed (the other "
                                f"{len(calls) - len(failed)} finished and were kept); "
                                f"task {failed[0][0]}:\n{failed[0][1]}")


def map_groups_ray(experiment: str, groups: list, summarize: Callable | None,
                   train_group: Callable, *, cpus: int = 1,
                   address: str | None = None) -> Iterator[list]:
    """Yield each group's records as soon as its remote task finishes (any order)."""
    calls = [(experiment, g, summarize) for g in groups]
    for _, records in map_ray(train_group, calls, cpus=cpus, address=address):
        yield records


def run_units_ray(experiment: str, store, units: list, fn: Callable, call: Callable,
                  describe: Callable, on_unit: Callable | None = None) -> None:
    """The ray side of sweep/resume.py: claim every unit's unfinished runs, run fn(*call(items))
    -> [RunRecord] per unit as a task, write each unit as it arrives. A failed task's runs are
    written as `failed` (retried by the next sweep) and its remote traceback goes to stderr."""
    from genlab.store import RunRecord
    from genlab.store.leases import Heartbeat, new_owner
    from genlab.sweep import resume
    from genlab.sweep.executor import current
    spec, owner, failures = current(), new_owner(), []
    with Heartbeat(store.path, owner):
        mine = set(store.claim([i for u in units for i, _ in u], owner,
                               statuses=resume.result_statuses()))
        units = [u for u in ([(i, x) for i, x in u if i in mine] for u in units) if u]
        calls = [call([x for _, x in u]) for u in units]
        for _, records in map_ray(fn, calls, cpus=spec.cpus_per_task, address=spec.address,
                                  failures=failures):
            store.write_group(experiment, records, owner=owner)
            if on_unit is not None:
                on_unit()
        for k, error in failures:
            cause = getattr(error, "cause", None) or error
            line = f"{type(cause).__name__}: {cause}".splitlines()[0][:500]
            store.write_group(experiment, [RunRecord(i, *describe(x), {}, {}, status="failed",
                                                     error=line) for i, x in units[k]], owner=owner)
            print(f"genlab: {len(units[k])} runs failed on ray (stored as failed):\n{error}",
                  file=sys.stderr)


def task_resources() -> dict:
    """What a task sees (run it as a task to check a cluster): its CPUs and its thread settings."""
    import ray
    return {"cpus": ray.get_runtime_context().get_assigned_resources().get("CPU", 0.0),
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "omp_threads": os.environ.get("OMP_NUM_THREADS")}
