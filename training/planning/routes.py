"""Staff planning pages: each loads what it shows, validates its form and calls one service."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import selectinload

from training.accounts.models import Person, Role
from training.catalog.models import Audience, Closure, Course, CourseRun, Room, Session, Venue
from training.clock import seoul_today, to_seoul, utcnow
from training.enrollment.models import Enrollment, EnrollmentStatus
from training.errors import RuleError
from training.extensions import db
from training.forms import ConfirmForm, select_choices
from training.permissions import staff_required
from training.planning import bp
from training.planning.forms import (
    CancelRunForm,
    ClosureForm,
    CopyTermForm,
    CourseForm,
    NewRunForm,
    PatternForm,
    PlanForm,
    RoomForm,
    RunForm,
    SessionForm,
    VenueForm,
    seoul_moment,
)
from training.planning.scheduling import (
    Pattern,
    add_sessions,
    class_days,
    copy_term,
    move_session,
    remove_session,
)
from training.planning.services import (
    add_closure,
    archive_course,
    cancel_run,
    create_course,
    create_run,
    delete_course,
    remove_closure,
    restore_course,
    save_plan,
    save_room,
    save_venue,
    update_course,
    update_run,
)
from training.stats.models import Plan
from training.web import commit_and_flash

OVERVIEW_LIMIT = 30
RUNS_PAGE_SIZE = 20
HALVES = {"1": (1, 6), "2": (7, 12)}


def _invalid(form) -> int:
    """A form's page answers 400 when a post was refused, 200 when first shown."""
    return 400 if request.method == "POST" else 200


# Overview


@bp.route("/")
@staff_required
def overview():
    runs = db.session.scalars(
        select(CourseRun)
        .where(CourseRun.ends_on >= seoul_today())
        .options(
            selectinload(CourseRun.course),
            selectinload(CourseRun.room).selectinload(Room.venue),
            selectinload(CourseRun.sessions),
        )
        .order_by(CourseRun.starts_on, CourseRun.id)
        .limit(OVERVIEW_LIMIT)
    ).all()
    return render_template("planning/overview.html", runs=runs)


# Venues and rooms


@bp.route("/venues")
@staff_required
def venues():
    found = db.session.scalars(
        select(Venue).options(selectinload(Venue.rooms)).order_by(Venue.name)
    ).all()
    return render_template("planning/venues.html", venues=found)


@bp.route("/venues/new", methods=["GET", "POST"])
@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
@staff_required
def venue_edit(venue_id: int | None = None):
    venue = db.get_or_404(Venue, venue_id) if venue_id is not None else None
    form = VenueForm(obj=venue)
    if form.validate_on_submit() and commit_and_flash(
        lambda: save_venue(
            venue,
            actor=current_user,
            name=form.name.data,
            address=form.address.data,
            phone=form.phone.data or None,
        ),
        lambda saved: _("%(name)s을(를) 저장했습니다.", name=saved.name),
    ):
        return redirect(url_for("planning.venues"))
    return render_template("planning/venue.html", venue=venue, form=form), _invalid(form)


@bp.route("/venues/<int:venue_id>/rooms/new", methods=["GET", "POST"])
@staff_required
def room_new(venue_id: int):
    venue = db.get_or_404(Venue, venue_id)
    return _room_page(venue, None)


@bp.route("/rooms/<int:room_id>", methods=["GET", "POST"])
@staff_required
def room_edit(room_id: int):
    room = db.get_or_404(Room, room_id)
    return _room_page(room.venue, room)


def _room_page(venue: Venue, room: Room | None):
    form = RoomForm(obj=room)
    if form.validate_on_submit() and commit_and_flash(
        lambda: save_room(
            room,
            actor=current_user,
            venue=venue,
            name=form.name.data,
            seats=form.seats.data,
            pcs=form.pcs.data,
        ),
        lambda saved: _("%(name)s을(를) 저장했습니다.", name=saved.name),
    ):
        return redirect(url_for("planning.venues"))
    return render_template("planning/room.html", venue=venue, room=room, form=form), _invalid(form)


