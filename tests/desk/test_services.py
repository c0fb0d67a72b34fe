"""The desk's lists of runs, called directly: ended runs paged and both lists searchable."""

from datetime import date, timedelta

from conftest import NOW

from training.desk.services import ENDED_PAGE_SIZE, desk_runs
from training.enrollment.models import EnrollmentStatus


def ended_runs(make_run, count: int, title: str = "스마트폰 기초"):
    """`count` one-day runs that ended before NOW, the last of them the day before."""
    return [
        make_run(title=title, sessions=1, starts_on=NOW.date() - timedelta(days=count - i))
        for i in range(count)
    ]


def titles(page) -> list[str]:
    return [listing.run.title for listing in page.listings]


def test_ended_runs_come_most_recently_ended_first(make_run):
    older, newer = ended_runs(make_run, 2)
    make_run(starts_on=NOW.date() + timedelta(days=7))

    found = desk_runs(ended=True, now=NOW)

    assert [listing.run.id for listing in found.listings] == [newer.id, older.id]


def test_ended_runs_are_paged(make_run):
    runs = ended_runs(make_run, ENDED_PAGE_SIZE + 3)

    first = desk_runs(ended=True, now=NOW, page=1)
    second = desk_runs(ended=True, now=NOW, page=2)

    assert (first.total, first.pages, second.page) == (ENDED_PAGE_SIZE + 3, 2, 2)
    assert len(first.listings) == ENDED_PAGE_SIZE
    assert [listing.run.id for listing in second.listings] == [run.id for run in runs[2::-1]]


def test_a_page_past_the_last_shows_the_last(make_run):
    ended_runs(make_run, 3)

    found = desk_runs(ended=True, now=NOW, page=99)

    assert (found.page, found.pages, len(found.listings)) == (1, 1, 3)


def test_ended_runs_are_found_by_title(make_run):
    ended_runs(make_run, 2, title="키오스크 따라하기")
    ended_runs(make_run, 3, title="스마트폰 사진 정리")

    found = desk_runs(ended=True, now=NOW, query="키오스크")

    assert found.total == 2
    assert set(titles(found)) == {"키오스크 따라하기 1기"}


def test_a_query_ending_in_a_cohort_finds_that_cohort(make_run):
    first = make_run(title="유튜브 시작하기", starts_on=NOW.date() + timedelta(days=7))
    second = make_run(course=first.course, starts_on=NOW.date() + timedelta(days=21))
    make_run(title="유튜브 시작하기", starts_on=NOW.date() + timedelta(days=14))

    found = desk_runs(ended=False, now=NOW, query="유튜브 시작하기 2기")

    assert [listing.run.id for listing in found.listings] == [second.id]


def test_upcoming_runs_are_searchable_and_not_paged(make_run):
    for week in range(ENDED_PAGE_SIZE + 1):
        make_run(title="카카오톡 활용", starts_on=date(2026, 3, 16) + timedelta(weeks=week))
    make_run(title="엑셀 기초")
    ended_runs(make_run, 1, title="카카오톡 활용")

    found = desk_runs(ended=False, now=NOW, query="카카오톡")

    assert (found.total, found.pages, len(found.listings)) == (ENDED_PAGE_SIZE + 1, 1, 21)


def test_a_query_with_wildcards_is_taken_literally(make_run):
    ended_runs(make_run, 1, title="엑셀 기초")

    assert desk_runs(ended=True, now=NOW, query="%").total == 0
    assert desk_runs(ended=True, now=NOW, query="_").total == 0


def test_runs_come_with_their_counts(make_run, make_enrollment):
    (run,) = ended_runs(make_run, 1)
    make_enrollment(run)
    make_enrollment(run, status=EnrollmentStatus.WAITLISTED, waitlist_position=1)
    make_enrollment(run, status=EnrollmentStatus.CANCELLED)

    (listing,) = desk_runs(ended=True, now=NOW).listings

    assert (listing.confirmed, listing.waitlisted, listing.applied) == (1, 1, 0)
