"""Exports: each format parses back, flags unverified quotes and keeps accents."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime

import pytest

from persona.core.errors import InputError
from persona.core.records import FileRef, PersonaRecord, Run, RunOptions
from persona.core.schema import Claim, Evidence, Persona
from persona.core.verdicts import QuoteVerdict, cite
from persona.history.export import CSV_COLUMNS, NO_QUOTE, to_csv, to_json, to_markdown
from persona.history.formats import export_run

VERIFIED = QuoteVerdict("in your data").text
NOT_FOUND = QuoteVerdict("not found").text
NOT_CHECKED = QuoteVerdict("not checked").text


def ev(quote: str, verified: bool | None = True, locator: str = "line 12", **kw) -> Evidence:
    return Evidence(quote=quote, source="interviews.md", locator=locator, verified=verified, **kw)


def zoe(role: str = "Responsable de café") -> Persona:
    return Persona(
        name="Zoë Müller",
        age="30-40",
        role=role,
        bio="Runs a café in Besançon.\nOpens at six.",
        goals=[Claim(text="Serve regulars fast", evidence=[ev("Je connais leurs prénoms")])],
        pain_points=[
            Claim(
                text="Till crashes at rush hour",
                evidence=[
                    ev('It froze, "again", at 8am', locator="line 3"),
                    ev("Invented quote about the till", verified=False),
                ],
            )
        ],
        behaviours=[Claim(text="Writes orders on paper", evidence=[])],
        motivations=[Claim(text="Pride in the craft", evidence=[ev("=SUM(A1) said nobody")])],
        quote=ev("Le café, c'est ma vie", locator="line 1"),
    )


def omar() -> Persona:
    return Persona(
        name="Omar Haddad",
        age="52",
        role="Supplier",
        bio="Delivers beans.",
        goals=[Claim(text="Get paid on time", evidence=[ev("-30 days is too long", None)])],
        pain_points=[Claim(text="Late invoices", evidence=[ev("Invoices come late")])],
        behaviours=[Claim(text="Calls instead of emailing", evidence=[ev("I just call")])],
        quote=ev("Beans don't wait", verified=None),
    )


@pytest.fixture
def run() -> Run:
    return Run(
        created_at=datetime(2026, 11, 24, 15, 30, tzinfo=UTC),
        kind="hybrid",
        model="llama3.2:3b",
        frontier_model="claude-sonnet",
        options=RunOptions(count=2, seed=7),
        files=[
            FileRef(name="interviews.md", sha256="a" * 64, size_bytes=900, kind="md", passages=40),
            FileRef(name="enquête.csv", sha256="b" * 64, size_bytes=300, kind="csv", passages=9),
        ],
        records=[
            PersonaRecord(draft=zoe("Barista"), refined=zoe(), score=0.8, score_reasons=["ok"]),
            PersonaRecord(draft=omar(), refine_error="Claude was rate limited."),
        ],
        status="partial",
        message="Refinement failed for 1 persona.",
        research_text="The whole private interview transcript.",
    )


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_json_parses_back_into_the_run(run: Run) -> None:
    data = json.loads(to_json(run))
    assert Run.model_validate(data["run"]) == run.model_copy(update={"research_text": None})
    assert data["run"]["summary"] == "2 usable personas of 2 · 6 of 9 quotes in your data"
    assert [Persona.model_validate(p) for p in data["personas"]] == run.personas
    assert [p["status"] for p in data["personas"]] == ["usable", "usable"]
    verdicts = [e["verdict"] for e in data["personas"][0]["pain_points"][0]["evidence"]]
    assert verdicts == ["in your data", "not found in your data"]


def test_json_keeps_drafts_refined_versions_and_flags(run: Run) -> None:
    text = to_json(run)
    data = json.loads(text)
    first = data["run"]["records"][0]
    assert (first["draft"]["role"], first["refined"]["role"]) == ("Barista", "Responsable de café")
    flags = [e["verified"] for e in first["refined"]["pain_points"][0]["evidence"]]
    assert flags == [True, False]
    assert "Zoë Müller" in text  # not \u-escaped
    assert "private interview transcript" not in text


def test_markdown_has_every_persona_claim_and_quote(run: Run) -> None:
    md = to_markdown(run)
    for persona in run.personas:
        assert f". {persona.name}\n" in md
        assert persona.role in md
        for _, claim in persona.claims():
            assert f"- {claim.text}\n" in md
        for evidence in persona.all_evidence():
            assert f'"{evidence.quote}"' in md


@pytest.mark.parametrize(
    "line",
    [
        '  > "Invented quote about the till" — interviews.md, line 12 ⚠ not found in your data',
        '  > "It froze, "again", at 8am" — interviews.md, line 3 ✓ in your data',
        "  > ⚠ no quote supports this",
        '> "Beans don\'t wait" — interviews.md, line 12 ⚠ not checked against your data',
        '> "Le café, c\'est ma vie" — interviews.md, line 1 ✓ in your data',
        "- **Model:** llama3.2:3b, refined with claude-sonnet",
        "- **Files:** interviews.md, enquête.csv",
        "- **Verification:** 2 usable personas of 2 · 6 of 9 quotes in your data",
        "- **Status:** ⚠ partial — Refinement failed for 1 persona.",
        "⚠ Refinement failed, draft shown: Claude was rate limited.",
        "**Score:** 0.8 — ok",
        "**Role:** Responsable de café · **Age:** 30-40",
        "Runs a café in Besançon. Opens at six.",
        "## 2. Omar Haddad",
    ],
)
def test_markdown_lines(run: Run, line: str) -> None:
    assert line in to_markdown(run).splitlines()


def test_markdown_separates_quotes_of_one_claim(run: Run) -> None:
    md = to_markdown(run)
    assert 'at 8am" — interviews.md, line 3 ✓ in your data\n  >\n  > "Invented' in md


def test_markdown_header_of_a_complete_run_has_no_status(run: Run, utc: None) -> None:
    md = to_markdown(run.model_copy(update={"status": "complete"}))
    assert md.startswith("# Personas — 2026-11-24 15:30 UTC\n")
    assert "**Status:**" not in md


def csv_rows(run: Run) -> list[list[str]]:
    return list(csv.reader(io.StringIO(to_csv(run))))


def test_csv_has_one_row_per_quote_or_unsupported_claim(run: Run) -> None:
    header, *rows = csv_rows(run)
    assert tuple(header) == CSV_COLUMNS
    assert len(rows) == 6 + 4
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    assert [row[:3] for row in rows[:6]] == [
        ["Zoë Müller", "usable", "quote"],
        ["Zoë Müller", "usable", "goals"],
        ["Zoë Müller", "usable", "pain_points"],
        ["Zoë Müller", "usable", "pain_points"],
        ["Zoë Müller", "usable", "behaviours"],
        ["Zoë Müller", "usable", "motivations"],
    ]


@pytest.mark.parametrize(
    ("claim", "quote", "verified"),
    [
        ("Till crashes at rush hour", 'It froze, "again", at 8am', VERIFIED),
        ("Till crashes at rush hour", "Invented quote about the till", NOT_FOUND),
        ("Writes orders on paper", "", NO_QUOTE),
        ("Get paid on time", "'-30 days is too long", NOT_CHECKED),
        ("Pride in the craft", "'=SUM(A1) said nobody", VERIFIED),
        ("", "Le café, c'est ma vie", VERIFIED),
    ],
)
def test_csv_cells(run: Run, claim: str, quote: str, verified: str) -> None:
    rows = [row for row in csv_rows(run)[1:] if row[CSV_COLUMNS.index("quote")] == quote]
    assert len(rows) == 1
    assert (rows[0][CSV_COLUMNS.index("claim")], rows[0][CSV_COLUMNS.index("verified")]) == (
        claim,
        verified,
    )


def test_csv_keeps_multiline_text_in_one_cell(run: Run) -> None:
    run.records[1].draft.goals[0].text = "Get paid\non time, always"
    rows = [row for row in csv_rows(run) if row[0] == "Omar Haddad"]
    assert "Get paid\non time, always" in [row[CSV_COLUMNS.index("claim")] for row in rows]


def test_cite_prefers_where_the_quote_was_found() -> None:
    found = ev("x", matched_source="survey.csv", matched_locator="row 4")
    assert cite(found) == ("survey.csv", "row 4")
    assert cite(found.model_copy(update={"verified": False})) == ("interviews.md", "line 12")
    assert cite(ev("x")) == ("interviews.md", "line 12")


@pytest.mark.parametrize(
    ("fmt", "name", "mime"),
    [
        ("json", "personas-2026-11-24-1530.json", "application/json"),
        ("md", "personas-2026-11-24-1530.md", "text/markdown"),
        ("csv", "personas-2026-11-24-1530.csv", "text/csv"),
    ],
)
def test_export(run: Run, utc: None, fmt: str, name: str, mime: str) -> None:
    filename, data, mimetype = export_run(run, fmt)
    assert (filename, mimetype) == (name, mime)
    assert re.fullmatch(r"[a-z0-9.-]+", filename)
    assert data.startswith(b"\xef\xbb\xbf") is (fmt == "csv")
    text = data.decode("utf-8-sig")
    assert "Zoë Müller" in text
    assert "Le café, c'est ma vie" in text
    assert (NOT_FOUND if fmt != "json" else '"verified": false') in text


def test_export_csv_opens_as_utf8_with_bom(run: Run) -> None:
    _, data, _ = export_run(run, "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == csv_rows(run)


def test_export_rejects_an_unknown_format(run: Run) -> None:
    with pytest.raises(InputError, match="json, md, csv, pdf, docx"):
        export_run(run, "xls")
