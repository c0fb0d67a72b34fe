"""Engine set-up per database: SQLite pragmas and transaction start."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Make SQLite safe for several worker processes writing at once."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def set_sqlite_pragmas(dbapi_connection, connection_record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not _is_memory_database(engine):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin_immediate(connection):
        # Take the write lock before the first read: a transaction that counts seats and
        # then writes must not see a count another process is about to change.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_memory_database(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:"
