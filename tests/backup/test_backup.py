"""Backup and restore on the test's database: a copy restored into a fresh empty database holds
the same rows, refusals for a filled database and a file of the wrong kind, and a backup taken
while another process streams enrollments restores a consistent database whose figures are
those of the moment of the backup."""

import hashlib
import multiprocessing
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import stamp
from sqlalchemy import create_engine, inspect, make_url, select, text

from training import create_app
from training.accounts.models import Person
from training.backup import services
from training.backup.services import BackupError, backup_database, restore_database
from training.catalog.models import CourseRun
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.stats.services import Period, figures

# The backup reads the database through connections and processes of its own.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def new_database(database_url, tmp_path):
    """Make fresh empty databases beside the test's own, dropped at the end."""
    made = []
    base = make_url(database_url)
    admin = None
    if base.get_backend_name() == "postgresql":
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def make(name: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        database = f"{base.database}_{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        made.append(database)
        return base.set(database=database).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as connection:
            for database in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated(app):
    """The test's database stamped with the migrations' head, as `flask db upgrade` leaves it."""
    stamp()
    yield
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def app_on(url: str, instance_path: str):
    other = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test", "TESTING": True})
    other.instance_path = instance_path
    return other


def table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and a checksum of its rows in primary-key order."""
    engine = create_engine(url)
    result = {}
    try:
        with engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
                digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
                result[table.name] = (len(rows), digest)
    finally:
        engine.dispose()
    return result


@contextmanager
def working_on(url: str, instance_path: str):
    """An app of the database at ``url``, in an app context of its own, its connections
    closed at the end."""
    other = app_on(url, instance_path)
    with other.app_context():
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


def invoke_on(url: str, instance_path: str, args: list[str]):
    """Run a flask command on an app of the database at ``url`` (in its own app context: the
    CLI would otherwise use the test's app, whose context is pushed)."""
    with working_on(url, instance_path) as other:
        return other.test_cli_runner().invoke(args=args)


def migration_revision(url: str) -> str | None:
    """The revision `flask db current` reports: alembic_version's row."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@pytest.fixture
def some_rows(app, make_run, make_person, make_enrollment):
    run = make_run(capacity=2)
    make_enrollment(run, make_person(name="김하나"))
    make_enrollment(run, make_person(name="이둘"))
    make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()


def test_restore_brings_back_every_row_and_the_migration(
    app, migrated, some_rows, database_url, new_database, tmp_path
):
    backup = tmp_path / "copy.backup"
    db.session.close()
    result = app.test_cli_runner().invoke(args=["backup", "-o", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.is_file()
    restored = new_database("restored")

    result = invoke_on(restored, app.instance_path, ["restore", str(backup)])

    assert result.exit_code == 0, result.output
    source = table_fingerprints(database_url)
    assert source["enrollments"][0] == 3
    assert table_fingerprints(restored) == source
    head = ScriptDirectory.from_config(
        current_app.extensions["migrate"].migrate.get_config()
    ).get_current_head()
    assert migration_revision(restored) == migration_revision(database_url) == head


def test_sqlite_backup_is_a_plain_database_file(app, some_rows, database_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite format")
    backup = tmp_path / "copy.sqlite3"
    db.session.close()
    backup_database(database_url, backup)
    assert backup.read_bytes()[:16] == b"SQLite format 3\x00"
    assert not (tmp_path / "copy.sqlite3-wal").exists()
    assert table_fingerprints(f"sqlite:///{backup}") == table_fingerprints(database_url)


def test_restore_refuses_a_database_that_holds_rows(app, some_rows, database_url, tmp_path):
    backup = tmp_path / "copy.backup"
    db.session.close()
    backup_database(database_url, backup)
    before = table_fingerprints(database_url)

    result = app.test_cli_runner().invoke(args=["restore", str(backup)])

    assert result.exit_code == 1
    assert "not empty" in result.output
    assert "hold rows" in result.output
    assert table_fingerprints(database_url) == before


def test_restore_refuses_a_migrated_empty_database(app, migrated, database_url, tmp_path):
    backup = tmp_path / "copy.backup"
    db.session.close()
    backup_database(database_url, backup)
    with pytest.raises(BackupError, match="alembic_version"):
        restore_database(database_url, backup)


def test_restore_refuses_a_file_of_the_wrong_kind(app, database_url, new_database, tmp_path):
    wrong = tmp_path / "wrong.backup"
    if database_url.startswith("sqlite"):
        wrong.write_bytes(b"PGDMP" + b"\0" * 100)
        expected = "not an SQLite backup"
    else:
        # An SQLite file where a pg_dump archive belongs.
        import sqlite3

        sqlite3.connect(wrong).execute("CREATE TABLE t (x)").connection.close()
        expected = "not a PostgreSQL backup"
    target = new_database("wrong_kind")

    result = invoke_on(target, app.instance_path, ["restore", str(wrong)])

    assert result.exit_code == 1
    assert expected in result.output
    engine = create_engine(target)
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == []
    engine.dispose()


def test_backup_output_never_shows_the_password(app, database_url, tmp_path, monkeypatch):
    if not database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL has a password")
    wrong = make_url(database_url).set(password="s3cret-word", host="127.0.0.1", port=1)
    app.config["SQLALCHEMY_DATABASE_URI"] = wrong.render_as_string(hide_password=False)
    db.session.close()
    result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "x.backup")])
    assert result.exit_code == 1
    assert "Error: Cannot read the database" in result.output
    assert "s3cret-word" not in result.output
    assert not (tmp_path / "x.backup").exists()


# The stream: one process enrolls people one after another, one commit each, and after each
# commit records what it committed and the year's figures as they stand then.

# One run fills and grows a waiting list; the others keep confirming, so the year's figures
# change with most commits.
CAPACITIES = (4, 200, 200)


def _stream(database_url, instance_path, run_ids, person_ids, period, started, stop, log):
    from training.enrollment.services import enroll_person

    with working_on(database_url, instance_path):
        log.put((0, None, None, figures(period).__dict__))
        db.session.rollback()
        for number, person_id in enumerate(person_ids, start=1):
            if stop.is_set():
                break
            run_id = run_ids[number % len(run_ids)]
            enroll_person(db.session.get(CourseRun, run_id), db.session.get(Person, person_id))
            db.session.commit()
            log.put((number, person_id, run_id, figures(period).__dict__))
            db.session.rollback()
            started.value = number
            time.sleep(0.01)
    log.put(None)


def _check_invariants(url: str, instance_path: str) -> set[tuple[int, int]]:
    with working_on(url, instance_path):
        enrollments = db.session.scalars(select(Enrollment)).all()
        for run in db.session.scalars(select(CourseRun)):
            of_run = [e for e in enrollments if e.run_id == run.id]
            confirmed = [e for e in of_run if e.status is EnrollmentStatus.CONFIRMED]
            positions = sorted(
                e.waitlist_position for e in of_run if e.status is EnrollmentStatus.WAITLISTED
            )
            assert len(confirmed) <= run.capacity
            assert positions == list(range(1, len(positions) + 1))
            assert all(e.confirmed_at is not None for e in confirmed)
        return {(e.person_id, e.run_id) for e in enrollments}


def test_backup_during_enrollments_restores_the_moment_of_the_backup(
    app, database_url, new_database, make_run, make_person, tmp_path, monkeypatch
):
    """The stream commits one enrollment at a time, so the database only ever passes through
    the states "after commit k". A consistent backup is one of them: the restored enrollments
    must be exactly those of the first k commits, for the k the copy holds, and the figures
    computed on the copy must equal the figures the stream computed on the source right after
    commit k. The backup starts after some commits and the stream goes on during and after it,
    so k is a moment in the middle of the stream, not its start or end."""
    now = datetime.now(UTC)
    runs = [
        make_run(
            capacity=capacity,
            starts_on=date.today() + timedelta(days=14),
            session_hour=10 + 2 * index,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=1),
        )
        for index, capacity in enumerate(CAPACITIES)
    ]
    people = [make_person(password=None) for _ in range(200)]
    db.session.commit()
    last_day = runs[0].ends_on
    period = Period(date(last_day.year, 1, 1), date(last_day.year, 12, 31))
    context = multiprocessing.get_context("spawn")
    started, stop, log = context.Value("i", 0), context.Event(), context.Queue()
    stream = context.Process(
        target=_stream,
        args=(
            database_url,
            app.instance_path,
            [run.id for run in runs],
            [person.id for person in people],
            period,
            started,
            stop,
            log,
        ),
    )
    db.session.close()
    # Small steps, each followed by a pause, so that the stream commits while SQLite copies.
    monkeypatch.setattr(services, "SQLITE_PAGES_PER_STEP", 4)
    backup = tmp_path / "during.backup"
    stream.start()
    try:
        deadline = time.monotonic() + 60
        while started.value < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        commits_before = started.value
        backup_database(database_url, backup, progress=lambda done, total: time.sleep(0.02))
        commits_after = started.value
        while started.value < commits_after + 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        # Drain the log before joining: a process exits only once its queue is flushed.
        entries = {}
        while (entry := log.get(timeout=60)) is not None:
            number, person_id, run_id, figures_then = entry
            entries[number] = (person_id, run_id, figures_then)
        stream.join(timeout=60)
    assert stream.exitcode == 0
    # The stream committed while the copy was being made.
    assert commits_after > commits_before >= 10

    restored = new_database("during")
    restore_database(restored, backup)

    pairs = _check_invariants(restored, app.instance_path)
    moment = len(pairs)
    assert commits_before <= moment <= commits_after < max(entries)
    assert pairs == {entries[number][:2] for number in range(1, moment + 1)}
    with working_on(restored, app.instance_path):
        assert figures(period).__dict__ == entries[moment][2]
        # The figures do move with enrollments, so the comparison above can tell moments apart.
        assert entries[moment][2] != entries[0][2]
