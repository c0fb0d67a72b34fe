"""Row ids as the database stores them: an id past the integer range names no row."""

from training.extensions import db

# PostgreSQL's INTEGER, the type of every primary key.
MAX_ROW_ID = 2**31 - 1


def get_row(model, row_id: int, *, options=()):
    """The row with this id, or None (also for an id no row can have); ``options`` are loader
    options for what to load with it."""
    if not 0 < row_id <= MAX_ROW_ID:
        return None
    return db.session.get(model, row_id, options=options)
