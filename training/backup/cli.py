"""flask --app training backup / restore: the configured database to a file and back."""

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import current_app

from training.backup.services import BackupError, backup_database, restore_database
from training.extensions import db


@contextmanager
def _progress_bar(label: str) -> Iterator:
    with click.progressbar(length=1, label=label) as bar:

        def report(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield report


@click.command("backup")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The file to write (an SQLite file, or a pg_dump custom archive for PostgreSQL).",
)
def backup_command(output):
    """Write a consistent copy of the database to OUTPUT while the application serves."""
    try:
        with _progress_bar("Backing up") as progress:
            backup_database(
                current_app.config["SQLALCHEMY_DATABASE_URI"], output, progress=progress
            )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {output}")


@click.command("restore")
@click.argument("backup", type=click.Path(dir_okay=False))
def restore_command(backup):
    """Bring BACKUP back into the configured database, which must be empty."""
    # Nothing of this process may hold the database open while it is replaced.
    db.engine.dispose()
    try:
        with _progress_bar("Restoring") as progress:
            restore_database(
                current_app.config["SQLALCHEMY_DATABASE_URI"], backup, progress=progress
            )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {backup}")
