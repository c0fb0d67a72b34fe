"""The shipped nginx site (deploy/nginx/training.conf) in front of gunicorn started with the
shipped settings (deploy/gunicorn.conf.py), checked over https on loopback as a resident's
browser would meet them.

nginx runs as a process of the test's own (its own pid, logs and temporary folders) on free
loopback ports, with a self-signed certificate made by openssl. Each client connects from a
loopback address of its own (127.x.y.z), so the address nginx sees is known and differs from
nginx's own, 127.0.0.1."""

import http.client
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from sqlalchemy import select

from training.audit.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "training.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
OPENSSL = shutil.which("openssl")

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)"),
    pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed"),
]

# The application's default (RATELIMIT_LOGIN), which no environment variable changes.
LOGIN_LIMIT = 10
# nginx's client_max_body_size in the shipped site.
BODY_LIMIT = 8 * 1024 * 1024
WRONG_LOG_IN = {"phone": "010-9999-0000", "password": "wrong-password"}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def loopback_address() -> str:
    """A loopback address of this client's own: its counts and audit entries are apart from
    any other test's, and it is not the address nginx connects to gunicorn from."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listened on port {port} after {seconds} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Certificate:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Certificate:
    folder = tmp_path_factory.mktemp("tls")
    made = Certificate(folder / "fullchain.pem", folder / "privkey.pem")
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(made.key), "-out", str(made.cert)],
        check=True,
        capture_output=True,
    )
    return made


def render_site(*, http_port, https_port, upstream_port, certificate, logs: Path) -> str:
    """The shipped site with its EDIT places (and its ports and logs) filled in for loopback."""
    text = SITE.read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "/etc/ssl/training/fullchain.pem": str(certificate.cert),
        "/etc/ssl/training/privkey.pem": str(certificate.key),
        "/srv/training/app/static/": f"{ROOT / 'static'}/",
        "/var/log/nginx/": f"{logs}/",
        "/var/www/html": str(logs),
    }
    for placeholder, value in replacements.items():
        assert placeholder in text, f"{SITE} no longer holds {placeholder!r}: update the test"
        text = text.replace(placeholder, value)
    # IPv4 loopback is enough here, and a machine may have no IPv6 at all.
    return "\n".join(line for line in text.splitlines() if "[::]" not in line)


@dataclass
class Site:
    http_port: int
    https_port: int
    context: ssl.SSLContext
    folder: Path

    def browser(self) -> "Browser":
        return Browser(self, loopback_address())


@contextmanager
def running_nginx(folder: Path, *, upstream_port: int, certificate: Certificate):
    """nginx with the shipped site, as a process of this test's own."""
    folder.mkdir(parents=True, exist_ok=True)
    http_port, https_port = free_port(), free_port()
    (folder / "training.conf").write_text(
        render_site(
            http_port=http_port,
            https_port=https_port,
            upstream_port=upstream_port,
            certificate=certificate,
            logs=folder,
        )
    )
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Started by root, nginx's workers would otherwise run as nobody, who cannot enter
    # pytest's private temporary folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp_paths}
    include {folder / "training.conf"};
}}
"""
    )
    log = folder / "error.log"
    nginx = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(log)]
        + ["-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(https_port, nginx, log)
        context = ssl.create_default_context(cafile=str(certificate.cert))
        yield Site(http_port, https_port, context, folder)
    finally:
        stop(nginx)


@contextmanager
def running_gunicorn(folder: Path, *, port: int, environment: dict):
    """gunicorn with deploy/gunicorn.conf.py, on a port of the test's and with one worker."""
    log = folder / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAINING_")}
    env.update(environment)
    with log.open("w") as output:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, gunicorn, log)
        yield
    finally:
        stop(gunicorn)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage = field(repr=False)
    body: bytes = field(repr=False)


@dataclass
class Browser:
    """An https client that connects from its own loopback address and keeps its cookies."""

    site: Site = field(repr=False)
    address: str
    cookies: dict = field(default_factory=dict, repr=False)
    set_cookie: list = field(default_factory=list, repr=False)

    def request(self, method, path, *, body=None, headers=None, scheme="https") -> Answer:
        if scheme == "https":
            connection = http.client.HTTPSConnection(
                "127.0.0.1",
                self.site.https_port,
                context=self.site.context,
                source_address=(self.address, 0),
                timeout=30,
            )
        else:
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.site.http_port, source_address=(self.address, 0), timeout=30
            )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            self.set_cookie.append(header)
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def log_in(self, credentials: dict, *, forwarded_for: str) -> Answer:
        """The log-in form, filled in and sent as a browser would, with a forged
        X-Forwarded-For header."""
        page = self.request("GET", "/login")
        assert page.status == 200, page.body[:500]
        token = CSRF_FIELD.search(page.body.decode()).group(1)
        form = "&".join(
            f"{name}={value}" for name, value in {**credentials, "csrf_token": token}.items()
        )
        return self.request(
            "POST",
            "/login",
            body=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://127.0.0.1:{self.site.https_port}/login",
                "X-Forwarded-For": forwarded_for,
            },
        )


