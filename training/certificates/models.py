"""Completion certificates (수료증) and the per-year serial counter."""

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from training.clock import utcnow
from training.db_types import UTCDateTime
from training.enrollment.models import Enrollment
from training.extensions import db

# Letters and digits that cannot be misread for one another on paper (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
CHECK_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CHECK_CODE_LENGTH = 8


def new_check_code() -> str:
    """A random check code: 8 of 25 symbols, about 37 bits, too many to guess online."""
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH))


class CertificateCounter(db.Model):
    """The last serial number given out in a year; its row is locked while issuing."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_certificates_year_number"),
        # Verification shows why a certificate was revoked: no revocation without a reason.
        CheckConstraint(
            "(revoked_at IS NULL AND revoked_reason IS NULL)"
            " OR (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)",
            name="revoked_reason",
        ),
        CheckConstraint("revoked_by_id IS NULL OR revoked_at IS NOT NULL", name="revoked_by"),
        CheckConstraint(
            "(reissue_count = 0 AND last_reissued_at IS NULL)"
            " OR (reissue_count > 0 AND last_reissued_at IS NOT NULL)",
            name="reissued",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    # Printed beside the QR and carried in the verification address: serials run in order,
    # so a serial alone must not show whose certificate it is.
    check_code: Mapped[str] = mapped_column(String(12), default=new_check_code)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="RESTRICT"), unique=True
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reissue_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reissued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    revoked_reason: Mapped[str | None] = mapped_column(String(200))

    enrollment: Mapped[Enrollment] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
