"""What a compile group shares: the model constructor (hashed by value, so a group with the same
shapes reuses the compiled program) and its training data."""
from __future__ import annotations

import dataclasses

from genlab import models


@dataclasses.dataclass(frozen=True)
class RegistryModel:
    """make_model for train_many: a registry model. A frozen dataclass hashes and compares by
    value, so jit sees the same static argument for every group of the same shapes (a
    functools.partial hashes by identity, which recompiled a group's programs every time)."""
    name: str
    in_size: int
    kwargs: tuple = ()
    num_outputs: int = 10

    def __call__(self, key):
        return models.make(self.name, key=key, in_size=self.in_size,
                           num_outputs=self.num_outputs, **dict(self.kwargs))


def padded_group_data(group: list, data: list[dict], data_keys):
    """(source, evals) stacked on a member axis for Real-World members of different N: each
    member's PaddedSource draws its own n's batches (under its data key, data_keys[m]); its
    "train" eval weights its own rows."""
    import jax
    import jax.numpy as jnp

    from genlab.data.augment import Augmented
    from genlab.data.padded import PaddedSource

    spec, aug = group[0].train, group[0].data
    sizes = tuple(len(d["y"]) for d in data)
    rows = min(max(sizes), spec.eval_train_max)
    per_member = []
    for d, n, key in zip(data, sizes, data_keys):
        source = PaddedSource.of(d["x"], d["y"], n, spec.batch_size, spec.batching, sizes, key,
                                 spec.steps)
        if aug.augment_shift or aug.augment_noise:
            source = Augmented(source, aug.augment_shift, aug.augment_noise)
        x, y = (jnp.asarray(a[:rows]) for a in (d["x"], d["y"]))
        pad = rows - x.shape[0]
        weight = (jnp.arange(rows) < min(n, rows)).astype(jnp.float32)
        train = (jnp.pad(x, [(0, pad), (0, 0)]), jnp.pad(y, [(0, pad)]), weight)
        per_member.append((source, {"train": train,
                                    "test": (jnp.asarray(d["x_test"]), jnp.asarray(d["y_test"]))}))
    return jax.tree.map(lambda *a: jnp.stack(a), *per_member)
