"""train_many(): M members trained in one compiled program (vmap), chunked so progress can be shown."""
from __future__ import annotations

import dataclasses
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from genlab import rng
from genlab.compilation import release_programs_if_needed
from genlab.config import check
from genlab.train.loop import (
    State,
    TrainSpec,
    combine,
    evaluate,
    init_state,
    mark_finite,
    run_chunk,
)


@dataclasses.dataclass(frozen=True)
class Members:
    """Who the M members are: seeds (per key stream) and dynamic hyperparameters, each length M.

    `init_seeds` / `data_seeds` default to `seeds`; set one to pin that stream across members.
    """
    seeds: tuple[int, ...]
    lr: tuple[float, ...]
    weight_decay: tuple[float, ...] | None = None
    init_seeds: tuple[int, ...] | None = None
    data_seeds: tuple[int, ...] | None = None
    dropout: bool = False
    init_scale: tuple[float, ...] | None = None  # per member; see scale_init

    def __len__(self) -> int:
        return len(self.seeds)

    def keys(self) -> dict:
        init = self.init_seeds or self.seeds
        data = self.data_seeds or self.seeds
        out = {"init": jnp.stack([rng.stream(int(s), "init") for s in init]),
               "data": jnp.stack([rng.stream(int(s), "data") for s in data])}
        if self.dropout:
            out["dropout"] = jnp.stack([rng.stream(int(s), "dropout") for s in self.seeds])
        return out

    def hyper(self) -> dict:
        wd = self.weight_decay or (0.0,) * len(self)
        out = {"lr": jnp.asarray(self.lr, jnp.float32), "weight_decay": jnp.asarray(wd, jnp.float32)}
        if self.init_scale is not None:
            out["init_scale"] = jnp.asarray(self.init_scale, jnp.float32)
        return out


def scale_init(model, scale):
    """The model at init scale `scale`: its own `scale_init(scale)` when it defines one (a
    product of matrices scales each factor by scale**(1/depth)), else every float array * scale."""
    if hasattr(model, "scale_init"):
        return model.scale_init(scale)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    return eqx.combine(jax.tree.map(lambda p: p * scale.astype(p.dtype), params), static)


# The step counter is shared by all members (unbatched): a source's lax.cond on it (e.g. a new
# permutation each epoch) then stays a real branch under vmap instead of becoming a select that
# computes both sides at every step (measured: reshuffle batching 11x slower for a small MLP).
_STATE_AXES = State(0, 0, 0, None, 0, 0, 0)


@eqx.filter_jit
def _init_many(made, hyper, source, evals, keys, spec, axes, probe=None, mask=None,
               start=None, snapshot_steps=()):
    """Initial train state and first evaluation of every member. `made`: the members' models,
    stacked (eqx.filter_vmap(make_model)(keys["init"]), built outside: jax.random draws are
    bitwise the same eagerly, and constructing the models inside this program again doubled
    its compile time)."""
    def one(model, key_set, h, src, ev, m, p):
        if p is not None:  # start from given params (rewinding), keep the model's structure
            model = eqx.combine(p, eqx.partition(model, eqx.is_inexact_array)[1])
        if "init_scale" in h:
            model = scale_init(model, h["init_scale"])
        state, static = init_state(model, h, src, key_set, spec, mask=m, snapshot_steps=snapshot_steps)
        first = evaluate(state.params, static, ev, spec, probe, state.running)
        first["train/batch_loss"] = first.get("train/loss", jnp.zeros(()))
        return state, mark_finite(first, state.params)
    return eqx.filter_vmap(one, in_axes=(eqx.if_array(0), 0, 0) + axes + (0, 0), out_axes=(_STATE_AXES, 0))(
        made, keys, hyper, source, evals, mask, start)


