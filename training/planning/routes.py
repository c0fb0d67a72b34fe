"""Staff planning pages: each loads what it shows, validates its form and calls one service."""

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from training.catalog.models import CourseRun
from training.clock import to_seoul, utcnow
from training.extensions import db
from training.permissions import staff_required
from training.planning import bp

OVERVIEW_LIMIT = 30


@bp.route("/")
@staff_required
def overview():
    today = to_seoul(utcnow()).date()
    runs = db.session.scalars(
        select(CourseRun)
        .where(CourseRun.ends_on >= today)
        .options(selectinload(CourseRun.course), selectinload(CourseRun.room))
        .order_by(CourseRun.starts_on, CourseRun.id)
        .limit(OVERVIEW_LIMIT)
    ).all()
    return render_template("planning/overview.html", runs=runs)
