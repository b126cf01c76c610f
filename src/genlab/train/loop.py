"""train(): a lax.scan over eval chunks of a lax.scan over steps, for one member (pure, differentiable)."""
from __future__ import annotations

import dataclasses
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp

from genlab.config import check
from genlab.identity import PERFORMANCE_ONLY
from genlab.models.norm import BATCH_AXIS, Running
from genlab.optim import OPTIMIZERS, SCHEDULES, make_optimizer, schedule_fn
from genlab.train.metrics import LOSSES, per_example_loss, per_example_metrics
from genlab.validation import check_train_spec


@dataclasses.dataclass(frozen=True)
class TrainSpec:
    """Static (shape-defining) training settings; lr and weight decay are per-member arrays."""
    steps: int = 6000
    batch_size: int = 100
    eval_every: int = 500
    optimizer: str = "adam"
    schedule: str = "constant"
    warmup_steps: int = 0
    momentum: float = 0.9
    # global_rms only: decay of its squared-gradient-norm average and the eps added to the RMS
    # (genlab.optim.scale_by_global_rms); the defaults are make_optimizer's
    rms_decay: float = 0.999
    rms_eps: float = 1e-8
    loss: str = "xent"
    batching: str = "reshuffle"
    eval_batch: int = dataclasses.field(default=1000, metadata=PERFORMANCE_ONLY)  # memory only
    eval_train_max: int = 5000
    # members trained together per pass; a larger group runs in sequential passes of this many
    # inside the same program (cache locality; 0 = all at once). Speed only, same numbers.
    member_chunk: int = dataclasses.field(default=8, metadata=PERFORMANCE_ONLY)
    # XLA devices the passes are spread over (genlab makes one CPU device per core): 0 = all for
    # a group of >= 50k model-steps (members x steps), else one (train.many.pass_devices); k =
    # up to k. Numbers equal one device's to float round-off.
    member_devices: int = dataclasses.field(default=0, metadata=PERFORMANCE_ONLY)
    # jobs whose model differs only in its size (models.PAD_KWARGS) share one program, each
    # member zero-padded to the group's largest size and masked (sweep/padded_models.py): one
    # compile instead of one per size, at the largest size's cost per member. Speed only.
    pad_model: bool = dataclasses.field(default=False, metadata=PERFORMANCE_ONLY)
    # a run whose training loss rises above this multiple of its step-0 value is `diverged`
    # (diverged_step), as is one with a non-finite value. 10: cross-entropy over 10 classes
    # starts near ln 10 = 2.3, so 10x is a mean of >= 23 nats (true-class probability ~1e-10),
    # which no learning run reaches, while loss spikes of healthy training stay within a few x
    # (the randomization and optimizers quick presets, random labels and lr grids included: at
    # most 2.3x); MSE studies start at their largest loss (dmf: init scale 1e-6, loss ~
    # ||target||^2). The baselines at lr 1e4 reach ~3e3x (CNN) to ~2e10x (MLP) with no NaN.
    diverge_factor: float = 10.0

    def __post_init__(self):
        check(self.steps > 0, f"steps must be positive, got {self.steps}")
        check(self.batch_size > 0, f"batch_size must be positive, got {self.batch_size}")
        check(0 < self.eval_every <= self.steps, f"eval_every must be in [1, steps], got {self.eval_every}")
        check(self.steps % self.eval_every == 0,
              f"steps ({self.steps}) must be a multiple of eval_every ({self.eval_every})")
        check(self.optimizer in OPTIMIZERS, f"unknown optimizer {self.optimizer!r}; choices: {', '.join(OPTIMIZERS)}")
        check(self.schedule in SCHEDULES, f"unknown schedule {self.schedule!r}; choices: {', '.join(SCHEDULES)}")
        check(self.batching in ("slices", "reshuffle"),
              f"unknown batching {self.batching!r}; choices: slices, reshuffle")
        check(self.member_chunk >= 0 and self.member_devices >= 0,
              "member_chunk and member_devices must be >= 0")
        check(self.loss in LOSSES, f"unknown loss {self.loss!r}; choices: {', '.join(LOSSES)}")
        check_train_spec(self)

    @property
    def num_evals(self) -> int:
        return self.steps // self.eval_every

    def eval_steps(self) -> list[int]:
        return [i * self.eval_every for i in range(self.num_evals + 1)]

    def optimizer_fn(self):
        sched = schedule_fn(self.schedule, self.steps, warmup_steps=self.warmup_steps)
        rms = {"b2": self.rms_decay, "eps": self.rms_eps} if self.optimizer == "global_rms" else {}
        return make_optimizer(self.optimizer, sched, momentum=self.momentum, **rms)


