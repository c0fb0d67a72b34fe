"""flask --app training purge: anonymize everyone whose retention period has ended."""

import click

from training.accounts.auth_sessions import forget_old_sessions
from training.accounts.retention import purge
from training.clock import utcnow
from training.extensions import db


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List who would be anonymized; change nothing.")
def purge_command(dry_run: bool):
    """Anonymize everyone with no activity for RETENTION_YEARS (the period the consent shows):
    name masked, contact details and birth year gone; attendance and certificates kept. Log-in
    sessions ended or expired over 30 days ago are deleted too."""

    def progress(done: int, total: int) -> None:
        if not dry_run:
            # What is done is kept even if a long run is interrupted.
            db.session.commit()
        click.echo(f"{done}/{total} people done")

    summary = purge(utcnow(), dry_run=dry_run, progress=progress)
    if dry_run:
        db.session.rollback()
        for entry in summary.anonymized:
            click.echo(f"would anonymize {entry.id}\t{entry.masked_name}")
    else:
        db.session.commit()
        forgotten = forget_old_sessions(utcnow())
        db.session.commit()
        click.echo(f"{forgotten} log-in sessions ended or expired over 30 days ago deleted")
    for entry, code in summary.kept:
        click.echo(f"kept {entry.id}\t{entry.masked_name}\t({code})")
    verb = "would be anonymized" if dry_run else "anonymized"
    click.echo(
        f"No activity for {summary.years} years: {summary.found} people; "
        f"{len(summary.anonymized)} {verb}, {len(summary.kept)} kept."
        + (" Dry run: nothing was changed." if dry_run else "")
    )
