"""Shared pieces of the HTTP benchmarks: a database of the benchmark's own, gunicorn servers,
a load generator of N concurrent clients, percentiles, and one printer for every scenario
beside its bare baseline (bench/baseline_app.py)."""

import argparse
import json
import math
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GUNICORN = BIN / "gunicorn"
FLASK = BIN / "flask"
SECRET_KEY = "bench-secret"
THROUGHPUT_TARGET = 0.5
P99_TARGET = 2.0


def arguments(description: str) -> argparse.Namespace:
    """The options every HTTP benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    return parser.parse_args()


def machine(database_url: str) -> str:
    """CPU count and model, Python, and the database with its version."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    engine = create_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            version = "SQLite " + connection.execute(text("select sqlite_version()")).scalar()
        else:
            version = connection.execute(text("select version()")).scalar().split(",")[0]
    engine.dispose()
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {version}"


@contextmanager
def fresh_database(kind: str, postgres_url: str, name: str):
    """The URL of an empty database of the benchmark's own, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as folder:
            yield f"sqlite:///{folder}/{name}.db"
        return
    server = make_url(postgres_url)
    # CREATE and DROP DATABASE cannot run inside a transaction.
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def prepared(options: argparse.Namespace, name: str):
    """A temporary folder and a fresh database named ``name``, made by the app's own
    migrations: (folder, database URL, the machine described, the app's environment)."""
    with (
        tempfile.TemporaryDirectory(prefix=f"{name}-") as temporary,
        fresh_database(options.database, options.postgres_url, name) as url,
    ):
        folder = Path(temporary)
        environment = app_environment(url, folder)
        migrate(environment)
        yield folder, url, machine(url), environment


def app_environment(database_url: str, folder: Path) -> dict:
    """The app's environment: the database, a fixed secret key, no rate limits."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TRAINING_")}
    environment.update(
        TRAINING_DATABASE_URL=database_url,
        TRAINING_SECRET_KEY=SECRET_KEY,
        TRAINING_RATELIMIT="0",
        TRAINING_OUTBOX_FILE=str(folder / "outbox.log"),
    )
    return environment


def migrate(environment: dict) -> None:
    """Make the app's tables by its own migrations."""
    subprocess.run(
        [FLASK, "--app", "training", "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(app: str, environment: dict, workers: int, probe: str, log: Path):
    """The base URL of a gunicorn server of `workers` sync workers, stopped afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [GUNICORN, f"--workers={workers}", f"--bind=127.0.0.1:{port}", app],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{log.read_text()}")
            try:
                if requests.get(base_url + probe, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def app_server(environment: dict, workers: int, folder: Path):
    """The app under gunicorn (see gunicorn), its log in the folder."""
    return gunicorn(
        "training:create_app()", environment, workers, "/api/v1/venues", folder / "app.log"
    )


@dataclass
class Call:
    """One request to send: its path, JSON body and bearer token."""

    path: str
    body: dict | None = None
    token: str | None = None


@dataclass
class Answer:
    """What came back: status, milliseconds, JSON body (None if not JSON)."""

    status: int
    ms: float
    body: dict | None


def load(base_url: str, calls: list[Call], clients: int) -> tuple[list[Answer], float]:
    """POST every call from `clients` threads at once, each with a keep-alive session taking
    the next call as it finishes one; the answers in call order and the wall-clock seconds."""
    answers: list[Answer | None] = [None] * len(calls)
    cursor = iter(range(len(calls)))
    lock = threading.Lock()
    start_line = threading.Barrier(clients + 1)

    def client() -> None:
        with requests.Session() as http:
            start_line.wait()
            while True:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                call = calls[index]
                headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
                began = time.perf_counter()
                response = http.post(base_url + call.path, json=call.body, headers=headers)
                ms = (time.perf_counter() - began) * 1000
                try:
                    body = response.json()
                except ValueError:
                    body = None
                answers[index] = Answer(response.status_code, ms, body)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - began


def statuses(answers: list[Answer]) -> str:
    """How many answers of each status, as "201x19 200x1"."""
    counts = Counter(answer.status for answer in answers)
    return " ".join(f"{status}x{n}" for status, n in sorted(counts.items()))


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Row:
    """One timed line."""

    name: str
    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def row(name: str, answers: list[Answer], seconds: float) -> Row:
    """The figures of one timed load."""
    times = [answer.ms for answer in answers]
    return Row(
        name,
        len(answers),
        round(seconds, 3),
        round(len(answers) / seconds, 1),
        round(percentile(times, 0.50), 1),
        round(percentile(times, 0.95), 1),
        round(percentile(times, 0.99), 1),
    )


def report(
    scenario: str,
    database: str,
    about: str,
    rows: list[Row],
    baseline: Row,
    correctness: str,
    checks: dict[str, bool],
    json_path: Path | None,
) -> None:
    """Print the rows beside the baseline, the ratios of the first row against the issue's
    targets and the correctness line, naming the checks that failed; write the JSON if asked.
    Exit 1 when a check failed (never for speed)."""
    failed = [name for name, ok in checks.items() if not ok]
    ok = not failed
    if failed:
        correctness += "; FAILED: " + ", ".join(failed)
    ratios = {
        "throughput": round(rows[0].throughput / baseline.throughput, 2),
        "p99": round(rows[0].p99_ms / baseline.p99_ms, 2),
    }
    print(f"\n{scenario} on {database}\nmachine: {about}\n")
    print(
        f"{'':44}{'requests':>9}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    for line in [*rows, baseline]:
        print(
            f"{line.name:44}{line.requests:>9}{line.seconds:>9.2f}{line.throughput:>9.1f}"
            f"{line.p50_ms:>9.1f}{line.p95_ms:>9.1f}{line.p99_ms:>9.1f}"
        )
    met = {True: "met", False: "not met"}
    print(
        f"\n{rows[0].name} / baseline: throughput {ratios['throughput']:.2f} "
        f"(target >= {THROUGHPUT_TARGET}: {met[ratios['throughput'] >= THROUGHPUT_TARGET]}), "
        f"p99 {ratios['p99']:.2f} (target <= {P99_TARGET}: {met[ratios['p99'] <= P99_TARGET]})"
    )
    print(f"correctness: {'OK' if ok else 'FAILED'}: {correctness}")
    if json_path:
        json_path.write_text(
            json.dumps(
                {
                    "scenario": scenario,
                    "database": database,
                    "machine": about,
                    "rows": [asdict(line) for line in rows],
                    "baseline": asdict(baseline),
                    "ratios": ratios,
                    "correctness": correctness,
                    "ok": ok,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    if failed:
        raise SystemExit(1)


def run_baseline(
    database_url: str, folder: Path, workers: int, writes: int, keys: list[str], clients: int
) -> tuple[list[Answer], float]:
    """The bare app's answers to one POST for each key, on a table of its own in the same
    database, under the same gunicorn and worker count."""
    environment = {
        **os.environ,
        "BASELINE_DATABASE_URL": database_url,
        "BASELINE_WRITES": str(writes),
    }
    app = "bench.baseline_app:create_app()"
    with gunicorn(app, environment, workers, "/ping", folder / "baseline.log") as base_url:
        return load(base_url, [Call(f"/write/{key}") for key in keys], clients)


def resident(number: int, role=None, password_hash: str | None = None):
    """A person for the benchmark's data (added to the session, not flushed)."""
    from training.accounts.models import ConsentMethod, Person, Role
    from training.extensions import db

    person = Person(
        name=f"벤치{number:05d}",
        phone=f"010{80000000 + number:08d}",
        birth_year=1960,
        dong="당산2동",
        role=role or Role.RESIDENT,
        password_hash=password_hash,
        consent_version="bench",
        consent_method=ConsentMethod.ONLINE,
    )
    db.session.add(person)
    return person


def course(code: str, title: str):
    """A resident course for the benchmark's runs (added and flushed, so it has its id)."""
    from training.catalog.models import Audience, Category, Course, Delivery, Level
    from training.extensions import db

    record = Course(
        code=code,
        title=title,
        category=Category.SMARTPHONE,
        level=Level.BEGINNER,
        audience=Audience.RESIDENT,
        delivery=Delivery.IN_PERSON,
        description="",
    )
    db.session.add(record)
    db.session.flush()
    return record
