"""flask --app training seed-demo: the demonstration programme."""

import click
from sqlalchemy import select

from training.accounts.models import Person
from training.clock import utcnow
from training.demo.seed import SeedError, seed_demo
from training.extensions import db


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if the database already holds data.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) if the database holds data."
)
def seed_demo_command(force, if_empty):
    """Fill the database with the 2022 programme and an upcoming term open for registration."""
    if if_empty and db.session.scalar(select(Person.id).limit(1)) is not None:
        click.echo("The database already holds data; the demo was not loaded again.")
        return

    try:
        summary = seed_demo(now=utcnow(), echo=click.echo, force=force)
    except SeedError as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary)
