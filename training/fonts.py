"""A Korean font for PDFs: one the deployment names, else a usual system TrueType font.

reportlab embeds a TrueType font in the PDF, so it prints the same on any computer. Without
one it falls back to its built-in CID font HYGothic-Medium, which is not embedded: the PDF then
shows Korean only where the viewer has a Korean font pack."""

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FALLBACK_FONT = "HYGothic-Medium"

SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",  # Debian/Ubuntu fonts-nanum
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/nanum/NanumGothic.ttf",  # Fedora, RHEL naver-nanum-fonts
    "C:\\Windows\\Fonts\\malgun.ttf",  # Windows: Malgun Gothic
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",  # macOS: Apple SD Gothic Neo
)

_NOT_EMBEDDED = (
    "No Korean TrueType font found (set TRAINING_CERT_FONT to a .ttf or .ttc file, or install"
    " fonts-nanum); PDFs use the non-embedded CID font HYGothic-Medium and show Korean only"
    " where the viewer has a Korean font pack. / 한글 트루타입 글꼴을 찾지 못했습니다"
    " (TRAINING_CERT_FONT에 .ttf 또는 .ttc 파일을 지정하거나 fonts-nanum을 설치하세요)."
    " PDF에 글꼴이 포함되지 않아 한글 글꼴이 없는 컴퓨터에서는 글자가 보이지 않을 수 있습니다."
)


@dataclass(frozen=True)
class FontChoice:
    """The font file PDFs embed (None for the CID fallback), its name and what to log."""

    path: str | None
    name: str
    is_embedded: bool
    message: str


_lock = threading.Lock()
_registered: dict[str, str] = {}


def find_korean_font(config) -> FontChoice:
    """The font PDFs will use: CERT_FONT when set, else the first system font found."""
    return _choose(config.get("CERT_FONT") or None, SYSTEM_FONTS)


# Reading a font file takes a while, and fonts are not installed while the app runs.
@lru_cache(maxsize=8)
def _choose(configured: str | None, candidates: tuple[str, ...]) -> FontChoice:
    problems = []
    if configured:
        if _is_usable(configured):
            return _embedded(configured, "CERT_FONT")
        problems.append(
            f"CERT_FONT {configured!r} is not a readable TrueType font; looking for a system"
            f" font. / CERT_FONT {configured!r} 글꼴을 읽을 수 없어 시스템 글꼴을 찾습니다."
        )
    for candidate in candidates:
        if _is_usable(candidate):
            return _embedded(candidate, "system font", problems)
    return FontChoice(None, FALLBACK_FONT, False, " ".join([*problems, _NOT_EMBEDDED]))


def register_korean_font(config) -> str:
    """Register the chosen Korean font with reportlab (once per process); its name."""
    choice = find_korean_font(config)
    key = choice.path or FALLBACK_FONT
    with _lock:
        if key not in _registered:
            if choice.path is None:
                pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
            else:
                pdfmetrics.registerFont(TTFont(choice.name, choice.path, subfontIndex=0))
            _registered[key] = choice.name
        return _registered[key]


def font_warning(config) -> str | None:
    """What to log at start-up when PDFs cannot carry their Korean font, or None."""
    choice = find_korean_font(config)
    configured = config.get("CERT_FONT")
    if choice.is_embedded and (not configured or choice.path == configured):
        return None
    return choice.message


def _embedded(path: str, source: str, problems: list[str] | None = None) -> FontChoice:
    name = Path(path).stem
    message = " ".join([*(problems or []), f"Korean font for PDFs ({source}): {path}"])
    return FontChoice(path, name, True, message)


def _is_usable(path: str) -> bool:
    if not Path(path).is_file():
        return False
    try:
        TTFont("probe", path, subfontIndex=0)
    except (TTFError, OSError):
        return False
    return True
