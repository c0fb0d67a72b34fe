"""flask --app training report: the statistics for a period as XLSX, CSV or text."""

import click

from training.catalog.models import Audience
from training.clock import parse_month
from training.stats.exports import (
    AUDIENCE_KEYS,
    audience_key_labels,
    build_stats_csv,
    build_stats_xlsx,
    headline_rows,
)
from training.stats.services import Period, StatsReport, build_report


def _month(ctx, param, value: str):
    month = parse_month(value)
    if month is None:
        raise click.BadParameter(f"{value!r} is not a month like 2022-01.")
    return month


@click.command("report")
@click.option("--from", "start", required=True, callback=_month, help="First month, YYYY-MM.")
@click.option("--to", "end", required=True, callback=_month, help="Last month, YYYY-MM.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["xlsx", "csv", "text"]),
    default="text",
    show_default=True,
    help="What to write.",
)
@click.option(
    "--audience",
    type=click.Choice(["resident", "staff", "all"]),
    default="all",
    show_default=True,
    help="Whose runs the breakdowns count (the report lines always give both).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The file to write.",
)
def report_command(start, end, file_format, audience, output):
    """Write the statistics of the months FROM to TO into a file."""
    if end < start:
        raise click.BadParameter("must not come before --from.", param_hint="'--to'")
    report = build_report(
        Period.months(start, end), None if audience == "all" else Audience(audience)
    )
    if file_format == "xlsx":
        content = build_stats_xlsx(report)
    elif file_format == "csv":
        content = build_stats_csv(report)
    else:
        content = report_text(report).encode("utf-8")
    with open(output, "wb") as handle:
        handle.write(content)
    click.echo(f"{report.period.label}: {file_format} written to {output}")
    for line in report.lines:
        click.echo(line)


def report_text(report: StatsReport) -> str:
    """The report lines, then each figure for residents, staff and everyone."""
    labels = audience_key_labels()
    lines = [report.period.label, "", *report.lines, ""]
    header = "\t".join(["", *[labels[key] for key in AUDIENCE_KEYS]])
    lines.append(header)
    for key, label, values, _definition in headline_rows(report):
        lines.append("\t".join([label, *[_text_value(key, value) for value in values]]))
    return "\n".join(lines) + "\n"


def _text_value(key: str, value) -> str:
    if key.endswith("_rate"):
        return f"{value * 100:.1f}%"
    if key == "hours":
        return f"{value:,.1f}"
    return f"{value:,}"
