"""One static HTML page from the store alone: a summary of every check, then per experiment its
conditions, the provenance of its own runs, protocol vs paper, headline (published | expected |
genlab), tables, captioned figures, data files. The caller passes the experiments, so report
never imports experiments (experiments import report.figures)."""
from __future__ import annotations

import datetime
import html
import os
from pathlib import Path

from genlab import claims
from genlab import provenance as prov_lib
from genlab.report import conditions, export
from genlab.report.console import HEADLINE_COLUMNS, conditions_line, headline_cells

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f3f3f3}figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}
figcaption{font-size:13px;color:#444;max-width:900px}.miss{color:#b00;font-weight:bold}.ok{color:#070}
.none{color:#888}.unsure{color:#a60}.warn{background:#fff4e0;border-left:4px solid #e90;padding:.4em .8em}
h2{border-bottom:2px solid #ddd;padding-bottom:.2em}.paper{color:#666;font-style:italic}
details{margin:.5em 0}"""


def write_report(store, out: Path | None, experiments: list, figures: Path | None = None) -> Path:
    """Write the report of `experiments` (the Experiment objects, in order; those without runs
    are listed as not run) with its figures and data files; `out` None: beside the store, named
    after it (genlab.sqlite -> genlab-report.html, genlab-figures/, genlab-data/)."""
    paths = export.outputs(store.path)
    out = Path(out) if out is not None else paths["report"]
    figures = Path(figures) if figures is not None else paths["figures"]
    present = set(store.experiments())
    sections = [_section(store, exp, exp.name in present, out.parent, figures, paths["data"])
                for exp in experiments]
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>genlab report</title>"
            f"<style>{STYLE}</style></head><body><h1>genlab report</h1>"
            f"<p>Store <code>{_e(store.path)}</code>, page drawn {when}. Each section states the "
            f"provenance of its own runs.</p>"
            f"{_summary(sections)}{''.join(s.html for s in sections)}</body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    return out


# Sections already drawn by this process: (store, experiment, output dirs) -> (store.version,
# section). `reproduce` rewrites the report after every experiment; without this it analyzed,
# plotted and exported every finished experiment again each time (a full report of 14
# experiments is ~11 s of CPU, taken from the experiments still training).
_DRAWN: dict[tuple, tuple] = {}


def _section(store, exp, present: bool, root: Path, figures: Path, data: Path) -> "_Section":
    """The experiment's section, reused while its runs and artifacts are unchanged and the
    files it wrote are still there."""
    key = (str(store.path), exp.name, str(root), str(figures), str(data))
    version = (present, store.version(exp.name))
    drawn = _DRAWN.get(key)
    if drawn is not None and drawn[0] == version and all(p.exists() for p in drawn[1].files):
        return drawn[1]
    section = _Section(store, exp, present, root, figures, data)
    _DRAWN[key] = (version, section)
    return section


class _Section:
    """One experiment: its analysis (or why there is none), figures and data files."""

    def __init__(self, store, exp, present: bool, root: Path, figures: Path, data: Path):
        self.exp, self.root, self.checks, self.files = exp, root, [], []
        if not present:
            started = conditions.read(store, exp.name)
            self.status, self.preset = "not run", (started or {}).get("preset", "–")
            why = ("Started (preset {}) but interrupted before any run finished.".format(self.preset)
                   if started else "Not run: the store holds no runs of this experiment.")
            self.html = f"{_h2(exp)}<p class='warn'>{_e(why)}</p>"
            return
        runs = store.latest_runs(exp.name)
        cond = conditions.summary(store, exp.name, runs)
        self.status, self.preset = cond["status"], cond["preset"]
        parts = [_h2(exp), _conditions(cond, runs), _provenance(runs)]
        try:
            analysis = exp.analyze(store)
        except Exception as e:  # a partial store may lack what the analysis needs: say so
            analysis = {}
            parts.append(f"<p class='warn'>Analysis failed on the stored runs: {_e(repr(e))}</p>")
        self.checks = analysis.get("headline", [])
        parts += [_table("protocol vs paper (deviations from the published setup)", analysis["protocol"])
                  if analysis.get("protocol") else
                  "<p class='none'>No protocol-vs-paper table supplied by this experiment.</p>",
                  _headline(self.checks)]
        parts += [_table(title, t) for title, t in analysis.get("tables", {}).items()]
        parts += [f"<p>{_e(n)}</p>" for n in analysis.get("notes", [])]
        parts.append(self._figures(store, figures, analysis.get("captions", {}), cond))
        parts.append(self._downloads(store, runs, analysis, cond, data))
        self.html = "\n".join(parts)

    def _figures(self, store, figures: Path, captions: dict, cond: dict) -> str:
        try:
            paths = self.exp.plot(store, figures)
        except Exception as e:
            return f"<p class='warn'>Figures failed on the stored runs: {_e(repr(e))}</p>"
        where = f"Conditions: preset {cond['preset']}, seeds {cond['seeds']}; {cond['status']}."
        self.files += [Path(p) for p in paths]
        out = []
        for path in paths:
            stem = Path(path).stem
            text = captions.get(stem, f"{stem} (no caption supplied).")
            src = os.path.relpath(path, self.root)
            out.append(f"<figure><img alt='{_e(stem)}' src='{_e(src)}'>"
                       f"<figcaption><b>{_e(stem)}.</b> {_e(text)} {_e(where)}</figcaption></figure>")
        return "".join(out) or "<p class='none'>No figure: the stored runs do not cover any plot.</p>"

    def _downloads(self, store, runs, analysis, cond, data: Path) -> str:
        files = export.write_data(store, self.exp.name, runs, {"conditions": cond, **analysis}, data)
        self.files += [Path(p) for p in files.values()]
        links = ", ".join(f"<a href='{_e(os.path.relpath(p, self.root))}'>{_e(label)}</a>"
                          for label, p in files.items())
        return f"<p>Download: {links}.</p>"


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


def _h2(exp) -> str:
    return f"<h2 id='{exp.name}'>{_e(exp.title)}</h2><p class='paper'>{_e(exp.paper)}</p>"


def _conditions(cond: dict, runs: list[dict]) -> str:
    warn = "" if cond["status"] == "complete" else (
        f"<p class='warn'>{_e(cond['status'])}: the tables below use only the runs present.</p>")
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in conditions.settings(runs))
    return (f"{warn}<p><b>Conditions:</b> {_e(conditions_line(cond))} (sum of the runs' own wall "
            f"times: {conditions.seconds(cond['wall_runs_s'])}).</p><details><summary>settings "
            f"read from the stored run configs</summary><table>{rows}</table></details>")


def _summary(sections: list[_Section]) -> str:
    toc = "".join(f"<li><a href='#{s.exp.name}'>{_e(s.exp.title)}</a> — {_e(s.status)}</li>"
                  for s in sections)
    rows = []
    for s in sections:
        link = f"<a href='#{s.exp.name}'>{_e(s.exp.name)}</a>"
        if not s.checks:
            rows.append(f"<tr><td>{link}</td><td>{_e(s.preset)}</td><td>–</td>"
                        f"<td></td><td class='none'>{'not run' if s.status == 'not run' else 'no check'}</td></tr>")
        for c in s.checks:
            rows.append(f"<tr><td>{link}</td><td>{_e(s.preset)}</td><td>{_e(c.get('name', ''))}</td>"
                        f"<td>{_e(c.get('stat') or '')}</td>{_check_cell(str(c.get('check', '')))}</tr>")
    counts = _counts(sections)
    return (f"<h2 id='summary'>Summary</h2><p>{counts}</p><table><tr><th>experiment</th><th>preset</th>"
            f"<th>check</th><th>effect [95% interval], n</th><th>result</th></tr>{''.join(rows)}</table>"
            f"<h2 id='contents'>Contents</h2><ol>{toc}</ol>")


def _counts(sections) -> str:
    n = claims.count([c for s in sections for c in s.checks])
    absent = sum(s.status == "not run" for s in sections)
    return (f"{n[claims.OK]} checks ok, {n[claims.MISS]} MISS, {n[claims.INCONCLUSIVE]} "
            f"inconclusive (the 95% interval straddles the claim's boundary), "
            f"{n[claims.PAPER_SCALE]} not tested below paper scale (they failed on runs smaller "
            f"than the published protocol), {n['no check']} without a check; {absent} of "
            f"{len(sections)} experiments not run. A check is a statistical test: ok when the "
            f"95% interval of its effect over seeds lies on the claimed side, MISS when it lies "
            f"on the other.")


def _check_cell(check: str) -> str:
    cls = ("ok" if check == "ok" else "miss" if check.startswith("MISS") else
           "unsure" if check.startswith(claims.INCONCLUSIVE) else "none")
    return f"<td class='{cls}'>{_e(check or 'no check')}</td>"


def _headline(rows: list[dict]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{c}</th>" for c in HEADLINE_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in headline_cells(r)[:-1])
                   + _check_cell(str(r.get("check", ""))) + "</tr>" for r in rows)
    return f"<h3>Headline</h3><table><tr>{head}</tr>{body}</table>"


def _table(title: str, t: dict) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in t["columns"])
    if not t["rows"]:
        return f"<h3>{_e(title)}</h3><p class='none'>No rows: the stored runs do not cover this table.</p>"
    rows = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in t["rows"])
    return f"<h3>{_e(title)}</h3><table><tr>{head}</tr>{rows}</table>"


def _e(value) -> str:
    return html.escape(str(value), quote=True)
