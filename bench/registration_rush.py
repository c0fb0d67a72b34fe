"""The registration rush over HTTP beside the bare stack (issue 12).

    .venv/bin/python bench/registration_rush.py [--database sqlite|postgresql] [--workers 4]
                                                 [--json PATH]

In a fresh database migrated by the app's own migrations: 160 residents with accounts and a
first-come run of 20 seats whose registration is open now. Each resident's API token is issued
before the timed part; then 64 clients at once each post one resident's
``POST /api/v1/runs/<id>/enrollments`` through `--workers` gunicorn sync workers. The baseline is
bench/baseline_app.py under the same gunicorn doing as many inserts per request as an enrollment
made (measured: new rows in every table after the rush, divided by the requests)."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, inspect, select, table  # noqa: E402

from bench import harness  # noqa: E402

RESIDENTS = 160
SEATS = 20
CLIENTS = 64
DATABASE_NAME = "bench_rush"


def build(environment: dict) -> dict:
    """The residents and their tokens, and the run."""
    import os

    os.environ.update(environment)
    from training import create_app
    from training.accounts.services import issue_token
    from training.catalog.models import (
        CourseRun,
        Selection,
        Session,
    )
    from training.clock import to_seoul
    from training.extensions import db

    app = create_app()
    now = datetime.now(UTC)
    with app.app_context():
        residents = [harness.resident(n) for n in range(1, RESIDENTS + 1)]
        course = harness.course("RUSH", "스마트폰 기초")
        starts = now + timedelta(days=14)
        run = CourseRun(
            course_id=course.id,
            number=1,
            capacity=SEATS,
            starts_on=to_seoul(starts).date(),
            ends_on=to_seoul(starts).date(),
            registration_opens_at=now - timedelta(minutes=1),
            registration_closes_at=now + timedelta(days=1),
            selection=Selection.FIRST_COME,
        )
        db.session.add(run)
        db.session.flush()
        db.session.add(
            Session(run_id=run.id, starts_at=starts, ends_at=starts + timedelta(hours=2))
        )
        db.session.commit()
        tokens = [issue_token(person, label="bench") for person in residents]
        db.session.commit()
        return {"app": app, "run_id": run.id, "tokens": tokens}


def row_counts(app) -> int:
    """Rows in every table of the app's database."""
    from training.extensions import db

    with app.app_context():
        names = inspect(db.engine).get_table_names()
        total = sum(
            db.session.scalar(select(func.count()).select_from(table(name))) for name in names
        )
        db.session.remove()
    return total


def enrollments(app, run_id: int) -> list[tuple[int, str, int | None]]:
    """(person, status, waiting-list place) of each enrollment in the run."""
    from training.enrollment.models import Enrollment
    from training.extensions import db

    with app.app_context():
        found = db.session.execute(
            select(Enrollment.person_id, Enrollment.status, Enrollment.waitlist_position).where(
                Enrollment.run_id == run_id
            )
        ).all()
        db.session.remove()
    return [(person, status.value, place) for person, status, place in found]


def main() -> None:
    options = harness.arguments(__doc__.splitlines()[0])
    print("migrating and building 160 residents and a run ...", file=sys.stderr)
    with harness.prepared(options, DATABASE_NAME) as (folder, url, about, environment):
        data = build(environment)
        app, run_id = data["app"], data["run_id"]
        calls = [
            harness.Call(f"/api/v1/runs/{run_id}/enrollments", {}, token)
            for token in data["tokens"]
        ]
        rows_before = row_counts(app)
        print("rush: 160 residents, 64 at once ...", file=sys.stderr)
        with harness.app_server(environment, options.workers, folder) as base_url:
            answers, seconds = harness.load(base_url, calls, CLIENTS)
        writes = max(1, round((row_counts(app) - rows_before) / RESIDENTS))
        found = enrollments(app, run_id)

        print(f"baseline: bare Flask, {writes} INSERTs per request ...", file=sys.stderr)
        base, base_seconds = harness.run_baseline(
            url, folder, options.workers, writes, [f"rush-{n}" for n in range(RESIDENTS)], CLIENTS
        )

    confirmed = sum(status == "confirmed" for _, status, _ in found)
    places = sorted(place for _, status, place in found if status == "waitlisted")
    people = [person for person, _, _ in found]
    checks = {
        f"exactly {SEATS} confirmed": confirmed == SEATS,
        f"places 1..{RESIDENTS - SEATS}, no gap or duplicate": places
        == list(range(1, RESIDENTS - SEATS + 1)),
        "every request 201": all(answer.status == 201 for answer in answers),
        "no one twice": len(people) == len(set(people)) == RESIDENTS,
        "baseline answered 201": all(answer.status == 201 for answer in base),
    }
    correctness = (
        f"{confirmed} confirmed of {SEATS} seats, {len(places)} waiting "
        f"(places {places[0] if places else '-'}..{places[-1] if places else '-'}, "
        f"{len(set(places))} distinct), {len(set(people))} people in {len(people)} enrollments; "
        f"answers {harness.statuses(answers)}; "
        f"{writes} rows written a request"
    )
    harness.report(
        "registration rush",
        options.database,
        about,
        [harness.row(f"enrollment ({CLIENTS} clients, {SEATS} seats)", answers, seconds)],
        harness.row(f"baseline: bare Flask, {writes} INSERT a request", base, base_seconds),
        correctness,
        checks,
        options.json,
    )


if __name__ == "__main__":
    main()
