"""Copy the configured database to a file and back, in the database's native format.

SQLite: the online backup API, reading inside one read transaction so that the copy is a single
snapshot however much the application writes meanwhile. PostgreSQL: ``pg_dump`` in its custom
format (one snapshot by design) and ``pg_restore`` in a single transaction."""

import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, make_url, select, table
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from training.config import normalize_database_url

SQLITE_HEADER = b"SQLite format 3\x00"
# Pages copied per step of SQLite's backup: small enough that progress moves, large enough
# that a big file does not take thousands of steps.
SQLITE_PAGES_PER_STEP = 256

Progress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is safe to show."""


def backup_database(url: str, path: str | Path, *, progress: Progress | None = None) -> None:
    """Write a consistent copy of the database at ``url`` to ``path``; ``progress(done, total)``
    is called as the copy advances."""
    database_url = make_url(normalize_database_url(url))
    if database_url.get_backend_name() == "sqlite":
        _backup_sqlite(_sqlite_path(database_url), Path(path), progress)
    elif database_url.get_backend_name() == "postgresql":
        _backup_postgres(database_url, Path(path), progress)
    else:
        raise BackupError(f"Backups of {database_url.get_backend_name()} are not supported.")


def restore_database(url: str, path: str | Path, *, progress: Progress | None = None) -> None:
    """Bring the backup at ``path`` into the empty database at ``url``; refuse a database that
    holds data and a file of the wrong kind."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    database_url = make_url(normalize_database_url(url))
    if database_url.get_backend_name() == "sqlite":
        _restore_sqlite(_sqlite_path(database_url), path, progress)
    elif database_url.get_backend_name() == "postgresql":
        _restore_postgres(database_url, path, progress)
    else:
        raise BackupError(f"Restoring into {database_url.get_backend_name()} is not supported.")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _backup_sqlite(source_path: Path, path: Path, progress: Progress | None) -> None:
    if not source_path.is_file():
        raise BackupError(f"No SQLite database at {source_path}.")
    source = sqlite3.connect(source_path, isolation_level=None)
    try:
        # A read transaction held for the whole copy: every step reads the same snapshot (the
        # database runs in WAL mode, so writers carry on), and the copy never restarts.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        _copy_sqlite(source, path, progress)
    finally:
        source.close()


def _copy_sqlite(source: sqlite3.Connection, path: Path, progress: Progress | None) -> None:
    """Copy ``source`` with the backup API into a temporary file beside ``path``, then put it
    in place, so that ``path`` never holds half a copy."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    try:
        target = sqlite3.connect(temporary, isolation_level=None)
        try:
            source.backup(
                target,
                pages=SQLITE_PAGES_PER_STEP,
                progress=_sqlite_progress(progress),
            )
            # A plain file that needs no -wal beside it.
            target.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            target.close()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _sqlite_progress(progress: Progress | None):
    if progress is None:
        return None

    def report(status, remaining, total):
        progress(total - remaining, total)

    return report


def _restore_sqlite(target_path: Path, path: Path, progress: Progress | None) -> None:
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(
                f"{path} is not an SQLite backup, and the configured database is SQLite."
            )
    if target_path.exists():
        _refuse_filled_database(create_engine(f"sqlite:///{target_path}"), _SQLITE_EMPTY_HINT)
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is a damaged SQLite database.")
        target = sqlite3.connect(target_path, isolation_level=None)
        try:
            source.backup(target, pages=SQLITE_PAGES_PER_STEP, progress=_sqlite_progress(progress))
        finally:
            target.close()
    finally:
        source.close()


_SQLITE_EMPTY_HINT = (
    "Point TRAINING_DATABASE_URL at a new file (sqlite:////path/to/new.sqlite3), or move the "
    "current file away, then restore again."
)
_POSTGRES_EMPTY_HINT = (
    "Create an empty database (createdb -O OWNER NEWNAME, or DROP DATABASE then CREATE "
    "DATABASE), point TRAINING_DATABASE_URL at it, then restore again."
)


@contextmanager
def _connected(engine):
    """A connection, or a BackupError saying why it failed (the driver's message, which never
    holds the password)."""
    try:
        with engine.connect() as connection:
            yield connection
    except DBAPIError as error:
        raise BackupError(f"Cannot read the database: {error.orig}") from error
    finally:
        engine.dispose()


def _refuse_filled_database(engine, hint: str) -> None:
    """Refuse a database that holds rows or has been migrated (alembic_version)."""
    with _connected(engine) as connection:
        names = inspect(connection).get_table_names()
        if "alembic_version" in names:
            raise BackupError(
                "The target database is not empty: it has been migrated "
                f"(alembic_version exists). {hint}"
            )
        filled = [
            name
            for name in names
            if connection.scalar(select(func.count()).select_from(table(name)))
        ]
        if filled:
            raise BackupError(
                f"The target database is not empty: {', '.join(sorted(filled))} hold rows. {hint}"
            )
        if names and engine.dialect.name == "postgresql":
            # pg_restore creates every table: one already there would make it fail.
            raise BackupError(
                f"The target database is not empty: it has tables ({', '.join(names)}). {hint}"
            )


def _postgres_environment(url: URL) -> dict[str, str]:
    """libpq's variables for the URL's parts: the password never appears on a command line."""
    environment = dict(os.environ)
    parts = {
        "PGHOST": url.host,
        "PGPORT": url.port,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    environment.update({name: str(value) for name, value in parts.items() if value})
    return environment


def _run_postgres_tool(arguments: list[str], url: URL, progress, total: int, marker: str) -> None:
    """Run pg_dump or pg_restore, counting the tables it reports in --verbose as progress."""
    try:
        process = subprocess.Popen(
            arguments,
            env=_postgres_environment(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{arguments[0]} is not installed (Debian: apt-get install postgresql-client)."
        ) from error
    done = 0
    messages = []
    with process, process.stderr:
        for line in process.stderr:
            if marker in line:
                done += 1
                if progress is not None:
                    progress(min(done, total), total)
            elif not line.startswith(f"{arguments[0]}: ") or "error" in line or "warning" in line:
                messages.append(line.rstrip())
    if process.returncode != 0:
        detail = "\n".join(messages[-10:])
        raise BackupError(f"{arguments[0]} failed:\n{detail}")
    if progress is not None:
        progress(total, total)


def _postgres_table_count(url: URL) -> int:
    with _connected(create_engine(url)) as connection:
        return len(inspect(connection).get_table_names()) or 1


def _backup_postgres(url: URL, path: Path, progress: Progress | None) -> None:
    total = _postgres_table_count(url)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(handle)
    try:
        _run_postgres_tool(
            ["pg_dump", "--format=custom", "--verbose", f"--file={temporary}"],
            url,
            progress,
            total,
            "dumping contents of table",
        )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _restore_postgres(url: URL, path: Path, progress: Progress | None) -> None:
    listing = subprocess.run(
        ["pg_restore", "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(
            f"{path} is not a PostgreSQL backup (pg_dump --format=custom), and the configured "
            "database is PostgreSQL."
        )
    total = listing.stdout.count(" TABLE DATA ") or 1
    _refuse_filled_database(create_engine(url), _POSTGRES_EMPTY_HINT)
    _run_postgres_tool(
        [
            "pg_restore",
            "--no-owner",
            "--single-transaction",
            "--verbose",
            f"--dbname={url.database}",
            str(path),
        ],
        url,
        progress,
        total,
        "processing data for table",
    )
