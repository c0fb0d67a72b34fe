"""The address the public reaches the app at, for links that leave it on paper or in a QR code.

A printed link outlives the request that made it: guessed from the request, it could say
localhost, or an internal name the public cannot reach, on a certificate kept for years."""

from flask import current_app, url_for
from flask_babel import gettext as _

from training.errors import RuleError


class PublicUrlMissing(RuleError):
    """TRAINING_PUBLIC_URL is not set, so nothing with a link may be printed."""

    def __init__(self):
        super().__init__(
            "public_url_missing",
            _(
                "공개 주소가 설정되지 않아 주소나 QR 코드를 인쇄할 수 없습니다. "
                "서버 관리자에게 TRAINING_PUBLIC_URL 환경 변수를 설정해 달라고 요청해 주세요."
            ),
            503,
        )


def public_base_url() -> str:
    """The configured public address without a trailing slash; PublicUrlMissing when unset."""
    base = (current_app.config.get("PUBLIC_URL") or "").strip().rstrip("/")
    if not base:
        raise PublicUrlMissing()
    return base


def public_url_for(endpoint: str, **values) -> str:
    """url_for under the public address, for a link printed or put in a QR code in a request;
    PublicUrlMissing when none is set."""
    return f"{public_base_url()}{url_for(endpoint, **values)}"


def public_url_warning(config) -> str | None:
    """What to tell the operator at start-up when printed links cannot be made."""
    if config.get("PUBLIC_URL") or config.get("TESTING"):
        return None
    return (
        "TRAINING_PUBLIC_URL is not set: certificates and self check-in QR codes will not "
        "print until it names the public address (e.g. https://edu.ydp.go.kr)."
    )
