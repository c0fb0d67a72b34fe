"""Forms of the planning pages: the shape of the input; the rules are the services'."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from training.catalog.models import Audience, Category, Delivery, Level, Selection
from training.clock import SEOUL
from training.forms import select_choices, strip

# What a browser's datetime-local input sends and shows.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"

WEEKDAYS = select_choices(
    [
        (1, _l("월요일")),
        (2, _l("화요일")),
        (3, _l("수요일")),
        (4, _l("목요일")),
        (5, _l("금요일")),
        (6, _l("토요일")),
        (7, _l("일요일")),
    ]
)


def _enum_choices(enum):
    return lambda: select_choices((member.value, member.label) for member in enum)


def _optional_id(value):
    """A select's "none" option ("") as None, anything else as a row id."""
    if value in (None, "", "None"):
        return None
    return int(value)


def seoul_moment(value: datetime | None) -> datetime | None:
    """A datetime-local field's wall-clock time, read as Seoul time."""
    return value.replace(tzinfo=SEOUL) if value is not None else None


class VenueForm(FlaskForm):
    name = StringField(
        _l("교육장 이름"),
        filters=[strip],
        validators=[
            DataRequired(_l("교육장 이름을 적어 주세요.")),
            Length(max=60, message=_l("이름은 60자 이내로 적어 주세요.")),
        ],
    )
    address = StringField(
        _l("주소"),
        filters=[strip],
        validators=[
            DataRequired(_l("주소를 적어 주세요.")),
            Length(max=200, message=_l("주소는 200자 이내로 적어 주세요.")),
        ],
    )
    phone = StringField(
        _l("전화번호 (선택)"),
        filters=[strip],
        validators=[Optional(), Length(max=20, message=_l("전화번호는 20자 이내로 적어 주세요."))],
        description=_l("구민에게 보입니다. 예: 02-2670-1234"),
        render_kw={"inputmode": "tel"},
    )


