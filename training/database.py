"""Engine set-up per database: SQLite pragmas, how transactions begin, and, under testing,
a guard that refuses writes in requests that declared they only read."""

import contextlib
import fcntl
import os
import re
import sqlite3
import time

from flask import current_app, g, has_request_context, request, request_finished
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)
# What takes SQLite's write lock in a request's deferred transaction: a write, a statement
# that may write (WITH ... INSERT), or a savepoint (ending the reading transaction later would
# end the savepoint with it).
LOCKING_STATEMENT = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE|SAVEPOINT|WITH)\b", re.IGNORECASE
)
# How long a writer waits its turn in the queue before leaving the wait to SQLite itself.
WRITER_QUEUE_WAIT_SECONDS = 10
# connection.info: None when the transaction began with the lock or only reads, False while a
# request's transaction has only read, True once it holds the lock.
WRITE_LOCK = "sqlite_write_lock"


class WriteInReadOnlyRequest(RuntimeError):
    """A GET (or HEAD, OPTIONS) view wrote without being marked ``writes_on_read``."""


def configure_engine(engine: Engine) -> None:
    """Make SQLite safe for several worker processes writing at once; under testing, make a
    write in a read-only request fail."""
    _guard_read_only_requests(engine)
    if engine.dialect.name != "sqlite":
        return

    queue_path = None if _is_memory_database(engine) else f"{engine.url.database}-writers"

    @event.listens_for(engine, "connect")
    def set_sqlite_pragmas(dbapi_connection, connection_record):
        if queue_path is not None:
            # One open file for each connection: a flock excludes other open files, so two
            # connections of one process queue like two processes.
            connection_record.info[WRITER_QUEUE] = os.open(
                queue_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
            )
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
        # Pages that only read begin deferred and run side by side. A request that may write
        # begins deferred too, and takes the write lock at its first row lock or write (see
        # take_write_lock): its token, permission and pass checks run beside other workers,
        # and the lock is held only for the part that reads, decides and writes. Work outside
        # requests (commands, the outbox sender) takes the lock before its first read.
        if _request_only_reads():
            connection.exec_driver_sql("BEGIN")
            connection.info[WRITE_LOCK] = None
        elif has_request_context():
            connection.exec_driver_sql("BEGIN")
            connection.info[WRITE_LOCK] = False
        else:
            _wait_turn(connection.connection.info)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.info[WRITE_LOCK] = None

    @event.listens_for(engine, "before_cursor_execute")
    def lock_before_writing(connection, cursor, statement, parameters, context, executemany):
        if connection.info.get(WRITE_LOCK) is False and LOCKING_STATEMENT.match(statement):
            take_write_lock(connection)

    @event.listens_for(engine, "commit")
    def commit_then_pass_turn(connection):
        _end_then_pass_turn(connection.connection, "COMMIT")

    @event.listens_for(engine, "rollback")
    def rollback_then_pass_turn(connection):
        _end_then_pass_turn(connection.connection, "ROLLBACK")

    @event.listens_for(engine, "reset")
    def pass_turn_on_return(dbapi_connection, connection_record, reset_state):
        # The pool rolls back a returned connection without the events above.
        _pass_turn(connection_record.info)

    @event.listens_for(engine, "close")
    def close_queue_file(dbapi_connection, connection_record):
        queue = connection_record.info.pop(WRITER_QUEUE, None)
        if queue is not None:
            os.close(queue)


# SQLite's busy handler waits for the write lock by sleeping and retrying, sleeps growing to
# 100 ms: under a rush a waiter often sleeps on long after the lock is free, and the worker
# stands idle. Writers of one database file therefore first queue on an OS file lock next to
# it, which wakes the next one the moment it is released; BEGIN IMMEDIATE then finds the
# database free. The turn is passed on right after COMMIT or ROLLBACK. Another program
# writing the file without the queue is still kept out by SQLite's own lock.
WRITER_QUEUE = "sqlite_writer_queue"
HOLDS_TURN = "sqlite_writer_turn"


def _wait_turn(info) -> None:
    queue = info.get(WRITER_QUEUE)
    if queue is None or info.get(HOLDS_TURN):
        return
    deadline = time.monotonic() + WRITER_QUEUE_WAIT_SECONDS
    pause = 0.0005
    while True:
        try:
            fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another connection of this very thread may hold the turn, so the wait is
            # bounded: past it, SQLite's busy timeout decides, as it would without the queue.
            if time.monotonic() > deadline:
                return
            time.sleep(pause)
            pause = min(pause * 1.5, 0.005)
            continue
        info[HOLDS_TURN] = True
        return


