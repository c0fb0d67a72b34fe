"""outbox messages, contact preferences, anonymized people

Revision ID: 40633173ae00
Revises: 6b3187eeb720
Create Date: 2026-11-30 19:47:11.148624

"""
from alembic import op
import sqlalchemy as sa

from training.database import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = '40633173ae00'
down_revision = '6b3187eeb720'
branch_labels = None
depends_on = None

PEOPLE_CHECKS = (
    ('identified',
     'anonymized_at IS NOT NULL OR (phone IS NOT NULL AND birth_year IS NOT NULL)'),
    ('locale', "locale IN ('ko', 'en')"),
)


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'email', 'call', name='outbox_channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('is_urgent', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', 'cancelled', name='outbox_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('dedupe_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'sending') = (claimed_at IS NOT NULL)", name=op.f('ck_outbox_messages_claimed')),
    sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name=op.f('ck_outbox_messages_sent_at')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_messages_attempts')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['people.id'], name=op.f('fk_outbox_messages_handled_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_outbox_messages_person_id_people'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['run_id'], ['course_runs.id'], name=op.f('fk_outbox_messages_run_id_course_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_messages_dedupe_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_outbox_messages_due', ['next_attempt_at'], unique=False, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.create_index(batch_op.f('ix_outbox_messages_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('age_band', sa.String(length=20), nullable=True))

    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('people', recreate=_recreate()) as batch_op:
            batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
            batch_op.add_column(sa.Column('locale', sa.String(length=5), server_default='ko', nullable=False))
            batch_op.add_column(sa.Column('message_channel', sa.Enum('sms', 'email', 'none', name='message_channel', native_enum=False, create_constraint=True), server_default='sms', nullable=False))
            batch_op.add_column(sa.Column('anonymized_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('age_band', sa.String(length=20), nullable=True))
            batch_op.alter_column('phone', existing_type=sa.VARCHAR(length=11), nullable=True)
            batch_op.alter_column('birth_year', existing_type=sa.INTEGER(), nullable=True)
            for name, condition in PEOPLE_CHECKS:
                batch_op.create_check_constraint(name, condition)


def downgrade():
    # Anonymized people cannot go back to a schema that requires a phone and a birth year.
    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table('people', recreate=_recreate()) as batch_op:
            for name in (*(name for name, _condition in PEOPLE_CHECKS), 'message_channel'):
                # A full name: the naming convention would prefix it again.
                batch_op.drop_constraint(op.f(f'ck_people_{name}'), type_='check')
            batch_op.alter_column('birth_year', existing_type=sa.INTEGER(), nullable=False)
            batch_op.alter_column('phone', existing_type=sa.VARCHAR(length=11), nullable=False)
            batch_op.drop_column('age_band')
            batch_op.drop_column('anonymized_at')
            batch_op.drop_column('message_channel')
            batch_op.drop_column('locale')
            batch_op.drop_column('email')

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_column('age_band')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_run_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_person_id'))
        batch_op.drop_index('ix_outbox_messages_due', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_created_at'))

    op.drop_table('outbox_messages')


def _recreate():
    # SQLite cannot add a CHECK constraint to a table: the table is rebuilt instead.
    return 'always' if op.get_bind().dialect.name == 'sqlite' else 'auto'
