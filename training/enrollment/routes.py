"""The catalogue with its seats, enrolling, cancelling, and "my page"."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training.catalog.forms import CatalogFilterForm
from training.catalog.models import Audience, Category, Delivery, Level
from training.catalog.services import RunFilters, list_venues, months_with_runs
from training.clock import parse_month, utcnow
from training.enrollment import bp
from training.enrollment.feedback import cancel_and_report, enrolled_message
from training.enrollment.listings import get_run_listing, list_runs
from training.enrollment.models import Channel, Enrollment
from training.enrollment.services import (
    EnrollmentError,
    active_enrollment_in,
    cancel_refusal,
    enroll_person,
    enrollments_of,
    run_counts,
    run_to_enroll,
)
from training.extensions import db, limiter
from training.forms import ConfirmForm
from training.notifications import mark_notifications_read, unread_notifications


@bp.route("/")
def catalogue():
    now = utcnow()
    form = CatalogFilterForm(request.args)
    months = [f"{month:%Y-%m}" for month in months_with_runs(now)]
    form.fill_choices(list_venues(), months)
    filters = RunFilters(upcoming_only=True)
    if form.validate():
        data = form.data
        filters.month = parse_month(data["month"])
        if data["venue"]:
            filters.venue_id = int(data["venue"])
        filters.category = Category(data["category"]) if data["category"] else None
        filters.level = Level(data["level"]) if data["level"] else None
        filters.audience = Audience(data["audience"]) if data["audience"] else None
        filters.delivery = Delivery(data["delivery"]) if data["delivery"] else None
        filters.has_seats = bool(data["has_seats"])
    listings = list_runs(filters, now=now)
    return render_template("enrollment/catalogue.html", form=form, listings=listings, now=now)


@bp.route("/runs/<int:run_id>")
def run_detail(run_id: int):
    listing = get_run_listing(run_id)
    if listing is None:
        abort(404)
    mine = None
    if current_user.is_authenticated:
        mine = active_enrollment_in(listing.run, current_user)
    return render_template("enrollment/run.html", listing=listing, mine=mine, now=utcnow())


@bp.route("/runs/<int:run_id>/enroll", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROLL"])
def enroll(run_id: int):
    run = run_to_enroll(run_id)
    if run is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        enrollment = enroll_person(run, current_user, channel=Channel.WEB)
    except EnrollmentError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("enrollment.run_detail", run_id=run_id))
    message = enrolled_message(enrollment)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("enrollment.my_page"))


@bp.route("/me")
@login_required
def my_page():
    now = utcnow()
    enrollments = enrollments_of(current_user)
    refusals = {
        enrollment.id: cancel_refusal(enrollment, actor=current_user, now=now)
        for enrollment in enrollments
        if enrollment.is_active
    }
    return render_template(
        "enrollment/me.html",
        enrollments=enrollments,
        cancel_refusals=refusals,
        notifications=unread_notifications(current_user),
        form=ConfirmForm(),
        now=now,
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
        run = enrollment.run
        return render_template(
            "enrollment/cancel.html",
            enrollment=enrollment,
            form=form,
            refusal=cancel_refusal(enrollment, actor=current_user, now=utcnow()),
            venue=run.room.venue if run.room is not None else None,
            waiting=run_counts(run).waitlisted,
        )
    if not form.validate_on_submit():
        abort(400)
    cancel_and_report(enrollment, actor=current_user)
    return redirect(url_for("enrollment.my_page"))
