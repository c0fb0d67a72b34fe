"""Fitting Korean text into a width on a reportlab page: shared by cards and certificates."""

from reportlab.pdfbase.pdfmetrics import stringWidth


def fitting_size(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    """The largest type size, down to smallest, at which text fits width."""
    size = largest
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def clip(text: str, font: str, size: float, width: float) -> str:
    """Text cut with an ellipsis so that it fits width."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text at spaces into lines no wider than width (a long word stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and stringWidth(candidate, font, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines
