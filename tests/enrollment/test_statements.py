"""Enrolling and cancelling through the API are one transaction each: the answer is read before
the commit, so no second transaction (on SQLite, a second wait for the write lock) follows, on
the morning of a rush least of all."""

import pytest

from training.accounts.services import issue_token
from training.extensions import db

pytestmark = pytest.mark.real_commits


def test_enrolling_and_cancelling_read_nothing_after_their_commit(
    client, make_open_run, make_person, statements
):
    run_id = make_open_run(capacity=1).id
    headers = [{"Authorization": f"Bearer {issue_token(make_person())}"} for _ in range(2)]
    db.session.commit()

    answers = []
    for header in headers:
        statements.clear()
        answers.append(client.post(f"/api/v1/runs/{run_id}/enrollments", json={}, headers=header))
        assert statements[-1] == "COMMIT", statements[-3:]
        assert statements.count("COMMIT") == 1

    assert [a.get_json()["status"] for a in answers] == ["confirmed", "waitlisted"]
    statements.clear()
    cancelled = client.delete(
        f"/api/v1/enrollments/{answers[0].get_json()['id']}", headers=headers[0]
    )

    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert statements[-1] == "COMMIT", statements[-3:]
    assert statements.count("COMMIT") == 1