def _pass_turn(info) -> None:
    if info.pop(HOLDS_TURN, False):
        fcntl.flock(info[WRITER_QUEUE], fcntl.LOCK_UN)


def _end_then_pass_turn(fairy, statement: str) -> None:
    info = fairy.info
    if not info.get(HOLDS_TURN):
        return
    raw = fairy.driver_connection
    if raw.in_transaction:
        # A failure is left to the driver's own commit or rollback, which reports it as usual.
        with contextlib.suppress(sqlite3.Error):
            raw.execute(statement)
    _pass_turn(info)


def take_write_lock(connection) -> None:
    """On SQLite, turn a request's deferred transaction, which has only read so far, into one
    holding the write lock.

    A deferred transaction cannot safely be upgraded in place: if another worker wrote since
    its first read, SQLite refuses the upgrade at once (SQLITE_BUSY_SNAPSHOT) instead of
    waiting. So the reading transaction ends (it wrote nothing) and an immediate one begins,
    waiting for the lock. What was read before may have changed since, exactly as under
    PostgreSQL's READ COMMITTED: rules read what they decide on after their row lock
    (training.locking.lock_row, with_for_update), which is what takes the lock here."""
    if connection.info.get(WRITE_LOCK) is not False:
        return
    raw = connection.connection.driver_connection
    raw.execute("COMMIT")
    _wait_turn(connection.connection.info)
    raw.execute("BEGIN IMMEDIATE")
    connection.info[WRITE_LOCK] = True


def _lock_for_row_locks(orm_execute_state) -> None:
    # SQLite's dialect drops FOR UPDATE from the SQL: a row lock is seen here, on the ORM
    # statement, and takes the write lock before the read it guards.
    if not orm_execute_state.is_select:
        return
    if getattr(orm_execute_state.statement, "_for_update_arg", None) is None:
        return
    session = orm_execute_state.session
    if session.get_bind().dialect.name == "sqlite":
        take_write_lock(session.connection())


event.listen(OrmSession, "do_orm_execute", _lock_for_row_locks)


def writes_on_read(view):
    """Mark a GET view that writes (an audit entry, say): its transaction takes the lock."""
    view.writes_on_read = True
    return view


def _guard_read_only_requests(engine: Engine) -> None:
    # On SQLite a read-only request begins deferred, so an unmarked write there races other
    # writers unseen: in tests such a write is stopped, and reported even if a view or an error
    # handler swallows the exception.
    @event.listens_for(engine, "before_cursor_execute")
    def refuse_write(connection, cursor, statement, parameters, context, executemany):
        if not (has_request_context() and current_app.testing and _request_only_reads()):
            return
        if WRITE_STATEMENT.match(statement):
            g.write_in_read_only_request = WriteInReadOnlyRequest(
                f"{request.method} {request.path} ({request.endpoint}) wrote without "
                f"@writes_on_read: {statement.split(maxsplit=3)[:3]}"
            )
            raise g.write_in_read_only_request

    request_finished.connect(_report_write_in_read_only_request)


def _report_write_in_read_only_request(sender, response, **extra):
    refused = g.pop("write_in_read_only_request", None)
    if refused is not None:
        raise refused


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


class sqlite_foreign_keys_off:  # noqa: N801  (used as a statement: with sqlite_foreign_keys_off(...))
    """For migrations: rebuild SQLite tables with foreign keys off, then check them all and
    turn them on again; elsewhere, nothing.

    With them on, dropping the old copy of a referenced table (people, course_runs) would
    refuse, or cascade into, the rows that point at it. SQLite ignores the pragma inside a
    transaction, and the engine begins one at once (BEGIN IMMEDIATE), hence the raw
    statements around it."""

    def __init__(self, bind):
        self.bind = bind

    def __enter__(self):
        if self.bind.dialect.name == "sqlite":
            self._pragma("PRAGMA foreign_keys = OFF", end="COMMIT")
        return self

    def __exit__(self, error_type, error, traceback):
        if self.bind.dialect.name != "sqlite":
            return False
        if error_type is not None:
            self._pragma("PRAGMA foreign_keys = ON", end="ROLLBACK")
            return False
        broken = self.bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            self._pragma("PRAGMA foreign_keys = ON", end="ROLLBACK")
            raise RuntimeError(f"rows whose foreign keys point nowhere: {broken[:10]}")
        self._pragma("PRAGMA foreign_keys = ON", end="COMMIT")
        return False

    def _pragma(self, statement, *, end):
        raw = self.bind.connection.dbapi_connection
        if raw.in_transaction:
            raw.execute(end)
        raw.execute(statement)
        raw.execute("BEGIN IMMEDIATE")
