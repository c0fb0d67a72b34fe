"""API handlers: parse the request, call one service, answer JSON."""

import re
from datetime import date

from flask import current_app, jsonify, request

from training import MAX_ROW_ID
from training.accounts.models import Person, Role
from training.accounts.services import AccountError, authenticate, create_person, issue_token
from training.api import bp
from training.api.auth import current_api_user, token_required
from training.api.openapi import openapi_document
from training.api.serializers import enrollment_json, iso, run_json
from training.catalog.models import Audience, CourseRun, Session
from training.catalog.services import RunFilters, get_run_listing, list_runs
from training.certificates.documents import public_facts
from training.certificates.services import find_certificate
from training.checkin.models import CheckInMethod
from training.checkin.routes import attendance_json, parse_scanned_at
from training.checkin.services import (
    CheckInError,
    can_run_session,
    check_in_by_pass,
    counts,
    roster,
)
from training.clock import parse_month
from training.enrollment.models import Channel, Enrollment
from training.enrollment.services import (
    EnrollmentError,
    cancel_enrollment,
    enroll_person,
    enrollments_of,
)
from training.errors import api_error
from training.extensions import db, limiter
from training.passes.tokens import pass_token_for
from training.stats.services import Period, figures, report_lines


class BadParameter(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter):
    return api_error("invalid_parameter", error.message, 400)


@bp.errorhandler(AccountError)
def account_error(error: AccountError):
    db.session.rollback()
    return api_error(error.code, error.message, error.status)


@bp.errorhandler(EnrollmentError)
def enrollment_error(error: EnrollmentError):
    db.session.rollback()
    return api_error(error.code, error.message, error.status)


def json_body(required: bool = True) -> dict:
    """The request's JSON object ({} for an empty optional body), or BadParameter."""
    if not required and not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise BadParameter("The body must be a JSON object.")
    return data


def _string(data: dict, key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadParameter(f"'{key}' must be a string.")
    return value


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/auth/signup", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"])
def signup():
    data = json_body()
    birth_year = data.get("birth_year")
    if not isinstance(birth_year, int) or isinstance(birth_year, bool):
        raise BadParameter("'birth_year' must be an integer.")
    if data.get("consent") is not True:
        return api_error(
            "consent_required", "Consent to the collection of personal data is required.", 400
        )
    person = create_person(
        name=_string(data, "name"),
        phone=_string(data, "phone"),
        birth_year=birth_year,
        dong=_string(data, "dong"),
        password=_string(data, "password"),
        consent=True,
    )
    db.session.commit()
    return jsonify({"token": issue_token(person), "id": person.id}), 201


