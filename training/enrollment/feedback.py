"""What the resident's pages and the desk tell people after they enroll or cancel."""

from flask_babel import gettext as _

from training.enrollment.models import Enrollment, EnrollmentStatus
from training.enrollment.services import cancel_enrollment
from training.web import commit_and_flash


def enrolled_message(enrollment: Enrollment) -> str:
    """What a person is told right after enrolling."""
    if enrollment.status is EnrollmentStatus.CONFIRMED:
        return _("수강이 확정되었습니다.")
    if enrollment.status is EnrollmentStatus.WAITLISTED:
        return _(
            "자리가 모두 찼습니다. 대기 %(position)d번으로 등록되었습니다. "
            "취소하는 분이 생기면 순서대로 자동 확정됩니다.",
            position=enrollment.waitlist_position,
        )
    return _("추첨 신청이 접수되었습니다. 신청 기간이 끝나면 추첨 결과를 알려 드립니다.")


def cancel_and_report(enrollment: Enrollment, actor) -> None:
    """Cancel, commit and flash the outcome (a refusal changes nothing)."""
    commit_and_flash(lambda: cancel_enrollment(enrollment, actor=actor), _("신청을 취소했습니다."))
