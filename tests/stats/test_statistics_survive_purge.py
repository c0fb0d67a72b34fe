"""The retention purge leaves every statistic as it was: the figures, the breakdowns by dong
and by age band, the XLSX and CSV exports of every month and year (the charts draw the same
figures), and the marks on every attendance sheet. Certificates still verify, under a masked
name."""

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import NOW
from tests.stats import mark
from training.accounts.models import Person
from training.accounts.retention import anonymize_person, purge
from training.accounts.services import mask_name
from training.catalog.models import Audience, CourseRun
from training.certificates.documents import certificates_query, load_certificates, public_facts
from training.certificates.models import Certificate
from training.checkin.models import AttendanceStatus
from training.demo.seed import seed_demo
from training.enrollment.models import Enrollment
from training.stats.attendance_sheet import sheet_data
from training.stats.exports import build_stats_csv, build_stats_xlsx
from training.stats.services import Period, build_report, people_breakdown

# Far enough ahead that everyone in the demo, upcoming term included, has been idle for years.
PURGE_AT = NOW.replace(year=NOW.year + 10)
AUDIENCES = (None, Audience.RESIDENT, Audience.STAFF)


def reports(db) -> list[tuple[Period, Audience | None]]:
    """Every month in which a run ended (its report holds the residents', staff's and
    everyone's totals; its breakdowns count everyone), then every year with runs and all of
    it at once, with the breakdowns of each audience."""
    months = sorted({day.replace(day=1) for day in db.session.scalars(select(CourseRun.ends_on))})
    longer = [Period(date(year, 1, 1), date(year, 12, 31)) for year in {m.year for m in months}]
    longer.append(Period.months(months[0], months[-1]))
    return [(Period.months(month, month), None) for month in months] + [
        (period, audience) for period in longer for audience in AUDIENCES
    ]


def cells(workbook: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(workbook))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}


def everything_published(db) -> dict:
    """Each statistic and export, keyed by what it is."""
    published = {}
    for period, audience in reports(db):
        report = build_report(period, audience)
        published[period, audience, "report"] = report
        published[period, audience, "xlsx"] = cells(build_stats_xlsx(report))
        published[period, audience, "csv"] = build_stats_csv(report)
    for run in db.session.scalars(select(CourseRun).order_by(CourseRun.id)):
        sheet = sheet_data(run)
        # The phone column goes with the phone; names were masked on the sheet already.
        published[run.id, "sheet"] = (
            [(row.name, row.marks, row.attended, row.rate) for row in sheet.rows],
            sheet.session_totals,
        )
    return published


def changed(before: dict, after: dict) -> list:
    return [key for key in before if before[key] != after[key]]


def test_every_statistic_and_export_is_the_same_after_the_purge(app, db, client):
    seed_demo(now=NOW, echo=lambda line: None)
    names = dict(
        db.session.execute(
            select(Certificate.serial, Person.name)
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .join(Person, Person.id == Enrollment.person_id)
        ).all()
    )
    before = everything_published(db)
    year_2022 = Period(date(2022, 1, 1), date(2022, 12, 31))
    assert len(people_breakdown(year_2022, None, "age_band").rows) == 5
    people = db.session.scalar(select(func.count()).select_from(Person))

    summary = purge(PURGE_AT, dry_run=False)
    db.session.commit()

    # Everyone but the last administrator, and their birth years are gone.
    assert [code for _entry, code in summary.kept] == ["last_admin"]
    assert len(summary.anonymized) == people - 1
    assert db.session.scalar(select(func.count()).where(Person.birth_year.is_not(None))) == 1
    assert changed(before, everything_published(db)) == []
    verified = {
        facts["serial"]: (facts["status"], facts["name"])
        for facts in map(public_facts, load_certificates(certificates_query()))
    }
    assert verified == {serial: ("valid", mask_name(name)) for serial, name in names.items()}
    serial = min(names)
    code = db.session.scalar(select(Certificate.check_code).where(Certificate.serial == serial))
    page = client.get(f"/verify/{serial}", query_string={"code": code}).get_data(as_text=True)
    assert "유효한 수료증" in page and mask_name(names[serial]) in page


def test_age_bands_follow_the_year_a_run_ended_across_new_year(
    db, make_person, make_run, make_enrollment, staff
):
    # Born 1982: 39 in 2021, 40 in 2022. One run ends in December, one runs over New Year.
    person = make_person(birth_year=1982)
    december = make_run(starts_on=date(2021, 12, 6), sessions=2)
    over_new_year = make_run(starts_on=date(2021, 12, 20), sessions=3)
    for run in (december, over_new_year):
        mark(db, run, make_enrollment(run, person), [AttendanceStatus.PRESENT] * len(run.sessions))
    db.session.flush()
    spans = [
        Period.months(date(2021, 12, 1), date(2021, 12, 1)),
        Period.months(date(2022, 1, 1), date(2022, 1, 1)),
        Period.months(date(2021, 12, 1), date(2022, 1, 1)),
    ]

    def bands():
        return [
            [
                (label, f.trainees, f.person_sessions)
                for label, f in people_breakdown(p, None, "age_band").rows
            ]
            for p in spans
        ]

    before = bands()
    anonymize_person(person, actor=staff, reason="본인 요청", now=NOW)

    assert before == [
        [("39세 이하", 1, 2)],
        [("40대", 1, 3)],
        [("39세 이하", 1, 2), ("40대", 1, 3)],
    ]
    assert bands() == before
