"""The audit trail: who did what to which record, when, and from which address."""

from datetime import datetime

from sqlalchemy import DDL, JSON, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.clock import utcnow
from training.db_types import UTCDateTime
from training.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # People are anonymized, never deleted: an entry keeps pointing at its actor.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    actor = relationship("Person")


# Entries are evidence: the database itself refuses to change or remove one, whatever the
# code above it does. The migration creates the same triggers.
SQLITE_TRIGGERS = {
    "audit_entries_no_update": (
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END"
    ),
    "audit_entries_no_delete": (
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END"
    ),
}
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit entries cannot be changed or deleted'; END $$"
)
POSTGRESQL_TRIGGER = (
    "CREATE TRIGGER audit_entries_refuse_change BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()"
)

for _statement in SQLITE_TRIGGERS.values():
    event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in (POSTGRESQL_FUNCTION, POSTGRESQL_TRIGGER):
    event.listen(
        AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
