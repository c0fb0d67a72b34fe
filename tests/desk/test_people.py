"""The desk's people search: finding someone, and lifting a no-show bar."""

from datetime import timedelta

from sqlalchemy import select

from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.clock import utcnow


def test_people_search_finds_by_name_and_last_four_digits(db, make_person, client_for):
    staff = make_person(role=Role.STAFF, name="담당자")
    make_person(name="김영등", phone="01012345678")
    make_person(name="박대림", phone="01099998888")
    db.session.commit()
    desk = client_for(staff)

    by_name = desk.get("/desk/people?q=영등").get_data(as_text=True)
    by_digits = desk.get("/desk/people?q=8888").get_data(as_text=True)

    assert "김영등" in by_name and "박대림" not in by_name
    assert "박대림" in by_digits and "김영등" not in by_digits


def test_people_search_is_audited(db, make_person, client_for):
    staff = make_person(role=Role.STAFF)
    db.session.commit()
    client_for(staff).get("/desk/people?q=홍길")

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "people.search"))
    assert entry is not None and entry.actor_id == staff.id


def test_people_search_is_for_staff_only(db, make_person, client_for):
    resident = make_person()
    db.session.commit()

    assert client_for(resident).get("/desk/people?q=홍").status_code == 403


def test_staff_lift_a_no_show_bar(db, make_person, client_for):
    staff = make_person(role=Role.STAFF)
    barred = make_person(name="최결석")
    barred.barred_until = utcnow() + timedelta(days=30)
    barred.barred_reason = "첫 수업 결석"
    db.session.commit()
    desk = client_for(staff)

    page = desk.get(f"/desk/people?q={barred.phone[-4:]}").get_data(as_text=True)
    response = desk.post(f"/desk/people/{barred.id}/lift-bar")

    assert "제한 풀기" in page
    assert response.status_code == 302
    db.session.expire_all()
    assert barred.barred_until is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "person.unbar"))


def test_a_barred_resident_sees_why_on_their_page(db, make_person, client_for):
    barred = make_person()
    barred.barred_until = utcnow() + timedelta(days=30)
    barred.barred_reason = "스마트폰 기초 1기 첫 수업에 연락 없이 나오지 않아 제한됩니다."
    db.session.commit()

    page = client_for(barred).get("/me").get_data(as_text=True)

    assert "연락 없이 나오지 않아" in page


def test_desk_lists_ended_runs_most_recent_first(db, desk, make_run):
    from datetime import date

    make_run(starts_on=date(2022, 3, 2), title="지난 강좌 가")
    make_run(starts_on=date(2022, 9, 1), title="지난 강좌 나")
    make_run(starts_on=date(2099, 1, 5), title="먼 미래 강좌")
    db.session.commit()

    page = desk.get("/desk/?view=ended").get_data(as_text=True)

    assert "먼 미래 강좌" not in page
    assert page.index("지난 강좌 나") < page.index("지난 강좌 가")
