"""Every route in the URL map, sent junk by every kind of visitor, answers without a server
error: new routes are covered the day they are added."""

from datetime import UTC, datetime, timedelta

import pytest

from training.accounts.models import Role
from training.accounts.services import issue_token
from training.catalog.models import Session

JUNK_BODIES = {
    "empty form": {"data": {}},
    "junk form": {"data": {"token": "가" * 3000, "reason": "\x00", "phone": "x", "code": "1"}},
    "json array": {"json": [1, 2]},
    "json junk": {"json": {"token": 5, "enrollment_id": "x", "scanned_at": "yesterday"}},
    "bytes": {"data": b"\xff\xd8\xff\x00junk", "content_type": "image/jpeg"},
}
JUNK_VALUES = ["0", "-1", "99999999999999999999", "YDP-2022-00001", "%EA%B0%80"]
LOGGING_OUT = (
    "accounts.logout",
    "accounts.end_session",
    "accounts.end_other_sessions",
    "api.revoke_token",
    "api.revoke_one_token",
)


@pytest.fixture
def visitors(app, db, make_person, make_open_run, make_enrollment, client_for):
    instructor = make_person(role=Role.INSTRUCTOR)
    run = make_open_run()
    run.instructor_id = instructor.id
    now = datetime.now(UTC)
    db.session.add(
        Session(
            run_id=run.id, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)
        )
    )
    resident = make_person()
    make_enrollment(run, resident)
    staff = make_person(role=Role.STAFF)
    db.session.commit()
    clients = {"anonymous": (app.test_client(), {})}
    for name, person in (("resident", resident), ("instructor", instructor), ("staff", staff)):
        clients[name] = (client_for(person), {"Authorization": f"Bearer {issue_token(person)}"})
    return clients


def _paths(app):
    for rule in app.url_map.iter_rules():
        # Logging out (or ending one's sessions and tokens, tested with junk where they are
        # tested) would turn the rest of the walk into an anonymous one.
        if rule.endpoint in ("static", *LOGGING_OUT):
            continue
        for value in JUNK_VALUES + ["1"]:
            values = {
                argument: (value if value.lstrip("-").isdigit() else "1")
                if "int" in str(rule._converters.get(argument, ""))
                else value
                for argument in rule.arguments
            }
            try:
                path = rule.build(values, append_unknown=False)[1]
            except Exception:  # a value the converter refuses: that URL cannot be asked for
                continue
            yield rule, path


def test_no_route_answers_a_server_error(app, visitors):
    failures = []
    sent = 0
    for rule, path in _paths(app):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for name, (client, headers) in visitors.items():
            for method in methods:
                bodies = JUNK_BODIES.items() if method != "GET" else [("none", {})]
                for label, body in bodies:
                    response = client.open(path, method=method, headers=headers, **body)
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(
                            f"{name} {method} {path} [{label}] -> {response.status_code}"
                        )
    assert sent > 1000  # the map really was walked
    assert failures == []
