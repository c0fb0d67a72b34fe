"""The English catalogue is complete and its compiled form matches the source."""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "training" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"


def test_every_message_has_an_english_translation():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_compiled_catalogue_matches_source():
    with PO.open("rb") as handle:
        source = {m.id: m.string for m in read_po(handle) if m.id}
    with MO.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    assert compiled == source


def test_every_message_in_the_code_is_in_the_catalogue(tmp_path):
    template = tmp_path / "messages.pot"
    root = TRANSLATIONS.parent.parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(template),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with PO.open("rb") as handle:
        have = {m.id for m in read_po(handle) if m.id}
    assert sorted(wanted - have) == []


def test_english_page_uses_the_catalogue(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in page or "Log In" in page
    assert "로그인이 필요" not in page
