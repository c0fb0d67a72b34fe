"""Every page that shows people's data to staff or instructors leaves one audit entry naming
who looked, at what, from which address; a screen that polls does not fill the trail."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

import training.audit
from training.accounts.models import Role
from training.accounts.services import issue_token
from training.audit.models import AuditEntry
from training.catalog.models import CourseRun, Session
from training.clock import utcnow

ADDRESS = {"REMOTE_ADDR": "203.0.113.7"}


def entries(db, action: str) -> list[AuditEntry]:
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    ).all()


@pytest.fixture
def run(db, make_run, make_person, make_enrollment):
    """A run with two people confirmed in it, committed."""
    run = make_run(capacity=5)
    make_enrollment(run, make_person(name="윤정희"))
    make_enrollment(run, make_person(name="박대림"))
    db.session.commit()
    return run


def _session_of(run: CourseRun) -> Session:
    return run.sessions[0]


# What staff open, the entry it leaves, and the record the entry is about.
PAGES = [
    ("roster.view", lambda run: f"/desk/runs/{run.id}", lambda run: run),
    ("completion.view", lambda run: f"/desk/runs/{run.id}/completion", lambda run: run),
    ("door.view", lambda run: f"/checkin/sessions/{_session_of(run).id}", _session_of),
    ("door.refresh", lambda run: f"/checkin/sessions/{_session_of(run).id}/state", _session_of),
]


@pytest.mark.parametrize(("action", "url", "subject"), PAGES, ids=[page[0] for page in PAGES])
def test_a_roster_page_leaves_one_entry(db, desk, staff, run, action, url, subject):
    response = desk.get(url(run), environ_base=ADDRESS)

    assert response.status_code == 200
    (entry,) = entries(db, action)
    viewed = subject(run)
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        staff.id,
        viewed.__tablename__,
        viewed.id,
    )
    assert entry.address == "203.0.113.7"
    assert entry.detail["people"] == 2


def test_the_api_roster_leaves_one_entry(db, client, staff, run):
    session = _session_of(run)
    response = client.get(
        f"/api/v1/sessions/{session.id}/roster",
        headers={"Authorization": f"Bearer {issue_token(staff)}"},
        environ_base=ADDRESS,
    )

    assert response.status_code == 200
    (entry,) = entries(db, "roster.api_view")
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (
        staff.id,
        "sessions",
        session.id,
    )
    assert entry.address == "203.0.113.7"
    assert entry.detail == {"run_id": run.id, "people": 2}


def test_a_person_page_leaves_one_entry(db, desk, staff, make_person):
    resident = make_person(name="김영등")
    db.session.commit()

    response = desk.get(f"/desk/people/{resident.id}", environ_base=ADDRESS)

    assert response.status_code == 200
    (entry,) = entries(db, "person.view")
    assert (entry.actor_id, entry.subject_id, entry.address) == (
        staff.id,
        resident.id,
        "203.0.113.7",
    )


def test_a_people_search_keeps_whom_it_showed_but_not_the_number_typed(
    db, desk, staff, make_person
):
    found = make_person(name="김영등", phone="01012345678")
    make_person(name="박대림", phone="01099998888")
    db.session.commit()

    response = desk.get("/desk/people?q=5678", environ_base=ADDRESS)

    assert "김영등" in response.get_data(as_text=True)
    (entry,) = entries(db, "people.search")
    assert (entry.actor_id, entry.address) == (staff.id, "203.0.113.7")
    assert entry.detail == {
        "search": "digits",
        "role": None,
        "found": 1,
        "people": [found.id],
    }
    assert "5678" not in json.dumps(entry.detail)


def test_listing_a_role_records_a_search_with_no_term(db, desk, make_person):
    make_person(role=Role.INSTRUCTOR, name="김강사")
    db.session.commit()

    desk.get("/desk/people?role=instructor")

    (entry,) = entries(db, "people.search")
    assert (entry.detail["search"], entry.detail["role"], entry.detail["found"]) == (
        None,
        "instructor",
        1,
    )


def test_the_door_screen_is_recorded_each_time_it_is_opened(db, desk, run):
    url = f"/checkin/sessions/{_session_of(run).id}"

    desk.get(url)
    desk.get(url)

    assert len(entries(db, "door.view")) == 2


def test_polling_the_door_screen_leaves_one_entry_per_ten_minutes(db, desk, run, monkeypatch):
    url = f"/checkin/sessions/{_session_of(run).id}/state"

    for _ in range(5):
        assert desk.get(url).status_code == 200
    assert len(entries(db, "door.refresh")) == 1

    later = utcnow() + timedelta(minutes=11)
    monkeypatch.setattr(training.audit, "utcnow", lambda: later)
    desk.get(url)
    desk.get(url)

    assert len(entries(db, "door.refresh")) == 2


def test_polls_are_counted_apart_for_each_person_and_session(
    db, desk, client_for, make_person, run
):
    other_desk = client_for(make_person(role=Role.STAFF, name="이담당"))
    first, second = run.sessions[0], run.sessions[1]

    for client, session in [(desk, first), (desk, first), (desk, second), (other_desk, first)]:
        client.get(f"/checkin/sessions/{session.id}/state")

    seen = sorted((e.actor_id, e.subject_id) for e in entries(db, "door.refresh"))
    assert len(seen) == 3
    assert len(set(seen)) == 3


def test_polling_the_api_roster_leaves_one_entry(db, client, staff, run):
    headers = {"Authorization": f"Bearer {issue_token(staff)}"}

    for _ in range(3):
        client.get(f"/api/v1/sessions/{_session_of(run).id}/roster", headers=headers)

    assert len(entries(db, "roster.api_view")) == 1


def test_a_refused_view_leaves_no_entry(db, client_for, make_person, run):
    resident = client_for(make_person())

    response = resident.get(f"/checkin/sessions/{_session_of(run).id}")

    assert response.status_code == 403
    assert entries(db, "door.view") == []
