"""Term import pages: the template, an upload with its preview, and the import itself.

Between the preview and the import the uploaded file waits under the instance folder, named
by the member of staff's id and a random token, and is deleted by the import. The instance
folder is shared by every worker process of the server, so the confirming request may land on
any of them; the browser carries only the token (never the file, which it could change), and
a token is of no use to anyone but the person who uploaded. The import reads the file again
and applies every rule again, so what changed since the preview is still checked.
"""

import io
import re
import secrets
import time
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

from training.clock import utcnow
from training.errors import RuleError
from training.extensions import db
from training.permissions import staff_required
from training.planning import bp
from training.planning.importing import (
    MAX_UPLOAD_BYTES,
    build_template,
    import_term,
    read_workbook,
    template_lists,
    too_big_message,
)
from training.web import XLSX_MIMETYPE

UPLOAD_FOLDER = "term-imports"
TOKEN_PATTERN = r"[A-Za-z0-9_-]{22}"
# A preview left unconfirmed is forgotten after a day.
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
# Room for the form's other fields and the multipart framing around the file.
REQUEST_OVERHEAD_BYTES = 64 * 1024
UPLOAD_ENDPOINTS = ("planning.import_upload",)


class TermUploadForm(FlaskForm):
    file = FileField(
        _l("채운 서식 파일 (.xlsx)"),
        validators=[FileRequired(_l("올릴 파일을 골라 주세요."))],
        description=_l("한 줄에 한 강좌씩 적은 서식 파일. 2MB까지 올릴 수 있습니다."),
        render_kw={"accept": ".xlsx"},
    )


class TermConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(f"^{TOKEN_PATTERN}$")])


@bp.url_value_preprocessor
def limit_upload_size(endpoint, values):
    # Before the CSRF check reads the form: a file over the limit is refused before it is
    # read, rather than spooled to disk and measured afterwards.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = MAX_UPLOAD_BYTES + REQUEST_OVERHEAD_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return error
    form = TermUploadForm(formdata=None)
    form.file.errors = [too_big_message()]
    return render_template("planning/import.html", form=form), 413


@bp.route("/import/template.xlsx")
@staff_required
def import_template():
    response = send_file(
        io.BytesIO(build_template(template_lists())),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name="강좌_가져오기_서식.xlsx",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/import", methods=["GET", "POST"])
@staff_required
def import_upload():
    form = TermUploadForm()
    if not form.validate_on_submit():
        return render_template("planning/import.html", form=form), 400 if form.errors else 200
    content = form.file.data.read(MAX_UPLOAD_BYTES + 1)
    try:
        rows = read_workbook(content)
        report = import_term(rows, actor=current_user, now=utcnow(), dry_run=True)
    except RuleError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return render_template("planning/import.html", form=form), 400
    db.session.rollback()
    confirm = None
    if report.is_ok and report.ready:
        confirm = TermConfirmForm(formdata=None, token=_keep_upload(content))
    return render_template("planning/import_preview.html", report=report, confirm=confirm)


@bp.route("/import/confirm", methods=["POST"])
@staff_required
def import_confirm():
    form = TermConfirmForm()
    path = _upload_path(form.token.data) if form.validate_on_submit() else None
    if path is None or not path.is_file():
        flash(_("미리 본 파일을 찾을 수 없습니다. 파일을 다시 올려 주세요."), "error")
        return redirect(url_for("planning.import_upload"))
    try:
        content = path.read_bytes()
        report = import_term(read_workbook(content), actor=current_user, now=utcnow())
    finally:
        path.unlink(missing_ok=True)
    if not report.is_ok:
        db.session.rollback()
        flash(
            _(
                "미리 본 뒤에 바뀐 것이 있어 아무것도 가져오지 않았습니다. "
                "고친 뒤 다시 올려 주세요."
            ),
            "error",
        )
        return render_template("planning/import_preview.html", report=report, confirm=None), 409
    db.session.commit()
    flash(
        _(
            "강좌 %(made)d개를 가져왔습니다. 이미 있던 %(present)d개는 건너뛰었습니다.",
            made=report.imported,
            present=len(report.present),
        ),
        "success",
    )
    return redirect(url_for("planning.overview"))


def _upload_folder() -> Path:
    return Path(current_app.instance_path) / UPLOAD_FOLDER


def _upload_path(token: str) -> Path | None:
    if not re.fullmatch(TOKEN_PATTERN, token or ""):
        return None
    return _upload_folder() / f"{current_user.id}-{token}.xlsx"


def _keep_upload(content: bytes) -> str:
    """Keep an uploaded file for its import; the token that names it."""
    folder = _upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for old in folder.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except FileNotFoundError:  # another worker cleared it first
            continue
    token = secrets.token_urlsafe(16)
    _upload_path(token).write_bytes(content)
    return token
