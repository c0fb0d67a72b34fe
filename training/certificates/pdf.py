"""The completion certificate (수료증) as an A4 PDF page, and batches of them written as they go.

Plain data in, PDF out: nothing here knows about Flask or the database."""

import io
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from training.certificates.check_codes import format_check_code
from training.typesetting import clip, fitting_size, wrap

TITLE = "수료증"
PROGRAMME = "영등포구 스마트 정보화교육"
BODY = f"위 사람은 {PROGRAMME} 과정을 성실히 이수하였으므로 이 증서를 수여합니다."
NOTHING_TO_PRINT = "인쇄할 수료증이 없습니다."
SCAN_HINT = "QR 코드를 스캔하면 이 증서가 진짜인지 확인할 수 있습니다."
TYPE_HINT = "아래 주소에서는 왼쪽의 확인 코드를 함께 입력합니다."

PAGE_WIDTH, PAGE_HEIGHT = A4
# The seal's transparency (an SMask) needs PDF 1.4; the header is written before any page.
PDF_VERSION = (1, 4)
FRAME = HexColor("#1c3664")
INK = Color(0.08, 0.08, 0.08)
MUTED = Color(0.3, 0.3, 0.3)

OUTER_INSET = 12 * mm
INNER_INSET = 14.5 * mm
# The widget's size includes the four-module quiet zone: a 57-character address (with its
# check code) makes a version-4 symbol, 33 of 41 modules, so the symbol is about 26 mm across.
QR_SIZE = 32 * mm
QR_LEFT = 21 * mm
QR_BOTTOM = 24 * mm
# The check code's baseline, in the space between the inner frame and the QR's quiet zone.
CODE_BASELINE = QR_BOTTOM - 2.5 * mm
SEAL_SIZE = 24 * mm

LABEL_LEFT = 36 * mm
LABEL_WIDTH = 24 * mm
VALUE_LEFT = LABEL_LEFT + LABEL_WIDTH + 6 * mm
VALUE_WIDTH = PAGE_WIDTH - VALUE_LEFT - 26 * mm
BODY_WIDTH = PAGE_WIDTH - 2 * 34 * mm


@dataclass(frozen=True)
class CertificateData:
    """What one certificate shows."""

    serial: str
    name: str
    # None once the person is anonymized: printed as "-".
    birth_year: int | None
    course_title: str
    period_start: date
    period_end: date
    hours: float | int
    issued_on: date
    issuer: str
    # What the QR code carries: the verification address with the check code in it.
    verify_url: str
    check_code: str
    seal_path: str | None = None
    reissue_count: int = 0


def draw_certificate(canvas: Canvas, data: CertificateData, font_name: str) -> None:
    """Draw one certificate on the canvas's current page (the caller shows the page)."""
    canvas.saveState()
    _draw_frame(canvas)
    top = PAGE_HEIGHT

    canvas.setFillColor(INK)
    canvas.setFont(font_name, 11)
    canvas.drawString(INNER_INSET + 9 * mm, top - 27 * mm, f"제 {data.serial} 호")
    if data.reissue_count > 0:
        canvas.setFont(font_name, 9)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(
            PAGE_WIDTH - INNER_INSET - 9 * mm, top - 27 * mm, f"재발급 {data.reissue_count}회"
        )
        canvas.setFillColor(INK)

    _bold_centred(canvas, TITLE, top - 66 * mm, font_name, 46, char_space=26)

    fields = (
        ("성명", data.name),
        ("생년", f"{data.birth_year}년" if data.birth_year is not None else "-"),
        ("교육과정", data.course_title),
        ("교육기간", f"{_dotted(data.period_start)} ~ {_dotted(data.period_end)}"),
        ("교육시간", f"{data.hours:g}시간"),
    )
    for row, (label, value) in enumerate(fields):
        y = top - (98 + 13 * row) * mm
        canvas.setFont(font_name, 15)
        _spread(canvas, label, LABEL_LEFT, y, LABEL_WIDTH, font_name, 15)
        canvas.drawString(LABEL_LEFT + LABEL_WIDTH + 1.5 * mm, y, ":")
        size = fitting_size(value, font_name, 15, 9, VALUE_WIDTH)
        canvas.setFont(font_name, size)
        canvas.drawString(VALUE_LEFT, y, clip(value, font_name, size, VALUE_WIDTH))

    canvas.setFont(font_name, 16)
    for number, line in enumerate(wrap(BODY, font_name, 16, BODY_WIDTH)):
        canvas.drawCentredString(PAGE_WIDTH / 2, top - (180 + 10 * number) * mm, line)

    canvas.setFont(font_name, 16)
    canvas.drawCentredString(PAGE_WIDTH / 2, top - 222 * mm, _long_date(data.issued_on))

    issuer_y = top - 246 * mm
    issuer_right = _bold_centred(canvas, data.issuer, issuer_y, font_name, 26, char_space=6)
    if data.seal_path:
        _draw_seal(canvas, data.seal_path, issuer_right, issuer_y)

    _draw_verification(canvas, data, font_name)
    canvas.restoreState()