# Courses


@bp.route("/courses")
@staff_required
def courses():
    archived = request.args.get("archived") == "1"
    query = (request.args.get("q") or "").strip()[:60]
    statement = select(Course).where(Course.is_archived.is_(archived)).order_by(Course.title)
    if query:
        statement = statement.where(Course.title.icontains(query, autoescape=True))
    found = db.session.scalars(statement).all()
    run_counts = dict(
        db.session.execute(
            select(CourseRun.course_id, func.count()).group_by(CourseRun.course_id)
        ).all()
    )
    return render_template(
        "planning/courses.html",
        courses=found,
        archived=archived,
        query=query,
        run_counts=run_counts,
        action_form=ConfirmForm(),
    )


@bp.route("/courses/new", methods=["GET", "POST"])
@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@staff_required
def course_edit(course_id: int | None = None):
    course = db.get_or_404(Course, course_id) if course_id is not None else None
    form = CourseForm(obj=course)
    if request.method == "GET" and course is not None:
        for name in ("category", "level", "audience", "delivery"):
            form[name].data = getattr(course, name).value
    if form.validate_on_submit():
        fields = form.course_fields()
        if course is None:
            action = lambda: create_course(  # noqa: E731
                actor=current_user, code=form.code.data or None, **fields
            )
        else:
            action = lambda: update_course(course, actor=current_user, **fields)  # noqa: E731
        if commit_and_flash(
            action, lambda saved: _("%(title)s 과정을 저장했습니다.", title=saved.title)
        ):
            return redirect(url_for("planning.courses"))
    return render_template("planning/course.html", course=course, form=form), _invalid(form)


@bp.route("/courses/<int:course_id>/archive", methods=["POST"])
@staff_required
def course_archive(course_id: int):
    course = db.get_or_404(Course, course_id)
    if ConfirmForm().validate_on_submit():
        commit_and_flash(
            lambda: archive_course(course, actor=current_user),
            _("%(title)s 과정을 보관했습니다. 새 강좌를 열 수 없습니다.", title=course.title),
        )
    return redirect(url_for("planning.courses"))


@bp.route("/courses/<int:course_id>/restore", methods=["POST"])
@staff_required
def course_restore(course_id: int):
    course = db.get_or_404(Course, course_id)
    if ConfirmForm().validate_on_submit():
        commit_and_flash(
            lambda: restore_course(course, actor=current_user),
            _("%(title)s 과정을 다시 쓸 수 있게 했습니다.", title=course.title),
        )
    return redirect(url_for("planning.courses", archived="1"))


@bp.route("/courses/<int:course_id>/delete", methods=["POST"])
@staff_required
def course_delete(course_id: int):
    course = db.get_or_404(Course, course_id)
    title = course.title
    if ConfirmForm().validate_on_submit():
        commit_and_flash(
            lambda: delete_course(course, actor=current_user),
            _("%(title)s 과정을 지웠습니다.", title=title),
        )
    return redirect(url_for("planning.courses"))


# Runs


@dataclass
class RunRow:
    run: CourseRun
    confirmed: int
    waitlisted: int


@dataclass
class RunPage:
    rows: list[RunRow]
    page: int
    pages: int
    total: int


def _runs_of_term(year: int, half: str, query: str) -> Select:
    statement = (
        select(CourseRun)
        .join(CourseRun.course)
        .where(extract("year", CourseRun.starts_on) == year)
        .options(
            selectinload(CourseRun.course),
            selectinload(CourseRun.room).selectinload(Room.venue),
            selectinload(CourseRun.sessions),
            selectinload(CourseRun.instructor),
        )
    )
    if half in HALVES:
        first, last = HALVES[half]
        statement = statement.where(extract("month", CourseRun.starts_on).between(first, last))
    if query:
        statement = statement.where(Course.title.icontains(query, autoescape=True))
    return statement


