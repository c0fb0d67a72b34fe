"""Forms of the check-in screens."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from training.forms import select_choices


class MarkForm(FlaskForm):
    enrollment_id = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")])
    status = SelectField(
        _l("출석 상태"),
        choices=select_choices(
            [
                ("present", _l("출석")),
                ("late", _l("지각")),
                ("absent", _l("결석")),
                ("excused", _l("공결")),
            ]
        ),
    )
    reason = StringField(_l("사유"), validators=[Length(max=200)])


class WalkInForm(FlaskForm):
    phone = StringField(
        _l("현장 등록할 분의 휴대전화 번호"),
        validators=[InputRequired(_l("휴대전화 번호를 적어 주세요."))],
        render_kw={"inputmode": "tel"},
    )
    override_reason = StringField(
        _l("예외로 등록하는 사유"),
        description=_l("사정을 확인하고 예외로 등록할 때만 적어 주세요. 사유는 기록에 남습니다."),
        validators=[Length(max=200, message=_l("사유는 200자 이내로 적어 주세요."))],
        render_kw={"maxlength": 200},
    )


class SelfCheckInForm(FlaskForm):
    code = StringField(
        _l("화면의 출석 코드 (숫자 6자리)"),
        validators=[
            InputRequired(_l("화면의 여섯 자리 숫자를 적어 주세요.")),
            Regexp(r"^[0-9]{6}$", message=_l("화면의 여섯 자리 숫자를 적어 주세요.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )
    session = HiddenField(validators=[Regexp(r"^[0-9]{0,9}$")])
