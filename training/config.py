"""Configuration: defaults here, then instance/config.py, then TRAINING_* environment variables."""

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "SQLALCHEMY_DATABASE_URI": None,  # filled in from the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "BABEL_DEFAULT_LOCALE": "ko",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Seoul",
    "LANGUAGES": ["ko", "en"],
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "RATELIMIT": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_SIGNUP": "5 per minute",
    "RATELIMIT_ENROLL": "30 per minute",
    # One JSON line per request on stderr (training/request_log.py); off quiets it.
    "ACCESS_LOG": True,
    # A bigger request body is refused (413) before it is read; a view may set a smaller limit.
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    # Self check-in tries a minute per logged-in person, wherever they type from.
    "RATELIMIT_SELF_CHECKIN": "10 per minute",
    # How many proxies in front of the app may say who the client is (X-Forwarded-For,
    # X-Forwarded-Proto); 0 trusts none, so a client cannot pick its own address.
    "TRUSTED_PROXIES": 0,
    "API_TOKEN_MAX_AGE": 30 * 24 * 3600,
    # A browser stays logged in this long at most, however recently it was used.
    "SESSION_MAX_DAYS": 14,
    # This many wrong passwords in a row, from wherever, lock the account for LOGIN_LOCK_MINUTES.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    # Enrollment rules
    "DISTRICT_ONLY": True,
    "MAX_ACTIVE_ENROLLMENTS": 3,
    "BLOCK_REPEAT_COMPLETION": True,
    # A run without a room has no seats to bound it: this caps its capacity instead.
    "ONLINE_MAX_CAPACITY": 100,
    # Personal data: how long an inactive account is kept, shown on the consent text
    "RETENTION_YEARS": 2,
    "CONSENT_VERSION": "2026-12",
    "TIMEZONE": "Asia/Seoul",
    # Check-in: the door opens this long before a session starts and closes at its end;
    # arriving more than LATE_AFTER minutes after the start counts as late.
    "CHECKIN_OPENS_MINUTES_BEFORE": 30,
    "CHECKIN_LATE_AFTER_MINUTES": 10,
    # How far ahead of "now" a scan time sent later (offline) may lie: device clocks drift.
    "CHECKIN_CLOCK_SKEW_SECONDS": 120,
    # The no-show rule: absent from a run's first session, or cancelled less than
    # NO_SHOW_CANCEL_DAYS before it, bars new enrollments for NO_SHOW_BAR_DAYS.
    "NO_SHOW_RULE": True,
    "NO_SHOW_CANCEL_DAYS": 2,
    "NO_SHOW_BAR_DAYS": 60,
    # Self check-in codes change every this many seconds.
    "SELF_CHECKIN_STEP_SECONDS": 15,
    # This many wrong codes for a session close its self check-in to the person; the
    # instructor checks them in at the door.
    "SELF_CHECKIN_MAX_FAILURES": 5,
    "CERT_FONT": None,
    "CERT_ISSUER": "영등포구청장",
    "CERT_SEAL": None,
    "PUBLIC_URL": None,
    # The programme's enquiry number, in messages about runs without a venue (online runs).
    "OFFICE_PHONE": None,
    # Messages. A fresh install writes them to the log and OUTBOX_FILE (instance/outbox.log)
    # and sends nothing: SMS_BACKEND=solapi and EMAIL_BACKEND=smtp turn real delivery on.
    "SMS_BACKEND": "file",
    "SMS_API_KEY": None,
    "SMS_API_SECRET": None,
    "SMS_SENDER": None,  # the office's registered sender number (발신번호)
    "SMS_KAKAO_PFID": None,  # KakaoTalk channel for 알림톡; unset sends plain SMS
    "SMS_KAKAO_TEMPLATES": None,  # JSON: message kind -> registered template id
    "EMAIL_BACKEND": "file",
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": None,
    "SMTP_SECURITY": "starttls",  # starttls, ssl or none
    "OUTBOX_FILE": None,
    # A failed delivery is tried again after OUTBOX_RETRY_SECONDS, doubling each time, and
    # given up (shown to staff) after OUTBOX_MAX_ATTEMPTS tries.
    "OUTBOX_MAX_ATTEMPTS": 6,
    "OUTBOX_RETRY_SECONDS": 60,
    "OUTBOX_BATCH": 20,
    "OUTBOX_POLL_SECONDS": 5,
    # Reminders of a first session are queued from this hour (Seoul) the day before.
    "REMINDER_HOUR": 10,
    # No SMS from QUIET_HOURS_START to QUIET_HOURS_END (Seoul) unless urgent.
    "QUIET_HOURS_START": 21,
    "QUIET_HOURS_END": 8,
}

