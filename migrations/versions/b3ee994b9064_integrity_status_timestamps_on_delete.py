"""integrity: status timestamps, ON DELETE on every foreign key, indexes for growing queries

Revision ID: b3ee994b9064
Revises: 17ebd58397de
Create Date: 2026-11-30 17:14:11.021977

"""
from alembic import op
import sqlalchemy as sa

from training.database import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = 'b3ee994b9064'
down_revision = '17ebd58397de'
branch_labels = None
depends_on = None

# Tables in the order they are rebuilt; every one has a foreign key that changes.
TABLES = (
    'rooms', 'people', 'course_runs', 'sessions', 'enrollments', 'attendances',
    'certificates', 'notifications', 'audit_entries',
)

# (table, column, referred table, ON DELETE): records of what happened are RESTRICT, the
# people who did something are SET NULL, pure children go with their parent (CASCADE).
FOREIGN_KEYS = (
    ('rooms', 'venue_id', 'venues', 'CASCADE'),
    ('people', 'created_by_id', 'people', 'SET NULL'),
    ('people', 'barred_run_id', 'course_runs', 'SET NULL'),
    ('course_runs', 'course_id', 'courses', 'RESTRICT'),
    ('course_runs', 'room_id', 'rooms', 'RESTRICT'),
    ('course_runs', 'instructor_id', 'people', 'SET NULL'),
    ('course_runs', 'lottery_drawn_by_id', 'people', 'SET NULL'),
    ('sessions', 'run_id', 'course_runs', 'CASCADE'),
    ('sessions', 'closed_by_id', 'people', 'SET NULL'),
    ('enrollments', 'run_id', 'course_runs', 'RESTRICT'),
    ('enrollments', 'person_id', 'people', 'RESTRICT'),
    ('enrollments', 'created_by_id', 'people', 'SET NULL'),
    ('enrollments', 'cancelled_by_id', 'people', 'SET NULL'),
    ('attendances', 'session_id', 'sessions', 'RESTRICT'),
    ('attendances', 'enrollment_id', 'enrollments', 'RESTRICT'),
    ('attendances', 'recorded_by_id', 'people', 'SET NULL'),
    ('certificates', 'enrollment_id', 'enrollments', 'RESTRICT'),
    ('certificates', 'issued_by_id', 'people', 'SET NULL'),
    ('certificates', 'revoked_by_id', 'people', 'SET NULL'),
    ('notifications', 'person_id', 'people', 'CASCADE'),
    ('audit_entries', 'actor_id', 'people', 'SET NULL'),
)

# (table, name, condition): each status and the timestamp that records it.
CHECKS = (
    ('course_runs', 'lottery_drawn',
     "(lottery_drawn_at IS NULL AND lottery_seed IS NULL)"
     " OR (lottery_drawn_at IS NOT NULL AND lottery_seed IS NOT NULL"
     " AND selection = 'lottery')"),
    ('course_runs', 'lottery_drawn_by', 'lottery_drawn_by_id IS NULL OR lottery_drawn_at IS NOT NULL'),
    ('sessions', 'closed_by', 'closed_by_id IS NULL OR closed_at IS NOT NULL'),
    ('enrollments', 'confirmed_at', "status <> 'confirmed' OR confirmed_at IS NOT NULL"),
    ('enrollments', 'cancelled_at',
     "(status = 'cancelled' AND cancelled_at IS NOT NULL)"
     " OR (status <> 'cancelled' AND cancelled_at IS NULL)"),
    ('enrollments', 'cancelled_by', 'cancelled_by_id IS NULL OR cancelled_at IS NOT NULL'),
    ('attendances', 'checked_in_at', "status NOT IN ('present', 'late') OR checked_in_at IS NOT NULL"),
    ('certificates', 'revoked_reason',
     "(revoked_at IS NULL AND revoked_reason IS NULL)"
     " OR (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)"),
    ('certificates', 'revoked_by', 'revoked_by_id IS NULL OR revoked_at IS NOT NULL'),
    ('certificates', 'reissued',
     "(reissue_count = 0 AND last_reissued_at IS NULL)"
     " OR (reissue_count > 0 AND last_reissued_at IS NOT NULL)"),
)

UNREAD = sa.text('read_at IS NULL')


def upgrade():
    with sqlite_foreign_keys_off(op.get_bind()):
        for table in TABLES:
            with op.batch_alter_table(table, recreate=_recreate()) as batch_op:
                for column, referred, ondelete in _foreign_keys(table):
                    name = op.f(f'fk_{table}_{column}_{referred}')
                    batch_op.drop_constraint(name, type_='foreignkey')
                    batch_op.create_foreign_key(
                        name, referred, [column], ['id'], ondelete=ondelete,
                        use_alter=(table, column) == ('people', 'barred_run_id'),
                    )
                for name, condition in _checks(table):
                    batch_op.create_check_constraint(name, condition)
                if table == 'course_runs':
                    batch_op.create_index('ix_course_runs_instructor_id', ['instructor_id'])
                elif table == 'enrollments':
                    # The (run_id, status) index serves lookups by run alone as well.
                    batch_op.drop_index('ix_enrollments_run_id')
                    batch_op.create_index('ix_enrollments_run_id_status', ['run_id', 'status'])
                elif table == 'notifications':
                    batch_op.create_index(
                        'ix_notifications_unread', ['person_id', 'created_at'],
                        sqlite_where=UNREAD, postgresql_where=UNREAD,
                    )
                elif table == 'audit_entries':
                    batch_op.create_index(
                        'ix_audit_entries_subject', ['subject_type', 'subject_id']
                    )


def downgrade():
    with sqlite_foreign_keys_off(op.get_bind()):
        for table in reversed(TABLES):
            with op.batch_alter_table(table, recreate=_recreate()) as batch_op:
                if table == 'audit_entries':
                    batch_op.drop_index('ix_audit_entries_subject')
                elif table == 'notifications':
                    batch_op.drop_index(
                        'ix_notifications_unread', sqlite_where=UNREAD, postgresql_where=UNREAD
                    )
                elif table == 'enrollments':
                    batch_op.drop_index('ix_enrollments_run_id_status')
                    batch_op.create_index('ix_enrollments_run_id', ['run_id'])
                elif table == 'course_runs':
                    batch_op.drop_index('ix_course_runs_instructor_id')
                for name, _condition in _checks(table):
                    # A full name: the naming convention would prefix it again.
                    batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
                for column, referred, _ondelete in _foreign_keys(table):
                    name = op.f(f'fk_{table}_{column}_{referred}')
                    batch_op.drop_constraint(name, type_='foreignkey')
                    batch_op.create_foreign_key(
                        name, referred, [column], ['id'],
                        use_alter=(table, column) == ('people', 'barred_run_id'),
                    )


def _foreign_keys(table):
    return [(column, referred, ondelete) for t, column, referred, ondelete in FOREIGN_KEYS if t == table]


def _checks(table):
    return [(name, condition) for t, name, condition in CHECKS if t == table]


def _recreate():
    # SQLite cannot add a CHECK constraint to a table: the table is rebuilt instead.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"
