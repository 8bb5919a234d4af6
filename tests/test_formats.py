"""Presentation-ready exports (PDF, Word), Markdown with quotes in context, and file writing."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import docx
import pytest
from pypdf import PdfReader

from persona.core.coverage import speakers
from persona.core.records import FileRef, PersonaRecord, Run, RunOptions
from persona.core.schema import Claim, Evidence, Persona
from persona.core.verdicts import cite, quote_verdict
from persona.generation.evidence import verify_personas
from persona.generation.research import keep_copy, passages_from_copy
from persona.history.formats import FORMATS, MIME_TYPES, export_run, file_name, write_new
from persona.ingest import read_files
from tests.survey_files import QUALTRICS_RESPONSES, qualtrics_xlsx

SURVEY = "grocery_survey.xlsx"
NON_LATIN = [
    QUALTRICS_RESPONSES[3][5],  # Japanese
    QUALTRICS_RESPONSES[3][6],  # Russian
    QUALTRICS_RESPONSES[4][5],  # Greek
]


def _evidence(text: str, locator: str) -> Evidence:
    return Evidence(quote=text, source=SURVEY, locator=locator)


@pytest.fixture(scope="module")
def survey() -> tuple[Run, list]:
    """A run of two personas quoting a Qualtrics export, verified against it."""
    data = qualtrics_xlsx()
    reading = read_files([(SURVEY, data)])
    r = QUALTRICS_RESPONSES
    first = Persona(
        name="Dana Whitfield",
        age="30-40",
        role="Night-shift nurse",
        bio="Dana orders on her break at night. Time, not money, is what she lacks.",
        goals=[
            Claim(
                text="Keep the same morning slot every week.",
                evidence=[_evidence(r[0][6], "row 4, Q6"), _evidence(r[0][5], "row 4, Q5")],
            )
        ],
        pain_points=[
            Claim(text="Frozen food arrives thawed.", evidence=[_evidence(r[3][5], "row 7, Q5")]),
            Claim(text="Nobody to call.", evidence=[]),
        ],
        behaviours=[
            Claim(
                text="Wants a warning before the driver comes.",
                evidence=[_evidence(r[3][6], "row 7, Q6")],
            )
        ],
        motivations=[
            Claim(text="An invented reason.", evidence=[_evidence("I love waiting all day.", "")])
        ],
        quote=_evidence(r[0][5], "row 4, Q5"),
        participants=[r[0][0], r[3][0]],
    )
    second = Persona(
        name="Ελένη Παπαδοπούλου",
        age="20-30",
        role="Designer · Дизайнер · デザイナー",
        bio="Eleni compares unit prices on her phone.",
        goals=[Claim(text="See the price per kilo.", evidence=[_evidence(r[4][5], "row 8, Q5")])],
        pain_points=[
            Claim(text="Fees punish small orders.", evidence=[_evidence(r[2][5], "row 6, Q5")])
        ],
        behaviours=[
            Claim(text="Orders with flatmates.", evidence=[_evidence(r[2][6], "row 6, Q6")])
        ],
        quote=_evidence(r[4][5], "row 8, Q5"),
        participants=[r[4][0]],
    )
    verified = verify_personas([first, second], reading.passages)
    run = Run(
        model="llama3.2:3b",
        study="Grocery delivery · spring 2026",
        created_at=datetime(2026, 4, 2, 14, 30, tzinfo=UTC),
        files=[FileRef(name=SURVEY, sha256="0" * 64, size_bytes=len(data), kind="xlsx")],
        records=[PersonaRecord(draft=p) for p in verified],
        status="complete",
        speakers=speakers(reading.passages),
    )
    return run, reading.passages


def squash(text: str) -> str:
    """Text without whitespace: the PDF breaks lines. pypdf also puts a NUL before each glyph
    of the CID-keyed Japanese font (poppler reads it back exactly: see the screenshot test)."""
    return "".join(text.replace("\0", "").split())


def test_pdf_has_a_page_per_persona_with_every_quote_and_source(survey) -> None:
    run, _ = survey
    name, data, mime = export_run(run, "pdf")
    assert (name, mime) == (
        "grocery-delivery-spring-2026-personas-2026-04-02-1430.pdf".replace(
            "1430", f"{run.created_at.astimezone():%H%M}"
        ).replace("2026-04-02", f"{run.created_at.astimezone():%Y-%m-%d}"),
        "application/pdf",
    )
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == len(run.records), "one page per persona"
    for page, persona in zip(pages, run.personas, strict=True):
        flat = squash(page)
        assert squash(persona.name) in flat
        assert squash(persona.role) in flat
        for evidence in persona.all_evidence():
            assert squash(evidence.quote) in flat, evidence.quote
            where = ", ".join(part for part in cite(evidence) if part)
            assert squash(f"— {where} · {quote_verdict(evidence).label}") in flat
        assert "Coverage:" in page and "Verification:" in page
        assert "Represents" in page and "of 5 participants" in page
    invented = squash("“I love waiting all day.” — grocery_survey.xlsx · not found in your data")
    assert invented in squash(pages[0]), "an invented quote is flagged"
    assert "No quote supports this statement." in pages[0]
    for words in (NON_LATIN[1], NON_LATIN[2], "Ελένη Παπαδοπούλου", "Дизайнер"):
        assert all(word in "\n".join(pages) for word in words.split()), words
    assert squash(NON_LATIN[0]) in squash("".join(pages))
    assert not reader.is_encrypted and reader.metadata is not None
    assert reader.metadata.title and run.study in reader.metadata.title
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in cast(Any, page["/Resources"])["/Font"].values()
    }
    assert any("Arimo" in f for f in fonts) and any("NotoSansCJK" in f for f in fonts), fonts


def test_pdf_first_page_screenshot(survey, screenshots: Path) -> None:
    """The first page rendered by poppler (as a viewer would): the README's PDF screenshot."""
    run, _ = survey
    _, data, _ = export_run(run, "pdf")
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm (Debian's poppler-utils) renders the PDF for the docs screenshot"
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-",
            str(screenshots / "pdf-export"),
        ],
        input=data,
        check=True,
        timeout=60,
    )
    image = screenshots / "pdf-export.png"
    assert image.stat().st_size > 20_000
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert NON_LATIN[0] in text, "poppler reads the Japanese quote back exactly"


