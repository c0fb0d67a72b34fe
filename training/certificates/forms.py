"""Forms for completion decisions and certificate revocation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, Length


class CompletionDecisionForm(FlaskForm):
    decision = HiddenField(validators=[AnyOf(["granted", "withdrawn"])])
    reason = StringField(
        _l("사유"),
        validators=[
            InputRequired(_l("사유를 적어 주세요.")),
            Length(max=200, message=_l("사유는 200자 이내로 적어 주세요.")),
        ],
    )


class RevokeForm(FlaskForm):
    reason = StringField(
        _l("취소 사유"),
        validators=[
            InputRequired(_l("사유를 적어 주세요.")),
            Length(max=200, message=_l("사유는 200자 이내로 적어 주세요.")),
        ],
    )
