"""The same pass scanned at two doors at once: separate processes post the same check-in
through the API at the same moment, and one attendance record comes out."""

import multiprocessing

from sqlalchemy import select

from training.accounts.services import issue_token
from training.checkin.models import Attendance
from training.extensions import db
from training.passes.tokens import pass_token_for

PROCESSES = 4


def _worker(database_url, instance_path, path, token, pass_token, barrier, results):
    """One process: its own app and connections; waits for the others, then scans."""
    from training import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "RATELIMIT": False,
            "TESTING": True,
        }
    )
    app.instance_path = instance_path
    client = app.test_client()
    barrier.wait(timeout=60)
    response = client.post(
        path, json={"token": pass_token}, headers={"Authorization": f"Bearer {token}"}
    )
    results.put((response.status_code, response.get_json()))


def _scan_at_once(database_url, instance_path, path, token, pass_token):
    # This process must hold no transaction (on SQLite, no lock) while the others run.
    db.session.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(database_url, instance_path, path, token, pass_token, barrier, results),
        )
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=120) for _ in range(PROCESSES)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return answers


def test_same_pass_scanned_at_once_gives_one_attendance(
    app, database_url, instructor, live_session, enroll
):
    enrollment = enroll(live_session.run)
    token, pass_token = issue_token(instructor), pass_token_for(enrollment.person)
    db.session.commit()
    session_id, enrollment_id = live_session.id, enrollment.id

    answers = _scan_at_once(
        database_url,
        app.instance_path,
        f"/api/v1/sessions/{session_id}/checkins",
        token,
        pass_token,
    )

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
