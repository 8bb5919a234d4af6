"""One verdict per concept: a quote's, a persona's and a run's, and every face shows the same.

The same run (a usable persona, an unusable one whose quotes are word for word, quotes not
found and not checked) goes through each export and the CLI; each must show the unusable
persona as unusable with its reasons, and the same verdict under every quote.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from persona.cli.commands import main
from persona.cli.exits import EXIT_OK
from persona.cli.report import print_verdicts
from persona.core.records import FileRef, PersonaRecord, Run
from persona.core.schema import Claim, Evidence, Persona
from persona.core.verdicts import (
    LABELS,
    PersonaStatus,
    QuoteVerdict,
    RunSummary,
    persona_status,
    quote_verdict,
    run_summary,
)
from persona.history.formats import export_run
from persona.history.store import Store

REASON = "12 of 12 claims cite the same passage (P4)"


def ev(quote: str, verified: bool | None = True, **kw) -> Evidence:
    return Evidence(quote=quote, source="p01.md", locator="line 4", verified=verified, **kw)


def persona(name: str, quotes: list[Evidence], unusable: list[str] | None = None) -> Persona:
    return Persona(
        name=name,
        age="30-40",
        role="Commuter",
        bio="Takes the first bus.",
        goals=[Claim(text=f"{name} wants a bus on time", evidence=quotes[1:])],
        pain_points=[Claim(text="Buses come late in winter")],
        behaviours=[Claim(text="Checks the timetable app daily")],
        quote=quotes[0],
        unusable=unusable or [],
    )


@pytest.fixture
def run() -> Run:
    good = persona(
        "Dana Ortiz",
        [ev("The first one comes at 6:52"), ev("I wait in the cold"), ev("I pay 16 euros", False)],
    )
    bad = persona(
        "Walter Lind",
        [ev("I can't trust the app"), ev("It is always late"), ev("Never on time", True)],
        unusable=[REASON],
    )
    unchecked = persona("Sofia Reyes", [ev("Not looked at yet", None), ev("Nor this", None)])
    return Run(
        created_at=datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
        model="llama3.2:3b",
        files=[FileRef(name="p01.md", sha256="a" * 64, size_bytes=10, kind="md")],
        records=[PersonaRecord(draft=p) for p in (good, bad, unchecked)],
        status="complete",
    )


SUMMARY = "2 usable personas of 3 · 5 of 8 quotes in your data"


def test_quote_verdicts_and_their_one_label() -> None:
    assert quote_verdict(ev("x")) == QuoteVerdict("in your data")
    assert quote_verdict(ev("x", False)).label == "not found in your data"
    assert quote_verdict(ev("x", None)).text == "⚠ not checked against your data"
    weak = quote_verdict(ev("x", weak_support=True, span_fallback=True))
    assert weak.in_data and weak.text == "✓ in your data" and len(weak.notes) == 2


def test_persona_status_comes_from_its_reasons() -> None:
    usable = persona("A B", [ev("q")])
    assert persona_status(usable) == PersonaStatus() and persona_status(usable).usable
    status = persona_status(persona("A B", [ev("q")], unusable=["r1", "r2"]))
    assert (status.usable, status.label, status.text) == (False, "unusable", "unusable: r1; r2")


def test_summary_counts_usable_personas_and_quotes_separately(run: Run) -> None:
    summary = run_summary(run.personas)
    assert summary == RunSummary(personas=3, usable=2, quotes=8, found=5, checked=6)
    assert summary.text == SUMMARY
    assert run.summary == summary


@pytest.mark.parametrize(
    ("summary", "text"),
    [
        (RunSummary(0, 0, 0, 0, 0), "No personas"),
        (RunSummary(1, 1, 1, 1, 1), "1 usable persona of 1 · 1 of 1 quote in your data"),
        (RunSummary(2, 0, 4, 0, 4), "0 usable personas of 2 · 0 of 4 quotes in your data"),
        (
            RunSummary(1, 1, 3, 0, 0),
            "1 usable persona of 1 · 3 quotes, not checked against your data",
        ),
        (RunSummary(1, 0, 0, 0, 0), "0 usable personas of 1 · no quotes"),
    ],
)
def test_summary_text(summary: RunSummary, text: str) -> None:
    assert summary.text == text


def _text(run: Run, face: str, capsys: pytest.CaptureFixture[str], out: Path) -> str:
    """What a face shows of ``run``, as text."""
    if face == "cli":  # `persona export`, as a user runs it, on the run saved in History
        Store().save(run)
        assert main(["export", run.id, "--format", "json", "--out", str(out)]) == EXIT_OK
        return capsys.readouterr().err
    _, data, _ = export_run(run, face)
    if face == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if face == "docx":
        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    return data.decode("utf-8-sig")


FACES = ["json", "md", "csv", "pdf", "docx", "cli"]


@pytest.mark.parametrize("face", FACES)
def test_every_face_marks_the_unusable_persona_with_its_reasons(
    run, face, capsys, tmp_path
) -> None:
    text = " ".join(_text(run, face, capsys, tmp_path).split())
    if face == "json":
        data = json.loads(text)
        statuses = [(p["name"], p["status"], p["unusable"]) for p in data["personas"]]
        assert statuses[1] == ("Walter Lind", "unusable", [REASON])
        assert [s[1] for s in statuses] == ["usable", "unusable", "usable"]
    else:
        assert re.search(r"unusable: 12 of 12 claims cite the same passage \(P4\)", text, re.I)
        rows = 5 if face == "csv" else 1  # the CSV says it on each of the persona's rows
        assert text.lower().count("unusable:") == rows


@pytest.mark.parametrize("face", [f for f in FACES if f != "cli"])
def test_every_face_shows_the_same_summary_and_verdicts(run, face, capsys, tmp_path) -> None:
    text = _text(run, face, capsys, tmp_path)
    flat = " ".join(text.split())
    if face == "json":
        data = json.loads(text)
        assert data["run"]["summary"] == SUMMARY
        verdicts = [
            q["verdict"]
            for p in data["personas"]
            for q in [p["quote"], *(e for c in p["goals"] for e in c["evidence"])]
        ]
    elif face == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        verdicts = [r["verified"].split(" ", 1)[1] for r in rows if r["quote"]]
        assert {r["status"] for r in rows if r["persona"] == "Walter Lind"} == {
            f"unusable: {REASON}"
        }
    else:
        assert SUMMARY in flat
        verdicts = re.findall(rf"p01\.md, line 4\W+({'|'.join(LABELS.values())})", flat)
    expected = [quote_verdict(e).label for p in run.personas for e in p.all_evidence()]
    assert verdicts == expected
    # The unusable persona's word-for-word quotes keep their own verdict.
    assert expected[3:6] == ["in your data"] * 3


def test_the_cli_shows_the_summary_and_each_personas_verdict(run, capsys) -> None:
    print_verdicts(run)
    err = capsys.readouterr().err
    assert SUMMARY in err
    assert "Dana Ortiz: usable · 2 of 3 quotes in your data" in err
    assert f"⚠ Walter Lind: unusable: {REASON} · 3 of 3 quotes in your data" in err
    assert "Sofia Reyes: usable · 2 quotes, not checked against your data" in err


def _cards(run_json: str) -> None:
    """The app's run view (cards, summary, exports), as the Generate and History pages show it."""
    from persona.core.records import Run
    from persona.dashboard.ui.cards import render_run

    render_run(Run.model_validate_json(run_json), key="verdicts")


def test_the_cards_show_the_same_summary_status_and_verdicts(run) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_cards, args=(run.model_dump_json(),), default_timeout=30)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.toggle(key="expand_verdicts").set_value(True).run()  # show every quote
    assert [i.value for i in at.info] == [SUMMARY]
    assert [e.value.replace("\\", "") for e in at.error] == [f"Unusable: {REASON}"]
    shown = "\n".join(str(m.value) for m in [*at.markdown, *at.caption]).replace("\\", "")
    verdicts = re.findall(rf"p01\.md, line 4 · ([✓⚠] (?:{'|'.join(LABELS.values())}))", shown)
    expected = [quote_verdict(e).text for p in run.personas for e in p.all_evidence()]
    assert sorted(verdicts) == sorted(expected)
    assert verdicts.count("✓ in your data") == 5
