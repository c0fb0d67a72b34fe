"""The pass token: genuine tokens read back, anything else is refused as invalid_pass."""

import base64
import hashlib
import hmac
import re
import struct

import pytest
from sqlalchemy import select

from training.accounts.models import Role
from training.audit.models import AuditEntry
from training.passes.tokens import (
    PassError,
    make_pass_token,
    normalize_scanned_text,
    pass_token_for,
    read_pass_token,
    reissue_pass,
)

SECRET = "app-secret"
TOKEN_SHAPE = re.compile(r"YDP1[A-Z2-7]{26}")


def refused(raw) -> bool:
    with pytest.raises(PassError) as caught:
        read_pass_token(raw, SECRET)
    return caught.value.code == "invalid_pass"


# Genuine tokens


def test_token_reads_back_its_person_and_version():
    token = make_pass_token(4321, 3, SECRET)

    assert read_pass_token(token, SECRET) == (4321, 3)


@pytest.mark.parametrize(("person_id", "version"), [(1, 1), (2**31 - 1, 1), (77, 2**16 - 1)])
def test_token_is_thirty_qr_alphanumeric_characters(person_id, version):
    token = make_pass_token(person_id, version, SECRET)

    assert TOKEN_SHAPE.fullmatch(token)


def test_each_version_has_its_own_token():
    first, second = make_pass_token(9, 1, SECRET), make_pass_token(9, 2, SECRET)

    assert first != second
    assert read_pass_token(second, SECRET) == (9, 2)


def test_lowercase_and_surrounding_whitespace_are_accepted():
    token = make_pass_token(55, 2, SECRET)

    assert read_pass_token(f"  {token.lower()}\r\n", SECRET) == (55, 2)
    assert read_pass_token(f"{token[:10]} {token[10:]}\t", SECRET) == (55, 2)


def test_full_width_typing_is_accepted():
    token = make_pass_token(55, 2, SECRET)
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in token)

    assert read_pass_token(full_width, SECRET) == (55, 2)


def test_values_a_token_cannot_carry_are_refused_when_making_one():
    with pytest.raises(ValueError):
        make_pass_token(1, 2**16, SECRET)
    with pytest.raises(ValueError):
        make_pass_token(-1, 1, SECRET)


# Forged, damaged and foreign tokens


def _blob(token: str) -> bytes:
    return base64.b32decode(token[4:] + "======")


def _spell(blob: bytes) -> str:
    return "YDP1" + base64.b32encode(blob).decode().rstrip("=")


def test_tampered_mac_is_refused():
    blob = bytearray(_blob(make_pass_token(12, 1, SECRET)))
    blob[-1] ^= 0x01

    assert refused(_spell(bytes(blob)))


def test_payload_changed_under_the_same_mac_is_refused():
    blob = _blob(make_pass_token(12, 1, SECRET))
    other_person = struct.pack(">IH", 13, 1) + blob[6:]

    assert refused(_spell(other_person))


@pytest.mark.parametrize("cut", [1, 5, 20, 29])
def test_truncated_token_is_refused(cut):
    token = make_pass_token(12, 1, SECRET)

    assert refused(token[:-cut])


def test_token_with_extra_characters_is_refused():
    assert refused(make_pass_token(12, 1, SECRET) + "A")


@pytest.mark.parametrize("prefix", ["YDP2", "XDP1", "", "YDP"])
def test_wrong_prefix_is_refused(prefix):
    body = make_pass_token(12, 1, SECRET)[4:]

    assert refused(prefix + body)


def test_token_made_with_another_secret_is_refused():
    token = make_pass_token(12, 1, "another district's secret")

    assert refused(token)


def test_token_resigned_with_the_raw_secret_instead_of_the_pass_key_is_refused():
    payload = struct.pack(">IH", 12, 1)
    forged_mac = hmac.new(SECRET.encode(), payload, hashlib.sha256).digest()[:10]

    assert refused(_spell(payload + forged_mac))


def test_second_spelling_of_the_same_bytes_is_refused():
    token = make_pass_token(12, 1, SECRET)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    # The last character's lowest bits are padding: flipping one leaves the bytes unchanged.
    twin = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert _blob(twin) == _blob(token)

    assert refused(twin)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   \r\n",
        "hello",
        "YDP1",
        "YDP1" + "0" * 26,
        "YDP1" + "A" * 26,
        "https://example.com/YDP1AAAA",
        "\x00\xff☃" * 10,
        "YDP1" + "A" * 5000,
    ],
)
def test_garbage_is_refused(raw):
    assert refused(raw)


def test_pass_error_has_a_message_to_show(app):
    with app.test_request_context():
        error = PassError("invalid_pass")

        assert error.message == "올바른 출석 패스가 아닙니다."


# A scanner typing while the Korean IME is on

