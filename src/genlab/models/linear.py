"""The logistic-regression baseline: one Linear map from the signal to the logits."""
from __future__ import annotations

import equinox as eqx
import jax

from genlab.models import activations, make_dropout, register


@register("linear")
class Linear(eqx.Module):
    """Linear(in_size -> num_outputs); 410 parameters at the MNIST-1D defaults.

    `activation` is accepted (every model takes it) and validated, but there is nothing to
    apply it to. `dropout` drops input positions, so the trainer may pass it to any model.
    """

    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10,
        activation: str = "relu", dropout: float = 0.0,
    ):
        activations.get(activation)
        self.dropout = make_dropout(dropout)
        self.readout = eqx.nn.Linear(in_size, num_outputs, key=key)

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given."""
        return self.readout(self.dropout(x, key=key, inference=key is None))
