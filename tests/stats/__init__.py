"""Statistics: the services, the page, the charts, the exports, the CLI and the attendance sheet.

``build_programme`` makes a small hand-made programme in March-April 2022 whose figures are
known by heart: residents 2 runs / 2 people, staff 1 run / 1 person, 3 courses."""

from datetime import date

from training.accounts.models import Role
from training.catalog.models import Audience
from training.checkin.models import ATTENDED_STATUSES, Attendance, AttendanceStatus
from training.enrollment.models import EnrollmentStatus

RESIDENT_LINE = "구민 정보화교육 운영 - 교육횟수/인원: 2회 / 2명"
STAFF_LINE = "직원 정보화교육 운영 - 교육횟수/인원: 1회 / 1명"
COURSES_LINE = "교육과정: 3개 과정"


def attendance(session, enrollment, status: AttendanceStatus) -> Attendance:
    """A mark as the door records it: present and late carry the moment of check-in."""
    return Attendance(
        session_id=session.id,
        enrollment_id=enrollment.id,
        status=status,
        checked_in_at=session.starts_at if status in ATTENDED_STATUSES else None,
    )


def mark(db, run, enrollment, statuses) -> None:
    """One attendance mark per session of the run, in session order."""
    sessions = sorted(run.sessions, key=lambda s: s.starts_at)
    for session, status in zip(sessions, statuses, strict=True):
        db.session.add(attendance(session, enrollment, status))


def build_programme(db, make_run, make_person, make_enrollment) -> dict:
    """Two resident runs (one person in both, one cancelled enrollment) and one staff run."""
    present, absent = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT
    kim = make_person(name="김하나", birth_year=1955, dong="문래동")
    lee = make_person(name="이두리", birth_year=1985, dong="대림3동")
    park = make_person(name="박세나", birth_year=1970, dong="대림3동")
    officer = make_person(name="최주무", role=Role.STAFF)

    phone = make_run(starts_on=date(2022, 3, 7), sessions=2, title="스마트폰 기초")
    mark(db, phone, make_enrollment(phone, kim), [present, present])
    mark(db, phone, make_enrollment(phone, lee), [present, absent])

    kiosk = make_run(starts_on=date(2022, 4, 4), sessions=3, title="키오스크 활용")
    mark(db, kiosk, make_enrollment(kiosk, kim), [present, absent, present])
    make_enrollment(kiosk, park, status=EnrollmentStatus.CANCELLED)

    staff_run = make_run(
        starts_on=date(2022, 4, 11), sessions=1, audience=Audience.STAFF, title="직원 데이터 분석"
    )
    mark(db, staff_run, make_enrollment(staff_run, officer), [present])
    db.session.commit()
    return {"phone": phone, "kiosk": kiosk, "staff_run": staff_run}
