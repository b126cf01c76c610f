"""A small MLP shared by the engine tests, so they do not depend on the model zoo."""
import equinox as eqx
import jax


class Tiny(eqx.Module):
    """8 -> 16 (relu) -> 3."""
    l1: eqx.nn.Linear
    l2: eqx.nn.Linear

    def __init__(self, key):
        k1, k2 = jax.random.split(key)
        self.l1, self.l2 = eqx.nn.Linear(8, 16, key=k1), eqx.nn.Linear(16, 3, key=k2)

    def __call__(self, x, *, key=None):
        return self.l2(jax.nn.relu(self.l1(x)))
