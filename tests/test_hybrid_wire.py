"""The privacy promises, checked on the wire, on data the redactor was not written against.

tests/data/hybrid_wire/ holds fresh transcripts and a survey (names in speaker labels, in
running text and in survey columns, e-mails, phone numbers). Drafts made from them, with
real names copied into every field a local model might fill, go through prepare and refine
against the fake Messages API, which records every request; then the same through the
`persona generate --hybrid` command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.core.records import PersonaRecord, Run
from persona.core.schema import Persona
from persona.generation.evidence import verify_personas
from persona.generation.pipeline import file_refs
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.preview import prepare
from persona.hybrid.refine import refine
from persona.ingest import Reading, read_paths
from tests.fake_anthropic import COUNT_TOKENS, MESSAGES, FakeAnthropic
from tests.fake_ollama import FakeOllama

FRESH = Path(__file__).resolve().parent / "data" / "hybrid_wire"
KEY = "sk-ant-wire-test-777"
NAMES = [
    "Chidi",
    "Okonkwo",
    "Ngozi",
    "Harriet",
    "Lindgren",
    "Beatriz",
    "Ferreira",
    "Kwame",
    "Saoirse",
    "Wojciech",
    "Zielinski",
    "Aroha",
    "Ngata",
    "Dmitri",
    "Volkov",
]
CONTACTS = [
    "chidi.okonkwo@mailbox.example",
    "w.zielinski@post.example",
    "aroha.ngata@kiwi.example",
    "dvolkov@inbox.example",
    "07700 900461",
    "020 7946 0321",
    "+48 601 234 567",
    "+64 21 555 0199",
    "+7 912 345 6789",
    "session_a_okonkwo",
    "session_b_ferreira",
]
UNVERIFIED = "Wojciech told me the pharmacy sells our data to Kwame Ltd."
ORDINARY = ["Text on the confirmation page", "children's hospital", "Small text", "Junior doctor"]


def quote(text: str, source: str, locator: str) -> dict[str, str]:
    return {"quote": text, "source": source, "locator": locator}


def claim(text: str, *evidence: dict[str, str]) -> dict[str, object]:
    return {"text": text, "evidence": list(evidence)}


A, B, S = "session_a_okonkwo.md", "session_b_ferreira.txt", "survey_pharmacy.csv"
DRAFTS = [
    {
        "name": "Dele the Night Driver",
        "age": "40-50",
        "role": "Bus driver",
        "bio": "Chidi Okonkwo (chidi.okonkwo@mailbox.example, 07700 900461) relies on his wife "
        "Ngozi and on Harriet Lindgren next door.",
        "goals": [
            claim(
                "Reorder the same medicines as Chidi did last month.",
                quote('One button that says "same as last month"', A, "line 16"),
                quote(UNVERIFIED, A, "line 99"),
            )
        ],
        "pain_points": [
            claim(
                "Small text; Ngozi has to help.",
                quote("Text on the confirmation page is too small", A, "line 10"),
                quote("My wife Ngozi usually does it on her phone", A, "line 8"),
            )
        ],
        "behaviours": [
            claim(
                "Asks neighbours to collect.",
                quote("my neighbour Harriet Lindgren collected my insulin", A, "line 12"),
            )
        ],
        "motivations": [],
        "quote": quote("This app is a nightmare, ask Dmitri Volkov", S, "row 4"),
        "participants": ["Chidi Okonkwo", "Chidi", "Ngozi"],
    },
    {
        "name": "Bea Busy",
        "age": "25-35",
        "role": "Junior doctor",
        "bio": "Beatriz Ferreira works at the children's hospital; Wojciech Zielinski and Aroha "
        "Ngata answered the survey with similar views.",
        "goals": [
            claim(
                "Renew prescriptions in a break.",
                quote("wanted to renew my asthma inhaler in the break", B, "line 4"),
            )
        ],
        "pain_points": [
            claim(
                "Payment fails; she calls Kwame on 020 7946 0321.",
                quote("so I rang Kwame at the pharmacy counter on 020 7946 0321", B, "line 5"),
            ),
            claim(
                "The repeat button moved.",
                quote(
                    "Finding the repeat prescription button, it moved after the update.", S, "row 2"
                ),
            ),
        ],
        "behaviours": [
            claim(
                "Shares the app with her flatmate Saoirse.",
                quote("My flatmate Saoirse uses the same app", B, "line 6"),
            )
        ],
        "motivations": [],
        "quote": quote("I would rather get one message the evening before", B, "line 8"),
        "participants": ["Beatriz Ferreira", "Wojciech Zielinski", "Aroha Ngata", "S03"],
    },
]


@pytest.fixture
def reading() -> Reading:
    reading = read_paths([str(FRESH)])
    assert reading.ok_count == 3
    return reading


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "history.sqlite3")


@pytest.fixture
def run(reading: Reading, store: Store) -> Run:
    personas = [Persona.model_validate(d) for d in DRAFTS]
    checked = verify_personas(personas, reading.passages)
    run = Run(kind="hybrid", model="local", frontier_model="claude-haiku-4-5")
    run.files = file_refs(reading)
    run.records = [PersonaRecord(draft=p) for p in checked]
    store.save(run)
    return run


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


def assert_clean(raw: str) -> None:
    """No real name, contact or unverified text in one recorded request."""
    for name in NAMES:
        assert re.search(rf"(?<![^\W\d_]){name}(?![^\W\d_])", raw, re.IGNORECASE) is None, name
    for value in CONTACTS:
        assert value.casefold() not in raw.casefold(), value
    assert "sells our data" not in raw and "nightmare" not in raw
    assert KEY not in raw


def test_the_drafts_hold_what_must_not_leave(run):
    draft = run.records[0].draft
    assert draft.goals[0].evidence[1].verified is False  # the unverified quote
    assert draft.quote.verified is False  # an invented representative quote
    assert draft.pain_points[0].evidence[0].verified is True


def test_nothing_leaves_before_consent_and_only_redacted_verified_text_after(
    run, reading, fake, store
):
    preview = prepare(
        run, reading.documents, model="claude-haiku-4-5", threshold=101.0, cap_usd=2.0
    )
    assert fake.count(None) == 0
    for item in preview.items:
        assert_clean(item.payload)
    client = FrontierClient(KEY, base_url=fake.url, max_retries=0, timeout=10)
    assert fake.count(None) == 0  # creating a client sends nothing
    events = list(refine(run, preview, client, store, consent=preview.consent))
    assert events[-1].stage == "done"
    recorded = fake.requests(None)
    assert {r.path for r in recorded} == {MESSAGES, COUNT_TOKENS}
    assert len(recorded) == 2 * fake.count(MESSAGES)  # one count before each message
    for request in recorded:
        assert_clean(request.raw)
        body = json.dumps(request.body, ensure_ascii=False)
        assert_clean(body)
    sent = " ".join(json.dumps(r.body, ensure_ascii=False) for r in fake.requests(MESSAGES))
    for ordinary in ORDINARY:  # ordinary words are left as they are
        assert ordinary in sent, ordinary
    saved = store.get(run.id)
    assert saved.records[0].refined is not None
    assert "Chidi Okonkwo" in saved.records[0].refined.bio  # restored on this machine


@pytest.fixture
def cli_env(monkeypatch, tmp_path, fake) -> Path:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
    return tmp_path


def cli(capsys, ollama: FakeOllama, out: Path, *extra: str) -> tuple[int, str]:
    code = main(
        [
            "generate",
            "--from",
            str(FRESH),
            "--model",
            "llama3.2:3b",
            "--count",
            "2",
            "--out",
            str(out),
            "--host",
            ollama.url,
            "--hybrid",
            "--frontier-model",
            "claude-haiku-4-5",
            "--refine-all",
            *extra,
        ]
    )
    return code, capsys.readouterr().err


def test_cli_without_a_key_stops_before_the_local_model(cli_env, fake, fake_ollama, capsys):
    code, err = cli(capsys, fake_ollama, cli_env / "out")
    assert code == EXIT_FAIL and "No Anthropic API key" in err
    assert fake_ollama.log("/api/chat") == [] and fake.count(None) == 0


def test_cli_without_confirmation_sends_nothing(cli_env, fake, fake_ollama, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code, err = cli(capsys, fake_ollama, cli_env / "out")
    assert code == EXIT_FAIL and "Nothing was sent" in err
    assert fake.count(None) == 0


def test_cli_with_yes_sends_only_redacted_text(cli_env, fake, fake_ollama, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code, err = cli(capsys, fake_ollama, cli_env / "out", "--yes", "--max-cost", "1")
    assert code == EXIT_OK, err
    assert "Replaced before sending:" in err and "at most $" in err
    assert fake.count(MESSAGES) >= 1
    for request in fake.requests(None):
        assert_clean(request.raw)


def test_cli_consent_says_the_study_already_went_to_a_remote_engine(
    cli_env, fake, fake_ollama, capsys, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    remote = "http://10.0.0.5:11434"
    with fake_ollama.answering_at(remote):
        code, err = cli(capsys, fake_ollama, cli_env / "out", "--host", remote)
    assert code == EXIT_FAIL and "Nothing was sent" in err and fake.count(None) == 0
    went = "Your study already went to the engine on 10.0.0.5:11434 for the drafts."
    assert "Drafts are made on 10.0.0.5:11434." in err
    assert err.index(went) < err.index("Quality gate")  # said before what is asked


def test_cli_consent_with_a_local_engine_says_nothing_of_another_machine(
    cli_env, fake, fake_ollama, capsys, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code, err = cli(capsys, fake_ollama, cli_env / "out")
    assert code == EXIT_FAIL and "Nothing was sent" in err  # no --yes, no terminal
    assert "Drafts are made on this machine." in err and "already went" not in err


def test_cli_with_a_zero_cap_sends_nothing_and_says_so(
    cli_env, fake, fake_ollama, capsys, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code, err = cli(capsys, fake_ollama, cli_env / "out", "--yes", "--max-cost", "0")
    assert code == EXIT_FAIL
    assert "is above your budget cap ($0.00)" in err and "--max-cost" in err
    assert "The last send sent nothing to Anthropic" in err
    assert fake.requests(None) == [], "not even a token count"
    assert list((cli_env / "out").iterdir()), "the drafts are still exported"
    [summary] = Store().list()
    saved = Store().get(summary.id)
    assert all(r.refine_error.startswith("Not sent") for r in saved.records)
    assert saved.usage.frontier["requests"] == 0


def test_cli_reports_dropped_citations_and_keeps_a_usable_draft(
    cli_env, fake, fake_ollama, capsys, monkeypatch
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    fake.push("cite_unknown_then_repeat", "repeat_claim")  # in one request or two
    code, err = cli(capsys, fake_ollama, cli_env / "out", "--yes", "--max-cost", "1")
    assert code == EXIT_OK, err
    assert err.count("passage ID(s) it was not given (P9999, P4242, Q1)") >= 1
    [summary] = Store().list()
    saved = Store().get(summary.id)
    looped = [r for r in saved.records if r.refined and r.refined.unusable]
    assert looped and "Claude's version is unusable" in err
    for record in looped:  # a usable draft is kept over an unusable refined version
        said = "its draft is unusable too" if record.draft.unusable else "the draft is kept"
        assert said in err and (record.current == record.draft) is (not record.draft.unusable)
