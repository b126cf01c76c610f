"""`genlab bench profile`: where a vmapped ensemble's train step spends its time, by ablation
(forward, forward + backward, the optimizer update, the batch gather, the whole step) timed
back to back in one process; optionally a jax.profiler trace (open it in Perfetto/TensorBoard)."""
from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab import models
from genlab.data.sources import FiniteSource
from genlab.provenance import provenance
from genlab.train.loop import TrainSpec, batch_loss
from genlab.train.many import Members


def _timed(fn, *args, repeats: int = 20) -> float:
    jax.block_until_ready(fn(*args))
    t = time.perf_counter()
    for _ in range(repeats):
        out = fn(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - t) / repeats


def _parts(model: str, members: int, batch: int):
    """Jitted functions, each over all members, of one part of a train step."""
    rows = np.random.default_rng(0)
    x = jnp.asarray(rows.normal(size=(4000, 40)), jnp.float32)
    y = jnp.asarray(rows.integers(0, 10, 4000), jnp.int32)
    source = FiniteSource(x, y, batch, "slices")
    keys = Members(seeds=tuple(range(members)), lr=(1e-2,) * members).keys()
    nets = eqx.filter_vmap(lambda k: models.make(model, key=k))(keys["init"])
    params, static = eqx.partition(nets, eqx.is_inexact_array)
    spec = TrainSpec(steps=1, eval_every=1, batch_size=batch, optimizer="adam", batching="slices")
    opt = spec.optimizer_fn()(lr=jnp.float32(1e-2), weight_decay=jnp.float32(0.0))
    opt_state = jax.vmap(opt.init)(params)
    xb, yb = source.next(None, jnp.int32(3), None)[1]

    def loss(p):
        return batch_loss(p, static, xb, yb, "xent", None)
    forward = jax.jit(jax.vmap(loss))
    grad = jax.jit(jax.vmap(jax.grad(loss)))
    grads = grad(params)
    update = jax.jit(jax.vmap(lambda g, s, p: eqx.apply_updates(p, opt.update(g, s, p)[0])))
    gather = jax.jit(jax.vmap(lambda step: source.next(None, step, None)[1]))
    steps = jnp.arange(members, dtype=jnp.int32)

    def full(p, s):
        g = jax.vmap(jax.grad(loss))(p)
        return jax.vmap(lambda g, s, p: eqx.apply_updates(p, opt.update(g, s, p)[0]))(g, s, p)
    return {"forward": (forward, params), "forward+backward": (grad, params),
            "adam update": (update, grads, opt_state, params), "batch gather": (gather, steps),
            "whole step": (jax.jit(full), params, opt_state)}


def top_ops(trace_dir: str, steps: int, top: int = 12) -> list[dict]:
    """The XLA ops (fusions, dots, copies) that took the most time per step in a trace written
    with create_perfetto_trace=True: name, ms per step, share of the step's executed ops.
    `copy*` / `transpose*` fusions are layout copies, `ynn_fusion` / `dot*` are matmuls."""
    import collections
    import glob
    import gzip
    import json
    import re
    files = glob.glob(f"{trace_dir}/**/*.trace.json.gz", recursive=True)
    if not files:
        return []
    events = json.load(gzip.open(max(files, key=lambda f: __import__("os").path.getmtime(f))))
    events = events["traceEvents"] if isinstance(events, dict) else events
    total = collections.Counter()
    for e in events:
        name = e.get("name", "")
        # XLA ops only ("dot.5", "copy_bitcast_fusion"), not Python frames or runtime scopes
        if e.get("ph") == "X" and "dur" in e and re.fullmatch(r"[a-z][a-z0-9_\-]*(\.\d+)?", name):
            total[name] += e["dur"]
    ops = sum(total.values()) or 1
    return [{"op": name, "ms_per_step": round(us / steps / 1e3, 3), "share": round(us / ops, 3)}
            for name, us in total.most_common(top)]


def bench_profile(models_: tuple = ("mlp", "cnn"), members: int = 64, batch: int = 100,
                  trace_dir: str | None = None) -> dict:
    out = {}
    for model in models_:
        parts = _parts(model, members, batch)
        times = {name: _timed(fn, *args) for name, (fn, *args) in parts.items()}
        whole = times["whole step"]
        out[model] = {name: {"ms": round(t * 1e3, 3), "of_step": round(t / whole, 3)}
                      for name, t in times.items()}
        if trace_dir:
            fn, *args = parts["whole step"]
            with jax.profiler.trace(f"{trace_dir}/{model}", create_perfetto_trace=True):
                _timed(fn, *args, repeats=5)
            out[model]["top_ops"] = top_ops(f"{trace_dir}/{model}", steps=6)
    out["setup"] = {"members": members, "batch": batch, "load": list(np.round(
        __import__("os").getloadavg(), 2))}
    out["machine"] = provenance()
    return out
