"""Sign-up, log-in and log-out pages."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from training.accounts import bp
from training.accounts.forms import LoginForm, SignupForm
from training.accounts.services import AccountError, authenticate, create_person
from training.extensions import db, limiter
from training.redirects import local_path


def _safe_next(target: str | None) -> str:
    """Only plain local paths are followed after log-in; anything else goes home."""
    return local_path(target) or url_for("enrollment.catalogue")


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
            person = create_person(**form.person_fields(), password=form.password.data)
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            db.session.commit()
            login_user(person)
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
            person = authenticate(form.phone.data, form.password.data)
        except AccountError as error:
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            login_user(person)
            flash(_("%(name)s님, 반갑습니다.", name=person.name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash(_("로그아웃되었습니다."), "info")
    return redirect(url_for("enrollment.catalogue"))
