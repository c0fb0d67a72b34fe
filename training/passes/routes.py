"""The resident's own pass, and staff printing and reissuing passes."""

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from training import audit
from training.accounts.models import Person
from training.accounts.services import mask_phone
from training.catalog.models import CourseRun
from training.clock import to_seoul, utcnow
from training.database import writes_on_read
from training.enrollment.services import confirmed_in_name_order
from training.extensions import db
from training.fonts import register_korean_font
from training.forms import ConfirmForm
from training.passes import bp
from training.passes.cards import PassCard, build_pass_cards_pdf, qr_png, qr_svg
from training.passes.tokens import pass_token_for, reissue_pass
from training.permissions import staff_required
from training.redirects import local_path

# A pass is a credential: not kept by shared computers or proxies.
NO_STORE = {"Cache-Control": "private, no-store"}


@bp.route("/me/pass")
@login_required
def my_pass():
    svg = qr_svg(pass_token_for(current_user))
    return render_template("passes/me.html", qr=svg), NO_STORE


@bp.route("/me/pass.png")
@login_required
def my_pass_png():
    response = make_response(qr_png(pass_token_for(current_user)))
    response.headers.update(NO_STORE)
    response.headers["Content-Type"] = "image/png"
    response.headers["Content-Disposition"] = 'attachment; filename="ydp-qr-pass.png"'
    return response


@bp.route("/me/pass.pdf")
@login_required
def my_pass_pdf():
    return _pdf([_card_for(current_user)], "ydp-qr-pass.pdf")


@bp.route("/desk/people/<int:person_id>/pass")
@staff_required
def desk_person(person_id: int):
    person = db.get_or_404(Person, person_id)
    return render_template(
        "passes/desk_person.html",
        person=person,
        form=ConfirmForm(),
        back=local_path(request.args.get("next")),
    )


@bp.route("/desk/people/<int:person_id>/pass.pdf")
@staff_required
@writes_on_read
def desk_person_pdf(person_id: int):
    person = db.get_or_404(Person, person_id)
    audit.record(current_user, "pass.print", person, version=person.pass_version)
    db.session.commit()
    return _pdf([_card_for(person)], f"qr-pass-{person.id}.pdf")


@bp.route("/desk/runs/<int:run_id>/passes.pdf")
@staff_required
@writes_on_read
def desk_run_pdf(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    # In name order (가나다), as staff hand the cards out.
    enrollments = confirmed_in_name_order(run_id)
    if not enrollments:
        flash(_("수강이 확정된 사람이 없어 인쇄할 출석 패스가 없습니다."), "info")
        return redirect(url_for("desk.run_roster", run_id=run_id))
    audit.record(current_user, "passes.print", run, people=len(enrollments))
    db.session.commit()
    cards = [_card_for(enrollment.person, run.title) for enrollment in enrollments]
    return _pdf(cards, f"qr-passes-run-{run.id}.pdf")


@bp.route("/desk/people/<int:person_id>/pass/reissue", methods=["POST"])
@staff_required
def reissue(person_id: int):
    person = db.get_or_404(Person, person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reissue_pass(person, actor=current_user)
    db.session.commit()
    flash(
        _(
            "%(name)s님의 출석 패스를 다시 발급했습니다. 이전 패스는 더 이상 쓸 수 없습니다.",
            name=person.name,
        ),
        "success",
    )
    return redirect(
        local_path(request.form.get("next")) or url_for("passes.desk_person", person_id=person.id)
    )


def _card_for(person: Person, run_title: str | None = None) -> PassCard:
    return PassCard(
        name=person.name,
        masked_phone=mask_phone(person.phone),
        token=pass_token_for(person),
        run_title=run_title,
        issued_on=to_seoul(utcnow()).strftime("%Y-%m-%d"),
    )


def _pdf(cards: list[PassCard], filename: str):
    font = register_korean_font(current_app.config)
    response = make_response(build_pass_cards_pdf(cards, font_name=font))
    response.headers.update(NO_STORE)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
