"""Every model, imported so that the metadata knows all tables."""

from training.accounts.models import AuthSession, Person
from training.audit.models import AuditEntry
from training.catalog.models import Closure, Course, CourseRun, Room, Session, Venue
from training.certificates.models import Certificate, CertificateCounter
from training.checkin.models import Attendance, SelfCheckInFailures
from training.enrollment.models import Enrollment
from training.notifications.models import Notification
from training.outbox.models import OutboxMessage
from training.stats.models import Plan

__all__ = [
    "Attendance",
    "AuditEntry",
    "AuthSession",
    "Certificate",
    "CertificateCounter",
    "Closure",
    "Course",
    "CourseRun",
    "Enrollment",
    "Notification",
    "OutboxMessage",
    "Person",
    "Plan",
    "Room",
    "SelfCheckInFailures",
    "Session",
    "Venue",
]
