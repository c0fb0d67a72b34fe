"""Upgrading an empty database gives exactly the models' schema."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from training import create_app
from training.extensions import db

# Each upgrade commits to a database of its own.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_models(empty_database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "test", "TESTING": True}
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migrations_have_one_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    directory = os.path.join(os.path.dirname(__file__), "..", "migrations")
    config = Config()
    config.set_main_option("script_location", directory)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_from_empty_has_every_check_constraint(empty_database_url, tmp_path):
    from sqlalchemy import inspect

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "test", "TESTING": True}
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        migrated = {
            table.name: {c["name"] for c in inspector.get_check_constraints(table.name)}
            for table in db.metadata.sorted_tables
        }
        db.engine.dispose()
    declared = {
        table.name: {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        for table in db.metadata.sorted_tables
    }
    assert migrated == declared


BEFORE_INTEGRITY = "17ebd58397de"


def test_integrity_revision_keeps_every_row_both_ways(empty_database_url, tmp_path):
    """The integrity revision rebuilds tables that everything points at (people, course runs):
    existing rows survive the upgrade and the downgrade, and the new checks then hold."""
    from flask_migrate import downgrade

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "test", "TESTING": True}
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE_INTEGRITY)
        with db.engine.begin() as connection:
            _insert_one_of_everything(connection)
            rows = _row_counts(connection)

        upgrade()
        with db.engine.connect() as connection:
            assert _row_counts(connection, rows) == rows
            assert _broken_foreign_keys(connection) == []
        assert _refuses_confirmed_without_moment()

        downgrade(revision=BEFORE_INTEGRITY)
        with db.engine.connect() as connection:
            assert _row_counts(connection, rows) == rows
            assert _broken_foreign_keys(connection) == []
        assert not _refuses_confirmed_without_moment()
        db.engine.dispose()


def _insert_one_of_everything(connection) -> None:
    from datetime import UTC, date, datetime

    from training.models import (
        Attendance,
        AuditEntry,
        Certificate,
        Course,
        CourseRun,
        Enrollment,
        Notification,
        Person,
        Room,
        Session,
        Venue,
    )

    moment = datetime(2022, 3, 7, 1, tzinfo=UTC)
    person = {
        "name": "홍길동",
        "birth_year": 1950,
        "dong": "문래동",
        "consent_version": "2022-01",
        "consent_method": "desk",
    }
    rows = [
        (Person, {"id": 1, "phone": "01000000001", "role": "staff", **person}),
        (Person, {"id": 2, "phone": "01000000002", "created_by_id": 1, **person}),
        (Venue, {"id": 1, "name": "평생스마트교육장", "address": "대림3동"}),
        (Room, {"id": 1, "venue_id": 1, "name": "강의실 1", "seats": 28}),
        (
            Course,
            {
                "id": 1,
                "code": "C01",
                "title": "스마트폰 기초",
                "category": "smartphone",
                "level": "beginner",
                "audience": "resident",
                "delivery": "in_person",
            },
        ),
        (
            CourseRun,
            {
                "id": 1,
                "course_id": 1,
                "number": 1,
                "room_id": 1,
                "instructor_id": 1,
                "capacity": 20,
                "starts_on": date(2022, 3, 7),
                "ends_on": date(2022, 3, 7),
                "registration_opens_at": datetime(2022, 2, 1, tzinfo=UTC),
                "registration_closes_at": datetime(2022, 3, 1, tzinfo=UTC),
            },
        ),
        (Session, {"id": 1, "run_id": 1, "starts_at": moment, "ends_at": moment.replace(hour=3)}),
        (
            Enrollment,
            {
                "id": 1,
                "run_id": 1,
                "person_id": 2,
                "status": "confirmed",
                "channel": "desk",
                "created_by_id": 1,
                "confirmed_at": moment,
                "completed_at": moment,
            },
        ),
        (
            Attendance,
            {
                "session_id": 1,
                "enrollment_id": 1,
                "status": "present",
                "checked_in_at": moment,
                "recorded_by_id": 1,
            },
        ),
        (Certificate, {"serial": "YDP-2022-00001", "year": 2022, "number": 1, "enrollment_id": 1}),
        (Notification, {"person_id": 2, "kind": "promoted", "message": "확정"}),
        (AuditEntry, {"actor_id": 1, "action": "enrollment.create", "subject_type": "enrollments"}),
    ]
    for model, values in rows:
        connection.execute(_table_as_migrated(connection, model).insert(), values)
    # people and course_runs point at each other.
    connection.execute(text("UPDATE people SET barred_run_id = 1 WHERE id = 2"))


def _table_as_migrated(connection, model):
    """The model's table with only the columns the database has at this revision, so that
    columns added by later revisions (and their defaults) stay out of the insert."""
    from sqlalchemy import Column, MetaData, Table, inspect

    present = {column["name"] for column in inspect(connection).get_columns(model.__tablename__)}
    return Table(
        model.__tablename__,
        MetaData(),
        *(
            Column(
                c.name, c.type, primary_key=c.primary_key, default=c.default and c.default._copy()
            )
            for c in model.__table__.columns
            if c.name in present
        ),
    )


def _row_counts(connection, tables=None) -> dict[str, int]:
    """Rows per table: of the given tables, or of those both this revision and the models
    have."""
    from sqlalchemy import inspect

    present = set(inspect(connection).get_table_names())
    return {
        table.name: connection.scalar(text(f"SELECT count(*) FROM {table.name}"))
        for table in db.metadata.sorted_tables
        if (table.name in tables if tables is not None else table.name in present)
    }


def _refuses_confirmed_without_moment() -> bool:
    from sqlalchemy.exc import IntegrityError

    with db.engine.connect() as connection:
        try:
            connection.execute(text("UPDATE enrollments SET confirmed_at = NULL"))
        except IntegrityError:
            return True
        finally:
            connection.rollback()
    return False


def _broken_foreign_keys(connection) -> list:
    if connection.dialect.name != "sqlite":
        return []
    return connection.execute(text("PRAGMA foreign_key_check")).fetchall()
