"""Polls arriving together: separate processes ask for the same roster at the same moment,
as a door screen and a scanner app might, and one audit entry comes out."""

import pytest
from processes import run_in_processes
from sqlalchemy import select

from training.accounts.models import Role
from training.accounts.services import issue_token
from training.audit.models import AuditEntry
from training.extensions import db

pytestmark = pytest.mark.real_commits

PROCESSES = 4


def test_the_same_roster_polled_at_once_leaves_one_entry(
    app, database_url, make_person, make_run, make_enrollment
):
    staff = make_person(role=Role.STAFF)
    run = make_run()
    make_enrollment(run)
    token = issue_token(staff)
    db.session.commit()
    poll = ("GET", f"/api/v1/sessions/{run.sessions[0].id}/roster", token, None)

    answers = run_in_processes(database_url, app.instance_path, [[poll, poll]] * PROCESSES)

    assert [status for status, _ in answers] == [200] * 2 * PROCESSES
    db.session.expire_all()
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["roster.api_view"]
