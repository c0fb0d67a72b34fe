"""API handlers: the request validated by its schema, one service call, the answer as a
schema class. Refusals are RuleErrors, answered by the app's one error handler."""

from flask import current_app, request
from flask_babel import get_locale

from training import audit
from training.accounts import auth_sessions
from training.accounts.logins import API, log_in, record_log_in
from training.accounts.models import AuthKind, Person
from training.accounts.retention import anonymize_person
from training.accounts.services import AccountError, create_person, issue_token
from training.api import bp
from training.api.auth import current_api_user, presented_token, token_required
from training.api.schemas import (
    AnonymizeBody,
    AnonymizedPersonJson,
    CancelRunBody,
    CertificateJson,
    CertificateQuery,
    CheckInBody,
    CourseBody,
    CourseChangesBody,
    CourseJson,
    EnrollBody,
    EnrollmentJson,
    EnrollmentListJson,
    NewAccountJson,
    NewSessionsBody,
    NewSessionsJson,
    PassJson,
    PersonJson,
    RunBody,
    RunChangesBody,
    RunDetailJson,
    RunJson,
    RunListJson,
    RunsQuery,
    SessionTimesBody,
    SessionTimesJson,
    SignupBody,
    StatsJson,
    StatsQuery,
    TokenBody,
    TokenInfoJson,
    TokenInfoListJson,
    TokenJson,
    VenueJson,
    VenueListJson,
)
from training.api.spec import api_operation, openapi_document
from training.catalog.models import Course, CourseRun, Room, Session
from training.catalog.services import RunFilters, list_venues
from training.certificates.documents import public_facts, verified_certificate
from training.certificates.verification import verification_limit
from training.checkin.models import CheckInMethod
from training.checkin.presenters import CheckInJson, RosterJson, parse_scanned_at
from training.checkin.rosters import can_run_session
from training.checkin.scans import check_in_by_pass
from training.clock import to_seoul, utcnow
from training.database import writes_on_read
from training.enrollment.listings import get_run_listing, list_runs
from training.enrollment.models import Channel, Enrollment
from training.enrollment.services import (
    cancel_enrollment,
    enroll_person,
    enrollments_of,
    run_to_enroll,
)
from training.errors import RuleError, api_error
from training.extensions import db, limiter
from training.passes.tokens import pass_token_for
from training.permissions import door_staff_required, staff_required
from training.planning import scheduling
from training.planning import services as planning
from training.rows import get_row
from training.stats.services import Period, figures, report_lines

MAX_PASS_LENGTH = 200


class NotFound(RuleError):
    """A row named in the path or the body that does not exist."""

    code = "not_found"
    status = 404

    def __init__(self, message: str):
        super().__init__(self.code, message, self.status)


def _found(model, row_id: int, what: str):
    row = get_row(model, row_id)
    if row is None:
        raise NotFound(f"No such {what}.")
    return row


@bp.route("/openapi.json")
@api_operation(HTTP_200=None)
def openapi():
    """This document"""
    return openapi_document()


