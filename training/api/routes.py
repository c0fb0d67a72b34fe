"""API handlers: the request validated by its schema, one service call, the answer as a
schema class. Refusals are RuleErrors, answered by the app's one error handler."""

from flask import current_app

from training.accounts.models import Person
from training.accounts.services import authenticate, create_person, issue_token
from training.api import bp
from training.api.auth import current_api_user, token_required
from training.api.schemas import (
    CertificateJson,
    CheckInBody,
    EnrollBody,
    EnrollmentJson,
    EnrollmentListJson,
    NewAccountJson,
    PassJson,
    PersonJson,
    RunDetailJson,
    RunJson,
    RunListJson,
    RunsQuery,
    SignupBody,
    StatsJson,
    StatsQuery,
    TokenBody,
    TokenJson,
    VenueJson,
    VenueListJson,
)
from training.api.spec import api_operation, openapi_document
from training.catalog.models import CourseRun, Session
from training.catalog.services import RunFilters, list_venues
from training.certificates.documents import public_facts
from training.certificates.services import find_certificate
from training.checkin.models import CheckInMethod
from training.checkin.presenters import CheckInJson, RosterJson, parse_scanned_at
from training.checkin.rosters import can_run_session
from training.checkin.scans import check_in_by_pass
from training.enrollment.listings import get_run_listing, list_runs
from training.enrollment.models import Channel, Enrollment
from training.enrollment.services import cancel_enrollment, enroll_person, enrollments_of
from training.errors import api_error
from training.extensions import db, limiter
from training.passes.tokens import pass_token_for
from training.permissions import door_staff_required, staff_required
from training.rows import get_row
from training.stats.services import Period, figures, report_lines

MAX_PASS_LENGTH = 200


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
    )
    db.session.commit()
    return NewAccountJson(token=issue_token(person), id=person.id), 201


@bp.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
@api_operation(HTTP_200=TokenJson)
def token(json: TokenBody):
    """Exchange a phone number and password for a bearer token"""
    person = authenticate(json.phone, json.password)
    db.session.commit()
    return TokenJson(token=issue_token(person))


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
    course_run = db.session.get(CourseRun, run_id)
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
    db.session.commit()
    return EnrollmentJson.of(enrollment), 201


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
    db.session.commit()
    return EnrollmentJson.of(enrollment)


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


@bp.route("/me/pass")
@token_required
@api_operation(HTTP_200=PassJson, secured=True)
def my_pass():
    """Your QR pass: the signed token its QR code carries"""
    return PassJson(token=pass_token_for(current_api_user()))


@bp.route("/sessions/<int:session_id>/roster")
@door_staff_required
@api_operation(HTTP_200=RosterJson, secured=True)
def session_roster(session_id: int):
    """A session's confirmed trainees and their marks

    Instructors for their own sessions, staff for all."""
    session = db.session.get(Session, session_id)
    if session is None:
        return api_error("not_found", "No such session.", 404)
    if not can_run_session(current_api_user(), session):
        return api_error("forbidden", "Not one of your sessions.", 403)
    return RosterJson.of(session)


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
    db.session.commit()
    return CheckInJson.of(outcome), 201 if outcome.created else 200


@bp.route("/certificates/<serial>")
@api_operation(HTTP_200=CertificateJson)
def certificate(serial: str):
    """Verify a completion certificate (public; a masked name only)"""
    found = find_certificate(serial)
    if found is None:
        return api_error("not_found", "No certificate has this serial number.", 404)
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


@bp.route("/venues")
@api_operation(HTTP_200=VenueListJson)
def venues():
    """Venues with their rooms (public)"""
    return VenueListJson([VenueJson.of(venue) for venue in list_venues()])
