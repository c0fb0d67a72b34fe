"""flask --app training import-term FILE [--dry-run]: a term's runs from the import template."""

import sys

import click

from training.clock import to_seoul, utcnow
from training.errors import RuleError
from training.extensions import db
from training.planning.importing import ImportReport, RowStatus, import_term, read_workbook

# The framing is English like the other commands'; what is wrong with a row is told in the
# services' Korean.
STATUS_WORDS = {
    RowStatus.READY: "imported",
    RowStatus.PRESENT: "already present",
    RowStatus.REFUSED: "refused",
}


@click.command("import-term")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_term_command(file, dry_run):
    """Make the runs of a filled import template (all or nothing); exit 1 if a row is refused."""
    try:
        rows = read_workbook(file.read())
    except RuleError as error:
        raise click.ClickException(error.message) from None
    with click.progressbar(rows, label="rows", file=sys.stderr) as bar:
        report = import_term(bar, actor=None, now=utcnow(), dry_run=dry_run)
    if report.is_ok and not dry_run:
        db.session.commit()
    else:
        db.session.rollback()
    click.echo(report_text(report))
    if not report.is_ok:
        raise click.exceptions.Exit(1)


def report_text(report: ImportReport) -> str:
    """One line a row, its problems beneath it, then the totals."""
    lines = []
    for row in report.rows:
        status = STATUS_WORDS[row.status]
        if row.status is RowStatus.READY and not report.imported:
            status = "ready"
        line = f"row {row.row}\t{status}\t{row.label}"
        if row.sessions:
            first = to_seoul(row.first_class).strftime("%Y-%m-%d %H:%M")
            last = to_seoul(row.last_class).strftime("%Y-%m-%d")
            line += f"\t{row.sessions} classes {first} ~ {last}"
        lines.append(line)
        for skipped in row.skipped:
            lines.append(f"\tskipped {skipped.day.isoformat()} {skipped.reason}")
        for problem in row.problems:
            where = f"[{problem.column_title}] " if problem.column_title else ""
            lines.append(f"\t{where}{problem.message}")
    if not report.is_ok:
        summary = f"{len(report.refused)} rows refused: nothing imported."
    elif report.dry_run:
        summary = f"Dry run, nothing written: {len(report.ready)} runs would be imported."
    else:
        summary = f"{report.imported} runs imported."
    lines.append(f"{summary} {len(report.present)} already present.")
    return "\n".join(lines)
