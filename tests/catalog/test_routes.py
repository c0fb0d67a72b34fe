"""Catalogue pages through the test client: listing, filters, one run, language, headers."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from training.catalog.models import Audience


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# The list


def test_catalogue_lists_an_upcoming_run_by_title(client, db, make_open_run):
    make_open_run(title="키오스크 따라하기")
    db.session.commit()

    html = page(client, "/")

    assert "키오스크 따라하기 1기" in html


# What the browser sends when the filter form is submitted: every field, most of them empty.
EMPTY_FORM = "month=&venue=&category=&level=&audience=&delivery="


def with_filter(query: str, from_form: bool) -> str:
    """A catalogue URL as a shared link writes it, or as the submitted form sends it."""
    if not from_form:
        return "/?" + query
    name = query.split("=")[0]
    kept = "&".join(part for part in EMPTY_FORM.split("&") if not part.startswith(name + "="))
    return f"/?{kept}&{query}"


@pytest.mark.parametrize("from_form", [False, True], ids=["link", "form"])
def test_audience_filter_hides_runs_for_the_other_audience(client, db, make_open_run, from_form):
    make_open_run(title="구민 스마트폰")
    make_open_run(title="직원 엑셀 실무", audience=Audience.STAFF)
    db.session.commit()

    html = page(client, with_filter("audience=staff", from_form))

    assert "직원 엑셀 실무" in html
    assert "구민 스마트폰" not in html


@pytest.mark.parametrize("from_form", [False, True], ids=["link", "form"])
def test_has_seats_filter_hides_a_full_run(client, db, make_open_run, make_enrollment, from_form):
    full = make_open_run(title="꽉 찬 강좌", capacity=1)
    make_open_run(title="여유 있는 강좌", capacity=5)
    make_enrollment(full)
    db.session.commit()

    assert "꽉 찬 강좌" in page(client, "/")
    html = page(client, with_filter("has_seats=y", from_form))

    assert "여유 있는 강좌" in html
    assert "꽉 찬 강좌" not in html


@pytest.mark.parametrize(
    "query",
    [
        "month=2026-13",
        "month=abcd",
        "month=" + "9" * 500,
        "venue=abc",
        "venue=999999",
        "venue=-1",
        "category=nope&level=nope&delivery=nope&audience=nope",
    ],
)
def test_invalid_filter_values_still_render_the_catalogue(client, db, make_open_run, query):
    make_open_run(title="아무 강좌")
    db.session.commit()

    html = page(client, "/?" + query)

    assert "강좌 찾기" in html


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_month_at_the_edge_of_the_calendar_does_not_break_the_catalogue(client, db, month):
    response = client.get(with_filter(f"month={month}", from_form=True))

    assert response.status_code == 200
    assert "강좌 찾기" in response.get_data(as_text=True)


def test_catalogue_query_count_does_not_grow_with_runs(app, client, db, make_open_run):
    def statements_for_catalogue() -> int:
        client.get("/")  # warm-up: first-use loading is not what is measured
        # Start from an empty session, as a request does in production: what the warm-up
        # loaded must not hide a query per run.
        db.session.remove()
        statements = []

        def count(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get("/")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(statements)

    for day in range(3):
        make_open_run(14 + day, title=f"적은 강좌 {day}")
    db.session.commit()
    with_three = statements_for_catalogue()
    assert page(client, "/").count('class="card"') == 3

    for day in range(27):
        make_open_run(20 + day, title=f"많은 강좌 {day}")
    db.session.commit()
    with_thirty = statements_for_catalogue()
    assert page(client, "/").count('class="card"') == 30

    assert with_thirty == with_three


# One run


def test_run_page_shows_sessions_and_the_enroll_button_when_logged_in(
    client_for, db, make_open_run, make_person
):
    run = make_open_run(sessions=3)
    person = make_person()
    db.session.commit()
    client = client_for(person)

    html = page(client, f"/runs/{run.id}")

    for week in range(3):
        day = run.starts_on + timedelta(days=7 * week)
        assert day.isoformat() in html
    assert "10:00 ~ 12:00" in html
    assert "신청하기" in html
    assert f'action="/runs/{run.id}/enroll"' in html


def test_run_page_asks_an_anonymous_visitor_to_log_in(client, db, make_open_run):
    run = make_open_run()
    db.session.commit()

    html = page(client, f"/runs/{run.id}")

    assert "신청하려면 로그인해 주세요." in html
    assert f"/login?next=/runs/{run.id}" in html
    assert f'action="/runs/{run.id}/enroll"' not in html


def test_missing_run_gives_a_korean_404_page(client):
    response = client.get("/runs/999999")

    assert response.status_code == 404
    assert "찾는 페이지가 없습니다." in response.get_data(as_text=True)


# Language


def test_lang_en_sets_a_cookie_and_the_page_language(client):
    response = client.get("/?lang=en")

    assert response.status_code == 200
    assert any(header.startswith("lang=en;") for header in response.headers.getlist("Set-Cookie"))
    assert '<html lang="en">' in response.get_data(as_text=True)
    # The cookie keeps the choice on the next page.
    assert '<html lang="en">' in page(client, "/login")


def test_pages_are_korean_by_default(client):
    assert '<html lang="ko">' in page(client, "/")


# Headers and assets


@pytest.fixture
def every_page(desk, db, make_open_run):
    """A client logged in as staff, and one URL of each page with the status it should answer."""
    run = make_open_run()
    db.session.commit()
    return desk, [
        ("/", 200),
        (f"/runs/{run.id}", 200),
        ("/me", 200),
        ("/desk/", 200),
        (f"/desk/runs/{run.id}", 200),
        ("/runs/999999", 404),
    ]


ANONYMOUS_PAGES = [("/login", 200), ("/signup", 200), ("/runs/999999", 404)]


def script_sources(policy: str) -> list[str]:
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    return (directives.get("script-src") or directives.get("default-src", "")).split()


def fetch_all(every_page):
    """Fetch each page, staff pages logged in and the others anonymously."""
    staff, staff_pages = every_page
    anonymous = staff.application.test_client()
    fetched = []
    for who, pages in ((staff, staff_pages), (anonymous, ANONYMOUS_PAGES)):
        for url, status in pages:
            response = who.get(url)
            assert response.status_code == status, url
            fetched.append((url, response))
    return fetched


def test_every_page_has_a_content_security_policy_without_inline_script(every_page):
    for url, response in fetch_all(every_page):
        policy = response.headers.get("Content-Security-Policy", "")
        sources = script_sources(policy)
        assert sources, f"{url}: no script-src in {policy!r}"
        assert "'unsafe-inline'" not in sources, url
        assert "*" not in sources, url


ASSET_TAG = re.compile(r"<(script|link|img)\b[^>]*>", re.IGNORECASE)
ASSET_URL = re.compile(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def test_no_page_loads_assets_from_another_host(every_page):
    for url, response in fetch_all(every_page):
        html = response.get_data(as_text=True)
        tags = [match.group(0) for match in ASSET_TAG.finditer(html)]
        assert any("stylesheet" in tag for tag in tags), url
        for tag in tags:
            for asset in ASSET_URL.findall(tag):
                assert not re.match(r"^(https?:)?//", asset, re.IGNORECASE), f"{url}: {tag}"
            if tag.lower().startswith("<script"):
                assert ASSET_URL.search(tag), f"{url}: inline script {tag}"


def test_stylesheet_is_served_by_the_app(client):
    html = page(client, "/")
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)

    response = client.get(stylesheet)

    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert len(response.data) > 0
    response.close()


# What each card and filter offers (issue: trying the catalogue on a phone)


def test_each_card_carries_its_own_action_to_the_run_page(client, db, make_open_run):
    open_run = make_open_run(title="열린 강좌")
    later = make_open_run(title="나중 강좌", opens=timedelta(days=3), closes=timedelta(days=9))
    db.session.commit()

    html = page(client, "/")

    action = rf'href="/runs/{open_run.id}">\s*자세히 보고 신청<span class="visually-hidden"> – '
    assert re.search(action + "열린 강좌 1기", html)
    assert re.search(rf'href="/runs/{later.id}">\s*자세히 보기<span', html)
    assert "“신청하기”를 누르세요" not in html


def test_seats_left_filter_leaves_out_runs_whose_registration_has_closed(client, db, make_open_run):
    make_open_run(title="접수 중 강좌")
    make_open_run(title="접수 끝난 강좌", opens=timedelta(days=-9), closes=timedelta(hours=-1))
    make_open_run(title="접수 전 강좌", opens=timedelta(days=2), closes=timedelta(days=5))
    db.session.commit()

    html = page(client, "/?has_seats=y")

    assert "접수 중 강좌" in html
    assert "접수 끝난 강좌" not in html and "접수 전 강좌" not in html


def test_month_filter_offers_only_months_with_runs(client, db, make_open_run):
    run = make_open_run(days_ahead=70, title="두 달 뒤 강좌")
    db.session.commit()
    month = f"{run.starts_on:%Y-%m}"

    html = page(client, "/")
    offered = re.findall(r'<option value="(\d{4}-\d{2})"', html)

    assert offered == sorted({month, f"{run.ends_on:%Y-%m}"})


def test_run_page_lists_sessions_for_a_phone_and_names_the_centre_to_phone(
    client, db, make_open_run
):
    run = make_open_run(title="일정 강좌")
    run.room.venue.phone = "02-2670-1234"
    db.session.commit()

    html = page(client, f"/runs/{run.id}")

    listed = re.search(r'<ol class="session-list".*?</ol>', html, re.S).group(0)
    assert listed.count("<li>") == len(run.sessions)
    assert "10:00 ~ 12:00" in listed
    assert run.room.venue.address in html
    assert 'href="tel:0226701234"' in html


def test_every_page_footer_gives_each_centres_address_and_phone(client, db, make_open_run):
    run = make_open_run()
    run.room.venue.phone = "02-2670-1234"
    db.session.commit()

    footer = re.search(r"<footer.*?</footer>", page(client, "/"), re.S).group(0)

    assert run.room.venue.name in footer and run.room.venue.address in footer
    assert "02-2670-1234" in footer
