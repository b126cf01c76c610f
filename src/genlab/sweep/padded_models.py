"""Models of different sizes in one compiled program (TrainSpec.pad_model): each member is built
at its own size from its own init key, exactly as alone, then zero-padded to the group's largest
size, with a mask that keeps the padding at exactly 0 through training (train_many's masks).
The padded network computes the member's function; gradients of the padding are 0 anyway, the
mask makes it exact under weight decay too (models.PAD_KWARGS says which models qualify)."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from genlab import models
from genlab.sweep.groups import RegistryModel
from genlab.sweep.jobs import Job, padded_size_kwarg


def padded_members(group: list[Job], init_keys, in_size: int, num_outputs: int):
    """(make_model at the largest size, stacked start params, stacked 0/1 mask), or None when
    the group's members all have one size (nothing to pad)."""
    size = padded_size_kwarg(group[0])
    if size is None:
        return None
    default = models.options(group[0].model)[size]
    sizes = [j.model_kwargs.get(size, default) for j in group]
    if len(set(sizes)) == 1:
        return None
    largest = dict(group[0].model_kwargs, **{size: max(sizes)})
    make = RegistryModel(group[0].model, in_size, tuple(sorted(largest.items())), num_outputs)
    template = eqx.filter(make(init_keys[0]), eqx.is_inexact_array)
    structure = jax.tree.structure(template)

    def widths(leaf, like):
        return [(0, t - s) for s, t in zip(leaf.shape, like.shape)]
    starts, masks = [], []
    for job, key in zip(group, init_keys):
        own = eqx.filter(models.make(job.model, key=key, in_size=in_size, num_outputs=num_outputs,
                                     **job.model_kwargs), eqx.is_inexact_array)
        # leaf by leaf into the largest model's structure (static fields such as a Linear's
        # out_features are the largest size's)
        pairs = list(zip(jax.tree.leaves(own), jax.tree.leaves(template)))
        starts.append(jax.tree.unflatten(structure, [jnp.pad(p, widths(p, t)) for p, t in pairs]))
        masks.append(jax.tree.unflatten(structure, [jnp.pad(jnp.ones(p.shape, bool), widths(p, t))
                                                    for p, t in pairs]))
    stack = lambda trees: jax.tree.map(lambda *a: jnp.stack(a), *trees)  # noqa: E731
    return make, stack(starts), stack(masks)
