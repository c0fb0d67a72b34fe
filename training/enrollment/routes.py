"""Enroll in a run, cancel, and "my page"."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training.catalog.models import CourseRun
from training.clock import utcnow
from training.enrollment import bp
from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
from training.enrollment.services import (
    EnrollmentError,
    cancel_enrollment,
    enroll_person,
    enrollments_of,
)
from training.extensions import db, limiter
from training.forms import ConfirmForm
from training.notifications import mark_notifications_read, unread_notifications
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


@bp.route("/runs/<int:run_id>/enroll", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROLL"])
def enroll(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        enrollment = enroll_person(run, current_user, channel=Channel.WEB)
    except EnrollmentError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("catalog.run_detail", run_id=run_id))
    message = enrolled_message(enrollment)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("enrollment.my_page"))


@bp.route("/me")
@login_required
def my_page():
    return render_template(
        "enrollment/me.html",
        enrollments=enrollments_of(current_user),
        notifications=unread_notifications(current_user),
        form=ConfirmForm(),
        now=utcnow(),
    )


@bp.route("/me/notifications/read", methods=["POST"])
@login_required
def read_notifications():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_notifications_read(current_user, now=utcnow())
    db.session.commit()
    return redirect(url_for("enrollment.my_page"))


@bp.route("/me/enrollments/<int:enrollment_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(enrollment_id: int):
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    if enrollment.person_id != current_user.id:
        abort(404)
    form = ConfirmForm()
    if request.method == "GET" or not enrollment.is_active:
        if not enrollment.is_active:
            flash(_("이미 취소된 신청입니다."), "info")
            return redirect(url_for("enrollment.my_page"))
        return render_template("enrollment/cancel.html", enrollment=enrollment, form=form)
    if not form.validate_on_submit():
        abort(400)
    cancel_and_report(enrollment, actor=current_user)
    return redirect(url_for("enrollment.my_page"))


def cancel_and_report(enrollment: Enrollment, actor) -> None:
    """Cancel, commit and flash the outcome (a refusal changes nothing)."""
    commit_and_flash(lambda: cancel_enrollment(enrollment, actor=actor), _("신청을 취소했습니다."))
