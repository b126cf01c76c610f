"""Pruning engine: masked weights stay exactly zero, snapshots come from the same run, masks' sparsity."""
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from tiny_model import Tiny

from genlab.data import corrupt
from genlab.data.sources import FiniteSource
from genlab.store import RunRecord, Store
from genlab.train import Members, TrainSpec, prune, train_many


@pytest.fixture(scope="module")
def problem():
    r = np.random.default_rng(0)
    x = jnp.asarray(r.normal(size=(64, 8)), jnp.float32)
    y = jnp.asarray(r.integers(0, 3, 64), jnp.int32)
    return FiniteSource(x, y, 16, "slices"), {"train": (x, y)}


def _masks(seeds, sparsity):
    params = [prune.params_of(Tiny(jax.random.key(s))) for s in seeds]
    return [prune.prune_layerwise(prune.full_mask(p), prune.random_scores(p, seed=s), sparsity)
            for s, p in zip(seeds, params)]


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "momentum"])
def test_pruned_weights_start_and_stay_exactly_zero(problem, optimizer):
    source, evals = problem
    spec = TrainSpec(steps=30, batch_size=16, eval_every=10, optimizer=optimizer, batching="slices")
    masks = _masks((1, 2), 0.7)
    members = Members(seeds=(1, 2), lr=(5e-2, 5e-2), weight_decay=(1e-2, 1e-2))
    nets, _, snaps = train_many(Tiny, members, source, evals, spec, mask=prune.stack(masks),
                                snapshot_steps=(0,))
    for tree in (prune.params_of(nets), snaps[0]):
        for p, m in zip(jax.tree.leaves(tree), jax.tree.leaves(prune.stack(masks))):
            assert np.all(np.asarray(p)[~m] == 0.0)  # exactly zero, not merely small
    init = prune.params_of(eqx.filter_vmap(Tiny)(members.keys()["init"]))
    moved = [np.asarray(a)[m] != np.asarray(b)[m] for a, b, m in
             zip(jax.tree.leaves(prune.params_of(nets)), jax.tree.leaves(init),
                 jax.tree.leaves(prune.stack(masks)))]
    assert all(mv.mean() > 0.9 for mv in moved)  # the survivors did train


