"""Audit entries are written once and never changed or deleted, whatever the code does."""

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from training.audit import record
from training.audit.models import AuditEntry


@pytest.fixture
def entry(db, make_person):
    admin = make_person()
    entry = record(admin, "person.view", admin, reason="check")
    db.session.commit()
    return entry


def test_recorded_entry_is_stored_without_address_outside_a_request(db, entry):
    stored = db.session.scalars(select(AuditEntry)).one()

    assert (stored.action, stored.detail) == ("person.view", {"reason": "check"})
    assert stored.address is None


def test_entry_records_the_client_address_of_the_request(app, db, make_person):
    person = make_person()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        entry = record(person, "person.view", person)

    assert entry.address == "203.0.113.7"


def test_update_of_an_entry_is_refused(db, entry):
    with pytest.raises(DBAPIError, match="cannot be changed"):
        db.session.execute(update(AuditEntry).values(action="person.edit"))
    db.session.rollback()

    assert db.session.scalars(select(AuditEntry.action)).one() == "person.view"


def test_delete_of_an_entry_is_refused(db, entry):
    with pytest.raises(DBAPIError, match="cannot be"):
        db.session.execute(delete(AuditEntry))
    db.session.rollback()

    assert db.session.scalar(text("SELECT count(*) FROM audit_entries")) == 1


@pytest.mark.parametrize("action", ["person.role_change", "door.refresh"])
def test_a_permission_change_or_a_view_cannot_be_deleted_through_the_session(
    db, make_person, action
):
    admin = make_person()
    entry = record(admin, action, admin)
    db.session.commit()

    db.session.delete(entry)
    with pytest.raises(DBAPIError, match="cannot be"):
        db.session.commit()
    db.session.rollback()

    assert db.session.scalars(select(AuditEntry.action)).all() == [action]


def test_actor_with_entries_cannot_be_deleted(db, entry):
    with pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM people"))
    db.session.rollback()

    assert db.session.scalar(text("SELECT count(*) FROM audit_entries")) == 1