FINITE = "health/finite"  # 1.0 while every loss, metric and parameter of the member is finite


def mark_finite(metrics: dict, params) -> dict:
    """Add FINITE to an evaluation's metrics: one reduction per parameter leaf, inside the
    compiled program (cheap next to the evaluation itself)."""
    checks = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(params)]
    checks += [jnp.all(jnp.isfinite(v)) for v in metrics.values()]
    return {**metrics, FINITE: jnp.all(jnp.stack(checks)).astype(jnp.float32)}


class State(eqx.Module):
    params: Any
    opt_state: Any
    data_state: Any
    step: jax.Array
    stop_step: Any = None  # step at which the stop rule froze training; -1 while it has not
    snapshots: Any = None  # tuple of params at the requested snapshot steps (rewinding), or None
    running: Any = None  # the model's running statistics (batch norm; split_running), or None


def apply_mask(tree, mask):
    """Entries where mask is 0 become exactly 0 (a select, so a NaN/inf cannot leak through).

    mask: a pytree of 0/1 (or bool) like `tree`, or None (no-op)."""
    if mask is None:
        return tree
    return jax.tree.map(lambda t, m: jnp.where(m, t, jnp.zeros_like(t)), tree, mask)


def _is_running(node) -> bool:
    return isinstance(node, Running)


def split_running(params):
    """(params, running): the arrays under the model's `models.norm.Running` nodes (batch
    norm's running statistics) taken out of the trainable params, or (params, None) for a model
    without any. They are model state, not parameters: no gradient, no optimizer, no decay."""
    leaves = jax.tree.leaves(params, is_leaf=_is_running)
    if not any(_is_running(leaf) for leaf in leaves):
        return params, None
    spec = jax.tree.map(lambda node: jax.tree.map(lambda _: _is_running(node), node), params,
                        is_leaf=_is_running)
    running, params = eqx.partition(params, spec)
    return params, running


def combine(params, static, running=None):
    """The model from its trained params, static part and running statistics (None: none)."""
    return eqx.combine(params, static) if running is None else eqx.combine(params, running, static)


def batch_loss(params, static, x, y, loss_name, key, running=None):
    """Mean minibatch loss. With running statistics (a batch-norm model): the model runs in
    training mode, vmapped over the batch under BATCH_AXIS, and the loss comes with its updated
    running statistics as aux: (loss, running)."""
    if running is not None:
        return _stateful_batch_loss(params, static, x, y, loss_name, key, running)
    model = eqx.combine(params, static)
    keys = None if key is None else jax.random.split(key, x.shape[0])
    out = jax.vmap(lambda xi, ki: model(xi, key=ki))(x, keys) if keys is not None \
        else jax.vmap(model)(x)
    return jnp.mean(jax.vmap(lambda o, t: per_example_loss(loss_name, o, t))(out, y))


def _stateful_batch_loss(params, static, x, y, loss_name, key, running):
    model = eqx.combine(params, running, static)
    keys = None if key is None else jax.random.split(key, x.shape[0])

    def one(xi, ki):
        out, updated = model(xi, key=ki, batch_axis=BATCH_AXIS)
        return out, split_running(eqx.filter(updated, eqx.is_inexact_array))[1]
    out, running = jax.vmap(one, in_axes=(0, None if keys is None else 0), out_axes=(0, None),
                            axis_name=BATCH_AXIS)(x, keys)
    loss = jnp.mean(jax.vmap(lambda o, t: per_example_loss(loss_name, o, t))(out, y))
    return loss, running


