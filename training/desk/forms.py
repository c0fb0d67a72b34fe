"""Forms of the staff desk."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from training.accounts.forms import PersonFieldsMixin
from training.forms import strip


class DeskEnrollForm(FlaskForm):
    phone = StringField(
        _l("등록된 분의 휴대전화 번호"),
        validators=[InputRequired(_l("휴대전화 번호를 적어 주세요."))],
        render_kw={"inputmode": "tel"},
        # The newcomer form on the same page has a phone field too: one id each, or its label
        # would name this field.
        id="registered-phone",
    )


class DeskNewPersonForm(PersonFieldsMixin, FlaskForm):
    consent = BooleanField(
        _l("수집 항목·목적·보유 기간을 안내하고 본인의 동의를 받았습니다. (필수)"),
        validators=[
            InputRequired(_l("본인의 개인정보 수집·이용 동의가 있어야 등록할 수 있습니다."))
        ],
    )


class DeskCancelForm(FlaskForm):
    reason = TextAreaField(
        _l("취소 사유"),
        filters=[strip],
        validators=[
            DataRequired(_l("취소 사유를 적어 주세요.")),
            Length(max=200, message=_l("사유는 200자 이내로 적어 주세요.")),
        ],
        description=_l("기록에 남습니다. 예: 본인이 전화로 취소 요청"),
    )


class DeskDrawForm(FlaskForm):
    reason = TextAreaField(
        _l("메모 (선택)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=200, message=_l("메모는 200자 이내로 적어 주세요.")),
        ],
        description=_l("추첨 기록에 함께 남습니다. 예: 신청자 2명 참관"),
    )
