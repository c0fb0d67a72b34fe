"""Statistics at the demo's size and at ten times it, beside a bare SQL GROUP BY.

    .venv/bin/python bench/stats_scaling.py [--repeat N] [--json PATH]

Seeds the demo into a temporary SQLite database, times each line N times, then adds nine
copies of the 2022 programme (runs, their sessions, the people enrolled, their enrollments
and attendance, each copy with new ids and phone numbers) and times them again. Besides the
services (figures(), build_report(), the XLSX), the staff's statistics page and its XLSX
export for one month are requested through Flask's test client, logged in as the demo's
administrator, beside a bare Flask app over the same database that runs the one GROUP BY and
renders a trivial template or writes its rows with openpyxl, running that GROUP BY as many
times as the page sends statements (counted at each size). Prints the medians (and p95,
p99) at 1x and 10x, the 10x/1x ratio of each (about 10 is linear; target <= 10) and the page
and export against their bare twins (target <= 2). This is a benchmark, not a test: it
asserts nothing about speed."""

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask, render_template_string, send_file
from openpyxl import Workbook
from sqlalchemy import create_engine, event, func, select, text

from training import create_app
from training.catalog.models import CourseRun
from training.extensions import db
from training.stats.services import Period, build_report, figures, report_lines

# bench/harness.py, wherever the script is run from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.harness import percentile  # noqa: E402

COPIES = 9
SCALE_TARGET = 10
BASELINE_TARGET = 2
PAGE_QUERY = "from=2022-05&to=2022-05&audience=all"
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


