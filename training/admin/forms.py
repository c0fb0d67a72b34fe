"""The audit search (person, actor, action, Seoul dates) and the export's reason."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from training.admin.services import AuditQuery


class AuditFilters(FlaskForm):
    """What the admin looks for in the audit trail."""

    person = StringField(
        _l("사람(이름 또는 전화번호)"),
        validators=[Optional(), Length(max=40)],
        description=_l("그 사람이 한 일과 그 사람에 대해 한 일을 모두 찾습니다."),
    )
    actor = StringField(_l("한 사람(이름 또는 전화번호)"), validators=[Optional(), Length(max=40)])
    action = StringField(
        _l("동작"),
        validators=[Optional(), Length(max=60)],
        description=_l("앞부분만 적어도 됩니다. 예: person."),
    )
    start = DateField(
        _l("시작일"),
        name="from",
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )
    end = DateField(
        _l("종료일"),
        name="to",
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )

    def validate_end(self, field) -> None:
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("종료일이 시작일보다 앞설 수 없습니다."))

    @property
    def audit_query(self) -> AuditQuery:
        return AuditQuery(
            person=(self.person.data or "").strip(),
            actor=(self.actor.data or "").strip(),
            action=(self.action.data or "").strip(),
            start=self.start.data,
            end=self.end.data,
        )

    def query(self) -> dict[str, str]:
        """The filled-in values as query-string arguments, for page links and the export."""
        return self.audit_query.as_arguments()


class AuditSearchForm(AuditFilters):
    """A GET form: its values end up in page links, so no CSRF token."""

    class Meta:
        csrf = False


class AuditExportForm(AuditFilters):
    """The same search, posted with the reason the admin gives for taking a copy."""

    reason = StringField(
        _l("내려받는 이유"),
        validators=[
            InputRequired(_l("내려받는 이유를 적어 주세요.")),
            Length(min=2, max=200, message=_l("이유는 2자에서 200자 사이로 적어 주세요.")),
        ],
    )
