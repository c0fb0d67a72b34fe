"""Catalogue pages: the list of runs with filters, and one run."""

from datetime import date

from flask import abort, render_template, request
from flask_login import current_user

from training.catalog import bp
from training.catalog.forms import CatalogFilterForm
from training.catalog.models import Audience, Category, Delivery, Level
from training.catalog.services import RunFilters, get_run_listing, list_runs, list_venues
from training.clock import parse_month, to_seoul, utcnow
from training.enrollment.services import active_enrollment_in


def _upcoming_months(today: date, count: int = 6) -> list[str]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@bp.route("/")
def index():
    now = utcnow()
    form = CatalogFilterForm(request.args)
    form.fill_choices(list_venues(), _upcoming_months(to_seoul(now).date()))
    filters = RunFilters(upcoming_only=True)
    if form.validate():
        data = form.data
        filters.month = parse_month(data["month"])
        if data["venue"]:
            filters.venue_id = int(data["venue"])
        filters.category = Category(data["category"]) if data["category"] else None
        filters.level = Level(data["level"]) if data["level"] else None
        filters.audience = Audience(data["audience"]) if data["audience"] else None
        filters.delivery = Delivery(data["delivery"]) if data["delivery"] else None
        filters.has_seats = bool(data["has_seats"])
    listings = list_runs(filters, now=now)
    return render_template("catalog/index.html", form=form, listings=listings, now=now)


@bp.route("/runs/<int:run_id>")
def run_detail(run_id: int):
    listing = get_run_listing(run_id)
    if listing is None:
        abort(404)
    mine = None
    if current_user.is_authenticated:
        mine = active_enrollment_in(listing.run, current_user)
    return render_template("catalog/run.html", listing=listing, mine=mine, now=utcnow())