def _draw_frame(canvas: Canvas) -> None:
    canvas.setStrokeColor(FRAME)
    canvas.setLineWidth(3)
    canvas.rect(
        OUTER_INSET, OUTER_INSET, PAGE_WIDTH - 2 * OUTER_INSET, PAGE_HEIGHT - 2 * OUTER_INSET
    )
    canvas.setLineWidth(0.8)
    canvas.rect(
        INNER_INSET, INNER_INSET, PAGE_WIDTH - 2 * INNER_INSET, PAGE_HEIGHT - 2 * INNER_INSET
    )


def _bold_centred(
    canvas: Canvas, text: str, y: float, font: str, size: float, char_space: float
) -> float:
    """Draw text centred and letter-spaced in a heavy weight; where its last glyph ends."""
    # One regular face is registered: bold is the glyphs filled and thinly outlined.
    width = stringWidth(text, font, size) + char_space * (len(text) - 1)
    left = (PAGE_WIDTH - width) / 2
    canvas.saveState()
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(size / 30)
    text_object = canvas.beginText(left, y)
    text_object.setFont(font, size)
    text_object.setCharSpace(char_space)
    text_object.setTextRenderMode(2)
    text_object.textOut(text)
    canvas.drawText(text_object)
    canvas.restoreState()
    return left + width


def _draw_seal(canvas: Canvas, path: str, issuer_right: float, issuer_y: float) -> None:
    """The seal stamped over the end of the issuer's title, as a 직인 is."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"The seal image {path!r} (CERT_SEAL) cannot be read.")
    canvas.drawImage(
        path,
        issuer_right - SEAL_SIZE / 2 + 3 * mm,
        issuer_y + 3 * mm - SEAL_SIZE / 2,
        SEAL_SIZE,
        SEAL_SIZE,
        mask="auto",
        preserveAspectRatio=True,
        anchor="c",
    )


def _draw_verification(canvas: Canvas, data: CertificateData, font: str) -> None:
    qr = QrCodeWidget(data.verify_url, barLevel="M", barBorder=4)
    qr.barWidth = qr.barHeight = QR_SIZE
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(qr)
    renderPDF.draw(drawing, canvas, QR_LEFT, QR_BOTTOM)
    canvas.setFillColor(INK)
    canvas.setFont(font, 10)
    canvas.drawCentredString(
        QR_LEFT + QR_SIZE / 2, CODE_BASELINE, f"확인 코드 {format_check_code(data.check_code)}"
    )
    left = QR_LEFT + QR_SIZE + 2 * mm
    width = PAGE_WIDTH - INNER_INSET - 6 * mm - left
    canvas.setFillColor(MUTED)
    canvas.setFont(font, 8)
    canvas.drawString(left, QR_BOTTOM + 13.5 * mm, SCAN_HINT)
    canvas.drawString(left, QR_BOTTOM + 9 * mm, TYPE_HINT)
    # Printed without the code: whoever types the address is asked for the code on the page.
    address = urlsplit(data.verify_url)._replace(query="").geturl()
    caption = f"진위 확인: {address}"
    size = fitting_size(caption, font, 8, 5, width)
    canvas.setFont(font, size)
    canvas.drawString(left, QR_BOTTOM + 4.5 * mm, caption)


def _spread(
    canvas: Canvas, text: str, x: float, y: float, width: float, font: str, size: float
) -> None:
    """Draw the characters spaced out to fill width, as labels line up on a Korean form."""
    if len(text) < 2:
        canvas.drawString(x, y, text)
        return
    gap = (width - stringWidth(text, font, size)) / (len(text) - 1)
    canvas.drawString(x, y, text, charSpace=max(gap, 0))


def _dotted(day: date) -> str:
    return f"{day.year}. {day.month}. {day.day}."


def _long_date(day: date) -> str:
    return f"{day.year}년 {day.month}월 {day.day}일"


def write_certificates_pdf(
    items: Iterable[CertificateData],
    out: BinaryIO,
    *,
    font_name: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one A4 page per certificate into one PDF as they are drawn; how many were written.

    Memory stays flat however many pages: each page leaves for the file as soon as it is
    drawn. progress(n) is called after the n-th page."""
    canvas = Canvas(out, pagesize=A4, pageCompression=1, pdfVersion=PDF_VERSION)
    canvas.setTitle(TITLE)
    canvas.setAuthor(PROGRAMME)
    writer = _StreamingWriter(canvas, out)
    count = 0
    for item in items:
        draw_certificate(canvas, item, font_name)
        canvas.showPage()
        writer.write_finished_objects()
        count += 1
        if progress:
            progress(count)
    if not count:
        canvas.setFont(font_name, 16)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT / 2, NOTHING_TO_PRINT)
        canvas.showPage()
    writer.finish()
    return count


