"""Printed passes: A4 sheets of wallet cards whose QR scans back to the token, in Korean type."""

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from training import fonts
from training.fonts import find_korean_font, font_warning, register_korean_font
from training.passes.cards import PassCard, build_pass_cards_pdf, qr_png, qr_svg
from training.passes.tokens import make_pass_token

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")


def card(number: int = 1, name: str = "김영희", run_title: str | None = None) -> PassCard:
    return PassCard(
        name=name,
        masked_phone=f"010-****-{number:04d}",
        token=make_pass_token(number, 1, "secret"),
        run_title=run_title,
        issued_on="2026-03-02",
    )


def poppler(tool: str, *args: str, pdf: bytes) -> str:
    """Run a poppler-utils tool on the PDF; skip the test where it is not installed."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "cards.pdf"
        source.write_bytes(pdf)
        command = [tool, *args, str(source)]
        if tool == "pdftotext":
            command.append("-")
        result = subprocess.run(command, capture_output=True, check=True, timeout=60)
    return result.stdout.decode()


def decoded_qr_codes(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """The texts of the QR codes found on each page, rasterised at 200 dpi."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the printed QR")
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "cards.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", str(source), str(tmp_path / "page")],
        check=True,
        timeout=120,
    )
    pages = []
    for path in sorted(tmp_path.glob("page-*.png")):
        with Image.open(path) as image:
            pages.append(sorted(result.text for result in zxingcpp.read_barcodes(image)))
    return pages


def page_count(pdf: bytes) -> int:
    info = poppler("pdfinfo", pdf=pdf)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_one_card_is_an_a4_pdf_page():
    pdf = build_pass_cards_pdf([card()])

    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1
    info = poppler("pdfinfo", pdf=pdf)
    assert "595.276 x 841.89 pts (A4)" in info


def test_no_cards_still_make_a_page_that_says_so():
    pdf = build_pass_cards_pdf([])

    assert page_count(pdf) == 1
    assert "인쇄할 출석 패스가 없습니다." in poppler("pdftotext", pdf=pdf)


def test_card_shows_name_phone_and_instructions():
    pdf = build_pass_cards_pdf([card(5678, name="김영희", run_title="스마트폰 기초 3기")])

    text = poppler("pdftotext", pdf=pdf)
    assert "김영희" in text
    assert "010-****-5678" in text
    assert "영등포구 스마트 정보화교육" in text
    assert "QR 출석 패스" in text
    assert "스마트폰 기초 3기" in text
    assert "교실 입구에서" in text and "이 QR을 보여 주세요" in text


def test_card_embeds_the_nanum_font():
    if not NANUM.is_file():
        pytest.skip("fonts-nanum is not installed")

    listing = poppler("pdffonts", pdf=build_pass_cards_pdf([card()]))

    nanum = [line for line in listing.splitlines() if "NanumGothic" in line]
    assert nanum, listing
    assert nanum[0].split()[-5] == "yes", listing  # the "emb" column


def test_printed_qr_scans_back_to_the_token(tmp_path):
    pass_card = card(42)

    assert decoded_qr_codes(build_pass_cards_pdf([pass_card]), tmp_path) == [[pass_card.token]]


def test_sheet_puts_ten_cards_on_a_page_and_each_scans(tmp_path):
    cards = [card(number, name=f"수강생{number}") for number in range(1, 13)]

    pages = decoded_qr_codes(build_pass_cards_pdf(cards), tmp_path)

    assert [len(page) for page in pages] == [10, 2]
    assert sorted(pages[0] + pages[1]) == sorted(c.token for c in cards)


def test_long_names_and_titles_stay_on_the_card():
    long_name = "바" * 40
    pdf = build_pass_cards_pdf([card(name=long_name, run_title="아주 긴 강좌 이름 " * 10)])

    text = poppler("pdftotext", "-layout", pdf=pdf)
    assert "바바바바바" in text
    assert "바" * 40 not in text
    assert "…" in text


# The QR on screen and as a file


def test_qr_svg_is_black_on_white_and_scalable():
    svg = qr_svg(make_pass_token(1, 1, "secret"))

    assert svg.startswith("<svg")
    assert 'viewBox="0 0 ' in svg
    assert 'fill="white"' in svg and 'fill="#000000"' in svg
    assert "style=" not in svg  # the Content-Security-Policy forbids inline styles


def test_qr_png_decodes_to_the_data():
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR")
    from PIL import Image

    token = make_pass_token(7, 2, "secret")

    with Image.open(io.BytesIO(qr_png(token))) as image:
        assert [result.text for result in zxingcpp.read_barcodes(image)] == [token]


# Choosing the Korean font


def test_configured_font_comes_first():
    if not NANUM.is_file():
        pytest.skip("fonts-nanum is not installed")
    barun = "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf"

    choice = find_korean_font({"CERT_FONT": barun})

    assert (choice.path, choice.is_embedded) == (barun, True)
    assert font_warning({"CERT_FONT": barun}) is None


def test_missing_configured_font_falls_back_and_warns():
    choice = find_korean_font({"CERT_FONT": "/nowhere/font.ttf"})

    assert choice.path != "/nowhere/font.ttf"
    assert "/nowhere/font.ttf" in font_warning({"CERT_FONT": "/nowhere/font.ttf"})


def test_without_a_truetype_font_the_cid_font_is_used_and_said(monkeypatch):
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", ("/nowhere/NanumGothic.ttf",))

    choice = find_korean_font({})
    name = register_korean_font({})
    warning = font_warning({})

    assert (choice.path, choice.is_embedded) == (None, False)
    assert name == "HYGothic-Medium"
    assert "No Korean TrueType font found" in warning
    assert "한글 트루타입 글꼴을 찾지 못했습니다" in warning
    listing = poppler("pdffonts", pdf=build_pass_cards_pdf([card()], font_name=name))
    assert "HYGothic-Medium" in listing