@pytest.fixture(scope="module")
def live_site(_app, database_url, certificate, tmp_path_factory):
    """nginx in front of gunicorn in front of the test database, with production's proxy
    settings: one trusted proxy, rate limits on, an https public address."""
    folder = tmp_path_factory.mktemp("live")
    upstream_port = free_port()
    with running_nginx(
        folder / "nginx", upstream_port=upstream_port, certificate=certificate
    ) as site:
        environment = {
            "TRAINING_DATABASE_URL": database_url,
            "TRAINING_SECRET_KEY": os.urandom(16).hex(),
            "TRAINING_PUBLIC_URL": f"https://127.0.0.1:{site.https_port}",
            "TRAINING_TRUSTED_PROXIES": "1",
            "TRAINING_RATELIMIT": "on",
            "TRAINING_RATELIMIT_STORAGE_URL": "memory://",
            "TRAINING_OUTBOX_FILE": str(folder / "outbox.log"),
        }
        with running_gunicorn(folder, port=upstream_port, environment=environment):
            yield site


@pytest.fixture(scope="module")
def site_without_app(certificate, tmp_path_factory):
    """nginx with the shipped site and nothing listening behind it: whatever answers is nginx."""
    with running_nginx(
        tmp_path_factory.mktemp("alone"), upstream_port=free_port(), certificate=certificate
    ) as site:
        yield site


@pytest.mark.real_commits
def test_log_in_limit_counts_the_address_nginx_saw_not_the_one_the_client_claims(live_site):
    browser = live_site.browser()
    for attempt in range(LOGIN_LIMIT):
        answer = browser.log_in(WRONG_LOG_IN, forwarded_for=f"198.51.100.{attempt}")
        assert answer.status == 200, (attempt, answer.body[:300])

    assert browser.log_in(WRONG_LOG_IN, forwarded_for="198.51.100.99").status == 429
    assert live_site.browser().log_in(WRONG_LOG_IN, forwarded_for="198.51.100.1").status == 200


@pytest.mark.real_commits
def test_log_in_through_nginx_is_audited_with_the_client_address_and_a_secure_cookie(
    live_site, db, make_person
):
    make_person(phone="01023456789", password="password123")
    db.session.commit()
    browser = live_site.browser()

    answer = browser.log_in(
        {"phone": "010-2345-6789", "password": "password123"}, forwarded_for="203.0.113.7"
    )

    assert answer.status == 302
    session_cookie = next(c for c in browser.set_cookie if c.startswith("session="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    entry = db.session.scalars(select(AuditEntry).filter_by(action="auth.login")).one()
    assert entry.address == browser.address


def test_pages_through_nginx_carry_hsts(live_site):
    answer = live_site.browser().request("GET", "/login")

    assert answer.status == 200
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_readyz_answers_through_nginx(live_site):
    answer = live_site.browser().request("GET", "/readyz")

    assert answer.status == 200, answer.body
    assert b'"ready"' in answer.body


def test_plain_http_is_sent_to_https(site_without_app):
    answer = site_without_app.browser().request("GET", "/runs?month=2026-03", scheme="http")

    assert answer.status == 301
    assert answer.headers["Location"] == "https://127.0.0.1/runs?month=2026-03"


def test_static_files_come_from_nginx_with_a_cache_lifetime(site_without_app):
    browser = site_without_app.browser()

    answer = browser.request("GET", "/static/css/app.css", headers={"Accept-Encoding": "gzip"})

    assert answer.status == 200
    assert "max-age=86400" in answer.headers["Cache-Control"]
    assert answer.headers["Content-Encoding"] == "gzip"
    assert browser.request("GET", "/login").status == 502


def test_a_body_over_the_limit_is_refused_by_nginx(site_without_app):
    connection = http.client.HTTPSConnection(
        "127.0.0.1", site_without_app.https_port, context=site_without_app.context, timeout=30
    )
    try:
        # Only the headers are sent: nginx answers from the announced length alone.
        connection.putrequest("POST", "/login")
        connection.putheader("Content-Type", "application/octet-stream")
        connection.putheader("Content-Length", str(BODY_LIMIT + 1))
        connection.endheaders()
        response = connection.getresponse()
        status, body = response.status, response.read()
    finally:
        connection.close()

    assert status == 413
    assert b"nginx" in body