def evaluate(params, static, evals: dict, spec: TrainSpec, probe=None, running=None) -> dict:
    """Mean metrics over each eval set {split: (x, y)} or {split: (x, y, weight)} (a weighted
    mean: padded rows get weight 0); chunked by eval_batch to bound memory.
    probe(model) -> {name: scalar} adds whole-model measurements (e.g. singular values).
    running: the model's running statistics (batch norm evaluates with them), or None."""
    model = combine(params, static, running)

    def one(xy):
        out = model(xy[0])
        return per_example_metrics(spec.loss, out, xy[1])

    result = {}
    for split, (x, y, *weight) in evals.items():
        m = jax.lax.map(one, (x, y), batch_size=min(spec.eval_batch, x.shape[0]))
        if weight:
            result.update({f"{split}/{k}": jnp.sum(v * weight[0]) / jnp.sum(weight[0])
                           for k, v in m.items()})
        else:
            result.update({f"{split}/{k}": jnp.mean(v) for k, v in m.items()})
    if probe is not None:
        result.update(probe(model))
    return result


def split_trainable(model, frozen=None):
    """(params, static): the model's float arrays, minus those under frozen(model) (e.g. an
    activation's meta-parameters), which stay in `static` — constant for the optimizer, yet
    still differentiable from outside (hypergradients)."""
    if frozen is None:
        return eqx.partition(model, eqx.is_inexact_array)
    trainable = jax.tree.map(eqx.is_inexact_array, model)
    trainable = eqx.tree_at(frozen, trainable, replace_fn=lambda node: jax.tree.map(lambda _: False, node))
    return eqx.partition(model, trainable)


def init_state(model, hyper: dict, source, keys: dict, spec: TrainSpec, frozen=None, *, mask=None,
               snapshot_steps: tuple[int, ...] = ()):
    """Masked weights start at exactly zero; snapshots start as copies of the initial params.
    A batch-norm model's running statistics go to state.running, out of the optimizer's sight."""
    params, static = split_trainable(model, frozen)
    params, running = split_running(params)
    params = apply_mask(params, mask)
    opt = spec.optimizer_fn()(lr=hyper["lr"], weight_decay=hyper["weight_decay"])
    snapshots = tuple(params for _ in snapshot_steps) if snapshot_steps else None
    state = State(params, opt.init(params), source.init(keys["data"]), jnp.zeros((), jnp.int32),
                  jnp.full((), -1, jnp.int32), snapshots, running)
    return state, static


