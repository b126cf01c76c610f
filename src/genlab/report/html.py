"""One static HTML page from the store alone: per experiment, headline vs paper, tables, figures,
and the provenance of the runs themselves (not of the process drawing the page). The caller
passes the experiments, so report never imports experiments (experiments import report.figures)."""
from __future__ import annotations

import base64
import datetime
import html
import tempfile
from pathlib import Path

from genlab import provenance as prov_lib

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee;margin:.5em 0}.miss{color:#b00}
.ok{color:#070}h2{border-bottom:2px solid #ddd;padding-bottom:.2em}.paper{color:#666;font-style:italic}"""


def write_report(store, out: Path, experiments: list) -> Path:
    """experiments: the Experiment objects to report on, in order (those with runs are shown)."""
    present = set(store.experiments())
    sections = [_section(store, exp) for exp in experiments if exp.name in present]
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    body = "\n".join(sections) or "<p>The store holds no finished runs yet.</p>"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>genlab report</title>"
            f"<style>{STYLE}</style></head><body><h1>genlab report</h1>"
            f"<p>Store <code>{html.escape(str(store.path))}</code>, page drawn {when}. Each section "
            f"states the provenance of its own runs.</p>"
            f"{body}</body></html>")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out


def _section(store, exp) -> str:
    analysis = exp.analyze(store)
    parts = [f"<h2 id='{exp.name}'>{html.escape(exp.title)}</h2>",
             f"<p class='paper'>{html.escape(exp.paper)}</p>", _provenance(store.latest_runs(exp.name)),
             _headline(analysis.get("headline", []))]
    parts += [_table(title, t) for title, t in analysis.get("tables", {}).items()]
    parts += [f"<p>{html.escape(n)}</p>" for n in analysis.get("notes", [])]
    with tempfile.TemporaryDirectory() as tmp:
        for path in exp.plot(store, Path(tmp)):
            data = base64.b64encode(Path(path).read_bytes()).decode()
            parts.append(f"<img alt='{html.escape(Path(path).stem)}' src='data:image/png;base64,{data}'>")
    return "\n".join(parts)


def _provenance(runs: list[dict]) -> str:
    """Where this section's runs came from; when they mix several provenances, say so and list
    each with its number of runs."""
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault(prov_lib.key(r.get("provenance") or {}), []).append(r)
    if len(groups) <= 1:
        line = prov_lib.describe(runs[0].get("provenance") or {}) if runs else "no runs"
        return f"<p class='prov'>Runs produced by {html.escape(line)}.</p>"
    items = "".join(f"<li>{len(rs)} runs: {html.escape(prov_lib.describe(rs[0].get('provenance') or {}))}</li>"
                    for rs in groups.values())
    return (f"<p class='prov miss'>These tables mix runs from {len(groups)} different provenances "
            f"(code, libraries or device):</p><ul>{items}</ul>")


def _headline(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = "<tr><th>quantity</th><th>genlab</th><th>published</th><th>seeds</th><th>check</th></tr>"
    cells = []
    for r in rows:
        check = r.get("check", "")
        cls = "ok" if check == "ok" else ("miss" if check else "")
        cells.append(f"<tr><td>{html.escape(str(r['name']))}</td><td>{html.escape(str(r['ours']))}</td>"
                     f"<td>{html.escape(str(r.get('paper', '–')))}</td><td>{r.get('seeds', '')}</td>"
                     f"<td class='{cls}'>{html.escape(check)}</td></tr>")
    return f"<table>{head}{''.join(cells)}</table>"


def _table(title: str, t: dict) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t["columns"])
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in t["rows"])
    return f"<h3>{html.escape(title)}</h3><table><tr>{head}</tr>{rows}</table>"