# Environment variables read as TRAINING_<NAME>; the value is parsed by the default's type.
ENV_NAMES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "RATELIMIT": "RATELIMIT",
    "RATELIMIT_STORAGE_URL": "RATELIMIT_STORAGE_URI",
    "RATELIMIT_LOGIN": "RATELIMIT_LOGIN",
    "RATELIMIT_SIGNUP": "RATELIMIT_SIGNUP",
    "RATELIMIT_ENROLL": "RATELIMIT_ENROLL",
    "ACCESS_LOG": "ACCESS_LOG",
    "MAX_CONTENT_LENGTH": "MAX_CONTENT_LENGTH",
    "TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "DISTRICT_ONLY": "DISTRICT_ONLY",
    "MAX_ACTIVE_ENROLLMENTS": "MAX_ACTIVE_ENROLLMENTS",
    "BLOCK_REPEAT_COMPLETION": "BLOCK_REPEAT_COMPLETION",
    "ONLINE_MAX_CAPACITY": "ONLINE_MAX_CAPACITY",
    "RETENTION_YEARS": "RETENTION_YEARS",
    "SESSION_MAX_DAYS": "SESSION_MAX_DAYS",
    "LOGIN_MAX_FAILURES": "LOGIN_MAX_FAILURES",
    "LOGIN_LOCK_MINUTES": "LOGIN_LOCK_MINUTES",
    "PUBLIC_URL": "PUBLIC_URL",
    "CERT_FONT": "CERT_FONT",
    "CERT_ISSUER": "CERT_ISSUER",
    "CERT_SEAL": "CERT_SEAL",
    "CHECKIN_OPENS_MINUTES_BEFORE": "CHECKIN_OPENS_MINUTES_BEFORE",
    "CHECKIN_LATE_AFTER_MINUTES": "CHECKIN_LATE_AFTER_MINUTES",
    "NO_SHOW_RULE": "NO_SHOW_RULE",
    "NO_SHOW_CANCEL_DAYS": "NO_SHOW_CANCEL_DAYS",
    "NO_SHOW_BAR_DAYS": "NO_SHOW_BAR_DAYS",
    "SELF_CHECKIN_MAX_FAILURES": "SELF_CHECKIN_MAX_FAILURES",
    "OFFICE_PHONE": "OFFICE_PHONE",
    "SMS_BACKEND": "SMS_BACKEND",
    "SMS_API_KEY": "SMS_API_KEY",
    "SMS_API_SECRET": "SMS_API_SECRET",
    "SMS_SENDER": "SMS_SENDER",
    "SMS_KAKAO_PFID": "SMS_KAKAO_PFID",
    "SMS_KAKAO_TEMPLATES": "SMS_KAKAO_TEMPLATES",
    "EMAIL_BACKEND": "EMAIL_BACKEND",
    "SMTP_HOST": "SMTP_HOST",
    "SMTP_PORT": "SMTP_PORT",
    "SMTP_USER": "SMTP_USER",
    "SMTP_PASSWORD": "SMTP_PASSWORD",
    "SMTP_FROM": "SMTP_FROM",
    "SMTP_SECURITY": "SMTP_SECURITY",
    "OUTBOX_FILE": "OUTBOX_FILE",
    "OUTBOX_MAX_ATTEMPTS": "OUTBOX_MAX_ATTEMPTS",
    "OUTBOX_RETRY_SECONDS": "OUTBOX_RETRY_SECONDS",
    "REMINDER_HOUR": "REMINDER_HOUR",
    "QUIET_HOURS_START": "QUIET_HOURS_START",
    "QUIET_HOURS_END": "QUIET_HOURS_END",
}

FALSE_WORDS = {"0", "off", "false", "no", ""}


def parse_flag(value) -> bool:
    """Read an on/off setting written as text or bool."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in FALSE_WORDS


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(app, overrides: dict | None = None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and overrides."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, key in ENV_NAMES.items():
        value = os.environ.get("TRAINING_" + env_name)
        if value is not None:
            app.config[key] = value
    if overrides:
        app.config.update(overrides)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = Path(app.instance_path) / "training.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database that does not answer fails a request (and /readyz) in seconds, rather
        # than holding a worker for the operating system's minutes-long connect timeout.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(
            app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        )
        options["connect_args"] = {"connect_timeout": 5, **options.get("connect_args", {})}
    for key in (
        "RATELIMIT",
        "DISTRICT_ONLY",
        "BLOCK_REPEAT_COMPLETION",
        "NO_SHOW_RULE",
        "ACCESS_LOG",
    ):
        app.config[key] = parse_flag(app.config[key])
    app.config["RATELIMIT_ENABLED"] = app.config["RATELIMIT"]
    for key in (
        "TRUSTED_PROXIES",
        "MAX_CONTENT_LENGTH",
        "MAX_ACTIVE_ENROLLMENTS",
        "ONLINE_MAX_CAPACITY",
        "RETENTION_YEARS",
        "SESSION_MAX_DAYS",
        "LOGIN_MAX_FAILURES",
        "LOGIN_LOCK_MINUTES",
        "CHECKIN_OPENS_MINUTES_BEFORE",
        "CHECKIN_LATE_AFTER_MINUTES",
        "CHECKIN_CLOCK_SKEW_SECONDS",
        "NO_SHOW_CANCEL_DAYS",
        "NO_SHOW_BAR_DAYS",
        "SELF_CHECKIN_STEP_SECONDS",
        "SELF_CHECKIN_MAX_FAILURES",
        "SMTP_PORT",
        "OUTBOX_MAX_ATTEMPTS",
        "OUTBOX_RETRY_SECONDS",
        "OUTBOX_BATCH",
        "OUTBOX_POLL_SECONDS",
        "REMINDER_HOUR",
        "QUIET_HOURS_START",
        "QUIET_HOURS_END",
    ):
        app.config[key] = int(app.config[key])
    if (app.config.get("PUBLIC_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if not app.config.get("OUTBOX_FILE"):
        app.config["OUTBOX_FILE"] = str(Path(app.instance_path) / "outbox.log")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def instance_secret_key(instance: Path) -> str:
    """Read the secret key kept in the instance folder, creating it on first run."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    draft = instance / f"secret_key.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        # A hard link either appears whole or fails: when several workers start at
        # once, the first one's key wins and the others read it.
        os.link(draft, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        draft.unlink()
    return key
