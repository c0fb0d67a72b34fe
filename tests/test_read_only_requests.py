"""No GET writes to the database unless its view is marked ``writes_on_read``: SQLite begins a
read-only request deferred, and a write there would race other writers unseen. Under testing
such a write fails; here every GET route is walked with real ids, as every kind of visitor."""

from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pytest
from flask import g
from sqlalchemy import select
from test_every_route import visitors  # noqa: F401  (a fixture, used by name)

from training.accounts.models import Person, Role
from training.accounts.services import issue_token
from training.catalog.models import Course, CourseRun, Room, Session, Venue
from training.certificates.services import issue_certificate
from training.database import WriteInReadOnlyRequest
from training.enrollment.models import Enrollment
from training.stats.charts import chart_names

ENDED = datetime(2022, 3, 20, 5, tzinfo=UTC)
CHECK_CODE = "K7Q2M9XD"

# Query strings that take a view past its input checks to the part that may write.
QUERIES = {
    "api.certificate": [{"code": CHECK_CODE}],
    "api.stats": [{"from": "2022-01", "to": "2022-12"}],
    "certificates.ledger": [{"year": "2022"}],
    "certificates.verify": [{"code": CHECK_CODE}],
    "desk.people": [{}, {"q": "홍"}],
    "desk.runs": [{}, {"view": "ended"}],
    "sheets.attendance_pdf": [{}, {"unmasked": "1", "reason": "출석 확인"}],
    "sheets.attendance_xlsx": [{}, {"unmasked": "1", "reason": "출석 확인"}],
}


@pytest.fixture
def walkers(app, db, visitors, make_person, make_run, make_enrollment, client_for):  # noqa: F811
    """Every kind of visitor with an admin added, and real values for every URL argument: the
    visitors' open run, session and enrollment, and an ended 2022 run in which the resident
    completed (with a certificate) and another trainee completed (without one)."""
    admin = make_person(role=Role.ADMIN)
    resident = db.session.scalar(select(Person).where(Person.role == Role.RESIDENT))
    open_run = db.session.scalar(select(CourseRun))
    ended = make_run(starts_on=date(2022, 3, 2), title="키오스크 활용")
    certified = make_enrollment(ended, resident, completed_at=ENDED)
    uncertified = make_enrollment(ended, completed_at=ENDED)
    certificate = issue_certificate(certified, actor=None)
    # A serial shows its certificate only with its check code, which the walk must know.
    certificate.check_code = CHECK_CODE
    db.session.commit()
    clients = dict(visitors)
    clients["admin"] = (client_for(admin), {"Authorization": f"Bearer {issue_token(admin)}"})
    values = {
        "run_id": [open_run.id, ended.id],
        "session_id": db.session.scalars(select(Session.id)).all(),
        "person_id": db.session.scalars(select(Person.id)).all(),
        "enrollment_id": db.session.scalars(
            select(Enrollment.id).where(Enrollment.person_id == resident.id)
        ).all()
        + [uncertified.id],
        "serial": [certificate.serial],
        "venue_id": db.session.scalars(select(Venue.id)).all(),
        "room_id": db.session.scalars(select(Room.id)).all(),
        "course_id": db.session.scalars(select(Course.id)).all(),
        "name": list(chart_names()),
    }
    return clients, values


def _get_paths(app, values):
    """Every GET route (static files aside) with each plausible value of its arguments."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "accounts.logout"):
            continue
        unknown = set(rule.arguments) - set(values)
        assert not unknown, f"{rule.rule}: give the walk plausible values for {unknown}"
        combinations = [{}]
        for argument in sorted(rule.arguments):
            combinations = [
                {**combination, argument: value}
                for combination in combinations
                for value in values[argument]
            ]
        for combination in combinations:
            path = rule.build(combination, append_unknown=False)[1]
            for query in QUERIES.get(rule.endpoint, [{}]):
                yield rule.endpoint, f"{path}?{urlencode(query)}" if query else path


def test_no_get_route_writes_without_being_marked(app, db, walkers):
    clients, values = walkers
    written = []
    answered = set()  # endpoints that answered 200 to someone
    for endpoint, path in _get_paths(app, values):
        for name, (client, headers) in clients.items():
            try:
                response = client.get(path, headers=headers)
            except WriteInReadOnlyRequest as error:
                db.session.rollback()
                written.append(f"{name}: {error}")
                continue
            if response.status_code == 200:
                answered.add(endpoint)
    assert written == []
    # Every view was reached, not stopped at a log-in page or a 404: a new route needs
    # plausible values (or a query string) here before it counts as walked.
    assert {endpoint for endpoint, _ in _get_paths(app, values)} - answered == set()


def _read_only_request(app, path: str):
    """A request context for the path, deciding afresh whether it only reads."""
    g.pop("only_reads", None)
    return app.test_request_context(path)


def test_a_write_in_an_unmarked_get_fails(app, db, make_person):
    with _read_only_request(app, "/verify/YDP-2022-00001"), pytest.raises(WriteInReadOnlyRequest):
        make_person()
    db.session.rollback()


def test_a_write_in_a_marked_get_is_allowed(app, db, make_person, count_rows):
    with _read_only_request(app, "/desk/certificates/ledger.xlsx"):
        make_person()

    assert count_rows(Person) == 1


def test_reading_in_an_unmarked_get_with_nothing_to_write_is_allowed(app, db, make_person):
    person = make_person()
    db.session.commit()

    with _read_only_request(app, "/verify/YDP-2022-00001"):
        person.name = person.name
        found = db.session.scalar(select(Person).where(Person.id == person.id))

    assert found is person


def test_a_write_is_reported_even_when_the_view_swallows_the_error(app, db, client, monkeypatch):
    def swallowing_view(serial):
        try:
            db.session.add(Person(name="몰래", phone="01099990000", birth_year=1960, dong="도림동"))
            db.session.flush()
        except Exception:  # what a careless view might do
            db.session.rollback()
        return "ok"

    monkeypatch.setitem(app.view_functions, "certificates.verify", swallowing_view)

    with pytest.raises(WriteInReadOnlyRequest, match="certificates.verify"):
        client.get("/verify/YDP-2022-00001")
    db.session.rollback()
