"""The QR pass token: a person's id and pass version, signed with a key from the app's secret.

A token reads ``YDP1`` followed by 26 base32 letters and digits (A-Z, 2-7): QR alphanumeric
mode, and nothing a keyboard-wedge scanner could mistype. It names no one in clear; whether its
version is still the person's current one is for the check-in service to decide."""

import base64
import binascii
import hashlib
import hmac
import struct
import unicodedata

from flask import current_app
from flask_babel import gettext

from training import audit
from training.accounts.models import Person
from training.extensions import db

PREFIX = "YDP1"
_KEY_CONTEXT = b"ydp-qr-pass-v1"
_PAYLOAD = struct.Struct(">IH")  # person id, pass version
_MAC_BYTES = 10
_BODY_LENGTH = 26  # base32 of 16 bytes, padding dropped
TOKEN_LENGTH = len(PREFIX) + _BODY_LENGTH
# Far longer than any token however it was typed: anything beyond is refused unread.
_MAX_RAW_LENGTH = 200


class PassError(Exception):
    """A scanned or typed code is not a valid pass (code ``invalid_pass``)."""

    def __init__(self, code: str = "invalid_pass"):
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return gettext("올바른 출석 패스가 아닙니다.")


def make_pass_token(person_id: int, version: int, secret: str) -> str:
    """The pass token for a person id and pass version."""
    if not 0 <= person_id < 2**32 or not 0 <= version < 2**16:
        raise ValueError("person id or pass version out of range")
    payload = _PAYLOAD.pack(person_id, version)
    body = base64.b32encode(payload + _mac(payload, secret)).decode("ascii").rstrip("=")
    return PREFIX + body


def read_pass_token(raw: str, secret: str) -> tuple[int, int]:
    """The (person id, pass version) a token carries; PassError unless it is genuine."""
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_LENGTH:
        raise PassError("invalid_pass")
    text = normalize_scanned_text(raw)
    if len(text) != TOKEN_LENGTH or not text.startswith(PREFIX):
        raise PassError("invalid_pass")
    body = text[len(PREFIX) :]
    try:
        blob = base64.b32decode(body + "======")
    except (binascii.Error, ValueError):
        raise PassError("invalid_pass") from None
    # Base32 leaves two spare bits at the end: only the one spelling we issue is accepted.
    if base64.b32encode(blob).decode("ascii").rstrip("=") != body:
        raise PassError("invalid_pass")
    payload, mac = blob[: _PAYLOAD.size], blob[_PAYLOAD.size :]
    if not hmac.compare_digest(mac, _mac(payload, secret)):
        raise PassError("invalid_pass")
    person_id, version = _PAYLOAD.unpack(payload)
    return person_id, version


def _mac(payload: bytes, secret: str) -> bytes:
    key = hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


# A USB scanner typing while the Korean IME is on sends the same keys, but the IME turns them
# into Hangul: each jamo is mapped back to the key that types it on the standard 2-beolsik
# layout (shifted forms included), and the jamo the IME joins from two keys to both keys.
_KEYS_OF_JAMO = {
    **dict(zip("ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", "QWERTYUIOP", strict=True)),
    **dict(zip("ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", "ASDFGHJKL", strict=True)),
    **dict(zip("ㅋㅌㅊㅍㅠㅜㅡ", "ZXCVBNM", strict=True)),
    **dict(zip("ㅃㅉㄸㄲㅆㅒㅖ", "QWERTOP", strict=True)),
    "ㅘ": "HK",
    "ㅙ": "HO",
    "ㅚ": "HL",
    "ㅝ": "NJ",
    "ㅞ": "NP",
    "ㅟ": "NL",
    "ㅢ": "ML",
    "ㄳ": "RT",
    "ㄵ": "SW",
    "ㄶ": "SG",
    "ㄺ": "FR",
    "ㄻ": "FA",
    "ㄼ": "FQ",
    "ㄽ": "FT",
    "ㄾ": "FX",
    "ㄿ": "FV",
    "ㅀ": "FG",
    "ㅄ": "QT",
}


def _jamo_translation() -> dict[int, str]:
    """Keys for compatibility jamo and for the conjoining jamo of decomposed syllables."""
    table = {ord(jamo): keys for jamo, keys in _KEYS_OF_JAMO.items()}
    for code in range(0x1100, 0x1200):
        name = unicodedata.name(chr(code), "")
        for position in ("CHOSEONG ", "JUNGSEONG ", "JONGSEONG "):
            if name.startswith("HANGUL " + position):
                letter = _letter_named(name.replace(position, "LETTER "))
                if letter in _KEYS_OF_JAMO:
                    table[code] = _KEYS_OF_JAMO[letter]
    return table


def _letter_named(name: str) -> str | None:
    try:
        return unicodedata.lookup(name)
    except KeyError:
        return None


_JAMO_TO_KEYS = _jamo_translation()


def normalize_scanned_text(raw: str) -> str:
    """What a scanner meant to type: no whitespace, upper case, Hangul-mode typing undone."""
    text = unicodedata.normalize("NFD", raw).translate(_JAMO_TO_KEYS)
    # Full-width letters and digits, as an IME in full-width mode types them.
    text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).upper()


def pass_token_for(person: Person) -> str:
    """The person's current pass token, signed with this app's secret key."""
    return make_pass_token(person.id, person.pass_version, current_app.config["SECRET_KEY"])


def reissue_pass(person: Person, *, actor) -> int:
    """Give the person a new pass version, so every earlier pass is refused; returns it."""
    # Incremented in SQL: two reissues at once both count.
    person.pass_version = Person.pass_version + 1
    db.session.flush()
    version = person.pass_version
    audit.record(actor, "pass.reissue", person, version=version)
    db.session.flush()
    return version