# The standard 2-beolsik layout, and how its IME joins jamo into syllables.
KEY_JAMO = {
    **dict(zip("QWERTYUIOP", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔ", strict=True)),
    **dict(zip("ASDFGHJKL", "ㅁㄴㅇㄹㅎㅗㅓㅏㅣ", strict=True)),
    **dict(zip("ZXCVBNM", "ㅋㅌㅊㅍㅠㅜㅡ", strict=True)),
}
SHIFT_JAMO = dict(zip("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ", strict=True))
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
FINALS = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]
COMPOUND_VOWELS = {
    "ㅗㅏ": "ㅘ", "ㅗㅐ": "ㅙ", "ㅗㅣ": "ㅚ", "ㅜㅓ": "ㅝ", "ㅜㅔ": "ㅞ", "ㅜㅣ": "ㅟ", "ㅡㅣ": "ㅢ"
}  # fmt: skip
CLUSTERS = {
    "ㄱㅅ": "ㄳ", "ㄴㅈ": "ㄵ", "ㄴㅎ": "ㄶ", "ㄹㄱ": "ㄺ", "ㄹㅁ": "ㄻ", "ㄹㅂ": "ㄼ",
    "ㄹㅅ": "ㄽ", "ㄹㅌ": "ㄾ", "ㄹㅍ": "ㄿ", "ㄹㅎ": "ㅀ", "ㅂㅅ": "ㅄ",
}  # fmt: skip
SPLIT_CLUSTERS = {cluster: pair for pair, cluster in CLUSTERS.items()}


def type_in_hangul_mode(text: str) -> str:
    """What a Korean IME in Hangul mode makes of the keys typed for text: capitals with Shift,
    small letters without."""
    out: list[str] = []
    initial = vowel = final = ""

    def flush():
        nonlocal initial, vowel, final
        if initial and vowel:
            index = (INITIALS.index(initial) * 21 + VOWELS.index(vowel)) * 28
            out.append(chr(0xAC00 + index + FINALS.index(final)))
        else:
            out.append(initial + vowel)
        initial = vowel = final = ""

    for char in text:
        jamo = SHIFT_JAMO.get(char) or KEY_JAMO.get(char.upper())
        if jamo is None:
            flush()
            out.append(char)
        elif jamo in VOWELS:
            if final:
                keep, moved = SPLIT_CLUSTERS.get(final, ("", final))
                final = keep
                flush()
                initial, vowel = moved, jamo
            elif vowel and vowel + jamo in COMPOUND_VOWELS:
                vowel = COMPOUND_VOWELS[vowel + jamo]
            elif vowel or not initial:
                flush()
                vowel = jamo
            else:
                vowel = jamo
        elif initial and vowel and not final and jamo in FINALS:
            final = jamo
        elif final and final + jamo in CLUSTERS:
            final = CLUSTERS[final + jamo]
        else:
            flush()
            initial = jamo
    flush()
    return "".join(out)


def test_ime_model_types_as_a_korean_keyboard_does():
    assert type_in_hangul_mode("dkssudgktpdy") == "안녕하세요"
    assert type_in_hangul_mode("rhkdtks") == "광산"
    assert type_in_hangul_mode("ekfrdl") == "닭이"
    assert type_in_hangul_mode("zlqhem xprtmxm cbvk wjdir roakf") == "키보드 텍스트 츄파 저약 개말"
    assert type_in_hangul_mode("YDP1") == "ㅛ예1"


def test_hangul_syllables_and_jamo_map_back_to_their_keys():
    assert normalize_scanned_text("안녕하쎼요") == "DKSSUDGKTPDY"
    assert normalize_scanned_text("안녕하세요") == "DKSSUDGKTPDY"
    assert normalize_scanned_text("ㅛ예1\r\n") == "YDP1"
    assert normalize_scanned_text("닭 ㅢ") == "EKFRML"


def test_token_typed_in_hangul_mode_is_read():
    token = make_pass_token(4321, 3, SECRET)
    typed = type_in_hangul_mode(token)
    assert typed != token

    assert read_pass_token(typed + "\n", SECRET) == (4321, 3)


def test_every_token_typed_in_hangul_mode_is_read():
    typings = {}
    for person_id in range(1, 400):
        token = make_pass_token(person_id, 1, SECRET)
        typings[person_id] = type_in_hangul_mode(token)
        assert read_pass_token(typings[person_id], SECRET) == (person_id, 1)
    # The sample covers what the IME builds: compound vowels, clusters and shifted finals.
    syllables = [ord(c) - 0xAC00 for c in "".join(typings.values()) if "가" <= c <= "힣"]
    vowels = {VOWELS[syllable // 28 % 21] for syllable in syllables}
    finals = {FINALS[syllable % 28] for syllable in syllables}
    assert vowels & set(COMPOUND_VOWELS.values())
    assert finals & set(CLUSTERS.values())
    assert finals & {"ㄲ", "ㅆ"}


# The app's passes


def test_pass_token_for_uses_the_app_secret_and_current_version(app, make_person):
    person = make_person()
    person.pass_version = 4

    token = pass_token_for(person)

    assert read_pass_token(token, app.config["SECRET_KEY"]) == (person.id, 4)
    assert refused(token)


def test_reissue_bumps_the_version_and_is_audited(app, db, make_person):
    staff = make_person(role=Role.STAFF, name="정담당")
    person = make_person()
    old_token = pass_token_for(person)

    version = reissue_pass(person, actor=staff)

    assert version == person.pass_version == 2
    _, old_version = read_pass_token(old_token, app.config["SECRET_KEY"])
    assert old_version < person.pass_version
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pass.reissue"))
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (staff.id, "people", person.id)
    assert entry.detail == {"version": 2}
