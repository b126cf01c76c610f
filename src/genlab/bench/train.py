"""`genlab bench train`: one model at a time (Python loop over a jitted step) vs a vmapped
ensemble inside lax.scan, against the machine's fp32 matmul rate."""
from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab import models
from genlab.data.sources import FiniteSource
from genlab.provenance import provenance
from genlab.train.loop import TrainSpec, init_state, run_chunk
from genlab.train.many import Members, pass_devices


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    f(a).block_until_ready()
    t = time.perf_counter()
    for _ in range(repeats):
        f(a).block_until_ready()
    return 2 * n**3 * repeats / (time.perf_counter() - t) / 1e9


def _setup(model: str, batch: int):
    rngs = np.random.default_rng(0)
    x = jnp.asarray(rngs.normal(size=(4000, 40)), jnp.float32)
    y = jnp.asarray(rngs.integers(0, 10, 4000), jnp.int32)
    source = FiniteSource(x, y, batch, "slices")
    return source, lambda key: models.make(model, key=key)


def single_rate(model: str, steps: int, batch: int = 100) -> tuple[float, float]:
    """(steps/s, train-step FLOPs from XLA's cost analysis) for one model, Python loop over jit(step)."""
    source, make = _setup(model, batch)
    spec = TrainSpec(steps=1, eval_every=1, batch_size=batch, optimizer="adam", batching="slices")
    keys = Members(seeds=(0,), lr=(1e-2,)).keys()
    keys = jax.tree.map(lambda k: k[0], keys)
    hyper = {"lr": jnp.float32(1e-2), "weight_decay": jnp.float32(0.0)}
    state, static = init_state(make(keys["init"]), hyper, source, keys, spec)

    @jax.jit
    def step(st):  # one optimizer step, no eval: chunk of length 1 with an empty eval set
        return run_chunk(st, static, hyper, source, {}, keys, spec)[0]

    cost = step.lower(state).compile().cost_analysis()
    flops = float((cost[0] if isinstance(cost, list) else cost or {}).get("flops", 0.0))
    state = step(state)
    jax.block_until_ready(state)
    best = float("inf")
    for _ in range(2):  # the faster of two rounds: a process's first round varied up to 1.5x
        t = time.perf_counter()
        for _ in range(steps):
            state = step(state)
        jax.block_until_ready(state)
        best = min(best, time.perf_counter() - t)
    return steps / best, flops


def ensemble_rate(model: str, members: int, steps: int, batch: int = 100,
                  member_chunk: int = 8, member_devices: int | None = None) -> float:
    """Model-steps/s of `members` models trained together: jit(vmap(scan over steps)), in
    passes of `member_chunk` members (TrainSpec.member_chunk) spread over up to
    `member_devices` XLA devices (None: all there are; GENLAB_DEVICES=cores makes one per core)."""
    member_devices = len(jax.devices()) if member_devices is None else member_devices
    from genlab.train.many import _chunk_many, _init_many
    source, make = _setup(model, batch)
    spec = TrainSpec(steps=steps, eval_every=steps, batch_size=batch, optimizer="adam",
                     batching="slices", member_chunk=member_chunk,
                     member_devices=member_devices)
    mem = Members(seeds=tuple(range(members)), lr=(1e-2,) * members)
    keys, hyper = mem.keys(), mem.hyper()
    made = eqx.filter_vmap(make)(keys["init"])
    state, _ = _init_many(made, hyper, source, {}, keys, spec, (None, None))
    static = eqx.partition(made, eqx.is_inexact_array)[1]
    run = lambda st: _chunk_many(st, static, hyper, source, {}, keys, spec, (None, None), None)[0]  # noqa: E731
    jax.block_until_ready(run(state))  # compile
    t = time.perf_counter()
    jax.block_until_ready(run(state))
    return members * steps / (time.perf_counter() - t)


def bench_train(ensemble: int = 64, steps: int = 300, models_: tuple = ("mlp", "cnn"),
                member_chunk: int = 8, member_devices: int | None = None) -> dict:
    mm = matmul_gflops()
    member_devices = len(jax.devices()) if member_devices is None else member_devices
    out = {}
    for name in models_:
        single, flops = single_rate(name, steps)
        ens = ensemble_rate(name, ensemble, steps, member_chunk=member_chunk,
                            member_devices=member_devices)
        gflops = ens * flops / 1e9
        out[name] = {"single_steps_per_s": round(single, 1), "ensemble_size": ensemble, "member_chunk": member_chunk,
                     "member_devices": len(pass_devices(member_devices, ensemble)),
                     "ensemble_model_steps_per_s": round(ens, 1), "speedup": round(ens / single, 2),
                     "step_flops": flops, "model_gflops_per_s": round(gflops, 2),
                     "matmul_gflops_per_s": round(mm, 1), "fraction_of_matmul": round(gflops / mm, 3)}
    out["machine"] = provenance()
    return out


def print_table(result: dict, console) -> None:
    from rich.table import Table
    t = Table(title="genlab bench train (batch 100, Adam)")
    cols = ["single_steps_per_s", "ensemble_size", "ensemble_model_steps_per_s", "speedup",
            "model_gflops_per_s", "matmul_gflops_per_s", "fraction_of_matmul"]
    t.add_column("model")
    for c in cols:
        t.add_column(c.replace("_", " "))
    for name, row in result.items():
        if name != "machine":
            t.add_row(name, *(str(row[c]) for c in cols))
    console.print(t)
    console.print(f"machine: {result['machine']}")
