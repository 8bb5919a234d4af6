"""PDF (text layer) and Word (.docx) documents."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import docx
from docx.table import Table
from pypdf import PdfReader

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.ingest.archives import check_archive
from persona.ingest.base import Parsed, numbered, plural

_ZIP_MAGIC = b"PK\x03\x04"


def read_pdf(name: str, data: bytes) -> Parsed:
    if not data.lstrip()[:1024].count(b"%PDF-"):
        raise InputError(
            f"{name} is not a PDF inside (another kind of file renamed .pdf). Open it in the "
            "program that made it, export it as PDF, and upload that."
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        # An empty user password (common: "no password to open, but no copying") opens it.
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        raise InputError(
            f"{name} could not be read as a PDF: the file is damaged or uses a feature "
            "Persona cannot read. Open it and export or print it to PDF again, then upload that."
        ) from exc
    if locked:
        raise InputError(
            f"{name} is password-protected. Save a copy without the password and upload that."
        )
    passages: list[Passage] = []
    blank: list[int] = []
    for number, page in enumerate(pages, 1):
        if text := "\n".join(s for s in map(str.strip, page.splitlines()) if s):
            passages.append(Passage(name, f"page {number}", text))
        else:
            blank.append(number)
    if not passages:
        raise InputError(
            f"{name} has no text layer (it is probably scanned images). Run it through OCR, "
            "or paste the text into a .txt file, and upload that."
        )
    warnings = []
    if blank:
        warnings.append(
            f"{plural(len(blank), 'page')} without text skipped ({numbered('page', blank)}); "
            "scanned pages need OCR first"
        )
    return passages, warnings


def read_docx(name: str, data: bytes) -> Parsed:
    if not data.startswith(_ZIP_MAGIC):
        raise InputError(
            f"{name} is not a .docx document inside (an old .doc file, or another file "
            "renamed .docx). Open it in Word, save it as .docx (File → Save As → Word "
            "Document) and upload that."
        )
    check_archive(name, data, "a Word document")
    try:
        blocks = list(docx.Document(io.BytesIO(data)).iter_inner_content())
    except Exception as exc:  # a damaged or foreign ZIP fails in zipfile, lxml or python-docx
        raise InputError(
            f"{name} could not be opened as a Word document: its contents are damaged or it "
            "is not a Word file. Open it in Word, save it again as .docx (File → Save As → "
            "Word Document) and upload that."
        ) from exc
    passages: list[Passage] = []
    paragraphs = tables = 0
    for block in blocks:
        if isinstance(block, Table):
            tables += 1
            for number, row in enumerate(block.rows, 1):
                if cells := _cell_texts(row.cells):
                    locator = f"table {tables}, row {number}"
                    passages.append(Passage(name, locator, " | ".join(cells)))
        elif text := block.text.strip():
            paragraphs += 1
            passages.append(Passage(name, f"paragraph {paragraphs}", text))
    return passages, []


def _cell_texts(cells: Sequence[Any]) -> list[str]:
    """Non-empty cell texts; a merged cell (repeated once per column it spans) counts once."""
    texts = []
    previous = None
    for cell in cells:
        if cell is not previous and (text := cell.text.strip()):
            texts.append(text)
        previous = cell
    return texts
