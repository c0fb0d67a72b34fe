"""The same pass scanned at two doors at once: separate processes post the same check-in
through the API at the same moment, and one attendance record comes out."""

import pytest
from processes import run_in_processes
from sqlalchemy import select

from training.accounts.services import issue_token
from training.checkin.models import Attendance
from training.extensions import db
from training.passes.tokens import pass_token_for

pytestmark = pytest.mark.real_commits

PROCESSES = 4


def test_same_pass_scanned_at_once_gives_one_attendance(
    app, database_url, instructor, live_session, enroll
):
    enrollment = enroll(live_session.run)
    token, pass_token = issue_token(instructor), pass_token_for(enrollment.person)
    db.session.commit()
    session_id, enrollment_id = live_session.id, enrollment.id

    scan = ("POST", f"/api/v1/sessions/{session_id}/checkins", token, {"token": pass_token})
    answers = run_in_processes(database_url, app.instance_path, [[scan]] * PROCESSES)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (PROCESSES - 1) + [201]
    assert [body["result"] for status, body in answers if status == 200] == ["already"] * (
        PROCESSES - 1
    )
    created = [body for status, body in answers if status == 201]
    assert created[0]["result"] in ("present", "late")
    db.session.expire_all()
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session_id)).all()
    assert [row.enrollment_id for row in rows] == [enrollment_id]
