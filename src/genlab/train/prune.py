"""Pruning masks for lottery tickets: magnitude / random scores, layer-wise and global pruning, rewinding.

A mask is a bool pytree shaped like a network's params (eqx.filter(model, eqx.is_inexact_array)),
for ONE member; `stack` / `unstack` move between members and the stacked form train_many takes.
Pruning runs on the host (NumPy) between training rounds, where masks are computed once per level.
"""
from __future__ import annotations

import equinox as eqx
import jax
import numpy as np

SCOPES = ("weights_and_biases", "weights")


def is_bias(path) -> bool:
    """Leaf paths ending in `bias` (eqx.nn.Linear / Conv) are biases; everything else a weight."""
    return bool(path) and leaf_name(path).split("/")[-1] == "bias"


def leaf_name(path) -> str:
    """'blocks/0/weight': the name a leaf has in Store.run_arrays (same convention as the store)."""
    parts = []
    for k in path:
        parts.append(str(next(getattr(k, a) for a in ("key", "name", "idx") if hasattr(k, a))))
    return "/".join(parts) or "value"


def params_of(model):
    """The inexact-array leaves of a model (the pytree masks are shaped like)."""
    return eqx.filter(model, eqx.is_inexact_array)


def full_mask(params):
    """Nothing pruned: an all-True mask."""
    return jax.tree.map(lambda p: np.ones(np.shape(p), bool), params)


def _prunable(path, scope: str) -> bool:
    if scope not in SCOPES:
        raise ValueError(f"unknown mask scope {scope!r}; choices: {', '.join(SCOPES)}")
    return scope == "weights_and_biases" or not is_bias(path)


def magnitude_scores(params):
    """|w|: the score magnitude pruning keeps the largest of."""
    return jax.tree.map(lambda p: np.abs(np.asarray(p, np.float64)), params)


def random_scores(params, seed: int):
    """i.i.d. uniform scores, one stream per leaf (a random ticket)."""
    rng = np.random.default_rng(seed)
    return jax.tree.map(lambda p: rng.random(np.shape(p)), params)


def prune_layerwise(mask, scores, sparsity: float, scope: str = "weights_and_biases"):
    """Each prunable leaf keeps round((1 - sparsity) * size) entries: the highest-scoring survivors
    of `mask` (pruned entries stay pruned). Non-prunable leaves keep their mask."""
    def one(path, m, s):
        if not _prunable(path, scope):
            return np.asarray(m, bool)
        keep = int(round((1.0 - sparsity) * m.size))
        return _keep_top(np.asarray(m, bool), s, keep)
    return jax.tree_util.tree_map_with_path(one, mask, scores)


def layer_of(path) -> str:
    """The module a leaf belongs to ('blocks/0' for 'blocks/0/weight'): its weight and bias share it."""
    name = leaf_name(path)
    return name.rsplit("/", 1)[0] if "/" in name else name


def prune_by_layer(mask, scores, sparsity: float):
    """The MNIST-1D lottery notebook's layer-wise pruning: each layer's weight and bias are ranked
    together, as one vector (its get_layer_vecs), and int(sparsity * size) of the layer's entries
    are dropped, the lowest-scoring first; the rest keep the highest-scoring survivors of `mask`
    (pruned entries stay pruned, as their score, |0|, is the lowest in the notebook)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(mask)
    score_leaves = jax.tree.leaves(scores)
    out = [np.asarray(m, bool) for _, m in leaves]
    groups: dict[str, list[int]] = {}
    for i, (path, _) in enumerate(leaves):
        groups.setdefault(layer_of(path), []).append(i)
    for members in groups.values():
        flat_mask = np.concatenate([out[i].ravel() for i in members])
        flat_scores = np.concatenate([np.asarray(score_leaves[i], np.float64).ravel() for i in members])
        kept = _keep_top(flat_mask, flat_scores, flat_mask.size - int(sparsity * flat_mask.size))
        offset = 0
        for i in members:
            size = out[i].size
            out[i] = kept[offset:offset + size].reshape(out[i].shape)
            offset += size
    return jax.tree_util.tree_unflatten(treedef, out)


def prune_global(mask, scores, fraction: float, scope: str = "weights"):
    """Remove `fraction` of the surviving prunable entries with the lowest scores, ranked over
    all prunable leaves together (Frankle & Carbin / open_lth sparse_global)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(mask)
    score_leaves = jax.tree.leaves(scores)
    chosen = [i for i, (path, _) in enumerate(leaves) if _prunable(path, scope)]
    flat_mask = np.concatenate([np.asarray(leaves[i][1], bool).ravel() for i in chosen])
    flat_scores = np.concatenate([np.asarray(score_leaves[i]).ravel() for i in chosen])
    keep = int(round((1.0 - fraction) * flat_mask.sum()))
    new_flat = _keep_top(flat_mask, flat_scores, keep)
    out, offset = [np.asarray(m, bool) for _, m in leaves], 0
    for i in chosen:
        size = out[i].size
        out[i] = new_flat[offset:offset + size].reshape(out[i].shape)
        offset += size
    return jax.tree_util.tree_unflatten(treedef, out)


