"""Check-in pages and the JSON the door screen talks to."""

import io
import textwrap
from xml.sax.saxutils import escape

import qrcode
import qrcode.image.svg
from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training import audit
from training.accounts.services import AccountError, find_by_phone, normalize_phone
from training.body_limits import limit_body
from training.catalog.models import Session
from training.checkin import bp
from training.checkin.closing import close_session
from training.checkin.decoding import FrameError, decode_qr
from training.checkin.forms import MarkForm, SelfCheckInForm, WalkInForm
from training.checkin.models import AttendanceStatus, CheckInMethod
from training.checkin.presenters import error_body, parse_scanned_at, result_json, state_json
from training.checkin.rosters import can_run_session, counts, roster, sessions_today_for
from training.checkin.scans import (
    CheckInError,
    CheckInResult,
    add_walk_in,
    check_in_by_pass,
    check_in_window,
    mark_attendance,
    record_check_in,
)
from training.checkin.selfcheckin import (
    SelfCheckInRefused,
    current_step,
    self_check_in,
    self_check_in_code,
    todays_sessions_of,
)
from training.clock import utcnow
from training.database import writes_on_read
from training.enrollment.models import Enrollment
from training.enrollment.services import EnrollmentError
from training.errors import RuleError
from training.extensions import db, limiter
from training.forms import ConfirmForm
from training.permissions import door_staff_required, staff_required
from training.public_url import PublicUrlMissing, public_url_for
from training.rows import get_row
from training.web import accepts_json, commit_and_flash

MAX_FRAME_BYTES = 2 * 1024 * 1024


def load_session(session_id: int) -> Session:
    """The session, if this person runs it: 404 if missing, 403 if not theirs."""
    session = db.get_or_404(Session, session_id)
    if not can_run_session(current_user, session):
        abort(403)
    return session


def error_json(error: CheckInError):
    return jsonify(error_body(error)), error.status


def _commit_outcome(outcome: CheckInResult):
    # The answer is read before the commit expires what it names: reading it after would
    # open a second transaction (on SQLite, a second wait for the write lock).
    body = result_json(outcome)
    db.session.commit()
    return jsonify(body), 201 if outcome.created else 200


@bp.route("/")
@door_staff_required
def today():
    now = utcnow()
    return render_template(
        "checkin/today.html", sessions=sessions_today_for(current_user, now), now=now
    )


@bp.route("/sessions/<int:session_id>")
@door_staff_required
@writes_on_read
def screen(session_id: int):
    return _screen_page(load_session(session_id), WalkInForm(formdata=None))


def _screen_page(session: Session, walk_in_form: WalkInForm, walk_in_refusal: str | None = None):
    opens, closes = check_in_window(session)
    lines = roster(session)
    audit.record_view(current_user, "door.view", session, run_id=session.run_id, people=len(lines))
    db.session.commit()
    return render_template(
        "checkin/screen.html",
        session=session,
        lines=lines,
        counts=counts(lines),
        opens=opens,
        closes=closes,
        mark_form=MarkForm(formdata=None),
        walk_in_form=walk_in_form,
        walk_in_refusal=walk_in_refusal,
        confirm_form=ConfirmForm(),
        now=utcnow(),
        self_page_url=_self_page_url(),
    )


def _self_page_url() -> str | None:
    """The self check-in page as trainees type it, or None when no public address is set."""
    try:
        return public_url_for("checkin.self_service")
    except PublicUrlMissing:
        return None


@bp.route("/sessions/<int:session_id>/state")
@door_staff_required
@writes_on_read
def state(session_id: int):
    session = load_session(session_id)
    body = state_json(session)
    # The screen polls this every few seconds: its opening is door.view, the polls only
    # show how long it stayed open.
    audit.record_view(
        current_user,
        "door.refresh",
        session,
        at_most_every=audit.POLLED_VIEW_INTERVAL,
        run_id=session.run_id,
        people=len(body["roster"]),
    )
    db.session.commit()
    return jsonify(body)