def build_certificates_pdf(items: Iterable[CertificateData], *, font_name: str) -> bytes:
    """A small batch of certificates as PDF bytes."""
    buffer = io.BytesIO()
    write_certificates_pdf(items, buffer, font_name=font_name)
    return buffer.getvalue()


class _StreamingWriter:
    """Write a reportlab canvas's document to the file page by page.

    reportlab keeps every page until save() and then formats the whole file in memory, about
    35 kB a certificate. Here each page and its content stream are formatted and written as
    soon as the page is shown, and forgotten. What reportlab completes only at the end waits:
    the fonts dictionary, which gets the embedded Hangul subsets once every character is known
    (so the font is embedded once, holding exactly the glyphs used), and the page tree. Shared
    resources (the seal image) are written once, when first drawn. This leans on reportlab's
    document objects (reportlab.pdfbase.pdfdoc), which its own save() uses the same way."""

    def __init__(self, canvas: Canvas, out: BinaryIO):
        self._canvas = canvas
        self._doc = canvas._doc
        self._out = out
        self._position = 0
        # By object number where it starts in the file, and the pages' numbers: a few bytes
        # a page is all that is kept of it.
        self._offsets = array("Q", [0])
        self._pages = array("I")
        self._deferred: list[int] = []
        self._forget: set[str] = set()
        self._last_written = 0
        self._write(b"%%PDF-%d.%d\n%%\223\214\213\236\n" % PDF_VERSION)

    def write_finished_objects(self) -> None:
        """Write every object registered since the last call, but those completed at the end."""
        self._write_new_objects(defer=True)

    def finish(self) -> None:
        """Write the fonts, page tree, catalogue, cross-reference table and trailer."""
        doc = self._doc
        self.write_finished_objects()
        if doc._pdfVersion > PDF_VERSION:
            raise RuntimeError(f"The page needs PDF {doc._pdfVersion}, newer than the header.")
        # What PDFDocument.GetPDFData does before formatting, the pages being written already.
        for font in doc.delayedFonts:
            font.addObjects(doc)
        doc.info.invariant = doc.invariant
        doc.info.digest(doc.signature)
        root = doc.Reference(doc.Catalog)
        info = doc.Reference(doc.info)
        doc.Outlines.prepare(doc, self._canvas)
        if doc.Outlines.ready < 0:
            doc.Catalog.Outlines = None
        doc.Pages.pages = [b"%d 0 R" % number for number in self._pages]
        for number in self._deferred:
            self._write_object(number)
        self._write_new_objects(defer=False)

        count = len(self._offsets)
        xref_at = self._position
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
        for start in range(1, count, 1024):
            rows = self._offsets[start : start + 1024]
            self._write(b"".join(b"%010d 00000 n \n" % offset for offset in rows))
        trailer = pdfdoc.PDFTrailer(
            startxref=xref_at, Size=count, Root=root, Info=info, ID=doc.ID()
        )
        self._write(trailer.format(doc))

    def _write_new_objects(self, *, defer: bool) -> None:
        doc = self._doc
        # Formatting a page registers its content stream: the loop goes on to it.
        while self._last_written < doc.objectcounter:
            number = self._last_written + 1
            name = doc.numberToId[number]
            if defer and (name == pdfdoc.BasicFonts or doc.idToObject[name] is doc.Pages):
                self._deferred.append(number)
            else:
                self._write_object(number)
            self._last_written = number

    def _write_object(self, number: int) -> None:
        doc = self._doc
        name = doc.numberToId[number]
        obj = doc.idToObject[name]
        is_page = isinstance(obj, pdfdoc.PDFPage)
        if is_page:
            # reportlab would add ASCII85 to Flate, a quarter more bytes for nothing.
            obj.Contents = pdfdoc.PDFStream(content=obj.stream, filters=[pdfdoc.PDFZCompress])
            obj.stream = None
        data = pdfdoc.PDFIndirectObject(name, obj).format(doc)
        if number >= len(self._offsets):
            self._offsets.extend([0] * (number + 1 - len(self._offsets)))
        self._offsets[number] = self._position
        self._write(data)
        if is_page:
            self._pages.append(number)
            self._forget.add(obj.Contents.__InternalName__)
            doc.Pages.pages.clear()
        if is_page or name in self._forget:
            # Nothing refers to a written page or its content stream by name again.
            self._forget.discard(name)
            del doc.idToObject[name], doc.idToObjectNumberAndVersion[name]
            del doc.numberToId[number]

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)
