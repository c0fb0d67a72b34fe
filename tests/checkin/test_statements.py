"""A scan at the door is one short transaction: its answer is read before the commit, so no
second transaction (on SQLite, a second wait for the write lock) follows it, and it runs no
statement it does not need."""

import pytest

from training.extensions import db
from training.passes.tokens import pass_token_for

pytestmark = pytest.mark.real_commits

# The caller's token, the session, the pass holder, the run (whose instructor may scan), the
# enrollment, the attendance looked up, then its insert inside a savepoint.
FIRST_SCAN_STATEMENTS = 8


def _work(seen: list[str]) -> list[str]:
    return [s for s in seen if s != "COMMIT" and not s.startswith("BEGIN")]


def _scans(client, path, token, headers=None):
    return client.post(path, json={"token": token}, headers=headers)


def test_an_api_scan_is_one_transaction_and_reads_nothing_after_it(
    client, bearer, instructor, live_session, enrollment, statements
):
    headers = bearer(instructor)
    token = pass_token_for(enrollment.person)
    db.session.commit()
    path = f"/api/v1/sessions/{live_session.id}/checkins"
    statements.clear()

    first = _scans(client, path, token, headers)

    assert first.status_code == 201
    assert statements[-1] == "COMMIT", statements[-3:]
    assert statements.count("COMMIT") == 1
    assert len(_work(statements)) <= FIRST_SCAN_STATEMENTS, _work(statements)

    statements.clear()
    again = _scans(client, path, token, headers)

    assert again.status_code == 200 and again.get_json()["result"] == "already"
    assert statements.count("COMMIT") == 1 and statements[-1] == "COMMIT"


def test_a_door_screen_scan_reads_nothing_after_its_commit(
    login, instructor, live_session, enrollment, statements
):
    door = login(instructor)
    token, name = pass_token_for(enrollment.person), enrollment.person.name
    path = f"/checkin/sessions/{live_session.id}/scan"
    db.session.commit()
    statements.clear()

    answer = _scans(door, path, token)

    assert statements[-1] == "COMMIT", statements[-3:]
    assert statements.count("COMMIT") == 1
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["name"] == name
