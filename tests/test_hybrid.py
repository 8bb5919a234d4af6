"""Hybrid refinement end to end against the fake Messages API: consent, redaction, cost."""

from __future__ import annotations

import json

import pytest

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.records import PersonaRecord, Run
from persona.core.schema import Persona
from persona.generation.evidence import verify_personas
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.pricing import Budget, PriceTable
from persona.hybrid.refine import choose, frontier_only_cost, prepare, refine
from tests.fake_anthropic import INVENTED_QUOTE, FakeAnthropic
from tests.fakes import persona_dict

KEY = "sk-ant-test-key-123"
PII = ["Maria Gonzalez", "Gonzalez", "maria.g@example.com", "+49 170 1234567", "Tom Becker"]
PASSAGES = [
    Passage("maria.md", "line 1", "Participant: Maria Gonzalez (34, nurse)"),
    Passage("maria.md", "line 3", "Maria: I plan every meal on Sunday so the week stays calm."),
    Passage("maria.md", "line 5", "Maria: Write to me at maria.g@example.com or +49 170 1234567."),
    Passage("maria.md", "line 7", "Maria: I want to spend less than 80 euros a week on food."),
    Passage("tom.md", "line 1", "Participant: Tom Becker (71, retired)"),
    Passage("tom.md", "line 3", "Tom: The buttons are too small and I give up after one try."),
    Passage("tom.md", "line 5", "Tom: My grandson Tom Becker junior set it up for me."),
    Passage("tom.md", "line 7", "Tom: I only order when my daughter reminds me on Sunday."),
]


def drafts() -> list[Persona]:
    maria = persona_dict("Maria Planner", "Nurse", [PASSAGES[1], PASSAGES[2], PASSAGES[3]])
    maria["participants"] = ["Maria Gonzalez"]
    tom = persona_dict("Tom Careful", "Retired teacher", [PASSAGES[5], PASSAGES[6], PASSAGES[7]])
    tom["participants"] = ["Tom Becker"]
    return verify_personas([Persona.model_validate(maria), Persona.model_validate(tom)], PASSAGES)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "history.sqlite3")


@pytest.fixture
def run(store) -> Run:
    run = Run(kind="hybrid", model="llama3.2:3b", frontier_model="claude-sonnet-4-6")
    run.records = [PersonaRecord(draft=p) for p in drafts()]
    store.save(run)
    return run


@pytest.fixture
def fake():
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


def frontier(fake: FakeAnthropic, key: str = KEY) -> FrontierClient:
    return FrontierClient(key, base_url=fake.url, max_retries=2, timeout=10)


def preview_for(run: Run, **kwargs):
    args = {"model": "claude-sonnet-4-6", "threshold": 101.0, **kwargs}
    return prepare(run, PASSAGES, **args)


def drain(events) -> list:
    return list(events)


def test_prepare_sends_nothing_and_redacts(run, fake):
    preview = preview_for(run)
    assert fake.count(None) == 0  # the preview is built locally
    assert [item.selected for item in preview.items] == [True, True]
    for item in preview.items:
        for value in PII:
            assert value not in item.payload
    assert "[PERSON_" in preview.items[0].payload
    assert "[EMAIL_" in preview.items[0].payload and "[PHONE_" in preview.items[0].payload
    assert preview.estimated_usd > 0
    assert preview.redactor.counts()


def test_gate_threshold_selects_only_weak_drafts(run):
    low = preview_for(run, threshold=0.0)
    assert low.selected == []
    everything = preview_for(run, threshold=0.0, refine_all=True)
    assert len(everything.selected) == 2


def test_unverified_quotes_are_not_sent(run):
    run.records[0].draft.goals[0].evidence[0].verified = False
    preview = preview_for(run)
    assert run.records[0].draft.goals[0].evidence[0].quote not in preview.items[0].payload


