"""Command-line tools: flask --app training users add | seed-demo."""

import click
from flask.cli import AppGroup

from training.accounts.models import DONGS, ConsentMethod, Role
from training.accounts.services import AccountError, create_person
from training.clock import utcnow
from training.extensions import db

users = AppGroup("users", help="Manage people and their roles.")


@users.command("add")
@click.option(
    "--role", required=True, type=click.Choice([role.value for role in Role]), help="The role."
)
@click.option("--name", required=True, help="Full name.")
@click.option("--phone", required=True, help="Mobile number, e.g. 010-1234-5678 (the log-in).")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--birth-year", type=int, default=None, help="Year of birth (default 1980).")
@click.option(
    "--dong", default=None, help="Administrative dong (default 당산2동, where the office is)."
)
def add_user(role, name, phone, password, birth_year, dong):
    """Add a person with a role and print the new id."""
    try:
        person = create_person(
            name=name,
            phone=phone,
            birth_year=birth_year or 1980,
            dong=dong or DONGS[4],
            role=Role(role),
            password=password,
            consent=True,
            consent_method=ConsentMethod.DESK,
        )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(person.id)


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if the database already holds data.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) if the database holds data."
)
def seed_demo_command(force, if_empty):
    """Fill the database with the 2022 programme and an upcoming term open for registration."""
    from sqlalchemy import select

    from training.accounts.models import Person
    from training.demo.seed import SeedError, seed_demo

    if if_empty and db.session.scalar(select(Person.id).limit(1)) is not None:
        click.echo("The database already holds data; the demo was not loaded again.")
        return

    try:
        summary = seed_demo(now=utcnow(), echo=click.echo, force=force)
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary)


@click.command("certificates")
@click.option("--run", "run_id", type=int, help="Issue and print the certificates of this run.")
@click.option("--month", help="YYYY-MM: of every run that ended in this month.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The PDF file to write.",
)
def certificates_command(run_id, month, output):
    """Issue the certificates of completed trainees and write them into one PDF."""
    from training.certificates.batch import BatchError, issue_batch, write_batch

    if (run_id is None) == (month is None):
        raise click.UsageError("Give exactly one of --run ID or --month YYYY-MM.")
    try:
        with click.progressbar(length=0, label="Issuing") as bar:
            certificate_ids = issue_batch(
                run_id=run_id, month=month, progress=bar.update, set_length=_set_length(bar)
            )
        db.session.commit()
        with (
            open(output, "wb") as handle,
            click.progressbar(length=len(certificate_ids), label="Writing PDF") as bar,
        ):
            written = write_batch(certificate_ids, handle, progress=bar.update)
    except BatchError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"{written} certificates written to {output}")


def _set_length(bar):
    def set_length(length: int) -> None:
        bar.length = length

    return set_length


def register_commands(app) -> None:
    from training.stats.cli import report_command

    app.cli.add_command(report_command)
    app.cli.add_command(users)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(certificates_command)