BARE_TEMPLATE = """<!doctype html><title>stats</title><table>
{% for month, people, marks in rows %}<tr><td>{{ month }}</td><td>{{ people }}</td>
<td>{{ marks }}</td></tr>{% endfor %}</table>"""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timings(action, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` runs of the action."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def bare_app(url: str, queries: int) -> Flask:
    """The GROUP BY for the month run as many times as the app's page runs statements, as a
    page and as a workbook, and nothing else."""
    app = Flask("bare_stats")
    engine = create_engine(url)

    def rows():
        with engine.connect() as connection:
            for _ in range(queries):
                found = connection.execute(
                    BARE_GROUP_BY, {"first": MONTH.first, "last": MONTH.last}
                ).all()
        return found

    @app.route("/page")
    def page():
        return render_template_string(BARE_TEMPLATE, rows=rows())

    @app.route("/export.xlsx")
    def export():
        workbook = Workbook()
        sheet = workbook.active
        for row in rows():
            sheet.append(list(row))
        content = io.BytesIO()
        workbook.save(content)
        content.seek(0)
        return send_file(content, download_name="stats.xlsx")

    return app


def logged_in_staff(app: Flask):
    """A test client logged in as the demo's administrator, through the log-in page."""
    from training.demo.data import DEMO_PASSWORD

    client = app.test_client()
    answer = client.post("/login", data={"phone": "010-0000-0001", "password": DEMO_PASSWORD})
    if answer.status_code != 302:
        raise SystemExit(f"log-in as the demo administrator failed: {answer.status_code}")
    return client


def statements_of(app: Flask, action) -> int:
    """How many statements the action sends to the database."""
    sent = []
    with app.app_context():
        engine = db.engine
    listener = lambda *arguments: sent.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(sent)


def requested(client, path: str):
    def get():
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: status {answer.status_code}")

    return get


def stats_xlsx_builder():
    """training.stats.exports.build_stats_xlsx where it exists, else None."""
    try:
        from training.stats.exports import build_stats_xlsx
    except ImportError:
        return None
    return build_stats_xlsx


def timed_lines(app: Flask, url: str, repeat: int) -> dict[str, list[float]]:
    """Each line's timings at the database's present size."""
    build_stats_xlsx = stats_xlsx_builder()
    staff = logged_in_staff(app)
    page = requested(staff, f"/desk/stats?{PAGE_QUERY}")
    queries = statements_of(app, page)
    progress(f"  the statistics page runs {queries} statements; the bare app as many GROUP BYs")
    twin = bare_app(url, queries).test_client()

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
    lines |= {
        "statistics page, one month": page,
        "bare GROUP BY + template, one month": requested(twin, "/page"),
        "XLSX export, one month": requested(staff, f"/desk/stats/export.xlsx?{PAGE_QUERY}"),
        "bare GROUP BY + openpyxl, one month": requested(twin, "/export.xlsx"),
    }
    results = {}
    for name, action in lines.items():
        progress(f"  timing {name} ...")
        action()  # warm the caches (statement compilation, pages) before timing
        results[name] = timings(action, repeat)
    return results


# (line, its bare twin): the ratios held to the baseline target.
TWINS = {
    "figures(), one month": "bare GROUP BY, one month",
    "figures(), the year": "bare GROUP BY, the year",
    "statistics page, one month": "bare GROUP BY + template, one month",
    "XLSX export, one month": "bare GROUP BY + openpyxl, one month",
}


def row(name: str, size: str, times: list[float]) -> dict:
    """A line in run_all.py's row shape (milliseconds)."""
    ms = [t * 1000 for t in times]
    return {
        "name": f"{name}, {size}",
        "requests": len(ms),
        "seconds": round(sum(times), 3),
        "throughput": round(len(ms) / sum(times), 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
    }


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
    parser.add_argument("--repeat", type=int, default=5, help="timings per line")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.create_all()
            progress("seeding the demo ...")
            from training.demo.seed import seed_demo

            seed_demo(now=datetime.now(UTC), echo=lambda line: progress(f"  {line}"))
            one_x_sizes = sizes()
            one_x_lines = report_lines(JAN_TO_AUG)
            progress(f"1x: {one_x_sizes}")
            one_x = timed_lines(app, url, arguments.repeat)
            progress(f"building 10x: {COPIES} copies of the 2022 programme ...")
            multiply_2022(COPIES)
            ten_x_sizes = sizes()
            progress(f"10x: {ten_x_sizes}")
            ten_x = timed_lines(app, url, arguments.repeat)
            ten_x_lines = report_lines(JAN_TO_AUG)
            runs_2022 = db.session.scalar(
                select(func.count(CourseRun.id)).where(
                    CourseRun.ends_on.between(YEAR.first, YEAR.last)
                )
            )
            db.session.remove()
            db.engine.dispose()
    medians = {
        size: {name: statistics.median(times) for name, times in lines.items()}
        for size, lines in (("1x", one_x), ("10x", ten_x))
    }
    print(f"Statistics timings, SQLite, median of {arguments.repeat}")
    print(f"1x:  {one_x_sizes}")
    print(f"10x: {ten_x_sizes} ({runs_2022} runs ending in 2022)")
    print()
    print("January to August 2022, 1x:  " + " | ".join(one_x_lines))
    print("January to August 2022, 10x: " + " | ".join(ten_x_lines))
    print()
    print(f"{'':40}{'1x ms':>10}{'10x ms':>10}{'10x/1x':>9}{'10x p99':>10}")
    scale = {}
    for name in one_x:
        first, tenfold = medians["1x"][name], medians["10x"][name]
        scale[name] = tenfold / first
        tenfold_p99 = percentile(ten_x[name], 0.99) * 1000
        print(
            f"{name:40}{first * 1000:10.1f}{tenfold * 1000:10.1f}{scale[name]:9.1f}"
            f"{tenfold_p99:10.1f}"
        )
    print()
    met = {True: "met", False: "not met"}
    targets: dict[str, list] = {}
    ratios: dict[str, float] = {}
    for name in (*TWINS, "build_report(), the year", "build_report() + XLSX, the year"):
        if name not in scale:
            continue
        key = f"scale 10x/1x: {name}"
        ratios[key] = round(scale[name], 2)
        targets[key] = [f"<= {SCALE_TARGET}", scale[name] <= SCALE_TARGET]
    for name, twin in TWINS.items():
        for size in ("1x", "10x"):
            ratio = medians[size][name] / medians[size][twin]
            key = f"to baseline at {size}: {name}"
            ratios[key] = round(ratio, 2)
            targets[key] = [f"<= {BASELINE_TARGET}", ratio <= BASELINE_TARGET]
    for key, (target, ok) in targets.items():
        print(f"{key}: {ratios[key]:.2f} (target {target}: {met[ok]})")
    ok = one_x_lines != ten_x_lines and len(one_x_lines) == len(ten_x_lines)
    correctness = (
        "January to August 2022 report lines, 1x: "
        + " | ".join(one_x_lines)
        + "; 10x: "
        + " | ".join(ten_x_lines)
    )
    print(f"correctness: {'OK' if ok else 'FAILED'}: {correctness}")
    if stats_xlsx_builder() is None:
        print("\n(training.stats.exports.build_stats_xlsx not found: XLSX export not timed)")
    if arguments.json:
        twins = set(TWINS.values())
        arguments.json.write_text(
            json.dumps(
                {
                    "scenario": "statistics, 1x and 10x the demo's 2022 programme",
                    "database": "sqlite",
                    "rows": [
                        row(name, size, lines[name])
                        for size, lines in (("1x", one_x), ("10x", ten_x))
                        for name in lines
                        if name not in twins
                    ],
                    "baselines": [
                        row(name, size, lines[name])
                        for size, lines in (("1x", one_x), ("10x", ten_x))
                        for name in lines
                        if name in twins
                    ],
                    "ratios": ratios,
                    "targets": targets,
                    "correctness": correctness,
                    "ok": ok,
                },
                indent=2,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
