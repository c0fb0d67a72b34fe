"""What a pass looks like: the QR as SVG or PNG, and wallet cards printed on A4."""

import io
from dataclasses import dataclass

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from training.fonts import register_korean_font
from training.typesetting import clip, fitting_size, wrap

PROGRAMME = "영등포구 스마트 정보화교육"
CARD_TITLE = "QR 출석 패스"
SHOW_AT_DOOR = ("교실 입구에서", "이 QR을 보여 주세요")

# ISO/IEC 7810 ID-1, the size of a bank card: fits a wallet.
CARD_WIDTH = 85.6 * mm
CARD_HEIGHT = 54 * mm
COLUMNS, ROWS = 2, 5
CARDS_PER_PAGE = COLUMNS * ROWS
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = (PAGE_WIDTH - COLUMNS * CARD_WIDTH) / 2
TOP = (PAGE_HEIGHT - ROWS * CARD_HEIGHT) / 2
# The QR with its four-module quiet zone: a version-2 symbol 33 mm across.
QR_SIZE = 44 * mm
PADDING = 4.5 * mm
TEXT_WIDTH = CARD_WIDTH - QR_SIZE - PADDING - 0.5 * mm
BRAND = HexColor("#00449e")
CUT_LINE = Color(0.6, 0.6, 0.6)
MUTED = Color(0.25, 0.25, 0.25)
BLACK = Color(0, 0, 0)


@dataclass(frozen=True)
class PassCard:
    """What one wallet card shows; the phone already masked."""

    name: str
    masked_phone: str
    token: str
    run_title: str | None
    issued_on: str
    # A desk-registered person's one-time code for setting a password, printed in the run's
    # place on the card handed over with it.
    setup_code: str | None = None
    setup_code_expires_on: str | None = None


def qr_svg(data: str) -> str:
    """The QR code as an SVG document: black on white, quiet zone included."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
    )
    return image.to_string(encoding="unicode")


def qr_png(data: str, box_size: int = 12) -> bytes:
    """The QR code as a PNG image, box_size pixels a module, quiet zone included."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.pil.PilImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
        box_size=box_size,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def build_pass_cards_pdf(cards: list[PassCard], *, font_name: str | None = None) -> bytes:
    """An A4 PDF of wallet cards, ten a page, filled from the top left; cut along the lines."""
    font = font_name or register_korean_font({})
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(CARD_TITLE)
    canvas.setAuthor(PROGRAMME)
    for index, card in enumerate(cards):
        if index and index % CARDS_PER_PAGE == 0:
            canvas.showPage()
        slot = index % CARDS_PER_PAGE
        column, row = slot % COLUMNS, slot // COLUMNS
        x = LEFT + column * CARD_WIDTH
        y = PAGE_HEIGHT - TOP - (row + 1) * CARD_HEIGHT
        _draw_card(canvas, card, x, y, font)
    if not cards:
        canvas.setFont(font, 12)
        canvas.drawString(LEFT, PAGE_HEIGHT - TOP, "인쇄할 출석 패스가 없습니다.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_card(canvas: Canvas, card: PassCard, x: float, y: float, font: str) -> None:
    canvas.saveState()
    canvas.translate(x, y)
    canvas.setFillColor(white)
    canvas.setStrokeColor(CUT_LINE)
    canvas.setLineWidth(0.3)
    canvas.rect(0, 0, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=1)

    qr = QrCodeWidget(card.token, barLevel="M", barBorder=4)
    qr.barWidth = qr.barHeight = QR_SIZE
    drawing = Drawing(QR_SIZE, QR_SIZE)
    drawing.add(qr)
    renderPDF.draw(drawing, canvas, CARD_WIDTH - QR_SIZE - 0.5 * mm, (CARD_HEIGHT - QR_SIZE) / 2)

    def line(text: str, top: float, size: float, color=MUTED, bold: bool = False) -> None:
        # The render mode is graphics state that outlasts the text: saved and restored.
        canvas.saveState()
        text_object = canvas.beginText(PADDING, CARD_HEIGHT - top)
        text_object.setFont(font, size)
        text_object.setFillColor(color)
        if bold:
            # One regular face is registered: bold is the glyphs filled and thinly outlined.
            text_object.setTextRenderMode(2)
            canvas.setStrokeColor(color)
            canvas.setLineWidth(size / 30)
        text_object.textOut(text)
        canvas.drawText(text_object)
        canvas.restoreState()

    line(PROGRAMME, 7.5 * mm, 6.5, BRAND)
    line(CARD_TITLE, 12.5 * mm, 10, BRAND, bold=True)
    name_size = _fitting_size(card.name, font, 20, 9)
    line(clip(card.name, font, name_size, TEXT_WIDTH), 22.5 * mm, name_size, BLACK, bold=True)
    line(card.masked_phone, 28.5 * mm, 10, BLACK)
    if card.setup_code:
        label = f"비밀번호 설정 코드 · {card.setup_code_expires_on}까지"
        line(clip(label, font, 6, TEXT_WIDTH), 32.5 * mm, 6, BLACK)
        line(card.setup_code, 37.5 * mm, 11, BLACK, bold=True)
    elif card.run_title:
        for number, text in enumerate(_wrap(card.run_title, font, 7.5, 2)):
            line(text, 34 * mm + number * 3.3 * mm, 7.5)
    line(SHOW_AT_DOOR[0], CARD_HEIGHT - 7.5 * mm, 7.5, BLACK)
    line(SHOW_AT_DOOR[1], CARD_HEIGHT - 4 * mm, 7.5, BLACK)
    line(f"발급 {card.issued_on}", CARD_HEIGHT - 11.8 * mm, 6)
    canvas.restoreState()


def _fitting_size(text: str, font: str, largest: float, smallest: float) -> float:
    return fitting_size(text, font, largest, smallest, TEXT_WIDTH)


def _wrap(text: str, font: str, size: float, max_lines: int) -> list[str]:
    """Lines that fit the text column; past max_lines the rest joins the last, clipped."""
    lines = wrap(text, font, size, TEXT_WIDTH)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [clip(line, font, size, TEXT_WIDTH) for line in lines]
