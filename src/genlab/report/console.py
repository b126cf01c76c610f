"""Terminal rendering of an analysis: conditions, headline (published | expected | genlab), tables."""
from __future__ import annotations

from rich.markup import escape
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


def print_headline_row(console, row: dict) -> None:
    """One headline row as a block (a table this wide wraps every cell in a terminal):
    verdict, quantity and genlab's value, then the published / expected values, the claim
    tested with its method, the effect with its interval and n, and the note."""
    check = row.get("check") or "no check"
    style = {"ok": "green", "MISS": "bold red"}.get(check.split(":")[0], "yellow")
    console.print(f"[{style}]\\[{escape(check)}][/{style}] {escape(str(row.get('name')))}: genlab "
                  f"{escape(_cell(row.get('ours')))}" + (f", seeds {row['seeds']}" if row.get("seeds") else ""))
    fields = [("published", row.get("paper")), ("expected", row.get("expected")),
              ("claim", f"{row['claim']} ({row.get('method') or 'no interval'})" if row.get("claim") else None),
              ("effect", row.get("stat")), ("note", row.get("note"))]
    for label, value in fields:
        if value not in (None, ""):
            console.print(f"    {label}: {escape(str(value))}", soft_wrap=False)


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
        console.print("[bold]headline: published vs genlab[/bold] (each check a test over seeds: "
                      "effect [95% interval], n)")
        for h in analysis["headline"]:
            print_headline_row(console, h)
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