def test_refine_restores_reverifies_and_records_usage(run, fake, store):
    preview = preview_for(run)
    events = drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(5.0)))
    assert events[-1].stage == "done" and "2 of 2 personas refined" in events[-1].message
    saved = store.get(run.id)
    for record in saved.records:
        refined = record.refined
        assert refined is not None and record.refine_error is None
        assert "They judge every new tool" in refined.bio
        text = refined.model_dump_json()
        assert "[PERSON_" not in text and "[EMAIL_" not in text
        assert all(e.verified for e in refined.all_evidence())
    assert saved.records[0].refined.participants == ["Maria Gonzalez"]
    usage = saved.usage["frontier"]
    assert usage["input_tokens"] > 0 and usage["cost_usd"] > 0
    assert set(usage["per_persona"]) == {"0", "1"}
    assert usage["frontier_only_usd"] > 0
    assert saved.status == "complete"


def test_no_pii_on_the_wire(run, fake, store):
    preview = preview_for(run)
    drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(5.0)))
    requests = fake.requests()
    assert requests, "nothing reached the fake server"
    for request in requests:
        wire = request.raw.decode("utf-8") if isinstance(request.raw, bytes) else str(request.raw)
        for value in PII:
            assert value not in wire
        assert KEY not in wire
        assert json.dumps(request.body).count(KEY) == 0


def test_invented_quote_is_flagged(run, fake, store):
    fake.push("invent_quote", "invent_quote")
    preview = preview_for(run)
    drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(5.0)))
    record = store.get(run.id).records[0]
    invented = [e for e in record.refined.all_evidence() if e.quote == INVENTED_QUOTE]
    assert invented and invented[0].verified is False
    assert any("not in your data" in reason for reason in record.score_reasons)


def test_wrong_key_keeps_drafts_and_stops(run, fake, store):
    preview = preview_for(run)
    events = drain(
        refine(run, preview, frontier(fake, "sk-ant-wrong"), PASSAGES, store, budget=Budget(5))
    )
    saved = store.get(run.id)
    assert all(r.refined is None for r in saved.records)
    assert all("Not sent" in r.refine_error for r in saved.records)
    assert all("sk-ant-wrong" not in r.refine_error for r in saved.records)
    assert saved.records[0].draft == run.records[0].draft
    assert saved.status == "partial"
    assert any(e.stage == "warning" for e in events)


def test_rate_limit_is_retried(run, fake, store):
    fake.push("rate_limit", "overloaded")
    preview = preview_for(run, refine_all=True)
    drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(5.0)))
    assert all(r.refined is not None for r in store.get(run.id).records)
    assert fake.count() == 4  # two failures retried, then two successes


def test_budget_cap_stops_calls(run, fake, store):
    preview = preview_for(run)
    drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(0.000001)))
    assert fake.count() == 0
    assert all("budget" in r.refine_error.lower() for r in store.get(run.id).records)


def test_unusable_answer_keeps_draft_and_counts_tokens(run, fake, store):
    fake.push("malformed", "malformed")
    preview = preview_for(run, refine_all=True)
    drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(5.0)))
    saved = store.get(run.id)
    assert saved.records[0].refined is None and "draft is kept" in saved.records[0].refine_error
    assert saved.records[1].refined is not None
    assert saved.usage["frontier"]["per_persona"]["0"]["input_tokens"] > 0


def test_choose_versions_and_fields(run, fake, store):
    preview = preview_for(run)
    drain(refine(run, preview, frontier(fake), PASSAGES, store, budget=Budget(5.0)))
    run = store.get(run.id)
    choose(run, 0, "draft", store)
    assert store.get(run.id).records[0].current == run.records[0].draft
    choose(run, 0, {"bio": "refined", "goals": "draft"}, store)
    current = store.get(run.id).records[0].current
    assert current.bio == run.records[0].refined.bio
    assert current.goals == run.records[0].draft.goals
    choose(run, 1, "refined", store)
    assert store.get(run.id).records[1].current == run.records[1].refined


def test_choose_without_refinement_is_explained(run, store):
    with pytest.raises(InputError, match="no refined version"):
        choose(run, 0, "refined", store)


def test_prepare_needs_drafts(store):
    with pytest.raises(InputError, match="no draft personas"):
        prepare(Run(model="m"), PASSAGES, model="claude-sonnet-4-6", threshold=50)


def test_frontier_only_costs_more_than_hybrid_input(run):
    big = PASSAGES * 200
    full = frontier_only_cost(big, 2, "claude-sonnet-4-6", PriceTable.load())
    preview = prepare(run, big, model="claude-sonnet-4-6", threshold=101)
    assert preview.input_tokens < full.input_tokens
