"""Config plumbing: ConfigError, overrides from `--set key=value`, and the stable config hash."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from typing import Any


class ConfigError(ValueError):
    """Bad user input: the CLI prints the message on one line and exits 2."""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default)


def _default(o):
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)
    if isinstance(o, tuple):
        return list(o)
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON-serializable: {type(o).__name__}")


def config_hash(obj: dict, defaults: dict | None = None) -> str:
    """Hash of the config's non-default fields (open_lth style): adding a field with a default
    never renames old results. 16 hex chars."""
    defaults = defaults or {}
    items = {k: v for k, v in obj.items() if k not in defaults or defaults[k] != v}
    return hashlib.sha256(canonical_json(items).encode()).hexdigest()[:16]


INT64 = (-2**63, 2**63 - 1)  # every integer a config holds reaches NumPy / JAX / SQLite as an int64


def parse_value(text: str, typ: Any) -> Any:
    """Parse a `--set` value string into the field's type (an int must fit in int64). An empty
    value is an empty tuple (`--set channels=` skips a part; a config left with no runs at all
    is refused by Experiment.config)."""
    origin = typing.get_origin(typ)
    if typ is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"expected a boolean, got {text!r}")
    if typ in (int, float, str):
        try:
            value = typ(text)
        except ValueError:
            raise ConfigError(f"expected {typ.__name__}, got {text!r}") from None
        if typ is int and not INT64[0] <= value <= INT64[1]:
            raise ConfigError(f"expected an int in int64 range [-2**63, 2**63 - 1], got {text!r}")
        return value
    if origin is tuple or typ is tuple:
        args = typing.get_args(typ)
        inner = args[0] if args else str
        parts = [p for p in text.replace(" ", "").split(",") if p]
        return tuple(parse_value(p, inner) for p in parts)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        if text.lower() == "none":
            return None
        return parse_value(text, args[0])
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(cfg, sets: list[str] | None):
    """Return a copy of dataclass `cfg` with `key=value` overrides applied (validated)."""
    if not sets:
        return cfg
    hints = typing.get_type_hints(type(cfg))
    names = {f.name for f in dataclasses.fields(cfg)}
    changes = {}
    for item in sets:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip()
        if key not in names:
            raise ConfigError(
                f"unknown --set key {key!r} for {type(cfg).__name__}; choices: {', '.join(sorted(names))}"
            )
        try:
            changes[key] = parse_value(value.strip(), hints[key])
        except ConfigError as e:
            raise ConfigError(f"--set {key}: {e}") from None
    return dataclasses.replace(cfg, **changes)


def check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)
