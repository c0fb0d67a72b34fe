#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+.

    python3 dev.py serve   install, migrate, load the demo data (first time), start the server
    python3 dev.py test    install with the test tools and run the whole suite

Everything is installed into .venv beside this file; nothing else on the machine changes.
"""

import argparse
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def install(extra: str | None) -> None:
    """Create .venv and install the project; skipped when nothing changed since last time."""
    if sys.version_info < (3, 11):  # noqa: UP036  (this script may be run by an older Python)
        sys.exit("Python 3.11 or newer is needed.")
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = f".[{extra}]" if extra else "."
    stamp = VENV / f".installed-{extra or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"Installing {target} and its dependencies into .venv")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def flask(*args) -> None:
    run(PYTHON, "-m", "flask", "--app", "training", *args)


def serve(options) -> None:
    install(None)
    say("Bringing the database schema up to date")
    flask("db", "upgrade")
    say("Loading the demo data (only into an empty database)")
    flask("seed-demo", "--if-empty")
    address = f"{options.host}:{options.port}"
    say(f"Serving on http://{address}/  (Ctrl+C stops)")
    if os.name == "nt":
        command = [
            PYTHON,
            "-m",
            "flask",
            "--app",
            "training",
            "run",
            "--host",
            options.host,
            "--port",
            str(options.port),
        ]
    else:
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "--workers",
            str(options.workers),
            "--bind",
            address,
            "--access-logfile",
            "-",
            "wsgi:app",
        ]
    with contextlib.suppress(KeyboardInterrupt):
        run(*command)


def find_chromium() -> str | None:
    """The Chromium the browser tests drive (CHROMIUM overrides), or None."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def test(options) -> None:
    install("dev")
    if find_chromium() is None:
        say(
            "Chromium was not found: the browser tests (tests/browser) will be SKIPPED. "
            "Install Debian's chromium package (or set CHROMIUM) to run them."
        )
    pytest = [PYTHON, "-m", "pytest", "-rs", *options.pytest_args]
    say("Running the test suite on SQLite")
    sqlite = subprocess.run(
        [str(a) for a in pytest], cwd=ROOT, env={**os.environ, "TRAINING_TEST_DATABASE": "sqlite"}
    )
    postgres_url = os.environ.get("TRAINING_TEST_POSTGRES_URL")
    if not postgres_url:
        say(
            "TRAINING_TEST_POSTGRES_URL is not set: the suite did NOT run on PostgreSQL. "
            "Set it (e.g. postgresql://postgres@127.0.0.1:5432/test) to run it there too."
        )
        sys.exit(sqlite.returncode)
    say("Running the test suite on PostgreSQL")
    postgres = subprocess.run(
        [str(a) for a in pytest], cwd=ROOT, env={**os.environ, "TRAINING_TEST_DATABASE": "postgres"}
    )
    failed = [
        name
        for name, result in (("SQLite", sqlite), ("PostgreSQL", postgres))
        if result.returncode != 0
    ]
    if failed:
        say("Failed on: " + ", ".join(failed))
        sys.exit(1)
    say("All tests passed on SQLite and on PostgreSQL")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="install and start the server with demo data")
    serve_parser.add_argument("--host", default=os.environ.get("TRAINING_HOST", "127.0.0.1"))
    serve_parser.add_argument(
        "--port", type=int, default=int(os.environ.get("TRAINING_PORT", 8000))
    )
    serve_parser.add_argument("--workers", type=int, default=2)
    test_parser = commands.add_parser("test", help="install and run the whole test suite")
    test_parser.add_argument("pytest_args", nargs="*", help="passed on to pytest")
    options = parser.parse_args()
    {"serve": serve, "test": test}[options.command](options)


if __name__ == "__main__":
    main()
