"""Certificate pages: public verification, residents' downloads, staff printing and ledger."""

import io
import re

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from training import audit
from training.catalog.models import CourseRun
from training.certificates import bp
from training.certificates.check_codes import MAX_TYPED_LENGTH, format_check_code
from training.certificates.documents import (
    certificate_data,
    certificate_font,
    printable_certificates,
    public_facts,
    verified_certificate,
)
from training.certificates.forms import CompletionDecisionForm, RevokeForm
from training.certificates.ledger import build_ledger_xlsx, ledger_rows
from training.certificates.models import Certificate
from training.certificates.pdf import build_certificates_pdf
from training.certificates.services import (
    CertificateError,
    certificate_of,
    complete_run,
    completion_results,
    decide_completion,
    find_certificate,
    issue_certificate,
    issue_run_certificates,
    reissue_certificate,
    revoke_certificate,
)
from training.certificates.verification import verification_limit
from training.clock import seoul_today
from training.database import writes_on_read
from training.enrollment.models import CompletionOverride, Enrollment, EnrollmentStatus
from training.extensions import db
from training.forms import ConfirmForm
from training.permissions import staff_required
from training.public_url import PublicUrlMissing, public_base_url
from training.web import XLSX_MIMETYPE, commit_and_flash


def pdf_response(certificates: list[Certificate], filename: str):
    pdf = build_certificates_pdf(
        [certificate_data(c) for c in certificates], font_name=certificate_font()
    )
    response = send_file(
        io.BytesIO(pdf), mimetype="application/pdf", download_name=filename, as_attachment=False
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.app_template_filter("check_code")
def check_code_filter(code: str) -> str:
    return format_check_code(code)


@bp.route("/verify")
@bp.route("/verify/<serial>")
@verification_limit()
def verify(serial: str | None = None):
    # An old printed QR (no code), a wrong code and an unknown serial get the same answer,
    # so walking the serials tells nothing about whose certificates exist.
    serial = (serial or request.args.get("serial", "")).strip()[:20]
    code = request.args.get("code", "")[:MAX_TYPED_LENGTH]
    certificate = verified_certificate(serial, code)
    if certificate is None:
        return render_template(
            "certificates/verify.html", facts=None, serial=serial, code=code.strip()
        ), 404
    return render_template("certificates/verify.html", facts=public_facts(certificate))


def refused_printing(back: str):
    """A redirect back with the reason flashed when certificates cannot be printed, else None:
    refused before anything is issued or counted as reissued."""
    try:
        public_base_url()
    except PublicUrlMissing as missing:
        flash(missing.message, "error")
        return redirect(back)
    return None


def _own_enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    if enrollment.person_id != current_user.id:
        abort(404)
    return enrollment


@bp.route("/me/certificates/<int:enrollment_id>.pdf")
@login_required
def my_certificate(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    if refusal := refused_printing(url_for("enrollment.my_page")):
        return refusal
    certificate = certificate_of(enrollment)
    if certificate is None:
        if enrollment.completed_at is None:
            flash(_("수료하지 않은 수강생입니다."), "error")
            return redirect(url_for("enrollment.my_page"))
        return render_template(
            "certificates/not_issued.html", enrollment=enrollment, form=ConfirmForm()
        )
    if certificate.is_revoked:
        flash(_("취소된 수료증입니다. 교육장 담당자에게 문의해 주세요."), "error")
        return redirect(url_for("enrollment.my_page"))
    return pdf_response([certificate], f"{certificate.serial}.pdf")


@bp.route("/me/certificates/<int:enrollment_id>", methods=["POST"])
@login_required
def issue_mine(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if refusal := refused_printing(url_for("enrollment.my_page")):
        return refusal
    try:
        issue_certificate(enrollment, actor=None)
    except CertificateError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("enrollment.my_page"))
    db.session.commit()
    return redirect(url_for("certificates.my_certificate", enrollment_id=enrollment.id), 303)


@bp.route("/desk/runs/<int:run_id>/completion")
@staff_required
@writes_on_read
def run_completion(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    results = completion_results(run)
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.run_id == run.id, Enrollment.status == EnrollmentStatus.CONFIRMED)
        .order_by(Enrollment.id)
    ).all()
    certificates = {
        c.enrollment_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.enrollment_id.in_([e.id for e in enrollments]))
        )
    }
    audit.record_view(current_user, "completion.view", run, people=len(enrollments))
    db.session.commit()
    return render_template(
        "certificates/run.html",
        run=run,
        enrollments=sorted(enrollments, key=lambda e: e.person.name),
        results=results,
        certificates=certificates,
        confirm_form=ConfirmForm(),
        decision_form=CompletionDecisionForm(formdata=None),
        revoke_form=RevokeForm(formdata=None),
        today=seoul_today(),
    )


