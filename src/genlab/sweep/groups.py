"""What a compile group shares: the model constructor (hashed by value, so a group with the same
shapes reuses the compiled program) and its training data."""
from __future__ import annotations

import dataclasses

from genlab import models


@dataclasses.dataclass(frozen=True)
class RegistryModel:
    """make_model for train_many: a registry model. A frozen dataclass hashes and compares by
    value, so jit sees the same static argument for every group of the same shapes (a
    functools.partial hashes by identity, which recompiled _init_many for every group)."""
    name: str
    in_size: int
    kwargs: tuple = ()
    num_outputs: int = 10

    def __call__(self, key):
        return models.make(self.name, key=key, in_size=self.in_size,
                           num_outputs=self.num_outputs, **dict(self.kwargs))
