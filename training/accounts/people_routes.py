"""Staff pages about one person: their record, a new set-up code, anonymizing them (at their
request), and (administrators) their role and whether their account is open."""

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
from flask_login import current_user

from training import audit
from training.accounts import bp
from training.accounts.forms import AccountStateForm, AnonymizeForm, RoleForm
from training.accounts.models import Person, Role
from training.accounts.passwords import (
    format_setup_code,
    is_current_setup_code,
    issue_setup_code,
)
from training.accounts.people import (
    change_role,
    describe_account_change,
    person_overview,
    set_active,
)
from training.accounts.retention import anonymize_person, anonymize_refusal, open_places
from training.accounts.services import AccountError, is_login_locked, mask_name, mask_phone
from training.clock import to_seoul, utcnow
from training.database import writes_on_read
from training.extensions import db
from training.fonts import register_korean_font
from training.forms import ConfirmForm
from training.passes.cards import PassCard, build_pass_cards_pdf
from training.passes.tokens import pass_token_for
from training.permissions import role_required, staff_required
from training.web import commit_and_flash

# A set-up code is a credential: not kept by shared computers or proxies.
NO_STORE = {"Cache-Control": "private, no-store"}


@bp.route("/desk/people/<int:person_id>")
@staff_required
@writes_on_read
def person(person_id: int):
    person = db.get_or_404(Person, person_id)
    now = utcnow()
    overview = person_overview(person, now=now)
    audit.record_view(current_user, "person.view", person)
    db.session.commit()
    return render_template(
        "desk/person.html",
        overview=overview,
        person=person,
        login_locked=is_login_locked(person, now),
        describe=describe_account_change,
        form=ConfirmForm(),
    )


@bp.route("/desk/people/<int:person_id>/setup-code", methods=["POST"])
@staff_required
def issue_code(person_id: int):
    person = db.get_or_404(Person, person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        code = issue_setup_code(person, actor=current_user, now=utcnow())
    except AccountError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("accounts.person", person_id=person.id))
    db.session.commit()
    return render_template(
        "desk/person_setup_code.html",
        person=person,
        code=format_setup_code(code),
        back=url_for("accounts.person", person_id=person.id),
        form=ConfirmForm(),
    ), NO_STORE


@bp.route("/desk/people/<int:person_id>/setup-code/card.pdf", methods=["POST"])
@staff_required
def setup_code_card(person_id: int):
    person = db.get_or_404(Person, person_id)
    code = request.form.get("code", "")
    # Only the code just shown prints: the hash is checked, nothing else can be put on a card.
    if not ConfirmForm().validate_on_submit() or not is_current_setup_code(
        person, code, now=utcnow()
    ):
        abort(400)
    audit.record(current_user, "pass.print", person, version=person.pass_version, setup_code=True)
    db.session.commit()
    card = PassCard(
        name=person.name,
        masked_phone=mask_phone(person.phone),
        token=pass_token_for(person),
        run_title=None,
        issued_on=to_seoul(utcnow()).strftime("%Y-%m-%d"),
        setup_code=code,
        setup_code_expires_on=to_seoul(person.setup_code_expires_at).strftime("%Y-%m-%d"),
    )
    font = register_korean_font(current_app.config)
    response = make_response(build_pass_cards_pdf([card], font_name=font))
    response.headers.update(NO_STORE)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="setup-{person.id}.pdf"'
    return response


@bp.route("/desk/people/<int:person_id>/role", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def role(person_id: int):
    person = db.get_or_404(Person, person_id)
    form = RoleForm(role=person.role.value) if request.method == "GET" else RoleForm()
    if form.validate_on_submit() and commit_and_flash(
        lambda: change_role(
            person, Role(form.role.data), actor=current_user, reason=form.reason.data
        ),
        lambda changed: _(
            "%(name)s님의 역할을 %(role)s(으)로 바꿨습니다.",
            name=changed.name,
            role=changed.role.label,
        ),
    ):
        return redirect(url_for("accounts.person", person_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("desk/person_role.html", person=person, form=form), status


@bp.route("/desk/people/<int:person_id>/account", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def account(person_id: int):
    person = db.get_or_404(Person, person_id)
    form = AccountStateForm(close="1" if person.is_active else "0")
    if form.validate_on_submit():
        # What the admin saw and meant, not the state now: a second click is refused.
        closing = form.close.data == "1"
        if commit_and_flash(
            lambda: set_active(person, not closing, actor=current_user, reason=form.reason.data),
            _("%(name)s님의 계정을 정지했습니다.", name=person.name)
            if closing
            else _("%(name)s님의 계정을 다시 열었습니다.", name=person.name),
        ):
            return redirect(url_for("accounts.person", person_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("desk/person_account.html", person=person, form=form), status


@bp.route("/desk/people/<int:person_id>/anonymize", methods=["GET", "POST"])
@staff_required
def anonymize(person_id: int):
    person = db.get_or_404(Person, person_id)
    form = AnonymizeForm()
    now = utcnow()
    refusal, status = None, 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        masked = mask_name(person.name)
        try:
            anonymize_person(person, actor=current_user, reason=form.reason.data, now=now)
        except AccountError as error:
            db.session.rollback()
            refusal, status = error, error.status
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s님의 개인정보를 파기했습니다. 수강·출석 기록과 수료증은 이름을 "
                    "가린 채 남습니다.",
                    name=masked,
                ),
                "success",
            )
            return redirect(url_for("desk.people"))
    return render_template(
        "desk/person_anonymize.html",
        person=person,
        form=form,
        refusal=refusal or anonymize_refusal(person, actor=current_user, now=now),
        places=open_places(person, now),
    ), status
