"""The audit trail for admins: the search, the names it shows, and the CSV export."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, or_, select

from training import audit
from training.accounts.models import Person
from training.audit.models import AuditEntry
from training.clock import SEOUL, month_bounds, to_seoul
from training.extensions import db
from training.spreadsheets import safe_cell

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditQuery:
    """What the admin looks for; empty values match everything."""

    person: str = ""
    actor: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None

    def as_arguments(self) -> dict[str, str]:
        """The filled-in values, named as in the query string."""
        arguments = {
            "person": self.person,
            "actor": self.actor,
            "action": self.action,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }
        return {name: value for name, value in arguments.items() if value}


def _people_matching(text: str) -> Select:
    """Ids of people whose name or phone number holds the text."""
    digits = "".join(c for c in text if c.isdigit())
    conditions = [Person.name.contains(text, autoescape=True)]
    if digits:
        conditions.append(Person.phone.contains(digits, autoescape=True))
    return select(Person.id).where(or_(*conditions))


def _seoul_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SEOUL)


def search_statement(query: AuditQuery) -> Select:
    """Entries matching the query, newest first."""
    statement = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if query.person:
        people = _people_matching(query.person)
        statement = statement.where(
            or_(
                AuditEntry.actor_id.in_(people),
                and_(AuditEntry.subject_type == "people", AuditEntry.subject_id.in_(people)),
            )
        )
    if query.actor:
        statement = statement.where(AuditEntry.actor_id.in_(_people_matching(query.actor)))
    if query.action:
        statement = statement.where(AuditEntry.action.startswith(query.action, autoescape=True))
    if query.start:
        statement = statement.where(AuditEntry.created_at >= _seoul_midnight(query.start))
    if query.end:
        following = _seoul_midnight(query.end + timedelta(days=1))
        statement = statement.where(AuditEntry.created_at < following)
    return statement


def search_entries(query: AuditQuery, page: int):
    """One page of matching entries, newest first."""
    return db.paginate(search_statement(query), page=page, per_page=PAGE_SIZE, error_out=False)


def all_entries(query: AuditQuery) -> list[AuditEntry]:
    """Every matching entry, newest first, for the export."""
    return list(db.session.scalars(search_statement(query)))


def subject_names(entries) -> dict[int, str]:
    """The names of the people the entries are about, by id."""
    ids = {e.subject_id for e in entries if e.subject_type == "people" and e.subject_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())


def entry_row(entry: AuditEntry, names: dict[int, str], system: str) -> list[str]:
    """An entry as the cells people read: who, when (Seoul), what, subject, address, details."""
    if entry.subject_type == "people" and entry.subject_id in names:
        subject = f"{names[entry.subject_id]} (#{entry.subject_id})"
    else:
        subject = f"{entry.subject_type} #{entry.subject_id}"
    return [
        entry.actor.name if entry.actor is not None else system,
        f"{to_seoul(entry.created_at):%Y-%m-%d %H:%M:%S}",
        entry.action,
        subject,
        entry.address or "",
        json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True),
    ]


def build_audit_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """A CSV file in UTF-8 with a byte-order mark (so Excel reads Korean), formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([safe_cell(str(cell)) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def record_export(admin: Person, query: AuditQuery, reason: str, count: int) -> None:
    """Put the export itself on the trail, with its filters and the reason given."""
    audit.record(
        admin, "audit.export", admin, reason=reason, entries=count, filters=query.as_arguments()
    )
    db.session.flush()


# Actions that hand personal data over to someone: files, prints and the audit export.
DOWNLOAD_ACTIONS = (
    "attendance_sheet.export",
    "audit.export",
    "certificates.ledger_export",
    "certificates.print",
    "pass.print",
    "passes.print",
    "stats.export",
)


def month_downloads(month: date) -> list[AuditEntry]:
    """The month's (in Seoul) downloads and prints of personal data, oldest first."""
    first, last = month_bounds(month)
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action.in_(DOWNLOAD_ACTIONS),
                AuditEntry.created_at >= _seoul_midnight(first),
                AuditEntry.created_at < _seoul_midnight(last + timedelta(days=1)),
            )
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )
