"""A run as a PDF with one page per persona, ready to hand to a team.

Fonts come from PyPI packages and are embedded (subset) in the file: Arimo (``fontpkg-arimo``,
SIL OFL 1.1) for Latin, Greek, Cyrillic and Hebrew, and, only when the text needs it, Noto
Sans CJK JP (``noto-cjk-sans-jp-regular`` and ``-bold``, SIL OFL 1.1) for Japanese, Chinese
and Korean characters. Text is never drawn as images, so it can be searched and copied.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import fontpkg_arimo
import noto_cjk_sans_jp_bold
import noto_cjk_sans_jp_regular
from fontTools.ttLib import TTFont
from fpdf import FPDF

from persona.core.records import Run
from persona.history.handout import Handout, PersonaSheet, QuoteItem, handout

FONT = "Arimo"
FALLBACK = "NotoSansCJKjp"
_ARIMO = Path(str(fontpkg_arimo.ROOT)) / "files" / "Arimo[wght].ttf"
_REGULAR, _BOLD = 400.0, 700.0

INK = (33, 37, 41)
MUTED = (108, 117, 125)
ACCENT = (45, 85, 160)
WARN = (176, 42, 55)
RULE = (222, 226, 230)
_MARGIN = 16.0


class _Document(FPDF):
    """An A4 document whose pages carry the run's title and a page number."""

    def __init__(self, title: str, page: str = "Page") -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.run_title = title
        self.page_label = page
        self.set_margins(_MARGIN, 14.0, _MARGIN)
        self.set_auto_page_break(auto=True, margin=16.0)
        self.set_title(title)
        self.set_creator("Persona")

    def header(self) -> None:
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.run_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.page_label} {self.page_no()} · Persona", align="R")


def to_pdf(run: Run) -> bytes:
    """The PDF of ``run``: a page per persona (a long persona continues on the next page)."""
    sheet = handout(run)
    pdf = _Document(f"{sheet.title} — {' · '.join(sheet.about[:1])}", sheet.headings.page)
    _add_fonts(pdf, _needs_fallback(sheet))
    if not sheet.sheets:
        pdf.add_page()
        _write(pdf, sheet.title, 20, bold=True)
        for line in sheet.about:
            _write(pdf, line, 10, color=MUTED)
        _write(pdf, "This run has no personas.", 11)
    for number, persona in enumerate(sheet.sheets):
        pdf.add_page()
        _persona_page(pdf, persona, sheet if number == 0 else None)
    return bytes(pdf.output())


def _persona_page(pdf: FPDF, persona: PersonaSheet, run: Handout | None) -> None:
    _write(pdf, persona.name, 22, bold=True, height=10)
    if persona.subtitle:
        _write(pdf, persona.subtitle, 12, color=MUTED, height=6)
    pdf.ln(2)
    if not persona.status.usable:
        _write(pdf, persona.status.title, 10.5, bold=True, color=WARN)
    if persona.note:
        _write(pdf, persona.note, 9, color=WARN)
    _write(pdf, persona.bio, 10.5)
    pdf.ln(1.5)
    _quote_block(pdf, persona.quote, size=12)
    for section in persona.sections:
        pdf.ln(2.5)
        _write(pdf, section.title, 13, bold=True, color=ACCENT, height=7)
        for claim in section.claims:
            count = len(claim.quotes)
            label = f"{count} quote" + ("" if count == 1 else "s")
            _write(pdf, f"•  {claim.text}  ({label})", 10.5, indent=2)
            for quote in claim.quotes:
                _quote_block(pdf, quote, size=9, indent=8)
            if not claim.quotes:
                _write(pdf, "No quote supports this statement.", 9, color=WARN, indent=8)
    pdf.ln(3)
    _rule(pdf)
    for line in persona.summary:
        _write(pdf, line, 9, color=MUTED)
    if run is not None:
        for line in run.about:
            _write(pdf, line, 8, color=MUTED)


def _quote_block(pdf: FPDF, quote: QuoteItem, *, size: float, indent: float = 0) -> None:
    _write(pdf, f"“{quote.text}”", size, indent=indent)
    color = MUTED if quote.verdict.in_data and not quote.verdict.notes else WARN
    _write(pdf, f"— {quote.where} · {quote.status}", size - 1.5, color=color, indent=indent)


def _write(
    pdf: FPDF,
    text: str,
    size: float,
    *,
    bold: bool = False,
    color: tuple[int, int, int] = INK,
    indent: float = 0,
    height: float | None = None,
) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.set_x(pdf.l_margin + indent)
    width = pdf.w - pdf.r_margin - pdf.l_margin - indent
    pdf.multi_cell(width, height or size * 0.5, text, new_x="LMARGIN", new_y="NEXT")


def _rule(pdf: FPDF) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _add_fonts(pdf: FPDF, fallback: bool) -> None:
    pdf.add_font(FONT, "", _ARIMO, variations={"wght": _REGULAR})
    pdf.add_font(FONT, "B", _ARIMO, variations={"wght": _BOLD})
    if fallback:
        pdf.add_font(FALLBACK, "", str(noto_cjk_sans_jp_regular.FONT_PATH))
        pdf.add_font(FALLBACK, "B", str(noto_cjk_sans_jp_bold.FONT_PATH))
        pdf.set_fallback_fonts([FALLBACK])


def _needs_fallback(sheet: Handout) -> bool:
    """Whether any character of the handout is missing from the main font."""
    covered = _covered()
    return any(ord(c) not in covered for c in _texts(sheet) if not c.isspace())


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    return frozenset(TTFont(str(_ARIMO), lazy=True).getBestCmap())


def _texts(sheet: Handout) -> str:
    parts: list[Any] = [sheet.title, *sheet.about]
    for persona in sheet.sheets:
        parts += [persona.name, persona.subtitle, persona.bio, persona.note, *persona.summary]
        parts.append(persona.status.text)
        quotes = [persona.quote]
        for section in persona.sections:
            parts.append(section.title)
            for claim in section.claims:
                parts.append(claim.text)
                quotes += claim.quotes
        parts += [f"{q.text}{q.where}{q.status}" for q in quotes]
    return "".join(parts) + "“”—•·"
