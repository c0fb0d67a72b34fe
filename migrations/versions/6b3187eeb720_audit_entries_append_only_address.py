"""audit entries: append-only (triggers refuse UPDATE and DELETE), client address, actors RESTRICT

Revision ID: 6b3187eeb720
Revises: 0b819b1210f4
Create Date: 2026-11-30 19:05:00.000000

"""
from alembic import op
import sqlalchemy as sa

from training.database import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = '6b3187eeb720'
down_revision = '0b819b1210f4'
branch_labels = None
depends_on = None

FOREIGN_KEY = 'fk_audit_entries_actor_id_people'

SQLITE_TRIGGERS = (
    ('audit_entries_no_update',
     "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
     "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END"),
    ('audit_entries_no_delete',
     "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
     "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END"),
)
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit entries cannot be changed or deleted'; END $$"
)
POSTGRESQL_TRIGGER = (
    "CREATE TRIGGER audit_entries_refuse_change BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()"
)


def upgrade():
    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('audit_entries') as batch_op:
            batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=True))
            batch_op.drop_constraint(op.f(FOREIGN_KEY), type_='foreignkey')
            batch_op.create_foreign_key(
                op.f(FOREIGN_KEY), 'people', ['actor_id'], ['id'], ondelete='RESTRICT'
            )
    # After the rebuild: SQLite drops a table's triggers with the table.
    if _is_sqlite():
        for _name, statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)


def downgrade():
    if _is_sqlite():
        for name, _statement in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER {name}')
    else:
        op.execute('DROP TRIGGER audit_entries_refuse_change ON audit_entries')
        op.execute('DROP FUNCTION audit_entries_refuse_change()')
    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('audit_entries') as batch_op:
            batch_op.drop_constraint(op.f(FOREIGN_KEY), type_='foreignkey')
            batch_op.create_foreign_key(
                op.f(FOREIGN_KEY), 'people', ['actor_id'], ['id'], ondelete='SET NULL'
            )
            batch_op.drop_column('address')


def _is_sqlite():
    return op.get_bind().dialect.name == 'sqlite'
