"""A request refused by a database constraint is logged by its route and constraint, never by
its path or the database's DETAIL line, which can name a phone number."""

import logging

from sqlalchemy.exc import IntegrityError

from training import create_app
from training.extensions import db

PHONE = "01012345678"


class UniqueViolation(Exception):
    """Shaped like PostgreSQL's message: the constraint first, the values on a DETAIL line."""

    def __str__(self):
        return (
            'duplicate key value violates unique constraint "uq_people_phone"\n'
            f"DETAIL:  Key (phone)=({PHONE}) already exists."
        )


def test_a_constraint_refusal_is_logged_without_the_values(database_url, tmp_path, caplog):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test", "TESTING": True}
    )
    app.instance_path = str(tmp_path)

    @app.route("/people/<phone>/race")
    def race(phone):
        raise IntegrityError("INSERT INTO people ...", {"phone": phone}, UniqueViolation())

    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        response = app.test_client().get(f"/people/{PHONE}/race")
    # The refusal page's footer read the centres through this app's own connections.
    with app.app_context():
        db.engine.dispose()

    assert response.status_code == 409
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "uq_people_phone" in logged
    assert "/people/<phone>/race" in logged
    assert PHONE not in logged
