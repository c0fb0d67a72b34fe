"""Attendance sheet downloads for staff: XLSX and PDF, masked unless an admin gives a reason."""

import io

from flask import Blueprint, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from training import audit
from training.accounts.models import Role
from training.catalog.models import CourseRun
from training.database import writes_on_read
from training.extensions import db
from training.fonts import register_korean_font
from training.permissions import staff_required
from training.stats.attendance_sheet import build_sheet_pdf, build_sheet_xlsx, sheet_data
from training.web import XLSX_MIMETYPE

bp = Blueprint("sheets", __name__, url_prefix="/desk/runs")

REASON_MAX_LENGTH = 200


@bp.route("/<int:run_id>/attendance.xlsx")
@staff_required
@writes_on_read
def attendance_xlsx(run_id: int):
    return _export(run_id, "xlsx")


@bp.route("/<int:run_id>/attendance.pdf")
@staff_required
@writes_on_read
def attendance_pdf(run_id: int):
    return _export(run_id, "pdf")


def _export(run_id: int, file_format: str):
    run = db.get_or_404(CourseRun, run_id)
    unmasked = request.args.get("unmasked") == "1"
    reason = request.args.get("reason", "").strip()[:REASON_MAX_LENGTH]
    if unmasked and current_user.role is not Role.ADMIN:
        return _refuse(_("가리지 않은 출석부는 관리자만 내려받을 수 있습니다."))
    if unmasked and not reason:
        return _refuse(_("가리지 않은 출석부를 내려받으려면 사유를 적어 주세요."))
    data = sheet_data(run, unmasked=unmasked)
    if file_format == "xlsx":
        content, mimetype = build_sheet_xlsx(data), XLSX_MIMETYPE
    else:
        font = register_korean_font(current_app.config)
        content, mimetype = build_sheet_pdf(data, font), "application/pdf"
    audit.record(
        current_user,
        "attendance_sheet.export",
        run,
        format=file_format,
        unmasked=unmasked,
        reason=reason if unmasked else None,
        people=len(data.rows),
    )
    db.session.commit()
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        download_name=f"attendance-run-{run.id}.{file_format}",
        as_attachment=file_format == "xlsx",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refuse(message: str):
    return render_template("error.html", status=400, message=message), 400
