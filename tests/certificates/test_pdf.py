"""The printed certificate: Korean text that prints anywhere and a QR that scans back to the
verification address, one A4 page each, written as the pages are drawn."""

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from training.certificates.pdf import (
    CertificateData,
    build_certificates_pdf,
    write_certificates_pdf,
)
from training.fonts import register_korean_font

NANUM = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
PUBLIC_URL = "https://edu.ydp.go.kr"


@pytest.fixture(scope="module")
def font() -> str:
    return register_korean_font({})


def certificate(number: int = 1, **changes) -> CertificateData:
    serial = f"YDP-2022-{number:05d}"
    data = CertificateData(
        serial=serial,
        name="홍길동",
        birth_year=1955,
        course_title="스마트폰 기초 3기",
        period_start=date(2022, 3, 2),
        period_end=date(2022, 4, 8),
        hours=20,
        issued_on=date(2022, 8, 31),
        issuer="영등포구청장",
        verify_url=f"{PUBLIC_URL}/verify/{serial}?code=K7Q2M9XD",
        check_code="K7Q2M9XD",
    )
    return replace(data, **changes)


def poppler(tool: str, *args: str, pdf: bytes, tmp_path: Path) -> str:
    """Run a poppler-utils tool on the PDF; skip the test where it is not installed.

    poppler repairs a damaged file quietly but says so on standard error: it must say nothing."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    source = tmp_path / "certificates.pdf"
    source.write_bytes(pdf)
    command = [tool, *args, str(source)]
    if tool == "pdftotext":
        command.append("-")
    result = subprocess.run(command, capture_output=True, check=True, timeout=60)
    assert result.stderr == b"", result.stderr.decode()
    return result.stdout.decode()


def rasterised(pdf: bytes, tmp_path: Path, resolution: int = 150, name: str = "page") -> list[Path]:
    """The pages rasterised with pdftoppm, as PNG files in page order."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", str(source), str(tmp_path / name)],
        check=True,
        timeout=60,
    )
    return sorted(tmp_path.glob(f"{name}-*.png"))


