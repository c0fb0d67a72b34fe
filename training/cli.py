"""Command-line tools: flask --app training users add | seed-demo."""

import click
from flask.cli import AppGroup

from training.accounts.models import DONGS, ConsentMethod, Role
from training.accounts.services import AccountError, create_person
from training.db_types import utcnow
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


def register_commands(app) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed_demo_command)
