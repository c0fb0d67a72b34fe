"""Enroll in a run, cancel, and "my page"."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training.catalog.models import CourseRun
from training.clock import utcnow
from training.enrollment import bp
from training.enrollment.feedback import cancel_and_report, enrolled_message
from training.enrollment.models import Channel, Enrollment
from training.enrollment.services import (
    EnrollmentError,
    enroll_person,
    enrollments_of,
)
from training.extensions import db, limiter
from training.forms import ConfirmForm
from training.notifications import mark_notifications_read, unread_notifications


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