def test_pdf_without_non_latin_text_embeds_only_the_main_font(survey) -> None:
    run, _ = survey
    latin = run.model_copy(deep=True)
    latin.records = latin.records[:1]
    persona = latin.records[0].draft
    persona.pain_points = persona.pain_points[1:]
    persona.behaviours = []
    persona.goals[0].evidence = persona.goals[0].evidence[:1]
    _, data, _ = export_run(latin, "pdf")
    reader = PdfReader(io.BytesIO(data))
    fonts = {
        str(f.get_object()["/BaseFont"])
        for f in cast(Any, reader.pages[0]["/Resources"])["/Font"].values()
    }
    assert all("Arimo" in f for f in fonts), fonts


def test_docx_is_editable_with_every_persona_quote_and_source(survey) -> None:
    run, _ = survey
    name, data, mime = export_run(run, "docx")
    assert name.endswith(".docx") and mime == MIME_TYPES["docx"]
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    styles = {p.text: p.style.name for p in document.paragraphs if p.style is not None}
    assert document.core_properties.title == run.study
    for persona in run.personas:
        assert styles[persona.name] == "Heading 1"
        for evidence in persona.all_evidence():
            source = evidence.matched_source or evidence.source
            locator = evidence.matched_locator or evidence.locator
            where = ", ".join(part for part in (source, locator) if part)
            line = f"“{evidence.quote}” — {where} ({quote_verdict(evidence).label}"
            assert any(p.startswith(line) for p in paragraphs), line
    for text in NON_LATIN:
        assert any(text in p for p in paragraphs), text
    assert "Ελένη Παπαδοπούλου" in paragraphs
    assert styles["Goals"] == "Heading 2"
    assert any(
        p.startswith("Keep the same morning slot every week.") and "(2 quotes)" in p
        for p in paragraphs
    )


