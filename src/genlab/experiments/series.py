"""Sweeps read back as series: finished runs grouped by (series, x) into mean ± std per x point,
and the parameter counts of the swept models."""
from __future__ import annotations

import dataclasses
import functools
import json
import math
from collections.abc import Callable

import numpy as np

from genlab.experiments import tables


@dataclasses.dataclass
class Series:
    """One curve of a sweep: the x values (sorted) and the runs (one per seed) at each."""
    x: list
    runs: list[list[dict]]

    def stat(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) over seeds of a summary metric at each x: two arrays (len(x),)."""
        stats = [tables.summary_stat(r, metric) for r in self.runs]
        return np.array([s[0] for s in stats]), np.array([s[1] for s in stats])

    def cell(self, metric: str, x, scale: float = 100.0) -> str:
        """'mean ± std' of `metric` at x ('–' when x was not run)."""
        if x not in self.x:
            return "–"
        mean, std, _ = tables.summary_stat(self.runs[self.x.index(x)], metric)
        return tables.fmt(mean, std, scale)

    @property
    def seeds(self) -> int:
        return min((len(r) for r in self.runs), default=0)


def collect(runs: list[dict], series: Callable[[dict], tuple], x: Callable[[dict], object],
            order: Callable | None = None) -> dict[tuple, Series]:
    """{series key: Series} with x sorted by `order` (default: the x values themselves)."""
    groups = tables.group_runs(runs, lambda r: (series(r), x(r)))
    out: dict[tuple, Series] = {}
    for (key, xv), members in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), (order or _id)(kv[0][1]))):
        s = out.setdefault(key, Series([], []))
        s.x.append(xv)
        s.runs.append(members)
    return out


def errorbars(ax, s: Series, metric: str, *, error: bool = False, scale: float = 100.0, **kwargs):
    """Mean ± std of `metric` (or of 1 - metric when error=True) against x, in percent."""
    mean, std = s.stat(metric)
    ax.errorbar(s.x, ((1 - mean) if error else mean) * scale, std * scale, marker=".", capsize=2,
                **kwargs)


def first_at_most(values, tol: float) -> int | None:
    """Index of the first value <= tol (e.g. the interpolation threshold of a size sweep's train
    error); None if there is none."""
    return next((i for i, v in enumerate(values) if v <= tol), None)


def dip_then_peak(values, last: int | None = None) -> tuple[int, int]:
    """(i_min, i_peak): the minimum of values[: last + 1], then the maximum from there on — the
    two ends of the rise in a double-descent curve (i_peak == i_min when nothing rises)."""
    values = np.asarray(values)
    i_min = int(np.argmin(values[: len(values) if last is None else last + 1]))
    return i_min, i_min + int(np.argmax(values[i_min:]))


def param_count(model: str, **kwargs) -> int:
    """Trainable (floating-point) parameters of models.make(model, **kwargs); nothing is run."""
    return _param_count(model, json.dumps(kwargs, sort_keys=True))


@functools.cache
def _param_count(model: str, kwargs: str) -> int:
    import equinox as eqx
    import jax

    from genlab import models
    net = eqx.filter_eval_shape(lambda k: models.make(model, key=k, **json.loads(kwargs)),
                                jax.random.key(0))
    return sum(math.prod(x.shape) for x in jax.tree.leaves(net)
               if isinstance(x, jax.ShapeDtypeStruct) and jax.numpy.issubdtype(x.dtype, np.inexact))


def _id(v):
    return v
