"""Claude refines by reference: stand-ins that misbehave like real models never get a quote
through that is not word for word in the research files.

A study written for this test (two commuters, every line with times and prices), drafts that
cite all of it, and Claude stand-ins that change numbers and type quotes anyway, cite IDs
they were not given, loop on one claim, or invent a claim and cite a real passage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

from persona.core.documents import Document, Passage
from persona.core.records import FileRef, PersonaRecord, Run
from persona.core.schema import CLAIM_SECTIONS, Claim, Evidence, Persona
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.preview import Preview, prepare
from persona.hybrid.refine import dropped_text, refine
from persona.hybrid.spend import frontier_spend
from tests.fake_anthropic import INVENTED_CLAIM, UNKNOWN_IDS, FakeAnthropic

KEY = "sk-ant-reference-test"
MODEL = "claude-sonnet-4-6"
PEOPLE = {"nadia.txt": "Nadia", "olek.txt": "Olek"}
LINES = 13
"""Passages per participant: 12 claims and the representative quote, 26 quotes in all."""


def line(who: str, n: int) -> str:
    return (
        f"{who}: On day {n} the first train comes at 6:{10 + n:02d} and the monthly pass "
        f"costs {40 + n} euros."
    )


RAW = {name: "\n".join(line(who, n) for n in range(1, LINES + 1)) for name, who in PEOPLE.items()}
"""The research files as written on disk: quotes are checked against these, not passages."""


def documents() -> list[Document]:
    docs = []
    for name, who in PEOPLE.items():
        passages = [
            Passage(name, f"line {n}", text, participant=who)
            for n, text in enumerate(RAW[name].splitlines(), start=1)
        ]
        digest = hashlib.sha256(RAW[name].encode()).hexdigest()
        docs.append(Document(name, "text", digest, len(RAW[name]), passages))
    return docs


CLAIMS = {
    "Ines Early": [
        "Catches the first train of the morning without fail.",
        "Knows the first train timetable by heart.",
        "Counts the cost of the monthly pass carefully.",
        "Leaves home before dawn to reach the first train.",
        "Compares the train times on the station board daily.",
        "Worries that the monthly pass keeps getting dearer.",
        "Plans the whole morning around when the train comes.",
        "Keeps every monthly pass receipt for her tax return.",
        "Would switch to a cheaper pass if the railway offered one.",
        "Checks on her phone whether the train comes on time.",
        "Sets aside euros for travel at the start of each month.",
        "Wants the first train to stay reliable all winter.",
    ],
    "Pavel Punctual": [
        "Rides the earliest train to avoid the crowds.",
        "Writes the train departure times in a notebook.",
        "Thinks the pass costs too much for what it offers.",
        "Walks to the station because the bus comes too late.",
        "Tracks how many euros the commute costs each year.",
        "Resents paying more euros when the pass price rises.",
        "Arrives at the platform before the first train comes.",
        "Shares tips about the monthly pass with colleagues.",
        "Asks his employer to pay part of the monthly pass.",
        "Gets annoyed when the train comes late in the morning.",
        "Reads the news on the train during the ride.",
        "Hopes the first train will keep its early slot.",
    ],
}


def draft(document: Document, name: str) -> Persona:
    """A usable draft citing every line of one interview, one line per claim."""
    evidence = [
        Evidence(quote=p.text, source=p.source, locator=p.locator, verified=True)
        for p in document.passages
    ]
    texts = iter(CLAIMS[name])
    sections: dict[str, Any] = {
        section: [Claim(text=next(texts), evidence=[e]) for e in evidence[3 * i : 3 * i + 3]]
        for i, section in enumerate(CLAIM_SECTIONS)
    }
    return Persona(
        name=name,
        age="30-40",
        role="Commuter",
        bio=f"{name} takes the first train every day and counts every euro of the pass.",
        quote=evidence[-1],
        **sections,
    )


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "history.sqlite3")


@pytest.fixture
def run(store) -> Run:
    docs = documents()
    run = Run(kind="hybrid", model="llama3.2:3b")
    run.files = [
        FileRef(name=d.name, sha256=d.sha256, size_bytes=d.size_bytes, kind=d.kind) for d in docs
    ]
    run.records = [
        PersonaRecord(draft=draft(docs[0], "Ines Early")),
        PersonaRecord(draft=draft(docs[1], "Pavel Punctual")),
    ]
    store.save(run)
    return run


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


def preview_for(run: Run) -> Preview:
    return prepare(run, documents(), model=MODEL, threshold=101.0, refine_all=True, cap_usd=5.0)


def send(run: Run, fake: FakeAnthropic, store: Store, *scenarios: str) -> tuple[Run, Preview]:
    fake.push(*scenarios)
    preview = preview_for(run)
    client = FrontierClient(KEY, base_url=fake.url, max_retries=0)
    events = list(refine(run, preview, client, store, consent=preview.consent))
    assert events[-1].message.startswith("2 of 2 personas refined"), events[-1].message
    return store.get(run.id), preview


def in_the_files(quote: str) -> bool:
    """Word for word in a raw research file, at line boundaries here (each line a passage)."""
    return any(quote in RAW[name].splitlines() for name in RAW)


def bumped(text: str) -> str:
    last = list(re.finditer(r"\d+", text))[-1]
    return text[: last.start()] + str(int(last.group()) + 3) + text[last.end() :]


def test_the_changed_number_exploit_is_impossible(run, fake, store):
    """The old exploit: a stand-in that changes the last number of each quote got 26 of 26
    quotes "verified". By reference, its typed quotes are never read."""
    saved, _ = send(run, fake, store, "change_numbers", "change_numbers")
    quotes = [e for r in saved.records for e in r.refined.all_evidence()]
    assert len(quotes) == 2 * LINES + 2  # 12 claims, a motivation added, the quote
    assert all(in_the_files(e.quote) for e in quotes), "every quote word for word"
    assert all(e.verified for e in quotes)
    record_json = saved.model_dump_json()
    for name in RAW:
        for text in RAW[name].splitlines():
            assert bumped(text) not in record_json, "no changed quote is stored anywhere"
    assert [r.refined.participants for r in saved.records] == [["Nadia"], ["Olek"]]
    assert "Somebody Invented" not in record_json, "participants are derived, never typed"


def test_citations_of_ids_not_given_are_dropped_and_reported(run, fake, store):
    fake.push("cite_unknown", "cite_unknown")
    preview = preview_for(run)
    client = FrontierClient(KEY, base_url=fake.url, max_retries=0)
    events = list(refine(run, preview, client, store, consent=preview.consent))
    saved = store.get(run.id)
    spend = frontier_spend(saved)
    for index, record in enumerate(saved.records):
        given = set(preview.items[index].ids)
        refined = record.refined
        assert refined is not None
        assert {e.passage for e in refined.all_evidence()} <= given
        assert all(in_the_files(e.quote) for e in refined.all_evidence())
        orphan = next(c for c in refined.pain_points if "bus in the rain" in c.text)
        assert orphan.evidence == [] and not orphan.supported
        assert spend.per_persona[index].dropped == list(UNKNOWN_IDS)
    warnings = [e.message for e in events if e.stage == "warning"]
    assert warnings == [f"{r.draft.name}: {dropped_text(list(UNKNOWN_IDS))}" for r in run.records]


def test_a_claim_repeated_everywhere_is_unusable(run, fake, store):
    saved, _ = send(run, fake, store, "repeat_claim", "repeat_claim")
    for record in saved.records:
        assert record.refined.unusable, "the checks run on the refined version"
        assert all(in_the_files(e.quote) for e in record.refined.all_evidence())
        assert record.kept == "draft" and record.current == record.draft, "the draft is kept"


def test_an_invented_claim_citing_a_real_passage_is_weak(run, fake, store):
    saved, _ = send(run, fake, store, "invent_claim", "invent_claim")
    for record in saved.records:
        [invented] = [c for c in record.refined.pain_points if c.text == INVENTED_CLAIM]
        assert invented.evidence and all(in_the_files(e.quote) for e in invented.evidence)
        assert all(e.weak_support for e in invented.evidence)
        assert not invented.supported, "a real quote does not make an invented claim true"
