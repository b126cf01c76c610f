"""Trainer equivalences: vmapped lane == alone, same seed == same numbers, array lr == static lr."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from tiny_model import Tiny

from genlab import rng
from genlab.data.sources import FiniteSource
from genlab.train import Members, TrainSpec, train, train_many
from genlab.train.many import member_passes


@pytest.fixture(scope="module")
def data():
    return _data()


def _data():
    r = np.random.default_rng(0)
    x = jnp.asarray(r.normal(size=(64, 8)), jnp.float32)
    y = jnp.asarray(r.integers(0, 3, 64), jnp.int32)
    return x, y, {"train": (x, y), "test": (x[:32], y[:32])}


SPEC = TrainSpec(steps=40, batch_size=16, eval_every=10, optimizer="adam", batching="reshuffle")


def test_vmapped_member_equals_alone(data):
    x, y, evals = data
    src = FiniteSource(x, y, 16, "reshuffle")
    _, many = train_many(Tiny, Members(seeds=(3, 4, 5), lr=(1e-2, 3e-2, 1e-2)), src, evals, SPEC)
    _, alone = train_many(Tiny, Members(seeds=(4,), lr=(3e-2,)), src, evals, SPEC)
    for k in many:
        np.testing.assert_allclose(many[k][1], alone[k][0], rtol=2e-5, atol=2e-6)
    assert not np.allclose(many["train/loss"][0], many["train/loss"][1])


def test_same_seed_same_numbers(data):
    x, y, evals = data
    src = FiniteSource(x, y, 16, "reshuffle")
    mem = Members(seeds=(0, 1), lr=(1e-2, 1e-2))
    _, a = train_many(Tiny, mem, src, evals, SPEC)
    _, b = train_many(Tiny, mem, src, evals, SPEC)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_pure_train_equals_train_many(data):
    x, y, evals = data
    src = FiniteSource(x, y, 16, "reshuffle")
    mem = Members(seeds=(7,), lr=(1e-2,))
    _, hist = train_many(Tiny, mem, src, evals, SPEC)
    keys = jax.tree.map(lambda k: k[0], mem.keys())
    hyper = jax.tree.map(lambda h: h[0], mem.hyper())
    _, h1 = eqx.filter_jit(train)(Tiny(keys["init"]), hyper, src, evals, keys, SPEC)
    np.testing.assert_allclose(np.asarray(h1["test/loss"]), hist["test/loss"][0], rtol=1e-5)


def test_array_lr_equals_static_lr(data):
    """The injected-array lr follows exactly the path of optax.adam with a Python-float lr."""
    x, y, evals = data
    src = FiniteSource(x, y, 16, "slices")
    spec = TrainSpec(steps=20, batch_size=16, eval_every=20, optimizer="adam", batching="slices")
    models, _ = train_many(Tiny, Members(seeds=(1,), lr=(0.02,)), src, evals, spec)
    model = Tiny(rng.stream(1, "init"))
    opt = optax.adam(0.02)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    state = opt.init(params)

    def loss(p, xb, yb):
        out = jax.vmap(eqx.combine(p, static))(xb)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(out, yb))

    for step in range(20):
        idx = (step * 16 + np.arange(16)) % 64
        grads = jax.grad(loss)(params, x[idx], y[idx])
        updates, state = opt.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    got = jax.tree.leaves(eqx.filter(models, eqx.is_inexact_array))
    want = jax.tree.leaves(params)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g)[0], np.asarray(w), rtol=1e-5, atol=1e-6)


def test_pinned_init_stream(data):
    """Same init seed, different data seeds: identical start, different trajectories."""
    x, y, evals = data
    src = FiniteSource(x, y, 16, "reshuffle")
    mem = Members(seeds=(0, 1), lr=(1e-2, 1e-2), init_seeds=(9, 9))
    _, hist = train_many(Tiny, mem, src, evals, SPEC)
    np.testing.assert_array_equal(hist["test/loss"][0, 0], hist["test/loss"][1, 0])
    assert not np.allclose(hist["test/loss"][0, -1], hist["test/loss"][1, -1])


def test_reshuffle_visits_every_example_once_per_epoch():
    x = jnp.arange(20, dtype=jnp.float32)[:, None]
    src = FiniteSource(x, jnp.arange(20), 5, "reshuffle")
    key = jax.random.key(0)
    state, seen = src.init(key), []
    for step in range(8):
        state, (xb, _) = src.next(state, jnp.int32(step), key)
        seen.append(np.asarray(xb[:, 0]))
    first, second = np.concatenate(seen[:4]), np.concatenate(seen[4:])
    assert sorted(first) == list(range(20)) and sorted(second) == list(range(20))
    assert not np.array_equal(first, second)


def test_slices_are_consecutive():
    x = jnp.arange(10, dtype=jnp.float32)[:, None]
    src = FiniteSource(x, jnp.arange(10), 4, "slices")
    _, (xb, _) = src.next(src.init(jax.random.key(0)), jnp.int32(2), jax.random.key(0))
    np.testing.assert_array_equal(np.asarray(xb[:, 0]), [8, 9, 0, 1])


def test_grad_through_training_wrt_lr(data):
    """Meta-learning readiness: d(final test loss)/d(lr) through the whole scan is finite."""
    x, y, evals = data
    src = FiniteSource(x, y, 16, "slices")
    spec = TrainSpec(steps=10, batch_size=16, eval_every=5, optimizer="sgd", batching="slices")
    keys = {"init": rng.stream(0, "init"), "data": rng.stream(0, "data")}

    def final_loss(lr):
        _, h = train(Tiny(keys["init"]), {"lr": lr, "weight_decay": jnp.float32(0)}, src, evals, keys, spec)
        return h["test/loss"][-1]

    g = jax.grad(final_loss)(jnp.float32(0.1))
    assert np.isfinite(float(g)) and float(g) != 0.0


def test_mse_loss_and_weight_decay_shrinks(data):
    x, y, evals = data
    src = FiniteSource(x, y, 16, "slices")
    spec = TrainSpec(steps=40, batch_size=16, eval_every=40, optimizer="sgd", loss="mse", batching="slices")
    models, _ = train_many(Tiny, Members(seeds=(0, 0), lr=(0.05, 0.05), weight_decay=(0.0, 0.5)),
                           src, evals, spec)
    w = np.asarray(models.l1.weight)
    assert np.linalg.norm(w[1]) < np.linalg.norm(w[0])


class _BranchProbe(eqx.Module):
    """A source that takes an expensive branch every 4th step and reports which steps took it."""
    x: jax.Array
    y: jax.Array

    def init(self, key):
        return jnp.zeros((), jnp.int32)

    def next(self, state, step, key):
        def refresh():
            jax.debug.callback(lambda s: TAKEN.append(int(s)), step)
            return state + 1
        state = jax.lax.cond(step % 4 == 0, refresh, lambda: state)
        return state, (self.x[:16], self.y[:16])


TAKEN: list[int] = []


def test_source_branches_on_a_shared_step_under_vmap(data):
    """The step a source sees is shared by the members, so its lax.cond stays a branch (taken
    only on every 4th step) rather than a select evaluating the expensive side every step."""
    x, y, evals = data
    TAKEN.clear()
    spec = TrainSpec(steps=12, batch_size=16, eval_every=12, optimizer="sgd")
    train_many(Tiny, Members(seeds=(0, 1), lr=(1e-2, 1e-2)), _BranchProbe(x, y), evals, spec)
    assert set(TAKEN) == {0, 4, 8}


class Permuted(eqx.Module):
    """Tiny behind a fixed, seed-dependent input permutation: an int buffer, per member."""
    perm: jax.Array
    net: Tiny

    def __init__(self, key):
        k1, k2 = jax.random.split(key)
        self.perm, self.net = jax.random.permutation(k1, 8), Tiny(k2)

    def __call__(self, x, *, key=None):
        return self.net(x[self.perm])


def test_int_buffers_are_per_member_under_vmap(data):
    x, y, evals = data
    src = FiniteSource(x, y, 16, "slices")
    models, many = train_many(Permuted, Members(seeds=(1, 2), lr=(1e-2, 1e-2)), src, evals, SPEC)
    assert models.perm.shape == (2, 8) and not np.array_equal(models.perm[0], models.perm[1])
    for m, seed in enumerate((1, 2)):
        _, alone = train_many(Permuted, Members(seeds=(seed,), lr=(1e-2,)), src, evals, SPEC)
        np.testing.assert_allclose(many["train/loss"][m], alone["train/loss"][0], rtol=1e-5)


@pytest.mark.parametrize("chunk", [2, 3])
def test_members_in_passes_equal_one_vmap(data, chunk):
    """member_chunk trains the group in sequential passes (the last one padded): same numbers,
    per member, as one vmap over all of them; per-member buffers and the shared step included."""
    x, y, evals = data
    src = FiniteSource(x, y, 16, "reshuffle")
    mem = Members(seeds=(1, 2, 3, 4, 5), lr=(1e-2, 3e-2, 1e-2, 2e-2, 5e-2))
    spec = TrainSpec(steps=40, batch_size=16, eval_every=10, optimizer="adam", member_chunk=chunk)
    whole_spec = TrainSpec(steps=40, batch_size=16, eval_every=10, optimizer="adam", member_chunk=0)
    m_passes, passes = train_many(Permuted, mem, src, evals, spec)
    m_whole, whole = train_many(Permuted, mem, src, evals, whole_spec)
    assert passes.keys() == whole.keys()
    for k in whole:
        assert passes[k].shape == whole[k].shape == (5, 5)
        np.testing.assert_allclose(passes[k], whole[k], rtol=2e-5, atol=2e-6)
    np.testing.assert_array_equal(m_passes.perm, m_whole.perm)
    np.testing.assert_allclose(m_passes.net.l1.weight, m_whole.net.l1.weight, rtol=2e-5, atol=2e-6)


def test_member_passes_plan():
    """Passes of at most `chunk`, a multiple of the devices; the fewest padded members among
    the fewest passes up to twice as many, then the fewest passes."""
    assert member_passes(64, 8) == member_passes(64, 8, 2) == (8, 8)
    assert member_passes(5, 8) == (1, 5) and member_passes(5, 8, 2) == (2, 3)
    assert member_passes(18, 8) == (3, 6) and member_passes(18, 8, 2) == (6, 3)  # 4 x 5 pads 2
    assert member_passes(15, 8) == (3, 5) and member_passes(9, 8) == (3, 3)  # 2 x 8, 2 x 5 pad 1
    assert member_passes(13, 8) == (2, 7)  # no even split within 2-4 passes: pad 1, not 2 or 3
    assert member_passes(5, 0, 2) == (2, 3) and member_passes(1, 8, 2) == (1, 1)
    assert member_passes(3, 8, 4) == (3, 1)  # never more devices than members
    for members in range(1, 70):
        for chunk in (0, 1, 3, 8):
            for devices in (1, 2):
                passes, per = member_passes(members, chunk, devices)
                assert passes * per >= members and passes % min(devices, members) == 0
                assert chunk == 0 or per <= chunk
                assert devices > 1 or (passes - 1) * per < members  # no pass of copies only


SPREAD_CHECK = """
import sys
sys.path.insert(0, {tests!r}); sys.path.insert(0, {here!r})
import jax, numpy as np
assert len(jax.devices()) == 2
from genlab.data.sources import FiniteSource
from genlab.train import Members, TrainSpec, train_many
from test_many import Permuted, _data
from genlab.train.many import SPREAD_MIN_MODEL_STEPS as many, pass_devices
# automatic: spread only a group with enough work; never more devices than members
assert len(pass_devices(0, 5, many // 5)) == 2 and len(pass_devices(0, 5, many // 5 - 1)) == 1
assert len(pass_devices(2, 5, 1)) == 2 and len(pass_devices(0, 1, many)) == 1
x, y, evals = _data()
src = FiniteSource(x, y, 16, "reshuffle")
mem = Members(seeds=(1, 2, 3, 4, 5), lr=(1e-2, 3e-2, 1e-2, 2e-2, 5e-2))
worst = 0.0
for chunk in (2, 3, 8):
    kw = dict(steps=40, batch_size=16, eval_every=10, optimizer="adam", member_chunk=chunk)
    m2, h2 = train_many(Permuted, mem, src, evals, TrainSpec(**kw, member_devices=2))
    m1, h1 = train_many(Permuted, mem, src, evals, TrainSpec(**kw, member_devices=1))
    assert h2.keys() == h1.keys() and (np.asarray(m2.perm) == np.asarray(m1.perm)).all()
    for a, b in [(h2[k], h1[k]) for k in h1] + [(m2.net.l1.weight, m1.net.l1.weight)]:
        a, b = np.asarray(a), np.asarray(b)
        worst = max(worst, float(np.max(np.abs(a - b) / (2e-6 + 2e-5 * np.abs(b)))))
# a probe calling LAPACK (dmf's SVD spectrum) deadlocked in a spread program: a group with a
# probe stays on one device whatever member_devices says, so its numbers are bitwise the
# one-device ones (spread, they differ by round-off, or the program hangs)
import jax.numpy as jnp
svd = lambda model: {{"top_singular": jnp.linalg.svd(model.net.l1.weight, compute_uv=False)[0]}}
kw = dict(steps=20, batch_size=16, eval_every=10, optimizer="adam", member_chunk=2)
p2 = train_many(Permuted, mem, src, evals, TrainSpec(**kw, member_devices=2), probe=svd)[1]
p1 = train_many(Permuted, mem, src, evals, TrainSpec(**kw, member_devices=1), probe=svd)[1]
assert np.array_equal(np.asarray(p2["top_singular"]), np.asarray(p1["top_singular"]))
print(worst)
"""


def test_passes_spread_over_devices_equal_one_device():
    """member_devices: the passes dealt out to 2 CPU devices side by side give the same numbers,
    to float round-off, as one device scanning them all (5 members in passes of 2, 3 or one
    pass of 5 on one device / passes of 3 on two); the automatic choice spreads only groups of
    >= SPREAD_MIN_MODEL_STEPS model-steps. In a fresh process with 2 devices (the suite keeps
    one)."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    here = Path(__file__).parent
    code = SPREAD_CHECK.format(tests=str(here.parent), here=str(here))
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert float(out.stdout.strip().splitlines()[-1]) <= 1.0  # within rtol 2e-5, atol 2e-6
