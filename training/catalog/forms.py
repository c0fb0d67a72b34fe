"""The catalogue's filter form (GET, no CSRF: it changes nothing)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.validators import Optional, Regexp

from training.catalog.models import Audience, Category, Delivery, Level
from training.clock import MONTH_PATTERN
from training.forms import select_choices


def _enum_choices(enum_class):
    return select_choices(
        [("", _l("전체"))] + [(member.value, member.label) for member in enum_class]
    )


class CatalogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    month = SelectField(
        _l("월"),
        default="",
        validators=[Optional(), Regexp(MONTH_PATTERN)],
        validate_choice=False,
    )
    # A filter left out of the address means "all", as the empty choice does.
    venue = SelectField(_l("교육장"), default="")
    category = SelectField(_l("분야"), default="")
    level = SelectField(_l("수준"), default="")
    audience = SelectField(_l("대상"), default="")
    delivery = SelectField(_l("교육 방식"), default="")
    has_seats = BooleanField(_l("지금 신청할 수 있고 자리가 남은 강좌만"))

    def fill_choices(self, venues, months) -> None:
        """Set the choices that come from data and from the current language."""
        self.month.choices = select_choices([("", _l("전체"))] + [(m, m) for m in months])
        self.venue.choices = select_choices(
            [("", _l("전체"))] + [(str(v.id), v.name) for v in venues]
        )
        self.category.choices = _enum_choices(Category)
        self.level.choices = _enum_choices(Level)
        self.audience.choices = _enum_choices(Audience)
        self.delivery.choices = _enum_choices(Delivery)
