"""The resident's catalogue page at the demo's runs and at ten times them, beside a bare app.

    .venv/bin/python bench/catalogue.py [--requests N] [--json PATH]

Seeds the demo into a temporary SQLite database, requests ``/`` N times through Flask's test
client, then adds nine copies of every run (through the models, with new numbers) and requests
it again. The baseline is a bare Flask app over the same database that lists the same runs with
one plain SQL query and a trivial Jinja template. Prints p50/p95/p99 per request, the 10x/1x
ratio (target <= 10) and the ratio to the baseline (target <= 2). This is a benchmark, not a
test: it asserts nothing about speed."""

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, render_template_string
from sqlalchemy import create_engine, inspect, select, text

from training import create_app
from training.catalog.models import CourseRun, Session
from training.catalog.services import RunFilters
from training.clock import to_seoul
from training.enrollment.listings import list_runs
from training.extensions import db

# bench/harness.py, wherever the script is run from.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.harness import percentile  # noqa: E402

COPIES = 9
SCALE_TARGET = 10
BASELINE_TARGET = 2
RUN_LINK = re.compile(r'href="/runs/(\d+)"')

# What the catalogue lists (runs not ended, not cancelled, with sessions), in one query.
BARE_QUERY = text(
    """
    SELECT r.id, c.title, r.number, r.starts_on, r.ends_on, r.capacity
    FROM course_runs r JOIN courses c ON c.id = r.course_id
    WHERE r.ends_on >= :today AND r.cancelled_at IS NULL
      AND r.id IN (SELECT run_id FROM sessions)
    ORDER BY r.starts_on, r.id
    """
)
BARE_TEMPLATE = """<!doctype html><title>runs</title><ul>
{% for r in runs %}<li><a href="/runs/{{ r.id }}">{{ r.title }} {{ r.number }}기</a>
{{ r.starts_on }}–{{ r.ends_on }}, {{ r.capacity }}</li>
{% endfor %}</ul>"""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bare_app(url: str) -> Flask:
    """A Flask app that does nothing but the one query and the one template."""
    app = Flask("bare_catalogue")
    engine = create_engine(url)

    @app.route("/")
    def runs():
        with engine.connect() as connection:
            rows = connection.execute(
                BARE_QUERY, {"today": to_seoul(datetime.now(UTC)).date()}
            ).all()
        return render_template_string(BARE_TEMPLATE, runs=rows)

    return app


def timed(client, requests: int, name: str) -> dict:
    """Request / N times after one warm-up; the figures in the harness's row shape."""
    client.get("/")
    times = []
    began = time.perf_counter()
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get("/")
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{name}: status {response.status_code}")
    seconds = time.perf_counter() - began
    return {
        "name": name,
        "requests": requests,
        "seconds": round(seconds, 3),
        "throughput": round(requests / seconds, 1),
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
    }


def shown_vs_listed(app: Flask) -> tuple[int, int]:
    """Distinct runs linked from the page, and the runs the catalogue's service says are open."""
    page = app.test_client().get("/").get_data(as_text=True)
    shown = len(set(RUN_LINK.findall(page)))
    with app.app_context():
        listed = len(list_runs(RunFilters(upcoming_only=True), now=datetime.now(UTC)))
    return shown, listed


def multiply_runs(copies: int) -> None:
    """Add copies of every run and its sessions through the models, with numbers shifted so
    each stays distinct: the catalogue leaves out runs without sessions."""
    run_columns = [c.key for c in inspect(CourseRun).column_attrs if c.key != "id"]
    session_columns = [
        c.key for c in inspect(Session).column_attrs if c.key not in ("id", "run_id")
    ]
    originals = db.session.scalars(select(CourseRun)).all()
    for k in range(1, copies + 1):
        for run in originals:
            values = {key: getattr(run, key) for key in run_columns}
            values["number"] = run.number + 1000 * k
            copy = CourseRun(**values)
            db.session.add(copy)
            for session in run.sessions:
                copy.sessions.append(
                    Session(**{key: getattr(session, key) for key in session_columns})
                )
    db.session.commit()


def measure(app: Flask, url: str, requests: int, size: str) -> tuple[dict, dict, int, int]:
    client = app.test_client()
    progress(f"  {size}: the app's catalogue, {requests} requests ...")
    page = timed(client, requests, f"catalogue page, {size}")
    shown, listed = shown_vs_listed(app)
    progress(f"  {size}: the bare app, {requests} requests ...")
    bare = timed(bare_app(url).test_client(), requests, f"bare query + template, {size}")
    return page, bare, shown, listed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite"], default="sqlite")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    args = parser.parse_args()
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
            runs_1x = db.session.scalar(text("SELECT count(*) FROM course_runs"))
        page_1x, bare_1x, shown_1x, listed_1x = measure(app, url, args.requests, "1x")
        with app.app_context():
            progress(f"building 10x: {COPIES} copies of each of {runs_1x} runs ...")
            multiply_runs(COPIES)
            runs_10x = db.session.scalar(text("SELECT count(*) FROM course_runs"))
        page_10x, bare_10x, shown_10x, listed_10x = measure(app, url, args.requests, "10x")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    met = {True: "met", False: "not met"}
    scale = page_10x["p50_ms"] / page_1x["p50_ms"]
    to_bare_1x = page_1x["p50_ms"] / bare_1x["p50_ms"]
    to_bare_10x = page_10x["p50_ms"] / bare_10x["p50_ms"]
    ok = shown_1x == listed_1x and shown_10x == listed_10x and listed_10x == 10 * listed_1x
    correctness = (
        f"runs shown / open in the database: 1x {shown_1x}/{listed_1x},"
        f" 10x {shown_10x}/{listed_10x} (runs in all: {runs_1x} and {runs_10x})"
    )
    print(f"Catalogue page, SQLite, Flask test client, {args.requests} requests a line")
    print()
    print(f"{'':36}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for line in (page_1x, bare_1x, page_10x, bare_10x):
        print(
            f"{line['name']:36}{line['throughput']:>9.1f}{line['p50_ms']:>9.2f}"
            f"{line['p95_ms']:>9.2f}{line['p99_ms']:>9.2f}"
        )
    print()
    print(f"10x / 1x (p50): {scale:.2f} (target <= {SCALE_TARGET}: {met[scale <= SCALE_TARGET]})")
    for size, ratio in (("1x", to_bare_1x), ("10x", to_bare_10x)):
        print(
            f"page / bare at {size} (p50): {ratio:.2f}"
            f" (target <= {BASELINE_TARGET}: {met[ratio <= BASELINE_TARGET]})"
        )
    print(f"correctness: {'OK' if ok else 'FAILED'}: {correctness}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "scenario": "catalogue page, 1x and 10x the demo's runs",
                    "database": "sqlite",
                    "rows": [page_1x, page_10x],
                    "baseline": bare_10x,
                    "baselines": [bare_1x, bare_10x],
                    "ratios": {
                        "scale_10x_1x": round(scale, 2),
                        "to_baseline_1x": round(to_bare_1x, 2),
                        "to_baseline_10x": round(to_bare_10x, 2),
                    },
                    "targets": {
                        "scale_10x_1x": [f"<= {SCALE_TARGET}", scale <= SCALE_TARGET],
                        "to_baseline_1x": [f"<= {BASELINE_TARGET}", to_bare_1x <= BASELINE_TARGET],
                        "to_baseline_10x": [
                            f"<= {BASELINE_TARGET}",
                            to_bare_10x <= BASELINE_TARGET,
                        ],
                    },
                    "correctness": correctness,
                    "ok": ok,
                },
                indent=2,
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
