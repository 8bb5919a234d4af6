"""A run as a Word document (.docx) the team can edit: a section per persona.

Built with python-docx from Word's own styles (Title, Heading 1/2, List Bullet, Quote), so
the document restyles with the team's template. Each persona starts on a new page.
"""

from __future__ import annotations

import io

import docx
from docx.document import Document
from docx.enum.text import WD_BREAK
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from persona.core.records import Run
from persona.history.handout import Handout, PersonaSheet, QuoteItem, handout

MUTED = RGBColor(0x6C, 0x75, 0x7D)
WARN = RGBColor(0xB0, 0x2A, 0x37)


def to_docx(run: Run) -> bytes:
    """The Word document of ``run``: a title page section, then a page per persona."""
    sheet = handout(run)
    document = docx.Document()
    document.core_properties.title = sheet.title
    document.core_properties.author = "Persona"
    _run_header(document, sheet)
    for persona in sheet.sheets:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _persona(document, persona)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _run_header(document: Document, sheet: Handout) -> None:
    document.add_heading(sheet.title, level=0)
    for line in sheet.about:
        _muted(document.add_paragraph(), line)
    if not sheet.sheets:
        document.add_paragraph("This run has no personas.")
        return
    document.add_heading(sheet.headings.personas, level=2)
    for persona in sheet.sheets:
        document.add_paragraph(
            persona.name
            + (f" — {persona.subtitle}" if persona.subtitle else "")
            + ("" if persona.status.usable else f" ({persona.status.label})"),
            style="List Bullet",
        )


def _persona(document: Document, persona: PersonaSheet) -> None:
    document.add_heading(persona.name, level=1)
    if persona.subtitle:
        _muted(document.add_paragraph(), persona.subtitle)
    if not persona.status.usable:
        status = document.add_paragraph().add_run(persona.status.title)
        status.bold = True
        status.font.color.rgb = WARN
    if persona.note:
        note = document.add_paragraph().add_run(persona.note)
        note.font.color.rgb = WARN
    document.add_paragraph(persona.bio)
    _quote(document, persona.quote, style="Intense Quote")
    for section in persona.sections:
        document.add_heading(section.title, level=2)
        for claim in section.claims:
            count = len(claim.quotes)
            item = document.add_paragraph(style="List Bullet")
            item.add_run(claim.text)
            _muted(item, f"  ({count} quote{'' if count == 1 else 's'})")
            for quote in claim.quotes:
                _quote(document, quote, style="List Bullet 2")
            if not claim.quotes:
                warn = document.add_paragraph(style="List Bullet 2").add_run(
                    "No quote supports this statement."
                )
                warn.font.color.rgb = WARN
    summary = document.add_paragraph()
    for number, line in enumerate(persona.summary):
        run = summary.add_run(("\n" if number else "") + line)
        run.font.size = Pt(9)
        run.font.color.rgb = MUTED


def _quote(document: Document, quote: QuoteItem, *, style: str) -> None:
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(f"“{quote.text}”")
    where = paragraph.add_run(f" — {quote.where} ({quote.status})")
    where.font.size = Pt(9)
    where.font.color.rgb = MUTED if quote.verdict.in_data and not quote.verdict.notes else WARN


def _muted(paragraph: Paragraph, text: str) -> None:
    run = paragraph.add_run(text)
    run.font.color.rgb = MUTED
