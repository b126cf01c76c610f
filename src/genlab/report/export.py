"""Data out: flat per-run rows, long-format curves (run_id, step, metric, value), output paths."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from genlab.report import conditions


def outputs(store_path) -> dict[str, Path]:
    """Where a store's report, figures and data files go: named after the store, beside it, so
    two stores in one folder never overwrite each other (genlab.sqlite -> genlab-report.html)."""
    path = Path(store_path)
    stem = path.parent / path.stem
    return {"report": Path(f"{stem}-report.html"), "figures": Path(f"{stem}-figures"),
            "data": Path(f"{stem}-data")}


def run_rows(runs: list[dict]) -> list[dict]:
    """One flat row per run: ids, every config setting as its own column ('config.train.steps'),
    summary metrics; lists become 'a;b;c' so no cell holds JSON."""
    rows = []
    for r in runs:
        row = {"experiment": r.get("experiment"), "run_id": r["run_id"], "seed": r.get("seed"),
               "status": r.get("status"), "diverged_step": r.get("diverged_step"),
               "wall_s": r.get("wall_s")}
        for key, value in conditions.flatten(r.get("config", {})).items():
            row[f"config.{key}"] = ";".join(map(str, value)) if isinstance(value, (list, tuple)) else value
        row.update(r.get("summary", {}))
        rows.append(row)
    return rows


def curve_rows(store, runs: list[dict]):
    """Long format: one (run_id, step, metric, value) row per recorded evaluation."""
    for r in runs:
        for metric, (steps, values) in sorted(store.metrics(r["run_id"]).items()):
            for step, value in zip(steps, values):
                yield {"run_id": r["run_id"], "step": int(step), "metric": metric, "value": value}


def write_csv(file, rows) -> None:
    rows = list(rows)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(file, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)


def clean(value):
    """JSON-safe copy: NaN / inf become null (strict JSON has no NaN), tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return clean(value.item())
    return value


def dumps(value) -> str:
    return json.dumps(clean(value), indent=1, default=str)


def write_data(store, experiment: str, runs: list[dict], analysis: dict, outdir: Path) -> dict[str, Path]:
    """The files the report links to: runs CSV, curves CSV and JSON, the analysis as JSON."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {"runs (CSV)": outdir / f"{experiment}_runs.csv",
             "curves (CSV)": outdir / f"{experiment}_curves.csv",
             "curves (JSON)": outdir / f"{experiment}_curves.json",
             "analysis (JSON)": outdir / f"{experiment}_analysis.json"}
    with open(paths["runs (CSV)"], "w", newline="") as f:
        write_csv(f, run_rows(runs))
    curves = list(curve_rows(store, runs))
    with open(paths["curves (CSV)"], "w", newline="") as f:
        write_csv(f, curves)
    paths["curves (JSON)"].write_text(dumps(curves))
    paths["analysis (JSON)"].write_text(dumps(analysis))
    return paths
