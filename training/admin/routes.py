"""The audit trail pages: search, and an export that is itself audited."""

import io

from flask import render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from training import audit
from training.accounts.models import Role
from training.admin import bp
from training.admin.forms import AuditExportForm, AuditSearchForm
from training.admin.services import (
    all_entries,
    build_audit_csv,
    entry_row,
    month_downloads,
    record_export,
    search_entries,
    subject_names,
)
from training.clock import parse_month, seoul_today, to_seoul, utcnow
from training.extensions import db
from training.permissions import role_required


@bp.context_processor
def retention():
    return {
        "retention_years": audit.RETENTION_YEARS,
        "permission_retention_years": audit.PERMISSION_RETENTION_YEARS,
    }


def _headers() -> list[str]:
    return [_("한 사람"), _("때(서울)"), _("동작"), _("기록 대상"), _("주소"), _("내용")]


def _page(search: AuditSearchForm, export: AuditExportForm):
    """The search page: the matching entries, or the form's messages and no entries."""
    if not search.validate():
        return render_template("admin/audit.html", search=search, export=export, page=None), 400
    page = search_entries(search.audit_query, request.args.get("page", 1, type=int))
    names = subject_names(page.items)
    rows = [entry_row(entry, names, _("시스템")) for entry in page.items]
    return render_template(
        "admin/audit.html",
        search=search,
        export=export,
        page=page,
        rows=rows,
        headers=_headers(),
        query=search.query(),
    )


@bp.route("/audit")
@role_required(Role.ADMIN)
def audit_log():
    search = AuditSearchForm(formdata=request.args)
    export = AuditExportForm(formdata=None, data=_search_data(search))
    return _page(search, export)


@bp.route("/audit/export", methods=["POST"])
@role_required(Role.ADMIN)
def audit_export():
    export = AuditExportForm()
    if not export.validate():
        search = AuditSearchForm(formdata=request.form)
        search.validate()
        page = render_template("admin/audit.html", search=search, export=export, page=None)
        return page, 400
    query = export.audit_query
    entries = all_entries(query)
    names = subject_names(entries)
    rows = [entry_row(entry, names, _("시스템")) for entry in entries]
    record_export(current_user, query, export.reason.data.strip(), len(entries))
    db.session.commit()
    response = send_file(
        io.BytesIO(build_audit_csv(_headers(), rows)),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"audit-{to_seoul(utcnow()):%Y%m%d-%H%M}.csv",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _search_data(search: AuditSearchForm) -> dict:
    return {
        "person": search.person.data,
        "actor": search.actor.data,
        "action": search.action.data,
        "start": search.start.data,
        "end": search.end.data,
    }


@bp.route("/audit/review")
@role_required(Role.ADMIN)
def audit_review():
    today = seoul_today()
    month = parse_month(request.args.get("month", f"{today:%Y-%m}"))
    if month is None:
        page = render_template("admin/review.html", month=None, entries=[], error=True)
        return page, 400
    return render_template(
        "admin/review.html", month=month, entries=month_downloads(month), error=False
    )
