"""The admin's audit pages: who may open them, what the search finds, what the export holds."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from training.accounts.models import Role
from training.audit.models import AuditEntry


@pytest.fixture
def admin(db, make_person):
    person = make_person(role=Role.ADMIN, name="관리자", phone="01099990000")
    db.session.commit()
    return person


@pytest.fixture
def trail(db, make_person, admin):
    """Three entries: staff viewed a resident, staff exported stats, the system issued."""
    officer = make_person(role=Role.STAFF, name="정담당", phone="01011112222")
    resident = make_person(name="김하나", phone="01033334444")
    entries = [
        AuditEntry(
            actor_id=officer.id,
            action="person.view",
            subject_type="people",
            subject_id=resident.id,
            detail={},
            address="203.0.113.7",
            created_at=datetime(2026, 3, 1, 15, 30, tzinfo=UTC),  # 3 March 00:30 in Seoul
        ),
        AuditEntry(
            actor_id=officer.id,
            action="stats.export",
            subject_type="people",
            subject_id=officer.id,
            detail={"format": "csv"},
            created_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        ),
        AuditEntry(
            actor_id=None,
            action="certificate.issue",
            subject_type="certificates",
            subject_id=7,
            detail={"note": '=HYPERLINK("http://evil")'},
            created_at=datetime(2026, 3, 4, 1, 0, tzinfo=UTC),
        ),
    ]
    db.session.add_all(entries)
    db.session.commit()
    return {"officer": officer, "resident": resident}


def found_actions(response) -> list[str]:
    text = response.get_data(as_text=True)
    return [
        a for a in ("person.view", "stats.export", "certificate.issue") if f"<td>{a}</td>" in text
    ]


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/admin/audit")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.STAFF, Role.INSTRUCTOR])
@pytest.mark.parametrize(
    ("method", "path"), [("get", "/admin/audit"), ("post", "/admin/audit/export")]
)
def test_everyone_but_admins_is_refused(db, make_person, client_for, role, method, path):
    person = make_person(role=role)
    db.session.commit()

    response = getattr(client_for(person), method)(path, data={"reason": "궁금해서"})

    assert response.status_code == 403


def test_admin_sees_every_entry_newest_first(client_for, admin, trail):
    response = client_for(admin).get("/admin/audit")

    assert response.status_code == 200
    assert found_actions(response) == ["person.view", "stats.export", "certificate.issue"]
    text = response.get_data(as_text=True)
    assert text.index("certificate.issue") < text.index("person.view")
    assert "2026-03-02 00:30:00" in text and "203.0.113.7" in text and "김하나 (#" in text


def test_the_page_says_how_long_entries_are_kept(client_for, admin):
    text = client_for(admin).get("/admin/audit").get_data(as_text=True)

    assert "열람 기록은 2년 이상" in text and "기록은 3년 이상" in text


def test_admins_see_the_link_in_the_header(client_for, admin, staff):
    assert 'href="/admin/audit"' in client_for(admin).get("/").get_data(as_text=True)
    assert 'href="/admin/audit"' not in client_for(staff).get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"person": "김하나"}, ["person.view"]),
        ({"person": "3333-4444"}, ["person.view"]),
        ({"person": "정담당"}, ["person.view", "stats.export"]),
        ({"actor": "01011112222"}, ["person.view", "stats.export"]),
        ({"actor": "김하나"}, []),
        ({"action": "stats."}, ["stats.export"]),
        ({"action": "%"}, []),
        ({"from": "2026-03-02", "to": "2026-03-02"}, ["person.view", "stats.export"]),
        ({"from": "2026-03-03"}, ["certificate.issue"]),
        ({"to": "2026-03-01"}, []),
    ],
)
def test_search_filters(client_for, admin, trail, query, expected):
    response = client_for(admin).get("/admin/audit", query_string=query)

    assert response.status_code == 200
    assert found_actions(response) == expected


def test_dates_the_wrong_way_round_are_refused(client_for, admin):
    response = client_for(admin).get("/admin/audit?from=2026-03-05&to=2026-03-01")

    assert response.status_code == 400
    assert "종료일이 시작일보다 앞설 수 없습니다." in response.get_data(as_text=True)


def test_search_is_paged_fifty_a_page(db, client_for, admin):
    db.session.add_all(
        AuditEntry(action=f"test.{n:03d}", subject_type="people", subject_id=admin.id, detail={})
        for n in range(51)
    )
    db.session.commit()
    client = client_for(admin)

    first = client.get("/admin/audit?action=test.").get_data(as_text=True)
    second = client.get("/admin/audit?action=test.&page=2").get_data(as_text=True)

    assert first.count("<td>test.") == 50 and second.count("<td>test.") == 1


def test_export_needs_a_reason(db, client_for, admin, trail):
    response = client_for(admin).post("/admin/audit/export", data={"person": "김하나"})

    assert response.status_code == 400
    assert "내려받는 이유를 적어 주세요." in response.get_data(as_text=True)
    assert db.session.scalars(select(AuditEntry).filter_by(action="audit.export")).all() == []


def export(client, **form) -> list[list[str]]:
    response = client.post("/admin/audit/export", data=form)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    content = response.get_data()
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_holds_the_search_and_is_audited(db, client_for, admin, trail):
    rows = export(client_for(admin), actor="정담당", reason="정보공개 청구 대응")

    assert [row[2] for row in rows[1:]] == ["stats.export", "person.view"]
    assert rows[2][:2] == ["정담당", "2026-03-02 00:30:00"]
    [entry] = db.session.scalars(select(AuditEntry).filter_by(action="audit.export")).all()
    assert entry.actor_id == admin.id
    assert entry.detail == {
        "filters": {"actor": "정담당"},
        "reason": "정보공개 청구 대응",
        "entries": 2,
    }


def test_export_neutralizes_formulas(db, make_person, client_for, admin):
    plotter = make_person(name="=1+2", phone="01055556666")
    db.session.add(
        AuditEntry(
            actor_id=plotter.id,
            action="person.view",
            subject_type="people",
            subject_id=plotter.id,
            detail={},
        )
    )
    db.session.commit()

    rows = export(client_for(admin), action="person.view", reason="점검")

    assert rows[1][0] == "'=1+2"
    assert rows[1][3] == f"'=1+2 (#{plotter.id})"


def test_review_lists_the_months_downloads_with_their_reasons(db, client_for, admin):
    def entry(action, when, **detail):
        return AuditEntry(
            actor_id=admin.id,
            action=action,
            subject_type="people",
            subject_id=admin.id,
            detail=detail,
            created_at=when,
        )

    db.session.add_all(
        [
            entry(
                "attendance_sheet.export",
                datetime(2026, 2, 28, 15, 0, tzinfo=UTC),
                reason="출석 확인",
            ),
            entry("stats.export", datetime(2026, 3, 31, 14, 59, tzinfo=UTC)),
            entry("person.view", datetime(2026, 3, 10, 1, 0, tzinfo=UTC)),
            entry("audit.export", datetime(2026, 3, 31, 15, 0, tzinfo=UTC), reason="다음 달"),
        ]
    )
    db.session.commit()

    response = client_for(admin).get("/admin/audit/review?month=2026-03")

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<td>attendance_sheet.export</td>" in text and "출석 확인" in text
    assert "<td>stats.export</td>" in text
    assert "person.view" not in text and "다음 달" not in text
    assert text.index("attendance_sheet.export") < text.index("<td>stats.export</td>")


def test_review_refuses_a_month_it_cannot_read(client_for, admin):
    response = client_for(admin).get("/admin/audit/review?month=2026-13")

    assert response.status_code == 400
    assert "달은 2026-03처럼 적어 주세요." in response.get_data(as_text=True)


def test_review_is_for_admins_only(client_for, staff):
    assert client_for(staff).get("/admin/audit/review").status_code == 403


def test_export_form_carries_the_current_search(client_for, admin):
    response = client_for(admin).get("/admin/audit?actor=정담당&from=2026-03-01")

    text = response.get_data(as_text=True)
    assert '<input type="hidden" name="actor" value="정담당">' in text
    assert '<input type="hidden" name="from" value="2026-03-01">' in text