def run_chunk(state: State, static, hyper, source, evals, keys, spec: TrainSpec, mask=None, *,
              stop_loss=None, probe=None, step_losses: bool = False,
              snapshot_steps: tuple[int, ...] = ()):
    """eval_every optimizer steps, then one evaluation. Returns (state, metrics at the new step).

    mask zeroes the updates of pruned entries (with init_state's masking they stay exactly 0,
    Adam and weight decay included); state.snapshots[i] takes the params reached at step
    snapshot_steps[i] (a select per step: any step, no extra program).
    hyper may hold "lr_steps" (steps,): a per-step factor on the update (a learnable lr schedule).
    step_losses=True adds "train/step_loss" (eval_every,), every step's minibatch loss.

    stop_loss: once a step's batch loss (before its update) is <= stop_loss, that step and every
    later one leave params and optimizer state unchanged; state.stop_step records that step
    (reported as train/stop_step, -1 = not reached). Full batch: the step the train loss got there.
    """
    opt = spec.optimizer_fn()(lr=hyper["lr"], weight_decay=hyper["weight_decay"])
    dropout = keys.get("dropout")
    lr_steps = hyper.get("lr_steps")

    def step_fn(st: State, _):
        data_state, (xb, yb) = source.next(st.data_state, st.step, keys["data"])
        dkey = None if dropout is None else jax.random.fold_in(dropout, st.step)
        running = st.running
        if running is None:
            loss, grads = jax.value_and_grad(batch_loss)(st.params, static, xb, yb, spec.loss, dkey)
        else:  # batch norm: train-mode statistics, running ones updated as the step's aux
            (loss, running), grads = jax.value_and_grad(batch_loss, has_aux=True)(
                st.params, static, xb, yb, spec.loss, dkey, running)
        updates, opt_state = opt.update(grads, st.opt_state, st.params)
        if lr_steps is not None:
            updates = jax.tree.map(lambda u: u * lr_steps[st.step].astype(u.dtype), updates)
        updates = apply_mask(updates, mask)  # lottery tickets: pruned weights get no update
        params = eqx.apply_updates(st.params, updates)
        stop_step = st.stop_step
        if stop_loss is not None:
            stop_step = jnp.where((stop_step < 0) & (loss <= stop_loss), st.step, stop_step)
            frozen = stop_step >= 0
            params, opt_state, running = jax.tree.map(
                lambda old, new: jnp.where(frozen, old, new),
                (st.params, st.opt_state, st.running), (params, opt_state, running))
        step = st.step + 1
        snapshots = st.snapshots if not snapshot_steps else tuple(
            jax.tree.map(lambda s, p, k=k: jnp.where(step == k, p, s), snap, params)
            for k, snap in zip(snapshot_steps, st.snapshots))
        return State(params, opt_state, data_state, step, stop_step, snapshots, running), loss

    state, losses = jax.lax.scan(step_fn, state, None, length=spec.eval_every)
    metrics = evaluate(state.params, static, evals, spec, probe, state.running)
    metrics["train/batch_loss"] = jnp.mean(losses)
    if stop_loss is not None:
        metrics["train/stop_step"] = state.stop_step
    metrics = mark_finite(metrics, state.params)
    if step_losses:
        metrics["train/step_loss"] = losses
    return state, metrics


def train(model, hyper: dict, source, evals: dict, keys: dict, spec: TrainSpec, mask=None, *,
          checkpoint: bool = False, step_losses: bool = False, frozen=None):
    """Train one member end to end in a single traced program.

    Returns (final model, history {name: (num_evals + 1,)}); history[i] is at step i*eval_every
    (train/batch_loss at index 0 is the initial train loss for convenience; FINITE is 0.0 from
    the first evaluation at which a loss, metric or parameter is NaN or infinite).
    checkpoint=True wraps each eval chunk in jax.checkpoint: reverse-mode differentiation then
    stores one state per chunk and recomputes a chunk's steps, so with eval_every ~ sqrt(steps)
    memory grows like sqrt(steps) (same numbers, more compute; speed/memory only).
    step_losses=True adds history["train/step_loss"] (steps,), every minibatch loss.
    frozen(model) -> the parts the optimizer must not train (see split_trainable).
    """
    state, static = init_state(model, hyper, source, keys, spec, frozen, mask=mask)
    first = evaluate(state.params, static, evals, spec, running=state.running)
    first["train/batch_loss"] = first.get("train/loss", jnp.zeros(()))
    first = mark_finite(first, state.params)

    def chunk(st, _):
        return run_chunk(st, static, hyper, source, evals, keys, spec, mask, step_losses=step_losses)

    state, hist = jax.lax.scan(jax.checkpoint(chunk) if checkpoint else chunk, state, None,
                               length=spec.num_evals)
    per_step = hist.pop("train/step_loss", None)
    hist = {k: jnp.concatenate([first[k][None], v]) for k, v in hist.items()}
    if per_step is not None:
        hist["train/step_loss"] = per_step.reshape(-1)
    return combine(state.params, static, state.running), hist