@bp.route("/auth/signup", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"])
@api_operation(HTTP_201=NewAccountJson)
def signup(json: SignupBody):
    """Create a resident account and get a bearer token for it"""
    if json.consent is not True:
        return api_error(
            "consent_required", "Consent to the collection of personal data is required.", 400
        )
    person = create_person(
        name=json.name,
        phone=json.phone,
        birth_year=json.birth_year,
        dong=json.dong,
        password=json.password,
        consent=True,
        message_channel=json.message_channel,
        email=json.email,
        locale=json.locale or str(get_locale()),
    )
    record_log_in(person, channel=API, by="signup")
    token = issue_token(person, label=_client_label())
    db.session.commit()
    return NewAccountJson(token=token, id=person.id), 201


@bp.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@api_operation(HTTP_200=TokenJson)
def token(json: TokenBody):
    """Exchange a phone number and password for a bearer token"""
    try:
        person = log_in(json.phone, json.password, channel=API)
    except AccountError:
        # The refused attempt stays on the audit trail; the error handler then answers.
        db.session.commit()
        raise
    now = utcnow()
    token = issue_token(person, now=now, label=_client_label())
    db.session.commit()
    return TokenJson(token=token, expires_at=to_seoul(auth_sessions.expiry(AuthKind.API, now)))


@bp.route("/auth/token", methods=["DELETE"])
@token_required
@api_operation(HTTP_204=None, secured=True)
def revoke_token():
    """Revoke the bearer token this request presents: log out"""
    now = utcnow()
    presented = auth_sessions.find_live_session(presented_token(), AuthKind.API, now=now)
    # None when the token ran out a moment ago: refused as not found.
    presented_id = presented.id if presented is not None else None
    auth_sessions.revoke_session(
        current_api_user(), presented_id, now=now, actor=current_api_user(), kind=AuthKind.API
    )
    db.session.commit()
    return "", 204


@bp.route("/auth/tokens")
@token_required
@api_operation(HTTP_200=TokenInfoListJson, secured=True)
def my_tokens():
    """The caller's live API tokens, newest first (the tokens themselves are not shown)"""
    now = utcnow()
    presented = auth_sessions.find_live_session(presented_token(), AuthKind.API, now=now)
    tokens = [
        place
        for place in auth_sessions.live_sessions(current_api_user(), now=now)
        if place.kind is AuthKind.API
    ]
    return TokenInfoListJson(
        [TokenInfoJson.of(t, current_id=getattr(presented, "id", None)) for t in tokens]
    )


@bp.route("/auth/tokens/<int:token_id>", methods=["DELETE"])
@token_required
@api_operation(HTTP_204=None, secured=True)
def revoke_one_token(token_id: int):
    """Revoke one of the caller's API tokens, by its id"""
    auth_sessions.revoke_session(
        current_api_user(), token_id, now=utcnow(), actor=current_api_user(), kind=AuthKind.API
    )
    db.session.commit()
    return "", 204


def _client_label() -> str:
    return auth_sessions.describe_user_agent(request.headers.get("User-Agent"))


@bp.route("/runs")
@api_operation(HTTP_200=RunListJson)
def runs(query: RunsQuery):
    """Course runs, by start date"""
    filters = RunFilters(
        open_only=query.open == "1", audience=query.audience, month=query.month_start
    )
    listings = list_runs(filters, limit=query.limit)
    return RunListJson([RunJson.of(listing) for listing in listings])


@bp.route("/runs/<int:run_id>")
@api_operation(HTTP_200=RunDetailJson)
def run(run_id: int):
    """One run with its sessions"""
    listing = get_run_listing(run_id)
    if listing is None:
        return api_error("not_found", "No such run.", 404)
    return RunDetailJson.of(listing)


@bp.route("/runs/<int:run_id>/enrollments", methods=["POST"])
@token_required
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROLL"])
@api_operation(HTTP_201=EnrollmentJson, optional_body=True, secured=True)
def enroll(run_id: int, json: EnrollBody):
    """Enroll yourself (or, as staff, the person named by person_id)

    Confirmed while seats are free, then waitlisted with a place; applied for a lottery."""
    actor = current_api_user()
    course_run = run_to_enroll(run_id)
    if course_run is None:
        return api_error("not_found", "No such run.", 404)
    person = actor
    if json.person_id is not None:
        if not actor.is_staff:
            return api_error("forbidden", "Only staff may enroll other people.", 403)
        person = get_row(Person, json.person_id)
        if person is None:
            return api_error("not_found", "No such person.", 404)
    channel = Channel.DESK if person.id != actor.id else Channel.API
    enrollment = enroll_person(course_run, person, actor=actor, channel=channel)
    # Read before the commit expires it: after, it would take a second transaction.
    body = EnrollmentJson.of(enrollment)
    db.session.commit()
    return body, 201


@bp.route("/enrollments/<int:enrollment_id>", methods=["DELETE"])
@token_required
@api_operation(HTTP_200=EnrollmentJson, secured=True)
def cancel(enrollment_id: int):
    """Cancel an enrollment (your own, or any as staff)

    The first waitlisted person is promoted at once."""
    actor = current_api_user()
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or (enrollment.person_id != actor.id and not actor.is_staff):
        return api_error("not_found", "No such enrollment.", 404)
    enrollment = cancel_enrollment(enrollment, actor=actor)
    body = EnrollmentJson.of(enrollment)
    db.session.commit()
    return body


@bp.route("/me/enrollments")
@token_required
@api_operation(HTTP_200=EnrollmentListJson, secured=True)
def my_enrollments():
    """Your enrollments, newest runs first"""
    return EnrollmentListJson([EnrollmentJson.of(e) for e in enrollments_of(current_api_user())])


@bp.route("/me")
@token_required
@api_operation(HTTP_200=PersonJson, secured=True)
def me():
    """Who the token belongs to"""
    return PersonJson.of(current_api_user())


@bp.route("/people/<int:person_id>/anonymize", methods=["POST"])
@staff_required
@api_operation(HTTP_200=AnonymizedPersonJson, secured=True)
def anonymize(person_id: int, json: AnonymizeBody):
    """Anonymize a person who asked to withdraw (staff)

    The name is masked; phone, email, password and birth year go (an age band stays); places
    in runs not yet ended are given up and the waiting lists move on. Enrollments, attendance
    and certificates stay, for the statistics and certificate verification."""
    person = _found(Person, person_id, "person")
    person = anonymize_person(person, actor=current_api_user(), reason=json.reason, now=utcnow())
    db.session.commit()
    return AnonymizedPersonJson.of(person)


@bp.route("/me/pass")
@token_required
@api_operation(HTTP_200=PassJson, secured=True)
def my_pass():
    """Your QR pass: the signed token its QR code carries"""
    return PassJson(token=pass_token_for(current_api_user()))


@bp.route("/sessions/<int:session_id>/roster")
@door_staff_required
@writes_on_read
@api_operation(HTTP_200=RosterJson, secured=True)
def session_roster(session_id: int):
    """A session's confirmed trainees and their marks

    Instructors for their own sessions, staff for all."""
    session = db.session.get(Session, session_id)
    if session is None:
        return api_error("not_found", "No such session.", 404)
    if not can_run_session(current_api_user(), session):
        return api_error("forbidden", "Not one of your sessions.", 403)
    body = RosterJson.of(session)
    # A scanner app may poll this as the door screen polls its own: recorded as the screen is.
    audit.record_view(
        current_api_user(),
        "roster.api_view",
        session,
        at_most_every=audit.POLLED_VIEW_INTERVAL,
        run_id=session.run_id,
        people=len(body.roster),
    )
    db.session.commit()
    return body


@bp.route("/sessions/<int:session_id>/checkins", methods=["POST"])
@door_staff_required
@api_operation(HTTP_201=CheckInJson, HTTP_200=CheckInJson, secured=True)
def session_checkin(session_id: int, json: CheckInBody):
    """Check in the holder of a scanned QR pass

    201 for a new check-in, 200 when the person was already checked in (result already,
    with the first time). Instructors for their own sessions, staff for all."""
    session = db.session.get(Session, session_id)
    if session is None:
        return api_error("not_found", "No such session.", 404)
    if not can_run_session(current_api_user(), session):
        return api_error("forbidden", "Not one of your sessions.", 403)
    outcome = check_in_by_pass(
        session,
        json.token[:MAX_PASS_LENGTH],
        actor=current_api_user(),
        method=CheckInMethod.SCANNER,
        scanned_at=parse_scanned_at(json.scanned_at),
    )
    # Read before the commit expires it: after, it would take a second transaction.
    body = CheckInJson.of(outcome)
    db.session.commit()
    return body, 201 if outcome.created else 200


@bp.route("/certificates/<serial>")
@verification_limit()
@api_operation(HTTP_200=CertificateJson)
def certificate(serial: str, query: CertificateQuery):
    """Verify a completion certificate by its serial and check code (public; a masked name
    only). An unknown serial and a wrong or missing code get the same not_found; wrong codes
    are rate-limited per address together with the verification page."""
    found = verified_certificate(serial, query.code)
    if found is None:
        return api_error("not_found", "No certificate has this serial number and check code.", 404)
    return CertificateJson(**public_facts(found))


@bp.route("/stats")
@staff_required
@api_operation(HTTP_200=StatsJson, secured=True)
def stats(query: StatsQuery):
    """Figures for a period (staff only)

    Definitions are on the statistics page. A run counts once, in the month its last
    session falls."""
    period = Period.months(query.start_month, query.end_month)
    audience = None if query.audience == "all" else query.audience
    return StatsJson(
        start=query.start,
        end=query.end,
        audience=query.audience,
        **figures(period, audience).as_dict(),
        report_lines=report_lines(period),
    )


# Planning (staff): venues, courses, runs and their sessions


@bp.route("/venues")
@api_operation(HTTP_200=VenueListJson)
def venues():
    """Venues with their rooms (public)"""
    return VenueListJson([VenueJson.of(venue) for venue in list_venues()])


@bp.route("/courses", methods=["POST"])
@staff_required
@api_operation(HTTP_201=CourseJson, secured=True)
def create_course(json: CourseBody):
    """Add a course (staff); its code is made up when not given"""
    course = planning.create_course(
        actor=current_api_user(), **json.model_dump(include=json.model_fields_set)
    )
    db.session.commit()
    return CourseJson.of(course), 201


@bp.route("/courses/<int:course_id>", methods=["PATCH"])
@staff_required
@api_operation(HTTP_200=CourseJson, secured=True)
def update_course(course_id: int, json: CourseChangesBody):
    """Change any of a course's fields (staff)"""
    course = _found(Course, course_id, "course")
    course = planning.update_course(
        course, actor=current_api_user(), **json.model_dump(include=json.model_fields_set)
    )
    db.session.commit()
    return CourseJson.of(course)


def _run_changes(body: RunChangesBody) -> dict:
    """The fields given, with the room and the instructor as rows (None: online, nobody)."""
    changes = body.model_dump(include=body.model_fields_set - {"course_id"})
    if "room_id" in changes:
        room_id = changes.pop("room_id")
        changes["room"] = None if room_id is None else _found(Room, room_id, "room")
    if "instructor_id" in changes:
        person_id = changes.pop("instructor_id")
        changes["instructor"] = None if person_id is None else _found(Person, person_id, "person")
    return changes


def _run_detail(run: CourseRun) -> RunDetailJson:
    return RunDetailJson.of(get_run_listing(run.id))


@bp.route("/runs", methods=["POST"])
@staff_required
@api_operation(HTTP_201=RunDetailJson, secured=True)
def create_run(json: RunBody):
    """Open a run of a course (staff); sessions are added after

    The capacity may not exceed the room's seats (online runs have a cap of their own)."""
    course = _found(Course, json.course_id, "course")
    run = planning.create_run(
        actor=current_api_user(), course=course, now=utcnow(), **_run_changes(json)
    )
    db.session.commit()
    return _run_detail(run), 201


@bp.route("/runs/<int:run_id>", methods=["PATCH"])
@staff_required
@api_operation(HTTP_200=RunDetailJson, secured=True)
def update_run(run_id: int, json: RunChangesBody):
    """Change any of a run's fields (staff)

    A new room is checked against the sessions of other runs in it, and the people enrolled
    are notified; a higher capacity confirms the waiting list at once, in order; a capacity
    below the confirmed count is refused."""
    run = _found(CourseRun, run_id, "run")
    run = planning.update_run(run, actor=current_api_user(), now=utcnow(), **_run_changes(json))
    db.session.commit()
    return _run_detail(run)


@bp.route("/runs/<int:run_id>/cancel", methods=["POST"])
@staff_required
@api_operation(HTTP_200=RunDetailJson, secured=True)
def cancel_run(run_id: int, json: CancelRunBody):
    """Cancel a run (staff): every enrollment is cancelled and each person told the reason"""
    run = _found(CourseRun, run_id, "run")
    run = planning.cancel_run(run, actor=current_api_user(), reason=json.reason, now=utcnow())
    db.session.commit()
    return _run_detail(run)


@bp.route("/runs/<int:run_id>/sessions", methods=["POST"])
@staff_required
@api_operation(HTTP_201=NewSessionsJson, secured=True)
def add_sessions(run_id: int, json: NewSessionsBody):
    """Add one session, or the sessions of a weekly pattern (staff)

    A pattern skips public holidays (substitute holidays included) and closure days, which
    are listed in skipped; a session at the same time as another in the room, or of the
    instructor, is refused with the other run named."""
    run = _found(CourseRun, run_id, "run")
    if json.pattern is not None:
        pattern = scheduling.Pattern(
            first_date=json.pattern.first_date,
            weekdays=tuple(json.pattern.weekdays),
            start=json.pattern.start,
            end=json.pattern.end,
            count=json.pattern.count,
            last_date=json.pattern.last_date,
        )
        sessions, skipped = scheduling.add_sessions(
            run, actor=current_api_user(), now=utcnow(), pattern=pattern
        )
    else:
        sessions, skipped = scheduling.add_sessions(
            run, actor=current_api_user(), now=utcnow(), times=[(json.starts_at, json.ends_at)]
        )
    db.session.commit()
    return NewSessionsJson.of(sessions, skipped), 201


@bp.route("/sessions/<int:session_id>", methods=["PATCH"])
@staff_required
@api_operation(HTTP_200=SessionTimesJson, secured=True)
def move_session(session_id: int, json: SessionTimesBody):
    """Move a session (staff); the people enrolled are notified"""
    session = _found(Session, session_id, "session")
    session = scheduling.move_session(
        session,
        actor=current_api_user(),
        now=utcnow(),
        starts_at=json.starts_at,
        ends_at=json.ends_at,
    )
    db.session.commit()
    return SessionTimesJson.of(session)


@bp.route("/sessions/<int:session_id>", methods=["DELETE"])
@staff_required
@api_operation(HTTP_204=None, secured=True)
def remove_session(session_id: int):
    """Remove a session without attendance marks (staff); the people enrolled are notified"""
    session = _found(Session, session_id, "session")
    scheduling.remove_session(session, actor=current_api_user(), now=utcnow())
    db.session.commit()
    return "", 204
