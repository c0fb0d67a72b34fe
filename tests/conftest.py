"""Fixtures: an app on a fresh database per test, and builders for the usual records.

The suite runs on SQLite by default; with TRAINING_TEST_DATABASE=postgres it runs on the
PostgreSQL named by TRAINING_TEST_POSTGRES_URL."""

import os
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from training import create_app
from training.accounts.models import ConsentMethod, Person, Role
from training.catalog.models import (
    Audience,
    Category,
    Course,
    CourseRun,
    Delivery,
    Level,
    Room,
    Selection,
    Session,
    Venue,
)
from training.config import normalize_database_url
from training.extensions import db as _db

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite in a temporary folder, or a PostgreSQL database of this test run's own."""
    if os.environ.get("TRAINING_TEST_DATABASE") != "postgres":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    server_url = os.environ.get("TRAINING_TEST_POSTGRES_URL")
    if not server_url:
        pytest.exit("TRAINING_TEST_DATABASE=postgres needs TRAINING_TEST_POSTGRES_URL", 2)
    server = make_url(normalize_database_url(server_url))
    name = f"training_test_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the tables once per test run; each test then starts from empty tables."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
        }
    )
    with app.app_context():
        _db.drop_all()
        _drop_alembic_version()
        _db.create_all()
    yield
    with app.app_context():
        _db.drop_all()
        _db.engine.dispose()


def _drop_alembic_version():
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def empty_all_tables() -> None:
    """Remove every row, children first."""
    with _db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in _db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(_db.metadata.sorted_tables):
                connection.execute(table.delete())


class FreshRequestClient(FlaskClient):
    """Each request starts with an empty ``g``, as it does in production.

    The ``app`` fixture keeps one application context pushed for the whole test and the test
    client reuses it, so without this a user cached in ``g`` by one request (Flask-Login's, the
    API's, the locale) would answer for the next."""

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(_schema, database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.instance_path = str(tmp_path)
    app.test_client_class = FreshRequestClient
    with app.app_context():
        empty_all_tables()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_phones = count(10000000)


@pytest.fixture
def make_person(db):
    def make(
        role: Role = Role.RESIDENT,
        name: str = "홍길동",
        birth_year: int = 1960,
        dong: str = "당산2동",
        password: str | None = "password123",
        phone: str | None = None,
    ) -> Person:
        from werkzeug.security import generate_password_hash

        person = Person(
            name=name,
            phone=phone or f"010{next(_phones):08d}",
            birth_year=birth_year,
            dong=dong,
            role=role,
            # A fast hash: the suite builds many people.
            password_hash=generate_password_hash(password, method="pbkdf2:sha256:1000")
            if password
            else None,
            consent_version="test",
            consent_method=ConsentMethod.ONLINE,
        )
        db.session.add(person)
        db.session.flush()
        return person

    return make


@pytest.fixture
def make_room(db):
    def make(seats: int = 28) -> Room:
        venue = db.session.query(Venue).filter_by(name="평생스마트교육장").one_or_none()
        if venue is None:
            venue = Venue(name="평생스마트교육장", address="서울 영등포구 대림3동")
            db.session.add(venue)
            db.session.flush()
        room = Room(venue_id=venue.id, name=f"강의실 {next(_phones)}", seats=seats)
        db.session.add(room)
        db.session.flush()
        return room

    return make


_course_codes = count(1)


@pytest.fixture
def make_run(db, make_room):
    def make(
        capacity: int = 2,
        audience: Audience = Audience.RESIDENT,
        selection: Selection = Selection.FIRST_COME,
        starts_on: date = date(2026, 3, 16),
        sessions: int = 3,
        session_hour: int = 10,
        opens_at: datetime = NOW - timedelta(days=7),
        closes_at: datetime = NOW + timedelta(days=7),
        course: Course | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        title: str = "스마트폰 기초",
    ) -> CourseRun:
        if course is None:
            course = Course(
                code=f"T{next(_course_codes):04d}",
                title=title,
                category=Category.SMARTPHONE,
                level=Level.BEGINNER,
                audience=audience,
                delivery=Delivery.IN_PERSON,
                description="",
            )
            db.session.add(course)
            db.session.flush()
        number = len(course.runs) + 1
        run = CourseRun(
            course_id=course.id,
            number=number,
            room_id=make_room(max(capacity, 28)).id,
            capacity=capacity,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=7 * (sessions - 1)),
            registration_opens_at=opens_at,
            registration_closes_at=closes_at,
            selection=selection,
            min_age=min_age,
            max_age=max_age,
        )
        db.session.add(run)
        db.session.flush()
        for week in range(sessions):
            day = starts_on + timedelta(days=7 * week)
            start = datetime(day.year, day.month, day.day, session_hour - 9, tzinfo=UTC)
            db.session.add(
                Session(run_id=run.id, starts_at=start, ends_at=start + timedelta(hours=2))
            )
        db.session.flush()
        db.session.refresh(run)
        return run

    return make
