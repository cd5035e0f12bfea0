"""``casedesk import`` and ``casedesk demo``."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Optional

import typer

from cli.main import actor, app, cli_errors, current_action, echo, emit_json, engine, fail, open_db, policy, read, state


@app.command("import")
def import_cmd(
    kind: str = typer.Argument(..., help="enrollees | institutions | physicians | teams | expenses | changes | stays"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV file with a header row"),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Write the good rows and report the bad ones."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Import master data from CSV. All-or-nothing unless --skip-bad. Columns: see `core/services/importer.py`."""
    from core.services.importer import KINDS, ImportRefused, import_csv

    if kind not in KINDS:
        fail(f"kind: must be one of {', '.join(KINDS)}", 2)
    with cli_errors():
        eng = engine()
        who = read(actor)
        try:  # validates the whole file first, then writes in one short transaction
            report = import_csv(eng, who, kind, file, skip_bad=skip_bad, lang=state.lang, action=current_action(),
                                policy=policy())
        except ImportRefused as exc:
            report = exc.report
    if as_json:
        emit_json(report.as_dict())
    else:
        for line, reason in report.bad:
            echo(f"{file}:{line}: {reason}", err=True)
        if report.committed:
            echo(f"{kind}: {report.written} written, {len(report.bad)} skipped")
        else:
            echo(f"{kind}: {len(report.bad)} bad row(s); nothing written (use --skip-bad to write the good rows)", err=True)
    if not report.committed:
        raise typer.Exit(2)
    if report.bad:
        raise typer.Exit(1)


def _demo_today(text: Optional[str]) -> Optional[date]:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail("--today: a date as YYYY-MM-DD", 2)


@contextmanager
def _progress():
    """Rich progress bars on stderr (rich comes with Textual), one per stage."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total or 1)
        bars.update(tasks[stage], completed=done, total=total or 1)

    with bars:
        yield report


@app.command()
def demo(
    seed: int = typer.Option(2026, "--seed", help="Same seed, same data."),
    enrollees: Optional[int] = typer.Option(None, "--enrollees", min=20, max=100_000_000,
                                            help="How many people (default 300, walked through every workflow)."),
    expenses: Optional[int] = typer.Option(None, "--expenses", min=0, max=1_000_000_000,
                                           help="Expense rows over 12 months, with hits on every numeric "
                                                "monitoring trigger (bulk: any size given loads in bulk)."),
    today: Optional[str] = typer.Option(None, "--today", help="The demo's today (YYYY-MM-DD); default: today."),
) -> None:
    """Fill the selected database with demo data: anyone may fill one created as a demo (`db init --demo`,
    or a new file named here); any other needs an admin. Refuses a database with real records. With
    --enrollees or --expenses the first 300 people get the workflow demo and the rest are loaded in bulk
    (core.bulk), with progress on stderr."""
    from core import gateway
    from core.db import init_database, sqlite_path
    from core.demo import DemoRefused, created_as_demo, fill_demo
    from core.errors import PermissionDenied

    with cli_errors():
        path = sqlite_path(state.db)
        if path is not None and not path.exists():
            eng, _ = init_database(state.db, demo=True)  # named explicitly by this command: made as a demo
        else:
            eng = open_db()
        who = None
        if not gateway.read(eng, created_as_demo):
            try:
                who = gateway.read(eng, actor)
            except PermissionDenied:
                who = None
        on = _demo_today(today)
        try:
            if enrollees is None and expenses is None:
                summary = fill_demo(eng, policy(), seed=seed, today=on, by=who)
            else:
                from core.bulk import Spec, build

                spec = Spec(enrollees=300 if enrollees is None else enrollees, expenses=expenses or 0, seed=seed,
                            today=on or date.today())
                with _progress() as progress:
                    summary = build(eng, policy(), spec, progress=progress, by=who)
        except DemoRefused as exc:
            fail(str(exc), 2)
    echo(f"demo data written to {eng.url.render_as_string(hide_password=True)}")
    for k, v in summary.items():
        echo(f"  {k}: {v}")