def member_passes(members: int, chunk: int, devices: int = 1) -> tuple[int, int]:
    """(passes, members per pass) for `members` trained at most `chunk` at a time (0: all at
    once) on `devices` devices side by side. The pass count is a multiple of the devices (each
    device scans the same number); from the fewest passes up to twice as many, the plan that pads
    the fewest members (the last pass is padded with copies), then the fewest passes: 15 members
    at 8 run as 3 x 5, not 2 x 8 (measured: ResNet1d 15 members 241 vs 225 model-steps/s; MLP
    and CNN 9 members, 3 x 3 vs 2 x 5, 4,948 vs 4,483 and 1,552 vs 1,501; docs/BENCHMARKS.md)."""
    devices = max(1, min(devices, members))
    fewest = 1 if chunk <= 0 else -(-members // chunk)
    fewest = -(-fewest // devices) * devices
    if chunk <= 0:
        return fewest, -(-members // fewest)
    plans = [(p * -(-members // p) - members, p) for p in range(fewest, 2 * fewest + 1, devices)]
    _, passes = min(plans)
    return passes, -(-members // passes)


# A program spread over devices compiles ~1-2 s longer (measured: smoke groups 2.0-2.8 s -> 3.1-5.2 s
# on 2 devices); below this much work (members x steps) the spread does not pay for it.
SPREAD_MIN_MODEL_STEPS = 50_000


def pass_devices(devices: int, members: int, steps: int | None = None) -> list:
    """The devices a group's passes are spread over: up to `devices` of the default backend's
    (on CPU one per core: genlab.compilation.set_host_devices), never more than there are
    members. devices=0 is automatic: all of them when the group trains at least
    SPREAD_MIN_MODEL_STEPS model-steps (members x steps; steps=None: any), else one."""
    available = jax.devices()
    if devices <= 0:
        small = steps is not None and members * steps < SPREAD_MIN_MODEL_STEPS
        devices = 1 if small else len(available)
    return available[:max(1, min(devices, members, len(available)))]


def vmap_in_passes(fn, in_axes, out_axes, chunk: int, args: tuple, members: int, devices: int = 1,
                   steps: int | None = None):
    """eqx.filter_vmap(fn, in_axes, out_axes)(*args), but `chunk` members at a time: a lax.scan
    over passes of a vmap over members, inside the same compiled program.

    Same results as one vmap (members never interact); faster when a whole group's activations
    overflow the CPU caches (measured: a 64-member CNN step 1.7x faster in passes of 8, an MLP
    1.3x; docs/BENCHMARKS.md). The last pass is padded by repeating the last member, whose extra
    copies are dropped. Axes: 0 (per member) or None (shared) per argument subtree, as vmap.

    devices, steps (see pass_devices): the passes are dealt out to that many XLA devices (one per CPU
    core, genlab.compilation.set_host_devices), each scanning its share, side by side (shard_map;
    the pass count is a multiple of the devices, so even a group of 2-8 members is split). A
    member computes what it computes on one device, equal to float round-off (XLA compiles each
    program on its own terms: ~1e-6 relative after 40 Adam steps, tests/train/test_many.py); a
    machine's device count is fixed, so the same config and seed give the same numbers there."""
    vm = eqx.filter_vmap(fn, in_axes=in_axes, out_axes=out_axes)
    spread = pass_devices(devices, members, steps)
    passes, per_pass = member_passes(members, chunk, len(spread))
    if passes == 1:
        return vm(*args)
    index = jnp.minimum(jnp.arange(passes * per_pass), members - 1).reshape(passes, per_pass)

    def is_axis(x):
        return x is None or isinstance(x, int)

    def per_member(ax, sub):  # which leaves carry the member axis
        return jax.tree.map(lambda leaf: ax is not None and eqx.is_array(leaf), sub)
    dynamic, shared = eqx.partition(args, jax.tree.map(per_member, in_axes, args, is_leaf=is_axis))
    dynamic = jax.tree.map(lambda leaf: jnp.take(leaf, index, axis=0), dynamic)  # (passes, per_pass, ...)

    def scan_passes(dynamic, shared):
        def body(carry, chunk_args):
            return carry, vm(*eqx.combine(chunk_args, shared))
        return jax.lax.scan(body, None, dynamic)[1]
    if len(spread) == 1:
        out = scan_passes(dynamic, shared)
    else:
        arrays, rest = eqx.partition(shared, eqx.is_array)
        mesh = jax.sharding.Mesh(np.array(spread), ("passes",))
        P = jax.sharding.PartitionSpec
        out = jax.shard_map(lambda d, a: scan_passes(d, eqx.combine(a, rest)), mesh=mesh,
                            in_specs=(P("passes"), P()), out_specs=P("passes"),
                            check_vma=False)(dynamic, arrays)

    def merge(ax, sub):  # (passes, per_pass, ...) -> (members, ...); shared outputs: pass 0's
        if ax is None:
            return jax.tree.map(lambda leaf: leaf[0], sub)
        return jax.tree.map(lambda leaf: leaf.reshape((-1,) + leaf.shape[2:])[:members], sub)
    return jax.tree.map(merge, out_axes, out, is_leaf=is_axis)


@eqx.filter_jit
def _chunk_many(state, static, hyper, source, evals, keys, spec, axes, mask, stop_loss=None,
                probe=None, snapshot_steps=()):
    # Non-float arrays of the model (int/bool buffers: fixed permutations, masks) are per member
    # (stacked by the vmapped constructor): each member gets its own slice, never the stack.
    buffers, rest = eqx.partition(static, eqx.is_array)

    def one(st, h, src, ev, k, m, b):
        return run_chunk(st, eqx.combine(b, rest), h, src, ev, k, spec, m, stop_loss=stop_loss,
                         probe=probe, snapshot_steps=snapshot_steps)
    members = jax.tree.leaves(keys)[0].shape[0]
    # A probe stays on one device: a LAPACK call (dmf's jnp.linalg.svd spectrum probe) inside a
    # program spread over CPU devices deadlocked (docs/ENGINE.md, "Passes side by side").
    devices = 1 if probe is not None else spec.member_devices
    return vmap_in_passes(one, (_STATE_AXES, 0) + axes + (0, 0, 0), (_STATE_AXES, 0),
                          spec.member_chunk, (state, hyper, source, evals, keys, mask, buffers),
                          members, devices, spec.steps)


def train_many(make_model: Callable, members: Members, source, evals: dict, spec: TrainSpec, *,
               source_axis=None, eval_axis=None, mask=None, on_chunk: Callable | None = None,
               stop_loss: float | None = None, probe: Callable | None = None,
               start=None, snapshot_steps: tuple[int, ...] = ()):
    """Train every member; `make_model(key) -> eqx.Module`.

    source/evals are shared by all members (axis None) or stacked with a leading member axis (0).
    mask: optional per-member (stacked) pytree of 0/1 like the params. on_chunk(i) is called
    after each of the spec.num_evals chunks (progress bars). stop_loss: freeze a member once its
    batch loss is <= stop_loss (history train/stop_step; see run_chunk). probe(model) -> {name:
    scalar}: extra measurements at every eval. members.init_scale rescales each member's init.
    mask: masked entries start at exactly 0 and stay 0. start: optional stacked params to start
    from instead of the made model's (rewinding).
    Returns (stacked final models, history {name: np.ndarray (M, num_evals + 1)}); history
    includes loop.FINITE (1.0 while the member's losses and parameters are finite). With
    snapshot_steps (each in [0, steps]) a third item {step: stacked params at that step}, taken
    inside the same training program.
    """
    release_programs_if_needed()  # a long-lived process must not run out of memory maps
    snapshot_steps = tuple(int(k) for k in snapshot_steps)
    check(all(0 <= k <= spec.steps for k in snapshot_steps),
          f"snapshot steps must be in [0, {spec.steps}], got {snapshot_steps}")
    keys, hyper, axes = members.keys(), members.hyper(), (source_axis, eval_axis)
    made = eqx.filter_vmap(make_model)(keys["init"])
    state, first = _init_many(made, hyper, source, evals, keys, spec, axes, probe, mask,
                              start, snapshot_steps)
    static = eqx.partition(made, eqx.is_inexact_array)[1]
    if stop_loss is not None:
        first["train/stop_step"] = state.stop_step
    rows = [first]
    for i in range(spec.num_evals):
        state, metrics = _chunk_many(state, static, hyper, source, evals, keys, spec, axes, mask,
                                     stop_loss, probe, snapshot_steps)
        rows.append(metrics)
        if on_chunk is not None:
            on_chunk(i)
        if stop_loss is not None and bool(np.all(np.asarray(state.stop_step) >= 0)):
            # every member is frozen: later evals would repeat this one exactly, so skip them
            for j in range(i + 1, spec.num_evals):
                rows.append(metrics)
                if on_chunk is not None:
                    on_chunk(j)
            break
    history = {k: np.stack([np.asarray(r[k]) for r in rows], axis=1) for k in rows[0]}
    if snapshot_steps:
        return combine(state.params, static, state.running), history, dict(zip(snapshot_steps, state.snapshots))
    return combine(state.params, static, state.running), history
