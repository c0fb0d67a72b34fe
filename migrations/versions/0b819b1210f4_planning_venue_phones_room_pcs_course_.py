"""planning: venue phones, room PCs, course defaults, run cancellation, closures, set-up codes

Revision ID: 0b819b1210f4
Revises: b3ee994b9064
Create Date: 2026-11-30 17:54:34.475007

"""
from alembic import op
import sqlalchemy as sa

from training.database import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = '0b819b1210f4'
down_revision = 'b3ee994b9064'
branch_labels = None
depends_on = None

EVERYWHERE = sa.text('venue_id IS NULL')

# (table, name, condition)
CHECKS = (
    ('rooms', 'pcs', 'pcs IS NULL OR pcs >= 0'),
    ('courses', 'hours', 'hours IS NULL OR hours > 0'),
    ('courses', 'completion_threshold', 'completion_threshold BETWEEN 1 AND 100'),
    ('courses', 'lates_per_absence', 'lates_per_absence >= 0'),
    ('course_runs', 'cancelled',
     '(cancelled_at IS NULL AND cancel_reason IS NULL)'
     ' OR (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)'),
    ('course_runs', 'cancelled_by', 'cancelled_by_id IS NULL OR cancelled_at IS NOT NULL'),
    ('people', 'setup_code', '(setup_code_hash IS NULL) = (setup_code_expires_at IS NULL)'),
)


def upgrade():
    op.create_table(
        'closures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('venue_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_closures_created_by_id_people'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_closures_venue_id_venues'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_closures')),
        sa.UniqueConstraint('day', 'venue_id', name='uq_closures_day_venue'),
    )
    with op.batch_alter_table('closures') as batch_op:
        batch_op.create_index(batch_op.f('ix_closures_day'), ['day'], unique=False)
        batch_op.create_index('uq_closures_day_everywhere', ['day'], unique=True, sqlite_where=EVERYWHERE, postgresql_where=EVERYWHERE)

    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('venues') as batch_op:
            batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        with op.batch_alter_table('rooms', recreate=_recreate()) as batch_op:
            batch_op.add_column(sa.Column('pcs', sa.Integer(), nullable=True))
            _add_checks(batch_op, 'rooms')
        with op.batch_alter_table('courses', recreate=_recreate()) as batch_op:
            batch_op.add_column(sa.Column('hours', sa.Float(), nullable=True))
            batch_op.add_column(sa.Column('completion_threshold', sa.Integer(), server_default='80', nullable=False))
            batch_op.add_column(sa.Column('is_late_attended', sa.Boolean(), server_default='1', nullable=False))
            batch_op.add_column(sa.Column('lates_per_absence', sa.Integer(), server_default='0', nullable=False))
            batch_op.add_column(sa.Column('is_excused_left_out', sa.Boolean(), server_default='1', nullable=False))
            batch_op.add_column(sa.Column('is_archived', sa.Boolean(), server_default='0', nullable=False))
            _add_checks(batch_op, 'courses')
        with op.batch_alter_table('course_runs', recreate=_recreate()) as batch_op:
            batch_op.add_column(sa.Column('is_district_only', sa.Boolean(), server_default='1', nullable=False))
            batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_course_runs_cancelled_by_id_people'), 'people', ['cancelled_by_id'], ['id'], ondelete='SET NULL')
            _add_checks(batch_op, 'course_runs')
        with op.batch_alter_table('people', recreate=_recreate()) as batch_op:
            batch_op.add_column(sa.Column('setup_code_hash', sa.String(length=255), nullable=True))
            batch_op.add_column(sa.Column('setup_code_expires_at', sa.DateTime(timezone=True), nullable=True))
            _add_checks(batch_op, 'people')


def downgrade():
    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('people', recreate=_recreate()) as batch_op:
            _drop_checks(batch_op, 'people')
            batch_op.drop_column('setup_code_expires_at')
            batch_op.drop_column('setup_code_hash')
        with op.batch_alter_table('course_runs', recreate=_recreate()) as batch_op:
            _drop_checks(batch_op, 'course_runs')
            batch_op.drop_constraint(batch_op.f('fk_course_runs_cancelled_by_id_people'), type_='foreignkey')
            batch_op.drop_column('cancel_reason')
            batch_op.drop_column('cancelled_by_id')
            batch_op.drop_column('cancelled_at')
            batch_op.drop_column('is_district_only')
        with op.batch_alter_table('courses', recreate=_recreate()) as batch_op:
            _drop_checks(batch_op, 'courses')
            for column in ('is_archived', 'is_excused_left_out', 'lates_per_absence',
                           'is_late_attended', 'completion_threshold', 'hours'):
                batch_op.drop_column(column)
        with op.batch_alter_table('rooms', recreate=_recreate()) as batch_op:
            _drop_checks(batch_op, 'rooms')
            batch_op.drop_column('pcs')
        with op.batch_alter_table('venues') as batch_op:
            batch_op.drop_column('phone')

    with op.batch_alter_table('closures') as batch_op:
        batch_op.drop_index('uq_closures_day_everywhere', sqlite_where=EVERYWHERE, postgresql_where=EVERYWHERE)
        batch_op.drop_index(batch_op.f('ix_closures_day'))
    op.drop_table('closures')


def _add_checks(batch_op, table):
    for t, name, condition in CHECKS:
        if t == table:
            batch_op.create_check_constraint(name, condition)


def _drop_checks(batch_op, table):
    for t, name, _condition in CHECKS:
        if t == table:
            # A full name: the naming convention would prefix it again.
            batch_op.drop_constraint(op.f(f'ck_{t}_{name}'), type_='check')


def _recreate():
    # SQLite cannot add a CHECK constraint to a table: the table is rebuilt instead.
    return 'always' if op.get_bind().dialect.name == 'sqlite' else 'auto'
