"""Title and presets of each registered experiment read from its source, so `genlab list` starts
without importing JAX; falls back to importing the module when the source does not say."""
from __future__ import annotations

import ast
import importlib.util


def describe(module: str) -> tuple[str, list[str]] | None:
    """(title, preset names) from the module's `EXPERIMENT = Experiment(title=...)` and its
    `PRESETS = {...}` literal keys; None when either is not a plain literal."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    with open(spec.origin, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    title, presets = None, None
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = getattr(node.targets[0], "id", None)
        if target == "PRESETS" and isinstance(node.value, ast.Dict):
            presets = [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
        if target == "EXPERIMENT" and isinstance(node.value, ast.Call):
            title = _keyword(node.value, "title")
    if not isinstance(title, str) or not presets:
        return None
    return title, presets


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            try:
                return ast.literal_eval(kw.value)
            except ValueError:
                return None
    return None
