"""The bare stack the HTTP benchmarks compare against: Flask and SQLAlchemy Core under the same
gunicorn, doing BASELINE_WRITES inserts per request and nothing else.

    gunicorn --workers 4 'bench.baseline_app:create_app()'

Environment: BASELINE_DATABASE_URL (required), BASELINE_WRITES (inserts a request, default 1).
``POST /write/<key>`` inserts (key, 0), (key, 1), ... into ``bench_writes``, whose primary key is
(key, slot), in one transaction: 201 when the first insert made a row, 200 when the key was
already there (the repeat scan's answer), as the check-in endpoint answers."""

import os

from flask import Flask
from sqlalchemy import create_engine, text

TABLE = """CREATE TABLE IF NOT EXISTS bench_writes (
    key VARCHAR(64) NOT NULL, slot INTEGER NOT NULL, PRIMARY KEY (key, slot))"""
INSERT = text("INSERT INTO bench_writes (key, slot) VALUES (:key, :slot) ON CONFLICT DO NOTHING")


def create_app() -> Flask:
    """The baseline app on BASELINE_DATABASE_URL, its one table made if missing."""
    url = os.environ["BASELINE_DATABASE_URL"]
    writes = int(os.environ.get("BASELINE_WRITES", "1"))
    # The app waits for SQLite's write lock too (busy timeout); without it workers would fail.
    options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    engine = create_engine(url, **options)
    with engine.begin() as connection:
        connection.execute(text(TABLE))
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return {"ok": True}

    @app.post("/write/<key>")
    def write(key: str):
        with engine.begin() as connection:
            created = connection.execute(INSERT, {"key": key, "slot": 0}).rowcount == 1
            if created:
                for slot in range(1, writes):
                    connection.execute(INSERT, {"key": key, "slot": slot})
        return ({"status": "created"}, 201) if created else ({"status": "already"}, 200)

    return app
