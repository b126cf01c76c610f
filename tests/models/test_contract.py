"""Contract tests run on every registered model (optax-style): adding a model enrols it."""
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest

from genlab import models
from genlab.config import ConfigError
from genlab.models import activations
from genlab.models.cnn1d import POOLS

# Every registered model at its defaults, plus non-default configurations that change the
# computation. Each config costs seconds of XLA compilation, so the lists stay short.
DEFAULTS = [(name, {}) for name in models.names()]
CONFIGS = DEFAULTS + [
    ("mlp", {"residual": False, "activation": "gelu"}),
    ("cnn", {"channels": 8}),
    *[("cnn_pool", {"pool": p}) for p in POOLS if p != models.options("cnn_pool")["pool"]],
]
# Further options, checked by shape only (abstractly: no compilation).
SHAPE_CONFIGS = CONFIGS + [
    ("mlp", {"depth": 0, "activation": "elu"}),
    ("gru", {"bidirectional": False, "hidden": 4}),
    ("resnet1d", {"downsample": False, "blocks": 3, "activation": "swish"}),
    ("transformer", {"patch_size": 4, "activation": "tanh"}),
]


def ids(configs):
    return [name + "".join(f"-{k}={v}" for k, v in kw.items()) for name, kw in configs]


BATCH, STEPS = 64, 60


@functools.cache
def _build(name, options):
    return models.make(name, key=jr.key(0), **dict(options))


def build(name, kwargs):
    """models.make(name, key=key(0), **kwargs), built once per session (building compiles)."""
    return _build(name, tuple(sorted(kwargs.items())))


def cross_entropy(model, x, y):
    """Mean cross-entropy of the batched model on x (B, in_size), y (B,)."""
    return optax.softmax_cross_entropy_with_integer_labels(jax.vmap(model)(x), y).mean()


def random_data(in_size=40, num_outputs=10):
    kx, ky = jr.split(jr.key(1))
    return jr.normal(kx, (BATCH, in_size)), jr.randint(ky, (BATCH,), 0, num_outputs)


# Shared jitted calls: a model of the same structure reuses the compilation across tests.
@eqx.filter_jit
def forward(model, x, key=None):
    """One example: x (in_size,) -> (num_outputs,)."""
    return model(x, key=key)


@eqx.filter_jit
def forward_batch(model, x):
    """x (B, in_size) -> (B, num_outputs), batched with vmap as the trainer does."""
    return jax.vmap(model)(x)


@pytest.mark.parametrize("name", models.names())
def test_batched_forward_matches_single(name):
    model = build(name, {})
    x, _ = random_data()
    out = forward_batch(model, x)
    assert out.shape == (BATCH, 10)
    np.testing.assert_allclose(out[3], forward(model, x[3]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), SHAPE_CONFIGS, ids=ids(SHAPE_CONFIGS))
@pytest.mark.parametrize(("in_size", "num_outputs"), [(40, 10), (24, 3)])
def test_output_shapes(name, kwargs, in_size, num_outputs):
    # eval_shape traces without compiling, so this check is nearly free.
    def run(x):
        model = models.make(name, key=jr.key(0), in_size=in_size, num_outputs=num_outputs, **kwargs)
        return jax.vmap(model)(x)

    out = jax.eval_shape(run, jax.ShapeDtypeStruct((BATCH, in_size), jnp.float32))
    assert out.shape == (BATCH, num_outputs)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=ids(CONFIGS))
def test_gradients_finite_and_adam_fits_random_labels(name, kwargs):
    params, static = eqx.partition(build(name, kwargs), eqx.is_inexact_array)
    x, y = random_data()
    optimizer = optax.adam(1e-2)

    def loss_fn(p):
        return cross_entropy(eqx.combine(p, static), x, y)

    def step(carry, _):
        p, state = carry
        loss, grads = jax.value_and_grad(loss_fn)(p)
        updates, state = optimizer.update(grads, state, p)
        return (optax.apply_updates(p, updates), state), (loss, optax.tree.norm(grads))

    @jax.jit
    def fit(p):
        _, (losses, grad_norms) = jax.lax.scan(step, (p, optimizer.init(p)), length=STEPS)
        return losses, grad_norms

    losses, grad_norms = fit(params)
    assert np.isfinite(grad_norms).all() and grad_norms[0] > 0  # the norm is finite iff all are
    assert losses[-1] < 0.7 * losses[0], (float(losses[0]), float(losses[-1]))


def lane(stacked, i):
    """Member i of models stacked along axis 0 by vmap."""
    return jax.tree.map(lambda a: a[i] if eqx.is_array(a) else a, stacked)


