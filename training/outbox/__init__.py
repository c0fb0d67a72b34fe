"""Messages to people by SMS, KakaoTalk or email, queued in an outbox and delivered by a sender."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)