@bp.route("/desk/runs/<int:run_id>/complete", methods=["POST"])
@staff_required
def complete(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def judge() -> int:
        completed = complete_run(run)
        audit.record(current_user, "completion.judge", run, completed=completed)
        return completed

    commit_and_flash(
        judge, lambda completed: _("수료 판정을 마쳤습니다. 수료 %(n)d명.", n=completed)
    )
    return redirect(url_for("certificates.run_completion", run_id=run_id))


@bp.route("/desk/enrollments/<int:enrollment_id>/completion", methods=["POST"])
@staff_required
def decide(enrollment_id: int):
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    form = CompletionDecisionForm()
    if form.validate_on_submit():
        commit_and_flash(
            lambda: decide_completion(
                enrollment,
                CompletionOverride(form.decision.data),
                actor=current_user,
                reason=form.reason.data,
            ),
            _("%(name)s님의 수료 여부를 바꿨습니다.", name=enrollment.person.name),
        )
    else:
        flash(_("사유를 적어 주세요."), "error")
    return redirect(url_for("certificates.run_completion", run_id=enrollment.run_id))


@bp.route("/desk/runs/<int:run_id>/certificates", methods=["POST"])
@staff_required
def issue_for_run(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if refusal := refused_printing(url_for("certificates.run_completion", run_id=run.id)):
        return refusal
    issue_run_certificates(run, actor=current_user)
    db.session.commit()
    return redirect(url_for("certificates.run_certificates", run_id=run.id), 303)


@bp.route("/desk/runs/<int:run_id>/certificates.pdf")
@staff_required
@writes_on_read
def run_certificates(run_id: int):
    run = db.get_or_404(CourseRun, run_id)
    if refusal := refused_printing(url_for("certificates.run_completion", run_id=run.id)):
        return refusal
    certificates = printable_certificates(run)
    if not certificates:
        flash(_("수료한 사람이 없어 인쇄할 수료증이 없습니다."), "info")
        return redirect(url_for("certificates.run_completion", run_id=run_id))
    # Printed certificates carry full names and birth years: who printed them is on record.
    audit.record(current_user, "certificates.print", run, count=len(certificates))
    db.session.commit()
    return pdf_response(certificates, f"certificates-run-{run.id}.pdf")


def _certificate_or_404(serial: str) -> Certificate:
    certificate = find_certificate(serial)
    if certificate is None:
        abort(404)
    return certificate


@bp.route("/desk/certificates/<serial>/reissue", methods=["POST"])
@staff_required
def reissue(serial: str):
    certificate = _certificate_or_404(serial)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = url_for("certificates.run_completion", run_id=certificate.enrollment.run_id)
    if refusal := refused_printing(back):
        return refusal
    try:
        reissue_certificate(certificate, actor=current_user)
    except CertificateError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    return pdf_response([certificate], f"{certificate.serial}.pdf")


@bp.route("/desk/certificates/<serial>/revoke", methods=["POST"])
@staff_required
def revoke(serial: str):
    certificate = _certificate_or_404(serial)
    form = RevokeForm()
    if form.validate_on_submit():
        commit_and_flash(
            lambda: revoke_certificate(certificate, actor=current_user, reason=form.reason.data),
            _("수료증 %(serial)s을(를) 취소했습니다.", serial=certificate.serial),
        )
    else:
        flash(_("사유를 적어 주세요."), "error")
    return redirect(url_for("certificates.run_completion", run_id=certificate.enrollment.run_id))


@bp.route("/desk/certificates/ledger.xlsx")
@staff_required
@writes_on_read
def ledger():
    year_text = request.args.get("year", "")
    if not re.fullmatch(r"(19|20)[0-9]{2}", year_text):
        abort(400)
    year = int(year_text)
    rows = ledger_rows(year)
    audit.record(
        current_user, "certificates.ledger_export", current_user, year=year, rows=len(rows)
    )
    db.session.commit()
    return send_file(
        io.BytesIO(build_ledger_xlsx(year, rows)),
        mimetype=XLSX_MIMETYPE,
        download_name=f"certificate-ledger-{year}.xlsx",
        as_attachment=True,
    )
