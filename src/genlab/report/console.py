"""Terminal rendering of an analysis: conditions, headline (published | expected | genlab), tables."""
from __future__ import annotations

from rich.table import Table

from genlab import claims
from genlab.report import conditions

HEADLINE_COLUMNS = ("quantity", "published", "expected at this scale", "genlab", "seeds",
                    "claim tested", "effect [95% interval], n", "check")


def headline_cells(row: dict) -> list[str]:
    """The headline cells of one row; 'paper' is the published value with its citation; the
    last three are the claim the check tests (genlab.claims), its effect with interval and n, and
    the verdict (ok / MISS / inconclusive / paper scale, empty for no check)."""
    claim = row.get("claim")
    if claim and row.get("method"):
        claim = f"{claim} ({row['method']})"
    if claim and row.get("note"):
        claim = f"{claim}; {row['note']}"
    return [_cell(row.get("name")), _cell(row.get("paper")), _cell(row.get("expected")),
            _cell(row.get("ours")), _cell(row.get("seeds"), ""), _cell(claim, ""),
            _cell(row.get("stat"), ""), _cell(row.get("check"), "")]


def count_line(rows: list[dict]) -> str:
    """'3 ok, 1 MISS, 2 inconclusive, 0 paper scale, 1 no check' for headline rows."""
    return ", ".join(f"{n} {k}" for k, n in claims.count(rows).items())


def _cell(value, empty: str = "–") -> str:
    return empty if value is None or value == "" else str(value)


def conditions_line(summary: dict) -> str:
    """The wall and compile times are those of the last execution that trained; when it resumed
    an interrupted one, they cover only its own runs, and the line says how many came before."""
    resumed = summary.get("resumed_runs") or 0
    times = (f"wall {conditions.seconds(summary['wall_s'])}, compile "
             f"{conditions.seconds(summary['compile_s'])}")
    if resumed:
        times += (f" (of the execution that finished it; {resumed} runs came from an earlier, "
                  f"interrupted one: sum of all runs' own walls "
                  f"{conditions.seconds(summary.get('wall_runs_s'))})")
    return (f"preset {summary['preset']} ({summary['status']}); {summary['runs']} runs, seeds "
            f"{summary['seeds']}; overrides: {summary['overrides']}; {times}")


def print_analysis(console, analysis: dict, summary: dict | None = None) -> None:
    if summary is not None:
        console.print(f"[bold]conditions:[/bold] {conditions_line(summary)}")
    if analysis.get("protocol"):
        _print_table(console, "protocol vs paper", analysis["protocol"])
    if analysis.get("headline"):
        t = Table(title="headline: published vs genlab")
        for c in HEADLINE_COLUMNS:
            t.add_column(c)
        for h in analysis["headline"]:
            t.add_row(*headline_cells(h))
        console.print(t)
        console.print("checks: " + count_line(analysis["headline"]))
    for title, tab in analysis.get("tables", {}).items():
        _print_table(console, title, tab)
    for note in analysis.get("notes", []):
        console.print(f"note: {note}")


def _print_table(console, title: str, tab: dict) -> None:
    t = Table(title=title)
    for c in tab["columns"]:
        t.add_column(str(c))
    for row in tab["rows"]:
        t.add_row(*(str(v) for v in row))
    console.print(t)