@bp.route("/auth/token", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def token():
    data = json_body()
    person = authenticate(_string(data, "phone"), _string(data, "password"))
    db.session.commit()
    return jsonify({"token": issue_token(person)})


def _run_filters() -> tuple[RunFilters, int | None]:
    args = request.args
    filters = RunFilters()
    open_flag = args.get("open")
    if open_flag is not None:
        if open_flag not in ("0", "1"):
            raise BadParameter("'open' must be 0 or 1.")
        filters.open_only = open_flag == "1"
    audience = args.get("audience")
    if audience is not None:
        try:
            filters.audience = Audience(audience)
        except ValueError:
            raise BadParameter("'audience' must be resident or staff.") from None
    month = args.get("month")
    if month is not None:
        filters.month = parse_month(month)
        if filters.month is None:
            raise BadParameter("'month' must look like 2026-03.")
    limit = args.get("limit")
    if limit is not None:
        if not re.fullmatch(r"[0-9]{1,5}", limit) or not 1 <= int(limit) <= 10_000:
            raise BadParameter("'limit' must be a whole number from 1 to 10000.")
        limit = int(limit)
    return filters, limit


@bp.route("/runs")
def runs():
    filters, limit = _run_filters()
    listings = list_runs(filters)
    if limit is not None:
        listings = listings[:limit]
    return jsonify([run_json(listing) for listing in listings])


@bp.route("/runs/<int:run_id>")
def run(run_id: int):
    listing = get_run_listing(run_id)
    if listing is None:
        return api_error("not_found", "No such run.", 404)
    return jsonify(run_json(listing, with_sessions=True))


@bp.route("/runs/<int:run_id>/enrollments", methods=["POST"])
@token_required
@limiter.limit(lambda: current_app.config["RATELIMIT_ENROLL"])
def enroll(run_id: int):
    actor = current_api_user()
    course_run = db.session.get(CourseRun, run_id)
    if course_run is None:
        return api_error("not_found", "No such run.", 404)
    person = actor
    data = json_body(required=False)
    if data.get("person_id") is not None:
        if not actor.is_staff:
            return api_error("forbidden", "Only staff may enroll other people.", 403)
        person_id = data["person_id"]
        if not isinstance(person_id, int) or isinstance(person_id, bool) or person_id < 1:
            raise BadParameter("'person_id' must be a positive integer.")
        if person_id > MAX_ROW_ID:
            return api_error("not_found", "No such person.", 404)
        person = db.session.get(Person, data["person_id"])
        if person is None:
            return api_error("not_found", "No such person.", 404)
    channel = Channel.DESK if person.id != actor.id else Channel.API
    enrollment = enroll_person(course_run, person, actor=actor, channel=channel)
    db.session.commit()
    return jsonify(enrollment_json(enrollment)), 201


@bp.route("/enrollments/<int:enrollment_id>", methods=["DELETE"])
@token_required
def cancel(enrollment_id: int):
    actor = current_api_user()
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or (enrollment.person_id != actor.id and not actor.is_staff):
        return api_error("not_found", "No such enrollment.", 404)
    enrollment = cancel_enrollment(enrollment, actor=actor)
    db.session.commit()
    return jsonify(enrollment_json(enrollment))


@bp.route("/me/enrollments")
@token_required
def my_enrollments():
    person = current_api_user()
    return jsonify([enrollment_json(e) for e in enrollments_of(person)])


@bp.route("/me")
@token_required
def me():
    person = current_api_user()
    return jsonify(
        {
            "id": person.id,
            "name": person.name,
            "role": person.role.value,
            "birth_year": person.birth_year,
            "dong": person.dong,
        }
    )


@bp.route("/me/pass")
@token_required
def my_pass():
    return jsonify({"token": pass_token_for(current_api_user())})


def _session_for_door(session_id: int):
    """The session if the token's holder runs it; an error response otherwise."""
    actor = current_api_user()
    if not (actor.is_staff or actor.role is Role.INSTRUCTOR):
        return None, api_error("forbidden", "Instructors and staff only.", 403)
    session = db.session.get(Session, session_id)
    if session is None:
        return None, api_error("not_found", "No such session.", 404)
    if not can_run_session(actor, session):
        return None, api_error("forbidden", "Not one of your sessions.", 403)
    return session, None


@bp.route("/sessions/<int:session_id>/roster")
@token_required
def session_roster(session_id: int):
    session, refusal = _session_for_door(session_id)
    if refusal is not None:
        return refusal
    lines = roster(session)
    return jsonify(
        {
            "session": {
                "id": session.id,
                "run_id": session.run_id,
                "title": session.run.title,
                "starts_at": iso(session.starts_at),
                "ends_at": iso(session.ends_at),
                "closed_at": iso(session.closed_at),
            },
            "counts": counts(lines),
            "roster": [
                {
                    "enrollment_id": line.enrollment.id,
                    "person_id": line.enrollment.person_id,
                    "name": line.enrollment.person.name,
                    "phone_last4": line.enrollment.person.phone[-4:],
                    "attendance": attendance_json(line.attendance) if line.attendance else None,
                }
                for line in lines
            ],
        }
    )


@bp.route("/sessions/<int:session_id>/checkins", methods=["POST"])
@token_required
def session_checkin(session_id: int):
    session, refusal = _session_for_door(session_id)
    if refusal is not None:
        return refusal
    data = json_body()
    token = _string(data, "token")
    try:
        scanned_at = parse_scanned_at(data.get("scanned_at"))
        outcome = check_in_by_pass(
            session,
            token[:200],
            actor=current_api_user(),
            method=CheckInMethod.SCANNER,
            scanned_at=scanned_at,
        )
    except CheckInError as error:
        db.session.rollback()
        return api_error(error.code, error.message, error.status)
    db.session.commit()
    return jsonify({"result": outcome.result, "attendance": attendance_json(outcome.attendance)}), (
        201 if outcome.created else 200
    )


@bp.route("/certificates/<serial>")
def certificate(serial: str):
    found = find_certificate(serial)
    if found is None:
        return api_error("not_found", "No certificate has this serial number.", 404)
    return jsonify(public_facts(found))


@bp.route("/stats")
@token_required
def stats():
    actor = current_api_user()
    if not actor.is_staff:
        return api_error("forbidden", "Staff only.", 403)
    start = _month_param("from")
    end = _month_param("to")
    if end < start:
        raise BadParameter("'to' must not come before 'from'.")
    audience_text = request.args.get("audience", "all")
    if audience_text not in ("resident", "staff", "all"):
        raise BadParameter("'audience' must be resident, staff or all.")
    audience = None if audience_text == "all" else Audience(audience_text)
    period = Period.months(start, end)
    result = figures(period, audience).as_dict()
    return jsonify(
        {
            "from": f"{start:%Y-%m}",
            "to": f"{end:%Y-%m}",
            "audience": audience_text,
            **result,
            "report_lines": report_lines(period),
        }
    )


def _month_param(name: str) -> date:
    month = parse_month(request.args.get(name))
    if month is None:
        raise BadParameter(f"'{name}' must look like 2022-01.")
    return month