@bp.route("/sessions/<int:session_id>/scan", methods=["POST"])
@door_staff_required
@accepts_json
def scan(session_id: int):
    session = load_session(session_id)
    if not request.is_json:
        return _scan_from_form(session)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):
        return error_json(CheckInError("invalid_pass", _("올바른 출석 패스가 아닙니다."), 400))
    method = CheckInMethod.CAMERA if data.get("method") == "camera" else CheckInMethod.SCANNER
    try:
        outcome = check_in_by_pass(
            session,
            data["token"][:200],
            actor=current_user,
            method=method,
            scanned_at=parse_scanned_at(data.get("scanned_at")),
        )
    except CheckInError as error:
        db.session.rollback()
        return error_json(error)
    return _commit_outcome(outcome)


def _scan_from_form(session: Session):
    """The scanner field without JavaScript: a plain form post, answered with a message."""
    token = request.form.get("token", "")[:200]
    _check_in_and_flash(
        lambda: check_in_by_pass(session, token, actor=current_user, method=CheckInMethod.SCANNER)
    )
    return redirect(url_for("checkin.screen", session_id=session.id))


def _check_in_and_flash(check_in) -> None:
    """Run one check-in, commit, and flash what the door screen would have said."""
    commit_and_flash(check_in, lambda outcome: result_json(outcome)["message"])


@bp.route("/sessions/<int:session_id>/frame", methods=["POST"])
@limit_body(MAX_FRAME_BYTES)
@door_staff_required
def frame(session_id: int):
    session = load_session(session_id)
    image = request.get_data(cache=False)
    if not image:
        return jsonify({"result": "no_code", "message": ""}), 200
    try:
        texts = decode_qr(image)
    except FrameError:
        return jsonify({"result": "no_code", "message": ""}), 200
    if not texts:
        return jsonify({"result": "no_code", "message": ""}), 200
    token = texts[0][:200]
    try:
        outcome = check_in_by_pass(session, token, actor=current_user, method=CheckInMethod.CAMERA)
    except CheckInError as error:
        db.session.rollback()
        return jsonify({**error_body(error), "token": token}), error.status
    db.session.commit()
    return jsonify({**result_json(outcome), "token": token}), 201 if outcome.created else 200


@bp.route("/sessions/<int:session_id>/manual", methods=["POST"])
@door_staff_required
@accepts_json
def manual(session_id: int):
    session = load_session(session_id)
    data = request.get_json(silent=True)
    enrollment_id = data.get("enrollment_id") if isinstance(data, dict) else None
    if not isinstance(enrollment_id, int) or isinstance(enrollment_id, bool):
        return error_json(CheckInError("not_enrolled", _("이 강좌의 수강생이 아닙니다."), 404))
    enrollment = get_row(Enrollment, enrollment_id)
    if enrollment is None or enrollment.run_id != session.run_id:
        return error_json(CheckInError("not_enrolled", _("이 강좌의 수강생이 아닙니다."), 404))
    try:
        outcome = record_check_in(
            session, enrollment.person, actor=current_user, method=CheckInMethod.MANUAL
        )
    except CheckInError as error:
        db.session.rollback()
        return error_json(error)
    return _commit_outcome(outcome)


@bp.route("/sessions/<int:session_id>/mark", methods=["POST"])
@door_staff_required
def mark(session_id: int):
    session = load_session(session_id)
    form = MarkForm()
    if form.validate_on_submit():
        enrollment = db.session.get(Enrollment, int(form.enrollment_id.data))
        if enrollment is None:
            abort(404)
        commit_and_flash(
            lambda: mark_attendance(
                session,
                enrollment,
                AttendanceStatus(form.status.data),
                actor=current_user,
                reason=form.reason.data,
            ),
            _("%(name)s님의 출석 상태를 바꿨습니다.", name=enrollment.person.name),
        )
    else:
        flash(_("바꿀 내용을 확인해 주세요."), "error")
    return redirect(url_for("checkin.screen", session_id=session_id) + "#roster")


