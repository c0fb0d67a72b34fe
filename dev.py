#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+.

    python3 dev.py serve   install, migrate, load the demo data (first time), start the server
    python3 dev.py test    install with the test tools and run the whole suite on both cores
    python3 dev.py screenshots   photograph the key pages (demo data) into docs/screenshots

Everything is installed into .venv beside this file; nothing else on the machine changes.
"""

import argparse
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
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
    digest = changed_since(stamp, ROOT / "pyproject.toml")
    if digest is None:
        return
    say(f"Installing {target} and its dependencies into .venv")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def changed_since(stamp: Path, source: Path) -> str | None:
    """The source's digest when it differs from the one the stamp recorded at the last
    install, or None when nothing changed."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return None
    return digest


def flask(*args) -> None:
    run(PYTHON, "-m", "flask", "--app", "training", *args)


def port_taken(host: str, port: int) -> bool:
    """Whether another program already listens on the address."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As gunicorn binds: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def serve(options) -> None:
    if port_taken(options.host, options.port):
        sys.exit(
            f"Port {options.port} on {options.host} is in use by another program (perhaps a "
            f"server started earlier). Stop it, or choose another port: "
            f"python3 dev.py serve --port {options.port + 1}"
        )
    install(None)
    address = f"{options.host}:{options.port}"
    # Certificates and self check-in QR codes print links only to a configured address.
    os.environ.setdefault("TRAINING_PUBLIC_URL", f"http://{address}")
    say("Bringing the database schema up to date")
    flask("db", "upgrade")
    say("Loading the demo data (only into an empty database)")
    flask("seed-demo", "--if-empty")
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


def parallel(pytest_args: list[str]) -> list[str]:
    """pytest-xdist's ``-n auto`` (a worker per core), unless the caller chose ``-n`` or
    turned xdist off with ``-p no:xdist``."""
    for arg in pytest_args:
        if arg.startswith(("-n", "--numprocesses")) or arg.endswith("no:xdist"):
            return []
    return ["-n", "auto"]


def run_suite(pytest: list, database: str, name: str) -> int:
    """Run the suite on one database, say how long it took, and return pytest's exit code."""
    say(f"Running the test suite on {name}")
    started = time.monotonic()
    result = subprocess.run(
        [str(a) for a in pytest], cwd=ROOT, env={**os.environ, "TRAINING_TEST_DATABASE": database}
    )
    say(f"{name}: {time.monotonic() - started:.0f} s")
    return result.returncode


BROWSER_JS = ROOT / "tests" / "browser"


def install_browser_javascript() -> None:
    """axe-core for the browser tests' accessibility audit, from the npm registry at the
    version package-lock.json pins; skipped when it is there already."""
    stamp = BROWSER_JS / "node_modules" / ".installed-lock"
    digest = changed_since(stamp, BROWSER_JS / "package-lock.json")
    if digest is None:
        return
    npm = shutil.which("npm")
    if npm is None:
        say(
            "npm was not found: the accessibility audit of the browser tests will be SKIPPED. "
            "Install Node.js and npm (Debian's npm package) to run it."
        )
        return
    say("Installing the browser tests' JavaScript (axe-core) with npm ci")
    run(npm, "ci", "--prefix", str(BROWSER_JS), "--no-audit", "--no-fund", "--loglevel=error")
    stamp.write_text(digest)


def test(options) -> None:
    install("dev")
    install_browser_javascript()
    if find_chromium() is None:
        say(
            "Chromium was not found: the browser tests (tests/browser) will be SKIPPED. "
            "Install Debian's chromium package (or set CHROMIUM) to run them."
        )
    pytest = [PYTHON, "-m", "pytest", "-rs", *parallel(options.pytest_args), *options.pytest_args]
    sqlite = run_suite(pytest, "sqlite", "SQLite")
    postgres_url = os.environ.get("TRAINING_TEST_POSTGRES_URL")
    if not postgres_url:
        say(
            "TRAINING_TEST_POSTGRES_URL is not set: the suite did NOT run on PostgreSQL. "
            "Set it (e.g. postgresql://postgres@127.0.0.1:5432/test) to run it there too."
        )
        sys.exit(sqlite)
    postgres = run_suite(pytest, "postgres", "PostgreSQL")
    failed = [name for name, code in (("SQLite", sqlite), ("PostgreSQL", postgres)) if code != 0]
    if failed:
        say("Failed on: " + ", ".join(failed))
        sys.exit(1)
    say("All tests passed on SQLite and on PostgreSQL")


def screenshots(options) -> None:
    install("dev")
    chromium = find_chromium()
    if chromium is None:
        sys.exit("Chromium was not found: install Debian's chromium package (or set CHROMIUM).")
    run(PYTHON, ROOT / "docs" / "make_screenshots.py", env={**os.environ, "CHROMIUM": chromium})


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
    commands.add_parser(
        "screenshots", help="photograph the key pages with the demo data into docs/screenshots"
    )
    test_parser = commands.add_parser("test", help="install and run the whole test suite")
    test_parser.add_argument("pytest_args", nargs="*", help="passed on to pytest, options too")
    arguments = sys.argv[1:]
    # argparse would take pytest's options (-k, -n, -p) for its own: they go through untouched.
    testing = arguments[:1] == ["test"]
    options = parser.parse_args(arguments[:1] if testing else arguments)
    if testing:
        rest = arguments[1:]
        options.pytest_args = rest[1:] if rest[:1] == ["--"] else rest
    {"serve": serve, "test": test, "screenshots": screenshots}[options.command](options)


if __name__ == "__main__":
    main()
