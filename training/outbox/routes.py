"""The outbox page for staff: the messages by status, the people to phone, and resending."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from training import audit
from training.catalog.models import CourseRun
from training.clock import utcnow
from training.database import writes_on_read
from training.extensions import db
from training.forms import ConfirmForm
from training.outbox import bp
from training.outbox.listings import (
    Tab,
    failure_hint,
    handler_names,
    kind_label,
    mask_recipient,
    messages_page,
    tab_counts,
)
from training.outbox.models import OutboxMessage
from training.outbox.services import mark_called, resend
from training.permissions import staff_required
from training.redirects import local_path
from training.rows import get_row
from training.web import commit_and_flash


@bp.route("/outbox")
@staff_required
@writes_on_read
def index():
    tab = Tab.named(request.args.get("status"))
    run = _run_filter()
    run_id = run.id if run is not None else None
    counts = tab_counts(run_id)
    page = messages_page(
        tab, page=request.args.get("page", 1, type=int), total=counts[tab], run_id=run_id
    )
    if tab is Tab.CALL and page.items:
        # The call list shows whole phone numbers.
        audit.record(
            current_user,
            "view.outbox_calls",
            current_user,
            people=sorted({message.person_id for message in page.items}),
            run_id=run_id,
            page=page.page,
        )
        db.session.commit()
    return render_template(
        "outbox/index.html",
        tab=tab,
        tabs=list(Tab),
        counts=counts,
        run=run,
        page=page,
        handlers=handler_names(page.items),
        kind_label=kind_label,
        failure_hint=failure_hint,
        mask_recipient=mask_recipient,
        now=utcnow(),
        file_backend_notice=_file_backend_notice(),
        outbox_file=current_app.config["OUTBOX_FILE"],
        quiet_hours=(
            current_app.config["QUIET_HOURS_START"],
            current_app.config["QUIET_HOURS_END"],
        ),
    )


@bp.route("/outbox/<int:message_id>/resend", methods=["POST"])
@staff_required
def resend_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = message.person.name
    commit_and_flash(
        lambda: resend(message, actor=current_user, now=utcnow()),
        _("%(name)s님께 보낼 안내를 곧 다시 보냅니다.", name=name),
    )
    return redirect(_back(Tab.FAILED))


@bp.route("/outbox/<int:message_id>/called", methods=["POST"])
@staff_required
def called(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = message.person.name
    commit_and_flash(
        lambda: mark_called(message, actor=current_user, now=utcnow()),
        _("%(name)s님께 전화로 알린 것으로 기록했습니다.", name=name),
    )
    return redirect(_back(Tab.CALL))


def _run_filter() -> CourseRun | None:
    """The run named by ?run=, if any; 404 for a run that does not exist."""
    run_id = request.args.get("run", type=int)
    if run_id is None:
        return None
    run = get_row(CourseRun, run_id)
    if run is None:
        abort(404)
    return run


def _file_backend_notice() -> str | None:
    """What a fresh install's "file" backends mean for staff: nothing really goes out."""
    config = current_app.config
    sms, email = config["SMS_BACKEND"] == "file", config["EMAIL_BACKEND"] == "file"
    if sms and email:
        return _("지금은 문자와 이메일을 실제로 보내지 않습니다.")
    if sms:
        return _("지금은 문자를 실제로 보내지 않습니다.")
    if email:
        return _("지금은 이메일을 실제로 보내지 않습니다.")
    return None


def _back(tab: Tab) -> str:
    """The page the button was pressed on, or the tab it belongs to."""
    return local_path(request.form.get("next")) or url_for("outbox.index", status=tab.value)
