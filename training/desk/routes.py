"""Staff desk pages."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from training import audit
from training.accounts.models import ConsentMethod, Person, Role
from training.accounts.passwords import format_setup_code, issue_setup_code
from training.accounts.services import (
    AccountError,
    create_person,
    find_by_phone,
    normalize_phone,
    search_people,
)
from training.catalog.models import CourseRun
from training.checkin.noshow import lift_bar
from training.clock import utcnow
from training.database import writes_on_read
from training.desk import bp
from training.desk.forms import DeskCancelForm, DeskDrawForm, DeskEnrollForm, DeskNewPersonForm
from training.desk.services import desk_runs, enrollments_by_status
from training.enrollment.feedback import enrolled_message
from training.enrollment.listings import get_run_listing
from training.enrollment.models import Channel, Enrollment
from training.enrollment.services import (
    EnrollmentError,
    cancel_enrollment,
    cancel_refusal,
    draw_lottery,
    enroll_person,
    has_started,
    run_counts,
)
from training.extensions import db
from training.fonts import font_warning
from training.forms import ConfirmForm
from training.permissions import staff_required
from training.web import commit_and_flash


@bp.route("/")
@staff_required
def runs():
    ended = request.args.get("view") == "ended"
    query = (request.args.get("q") or "").strip()[:60]
    now = utcnow()
    found = desk_runs(ended=ended, now=now, query=query, page=request.args.get("page", 1, type=int))
    return render_template(
        "desk/runs.html",
        found=found,
        ended=ended,
        query=query,
        now=now,
        font_problem=font_warning(current_app.config),
    )


def _render_run(run_id: int, enroll_form=None, new_person_form=None, status=200):
    listing = get_run_listing(run_id)
    if listing is None:
        abort(404)
    groups = enrollments_by_status(run_id)
    people = sum(len(group) for group in groups.values())
    audit.record_view(current_user, "roster.view", listing.run, people=people)
    db.session.commit()
    return render_template(
        "desk/run.html",
        listing=listing,
        groups=groups,
        enroll_form=enroll_form or DeskEnrollForm(formdata=None),
        new_person_form=new_person_form or DeskNewPersonForm(formdata=None),
        now=utcnow(),
    ), status


@bp.route("/runs/<int:run_id>")
@staff_required
@writes_on_read
def run_roster(run_id: int):
    return _render_run(run_id)


def _enroll_at_desk(run: CourseRun, person) -> None:
    """Enroll and commit; a refusal is flashed and keeps what came before (a person just
    registered stays registered)."""
    try:
        with db.session.begin_nested():
            enrollment = enroll_person(run, person, actor=current_user, channel=Channel.DESK)
    except EnrollmentError as error:
        db.session.commit()
        flash(_("%(name)s님: %(message)s", name=person.name, message=error.message), "error")
        return
    message = enrolled_message(enrollment)
    db.session.commit()
    flash(_("%(name)s님: %(message)s", name=person.name, message=message), "success")


@bp.route("/runs/<int:run_id>/enroll", methods=["POST"])
@staff_required
def enroll_existing(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    form = DeskEnrollForm()
    if form.validate_on_submit():
        try:
            person = find_by_phone(normalize_phone(form.phone.data))
        except AccountError as error:
            form.phone.errors.append(error.message)
        else:
            if person is None:
                form.phone.errors.append(
                    _("등록되지 않은 번호입니다. 아래에서 새로 등록해 주세요.")
                )
            else:
                _enroll_at_desk(run, person)
                return redirect(url_for("desk.run_roster", run_id=run_id))
    return _render_run(run_id, enroll_form=form, status=400)


@bp.route("/runs/<int:run_id>/enroll-new", methods=["POST"])
@staff_required
def enroll_new(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    form = DeskNewPersonForm()
    if form.validate_on_submit():
        try:
            person = create_person(
                **form.person_fields(),
                consent_method=ConsentMethod.DESK,
                created_by=current_user,
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            # Registered at the desk, the person has no password yet: the code lets them set one.
            code = issue_setup_code(person, actor=current_user, now=utcnow())
            _enroll_at_desk(run, person)
            return render_template(
                "desk/person_setup_code.html",
                person=person,
                code=format_setup_code(code),
                back=url_for("desk.run_roster", run_id=run_id),
                form=ConfirmForm(),
            ), {"Cache-Control": "private, no-store"}
    return _render_run(run_id, new_person_form=form, status=400)


@bp.route("/runs/<int:run_id>/draw", methods=["GET", "POST"])
@staff_required
def draw(run_id: int):
    listing = get_run_listing(run_id)
    if listing is None:
        abort(404)
    run = listing.run
    form = DeskDrawForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("desk/draw.html", listing=listing, form=form, now=utcnow()), status
    commit_and_flash(
        lambda: draw_lottery(run, actor=current_user, reason=form.reason.data),
        lambda drawn: _(
            "추첨을 마쳤습니다. 신청 %(count)d명, 추첨 번호(시드) %(seed)d.",
            count=len(drawn),
            seed=run.lottery_seed,
        ),
    )
    return redirect(url_for("desk.run_roster", run_id=run_id))


@bp.route("/enrollments/<int:enrollment_id>/cancel", methods=["GET", "POST"])
@staff_required
def cancel(enrollment_id: int):
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    run_id = enrollment.run_id
    name = enrollment.person.name
    form = DeskCancelForm()
    if request.method == "GET" or not form.validate_on_submit():
        now = utcnow()
        refusal = cancel_refusal(enrollment, actor=current_user, now=now)
        if refusal is not None:
            flash(refusal.message, "error")
            return redirect(url_for("desk.run_roster", run_id=run_id))
        return render_template(
            "desk/cancel.html",
            enrollment=enrollment,
            form=form,
            waiting=run_counts(enrollment.run).waitlisted,
            started=has_started(enrollment.run, now),
        ), (400 if request.method == "POST" else 200)
    commit_and_flash(
        lambda: cancel_enrollment(enrollment, actor=current_user, reason=form.reason.data),
        _("%(name)s님의 신청을 취소했습니다.", name=name),
    )
    return redirect(url_for("desk.run_roster", run_id=run_id))


@bp.route("/people")
@staff_required
@writes_on_read
def people():
    query = (request.args.get("q") or "").strip()[:40]
    role = next((r for r in Role if r.value == request.args.get("role")), None)
    searched = bool(query) or role is not None
    found = search_people(query, role=role) if searched else []
    if searched:
        # What was typed is not kept (it may be someone's number), only its kind and whom
        # the search showed.
        audit.record_view(
            current_user,
            "people.search",
            current_user,
            search=_kind_of_search(query),
            role=role.value if role else None,
            found=len(found),
            people=[person.id for person in found],
        )
        db.session.commit()
    return render_template(
        "desk/people.html",
        query=query,
        role=role,
        roles=list(Role),
        searched=searched,
        people=found,
        form=ConfirmForm(),
        now=utcnow(),
    )


def _kind_of_search(query: str) -> str | None:
    """What was searched for: "digits" (of a phone number), "name", or None (a role alone)."""
    if not query:
        return None
    return "digits" if any(character.isdigit() for character in query) else "name"


@bp.route("/people/<int:person_id>/lift-bar", methods=["POST"])
@staff_required
def lift_person_bar(person_id: int):
    person = db.get_or_404(Person, person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    lift_bar(person, actor=current_user)
    db.session.commit()
    flash(_("%(name)s님의 수강신청 제한을 풀었습니다.", name=person.name), "success")
    return redirect(url_for("desk.people", q=person.phone[-4:] if person.phone else person.name))
