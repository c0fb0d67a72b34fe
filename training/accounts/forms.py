"""Sign-up, log-in, password and account forms."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, Regexp

from training.accounts.models import DONGS, OUTSIDE_DISTRICT, MessageChannel, Role
from training.forms import select_choices, strip


def dong_choices():
    return (
        [("", _l("선택해 주세요"))]
        + [(d, d) for d in DONGS]
        + [(OUTSIDE_DISTRICT, _l("영등포구 외 지역"))]
    )


def channel_choices():
    return [
        (
            channel.value,
            _("%(channel)s (기본)", channel=channel.label)
            if channel is MessageChannel.SMS
            else channel.label,
        )
        for channel in MessageChannel
    ]


class ContactFieldsMixin:
    """How a person is told about their enrollments. The email field is always there, so the
    page works without a script; the service keeps an address only for the email channel."""

    message_channel = RadioField(
        _l("안내 받는 방법"),
        choices=channel_choices,
        default=MessageChannel.SMS.value,
        description=_l("받지 않음을 고르면 안내는 '내 신청' 화면에서만 볼 수 있습니다."),
    )
    email = EmailField(
        _l("이메일 (선택)"),
        filters=[strip],
        description=_l("이메일을 고른 분만 적어 주세요."),
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "off"},
    )

    def contact_fields(self) -> dict:
        """The channel and email as the services take them."""
        return {"message_channel": self.message_channel.data, "email": self.email.data}


class PersonFieldsMixin(ContactFieldsMixin):
    name = StringField(
        _l("이름"),
        validators=[
            InputRequired(_l("이름을 적어 주세요.")),
            Length(2, 40, _l("이름을 2자 이상 40자 이하로 적어 주세요.")),
        ],
    )
    phone = StringField(
        _l("휴대전화 번호"),
        validators=[InputRequired(_l("휴대전화 번호를 적어 주세요."))],
        description=_l("예: 010-1234-5678"),
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )
    birth_year = StringField(
        _l("태어난 해"),
        validators=[
            InputRequired(_l("태어난 해를 네 자리 숫자로 적어 주세요.")),
            Regexp(r"^[0-9]{4}$", message=_l("태어난 해를 네 자리 숫자로 적어 주세요.")),
        ],
        description=_l("예: 1956"),
        render_kw={"inputmode": "numeric"},
    )
    dong = SelectField(
        _l("사는 동"),
        choices=dong_choices,
        validators=[InputRequired(_l("사는 동을 목록에서 골라 주세요."))],
    )

    def person_fields(self) -> dict:
        """The fields create_person takes, as entered."""
        return {
            "name": self.name.data,
            "phone": self.phone.data,
            "birth_year": self.birth_year.data,
            "dong": self.dong.data,
            "consent": self.consent.data,
            **self.contact_fields(),
        }


class SignupForm(PersonFieldsMixin, FlaskForm):
    password = PasswordField(
        _l("비밀번호"),
        validators=[InputRequired(_l("비밀번호를 적어 주세요."))],
        description=_l("8자 이상"),
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        _l("비밀번호 확인"),
        validators=[
            InputRequired(_l("비밀번호를 한 번 더 적어 주세요.")),
            EqualTo("password", _l("두 비밀번호가 같지 않습니다.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    consent = BooleanField(
        _l("위 내용을 읽었으며 개인정보 수집·이용에 동의합니다. (필수)"),
        validators=[InputRequired(_l("개인정보 수집·이용에 동의해야 가입할 수 있습니다."))],
    )


class LoginForm(FlaskForm):
    phone = StringField(
        _l("휴대전화 번호"),
        validators=[InputRequired(_l("휴대전화 번호를 적어 주세요."))],
        render_kw={"inputmode": "tel", "autocomplete": "username"},
    )
    password = PasswordField(
        _l("비밀번호"),
        validators=[InputRequired(_l("비밀번호를 적어 주세요."))],
        render_kw={"autocomplete": "current-password"},
    )


class NewPasswordMixin:
    new_password = PasswordField(
        _l("새 비밀번호"),
        validators=[InputRequired(_l("새 비밀번호를 적어 주세요."))],
        description=_l("8자 이상"),
        render_kw={"autocomplete": "new-password"},
    )
    new_password_again = PasswordField(
        _l("새 비밀번호 확인"),
        validators=[
            InputRequired(_l("새 비밀번호를 한 번 더 적어 주세요.")),
            EqualTo("new_password", _l("두 비밀번호가 같지 않습니다.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class SetupForm(NewPasswordMixin, FlaskForm):
    phone = StringField(
        _l("휴대전화 번호"),
        validators=[InputRequired(_l("휴대전화 번호를 적어 주세요."))],
        render_kw={"inputmode": "tel", "autocomplete": "username"},
    )
    code = StringField(
        _l("설정 코드"),
        validators=[InputRequired(_l("창구에서 받은 설정 코드를 적어 주세요."))],
        description=_l("숫자 8자리, 예: 1234-5678"),
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("지금 비밀번호"),
        validators=[InputRequired(_l("지금 쓰는 비밀번호를 적어 주세요."))],
        render_kw={"autocomplete": "current-password"},
    )


class AccountForm(ContactFieldsMixin, FlaskForm):
    locale = RadioField(
        _l("화면과 안내 언어"),
        # Each language named in itself, so that a reader of either finds theirs.
        choices=select_choices([("ko", "한국어"), ("en", "English")]),
    )


class ReasonMixin:
    reason = TextAreaField(
        _l("사유"),
        filters=[strip],
        validators=[
            DataRequired(_l("사유를 적어 주세요.")),
            Length(max=200, message=_l("사유는 200자 이내로 적어 주세요.")),
        ],
        description=_l("기록에 남습니다."),
    )


class RoleForm(ReasonMixin, FlaskForm):
    role = SelectField(
        _l("새 역할"),
        choices=lambda: [(role.value, role.label) for role in Role],
        validators=[InputRequired(_l("역할을 골라 주세요."))],
    )


class AccountStateForm(ReasonMixin, FlaskForm):
    """Closing ("1") or reopening ("0") an account, as the page offered it."""

    close = HiddenField(validators=[AnyOf(("0", "1"))])


class WithdrawForm(FlaskForm):
    """A person withdrawing: their password, and that they read what goes and what stays."""

    password = PasswordField(
        _l("비밀번호"),
        validators=[InputRequired(_l("비밀번호를 적어 주세요."))],
        description=_l("본인 확인을 위해 지금 쓰는 비밀번호를 적어 주세요."),
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("위 내용을 읽었으며, 탈퇴하면 되돌릴 수 없다는 것을 압니다."),
        validators=[InputRequired(_l("탈퇴하려면 확인란에 표시해 주세요."))],
    )


class AnonymizeForm(ReasonMixin, FlaskForm):
    """Staff anonymizing a person (who asked at the desk, say), with the reason on record."""