def test_snapshot_equals_a_run_stopped_at_that_step(problem):
    source, evals = problem
    long = TrainSpec(steps=40, batch_size=16, eval_every=20, optimizer="adam", batching="slices")
    short = TrainSpec(steps=7, batch_size=16, eval_every=7, optimizer="adam", batching="slices")
    members = Members(seeds=(3, 4), lr=(1e-2, 2e-2))
    _, _, snaps = train_many(Tiny, members, source, evals, long, snapshot_steps=(0, 7))
    stopped, _ = train_many(Tiny, members, source, evals, short)
    init = prune.params_of(eqx.filter_vmap(Tiny)(members.keys()["init"]))
    for a, b in zip(jax.tree.leaves(snaps[7]), jax.tree.leaves(prune.params_of(stopped))):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    for a, b in zip(jax.tree.leaves(snaps[0]), jax.tree.leaves(init)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_start_rewinds_to_given_params_exactly(problem):
    source, evals = problem
    spec = TrainSpec(steps=10, batch_size=16, eval_every=10, optimizer="adam", batching="slices")
    masks = _masks((5,), 0.5)
    start = prune.rewind(prune.params_of(Tiny(jax.random.key(99))), masks[0])
    _, _, snaps = train_many(Tiny, Members(seeds=(5,), lr=(1e-2,)), source, evals, spec,
                             mask=prune.stack(masks), start=prune.stack([start]), snapshot_steps=(0,))
    for a, b in zip(jax.tree.leaves(snaps[0]), jax.tree.leaves(start)):
        np.testing.assert_array_equal(np.asarray(a)[0], b)


def test_layerwise_magnitude_keeps_largest_and_nests():
    params = prune.params_of(Tiny(jax.random.key(0)))
    half = prune.prune_layerwise(prune.full_mask(params), prune.magnitude_scores(params), 0.5)
    more = prune.prune_layerwise(half, prune.magnitude_scores(params), 0.8)
    sizes = {name: m.size for name, m in prune.to_arrays(more).items()}
    for name, s in prune.layer_sparsity(more).items():
        assert abs(s - 0.8) <= 0.5 / sizes[name] + 1e-12, name  # the nearest count per layer
    for p, m, m2 in zip(jax.tree.leaves(params), jax.tree.leaves(half), jax.tree.leaves(more)):
        p = np.abs(np.asarray(p))
        assert p[m].min() >= p[~m].max()  # kept entries are the largest of the layer
        assert np.all(m[m2])  # pruned entries stay pruned


def test_weights_only_global_pruning_leaves_biases_and_cuts_a_fraction():
    params = prune.params_of(Tiny(jax.random.key(1)))
    scores = prune.magnitude_scores(params)
    mask = prune.prune_global(prune.full_mask(params), scores, 0.2, "weights")
    assert abs(prune.sparsity(mask, "weights") - 0.2) < 0.01
    assert np.all(mask.l1.bias) and np.all(mask.l2.bias)
    kept = np.concatenate([np.asarray(s)[m] for s, m in [(scores.l1.weight, mask.l1.weight),
                                                          (scores.l2.weight, mask.l2.weight)]])
    cut = np.concatenate([np.asarray(s)[~m] for s, m in [(scores.l1.weight, mask.l1.weight),
                                                          (scores.l2.weight, mask.l2.weight)]])
    assert kept.min() >= cut.max()  # one threshold across layers
    again = prune.prune_global(mask, scores, 0.2, "weights")
    assert abs(prune.sparsity(again, "weights") - 0.36) < 0.01  # 20% of what remained


def test_layerwise_shuffle_keeps_per_layer_sparsity():
    params = prune.params_of(Tiny(jax.random.key(2)))
    ticket = prune.prune_global(prune.full_mask(params), prune.magnitude_scores(params), 0.6, "weights")
    shuffled = prune.shuffle_layerwise(ticket, seed=0, scope="weights")
    assert prune.layer_sparsity(shuffled) == prune.layer_sparsity(ticket)
    assert not np.array_equal(shuffled.l1.weight, ticket.l1.weight)


def test_stored_arrays_round_trip_to_the_same_pytree(tmp_path):
    params = prune.params_of(Tiny(jax.random.key(3)))
    mask = prune.full_mask(params)
    store = Store(tmp_path / "s.sqlite")
    store.write_group("t", [RunRecord("r", 0, {}, {}, {}, arrays={"final": params, "mask": mask})])
    back = prune.from_arrays(params, store.run_arrays("r", "final"))
    for a, b in zip(jax.tree.leaves(back), jax.tree.leaves(params)):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert prune.from_arrays(mask, store.run_arrays("r", "mask")).l1.weight.dtype == bool


def test_chunk_permutation_moves_whole_chunks():
    perm = corrupt.chunk_permutation(40, 10, seed=0)
    blocks = perm.reshape(4, 10)
    assert sorted(perm) == list(range(40)) and not np.array_equal(perm, np.arange(40))
    assert all(np.array_equal(b, b[0] + np.arange(10)) for b in blocks)


def test_degree_preserving_shuffle_keeps_row_and_column_sums_and_moves_positions():
    rng = np.random.default_rng(3)
    mask = rng.random((51, 40)) < np.linspace(0.05, 0.6, 40)  # uneven per-position rates
    mask[:, :3] = True                                         # some positions always kept
    before = mask.copy()
    out = prune.degree_preserving_shuffle(mask, seed=7)
    np.testing.assert_array_equal(out.sum(axis=1), mask.sum(axis=1))
    np.testing.assert_array_equal(out.sum(axis=0), mask.sum(axis=0))
    assert out.dtype == bool and out.shape == mask.shape
    assert (out != mask).mean() > 0.1                          # it does move kept positions
    np.testing.assert_array_equal(out, prune.degree_preserving_shuffle(mask, seed=7))
    assert not np.array_equal(out, prune.degree_preserving_shuffle(mask, seed=8))
    np.testing.assert_array_equal(mask, before)                # the input is not modified


def test_degree_preserving_shuffle_breaks_contiguous_runs():
    """A mask of contiguous runs (the structure adjacency measures) loses most of its adjacent
    pairs under the null, which keeps the per-unit counts and the per-position counts."""
    rng = np.random.default_rng(0)
    mask = np.zeros((200, 40), bool)
    for row, start in enumerate(rng.integers(0, 30, 200)):
        mask[row, start:start + 6] = True
    def pairs(m):
        return (m[:, 1:] & m[:, :-1]).mean()
    assert pairs(prune.degree_preserving_shuffle(mask, seed=1)) < 0.5 * pairs(mask)


def test_by_layer_ranks_a_layers_weight_and_bias_together_as_the_notebook():
    """The notebook's get_mask on a layer's [weight, bias] vector: int(s * size) entries dropped
    per layer, lowest scores first, one threshold across the layer's weight and bias."""
    params = prune.params_of(Tiny(jax.random.key(4)))
    scores = prune.magnitude_scores(params)
    scores = eqx.tree_at(lambda t: t.l1.bias, scores, np.full(16, 10.0))  # biases outrank weights
    mask = prune.prune_by_layer(prune.full_mask(params), scores, 0.8)
    for layer, size in (("l1", 8 * 16 + 16), ("l2", 16 * 3 + 3)):
        m = getattr(mask, layer)
        assert int(m.weight.sum() + m.bias.sum()) == size - int(0.8 * size), layer
    assert np.all(mask.l1.bias) and mask.l1.weight.sum() == 29 - 16  # not 20% of each leaf
    for layer in ("l1", "l2"):
        s, m = getattr(scores, layer), getattr(mask, layer)
        flat_s = np.concatenate([np.ravel(s.weight), np.ravel(s.bias)])
        flat_m = np.concatenate([np.ravel(m.weight), np.ravel(m.bias)])
        assert flat_s[flat_m].min() >= flat_s[~flat_m].max()  # one threshold per layer
    again = prune.prune_by_layer(mask, scores, 0.95)
    for a, b in zip(jax.tree.leaves(mask), jax.tree.leaves(again)):
        assert np.all(a[b])  # pruned entries stay pruned
    assert prune.layer_of(jax.tree_util.tree_flatten_with_path(params)[0][1][0]) == "l1"
