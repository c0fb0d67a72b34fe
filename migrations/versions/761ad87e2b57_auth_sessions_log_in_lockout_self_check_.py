"""auth sessions, log-in lockout, self check-in failures, certificate check codes

Revision ID: 761ad87e2b57
Revises: 40633173ae00
Create Date: 2026-11-30 23:29:42.033723

"""

import secrets

from alembic import op
import sqlalchemy as sa

from training.database import sqlite_foreign_keys_off


# revision identifiers, used by Alembic.
revision = "761ad87e2b57"
down_revision = "40633173ae00"
branch_labels = None
depends_on = None

# As in training.certificates.models, copied so that this migration never changes.
CHECK_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"


def upgrade():
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("web", "api", name="auth_kind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("auth_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (end_reason IS NULL)", name=op.f("ck_auth_sessions_ended")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_auth_sessions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_auth_sessions_key_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_person_id"), ["person_id"], unique=False)

    op.create_table(
        "self_checkin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_self_checkin_failures_failures")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_self_checkin_failures_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_self_checkin_failures_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_checkin_failures")),
        sa.UniqueConstraint(
            "person_id", "session_id", name="uq_self_checkin_failures_person_session"
        ),
    )
    with op.batch_alter_table("self_checkin_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_checkin_failures_session_id"), ["session_id"], unique=False
        )

    # Certificates printed before check codes existed get one now; their old QR (serial only)
    # then asks for the code, which staff read out when they reprint.
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_code", sa.String(length=12), nullable=True))
    bind = op.get_bind()
    certificates = sa.table(
        "certificates", sa.column("id", sa.Integer), sa.column("check_code", sa.String)
    )
    for (certificate_id,) in bind.execute(sa.select(certificates.c.id)).all():
        bind.execute(
            certificates.update()
            .where(certificates.c.id == certificate_id)
            .values(check_code="".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(8)))
        )
    with sqlite_foreign_keys_off(bind):
        with op.batch_alter_table("certificates", schema=None) as batch_op:
            batch_op.alter_column("check_code", existing_type=sa.String(length=12), nullable=False)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("login_locked_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    # Dropping columns rebuilds people and certificates on SQLite, which other tables point at.
    with sqlite_foreign_keys_off(op.get_bind()):
        with op.batch_alter_table("people", schema=None) as batch_op:
            batch_op.drop_column("login_locked_until")
            batch_op.drop_column("failed_logins")

        with op.batch_alter_table("certificates", schema=None) as batch_op:
            batch_op.drop_column("check_code")

        with op.batch_alter_table("self_checkin_failures", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_self_checkin_failures_session_id"))

        op.drop_table("self_checkin_failures")
        with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_auth_sessions_person_id"))

        op.drop_table("auth_sessions")