def _run_page(year: int, half: str, query: str, page: int) -> RunPage:
    statement = _runs_of_term(year, half, query)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    pages = max(1, math.ceil(total / RUNS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    runs = db.session.scalars(
        statement.order_by(CourseRun.starts_on, Course.title, CourseRun.number)
        .offset((page - 1) * RUNS_PAGE_SIZE)
        .limit(RUNS_PAGE_SIZE)
    ).all()
    counts = {
        (run_id, status): number
        for run_id, status, number in db.session.execute(
            select(Enrollment.run_id, Enrollment.status, func.count())
            .where(Enrollment.run_id.in_([run.id for run in runs]))
            .group_by(Enrollment.run_id, Enrollment.status)
        )
    }
    rows = [
        RunRow(
            run,
            counts.get((run.id, EnrollmentStatus.CONFIRMED), 0),
            counts.get((run.id, EnrollmentStatus.WAITLISTED), 0),
        )
        for run in runs
    ]
    return RunPage(rows, page, pages, total)


@bp.route("/runs")
@staff_required
def runs():
    today = seoul_today()
    year = request.args.get("year", today.year, type=int)
    if not 2000 <= year <= 2100:
        year = today.year
    half = request.args.get("half", "")
    half = half if half in HALVES else ""
    query = (request.args.get("q") or "").strip()[:60]
    found = _run_page(year, half, query, request.args.get("page", 1, type=int))
    return render_template(
        "planning/runs.html", found=found, year=year, half=half, query=query, today=today
    )


def _room_choices():
    rooms = db.session.scalars(select(Room).join(Room.venue).order_by(Venue.name, Room.name)).all()
    return select_choices(
        [("", _("온라인 (강의실 없음)"))]
        + [
            (
                str(room.id),
                _(
                    "%(venue)s %(room)s (%(seats)d석)",
                    venue=room.venue.name,
                    room=room.name,
                    seats=room.seats,
                ),
            )
            for room in rooms
        ]
    )


def _instructor_choices():
    # Instructors first; staff, who teach the staff courses, after them. The last digits of
    # the phone tell apart the many staff who share a name.
    people = db.session.scalars(
        select(Person)
        .where(Person.role.in_([Role.INSTRUCTOR, Role.STAFF, Role.ADMIN]))
        .order_by((Person.role != Role.INSTRUCTOR), Person.name, Person.id)
    ).all()
    return select_choices(
        [("", _("정하지 않음"))]
        + [
            (str(person.id), f"{person.name} ({person.role.label}, {(person.phone or '–')[-4:]})")
            for person in people
        ]
    )


def _course_choices():
    found = db.session.scalars(
        select(Course).where(Course.is_archived.is_(False)).order_by(Course.title)
    ).all()
    return select_choices(
        [("", _("골라 주세요"))]
        + [(str(course.id), f"{course.title} ({course.code})") for course in found]
    )


def _prepare_run_form(form: RunForm) -> None:
    form.room.choices = _room_choices()
    form.instructor.choices = _instructor_choices()


def _run_times(run: CourseRun, form: RunForm) -> None:
    """A datetime-local input shows Seoul wall-clock time."""
    form.registration_opens_at.data = to_seoul(run.registration_opens_at).replace(tzinfo=None)
    form.registration_closes_at.data = to_seoul(run.registration_closes_at).replace(tzinfo=None)


def _chosen(model, row_id: int | None):
    return db.session.get(model, row_id) if row_id is not None else None


@bp.route("/runs/new", methods=["GET", "POST"])
@staff_required
def run_new():
    form = NewRunForm()
    _prepare_run_form(form)
    form.course.choices = _course_choices()
    if request.method == "GET":
        course = db.session.get(Course, request.args.get("course_id", 0, type=int))
        if course is not None and not course.is_archived:
            # A new run starts from its course's completion rule.
            form.process(obj=course, formdata=None)
            form.course.data = course.id
    made = []
    if form.validate_on_submit():

        def create():
            made.append(
                create_run(
                    actor=current_user,
                    course=db.get_or_404(Course, form.course.data),
                    room=_chosen(Room, form.room.data),
                    instructor=_chosen(Person, form.instructor.data),
                    now=utcnow(),
                    **form.run_fields(),
                )
            )
            return made[0]

        if form.course.data is None:
            form.course.errors.append(_("과정을 골라 주세요."))
        elif commit_and_flash(
            create,
            lambda run: _(
                "%(title)s을(를) 만들었습니다. 이제 수업 일정을 만드세요.", title=run.title
            ),
        ):
            return redirect(url_for("planning.run_sessions", run_id=made[0].id))
    return render_template("planning/run_new.html", form=form), _invalid(form)


@bp.route("/runs/<int:run_id>", methods=["GET", "POST"])
@staff_required
def run_edit(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    form = RunForm(obj=run)
    _prepare_run_form(form)
    if request.method == "GET":
        form.room.data = run.room_id
        form.instructor.data = run.instructor_id
        form.selection.data = run.selection.value
        _run_times(run, form)
    if form.validate_on_submit() and commit_and_flash(
        lambda: update_run(
            run,
            actor=current_user,
            now=utcnow(),
            room=_chosen(Room, form.room.data),
            instructor=_chosen(Person, form.instructor.data),
            **form.run_fields(),
        ),
        _("%(title)s을(를) 저장했습니다.", title=run.title),
    ):
        return redirect(url_for("planning.run_edit", run_id=run.id))
    return render_template(
        "planning/run_edit.html", run=run, form=form, confirmed=_confirmed_count(run)
    ), _invalid(form)


def _confirmed_count(run: CourseRun) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED
        )
    )


def _active_count(run: CourseRun) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Enrollment.run_id == run.id, Enrollment.status != EnrollmentStatus.CANCELLED
        )
    )


