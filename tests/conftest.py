"""Fixtures: one app for the whole run, each test in a transaction rolled back at its end, and
builders for the usual records.

``app`` is built once (per pytest-xdist worker) and each test gets it in a fresh app context,
its configuration restored afterwards, and empty tables: everything the test and the code do,
commits included, happens in one transaction on one connection that is rolled back at the end
(a commit in the code releases a savepoint inside it). A test whose data other processes,
threads or connections must see is marked ``real_commits``: it commits for real, as the
application does, and every table is emptied before and after it.

Builders: ``make_person``, ``make_room``, ``make_run`` (registration around the fixed ``NOW``),
``make_open_run`` (registration open around the real clock, for the routes), ``make_enrollment``
(an Enrollment row put straight in the table), ``client_for`` (a logged-in test client),
``staff`` and ``desk`` (a member of staff and their logged-in client) and ``count_rows``.

The suite runs on SQLite by default; with TRAINING_TEST_DATABASE=postgres it runs on the
PostgreSQL named by TRAINING_TEST_POSTGRES_URL. Each xdist worker has a database of its own."""

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, func, make_url, select, text

from training import create_app
from training.accounts.models import ConsentMethod, Person, Role
from training.audit.models import SQLITE_TRIGGERS
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
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.extensions import db as _db
from training.extensions import limiter

pytest_plugins = ["tests.api_contract"]

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 10:00 in Seoul

# "gw0", "gw1"... under pytest-xdist.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite in a temporary folder, or a PostgreSQL database of this run and worker's own."""
    if os.environ.get("TRAINING_TEST_DATABASE") != "postgres":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    server_url = os.environ.get("TRAINING_TEST_POSTGRES_URL")
    if not server_url:
        pytest.exit("TRAINING_TEST_DATABASE=postgres needs TRAINING_TEST_POSTGRES_URL", 2)
    server = make_url(normalize_database_url(server_url))
    name = f"training_test_{WORKER}_{os.getpid()}"
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


