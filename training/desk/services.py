"""What the desk reads: a run's enrollments grouped by status."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from training.enrollment.models import Enrollment, EnrollmentStatus
from training.extensions import db


def enrollments_by_status(run_id: int) -> dict[str, list[Enrollment]]:
    """Every enrollment of the run by status value: the waiting list in order, the rest in
    the order they came."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run_id)
        .options(joinedload(Enrollment.person))
        .order_by(Enrollment.waitlist_position.nulls_first(), Enrollment.created_at)
    ).all()
    groups = {status.value: [] for status in EnrollmentStatus}
    for enrollment in enrollments:
        groups[enrollment.status.value].append(enrollment)
    return groups
