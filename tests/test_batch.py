"""Several personas per request: the instructions, the schema and the passages paid once; each
persona read, repaired and checked on its own; what the batch leaves out refined alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from persona.hybrid.batch import batch_instructions, batch_max_tokens
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.preview import prepare
from persona.hybrid.pricing import BilledTokens, Budget, Meter, PriceTable
from persona.hybrid.refine import refine
from persona.hybrid.spend import frontier_spend
from tests import test_caching
from tests.fake_anthropic import INVENTED_CLAIM, MESSAGES
from tests.test_caching import CACHED_MODEL, KEY, PASSAGES, documents, preview_for, send

fake, run, store = test_caching.fake, test_caching.run, test_caching.store  # the same fixtures

MODEL = CACHED_MODEL


def batched(run_, **kwargs):
    return preview_for(run_, MODEL, plan="batched", **kwargs)


def messages(fake_) -> list[dict]:
    return [r.body for r in fake_.requests(MESSAGES)]


def test_one_request_carries_every_draft_and_each_passage_once(run, fake, store):
    preview = batched(run)
    assert "All 3 drafts go in one request" in preview.cache_note
    assert len({item.payload for item in preview.selected}) == 1  # the one request, consented
    send(run, preview, fake, store)
    [body] = messages(fake)
    text = json.dumps(body, ensure_ascii=False)
    assert text.count("When it comes to") == len(PASSAGES)  # each passage once
    modes = [item.mode for item in preview.selected]
    assert batch_instructions(modes) in body["messages"][0]["content"]
    assert body["max_tokens"] == batch_max_tokens(3)
    saved = store.get(run.id)
    for record, item in zip(saved.records, preview.items, strict=True):
        assert record.refined is not None and not record.refine_error
        if item.mode == "repair":  # too like another: role, goals, pain points rewritten
            assert record.refined.role != record.draft.role
            assert record.refined.goals[0].text.startswith("They said that")
            assert record.refined.name == record.draft.name  # no problem named it: kept
            assert record.refined.behaviours[0].text == record.draft.behaviours[0].text
            continue
        assert record.refined.bio.endswith("They judge every new tool by the time it saves.")
        assert record.refined.pain_points[0].text == record.draft.pain_points[0].text  # kept


def test_the_batch_spend_is_split_per_persona_and_the_total_is_the_fakes_bill(run, fake, store):
    send(run, batched(run), fake, store)
    [bill] = fake.bills()
    spend = frontier_spend(store.get(run.id))
    assert spend is not None
    assert spend.cost_usd == pytest.approx(sum(bill.usd().values()), abs=2e-6)
    per = spend.per_persona.values()
    assert sum(p.tokens.output_tokens for p in per) == bill.output_tokens
    assert sum(p.tokens.input_tokens for p in per) == bill.input_tokens
    assert sum(p.cost_usd for p in per) == pytest.approx(spend.cost_usd, abs=3e-6)
    assert all(p.cost_usd > 0 for p in per)


def test_a_persona_the_batch_leaves_out_is_refined_on_its_own(run, fake, store):
    fake.push("batch_missing")
    events = list(send_events(run, batched(run), fake, store))
    first, alone = messages(fake)
    assert '"drafts"' in first["messages"][0]["content"]
    assert '"drafts"' not in alone["messages"][0]["content"]  # the left-out draft, alone
    assert "left out 1 of 3 personas" in " ".join(e.message for e in events)
    assert all(r.refined is not None for r in store.get(run.id).records)


def test_a_cut_off_batch_keeps_the_complete_personas_and_refines_the_rest(run, fake, store):
    fake.push("batch_cut")
    send(run, batched(run), fake, store)
    bodies = messages(fake)
    assert len(bodies) == 2  # the batch, then the cut-off persona on its own
    assert fake.bills()[0].output_tokens < fake.bills()[1].output_tokens * 3
    assert all(r.refined is not None and not r.refine_error for r in store.get(run.id).records)


def test_only_the_persona_that_broke_the_schema_is_repaired(run, fake, store):
    fake.push("batch_invalid_one")
    send(run, batched(run), fake, store)
    _, repair = messages(fake)
    assert len(repair["messages"]) == 3
    asked = repair["messages"][-1]["content"]
    assert "D2" in asked and "D1" not in asked and "D3" not in asked and "goals" in asked
    records = store.get(run.id).records
    assert all(r.refined is not None and not r.refine_error for r in records)


def test_a_persona_still_broken_after_the_repair_keeps_its_draft(run, fake, store):
    fake.push("batch_invalid_one", "batch_invalid_one")
    send(run, batched(run), fake, store)
    records = store.get(run.id).records
    assert records[1].refined is None and "did not match the persona schema" in (
        records[1].refine_error or ""
    )
    assert records[0].refined is not None and records[2].refined is not None


@pytest.mark.parametrize(
    "scenario", ["change_numbers", "cite_unknown", "repeat_claim", "invent_claim", "keep_unknown"]
)
def test_a_misbehaving_batch_gets_the_same_checks_as_one_persona(run, fake, store, scenario):
    fake.push(scenario)
    preview = batched(run)
    events = list(send_events(run, preview, fake, store))
    said = " ".join(e.message for e in events)
    records = store.get(run.id).records
    texts = {p.text for p in PASSAGES}
    for record in records:
        assert record.refined is not None
        quotes = [
            e.quote
            for s in (record.refined.goals, record.refined.pain_points)
            for c in s
            for e in c.evidence
        ]
        assert all(any(q in t for t in texts) for q in quotes)  # word for word, by construction
    if scenario == "cite_unknown":
        assert "not given (P9999, P4242, Q1)" in said
    if scenario == "repeat_claim":
        usable = [r for r, i in zip(records, preview.items, strict=True) if i.mode == "refine"]
        assert usable and all(r.refined.unusable and r.current == r.draft for r in usable)
    if scenario == "invent_claim":
        invented = [c for r in records for c in r.refined.pain_points if c.text == INVENTED_CLAIM]
        assert invented and not any(c.supported for c in invented)
    if scenario == "keep_unknown":
        assert said.count("goals #41") == 3 and "pain_points #0" in said


def test_the_plan_is_picked_by_the_estimate_and_one_draft_is_never_batched(run):
    plans = {plan: preview_for(run, MODEL, plan=plan) for plan in ("separate", "cached", "batched")}
    picked = preview_for(run, MODEL)
    cheapest = min(plans, key=lambda plan: plans[plan].estimated_usd)
    assert picked.plan == cheapest and picked.estimated_usd == plans[cheapest].estimated_usd
    run.records = run.records[:1]
    single = prepare(run, documents(), model=MODEL, threshold=101.0)
    assert len(single.selected) == 1 and single.plan != "batched"
    for plan in plans.values():  # the worst case covers the batch, its repair and each alone
        assert plan.ceiling_usd >= plan.estimated_usd


def send_events(run_, preview, fake_, store_):
    client = FrontierClient(KEY, base_url=fake_.url, max_retries=0, timeout=10)
    return refine(run_, preview, client, store_, consent=preview.consent)


@given(
    st.lists(st.integers(0, 10_000), min_size=1, max_size=6),
    st.integers(0, 50_000),
    st.integers(0, 5_000),
)
def test_a_meter_split_adds_up_exactly(weights, input_tokens, output_tokens):
    price = PriceTable.load().price_for(MODEL)
    meter = Meter(Budget(None), price)
    meter.open(input_tokens, 100)
    meter.close(BilledTokens(input_tokens, output_tokens, 7, 3))
    shares = meter.split(weights, [1] * len(weights))
    assert sum(m.usage.input_tokens for m in shares) == input_tokens
    assert sum(m.usage.output_tokens for m in shares) == output_tokens
    assert sum(m.usage.cache_write_tokens for m in shares) == 7
    assert sum(m.usd for m in shares) == pytest.approx(meter.usd, abs=1e-12)
    if sum(weights):
        heaviest = max(range(len(weights)), key=lambda n: weights[n])
        assert shares[heaviest].usage.output_tokens >= output_tokens * max(weights) // sum(weights)


def test_a_capped_batch_never_bills_above_the_cap(run, fake, store):
    cap = batched(run).estimated_usd * 1.05  # fits the estimate; the batch is charged its worst
    capped = prepare(run, documents(), model=MODEL, threshold=101.0, cap_usd=cap, plan="batched")
    send(run, capped, fake, store)
    [body] = messages(fake)
    assert body["max_tokens"] < batch_max_tokens(3)  # what the cap can pay for, not more
    assert 0 < sum(sum(b.usd().values()) for b in fake.bills()) <= cap


def test_a_declined_batch_refines_each_persona_on_its_own(run, fake, store):
    fake.push("refusal")
    events = list(send_events(run, batched(run), fake, store))
    assert len(messages(fake)) == 4  # the batch, then each of the three alone
    assert "declined to refine the 3 personas in one request" in " ".join(e.message for e in events)
    assert all(r.refined is not None for r in store.get(run.id).records)


@pytest.mark.parametrize("plan", ["separate", "cached", "batched"])
def test_the_estimate_covers_what_a_send_with_repairs_bills(run, fake, store, plan):
    """Two of three drafts are repaired: the preview's estimate, by kind, is what the fake's
    ledger bills (input within a fifth; output and dollars never above it)."""
    preview = preview_for(run, MODEL, plan=plan)
    assert [item.mode for item in preview.selected] == ["refine", "repair", "repair"]
    send(run, preview, fake, store)
    bills = fake.bills()
    estimated = [item.cost for item in preview.selected]
    billed_input = sum(b.input_tokens + b.cache_creation_input_tokens for b in bills)
    billed_input += sum(b.cache_read_input_tokens for b in bills)
    estimated_input = sum(
        c.input_tokens + c.cache_write_tokens + c.cache_read_tokens for c in estimated
    )
    assert abs(estimated_input - billed_input) <= 0.2 * billed_input
    writes = sum(b.cache_creation_input_tokens for b in bills)
    reads = sum(b.cache_read_input_tokens for b in bills)
    if plan == "cached":  # the prefix written once, read by each later request
        assert writes > 0 and reads == 2 * writes
        assert sum(c.cache_write_tokens for c in estimated) > 0
    else:
        assert writes == reads == sum(c.cache_write_tokens for c in estimated) == 0
    assert sum(b.output_tokens for b in bills) <= sum(c.output_tokens for c in estimated)
    usd = sum(sum(b.usd().values()) for b in bills)
    assert usd <= preview.estimated_usd <= preview.ceiling_usd
    assert not preview.costs_more and preview.estimated_usd < preview.frontier_only.usd
