"""Serials under real concurrency: separate processes, each with its own app and database
connections, issue certificates at the same moment, as staff printing runs side by side would."""

import multiprocessing
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
from processes import run_together
from sqlalchemy import select

from training.accounts.models import Person, Role
from training.certificates.models import Certificate, CertificateCounter
from training.certificates.services import (
    CertificateError,
    complete_run,
    decide_completion,
    format_serial,
    issue_certificate,
)
from training.enrollment.models import CompletionOverride, Enrollment
from training.extensions import db

pytestmark = pytest.mark.real_commits

PROCESSES = 4
ENROLLMENTS = 12
CONTENDED = 10
RACES = 20
COMPLETED = datetime(2022, 3, 16, 5, 0, tzinfo=UTC)


def _issue(app, enrollment_id):
    """One process's issue of one certificate: (enrollment id, serial or the error)."""
    with app.app_context():
        try:
            enrollment = db.session.get(Enrollment, enrollment_id)
            serial = issue_certificate(enrollment, actor=None).serial
            db.session.commit()
        except Exception as error:  # reported to the test, which would otherwise wait
            db.session.rollback()
            return enrollment_id, f"error: {error!r}"
        return enrollment_id, serial


def issue_in_processes(database_url, instance_path, ids_per_process):
    """Issue for lists of enrollment ids, one list per process, all at once."""
    return run_together(_issue, database_url, instance_path, ids_per_process)


def last_number_of(year: int) -> int:
    return db.session.scalar(
        select(CertificateCounter.last_number).where(CertificateCounter.year == year)
    )


def test_concurrent_issue_numbers_without_gaps_or_repeats(
    app, database_url, make_run, make_enrollment
):
    run = make_run(starts_on=date(2022, 3, 2), capacity=ENROLLMENTS)
    ids = [make_enrollment(run, completed_at=COMPLETED).id for _ in range(ENROLLMENTS)]
    db.session.commit()

    answers = issue_in_processes(
        database_url, app.instance_path, [ids[index::PROCESSES] for index in range(PROCESSES)]
    )

    expected = [format_serial(2022, number) for number in range(1, ENROLLMENTS + 1)]
    assert sorted(serial for _, serial in answers) == expected
    rows = db.session.execute(
        select(Certificate.number, Certificate.enrollment_id).order_by(Certificate.number)
    ).all()
    assert [number for number, _ in rows] == list(range(1, ENROLLMENTS + 1))
    assert sorted(enrollment_id for _, enrollment_id in rows) == sorted(ids)
    assert last_number_of(2022) == ENROLLMENTS


def test_same_enrollment_issued_at_once_gets_one_certificate(
    app, database_url, make_run, make_enrollment
):
    # Every process issues for the same enrollments in the same order: each one is contended.
    run = make_run(starts_on=date(2022, 3, 2), capacity=CONTENDED)
    ids = [make_enrollment(run, completed_at=COMPLETED).id for _ in range(CONTENDED)]
    db.session.commit()

    answers = issue_in_processes(database_url, app.instance_path, [ids] * PROCESSES)

    serials_by_enrollment = defaultdict(set)
    for enrollment_id, serial in answers:
        serials_by_enrollment[enrollment_id].add(serial)
    assert sorted(serial for (serial,) in serials_by_enrollment.values()) == [
        format_serial(2022, number) for number in range(1, CONTENDED + 1)
    ]
    rows = db.session.execute(select(Certificate.enrollment_id, Certificate.serial)).all()
    assert {enrollment_id: {serial} for enrollment_id, serial in rows} == serials_by_enrollment
    assert last_number_of(2022) == CONTENDED


def _race(app, item):
    """Issue a certificate, withdraw completion (staff) or judge the run, for one enrollment,
    released together with the other process through the enrollment's own barrier."""
    action, enrollment_id, barrier = item
    with app.app_context():
        barrier.wait(timeout=60)
        try:
            enrollment = db.session.get(Enrollment, enrollment_id)
            if action == "issue":
                issue_certificate(enrollment, actor=None)
            elif action == "withdraw":
                staff = db.session.scalar(select(Person).where(Person.role == Role.STAFF))
                decide_completion(
                    enrollment, CompletionOverride.WITHDRAWN, actor=staff, reason="대리 출석"
                )
            else:
                complete_run(enrollment.run)
            db.session.commit()
        except CertificateError as refusal:
            db.session.rollback()
            return action, enrollment_id, refusal.code
        except Exception as error:  # reported to the test, which would otherwise wait
            db.session.rollback()
            return action, enrollment_id, f"error: {error!r}"
        return action, enrollment_id, "done"


def race_in_processes(database_url, instance_path, ids, actions):
    """One process per action, each going through the enrollments in order; every
    enrollment's actions start at the same moment."""
    spawn = multiprocessing.get_context("spawn")
    barriers = [spawn.Barrier(len(actions)) for _ in ids]
    return run_together(
        _race,
        database_url,
        instance_path,
        [[(action, *pair) for pair in zip(ids, barriers, strict=True)] for action in actions],
    )


def live_certificates_without_completion() -> list[str]:
    return db.session.scalars(
        select(Certificate.serial)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Certificate.revoked_at.is_(None), Enrollment.completed_at.is_(None))
    ).all()


def test_withdrawing_completion_while_issuing_leaves_no_live_certificate(
    app, database_url, make_run, make_enrollment, make_person
):
    # Without the enrollment's lock the withdrawal misses the certificate being issued.
    run = make_run(starts_on=date(2022, 3, 2), capacity=RACES)
    ids = [make_enrollment(run, completed_at=COMPLETED).id for _ in range(RACES)]
    make_person(role=Role.STAFF)
    db.session.commit()

    answers = race_in_processes(database_url, app.instance_path, ids, ["issue", "withdraw"])

    assert {answer for _, _, answer in answers} <= {"done", "not_completed"}
    assert live_certificates_without_completion() == []


def test_judging_a_run_while_issuing_leaves_no_live_certificate(
    app, database_url, make_run, make_enrollment
):
    # Each trainee completed by an earlier judgement has no attendance: judging again
    # withdraws completion while the certificate is being issued.
    ids = [
        make_enrollment(make_run(starts_on=date(2022, 3, 2)), completed_at=COMPLETED).id
        for _ in range(RACES)
    ]
    db.session.commit()

    answers = race_in_processes(database_url, app.instance_path, ids, ["issue", "judge"])

    assert {answer for _, _, answer in answers} <= {"done", "not_completed"}
    assert live_certificates_without_completion() == []
