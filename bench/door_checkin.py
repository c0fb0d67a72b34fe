"""Door check-in over HTTP beside the bare stack (issue 12).

    .venv/bin/python bench/door_checkin.py [--database sqlite|postgresql] [--workers 4]
                                            [--json PATH]

In a fresh database migrated by the app's own migrations: 2,000 residents confirmed in 80 runs
of 25, each run with a session in progress and one instructor. Through `--workers` gunicorn
sync workers, 16 scanners post each person's pass to ``POST /api/v1/sessions/<id>/checkins``
(timed: the first scans), then 200 repeat scans, then 20 simultaneous scans of one new pass.
The baseline is bench/baseline_app.py under the same gunicorn doing one INSERT with a unique
key per request, 2,000 of them by 16 clients."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench import harness  # noqa: E402

PEOPLE = 2000
RUN_SIZE = 25
SCANNERS = 16
REPEATS = 200
RACERS = 20
DATABASE_NAME = "bench_door"


def build(environment: dict) -> dict:
    """The runs, sessions and people; the scans to make and the instructor's token."""
    import os

    os.environ.update(environment)
    from training import create_app
    from training.accounts.models import Role
    from training.accounts.services import issue_token
    from training.catalog.models import (
        CourseRun,
        Session,
    )
    from training.clock import to_seoul
    from training.enrollment.models import Channel, Enrollment, EnrollmentStatus
    from training.extensions import db
    from training.passes.tokens import pass_token_for

    app = create_app()
    now = datetime.now(UTC)
    with app.app_context():
        instructor = harness.resident(
            0, Role.INSTRUCTOR, generate_password_hash("bench", method="pbkdf2:sha256:1000")
        )
        # One more person than the door sees: the pass the racers scan is still unused.
        people = [harness.resident(n) for n in range(1, PEOPLE + 2)]
        course = harness.course("BENCH", "벤치마크")
        starts = now - timedelta(minutes=5)
        scans = []
        for number, first in enumerate(range(0, len(people), RUN_SIZE), start=1):
            run = CourseRun(
                course_id=course.id,
                number=number,
                instructor_id=instructor.id,
                capacity=RUN_SIZE,
                starts_on=to_seoul(starts).date(),
                ends_on=to_seoul(starts).date(),
                registration_opens_at=now - timedelta(days=14),
                registration_closes_at=now - timedelta(days=1),
            )
            db.session.add(run)
            db.session.flush()
            session = Session(run_id=run.id, starts_at=starts, ends_at=now + timedelta(hours=2))
            db.session.add(session)
            db.session.flush()
            for person in people[first : first + RUN_SIZE]:
                db.session.add(
                    Enrollment(
                        run_id=run.id,
                        person_id=person.id,
                        status=EnrollmentStatus.CONFIRMED,
                        channel=Channel.DESK,
                        created_by_id=instructor.id,
                        confirmed_at=now,
                    )
                )
                scans.append((session.id, pass_token_for(person)))
        db.session.commit()
        token = issue_token(instructor, label="bench")
        db.session.commit()
    return {"scans": scans, "token": token, "app": app}


def count_attendance(app) -> tuple[int, int]:
    """Attendance rows, and the most any one (session, enrollment) has."""
    from training.checkin.models import Attendance
    from training.extensions import db

    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Attendance))
        most = db.session.scalar(
            select(func.count())
            .select_from(Attendance)
            .group_by(Attendance.session_id, Attendance.enrollment_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        db.session.remove()
    return rows, most or 0


def main() -> None:
    options = harness.arguments(__doc__.splitlines()[0])
    print("migrating and building 2,000 people in 81 runs ...", file=sys.stderr)
    with harness.prepared(options, DATABASE_NAME) as (folder, url, about, environment):
        data = build(environment)
        token = data["token"]
        scans, (race_session, race_pass) = data["scans"][:PEOPLE], data["scans"][PEOPLE]

        def call(session_id: int, pass_token: str) -> harness.Call:
            path = f"/api/v1/sessions/{session_id}/checkins"
            return harness.Call(path, {"token": pass_token}, token)

        first_calls = [call(*scan) for scan in scans]
        # Spread over the runs, as people at many doors would come back.
        repeat_calls = first_calls[:: PEOPLE // REPEATS][:REPEATS]
        print("door: first scans, repeats, race ...", file=sys.stderr)
        with harness.app_server(environment, options.workers, folder) as base_url:
            first, first_seconds = harness.load(base_url, first_calls, SCANNERS)
            repeats, repeat_seconds = harness.load(base_url, repeat_calls, SCANNERS)
            race, race_seconds = harness.load(
                base_url, [call(race_session, race_pass)] * RACERS, RACERS
            )
        rows, most = count_attendance(data["app"])

        print("baseline: bare Flask, one INSERT per request ...", file=sys.stderr)
        keys = [f"{session_id}-{n}" for n, (session_id, _) in enumerate(scans)]
        base_first, base_seconds = harness.run_baseline(
            url, folder, options.workers, 1, keys, SCANNERS
        )

    statuses = [answer.status for answer in first + repeats + race]
    server_errors = sum(status >= 500 for status in statuses)
    race_created = sum(answer.status == 201 for answer in race)
    checks = {
        "every first scan 201": all(answer.status == 201 for answer in first),
        "every repeat 200": all(answer.status == 200 for answer in repeats),
        "one 201 among the 20 racers": race_created == 1,
        "one attendance row per person and session": rows == PEOPLE + 1 and most == 1,
        "no 5xx": server_errors == 0,
        "baseline answered 201": all(answer.status == 201 for answer in base_first),
    }
    correctness = (
        f"{rows} attendance rows for {PEOPLE + 1} people (at most {most} per person and session); "
        f"first scans {harness.statuses(first)}, repeats {harness.statuses(repeats)}, "
        f"racers {harness.statuses(race)}; {server_errors} 5xx"
    )
    baseline_row = harness.row("baseline: bare Flask, 1 INSERT", base_first, base_seconds)
    harness.report(
        "door check-in",
        options.database,
        about,
        [
            harness.row(f"check-in, first scan ({SCANNERS} scanners)", first, first_seconds),
            harness.row("check-in, repeat scan", repeats, repeat_seconds),
            harness.row(f"check-in, {RACERS} racers on one pass", race, race_seconds),
        ],
        baseline_row,
        correctness,
        checks,
        options.json,
    )


if __name__ == "__main__":
    main()
