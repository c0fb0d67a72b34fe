"""flask --app training users add: people and their roles from the shell."""

import getpass

import click
from flask.cli import AppGroup

from training import audit
from training.accounts.models import DONGS, ConsentMethod, Role
from training.accounts.services import AccountError, create_person
from training.extensions import db

users_command = AppGroup("users", help="Manage people and their roles.")


@users_command.command("add")
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
    # A role given from the shell is a grant of rights like one given on the people pages: on
    # the trail, with the login of whoever ran the command in place of a person.
    audit.record(
        None, "person.create", person, role=person.role.value, via="cli", shell_user=_shell_user()
    )
    db.session.commit()
    click.echo(person.id)


def _shell_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no entry in the password database
        return None