@bp.route("/runs/<int:run_id>/cancel", methods=["GET", "POST"])
@staff_required
def run_cancel(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    if run.is_cancelled:
        flash(_("이미 폐강한 강좌입니다."), "error")
        return redirect(url_for("planning.run_edit", run_id=run.id))
    form = CancelRunForm()
    if form.validate_on_submit() and commit_and_flash(
        lambda: cancel_run(run, actor=current_user, reason=form.reason.data, now=utcnow()),
        _("%(title)s을(를) 폐강했습니다. 신청한 분들께 알림을 남겼습니다.", title=run.title),
    ):
        return redirect(url_for("planning.runs", year=run.starts_on.year))
    return render_template(
        "planning/run_cancel.html", run=run, form=form, people=_active_count(run)
    ), _invalid(form)


# A run's sessions


def _pattern(form: PatternForm) -> Pattern:
    return Pattern(
        first_date=form.first_date.data,
        weekdays=tuple(sorted(set(form.weekdays.data))),
        start=form.start.data,
        end=form.end.data,
        count=form.count.data,
        last_date=form.last_date.data,
    )


def _venue_id(run: CourseRun) -> int | None:
    return run.room.venue_id if run.room is not None else None


def _render_sessions(run, pattern_form=None, session_form=None, preview=None, status=200):
    return render_template(
        "planning/sessions.html",
        run=run,
        pattern_form=pattern_form or PatternForm(formdata=None),
        session_form=session_form or SessionForm(formdata=None),
        preview=preview,
        action_form=ConfirmForm(),
    ), status


@bp.route("/runs/<int:run_id>/sessions")
@staff_required
def run_sessions(run_id: int):
    return _render_sessions(db.get_or_404(CourseRun, run_id))


@dataclass
class PatternPreview:
    days: list[date]
    skipped: list


@bp.route("/runs/<int:run_id>/sessions/pattern", methods=["POST"])
@staff_required
def sessions_from_pattern(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    form = PatternForm()
    if not form.validate_on_submit():
        return _render_sessions(run, pattern_form=form, status=400)
    try:
        pattern = _pattern(form)
        days, skipped = class_days(pattern, venue_id=_venue_id(run))
    except RuleError as error:
        form.first_date.errors.append(error.message)
        return _render_sessions(run, pattern_form=form, status=400)
    if form.confirmed.data != "1":
        form.confirmed.data = "1"
        return _render_sessions(run, pattern_form=form, preview=PatternPreview(days, skipped))

    def message(result):
        sessions, skipped = result
        text = _("수업 %(n)d회를 만들었습니다.", n=len(sessions))
        if skipped:
            text += " " + _(
                "건너뛴 날: %(days)s",
                days=", ".join(f"{item.day.isoformat()} {item.reason}" for item in skipped),
            )
        return text

    if commit_and_flash(
        lambda: add_sessions(run, actor=current_user, now=utcnow(), pattern=pattern), message
    ):
        return redirect(url_for("planning.run_sessions", run_id=run.id))
    return _render_sessions(run, pattern_form=form, status=409)


@bp.route("/runs/<int:run_id>/sessions/add", methods=["POST"])
@staff_required
def session_add(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    form = SessionForm()
    if not form.validate_on_submit():
        return _render_sessions(run, session_form=form, status=400)
    if commit_and_flash(
        lambda: add_sessions(run, actor=current_user, now=utcnow(), times=[form.interval()]),
        _("수업 하나를 더했습니다."),
    ):
        return redirect(url_for("planning.run_sessions", run_id=run.id))
    return _render_sessions(run, session_form=form, status=409)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@staff_required
def session_move(session_id: int):
    session = db.get_or_404(Session, session_id)
    run = session.run
    form = SessionForm()
    if request.method == "GET":
        starts, ends = to_seoul(session.starts_at), to_seoul(session.ends_at)
        form.day.data, form.start.data, form.end.data = starts.date(), starts.time(), ends.time()
    if form.validate_on_submit():
        starts_at, ends_at = form.interval()
        if commit_and_flash(
            lambda: move_session(
                session, actor=current_user, now=utcnow(), starts_at=starts_at, ends_at=ends_at
            ),
            _("수업을 옮겼습니다."),
        ):
            return redirect(url_for("planning.run_sessions", run_id=run.id))
    return render_template(
        "planning/session.html", session=session, run=run, form=form, action_form=ConfirmForm()
    ), _invalid(form)


@bp.route("/sessions/<int:session_id>/remove", methods=["POST"])
@staff_required
def session_remove(session_id: int):
    session = db.get_or_404(Session, session_id)
    run_id = session.run_id
    if ConfirmForm().validate_on_submit():
        commit_and_flash(
            lambda: remove_session(session, actor=current_user, now=utcnow()),
            _("수업 하나를 뺐습니다."),
        )
    return redirect(url_for("planning.run_sessions", run_id=run_id))


# Closure days


def _venue_choices(everywhere: str):
    venues = db.session.scalars(select(Venue).order_by(Venue.name)).all()
    return select_choices([("", everywhere)] + [(str(venue.id), venue.name) for venue in venues])


@bp.route("/closures", methods=["GET", "POST"])
@staff_required
def closures():
    form = ClosureForm()
    form.venue.choices = _venue_choices(_("모든 교육장"))
    if form.validate_on_submit() and commit_and_flash(
        lambda: add_closure(
            actor=current_user,
            day=form.day.data,
            venue=_chosen(Venue, form.venue.data),
            reason=form.reason.data,
        ),
        _("쉬는 날을 더했습니다. 앞으로 만드는 수업 일정에서 건너뜁니다."),
    ):
        return redirect(url_for("planning.closures"))
    found = db.session.scalars(
        select(Closure)
        .where(Closure.day >= seoul_today())
        .options(selectinload(Closure.venue))
        .order_by(Closure.day, Closure.id)
    ).all()
    return render_template(
        "planning/closures.html", closures=found, form=form, action_form=ConfirmForm()
    ), _invalid(form)


@bp.route("/closures/<int:closure_id>/remove", methods=["POST"])
@staff_required
def closure_remove(closure_id: int):
    closure = db.get_or_404(Closure, closure_id)
    if ConfirmForm().validate_on_submit():
        commit_and_flash(
            lambda: remove_closure(closure, actor=current_user), _("쉬는 날을 지웠습니다.")
        )
    return redirect(url_for("planning.closures"))


# Yearly plans


@bp.route("/plans", methods=["GET", "POST"])
@staff_required
def plans():
    year = request.args.get("year", seoul_today().year, type=int)
    if not 2000 <= year <= 2100:
        year = seoul_today().year
    saved = {
        plan.audience: plan
        for plan in db.session.scalars(select(Plan).where(Plan.year == year)).all()
    }
    # One form per audience on the page; a post carries the fields of one of them.
    posted = next(
        (
            audience
            for audience in Audience
            if request.method == "POST" and f"{audience.value}-runs" in request.form
        ),
        None,
    )
    forms = {
        audience: PlanForm(prefix=audience.value)
        if audience is posted
        else PlanForm(
            formdata=None,
            prefix=audience.value,
            year=year,
            runs=saved[audience].runs if audience in saved else None,
            hours=saved[audience].hours if audience in saved else None,
        )
        for audience in Audience
    }
    if posted is not None and forms[posted].validate_on_submit():
        form = forms[posted]
        if commit_and_flash(
            lambda: save_plan(
                actor=current_user,
                year=form.year.data,
                audience=posted,
                runs=form.runs.data,
                hours=form.hours.data,
            ),
            _(
                "%(year)d년 %(audience)s 계획을 저장했습니다.",
                year=form.year.data,
                audience=posted.label,
            ),
        ):
            return redirect(url_for("planning.plans", year=form.year.data))
    status = 400 if request.method == "POST" else 200
    return render_template("planning/plans.html", year=year, forms=forms, saved=saved), status


# Copying a term


@dataclass
class CopyPreview:
    made: list[tuple[str, str, date, date, int]]
    skipped: list[tuple[str, date, str]]
    refused: list[tuple[str, str]]


def _describe_copy(result) -> CopyPreview:
    """The copy as plain values, which outlive the rolled-back dry run."""
    return CopyPreview(
        made=[
            (
                run.title,
                run.course.title,
                to_seoul(run.sessions[0].starts_at).date() if run.sessions else run.starts_on,
                to_seoul(run.sessions[-1].starts_at).date() if run.sessions else run.ends_on,
                len(run.sessions),
            )
            for run in result.runs
        ],
        skipped=[(run.title, item.day, item.reason) for run, item in result.skipped],
        refused=[(run.title, message) for run, message in result.refused],
    )


def _copied_year(form: CopyTermForm) -> int:
    return (form.source_from.data + timedelta(weeks=form.shift_weeks.data)).year


@bp.route("/copy", methods=["GET", "POST"])
@staff_required
def copy():
    form = CopyTermForm()
    if not form.validate_on_submit():
        return render_template("planning/copy.html", form=form, preview=None), _invalid(form)
    if form.source_to.data < form.source_from.data:
        form.source_to.errors.append(_("마지막 날이 첫날보다 앞설 수 없습니다."))
        return render_template("planning/copy.html", form=form, preview=None), 400

    def copy_now():
        return copy_term(
            actor=current_user,
            now=utcnow(),
            source_from=form.source_from.data,
            source_to=form.source_to.data,
            shift_weeks=form.shift_weeks.data,
            registration_opens_at=seoul_moment(form.registration_opens_at.data),
        )

    if form.confirmed.data != "1":
        # The preview is the copy itself, rolled back: it shows exactly what copying would do.
        try:
            preview = _describe_copy(copy_now())
        except RuleError as error:
            db.session.rollback()
            flash(error.message, "error")
            return render_template("planning/copy.html", form=form, preview=None), error.status
        db.session.rollback()
        form.confirmed.data = "1"
        return render_template("planning/copy.html", form=form, preview=preview)
    if commit_and_flash(
        copy_now,
        lambda result: _(
            "강좌 %(made)d개를 복사했습니다. 복사하지 못한 강좌 %(refused)d개.",
            made=len(result.runs),
            refused=len(result.refused),
        ),
    ):
        return redirect(url_for("planning.runs", year=_copied_year(form)))
    return render_template("planning/copy.html", form=form, preview=None), 409