@pytest.mark.parametrize("name", models.names())
def test_vmapped_constructor_gives_an_ensemble(name):
    keys = jnp.stack([jr.key(0), jr.key(5), jr.key(6)])
    # Built eagerly: the per-shape init kernels it compiles are shared across models.
    ensemble = eqx.filter_vmap(lambda k: models.make(name, key=k))(keys)
    x = random_data()[0]
    outs = eqx.filter_jit(eqx.filter_vmap(lambda m: jax.vmap(m)(x)))(ensemble)
    assert outs.shape == (3, BATCH, 10)
    assert not np.allclose(outs[0], outs[1])
    members = [lane(ensemble, i) for i in range(3)]
    for out, member in zip(outs, members):
        np.testing.assert_allclose(out, forward_batch(member, x), rtol=1e-5, atol=1e-6)
    # Lane 0 has key(0): it must equal the same model built alone from key(0).
    for a, b in zip(jax.tree.leaves(members[0]), jax.tree.leaves(build(name, {}))):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


DROPOUT_NAMES = [n for n in models.names() if "dropout" in models.options(n)]


@pytest.mark.parametrize("name", DROPOUT_NAMES)
def test_dropout_only_with_a_key(name):
    model = models.make(name, key=jr.key(0), dropout=0.5)
    x = random_data()[0][3]

    @eqx.filter_jit
    def outputs(model, keys):
        return model(x), jax.vmap(lambda k: model(x, key=k))(keys)

    inference, dropped = outputs(model, jr.split(jr.key(3)))
    # key=None: deterministic, and exactly the dropout-free model built from the same key.
    np.testing.assert_allclose(inference, forward(build(name, {}), x), rtol=1e-6, atol=1e-7)
    assert not np.allclose(dropped[0], dropped[1])
    assert not np.allclose(dropped[0], inference)


# The MNIST-1D reference models (PyTorch) have these parameter counts.
PYTORCH_GRU = 2 * 3 * (1 * 6 + 6 * 6 + 2 * 6)  # per direction: weights + b_ih + b_hh
REFERENCE_COUNTS = {
    "linear": 40 * 10 + 10,
    "mlp": 40 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10,
    "cnn": (1 * 5 * 25 + 25) + (25 * 3 * 25 + 25) * 2 + (125 * 10 + 10),
    # Equinox's GRUCell keeps one of PyTorch's two redundant r/z bias pairs: 2 * 6 fewer
    # per direction; the function class is unchanged.
    "gru": PYTORCH_GRU - 2 * 2 * 6 + 480 * 10 + 10,
}


@pytest.mark.parametrize("name", sorted(REFERENCE_COUNTS))
def test_default_parameter_counts_match_reference(name):
    model = build(name, {})
    count = sum(a.size for a in jax.tree.leaves(eqx.filter(model, eqx.is_array)))
    assert count == REFERENCE_COUNTS[name]
    assert REFERENCE_COUNTS["gru"] == 5110 and PYTORCH_GRU + 4810 == 5134


def test_unknown_model_lists_choices():
    with pytest.raises(ConfigError, match="choices: .*mlp") as info:
        models.make("nope", key=jr.key(0))
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="unknown model"):
        models.get("nope")


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("mlp", {"widht": 10}, "unknown option.*widht.*choices"),
        ("mlp", {"width": -1}, "width must be"),
        ("mlp", {"width": 2.5}, "width must be"),
        ("mlp", {"residual": "yes"}, "residual must be"),
        ("cnn", {"dropout": 1.0}, "dropout must be"),
        ("cnn", {"activation": "sigmoidal"}, "unknown activation.*choices"),
        ("cnn_pool", {"pool": "median"}, "unknown pool.*choices"),
        ("transformer", {"dim": 30, "heads": 4}, "divide"),
        ("gru", {"hidden": 0}, "hidden must be"),
        ("linear", {"in_size": 0}, "in_size must be"),
        ("cnn", {"in_size": 2}, "too short"),
    ],
)
def test_bad_options_raise_config_error(name, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        models.make(name, key=jr.key(0), **kwargs)


def test_activations():
    x = jnp.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(activations.get("relu")(x), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(activations.get("identity")(x), x)
    np.testing.assert_allclose(activations.get("swish")(x), activations.get("silu")(x))
    for name in ("gelu", "tanh", "elu"):
        assert activations.get(name)(x).shape == (3,)
    with pytest.raises(ConfigError, match="choices: .*relu"):
        activations.get("softplusish")
