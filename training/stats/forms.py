"""The statistics query: from month, to month and audience, read from the query string."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import AnyOf, InputRequired, Regexp, ValidationError

from training.catalog.models import Audience
from training.clock import MONTH_PATTERN, parse_month
from training.forms import select_choices
from training.stats.services import Period

AUDIENCES = ("all", "resident", "staff")


class StatsForm(FlaskForm):
    """A GET form: its values end up in links and chart addresses, so no CSRF token."""

    class Meta:
        csrf = False

    start = StringField(
        _l("시작 월"),
        name="from",
        validators=[
            InputRequired(_l("시작 월을 적어 주세요.")),
            Regexp(MONTH_PATTERN, message=_l("시작 월은 2022-01처럼 적어 주세요.")),
        ],
        render_kw={"type": "month", "placeholder": "2022-01"},
    )
    end = StringField(
        _l("끝 월"),
        name="to",
        validators=[
            InputRequired(_l("끝 월을 적어 주세요.")),
            Regexp(MONTH_PATTERN, message=_l("끝 월은 2022-08처럼 적어 주세요.")),
        ],
        render_kw={"type": "month", "placeholder": "2022-08"},
    )
    audience = SelectField(
        _l("분류표 대상"),
        choices=select_choices(
            [("all", _l("전체(구민+직원)")), ("resident", _l("구민")), ("staff", _l("직원"))]
        ),
        default="all",
        validate_choice=False,
        validators=[AnyOf(AUDIENCES, message=_l("대상은 전체, 구민, 직원 가운데에서 고르세요."))],
        description=_l("요약과 보고 문구는 언제나 구민·직원·전체를 모두 보여 줍니다."),
    )

    def validate_end(self, field) -> None:
        start, end = parse_month(self.start.data), parse_month(field.data)
        if start and end and end < start:
            raise ValidationError(_l("끝 월이 시작 월보다 앞설 수 없습니다."))

    @property
    def period(self) -> Period:
        return Period.months(parse_month(self.start.data), parse_month(self.end.data))

    @property
    def chosen_audience(self) -> Audience | None:
        return None if self.audience.data == "all" else Audience(self.audience.data)

    def query(self) -> dict[str, str]:
        """The validated values as query-string arguments, for links to charts and exports."""
        return {"from": self.start.data, "to": self.end.data, "audience": self.audience.data}


def default_range(today: date, latest: date | None) -> tuple[str, str]:
    """January to the latest month in which a run ended (this year when none has): the page
    opens on figures, not on a year that has none yet."""
    last = latest or today
    return f"{last:%Y}-01", f"{last:%Y-%m}"


def quick_ranges(today: date, latest: date | None) -> list[tuple[str, str, str]]:
    """(label, from, to) for the periods asked for most: this month, last month, this year,
    and the work report's January to August of the latest year with figures."""
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    report_year = (latest or today).year
    return [
        (str(_l("이번 달")), f"{today:%Y-%m}", f"{today:%Y-%m}"),
        (str(_l("지난달")), f"{last_month:%Y-%m}", f"{last_month:%Y-%m}"),
        (str(_l("올해")), f"{today:%Y}-01", f"{today:%Y-%m}"),
        (
            str(_l("%(year)d년 1~8월(업무보고)", year=report_year)),
            f"{report_year}-01",
            f"{report_year}-08",
        ),
    ]