class JoinedSession(FlaskSession):
    """A session that works on the connection it is bound to, when it is bound to one.

    Flask-SQLAlchemy 3 picks the app's engine before it looks at the session's bind
    (pallets-eco/flask-sqlalchemy#1167), so a test's connection would be passed over."""

    def get_bind(self, *args, **kwargs):
        if self.bind is not None:
            return self.bind
        return super().get_bind(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(database_url):
    """The application, built once, on tables created once."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            # Printed certificates and QR codes link only to a configured address; plain http,
            # so that the suite's cookies are not made Secure by it.
            "PUBLIC_URL": "http://edu.ydp.test",
            "RATELIMIT": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = FreshRequestClient
    _db.session.session_factory.class_ = JoinedSession
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.engine.dispose()


def empty_all_tables() -> None:
    """Remove every row, children first, and commit."""
    connection = _db.session.connection()
    if connection.dialect.name == "postgresql":
        names = ", ".join(t.name for t in _db.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # people and course_runs point at each other: break the cycle first.
        connection.execute(text("UPDATE people SET barred_run_id = NULL"))
        # Audit entries refuse DELETE (TRUNCATE above fires no row trigger): lift that here.
        connection.execute(text("DROP TRIGGER audit_entries_no_delete"))
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(text(SQLITE_TRIGGERS["audit_entries_no_delete"]))
    _db.session.commit()


@contextmanager
def _rolled_back():
    """Bind db.session to one connection in a transaction that is rolled back at the end; the
    code's own commits and rollbacks act on savepoints inside it."""
    factory = _db.session.session_factory
    options = dict(factory.kw)
    connection = _db.engine.connect()
    transaction = connection.begin()
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        _db.session.remove()
        factory.kw.clear()
        factory.kw.update(options)
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@contextmanager
def _committed():
    """Real commits on the app's engine, from and back to empty tables."""
    empty_all_tables()
    try:
        yield
    finally:
        _db.session.remove()
        empty_all_tables()
        _db.session.remove()


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
def app(_app, request, tmp_path):
    """The application in an app context of this test's own, on empty tables; a test marked
    ``real_commits`` commits for real, any other is rolled back at its end."""
    config = dict(_app.config)
    # Any other app built in this process (with rate limits, say) turned the shared limiter on.
    limiter.enabled = config["RATELIMIT_ENABLED"]
    _app.instance_path = str(tmp_path)
    # Messages written by the file backends stay in this test's folder.
    _app.config["OUTBOX_FILE"] = str(tmp_path / "outbox.log")
    isolation = _committed if request.node.get_closest_marker("real_commits") else _rolled_back
    try:
        with _app.app_context(), isolation():
            yield _app
    finally:
        _app.config.clear()
        _app.config.update(config)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _saved(record):
    """Add a record to the session and flush it, so that it has its id."""
    _db.session.add(record)
    _db.session.flush()
    return record


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

        return _saved(
            Person(
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
        )

    return make


@pytest.fixture
def make_room(db):
    def make(seats: int = 28) -> Room:
        venue = db.session.query(Venue).filter_by(name="평생스마트교육장").one_or_none()
        if venue is None:
            venue = _saved(Venue(name="평생스마트교육장", address="서울 영등포구 대림3동"))
        return _saved(Room(venue_id=venue.id, name=f"강의실 {next(_phones)}", seats=seats))

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
            course = _saved(
                Course(
                    code=f"T{next(_course_codes):04d}",
                    title=title,
                    category=Category.SMARTPHONE,
                    level=Level.BEGINNER,
                    audience=audience,
                    delivery=Delivery.IN_PERSON,
                    description="",
                )
            )
        number = len(course.runs) + 1
        run = _saved(
            CourseRun(
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
        )
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


@pytest.fixture
def make_open_run(make_run):
    """make_run around the real clock, for going through the routes: registration opened a day
    ago and closes in a day, and the first session is `days_ahead` days from today.

    `opens` and `closes` move the window (offsets from now), for a run not yet open or closed."""

    def make(
        days_ahead: int = 14,
        *,
        opens: timedelta = timedelta(days=-1),
        closes: timedelta = timedelta(days=1),
        **kwargs,
    ) -> CourseRun:
        now = datetime.now(UTC)
        return make_run(
            opens_at=now + opens,
            closes_at=now + closes,
            starts_on=now.date() + timedelta(days=days_ahead),
            **kwargs,
        )

    return make


@pytest.fixture
def make_enrollment(db, make_person):
    """Put an Enrollment row straight in the table, skipping the enrollment rules: the person
    (a new one when not given) applied on the web. Other columns may be given as keywords."""

    def make(
        run: CourseRun,
        person: Person | None = None,
        status: EnrollmentStatus = EnrollmentStatus.CONFIRMED,
        waitlist_position: int | None = None,
        channel: Channel = Channel.WEB,
        **columns,
    ) -> Enrollment:
        if person is None:
            person = make_person()
        # The database refuses a confirmed or cancelled enrollment without its moment.
        if status is EnrollmentStatus.CONFIRMED:
            columns.setdefault("confirmed_at", NOW)
        elif status is EnrollmentStatus.CANCELLED:
            columns.setdefault("cancelled_at", NOW)
        return _saved(
            Enrollment(
                run_id=run.id,
                person_id=person.id,
                status=status,
                waitlist_position=waitlist_position,
                channel=channel,
                created_by_id=person.id,
                **columns,
            )
        )

    return make


@pytest.fixture
def client_for(app):
    """A new test client, logged in as the person (made with make_person's password)."""

    def make(person: Person) -> FlaskClient:
        new = app.test_client()
        response = new.post("/login", data={"phone": person.phone, "password": "password123"})
        assert response.status_code == 302
        return new

    return make


@pytest.fixture
def staff(db, make_person):
    """A member of staff, committed."""
    person = make_person(role=Role.STAFF, name="정담당")
    db.session.commit()
    return person


@pytest.fixture
def desk(client_for, staff):
    """A client logged in as `staff`, for the desk pages."""
    return client_for(staff)


@pytest.fixture
def count_rows(db):
    """How many rows a model's table holds."""

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    return count


@contextmanager
def recorded_statements(*, commits: bool = False):
    """Every statement sent to the database while the block runs, in order; with commits,
    "COMMIT" where a transaction ends, to see what ran after it."""
    statements: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    def on_commit(conn):
        statements.append("COMMIT")

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    if commits:
        event.listen(engine, "commit", on_commit)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        if commits:
            event.remove(engine, "commit", on_commit)


@pytest.fixture
def statements(db):
    """The statements (and commits) of the whole test: clear it just before what is measured."""
    with recorded_statements(commits=True) as recorded:
        yield recorded


def pytest_terminal_summary(terminalreporter):
    """The accessibility audit's count for every page the browser journeys visited (recorded
    by tests/browser's ``audit`` fixture; gathered from every xdist worker)."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "teardown"
        for name, value in getattr(report, "user_properties", [])
        if name == "axe"
    ]
    if lines:
        terminalreporter.section("accessibility audit (axe-core), page by page")
        for line in lines:
            terminalreporter.write_line(line)
