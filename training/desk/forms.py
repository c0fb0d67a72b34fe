"""Forms of the staff desk."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired

from training.accounts.forms import PersonFieldsMixin


class DeskEnrollForm(FlaskForm):
    phone = StringField(
        _l("등록된 분의 휴대전화 번호"),
        validators=[InputRequired(_l("휴대전화 번호를 적어 주세요."))],
        render_kw={"inputmode": "tel"},
    )


class DeskNewPersonForm(PersonFieldsMixin, FlaskForm):
    consent = BooleanField(
        _l("수집 항목·목적·보유 기간을 안내하고 본인의 동의를 받았습니다. (필수)"),
        validators=[
            InputRequired(_l("본인의 개인정보 수집·이용 동의가 있어야 등록할 수 있습니다."))
        ],
    )
