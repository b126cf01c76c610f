"""XLA compilation: a persistent compilation cache (on by default) and a compile-time counter.

The cache lives in the user's cache directory (~/.cache/genlab/xla, or $XDG_CACHE_HOME); set
GENLAB_XLA_CACHE to another directory, or to 0 / off to disable it. A JAX_COMPILATION_CACHE_DIR
the user set already wins. Compiled programs are then reused across processes (a second
`genlab run`, Ray workers, the test suite): measured 2 s -> 0.35 s for a typical training program.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path

ENV = "GENLAB_XLA_CACHE"
OFF = ("0", "off", "false", "no", "")
# Programs faster to compile than this are not kept on disk. 0: every program, the ~0.1 s eager
# ones too (model construction's jax.random draws, one per shape: 38 of them in double_descent
# quick): with a warm cache its compile time falls 12 -> 7 s (docs/BENCHMARKS.md).
MIN_COMPILE_SECONDS = "0"
# Tracing + lowering + backend compile (a persistent-cache hit is timed inside backend compile).
COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                  "/jax/core/compile/jaxpr_to_mlir_module_duration",
                  "/jax/core/compile/backend_compile_duration")


def cache_dir() -> Path | None:
    """Where compiled programs are kept, or None when the cache is disabled."""
    value = os.environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "genlab" / "xla"


def enable_cache() -> Path | None:
    """Turn the persistent cache on (idempotent). Before jax is imported this only sets JAX's
    environment variables, so importing genlab stays cheap and child processes inherit it."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
    path = cache_dir()
    if path is None:
        return None
    settings = {"JAX_COMPILATION_CACHE_DIR": str(path),
                "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": MIN_COMPILE_SECONDS,
                "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
    for name, value in settings.items():
        os.environ.setdefault(name, value)
    if "jax" in sys.modules:  # imported before genlab: set the live config as well
        import jax
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", float(MIN_COMPILE_SECONDS))
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


OPT_ENV = "GENLAB_XLA_OPT_LEVEL"
OPT_FLAG = "--xla_backend_optimization_level"


def set_backend_opt_level() -> str | None:
    """XLA:CPU's LLVM optimization level: 1 unless GENLAB_XLA_OPT_LEVEL or an XLA_FLAGS the
    user set says otherwise. At these sizes level 1 halves compile time (e.g. a 6-member CNN
    program 24.8 -> 10.0 s, MLP 18.5 -> 9.3 s) and trains as fast as the default 3 (level 0 is
    2-3x slower to run); docs/BENCHMARKS.md. Takes effect only before XLA's CPU backend starts
    (importing genlab first is enough); the flag is in every run's provenance (xla_flags)."""
    if not _flag_settable(OPT_FLAG):
        return None
    level = os.environ.get(OPT_ENV, "1").strip()
    _add_flag(OPT_FLAG, level)
    return level


def _flag_settable(flag: str) -> bool:
    """Whether genlab may still add `flag` to XLA_FLAGS: the user did not set it, and XLA's
    backends have not started (they read the flags once)."""
    if flag in os.environ.get("XLA_FLAGS", ""):
        return False
    if "jax" in sys.modules:
        from jax._src import xla_bridge
        if xla_bridge.backends_are_initialized():
            return False
    return True


def _add_flag(flag: str, value) -> None:
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}={value}".strip()


DEVICES_ENV = "GENLAB_DEVICES"
DEVICES_FLAG = "--xla_force_host_platform_device_count"


def usable_cores() -> int:
    """CPU cores this process may run on: a Ray task's CPUs (GENLAB_TASK_CPUS), else the
    scheduler affinity (taskset), else os.cpu_count()."""
    task = os.environ.get("GENLAB_TASK_CPUS", "").strip()
    if task.isdigit() and int(task) > 0:
        return int(task)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def set_host_devices() -> int | None:
    """Opt-in: GENLAB_DEVICES=N (or "cores": one per usable core) splits the CPU into N XLA
    devices, so an ensemble program can put its passes of members on every core at once
    (train.many; docs/ENGINE.md); a count in the user's own XLA_FLAGS wins. Other computations
    stay on device 0, and so does a group with a probe (a LAPACK call, dmf's SVD probe, hung
    inside a spread program). Off by default: `make run` already fills every core with two
    experiments and measured no faster with it (docs/BENCHMARKS.md). Takes effect only before
    XLA's CPU backend starts; the flag is in every run's provenance."""
    if not _flag_settable(DEVICES_FLAG):
        return None
    value = os.environ.get(DEVICES_ENV, "").strip()
    if value.lower() in ("cores", "all"):
        count = usable_cores()
    elif value.isdigit() and int(value) > 0:
        count = int(value)
    else:
        return None  # off by default: see the docstring
    _add_flag(DEVICES_FLAG, count)
    return count


def _lines(path: str) -> int | None:
    try:
        with open(path) as f:
            return sum(1 for _ in f)
    except OSError:  # not Linux
        return None


def release_programs_if_needed(fraction: float = 0.5) -> bool:
    """Drop JAX's in-memory compiled programs when this process holds more than `fraction` of
    the kernel's memory-map limit (Linux vm.max_map_count, 65530 by default); True if it did.

    XLA:CPU loads each compiled kernel into memory regions of its own (measured 400-600 per
    ensemble training program) and keeps them while JAX caches the program; a process that
    compiles a few hundred programs (the whole test suite in one process) reaches the limit, and
    LLVM then fails with "Cannot allocate memory" and the process crashes. Dropping the caches
    unmaps them; a program needed again comes back from the persistent cache on disk. Called
    before each training group (train.many.train_many) and after each test."""
    used = _lines("/proc/self/maps")
    try:
        with open("/proc/sys/vm/max_map_count") as f:
            limit = int(f.read())
    except (OSError, ValueError):
        return False
    if used is None or used <= fraction * limit:
        return False
    import gc

    import jax
    jax.clear_caches()
    gc.collect()
    return True


class _Counter:
    """Seconds this process has spent compiling, summed over JAX's compile events."""

    def __init__(self):
        self.seconds, self.programs = 0.0, 0
        self.lock, self.registered = threading.Lock(), False

    def __call__(self, event: str, duration_secs: float, **kwargs) -> None:
        if event in COMPILE_EVENTS:
            with self.lock:
                self.seconds += duration_secs
                self.programs += event == COMPILE_EVENTS[-1]

    def register(self) -> None:
        if not self.registered:
            import jax
            jax.monitoring.register_event_duration_secs_listener(self)
            self.registered = True


_COUNTER = _Counter()


class CompileTime:
    """Compile seconds (.seconds) and XLA programs compiled or fetched from the persistent cache
    (.programs) inside a `compile_timer()` block; read after or during it."""

    def __init__(self):
        self.start, self.stop = (_COUNTER.seconds, _COUNTER.programs), None

    def _now(self):
        return (_COUNTER.seconds, _COUNTER.programs) if self.stop is None else self.stop

    @property
    def seconds(self) -> float:
        return self._now()[0] - self.start[0]

    @property
    def programs(self) -> int:
        return self._now()[1] - self.start[1]


@contextlib.contextmanager
def compile_timer():
    """with compile_timer() as t: ...; t.seconds is the compile time of the block (this process,
    all threads: do not nest timers around concurrent work)."""
    _COUNTER.register()
    timer = CompileTime()
    try:
        yield timer
    finally:
        timer.stop = (_COUNTER.seconds, _COUNTER.programs)
