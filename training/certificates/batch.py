"""Issuing and printing certificates in bulk (the `flask certificates` command)."""

from collections.abc import Callable, Iterator

from sqlalchemy import select

from training.catalog.models import CourseRun
from training.certificates.documents import (
    certificate_data,
    certificate_font,
    certificates_query,
    load_certificates,
)
from training.certificates.models import Certificate
from training.certificates.pdf import CertificateData, write_certificates_pdf
from training.certificates.services import issue_certificate
from training.clock import month_bounds, parse_month
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db
from training.rows import get_row

CHUNK = 200


class BatchError(Exception):
    """The batch cannot be made; the message says why."""


def runs_for(run_id: int | None, month: str | None) -> list[CourseRun]:
    """The run named, or every run that ended in the month."""
    if run_id is not None:
        run = get_row(CourseRun, run_id)
        if run is None:
            raise BatchError(f"No run has id {run_id}.")
        return [run]
    first_day = parse_month(month)
    if first_day is None:
        raise BatchError("--month must look like 2022-08.")
    first, last = month_bounds(first_day)
    return db.session.scalars(
        select(CourseRun)
        .where(CourseRun.ends_on >= first, CourseRun.ends_on <= last)
        .order_by(CourseRun.ends_on, CourseRun.id)
    ).all()


def issue_batch(
    *,
    run_id: int | None,
    month: str | None,
    progress: Callable[[int], None],
    set_length: Callable[[int], None],
) -> list[int]:
    """Issue a certificate to every completed trainee of the runs (those who have one keep
    it); returns the ids of the valid certificates, in serial order."""
    runs = runs_for(run_id, month)
    completed = db.session.scalars(
        select(Enrollment)
        .where(
            Enrollment.run_id.in_([run.id for run in runs]),
            Enrollment.status == EnrollmentStatus.CONFIRMED,
            Enrollment.completed_at.is_not(None),
        )
        .order_by(Enrollment.run_id, Enrollment.id)
    ).all()
    set_length(len(completed))
    for enrollment in completed:
        issue_certificate(enrollment, actor=None)
        progress(1)
    return db.session.scalars(
        select(Certificate.id)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Enrollment.id.in_([e.id for e in completed]), Certificate.revoked_at.is_(None))
        .order_by(Certificate.year, Certificate.number)
    ).all()


def _pages(certificate_ids: list[int]) -> Iterator[CertificateData]:
    """Certificates loaded a chunk at a time, so that memory stays flat."""
    for start in range(0, len(certificate_ids), CHUNK):
        chunk = certificate_ids[start : start + CHUNK]
        certificates = load_certificates(
            certificates_query()
            .where(Certificate.id.in_(chunk))
            .order_by(Certificate.year, Certificate.number)
        )
        pages = [certificate_data(c) for c in certificates]
        db.session.expunge_all()
        yield from pages


def write_batch(certificate_ids: list[int], handle, *, progress: Callable[[int], None]) -> int:
    """Write the certificates into one PDF as they are drawn."""
    return write_certificates_pdf(
        _pages(certificate_ids),
        handle,
        font_name=certificate_font(),
        progress=lambda count: progress(1),
    )
