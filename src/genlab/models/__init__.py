"""Model registry: `make(name, *, key, ...)` builds a per-example classifier x -> logits."""
from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable

import equinox as eqx
import jax

from genlab.config import ConfigError

_REGISTRY: dict[str, Callable[..., eqx.Module]] = {}
_COMMON = ("key", "in_size", "num_outputs")
# The kwarg that sets a model's hidden size, for models whose smaller sizes embed exactly in a
# larger one: every array zero-padded at the end of each axis computes the same function, and
# the padding's gradients are exactly 0 (the flatten before the CNN's readout is channel-major,
# so padded channels land at the end too). TrainSpec.pad_model relies on it; a model belongs
# here only when that holds for every one of its options.
PAD_KWARGS = {"mlp": "width", "cnn": "channels"}


def register(name: str):
    """Class decorator: enrol a model under `name` (its constructor is the factory)."""

    def decorate(factory):
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = factory
        return factory

    return decorate


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Callable[..., eqx.Module]:
    """The factory registered as `name`; ConfigError listing the choices otherwise."""
    if name not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; choices: {', '.join(names())}")
    return _REGISTRY[name]


def options(name: str) -> dict:
    """The model's own kwargs and their defaults (beyond key, in_size, num_outputs)."""
    params = inspect.signature(get(name)).parameters
    return {k: p.default for k, p in params.items() if k not in _COMMON}


def make(name: str, *, key, in_size: int = 40, num_outputs: int = 10, **kwargs) -> eqx.Module:
    """Build model `name`; its call maps x (in_size,) -> logits (num_outputs,).

    Unknown names, unknown kwargs and invalid values raise ConfigError (one line).
    """
    accepted = options(name)
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)} for model {name!r}; "
            f"choices: {', '.join(sorted(accepted)) or '(none)'}"
        )
    check_int("in_size", in_size)
    check_int("num_outputs", num_outputs)
    return get(name)(key=key, in_size=in_size, num_outputs=num_outputs, **kwargs)


def check_int(name: str, value, minimum: int = 1) -> None:
    """ConfigError unless `value` is an int >= minimum (bools rejected: width=True is a typo)."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choices: {', '.join(choices)}")


def make_dropout(p) -> eqx.nn.Dropout:
    """Dropout that the models run only when their call gets a key (see `split_key`)."""
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p < 1.0:
        raise ConfigError(f"dropout must be a float in [0, 1), got {p!r}")
    return eqx.nn.Dropout(float(p))


def split_key(key, num: int) -> tuple:
    """`num` subkeys, or `num` Nones when key is None (None = inference, no dropout)."""
    if key is None:
        return (None,) * num
    return tuple(jax.random.split(key, num))


# Importing a family's module runs its @register decorators; they need the names above.
from genlab.models import (  # noqa: E402, F401
    activations,
    cnn1d,
    gru,
    linear,
    mlp,
    resnet1d,
    transformer,
)
