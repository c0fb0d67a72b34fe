"""The ledger: loaded in a fixed number of queries and readable for anonymized people."""

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from tests.conftest import recorded_statements
from training.certificates.ledger import build_ledger_xlsx, ledger_rows
from training.certificates.services import issue_certificate

ENDED = datetime(2022, 4, 1, 3, tzinfo=UTC)


def issue(db, make_run, make_enrollment, runs: int, people: int) -> None:
    for _ in range(runs):
        run = make_run(starts_on=date(2022, 3, 2), capacity=people)
        for _ in range(people):
            issue_certificate(make_enrollment(run, completed_at=ENDED), actor=None)
    db.session.flush()
    db.session.expire_all()


def statements_for_ledger() -> int:
    with recorded_statements() as statements:
        build_ledger_xlsx(2022, ledger_rows(2022))
    return len(statements)


def test_ledger_takes_as_many_queries_for_100_certificates_as_for_10(db, make_run, make_enrollment):
    issue(db, make_run, make_enrollment, runs=2, people=5)
    for_ten = statements_for_ledger()
    issue(db, make_run, make_enrollment, runs=18, people=5)

    for_hundred = statements_for_ledger()

    assert len(ledger_rows(2022)) == 100
    assert for_hundred == for_ten


def test_ledger_lists_every_certificate_with_a_total(db, make_run, make_enrollment):
    issue(db, make_run, make_enrollment, runs=3, people=4)

    rows = list(load_workbook(io.BytesIO(build_ledger_xlsx(2022, ledger_rows(2022)))).active.values)

    assert len(rows) == 1 + 12 + 1
    assert rows[-1][:2] == ("합계", "12건")
    assert [row[0] for row in rows[1:-1]] == sorted(row[0] for row in rows[1:-1])
