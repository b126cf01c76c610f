"""Run identity: the hash of an explicit, versioned set of meaningful fields (see docs/ENGINE.md).

A run id hashes {"id_version": ID_VERSION, "experiment": name, **fields} where the fields are a
config's dataclass fields with (1) fields marked performance-only dropped (metadata
{"identity": False}: eval batch size and the like), (2) fields equal to their default dropped, so
adding a field with a no-op default renames nothing, and (3) numbers normalized (1 == 1.0,
-0.0 == 0, tuples == lists, numpy scalars == Python numbers). Change ID_VERSION only together
with a store migration (genlab.store.migrate).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from typing import Any

ID_VERSION = 2
PERFORMANCE_ONLY = {"identity": False}  # dataclasses.field(metadata=PERFORMANCE_ONLY)


def normalize(value: Any) -> Any:
    """A JSON-able value where equal numbers are equal: integral floats become ints, tuples
    lists, dict keys strings; non-finite floats become the strings 'nan' / 'inf' / '-inf'."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return identity_fields(value)
    if isinstance(value, dict):
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    raise TypeError(f"cannot identify a value of type {type(value).__name__}")


def identity_fields(obj) -> dict:
    """A dataclass's meaningful fields: performance-only and default-valued fields left out."""
    out = {}
    for f in dataclasses.fields(obj):
        if not f.metadata.get("identity", True):
            continue
        value = normalize(getattr(obj, f.name))
        if value != _normalized_default(f):
            out[f.name] = value
    return out


def _normalized_default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return normalize(f.default)
    if f.default_factory is not dataclasses.MISSING:
        return normalize(f.default_factory())
    return _NO_DEFAULT


_NO_DEFAULT = object()


def identity_hash(experiment: str, fields: dict) -> str:
    """16 hex chars of sha256 over the versioned, normalized, key-sorted fields."""
    payload = {"id_version": ID_VERSION, "experiment": experiment, **normalize(fields)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
