"""Finding a Chinese font for PDF reports, without any download at run time.

Order: the font file named by HOTLINE_REPORT_FONT; the WenQuanYi Micro Hei font that the
`paperang-p2-fonts-cjk` wheel ships (a data-only package from PyPI, installed with the project);
common system CJK fonts; finally reportlab's built-in STSong-Light CID font, which every PDF
reader with Chinese support can show but which is not embedded in the file."""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "HotlineCJK"
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _packaged_font() -> Path | None:
    try:
        path = resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


def candidate_fonts() -> list[Path]:
    found: list[Path] = []
    if env := os.environ.get("HOTLINE_REPORT_FONT"):
        found.append(Path(env))
    if packaged := _packaged_font():
        found.append(packaged)
    found.extend(Path(p) for p in SYSTEM_FONTS)
    return [p for p in found if p.is_file()]


@cache
def register_cjk_font() -> tuple[str, bool]:
    """Register a Chinese font with reportlab; returns (font name, embedded?)."""
    for path in candidate_fonts():
        try:
            font = TTFont(FONT_NAME, str(path), subfontIndex=0) if path.suffix == ".ttc" else TTFont(
                FONT_NAME, str(path))
            pdfmetrics.registerFont(font)
            return FONT_NAME, True
        except Exception:  # a damaged or unsupported file: try the next one
            continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", False
