"""Peak memory of a hypergradient through train(), with and without jax.checkpoint on the eval
chunks, read from XLA's memory analysis of the compiled program (no run needed):
`python -m genlab.bench.hypergrad [steps ...]`."""
from __future__ import annotations

import sys
import time

import jax
import jax.numpy as jnp

from genlab import models
from genlab.data.datasets import DataSpec, build
from genlab.data.sources import FiniteSource
from genlab.experiments.meta import activation
from genlab.models import learned
from genlab.train import TrainSpec
from genlab.train import hypergrad as hg


def _lr_case(steps: int, checkpoint: bool):
    d = build(DataSpec())
    source = FiniteSource(jnp.asarray(d["x"]), jnp.asarray(d["y"]), batch_size=50, batching="slices")
    spec = TrainSpec(steps=steps, batch_size=50, eval_every=hg.sqrt_chunk(steps), optimizer="sgd",
                     batching="slices")
    def make_model(hyper, key):
        return models.make("mlp", key=key, width=50, depth=0, residual=False, activation="tanh")
    return hg.make_objective(make_model, source, spec, checkpoint=checkpoint), {"lr": jnp.asarray(0.6)}


def _activation_case(steps: int, checkpoint: bool):
    d = activation.dataset(activation.PRESETS["paper"])
    source = FiniteSource(jnp.asarray(d["x"]), jnp.asarray(d["y"]), batch_size=100, batching="slices")
    spec = TrainSpec(steps=steps, batch_size=100, eval_every=hg.sqrt_chunk(steps),
                     optimizer="rmsprop", momentum=0.4, batching="slices")

    def make_model(hyper, key):
        act = learned.from_arrays(*(hyper[n] for n in learned.PARAM_NAMES))
        return learned.NoisyMLP(act, key=key)
    hyper = {n: jnp.asarray(v) for n, v in
             learned.params_of(learned.LearnedActivation(key=jax.random.key(0))).items()}
    return hg.make_objective(make_model, source, spec, frozen=lambda m: m.activation,
                             checkpoint=checkpoint, constants={"lr": jnp.asarray(1e-2)}), hyper


def peak_bytes(objective, hyper, keys) -> tuple[int, float]:
    """(temp + argument + output bytes of the compiled grad program, compile seconds)."""
    t = time.perf_counter()
    compiled = jax.jit(jax.grad(lambda h: objective(h, keys)[0])).lower(hyper).compile()
    stats = compiled.memory_analysis()
    total = stats.temp_size_in_bytes + stats.argument_size_in_bytes + stats.output_size_in_bytes
    return total, time.perf_counter() - t


def main(steps_list=(200, 2000, 20_000)) -> None:
    print("| protocol | inner steps | chunk | checkpoint | peak bytes (XLA memory analysis) | compile s |")
    print("|---|---|---|---|---|---|")
    for name, case in (("meta_lr (MLP 40-50-10, SGD)", _lr_case),
                       ("meta_activation (MLP 40-128-10 + learned act, RMSprop)", _activation_case)):
        for steps in steps_list:
            for checkpoint in (False, True):
                objective, hyper = case(steps, checkpoint)
                keys = {k: v[0] for k, v in hg.member_keys([0], noise=True).items()}
                total, seconds = peak_bytes(objective, hyper, keys)
                print(f"| {name} | {steps} | {hg.sqrt_chunk(steps)} | {checkpoint} | "
                      f"{total / 2**20:,.1f} MiB | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main(tuple(int(s) for s in sys.argv[1:]) or (200, 2000, 20_000))
