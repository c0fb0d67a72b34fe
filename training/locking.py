"""Row locks that serialize the read-then-write rules (seats, waiting lists).

PostgreSQL takes a row lock with SELECT ... FOR UPDATE. SQLite has no row locks; there a
request's first row lock takes the database's write lock (see ``training.database``), so a
writer holds it before it reads any count, and FOR UPDATE itself is dropped from the SQL.
"""

import weakref

from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from training.extensions import db

HELD_LOCKS = "held_row_locks"


def lock_row(model, row_id: int):
    """Load one row with a write lock held until the transaction ends (None if missing).

    The row's columns are read afresh under the lock. Relationships already loaded are kept
    (a run's course, room and sessions, read before the lock for the texts the request
    writes): the rules decide on the row itself and on what they count under the lock, and
    the fewer statements between lock and commit, the shorter everyone else's wait. A row the
    transaction has already locked is not read again: nobody else can have changed it."""
    session = db.session()
    held = _held_locks(session)
    if (model, row_id) in held:
        row = session.get(model, row_id)
        if row is not None:
            return row
    table = model.__table__
    # FOR NO KEY UPDATE: excludes every other locker as FOR UPDATE would, but lets others
    # insert rows that point at this one (a message naming the run, say); their foreign-key
    # checks take KEY SHARE, which FOR UPDATE blocks, turning a wait into a deadlock.
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is None:
        row = session.execute(
            select(model).where(table.c.id == row_id).with_for_update(key_share=True)
        ).scalar_one_or_none()
    else:
        values = (
            session.execute(
                select(table).where(table.c.id == row_id).with_for_update(key_share=True)
            )
            .mappings()
            .one_or_none()
        )
        row = None if values is None else _refreshed(loaded, values)
    if row is not None:
        _held_locks(session).add((model, row_id))
    return row


def _refreshed(row, values):
    for attribute in inspect(type(row)).column_attrs:
        set_committed_value(row, attribute.key, values[attribute.columns[0]])
    return row


def _held_locks(session) -> set:
    # Kept for the innermost transaction only: a savepoint rolled back releases the locks
    # taken inside it, so after it (or in a new transaction) rows are locked and read again.
    transaction = session.get_nested_transaction() or session.get_transaction()
    mark = session.info.get(HELD_LOCKS)
    if mark is None or mark[0]() is not transaction:
        mark = (weakref.ref(transaction) if transaction is not None else lambda: None, set())
        session.info[HELD_LOCKS] = mark
    return mark[1]
