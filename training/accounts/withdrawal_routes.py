"""회원 탈퇴: a person withdraws from their own page, and their personal data is anonymized."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from training.accounts import bp
from training.accounts.forms import WithdrawForm
from training.accounts.retention import anonymize_refusal, open_places, withdraw
from training.accounts.services import AccountError
from training.clock import utcnow
from training.extensions import db, limiter


@bp.route("/me/withdraw", methods=["GET", "POST"], endpoint="withdraw")
# The password is asked for: as many tries as the log-in allows.
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@login_required
def withdraw_page():
    form = WithdrawForm()
    now = utcnow()
    status = 200
    refusal = None
    if form.validate_on_submit():
        try:
            withdraw(current_user, form.password.data, now=now)
        except AccountError as error:
            db.session.rollback()
            if error.field == "password":
                form.password.errors.append(error.message)
            else:
                refusal = error
            status = error.status
        else:
            db.session.commit()
            logout_user()
            flash(
                _(
                    "탈퇴했습니다. 개인정보는 지웠고, 이름을 가린 수강·출석 기록과 수료증만 "
                    "통계와 수료증 확인을 위해 남겼습니다. 그동안 이용해 주셔서 고맙습니다."
                ),
                "success",
            )
            return redirect(url_for("enrollment.catalogue"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "accounts/withdraw.html",
        form=form,
        refusal=refusal or anonymize_refusal(current_user, actor=current_user, now=now),
        places=open_places(current_user, now),
        retention_years=current_app.config["RETENTION_YEARS"],
    ), status