@bp.route("/sessions/<int:session_id>/walk-in", methods=["POST"])
@staff_required
def walk_in(session_id: int):
    session = load_session(session_id)
    form = WalkInForm()
    if not form.validate_on_submit():
        flash((form.phone.errors or form.override_reason.errors)[0], "error")
        return redirect(url_for("checkin.screen", session_id=session_id))
    try:
        person = find_by_phone(normalize_phone(form.phone.data))
    except AccountError as error:
        flash(error.message, "error")
    else:
        if person is None:
            flash(_("등록되지 않은 번호입니다. 접수 창구에서 먼저 등록해 주세요."), "error")
        else:
            try:
                outcome = add_walk_in(
                    session, person, actor=current_user, override_reason=form.override_reason.data
                )
            except RuleError as refusal:
                db.session.rollback()
                if isinstance(refusal, EnrollmentError) and refusal.can_be_overridden:
                    # Keep the number typed and ask for the reason that would let the rule pass.
                    return _screen_page(session, form, refusal.message), refusal.status
                flash(refusal.message, "error")
            else:
                message = result_json(outcome)["message"]
                db.session.commit()
                flash(message, "success")
    return redirect(url_for("checkin.screen", session_id=session_id))


@bp.route("/sessions/<int:session_id>/close", methods=["POST"])
@door_staff_required
def close(session_id: int):
    session = load_session(session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    commit_and_flash(
        lambda: close_session(session, actor=current_user),
        lambda absent: _("출석을 마감했습니다. 결석 %(n)d명.", n=absent),
    )
    return redirect(url_for("checkin.screen", session_id=session_id))


@bp.route("/sessions/<int:session_id>/code")
@door_staff_required
def code(session_id: int):
    session = load_session(session_id)
    now = utcnow()
    step_seconds = _step_seconds()
    number = self_check_in_code(session, current_step(now))
    body = {"code": number, "expires_in": step_seconds - int(now.timestamp()) % step_seconds}
    try:
        body["url"] = _self_url(session, number)
    except PublicUrlMissing as missing:
        # The number still works typed on the self check-in page: only the link is withheld.
        body |= {"url": None, "error": {"code": missing.code, "message": missing.message}}
    return jsonify(body)


@bp.route("/sessions/<int:session_id>/code.svg")
@door_staff_required
def code_svg(session_id: int):
    session = load_session(session_id)
    try:
        url = _self_url(session, self_check_in_code(session, current_step(utcnow())))
    except PublicUrlMissing as missing:
        # The screen shows this image where the QR would be: the reason goes in its place.
        response = make_response(_message_svg(missing.message), missing.status)
    else:
        image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=20)
        buffer = io.BytesIO()
        image.save(buffer)
        response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"
    return response


def _self_check_in_limit():
    return current_app.config["RATELIMIT_SELF_CHECKIN"]


def _logged_in_person_key():
    # Per person, not per address: a guesser cannot spread tries over addresses, and a
    # classroom behind one address is not limited as one.
    return f"person:{current_user.id}"


@bp.route("/self", methods=["GET", "POST"])
@login_required
@limiter.limit(_self_check_in_limit, methods=["POST"], key_func=_logged_in_person_key)
def self_service():
    # The classroom QR opens this page with the session and code in the address.
    form = SelfCheckInForm(request.args) if request.method == "GET" else SelfCheckInForm()
    if request.method == "POST" and form.validate_on_submit():
        session = None
        if form.session.data:
            session = db.session.get(Session, int(form.session.data))
        try:
            outcome = self_check_in(current_user, form.code.data, session=session)
        except SelfCheckInRefused as error:
            # The wrong code is counted: that count must be kept though the check-in is not.
            db.session.commit()
            form.code.errors.append(error.message)
        except CheckInError as error:
            db.session.rollback()
            form.code.errors.append(error.message)
        else:
            db.session.commit()
            message = result_json(outcome)["message"]
            return render_template("checkin/self_done.html", outcome=outcome, message=message)
    return render_template(
        "checkin/self.html", form=form, sessions=todays_sessions_of(current_user, utcnow())
    )


def _step_seconds() -> int:
    return current_app.config["SELF_CHECKIN_STEP_SECONDS"]


def _self_url(session: Session, code: str) -> str:
    """The self check-in link for the classroom QR; PublicUrlMissing when none is set."""
    return public_url_for("checkin.self_service", session=session.id, code=code)


def _message_svg(message: str) -> bytes:
    """A square image with the message written on it, for where an image was expected."""
    lines = textwrap.wrap(message, 22)
    texts = "".join(
        f'<text x="40" y="{100 + 60 * number}">{escape(line)}</text>'
        for number, line in enumerate(lines)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 1000">'
        '<rect width="1000" height="1000" fill="#fff"/>'
        f'<g fill="#a00000" font-size="40">{texts}</g></svg>'
    ).encode()