def decoded_qr_codes(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """The texts of the QR codes found on each page, rasterised at 150 dpi."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the printed QR")
    from PIL import Image

    pages = []
    for path in rasterised(pdf, tmp_path):
        with Image.open(path) as image:
            pages.append([result.text for result in zxingcpp.read_barcodes(image)])
    return pages


def page_count(pdf: bytes, tmp_path: Path) -> int:
    info = poppler("pdfinfo", pdf=pdf, tmp_path=tmp_path)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_certificate_is_one_a4_pdf_page(font, tmp_path):
    pdf = build_certificates_pdf([certificate()], font_name=font)

    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    info = poppler("pdfinfo", pdf=pdf, tmp_path=tmp_path)
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info
    assert "Title:           수료증" in info


def test_cross_reference_table_points_at_every_object(font):
    pdf = build_certificates_pdf([certificate(n) for n in (1, 2)], font_name=font)

    xref_at = int(pdf[pdf.rindex(b"startxref") :].split()[1])
    assert pdf[xref_at:].startswith(b"xref\n0 ")
    lines = pdf[xref_at:].split(b"\n")
    size = int(lines[1].split()[1])
    assert f"/Size {size}".encode() in pdf[xref_at:]
    for number in range(1, size):
        offset = int(lines[2 + number][:10])
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number), number


def test_certificate_shows_the_serial_person_and_course(font, tmp_path):
    pdf = build_certificates_pdf([certificate(reissue_count=2)], font_name=font)

    text = poppler("pdftotext", pdf=pdf, tmp_path=tmp_path)
    assert "제 YDP-2022-00001 호" in text
    assert "홍길동" in text
    assert "1955년" in text
    assert "스마트폰 기초 3기" in text
    assert "2022. 3. 2. ~ 2022. 4. 8." in text
    assert "20시간" in text
    sentence = (
        "위 사람은 영등포구 스마트 정보화교육 과정을 성실히 이수하였으므로 이 증서를 수여합니다."
    )
    assert sentence in " ".join(text.split())  # wrapped over two lines
    assert "2022년 8월 31일" in text
    assert "영등포구청장" in text
    assert "재발급 2회" in text
    assert f"진위 확인: {PUBLIC_URL}/verify/YDP-2022-00001\n" in text
    assert "확인 코드 K7Q2-M9XD" in text


def test_first_issue_has_no_reissue_note(font, tmp_path):
    text = poppler(
        "pdftotext", pdf=build_certificates_pdf([certificate()], font_name=font), tmp_path=tmp_path
    )

    assert "재발급" not in text


def test_hours_print_without_a_needless_decimal(font, tmp_path):
    pdf = build_certificates_pdf(
        [certificate(1, hours=20.0), certificate(2, hours=17.5)], font_name=font
    )

    text = poppler("pdftotext", pdf=pdf, tmp_path=tmp_path)
    assert "20시간" in text and "20.0시간" not in text
    assert "17.5시간" in text


def test_hangul_font_is_embedded_once(font, tmp_path):
    if not NANUM.is_file():
        pytest.skip("fonts-nanum is not installed")
    pdf = build_certificates_pdf([certificate(n) for n in range(1, 4)], font_name=font)

    listing = poppler("pdffonts", pdf=pdf, tmp_path=tmp_path)

    nanum = [line for line in listing.splitlines() if "NanumGothic" in line]
    assert len(nanum) == 1, listing
    assert nanum[0].split()[-5] == "yes", listing  # the "emb" column


def test_more_hangul_than_one_font_subset_holds_prints_right(font, tmp_path):
    if not NANUM.is_file():
        pytest.skip("fonts-nanum is not installed")
    syllables = [chr(0xAC00 + 7 * n) for n in range(300)]  # a subset holds 256 characters
    names = ["".join(syllables[start : start + 30]) for start in range(0, 300, 30)]

    pdf = build_certificates_pdf(
        [certificate(n, name=name) for n, name in enumerate(names, start=1)], font_name=font
    )

    text = poppler("pdftotext", pdf=pdf, tmp_path=tmp_path)
    assert all(name in text for name in names)
    listing = poppler("pdffonts", pdf=pdf, tmp_path=tmp_path)
    subsets = [line.split() for line in listing.splitlines() if "NanumGothic" in line]
    assert len(subsets) >= 2, listing
    assert len({subset[0] for subset in subsets}) == len(subsets), listing
    assert all(subset[-5] == "yes" for subset in subsets), listing


def test_printed_qr_scans_back_to_the_verification_address(font, tmp_path):
    pdf = build_certificates_pdf([certificate(7)], font_name=font)

    assert decoded_qr_codes(pdf, tmp_path) == [
        [f"{PUBLIC_URL}/verify/YDP-2022-00007?code=K7Q2M9XD"]
    ]


def test_batch_has_a_page_each_whose_qr_is_its_own(font, tmp_path):
    batch = [certificate(n, name=f"수강생{n}") for n in (1, 2, 3)]

    pdf = build_certificates_pdf(batch, font_name=font)

    assert page_count(pdf, tmp_path) == 3
    assert decoded_qr_codes(pdf, tmp_path) == [[c.verify_url] for c in batch]


def test_pages_reach_the_file_as_they_are_drawn(font):
    out = io.BytesIO()
    written = []

    count = write_certificates_pdf(
        (certificate(n) for n in range(1, 4)),
        out,
        font_name=font,
        progress=lambda n: written.append((n, out.tell())),
    )

    assert count == 3
    assert [n for n, _ in written] == [1, 2, 3]
    sizes = [size for _, size in written]
    assert sizes[0] > 1000 and sizes[0] < sizes[1] < sizes[2] < out.tell()


def test_no_certificates_make_a_page_that_says_so(font, tmp_path):
    out = io.BytesIO()

    assert write_certificates_pdf([], out, font_name=font) == 0
    assert page_count(out.getvalue(), tmp_path) == 1
    assert "인쇄할 수료증이 없습니다." in poppler(
        "pdftotext", pdf=out.getvalue(), tmp_path=tmp_path
    )


def test_long_name_and_title_stay_on_the_page(font, tmp_path):
    pdf = build_certificates_pdf(
        [certificate(name="가" * 40, course_title="아주 긴 강좌 이름 " * 12)], font_name=font
    )

    text = poppler("pdftotext", pdf=pdf, tmp_path=tmp_path)
    assert "가가가가가" in text
    assert "…" in text


def red_pixels(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    return sum(count for count, (r, g, b) in colours if r > 150 and g < 100 and b < 100)


def test_seal_is_stamped_when_configured(font, tmp_path):
    from PIL import Image, ImageDraw

    seal = tmp_path / "seal.png"
    image = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((10, 10, 110, 110), outline=(200, 30, 30, 255), width=12)
    image.save(seal)

    without = build_certificates_pdf([certificate(seal_path=None)], font_name=font)
    with_seal = build_certificates_pdf([certificate(seal_path=str(seal))], font_name=font)

    (plain,) = rasterised(without, tmp_path, 40, name="without")
    (sealed,) = rasterised(with_seal, tmp_path, 40, name="sealed")
    assert red_pixels(plain) == 0
    assert red_pixels(sealed) > 50


def test_seal_that_cannot_be_read_is_said(font):
    with pytest.raises(FileNotFoundError, match="/nowhere/seal.png"):
        build_certificates_pdf([certificate(seal_path="/nowhere/seal.png")], font_name=font)
