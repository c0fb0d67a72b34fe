"""The statistics page for staff, its charts and its XLSX and CSV exports."""

import io

from flask import Blueprint, abort, g, render_template, request, send_file
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from training import audit
from training.clock import seoul_today
from training.database import writes_on_read
from training.extensions import db
from training.permissions import staff_required
from training.stats.charts import chart_names, render_chart
from training.stats.definitions import DEFINITIONS
from training.stats.exports import (
    audience_key,
    audience_key_labels,
    breakdown_titles,
    build_stats_csv,
    build_stats_xlsx,
    columns_for,
    dimension_headers,
    headline_rows,
    row_label,
    totals_for,
    totals_note,
)
from training.stats.forms import StatsForm, default_range, quick_ranges
from training.stats.services import build_report, latest_run_end
from training.web import XLSX_MIMETYPE

bp = Blueprint("stats", __name__, url_prefix="/desk/stats")

# Served SVG may carry its own style element and nothing else.
CHART_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _query_form() -> StatsForm:
    """The form filled from the query string, defaults where an argument is missing."""
    values = MultiDict({"audience": "all"})
    if "from" not in request.args or "to" not in request.args:
        values["from"], values["to"] = default_range(seoul_today(), _latest_run_end())
    for name in ("from", "to", "audience"):
        if name in request.args:
            values[name] = request.args.get(name, "")
    return StatsForm(formdata=values)


def _quick_ranges():
    return quick_ranges(seoul_today(), _latest_run_end())


def _latest_run_end():
    # Both the default period and the presets start from it: read once a request.
    if "latest_run_end" not in g:
        g.latest_run_end = latest_run_end(seoul_today())
    return g.latest_run_end


def _invalid(form: StatsForm):
    """The page with the form's messages, and no figures."""
    page = render_template("stats/index.html", form=form, report=None, quick=_quick_ranges())
    return page, 400


@bp.route("")
@staff_required
def index():
    form = _query_form()
    if not form.validate():
        return _invalid(form)
    report = build_report(form.period, form.chosen_audience)
    return render_template(
        "stats/index.html",
        form=form,
        report=report,
        quick=_quick_ranges(),
        query=form.query(),
        audience_key=audience_key(report),
        audience_labels=audience_key_labels(),
        headline=headline_rows(report),
        definitions=DEFINITIONS,
        titles=breakdown_titles(),
        headers=dimension_headers(),
        columns_for=columns_for,
        totals_for=totals_for,
        row_label=row_label,
        totals_note=totals_note,
        charts=chart_names(),
    )


@bp.route("/chart/<name>.svg")
@staff_required
def chart(name: str):
    if name not in chart_names():
        abort(404)
    form = _query_form()
    if not form.validate():
        abort(400)
    svg = render_chart(name, form.period, form.chosen_audience)
    response = send_file(io.BytesIO(svg), mimetype="image/svg+xml", max_age=0)
    response.headers["Content-Security-Policy"] = CHART_SECURITY_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/export.xlsx")
@writes_on_read
@staff_required
def export_xlsx():
    return _export("xlsx")


@bp.route("/export.csv")
@writes_on_read
@staff_required
def export_csv():
    return _export("csv")


def _export(file_format: str):
    form = _query_form()
    if not form.validate():
        return _invalid(form)
    report = build_report(form.period, form.chosen_audience)
    if file_format == "xlsx":
        content, mimetype = build_stats_xlsx(report), XLSX_MIMETYPE
    else:
        # Werkzeug adds "; charset=utf-8" to a text type: naming it here wrote it twice.
        content, mimetype = build_stats_csv(report), "text/csv"
    query = form.query()
    audit.record(current_user, "stats.export", current_user, format=file_format, **query)
    db.session.commit()
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"stats-{query['from']}-{query['to']}-{query['audience']}.{file_format}",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
