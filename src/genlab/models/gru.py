"""The MNIST-1D recurrent baseline: a bidirectional GRU read out from all of its outputs."""
from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr

from genlab.config import ConfigError
from genlab.models import activations, check_int, make_dropout, register


def run_cell(cell: eqx.nn.GRUCell, xs: jax.Array, *, reverse: bool = False) -> jax.Array:
    """Hidden states of `cell` over xs (T, features) from a zero state -> (T, hidden).

    With reverse=True the scan runs from the last step back and row t is still the state
    at step t (PyTorch's layout for the backward direction).
    """

    def step(h, x_t):
        h = cell(x_t, h)
        return h, h

    h0 = jnp.zeros((cell.hidden_size,), xs.dtype)
    _, hs = jax.lax.scan(step, h0, xs, reverse=reverse)
    return hs


@register("gru")
class GRU(eqx.Module):
    """GRU over the in_size positions as time steps (1 feature each); the outputs of both
    directions at every step, flattened time-major as [fwd_t, bwd_t] (in_size * 2 * hidden
    = 480 at the defaults), go through dropout to a Linear readout.

    Equinox's GRUCell has 4 * hidden biases, not PyTorch's 6 * hidden: PyTorch's b_hr and
    b_hz only add to b_ir and b_iz, so the function class is the same, with 24 fewer
    parameters at the defaults (5,110 instead of the reference's 5,134). `activation` is
    accepted and validated, but unused (the reference has no nonlinearity outside the cell).
    """

    cells: tuple[eqx.nn.GRUCell, ...]
    readout: eqx.nn.Linear
    dropout: eqx.nn.Dropout

    def __init__(
        self, *, key, in_size: int = 40, num_outputs: int = 10, hidden: int = 6,
        bidirectional: bool = True, activation: str = "relu", dropout: float = 0.0,
    ):
        check_int("hidden", hidden)
        if not isinstance(bidirectional, bool):
            raise ConfigError(f"bidirectional must be a bool, got {bidirectional!r}")
        activations.get(activation)
        self.dropout = make_dropout(dropout)
        directions = 2 if bidirectional else 1
        keys = jr.split(key, 3)
        self.cells = tuple(eqx.nn.GRUCell(1, hidden, key=k) for k in keys[:directions])
        self.readout = eqx.nn.Linear(in_size * directions * hidden, num_outputs, key=keys[2])

    def __call__(self, x: jax.Array, *, key=None) -> jax.Array:
        """x (in_size,) -> logits (num_outputs,); dropout runs only when key is given."""
        xs = x[:, None]  # (time, 1 feature)
        outputs = [run_cell(cell, xs, reverse=d == 1) for d, cell in enumerate(self.cells)]
        h = jnp.concatenate(outputs, axis=-1).reshape(-1)
        return self.readout(self.dropout(h, key=key, inference=key is None))
