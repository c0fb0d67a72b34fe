"""Sign-up, log-in, log-out and password pages."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from training.accounts import auth_sessions, bp
from training.accounts.forms import (
    AccountForm,
    ChangePasswordForm,
    LoginForm,
    SetupForm,
    SignupForm,
)
from training.accounts.logins import WEB, log_in, record_log_in, record_log_out
from training.accounts.models import AuthKind
from training.accounts.passwords import change_password, use_setup_code
from training.accounts.services import (
    AccountError,
    create_person,
    update_contact,
)
from training.clock import utcnow
from training.errors import RuleError
from training.extensions import db, limiter
from training.forms import ConfirmForm
from training.redirects import local_path


def _safe_next(target: str | None) -> str:
    """Only plain local paths are followed after log-in; anything else goes home."""
    return local_path(target) or url_for("enrollment.catalogue")


def _field_for(form, name: str | None, fallback):
    """The form field a refusal concerns; the services call a new password "password"."""
    if name == "password":
        return form.new_password
    return getattr(form, name or "", None) or fallback


def _log_in_browser(person) -> None:
    """Begin a server-side session for this browser, commit, and keep its secret in the
    cookie beside Flask-Login's id: the loader accepts the id only with a live secret."""
    secret = auth_sessions.start_session(
        person,
        AuthKind.WEB,
        now=utcnow(),
        label=auth_sessions.describe_user_agent(request.headers.get("User-Agent")),
    )
    db.session.commit()
    login_user(person)
    session[auth_sessions.SESSION_KEY] = secret


def _this_browser_session():
    """The live server-side session of this browser, if there is one."""
    return auth_sessions.find_live_session(
        session.get(auth_sessions.SESSION_KEY), AuthKind.WEB, now=utcnow()
    )


def _log_out_browser() -> None:
    logout_user()
    session.pop(auth_sessions.SESSION_KEY, None)


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _signup_limit():
    return current_app.config["RATELIMIT_SIGNUP"]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("enrollment.my_page"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            person = create_person(
                **form.person_fields(),
                password=form.password.data,
                # The language the person signed up in is the one their messages are written in.
                locale=str(get_locale()),
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            record_log_in(person, channel=WEB, by="signup")
            _log_in_browser(person)
            flash(_("가입되었습니다. 원하는 강좌를 골라 신청해 보세요."), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template(
        "accounts/signup.html",
        form=form,
        retention_years=current_app.config["RETENTION_YEARS"],
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("enrollment.my_page"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            person = log_in(form.phone.data, form.password.data, channel=WEB)
        except AccountError as error:
            # The refused attempt stays on the audit trail.
            db.session.commit()
            form.password.errors.append(error.message)
        else:
            _log_in_browser(person)
            flash(_("%(name)s님, 반갑습니다.", name=person.name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record_log_out(current_user)
    this_browser = _this_browser_session()
    if this_browser is not None:
        auth_sessions.end_session(this_browser, now=utcnow(), reason=auth_sessions.LOGOUT)
    db.session.commit()
    _log_out_browser()
    flash(_("로그아웃되었습니다."), "info")
    return redirect(url_for("enrollment.catalogue"))


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def setup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.password"))
    form = SetupForm()
    status = 200
    if form.validate_on_submit():
        try:
            person = use_setup_code(
                form.phone.data, form.code.data, form.new_password.data, now=utcnow()
            )
        except AccountError as error:
            # A wrong code is counted in the audit trail: that count must be kept.
            db.session.commit()
            _field_for(form, error.field, form.code).errors.append(error.message)
            status = error.status
        else:
            record_log_in(person, channel=WEB, by="setup_code")
            _log_in_browser(person)
            flash(
                _(
                    "%(name)s님, 비밀번호를 만들었습니다. 다음부터 이 비밀번호로 로그인하세요.",
                    name=person.name,
                ),
                "success",
            )
            return redirect(url_for("enrollment.my_page"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/setup.html", form=form), status


@bp.route("/me/password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@login_required
def password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            now = utcnow()
            person = change_password(
                current_user, form.current_password.data, form.new_password.data, now=now
            )
        except AccountError as error:
            db.session.rollback()
            _field_for(form, error.field, form.new_password).errors.append(error.message)
            status = error.status
        else:
            # The version bump already refuses them; ending the rows shows why in the table.
            auth_sessions.end_all_sessions(person, now=now, reason=auth_sessions.PASSWORD)
            # Every session of the person ended, this one too: this browser begins a new one.
            _log_in_browser(person)
            flash(_("비밀번호를 바꿨습니다. 다른 기기에서는 다시 로그인해야 합니다."), "success")
            return redirect(url_for("enrollment.my_page"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/password.html", form=form), status


@bp.route("/me/account", methods=["GET", "POST"])
@login_required
def my_account():
    # What the person has now fills in what a post leaves out.
    form = AccountForm(
        message_channel=current_user.message_channel.value,
        email=current_user.email,
        locale=current_user.locale,
    )
    status = 200
    if form.validate_on_submit():
        try:
            update_contact(
                current_user,
                **form.contact_fields(),
                locale=form.locale.data,
                actor=current_user,
            )
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
            status = error.status
        else:
            db.session.commit()
            chosen = current_user.locale
            with force_locale(chosen):
                flash(_("내 정보를 저장했습니다."), "success")
            # The header's language switch (?lang=) makes the chosen language the pages' too.
            return redirect(url_for("accounts.my_account", lang=chosen))
    elif request.method == "POST":
        status = 400
    now = utcnow()
    return render_template(
        "accounts/account.html",
        form=form,
        places=auth_sessions.live_sessions(current_user, now=now),
        this_browser=_this_browser_session(),
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/me/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    """Log out one place the person is logged in: a browser or an API token."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    this_browser = _this_browser_session()
    try:
        ended = auth_sessions.revoke_session(
            current_user, session_id, now=utcnow(), actor=current_user
        )
    except RuleError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.my_account"))
    db.session.commit()
    if this_browser is not None and ended.id == this_browser.id:
        _log_out_browser()
        flash(_("로그아웃되었습니다."), "info")
        return redirect(url_for("enrollment.catalogue"))
    flash(_("그곳에서 로그아웃했습니다."), "success")
    return redirect(url_for("accounts.my_account"))


@bp.route("/me/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    """Log out every other browser and API token of the person; this browser stays."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    auth_sessions.end_other_sessions(
        current_user, now=utcnow(), keep=_this_browser_session(), actor=current_user
    )
    db.session.commit()
    flash(_("다른 기기에서 모두 로그아웃했습니다."), "success")
    return redirect(url_for("accounts.my_account"))
