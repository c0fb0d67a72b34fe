"""Statistics at the demo's size and at ten times it, beside a bare SQL GROUP BY.

    .venv/bin/python bench/stats_scaling.py [--repeat N]

Seeds the demo into a temporary SQLite database, times each line N times (median), then adds
nine copies of the 2022 programme (runs, their sessions, the people enrolled, their
enrollments and attendance, each copy with new ids and phone numbers) and times them again.
Prints the medians at 1x and 10x and the 10x/1x ratio of each: about 10 means linear growth.
This is a benchmark, not a test: it asserts nothing about speed."""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from training import create_app
from training.catalog.models import CourseRun
from training.extensions import db
from training.stats.services import Period, build_report, figures, report_lines

COPIES = 9
MONTH = Period(date(2022, 5, 1), date(2022, 5, 31))
YEAR = Period(date(2022, 1, 1), date(2022, 12, 31))
JAN_TO_AUG = Period(date(2022, 1, 1), date(2022, 8, 31))

# Count distinct people trained per month a run ends: what figures() does, written by hand.
BARE_GROUP_BY = text(
    """
    SELECT strftime('%Y-%m', r.ends_on) AS month, count(DISTINCT e.person_id), count(a.id)
    FROM attendances a
    JOIN enrollments e ON e.id = a.enrollment_id
    JOIN course_runs r ON r.id = e.run_id
    WHERE e.status = 'confirmed' AND a.status IN ('present', 'late')
      AND r.ends_on BETWEEN :first AND :last
    GROUP BY month
    """
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stats_xlsx_builder():
    """training.stats.exports.build_stats_xlsx where it exists, else None."""
    try:
        from training.stats.exports import build_stats_xlsx
    except ImportError:
        return None
    return build_stats_xlsx


def timed_lines(repeat: int) -> dict[str, float]:
    """Each line's median seconds at the database's present size."""
    build_stats_xlsx = stats_xlsx_builder()

    def bare(period: Period):
        return lambda: db.session.execute(
            BARE_GROUP_BY, {"first": period.first, "last": period.last}
        ).all()

    lines = {
        "figures(), one month": lambda: figures(MONTH),
        "figures(), the year": lambda: figures(YEAR),
        "bare GROUP BY, one month": bare(MONTH),
        "bare GROUP BY, the year": bare(YEAR),
        "build_report(), the year": lambda: build_report(YEAR, None),
    }
    if build_stats_xlsx is not None:
        lines["build_report() + XLSX, the year"] = lambda: build_stats_xlsx(
            build_report(YEAR, None)
        )
    results = {}
    for name, action in lines.items():
        progress(f"  timing {name} ...")
        action()  # warm the caches (statement compilation, pages) before timing
        results[name] = median_seconds(action, repeat)
    return results


def copy_rows(table: str, columns: list[str], overrides: dict[str, str], where: str) -> int:
    """INSERT ... SELECT the table's rows matching where, with some columns computed anew."""
    targets = ", ".join(columns)
    sources = ", ".join(overrides.get(column, column) for column in columns)
    result = db.session.execute(
        text(f"INSERT INTO {table} ({targets}) SELECT {sources} FROM {table} WHERE {where}")
    )
    return result.rowcount


def multiply_2022(copies: int) -> None:
    """Add copies of the 2022 runs with their sessions, people, enrollments and attendance."""
    tables = {t.name: [c.name for c in t.columns] for t in db.metadata.sorted_tables}
    largest = {
        name: db.session.scalar(text(f"SELECT max(id) FROM {name}"))
        for name in ("people", "course_runs", "sessions", "enrollments", "attendances")
    }
    # Only the original runs: the copies also fall in 2022.
    runs_2022 = (
        "SELECT id FROM course_runs WHERE starts_on >= '2022-01-01'"
        f" AND ends_on <= '2022-12-31' AND id <= {largest['course_runs']}"
    )
    enrollments_2022 = f"SELECT id FROM enrollments WHERE run_id IN ({runs_2022})"
    people_2022 = f"SELECT DISTINCT person_id FROM enrollments WHERE run_id IN ({runs_2022})"
    for k in range(1, copies + 1):
        shift = {name: k * (largest[name] + 1) for name in largest}
        people = copy_rows(
            "people",
            tables["people"],
            {
                "id": f"id + {shift['people']}",
                # 010-... becomes 01k-...: unique, and still eleven digits.
                "phone": f"'01{k}' || substr(phone, 4)",
                "barred_run_id": "NULL",
                "barred_until": "NULL",
            },
            f"id IN ({people_2022})",
        )
        runs = copy_rows(
            "course_runs",
            tables["course_runs"],
            {"id": f"id + {shift['course_runs']}", "number": f"number + {100 * k}"},
            f"id IN ({runs_2022})",
        )
        sessions = copy_rows(
            "sessions",
            tables["sessions"],
            {"id": f"id + {shift['sessions']}", "run_id": f"run_id + {shift['course_runs']}"},
            f"run_id IN ({runs_2022})",
        )
        enrollments = copy_rows(
            "enrollments",
            tables["enrollments"],
            {
                "id": f"id + {shift['enrollments']}",
                "run_id": f"run_id + {shift['course_runs']}",
                "person_id": f"person_id + {shift['people']}",
            },
            f"id IN ({enrollments_2022})",
        )
        attendances = copy_rows(
            "attendances",
            tables["attendances"],
            {
                "id": f"id + {shift['attendances']}",
                "session_id": f"session_id + {shift['sessions']}",
                "enrollment_id": f"enrollment_id + {shift['enrollments']}",
            },
            f"enrollment_id IN ({enrollments_2022})",
        )
        progress(
            f"  copy {k}/{copies}: {people:,} people, {runs} runs, {sessions:,} sessions,"
            f" {enrollments:,} enrollments, {attendances:,} attendance marks"
        )
    db.session.commit()
    db.session.execute(text("ANALYZE"))


def sizes() -> str:
    counts = {
        name: db.session.scalar(text(f"SELECT count(*) FROM {name}"))
        for name in ("people", "course_runs", "sessions", "enrollments", "attendances")
    }
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per line (median)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            progress("seeding the demo ...")
            from training.demo.seed import seed_demo

            seed_demo(now=datetime.now(UTC), echo=lambda line: progress(f"  {line}"))
            one_x_sizes = sizes()
            one_x_lines = report_lines(JAN_TO_AUG)
            progress(f"1x: {one_x_sizes}")
            one_x = timed_lines(arguments.repeat)
            progress(f"building 10x: {COPIES} copies of the 2022 programme ...")
            multiply_2022(COPIES)
            ten_x_sizes = sizes()
            progress(f"10x: {ten_x_sizes}")
            ten_x = timed_lines(arguments.repeat)
            ten_x_lines = report_lines(JAN_TO_AUG)
            runs_2022 = db.session.scalar(
                select(func.count(CourseRun.id)).where(
                    CourseRun.ends_on.between(YEAR.first, YEAR.last)
                )
            )
            db.session.remove()
            db.engine.dispose()
    print(f"Statistics timings, SQLite, median of {arguments.repeat}")
    print(f"1x:  {one_x_sizes}")
    print(f"10x: {ten_x_sizes} ({runs_2022} runs ending in 2022)")
    print()
    print("January to August 2022, 1x:  " + " | ".join(one_x_lines))
    print("January to August 2022, 10x: " + " | ".join(ten_x_lines))
    print()
    print(f"{'':36}{'1x ms':>10}{'10x ms':>10}{'10x/1x':>9}")
    for name, seconds in one_x.items():
        print(
            f"{name:36}{seconds * 1000:10.1f}{ten_x[name] * 1000:10.1f}{ten_x[name] / seconds:9.1f}"
        )
    if stats_xlsx_builder() is None:
        print("\n(training.stats.exports.build_stats_xlsx not found: XLSX export not timed)")


if __name__ == "__main__":
    main()