def test_markdown_shows_each_quote_in_context(survey) -> None:
    run, passages = survey
    without = export_run(run, "md")[1].decode()
    assert "In context" not in without, "no research text at hand, no excerpt"
    text = export_run(run, "md", passages)[1].decode()
    respondent = QUALTRICS_RESPONSES[0]
    assert f"> Answer \\({respondent[0].replace('_', chr(92) + '_')}\\): **" in text
    assert "> Question: What frustrates you most about grocery delivery\\?" in text
    kept = passages_from_copy(keep_copy(passages))
    assert export_run(run, "md", kept)[1].decode() == text, "the kept copy gives the same context"


def test_every_format_exports(survey) -> None:
    run, _ = survey
    for fmt in FORMATS:
        name, data, mime = export_run(run, fmt)
        assert name == file_name(run, fmt) and data and mime == MIME_TYPES[fmt]


def test_exports_never_overwrite(tmp_path: Path) -> None:
    first = write_new(tmp_path, "p.pdf", b"1")
    second = write_new(tmp_path, "p.pdf", b"2")
    third = write_new(tmp_path / "p.pdf", "ignored.pdf", b"3")
    assert [first.name, second.name, third.name] == ["p.pdf", "p-2.pdf", "p-3.pdf"]
    assert [p.read_bytes() for p in (first, second, third)] == [b"1", b"2", b"3"]
    nested = write_new(tmp_path / "new" / "folder", "x.md", b"x")
    assert nested == tmp_path / "new" / "folder" / "x.md"


WALL = [
    "Trimmed over-long text: age was 412 characters; trimmed to 40; "
    "bio was 2,310 characters; trimmed to 600",
    "Dana Whitfield is marked unusable: its goal is a number.",
    "The model wrote 1 usable persona(s) of the 2 asked.",
] * 6


@pytest.mark.parametrize(
    ("language", "goals", "pain_points", "page"),
    [
        ("German", "Ziele", "Probleme", "Seite"),
        ("Spanish", "Objetivos", "Puntos de dolor", "Página"),
        ("French", "Objectifs", "Points de friction", "Page"),
        ("Italian", "Obiettivi", "Punti critici", "Pagina"),
        ("Portuguese", "Objetivos", "Pontos de dor", "Página"),
        ("Dutch", "Doelen", "Pijnpunten", "Pagina"),
        ("Japanese", "目標", "課題", "ページ"),
        ("Swahili", "Goals", "Pain points", "Page"),
    ],
)
def test_handout_headings_are_in_the_study_language(
    survey, language: str, goals: str, pain_points: str, page: str
) -> None:
    run, _ = survey
    run = run.model_copy(update={"options": RunOptions(language=language)})
    markdown = export_run(run, "md")[1].decode()
    assert f"\n### {goals}\n" in markdown and f"\n### {pain_points}\n" in markdown
    if language != "Swahili":
        assert "\n### Goals\n" not in markdown
    document = docx.Document(io.BytesIO(export_run(run, "docx")[1]))
    styles = {p.text: p.style.name for p in document.paragraphs if p.style is not None}
    assert styles[goals] == "Heading 2" and styles[pain_points] == "Heading 2"
    pdf = PdfReader(io.BytesIO(export_run(run, "pdf")[1]))
    first = squash(pdf.pages[0].extract_text())
    assert squash(goals) in first and squash(f"{page} 1") in first


def test_exports_carry_a_short_status_not_the_wall(survey) -> None:
    run, _ = survey
    wall = "\n".join(WALL)
    run = run.model_copy(update={"status": "partial", "message": wall})
    expected = (
        "partial — 6 over-long ages trimmed; 6 over-long bios trimmed; 6 personas marked "
        "unusable; The model wrote 1 usable persona(s) of the 2 asked. (×6)"
    )
    markdown = export_run(run, "md")[1].decode()
    [status] = [line for line in markdown.splitlines() if line.startswith("- **Status:**")]
    assert status == f"- **Status:** ⚠ {expected}"
    paragraphs = [p.text for p in docx.Document(io.BytesIO(export_run(run, "docx")[1])).paragraphs]
    assert f"Status: {expected}" in paragraphs
    assert not any("2,310 characters" in p for p in paragraphs)
    pdf = squash(PdfReader(io.BytesIO(export_run(run, "pdf")[1])).pages[0].extract_text())
    assert squash(f"Status: {expected}") in pdf and "2,310characters" not in pdf
