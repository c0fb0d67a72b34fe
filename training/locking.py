"""Row locks that serialize the read-then-write rules (seats, waiting lists).

PostgreSQL takes a row lock with SELECT ... FOR UPDATE. SQLite has no row locks; there every
transaction that may write begins with BEGIN IMMEDIATE (see ``training.database``), so a writer
holds the database's write lock before it reads any count, and FOR UPDATE is simply ignored.
"""

from sqlalchemy import select

from training.extensions import db


def lock_row(model, row_id: int):
    """Load one row with a write lock held until the transaction ends (None if missing)."""
    # FOR NO KEY UPDATE: excludes every other locker as FOR UPDATE would, but lets others
    # insert rows that point at this one (a message naming the run, say); their foreign-key
    # checks take KEY SHARE, which FOR UPDATE blocks, turning a wait into a deadlock.
    statement = (
        select(model)
        .where(model.id == row_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return db.session.execute(statement).scalar_one_or_none()
