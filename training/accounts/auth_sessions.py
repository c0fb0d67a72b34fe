"""Where a person is logged in: browser sessions and API tokens kept on the server, so that
logging out or revoking ends them for good and not only in the one cookie or client at hand.

The holder keeps a random secret; the server keeps only its SHA-256, so a copy of the table
lets no one in. A session is live while it is not ended, not expired and was issued under
the person's current auth_version: bumping that version (a new password, anonymization, a
closed account) ends every session of the person without touching their rows."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from training import audit
from training.accounts.models import AuthKind, AuthSession, Person
from training.errors import RuleError
from training.extensions import db

# Where the browser's secret lives in Flask's session: short, as the cookie carries it.
SESSION_KEY = "sk"
MAX_LABEL_LENGTH = 40
# A secret is 43 characters; a longer header is junk, not worth hashing.
MAX_SECRET_LENGTH = 100

LOGOUT = "logout"
REVOKED = "revoked"
PASSWORD = "password"
OTHERS = "others"
# Ended and expired sessions are kept this long (the audit trail keeps the log-ins themselves).
KEEP_ENDED = timedelta(days=30)


def hash_secret(secret: str) -> str:
    """What the table keeps of a secret: enough to recognise it, useless to present."""
    return hashlib.sha256(secret.encode()).hexdigest()


def expiry(kind: AuthKind, now: datetime) -> datetime:
    """When a session of this kind begun now expires, however much it is used."""
    if kind is AuthKind.WEB:
        return now + timedelta(days=current_app.config["SESSION_MAX_DAYS"])
    return now + timedelta(seconds=current_app.config["API_TOKEN_MAX_AGE"])


def start_session(person: Person, kind: AuthKind, *, now: datetime, label: str = "") -> str:
    """Begin a browser session or an API token for the person; returns its secret, which the
    caller hands to the holder and nobody keeps."""
    secret = secrets.token_urlsafe(32)
    auth_session = AuthSession(
        person_id=person.id,
        kind=kind,
        key_hash=hash_secret(secret),
        auth_version=person.auth_version,
        created_at=now,
        expires_at=expiry(kind, now),
        label=(label or "")[:MAX_LABEL_LENGTH],
    )
    db.session.add(auth_session)
    db.session.flush()
    return secret


def _live(now: datetime) -> tuple:
    """The conditions of a live session, for a query that joins Person."""
    return (
        AuthSession.person_id == Person.id,
        AuthSession.ended_at.is_(None),
        AuthSession.expires_at > now,
        AuthSession.auth_version == Person.auth_version,
        Person.is_active,
    )


def person_for_secret(
    secret: str | None, kind: AuthKind, *, now: datetime, person_id: int | None = None
) -> Person | None:
    """The person a live session of this kind with this secret belongs to, in one query:
    every page and every door scan asks it."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    statement = (
        select(Person)
        .join(AuthSession, AuthSession.person_id == Person.id)
        .where(AuthSession.key_hash == hash_secret(secret), AuthSession.kind == kind, *_live(now))
    )
    if person_id is not None:
        statement = statement.where(Person.id == person_id)
    return db.session.scalar(statement)


def find_live_session(secret: str | None, kind: AuthKind, *, now: datetime) -> AuthSession | None:
    """The live session of this kind with this secret, if there is one."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    return db.session.scalar(
        select(AuthSession)
        .join(Person, AuthSession.person_id == Person.id)
        .where(AuthSession.key_hash == hash_secret(secret), AuthSession.kind == kind, *_live(now))
    )


def end_session(auth_session: AuthSession, *, now: datetime, reason: str) -> None:
    """End one session; ending one already ended keeps its first end."""
    if auth_session.ended_at is None:
        auth_session.ended_at = now
        auth_session.end_reason = reason
        db.session.flush()


def end_all_sessions(
    person: Person, *, now: datetime, reason: str, keep: AuthSession | None = None
) -> int:
    """End every session and token of the person not ended yet, except keep; returns how
    many were still live."""
    live = sum(1 for s in live_sessions(person, now=now) if keep is None or s.id != keep.id)
    statement = update(AuthSession).where(
        AuthSession.person_id == person.id, AuthSession.ended_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep.id)
    db.session.execute(statement.values(ended_at=now, end_reason=reason))
    return live


def live_sessions(person: Person, *, now: datetime) -> list[AuthSession]:
    """The person's live browser sessions and tokens, newest first."""
    return db.session.scalars(
        select(AuthSession)
        .join(Person, AuthSession.person_id == Person.id)
        .where(Person.id == person.id, *_live(now))
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
    ).all()


def revoke_session(
    person: Person,
    session_id: int,
    *,
    now: datetime,
    actor: Person,
    kind: AuthKind | None = None,
) -> AuthSession:
    """The person ends one of their own live sessions or tokens (of this kind only, if
    given), by its id; anyone else's is as good as missing."""
    auth_session = next((s for s in live_sessions(person, now=now) if s.id == session_id), None)
    if auth_session is None or kind not in (None, auth_session.kind):
        raise RuleError("not_found", _("이미 로그아웃된 곳이거나 없는 곳입니다."), 404)
    end_session(auth_session, now=now, reason=REVOKED)
    action = "session.end" if auth_session.kind is AuthKind.WEB else "token.revoke"
    audit.record(actor, action, auth_session, person_id=person.id, reason=REVOKED)
    return auth_session


def end_other_sessions(
    person: Person, *, now: datetime, keep: AuthSession | None, actor: Person
) -> int:
    """The person logs out everywhere but here (keep); returns how many places ended."""
    ended = end_all_sessions(person, now=now, reason=OTHERS, keep=keep)
    audit.record(actor, "session.end_others", person, count=ended)
    return ended


_BROWSERS = (
    # Order matters: Edge and Samsung Internet also say Chrome, Chrome also says Safari.
    ("Edg/", "Edge"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Whale/", "Whale"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_PRODUCT = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,30}")


def describe_user_agent(user_agent: str | None) -> str:
    """A short name for the browser or program, "Chrome, Android" or "curl", enough for a
    person to recognise their own devices; never the whole header."""
    user_agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser:
        return f"{browser}, {system}" if system else browser
    product = _PRODUCT.match(user_agent)
    return product.group() if product else ""


def forget_old_sessions(now: datetime) -> int:
    """Delete sessions and tokens ended or expired more than KEEP_ENDED ago; returns how many.
    A session replaced by a new auth_version is forgotten once it would have expired."""
    before = now - KEEP_ENDED
    result = db.session.execute(
        delete(AuthSession).where(
            or_(AuthSession.ended_at < before, AuthSession.expires_at < before)
        )
    )
    return result.rowcount
