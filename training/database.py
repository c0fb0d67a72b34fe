"""Engine set-up per database: SQLite pragmas and how transactions begin."""

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    def begin(connection):
        # A transaction that may write takes the write lock before its first read, so a
        # count it reads (seats, waiting-list places) cannot change before it writes.
        # Pages that only read begin deferred and run side by side.
        if _request_only_reads():
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def writes_on_read(view):
    """Mark a GET view that writes (an audit entry, say): its transaction takes the lock."""
    view.writes_on_read = True
    return view


def _request_only_reads() -> bool:
    if not has_request_context():
        return False
    if "only_reads" not in g:
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        g.only_reads = request.method in READ_METHODS and not getattr(view, "writes_on_read", False)
    return g.only_reads


def _is_memory_database(engine: Engine) -> bool:
    database = engine.url.database
    return not database or database == ":memory:"
