"""Hybrid refinement end to end against the fake Messages API: consent, redaction, cost."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import replace

import pytest

from persona.core.documents import Document, Passage
from persona.core.errors import InputError
from persona.core.progress import Progress
from persona.core.records import FileRef, PersonaRecord, Run
from persona.core.schema import Persona
from persona.generation.evidence import verify_personas
from persona.history.store import Store
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.consent import ConsentError
from persona.hybrid.payload import REQUESTS
from persona.hybrid.preview import Preview, frontier_only_cost, prepare
from persona.hybrid.pricing import PriceTable
from persona.hybrid.refine import refine
from persona.hybrid.sources import WrongFiles
from persona.hybrid.spend import frontier_spend
from persona.hybrid.versions import choose
from tests.fake_anthropic import COUNT_TOKENS, MESSAGES, FakeAnthropic, fake_token_count
from tests.fakes import persona_dict

KEY = "sk-ant-test-key-123"
MODEL = "claude-sonnet-4-6"
PII = [
    "Maria Gonzalez",
    "Gonzalez",
    "maria.g@example.com",
    "+49 170 1234567",
    "Tom Becker",
    "maria_gonzalez",
    "tom_becker",
]
MARIA_FILE, TOM_FILE = "01_maria_gonzalez.md", "02_tom_becker.md"
MARIA, TOM = "Maria Gonzalez", "Tom Becker"
PASSAGES = [
    Passage(MARIA_FILE, "line 1", "Participant: Maria Gonzalez (34, nurse)", citable=False),
    Passage(MARIA_FILE, "line 3", "Maria: I plan every meal on Sunday so the week stays calm."),
    Passage(MARIA_FILE, "line 5", "Maria: Write to me at maria.g@example.com or +49 170 1234567."),
    Passage(MARIA_FILE, "line 7", "Maria: I want to spend less than 80 euros a week on food."),
    Passage(TOM_FILE, "line 1", "Participant: Tom Becker (71, retired)", citable=False),
    Passage(TOM_FILE, "line 3", "Tom: The buttons are too small and I give up after one try."),
    Passage(TOM_FILE, "line 5", "Tom: My grandson Tom Becker junior set it up for me."),
    Passage(TOM_FILE, "line 7", "Tom: I only order when my daughter reminds me on Sunday."),
]
PASSAGES = [
    replace(p, participant=MARIA if p.source == MARIA_FILE else TOM) if p.citable else p
    for p in PASSAGES
]


def documents(passages: Sequence[Passage] = PASSAGES) -> list[Document]:
    by_file: dict[str, list[Passage]] = {}
    for passage in passages:
        by_file.setdefault(passage.source, []).append(passage)
    return [
        Document(
            name,
            "text",
            hashlib.sha256("\n".join(p.text for p in items).encode()).hexdigest(),
            100,
            items,
        )
        for name, items in by_file.items()
    ]


def drafts() -> list[Persona]:
    maria = persona_dict("Maria Planner", "Nurse", [PASSAGES[1], PASSAGES[2], PASSAGES[3]])
    maria["participants"] = ["Maria Gonzalez"]
    tom = persona_dict("Tom Careful", "Retired teacher", [PASSAGES[5], PASSAGES[6], PASSAGES[7]])
    tom["participants"] = ["Tom Becker"]
    tom["goals"][0]["text"] = "Wants buttons large enough to press on the first try."
    tom["pain_points"][0]["text"] = "Needs his grandson to set the app up for him."
    tom["behaviours"][0]["text"] = "Orders only when his daughter reminds him on Sunday."
    return verify_personas([Persona.model_validate(maria), Persona.model_validate(tom)], PASSAGES)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "history.sqlite3")


@pytest.fixture
def run(store) -> Run:
    run = Run(kind="hybrid", model="llama3.2:3b", frontier_model="claude-haiku-4-5")
    run.files = [
        FileRef(name=d.name, sha256=d.sha256, size_bytes=d.size_bytes, kind=d.kind)
        for d in documents()
    ]
    run.records = [PersonaRecord(draft=p) for p in drafts()]
    store.save(run)
    return run


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


def frontier(fake: FakeAnthropic, key: str = KEY) -> FrontierClient:
    return FrontierClient(key, base_url=fake.url, max_retries=2, timeout=10)


def preview_for(run: Run, **kwargs) -> Preview:
    args = {"model": MODEL, "threshold": 101.0, "cap_usd": 5.0, "plan": "separate", **kwargs}
    return prepare(run, documents(), **args)


def send(run: Run, preview: Preview, fake: FakeAnthropic, store: Store) -> list[Progress]:
    return list(refine(run, preview, frontier(fake), store, consent=preview.consent))


def wire(fake: FakeAnthropic) -> list[str]:
    return [str(request.raw) for request in fake.requests(None)]


def test_prepare_sends_nothing_and_redacts_every_string(run, fake):
    preview = preview_for(run)
    assert fake.count(None) == 0  # the preview is built locally
    assert [item.selected for item in preview.items] == [True, True]
    for item in preview.items:
        for value in PII:
            assert value.casefold() not in item.payload.casefold()
        for source in (MARIA_FILE, TOM_FILE):
            assert source not in item.payload
        assert item.mode == "refine" and REQUESTS["refine"] in item.payload
    sent = preview.items[0].data
    assert set(sent) == {"persona", "passages"} and "participants" not in sent["persona"]
    ids = preview.items[0].ids
    assert [p["id"] for p in sent["passages"]] == ids and len(ids) == 3
    assert [c["passages"] for c in sent["persona"]["goals"]] == [[ids[0]]]
    assert sent["passages"][0]["text"].startswith("[PERSON_")  # "Maria:" is a name
    assert "[EMAIL_" in preview.items[0].payload and "[PHONE_" in preview.items[0].payload
    replaced = preview.replaced()
    assert replaced["e-mail address"] == 1 and replaced["phone number"] == 1
    assert replaced["names"] >= 2
    assert preview.estimated_usd > 0 and preview.ceiling_usd >= preview.estimated_usd


def test_counts_cover_only_what_is_sent(run):
    only_tom = preview_for(run, threshold=0.0)
    assert only_tom.replaced() == {}
    only_tom.items[1].selected = True
    counts = only_tom.replaced()
    assert "e-mail address" not in counts  # Maria's e-mail is in the draft not sent
    assert counts.get("names", counts.get("name", 0)) >= 1


def test_gate_threshold_selects_only_weak_drafts(run):
    low = preview_for(run, threshold=0.0)
    assert low.selected == []
    everything = preview_for(run, threshold=0.0, refine_all=True)
    assert len(everything.selected) == 2


@pytest.mark.parametrize("where", ["claim", "representative"])
def test_unverified_quotes_are_not_sent(run, where):
    draft = run.records[0].draft
    evidence = draft.goals[0].evidence[0] if where == "claim" else draft.quote
    evidence.quote = "I secretly hate the colour of the logo, really."
    evidence.verified = False
    preview = preview_for(run)
    sent = preview.items[0].data["persona"]
    assert preview.items[0].withheld == 1
    if where == "representative":
        assert "quote" not in sent
    else:
        assert sent["goals"][0]["passages"] == []


def test_quotes_not_said_by_a_participant_are_not_sent(run, store):
    question = Passage(MARIA_FILE, "line 2", "Interviewer: Do you plan meals ahead?", citable=False)
    passages = [*PASSAGES[:1], question, *PASSAGES[1:]]
    draft = run.records[0].draft
    draft.goals[0].evidence[0].quote = "Do you plan meals ahead?"
    [checked] = verify_personas([draft], passages)
    assert checked.goals[0].evidence[0].verified is False, "context is never evidence"
    run.records[0].draft = checked
    docs = documents(passages)
    run.files = [FileRef(name=d.name, sha256=d.sha256, size_bytes=1, kind="text") for d in docs]
    preview = prepare(run, docs, model=MODEL, threshold=101.0, cap_usd=1.0)
    assert "Do you plan meals ahead" not in preview.items[0].payload
    assert preview.items[0].withheld == 1


def test_refine_restores_reverifies_and_records_usage(run, fake, store):
    preview = preview_for(run)
    events = send(run, preview, fake, store)
    assert events[-1].stage == "done" and "2 of 2 personas refined" in events[-1].message
    saved = store.get(run.id)
    for record in saved.records:
        refined = record.refined
        assert refined is not None and record.refine_error is None
        assert "They judge every new tool" in refined.bio
        text = refined.model_dump_json()
        assert "[PERSON_" not in text and "[EMAIL_" not in text and "[FILE_" not in text
        assert all(e.verified for e in refined.all_evidence())
        assert {e.quote for e in refined.all_evidence()} <= {p.text for p in PASSAGES}
        assert {e.source for e in refined.all_evidence()} <= {MARIA_FILE, TOM_FILE}
    assert saved.records[0].refined.participants == [MARIA], "derived from the passages"
    assert saved.records[1].refined.participants == [TOM]
    usage = saved.usage.frontier
    assert usage["input_tokens"] > 0 and usage["cost_usd"] > 0 and usage["calls"] == 2
    assert usage["requests"] == 4 and usage["sends"] == 1  # two counts, two messages
    assert set(usage["per_persona"]) == {"0", "1"}
    assert usage["frontier_only_usd"] > 0 and usage["interrupted"] is False
    assert usage["model"] == MODEL and saved.frontier_model == MODEL  # the model used
    assert saved.status == "complete"
    spend = frontier_spend(saved)  # the typed view pages and the CLI read
    assert spend is not None and spend.model == MODEL and not spend.interrupted
    assert spend.cost_usd == usage["cost_usd"] and spend.input_tokens == usage["input_tokens"]
    assert sorted(spend.per_persona) == [0, 1]
    assert spend.per_persona[1].cost_usd == usage["per_persona"]["1"]["cost_usd"]
    assert spend.costs_more is (usage["cost_usd"] > usage["frontier_only_usd"])


def test_no_spend_before_a_refinement(run):
    assert frontier_spend(run) is None


def test_no_personal_data_on_the_wire(run, fake, store):
    send(run, preview_for(run), fake, store)
    assert fake.count(MESSAGES) == 2 and fake.count(COUNT_TOKENS) == 2
    for raw in wire(fake):
        for value in PII:
            assert value.casefold() not in raw.casefold()
        assert KEY not in raw


def test_nothing_is_sent_without_matching_consent(run, fake, store):
    preview = preview_for(run)
    with pytest.raises(ConsentError, match="agree to the preview first"):
        list(refine(run, preview, frontier(fake), store, consent=None))
    other_model = preview_for(run, model="claude-opus-4-6")
    with pytest.raises(ConsentError, match="model changed"):
        list(refine(run, other_model, frontier(fake), store, consent=preview.consent))
    dearer = preview_for(run, cap_usd=50.0)
    with pytest.raises(ConsentError, match="budget cap changed"):
        list(refine(run, dearer, frontier(fake), store, consent=preview.consent))
    run.records[0].draft.bio = "Changed after the preview."
    edited = preview_for(run)
    with pytest.raises(ConsentError, match="what is sent changed for Maria Planner"):
        list(refine(run, edited, frontier(fake), store, consent=preview.consent))
    assert fake.count(None) == 0


@pytest.mark.parametrize("which", ["missing", "changed", "extra"])
def test_files_must_be_the_runs_files(run, which):
    docs = documents()
    if which == "missing":
        docs = docs[:1]
    elif which == "changed":
        docs[1] = Document(TOM_FILE, "text", "0" * 64, 1, docs[1].passages)
    else:
        docs.append(Document("other.md", "text", "f" * 64, 1, [Passage("other.md", "l", "x")]))
    with pytest.raises(WrongFiles) as caught:
        prepare(run, docs, model=MODEL, threshold=101.0)
    named = "other.md" if which == "extra" else TOM_FILE
    assert named in str(caught.value) and "Nothing was sent" in str(caught.value)


def test_a_pseudonym_longer_than_the_name_never_breaks_a_limit(run, fake, store):
    record = run.records[0]
    record.draft.name = ("Tom, " * 20)[:100]
    preview = preview_for(run)
    assert len(preview.items[0].data["persona"]["name"]) > 100  # longer once redacted
    send(run, preview, fake, store)
    refined = store.get(run.id).records[0].refined
    assert refined is not None and refined.name == record.draft.name


def test_wrong_key_keeps_drafts_and_stops(run, fake, store):
    preview = preview_for(run)
    events = list(
        refine(run, preview, frontier(fake, "sk-ant-wrong"), store, consent=preview.consent)
    )
    saved = store.get(run.id)
    assert all(r.refined is None for r in saved.records)
    assert all("Not sent" in r.refine_error for r in saved.records)
    assert all("sk-ant-wrong" not in r.refine_error for r in saved.records)
    assert saved.records[0].draft == run.records[0].draft
    assert saved.status == "partial"
    assert saved.usage.frontier["cost_usd"] == 0
    assert any(e.stage == "warning" for e in events)


def test_rate_limit_is_retried(run, fake, store):
    fake.push("rate_limit", "overloaded")
    send(run, preview_for(run, refine_all=True), fake, store)
    assert all(r.refined is not None for r in store.get(run.id).records)
    assert fake.count() == 4  # two failures retried, then two successes


@pytest.mark.parametrize("cap", [0.0, 0.000001])
def test_a_cap_below_the_estimate_sends_nothing_at_all(run, fake, store, cap):
    preview = preview_for(run, cap_usd=cap)
    assert "above your budget cap" in preview.over_budget
    events = send(run, preview, fake, store)
    assert fake.requests(None) == [], "not a message, not a token count"
    saved = store.get(run.id)
    assert all(r.refine_error.startswith("Not sent: the estimated cost") for r in saved.records)
    assert all(r.refined is None for r in saved.records)
    usage = saved.usage.frontier
    assert usage["requests"] == 0 and usage["calls"] == 0 and usage["cost_usd"] == 0
    assert "The last send sent nothing to Anthropic" in frontier_spend(saved).summary
    assert [e.stage for e in events].count("warning") == 2


def test_count_tokens_waits_for_a_local_estimate_that_fits(run, fake, store):
    """The first answer is billed at its longest and spends the budget: the second draft is
    refused on the local estimate, before even its tokens are counted."""
    preview = preview_for(run)
    cap = preview.estimated_usd * 1.2
    preview = preview_for(run, cap_usd=cap)
    assert not preview.over_budget
    fake.push("maxed")
    send(run, preview, fake, store)
    assert fake.count(COUNT_TOKENS) == 1 and fake.count(MESSAGES) == 1
    saved = store.get(run.id)
    assert saved.records[0].refined is not None
    assert "budget" in saved.records[1].refine_error and "Nothing more was sent" in (
        saved.records[1].refine_error
    )
    usage = saved.usage.frontier
    assert usage["requests"] == 2 and usage["cost_usd"] <= cap


def test_each_retry_is_charged_and_counted(run, fake, store):
    fake.push("rate_limit", "server_error")
    send(run, preview_for(run), fake, store)
    usage = store.get(run.id).usage.frontier
    assert usage["calls"] == 4, "two failed attempts, each paid through the meter"
    assert usage["requests"] == 6 and fake.count(None) == 6


def test_a_second_send_adds_to_the_saved_spend(run, fake, store):
    send(run, preview_for(run), fake, store)
    first = store.get(run.id).usage.frontier
    run = store.get(run.id)
    send(run, preview_for(run), fake, store)
    total = store.get(run.id).usage.frontier
    assert total["sends"] == 2 and total["requests"] == 2 * first["requests"]
    assert total["input_tokens"] > first["input_tokens"]
    second = total["last_send"]["cost_usd"]
    assert total["cost_usd"] == pytest.approx(first["cost_usd"] + second)
    per = total["per_persona"]["0"]["input_tokens"]
    assert per > first["per_persona"]["0"]["input_tokens"]
    spend = frontier_spend(store.get(run.id))
    assert spend.sends == 2 and spend.cost_usd == total["cost_usd"]
    assert "over 2 sends" in spend.summary


def test_forced_worst_case_the_cap_holds(run, fake, store):
    """Every answer as long as allowed and invalid (so it is repaired): the cap still holds."""
    cap = 0.05
    price = PriceTable.load().price_for(MODEL)
    assert 4 * price.cost_usd(0, 4096) > cap  # uncapped, these answers would cost more
    fake.push(*["maxed_invalid"] * 8)
    preview = preview_for(run, cap_usd=cap, refine_all=True)
    send(run, preview, fake, store)
    calls = fake.requests(MESSAGES)
    assert calls, "the budget paid for no call at all"
    billed = sum(price.cost_usd(fake_token_count(c.body), c.body["max_tokens"]) for c in calls)
    usage = store.get(run.id).usage.frontier
    assert usage["cost_usd"] == pytest.approx(billed, rel=1e-6)
    assert billed <= cap
    assert all(c.body["max_tokens"] <= 4096 for c in calls)
    assert any(c.body["max_tokens"] < 4096 for c in calls)  # the budget shortened a call
    assert any("budget" in (r.refine_error or "") for r in store.get(run.id).records)


def test_an_interrupted_refinement_records_its_spend(run, fake, store):
    preview = preview_for(run)
    steps = refine(run, preview, frontier(fake), store, consent=preview.consent)
    for event in steps:
        if event.message.endswith("refined"):
            break
    steps.close()  # a rerun, a closed tab
    saved = store.get(run.id)
    usage = saved.usage.frontier
    assert usage["interrupted"] is True and usage["cost_usd"] > 0
    assert saved.status == "interrupted" and "$" in saved.message
    assert saved.records[0].refined is not None
    assert saved.records[1].refined is None and "stopped" in saved.records[1].refine_error


def test_ctrl_c_during_a_call_keeps_the_worst_case_charge(run, fake, store, monkeypatch):
    preview = preview_for(run)
    client = frontier(fake)
    original = client._client.messages.create

    def interrupted(**kwargs):
        original(**kwargs)  # the call reached Claude and may be billed...
        raise KeyboardInterrupt  # ...but the answer never arrives

    monkeypatch.setattr(client._client.messages, "create", interrupted)
    with pytest.raises(KeyboardInterrupt):
        list(refine(run, preview, client, store, consent=preview.consent))
    usage = store.get(run.id).usage.frontier
    assert usage["interrupted"] is True
    assert usage["uncertain_usd"] > 0 and usage["cost_usd"] == usage["uncertain_usd"]
    assert usage["cost_usd"] <= preview.cap_usd


def test_unusable_answer_keeps_draft_and_counts_tokens(run, fake, store):
    fake.push("malformed", "malformed")
    send(run, preview_for(run, refine_all=True), fake, store)
    saved = store.get(run.id)
    assert saved.records[0].refined is None and "draft is kept" in saved.records[0].refine_error
    assert saved.records[1].refined is not None
    assert saved.usage.frontier["per_persona"]["0"]["input_tokens"] > 0


def test_choose_versions_and_fields(run, fake, store):
    send(run, preview_for(run), fake, store)
    run = store.get(run.id)
    choose(run, 0, "draft", store, passages=PASSAGES)
    assert store.get(run.id).records[0].current == run.records[0].draft
    choose(run, 0, {"bio": "refined", "goals": "draft"}, store, passages=PASSAGES)
    current = store.get(run.id).records[0].current
    assert current.bio == run.records[0].refined.bio
    assert [g.text for g in current.goals] == [g.text for g in run.records[0].draft.goals]
    assert current.participants == [MARIA] and all(e.verified for e in current.all_evidence())
    assert store.get(run.id).records[0].kept == "fields"
    choose(run, 1, "refined", store, passages=PASSAGES)
    assert store.get(run.id).records[1].current == run.records[1].refined
    assert store.get(run.id).records[1].kept == "refined"


def test_which_version_is_kept(run, fake, store):
    assert run.records[0].kept == "draft", "not refined: the draft"
    send(run, preview_for(run), fake, store)
    run = store.get(run.id)
    assert run.records[0].kept == "refined", "refined and not chosen yet: the refined version"
    choose(run, 0, "draft", store, passages=PASSAGES)
    assert store.get(run.id).records[0].kept == "draft"


def test_choose_without_refinement_is_explained(run, store):
    with pytest.raises(InputError, match="no refined version"):
        choose(run, 0, "refined", store, passages=PASSAGES)


def test_prepare_needs_drafts(store):
    with pytest.raises(InputError, match="no draft personas"):
        prepare(Run(model="m"), documents(), model=MODEL, threshold=50)


def test_frontier_only_costs_more_than_hybrid_input(run):
    big = PASSAGES * 200
    full = frontier_only_cost(big, 2, MODEL, PriceTable.load())
    preview = preview_for(run)
    assert preview.input_tokens < full.input_tokens
    assert not preview.costs_more or preview.estimated_usd > preview.frontier_only.usd


LONG_CLAIMS = [
    "Writes a shopping list on the fridge every Sunday evening before the week starts.",
    "Compares supermarket prices on three different apps before she orders anything online.",
    "Cooks large batches of soup and freezes them in labelled boxes for busy weekdays.",
    "Asks her teenage children to choose one dinner each week so they eat together.",
    "Keeps receipts in a shoebox and adds them up with a calculator at the end of the month.",
    "Orders groceries late at night after her shift because the delivery slots are cheaper.",
    "Plans leftovers into the next lunch so that nothing cooked ever goes to waste.",
    "Switches brands whenever a discount appears, even for products the family likes.",
    "Checks the delivery status repeatedly because late orders ruin the evening meal.",
    "Gives up on recipes that need rare spices she cannot find at the corner shop.",
    "Pays for a yearly delivery pass only when the first month is offered for free.",
    "Sets a phone reminder for the weekly order so that Sunday planning is never skipped.",
    "Reads every product review before trying a new brand of baby food or formula.",
    "Stocks up on tinned tomatoes, rice and pasta whenever the price drops below average.",
    "Prefers stores that let her edit an order until the evening before delivery.",
]


def test_says_when_hybrid_costs_more_than_frontier_only(run):
    assert not preview_for(run, refine_all=True).costs_more
    texts = iter(LONG_CLAIMS)
    for record in run.records:  # long drafts of two short interviews: sending them is dearer
        record.draft.bio = " ".join(LONG_CLAIMS)
        for section in ("goals", "pain_points", "behaviours"):
            claims = getattr(record.draft, section)
            quoted = claims[0].evidence[0].quote
            claims.extend(
                claims[0].model_copy(update={"text": f"{next(texts)} In the interview: {quoted}"})
                for _ in range(2)
            )
    preview = preview_for(run, refine_all=True)
    assert [item.mode for item in preview.items] == ["refine", "refine"]
    assert preview.costs_more and preview.estimated_usd > preview.frontier_only.usd


def test_a_restore_failure_keeps_that_draft_and_goes_on(run, fake, store, monkeypatch):
    preview = preview_for(run)
    original = preview.redactor._restore
    calls = []

    def flaky(text: str) -> str:
        calls.append(text)
        if len(calls) == 1:
            raise MemoryError("simulated")
        return original(text)

    monkeypatch.setattr(preview.redactor, "_restore", flaky)
    send(run, preview, fake, store)
    saved = store.get(run.id)
    assert saved.records[0].refined is None
    assert "could not put personal data back" in saved.records[0].refine_error
    assert saved.records[1].refined is not None