def _keep_top(mask: np.ndarray, scores: np.ndarray, keep: int) -> np.ndarray:
    """The `keep` highest-scoring True entries of mask (ties broken by position, stably)."""
    s = np.where(mask, np.asarray(scores, np.float64), -np.inf).ravel()
    keep = min(max(keep, 0), int(mask.sum()))
    order = np.argsort(-s, kind="stable")[:keep]
    out = np.zeros(mask.size, bool)
    out[order] = True
    return out.reshape(mask.shape)


def shuffle_layerwise(mask, seed: int, scope: str = "weights_and_biases"):
    """Each prunable leaf's mask randomly permuted: a random mask with the same per-layer sparsity."""
    rng = np.random.default_rng(seed)

    def one(path, m):
        m = np.asarray(m, bool)
        return rng.permutation(m.ravel()).reshape(m.shape) if _prunable(path, scope) else m
    return jax.tree_util.tree_map_with_path(one, mask)


def degree_preserving_shuffle(mask, seed: int, rounds: int = 64) -> np.ndarray:
    """A random 2-D mask with the same row sums and column sums as `mask` (rows: hidden units,
    columns: input positions): the null that keeps how many inputs each unit keeps and how often
    each position is kept, and moves only which positions a unit keeps.

    Global curveball (Carstens 2016): each round pairs the rows at random and, within each pair,
    redeals the positions that exactly one of the two rows holds, each row keeping its count.
    Every trade keeps row and column sums; the chain's stationary distribution is uniform over
    the masks with those sums."""
    m = np.array(mask, dtype=bool, copy=True)
    if m.ndim != 2:
        raise ValueError(f"degree_preserving_shuffle needs a 2-D mask, got shape {m.shape}")
    rng = np.random.default_rng(seed)
    n = m.shape[0] - m.shape[0] % 2
    for _ in range(rounds):
        order = rng.permutation(m.shape[0])[:n].reshape(-1, 2)
        a, b = m[order[:, 0]], m[order[:, 1]]
        only = a ^ b                                   # positions held by exactly one row
        k = (a & ~b).sum(axis=1, keepdims=True)        # how many of them row a keeps
        scores = np.where(only, rng.random(only.shape), -1.0)
        rank = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1)
        new_a = only & (rank < k)
        m[order[:, 0]] = (a & b) | new_a
        m[order[:, 1]] = (a & b) | (only & ~new_a)
    return m


def rewind(params, mask):
    """Survivors take the given (initial or step-k) values; pruned entries are exactly 0."""
    return jax.tree.map(lambda p, m: np.where(m, np.asarray(p), np.zeros_like(p)), params, mask)


def layer_sparsity(mask) -> dict[str, float]:
    """{leaf name: fraction pruned}."""
    pairs = jax.tree_util.tree_flatten_with_path(mask)[0]
    return {leaf_name(path): 1.0 - float(np.mean(m)) for path, m in pairs}


def sparsity(mask, scope: str = "weights_and_biases") -> float:
    """Fraction of prunable entries pruned, over all prunable leaves."""
    pairs = [(path, np.asarray(m)) for path, m in jax.tree_util.tree_flatten_with_path(mask)[0]]
    kept = sum(int(m.sum()) for path, m in pairs if _prunable(path, scope))
    total = sum(m.size for path, m in pairs if _prunable(path, scope))
    return 1.0 - kept / max(total, 1)


def to_arrays(tree) -> dict[str, np.ndarray]:
    """{leaf name: array}: the flat form Store.run_arrays returns."""
    return {leaf_name(path): np.asarray(v) for path, v in jax.tree_util.tree_flatten_with_path(tree)[0]}


def from_arrays(template, arrays: dict[str, np.ndarray]):
    """The pytree shaped like `template` whose leaves are `arrays` (Store.run_arrays) by name."""
    pairs, treedef = jax.tree_util.tree_flatten_with_path(template)
    return jax.tree_util.tree_unflatten(treedef, [arrays[leaf_name(path)] for path, _ in pairs])


def stack(trees):
    """Members' pytrees -> one stacked pytree (leading member axis), as train_many takes."""
    return jax.tree.map(lambda *leaves: np.stack([np.asarray(x) for x in leaves]), *trees)


def unstack(tree, count: int) -> list:
    return [jax.tree.map(lambda a, i=i: np.asarray(a[i]), tree) for i in range(count)]