class RoomForm(FlaskForm):
    name = StringField(
        _l("강의실 이름"),
        filters=[strip],
        validators=[
            DataRequired(_l("강의실 이름을 적어 주세요.")),
            Length(max=60, message=_l("이름은 60자 이내로 적어 주세요.")),
        ],
    )
    seats = IntegerField(
        _l("좌석 수"),
        validators=[
            InputRequired(_l("좌석 수를 적어 주세요.")),
            NumberRange(min=1, max=1000, message=_l("좌석 수는 1에서 1000 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    pcs = IntegerField(
        _l("PC 수 (선택)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("PC 수는 0에서 1000 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class CompletionFieldsMixin:
    completion_threshold = IntegerField(
        _l("수료 기준 출석률 (%)"),
        default=80,
        validators=[
            InputRequired(_l("수료 기준을 적어 주세요.")),
            NumberRange(min=1, max=100, message=_l("수료 기준은 1에서 100 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    is_late_attended = BooleanField(_l("지각도 출석으로 셉니다"), default=True)
    lates_per_absence = IntegerField(
        _l("지각 몇 번을 결석 한 번으로 볼까요 (0이면 보지 않음)"),
        default=0,
        validators=[
            InputRequired(_l("0 이상의 숫자를 적어 주세요.")),
            NumberRange(min=0, max=100, message=_l("0에서 100 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    is_excused_left_out = BooleanField(_l("사유 결석은 출석률 계산에서 뺍니다"), default=True)

    def completion_fields(self) -> dict:
        return {
            "completion_threshold": self.completion_threshold.data,
            "is_late_attended": self.is_late_attended.data,
            "lates_per_absence": self.lates_per_absence.data,
            "is_excused_left_out": self.is_excused_left_out.data,
        }


class CourseForm(CompletionFieldsMixin, FlaskForm):
    title = StringField(
        _l("과정 이름"),
        filters=[strip],
        validators=[
            DataRequired(_l("과정 이름을 적어 주세요.")),
            Length(max=120, message=_l("이름은 120자 이내로 적어 주세요.")),
        ],
    )
    code = StringField(
        _l("과정 코드 (선택)"),
        filters=[strip],
        validators=[Optional(), Length(max=20, message=_l("코드는 20자 이내로 적어 주세요."))],
        description=_l("비워 두면 C45, C46처럼 새 코드를 붙입니다."),
    )
    category = SelectField(_l("분야"), choices=_enum_choices(Category))
    level = SelectField(_l("수준"), choices=_enum_choices(Level))
    audience = SelectField(_l("대상"), choices=_enum_choices(Audience))
    delivery = SelectField(_l("방식"), choices=_enum_choices(Delivery))
    description = TextAreaField(
        _l("소개 (선택)"),
        filters=[strip],
        validators=[Length(max=4000, message=_l("소개는 4000자 이내로 적어 주세요."))],
    )
    hours = FloatField(
        _l("기본 교육 시간 (선택)"),
        validators=[
            Optional(),
            NumberRange(min=0.5, max=500, message=_l("시간은 0.5에서 500 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "decimal"},
    )

    def course_fields(self) -> dict:
        return {
            "title": self.title.data,
            "category": Category(self.category.data),
            "level": Level(self.level.data),
            "audience": Audience(self.audience.data),
            "delivery": Delivery(self.delivery.data),
            "description": self.description.data or "",
            "hours": self.hours.data,
            **self.completion_fields(),
        }


class RunForm(CompletionFieldsMixin, FlaskForm):
    """A run's settings; the course is chosen only when the run is made (see NewRunForm)."""

    number = IntegerField(
        _l("기수 (선택)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=9999, message=_l("기수는 1 이상의 숫자로 적어 주세요.")),
        ],
        description=_l("비워 두면 다음 기수를 붙입니다."),
        render_kw={"inputmode": "numeric"},
    )
    room = SelectField(_l("강의실"), coerce=_optional_id, validate_choice=True)
    instructor = SelectField(_l("강사 (선택)"), coerce=_optional_id, validate_choice=True)
    capacity = IntegerField(
        _l("정원"),
        validators=[
            InputRequired(_l("정원을 적어 주세요.")),
            NumberRange(min=1, max=1000, message=_l("정원은 1에서 1000 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    registration_opens_at = DateTimeLocalField(
        _l("신청 시작"),
        format=DATETIME_LOCAL,
        validators=[InputRequired(_l("신청 시작 일시를 골라 주세요."))],
    )
    registration_closes_at = DateTimeLocalField(
        _l("신청 마감"),
        format=DATETIME_LOCAL,
        validators=[InputRequired(_l("신청 마감 일시를 골라 주세요."))],
    )
    selection = SelectField(_l("선발 방식"), choices=_enum_choices(Selection))
    min_age = IntegerField(
        _l("최소 나이 (선택)"),
        validators=[Optional(), NumberRange(min=0, max=120, message=_l("0에서 120 사이로."))],
        render_kw={"inputmode": "numeric"},
    )
    max_age = IntegerField(
        _l("최대 나이 (선택)"),
        validators=[Optional(), NumberRange(min=0, max=120, message=_l("0에서 120 사이로."))],
        render_kw={"inputmode": "numeric"},
    )
    is_district_only = BooleanField(_l("영등포구민만 신청할 수 있습니다"), default=True)

    def run_fields(self) -> dict:
        return {
            "number": self.number.data,
            "capacity": self.capacity.data,
            "registration_opens_at": seoul_moment(self.registration_opens_at.data),
            "registration_closes_at": seoul_moment(self.registration_closes_at.data),
            "selection": Selection(self.selection.data),
            "min_age": self.min_age.data,
            "max_age": self.max_age.data,
            "is_district_only": self.is_district_only.data,
            **self.completion_fields(),
        }


class NewRunForm(RunForm):
    course = SelectField(_l("과정"), coerce=_optional_id, validate_choice=True)


class CancelRunForm(FlaskForm):
    reason = TextAreaField(
        _l("폐강 사유"),
        filters=[strip],
        validators=[
            DataRequired(_l("폐강 사유를 적어 주세요.")),
            Length(max=200, message=_l("사유는 200자 이내로 적어 주세요.")),
        ],
        description=_l("신청한 모든 분께 이 사유가 알림으로 갑니다. 예: 신청 인원 부족"),
    )
    confirm = BooleanField(
        _l("이 강좌의 모든 신청이 취소되고 되돌릴 수 없음을 확인했습니다."),
        validators=[InputRequired(_l("확인란에 표시해 주세요."))],
    )


class PatternForm(FlaskForm):
    first_date = DateField(
        _l("첫 수업일"), validators=[InputRequired(_l("첫 수업일을 골라 주세요."))]
    )
    weekdays = SelectMultipleField(
        _l("요일"),
        choices=WEEKDAYS,
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[InputRequired(_l("요일을 하나 이상 골라 주세요."))],
    )
    start = TimeField(_l("시작 시각"), validators=[InputRequired(_l("시작 시각을 골라 주세요."))])
    end = TimeField(_l("끝 시각"), validators=[InputRequired(_l("끝 시각을 골라 주세요."))])
    count = IntegerField(
        _l("수업 횟수"),
        validators=[
            Optional(),
            NumberRange(min=1, max=200, message=_l("횟수는 1에서 200 사이로 적어 주세요.")),
        ],
        description=_l("횟수나 마지막 수업일 가운데 하나만 적어 주세요."),
        render_kw={"inputmode": "numeric"},
    )
    last_date = DateField(_l("마지막 수업일"), validators=[Optional()])
    # Set by the preview page's button: the same pattern, now to be saved.
    confirmed = HiddenField()


class SessionForm(FlaskForm):
    day = DateField(_l("수업일"), validators=[InputRequired(_l("수업일을 골라 주세요."))])
    start = TimeField(_l("시작 시각"), validators=[InputRequired(_l("시작 시각을 골라 주세요."))])
    end = TimeField(_l("끝 시각"), validators=[InputRequired(_l("끝 시각을 골라 주세요."))])

    def interval(self) -> tuple[datetime, datetime]:
        day = self.day.data
        return (
            datetime.combine(day, self.start.data, tzinfo=SEOUL),
            datetime.combine(day, self.end.data, tzinfo=SEOUL),
        )


class ClosureForm(FlaskForm):
    day = DateField(_l("쉬는 날"), validators=[InputRequired(_l("날짜를 골라 주세요."))])
    venue = SelectField(_l("교육장"), coerce=_optional_id, validate_choice=True)
    reason = StringField(
        _l("사유"),
        filters=[strip],
        validators=[
            DataRequired(_l("사유를 적어 주세요.")),
            Length(max=100, message=_l("사유는 100자 이내로 적어 주세요.")),
        ],
        description=_l("수업 일정을 만들 때 건너뛴 까닭으로 보입니다. 예: 교육장 소독"),
    )


class PlanForm(FlaskForm):
    """One audience's plan for a year; the page shows one per audience, told apart by prefix."""

    year = IntegerField(
        _l("연도"),
        widget=HiddenInput(),
        validators=[
            InputRequired(_l("연도를 적어 주세요.")),
            NumberRange(min=2000, max=2100, message=_l("연도는 2000에서 2100 사이로.")),
        ],
    )
    runs = IntegerField(
        _l("계획 강좌 수"),
        validators=[
            InputRequired(_l("강좌 수를 적어 주세요.")),
            NumberRange(min=0, max=10000, message=_l("0에서 10000 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    hours = FloatField(
        _l("계획 교육 시간"),
        validators=[
            InputRequired(_l("교육 시간을 적어 주세요.")),
            NumberRange(min=0, max=100000, message=_l("0에서 100000 사이로 적어 주세요.")),
        ],
        render_kw={"inputmode": "decimal"},
    )


class CopyTermForm(FlaskForm):
    source_from = DateField(
        _l("복사할 학기의 첫날"), validators=[InputRequired(_l("날짜를 골라 주세요."))]
    )
    source_to = DateField(
        _l("복사할 학기의 마지막 날"), validators=[InputRequired(_l("날짜를 골라 주세요."))]
    )
    shift_weeks = IntegerField(
        _l("몇 주 뒤로 옮길까요"),
        validators=[
            InputRequired(_l("주 수를 적어 주세요.")),
            NumberRange(min=1, max=104, message=_l("1에서 104 사이로 적어 주세요.")),
        ],
        description=_l("같은 요일·시각으로 옮깁니다. 공휴일과 쉬는 날은 다시 건너뜁니다."),
        render_kw={"inputmode": "numeric"},
    )
    registration_opens_at = DateTimeLocalField(
        _l("신청 시작 (선택)"),
        format=DATETIME_LOCAL,
        validators=[Optional()],
        description=_l("비워 두면 원래 신청 기간도 같은 주 수만큼 옮깁니다."),
    )
    confirmed = HiddenField()
