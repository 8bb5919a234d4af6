"""An unusable draft goes to Claude with the problems Persona found, to be repaired: what is
named is fixed, the rest is kept (and so not written out), and the answer gets the same checks
as any other, however the model misbehaves."""

from __future__ import annotations

import pytest

from persona.hybrid.changes import KEEP
from persona.hybrid.payload import REQUESTS, UNCITED
from tests import test_hybrid
from tests.fake_anthropic import MESSAGES, answer_tokens, improve
from tests.test_hybrid import PASSAGES, preview_for, send

fake, run, store = test_hybrid.fake, test_hybrid.run, test_hybrid.store  # the same fixtures


def sent_claims(item) -> list[dict]:
    persona = item.data["persona"]
    return [c for s in ("goals", "pain_points", "behaviours", "motivations") for c in persona[s]]


def test_an_unusable_draft_is_sent_with_its_problems_to_be_repaired(run, fake, store):
    draft = run.records[0].draft
    for _, claim in draft.claims():
        claim.text = "Sofia"
    preview = preview_for(run, threshold=0.0)
    item = preview.items[0]
    assert item.selected and item.mode == "repair" and item.unusable
    assert set(item.data) == {"problems", "persona", "passages"}
    assert item.data["problems"] == item.unusable  # the verdict, as every face shows it
    assert {c["problem"] for c in sent_claims(item)} == {"it has fewer than 3 words"}
    assert REQUESTS["repair"] in item.payload and "repair" in item.how
    assert not preview.items[1].selected
    send(run, preview, fake, store)
    refined = store.get(run.id).records[0].refined
    assert refined is not None and refined.unusable == [], "it passed the checks itself"
    assert all(claim.text != "Sofia" for _, claim in refined.claims())
    assert {e.quote for e in refined.all_evidence()} <= {p.text for p in PASSAGES}


def test_a_repair_rewrites_only_the_named_claim_and_keeps_the_rest(run, fake, store):
    draft = run.records[0].draft
    draft.goals[0].text = "N/A"  # placeholder text: the draft is unusable for this claim only
    preview = preview_for(run, threshold=0.0)
    item = preview.items[0]
    assert item.mode == "repair"
    problems = [c.get("problem") for c in sent_claims(item)]
    assert problems == ["it is placeholder text", None, None]
    send(run, preview, fake, store)
    refined = store.get(run.id).records[0].refined
    assert refined is not None and refined.unusable == []
    assert refined.goals[0].text.startswith("They said that")
    for section in ("pain_points", "behaviours"):
        kept = [(c.text, [e.quote for e in c.evidence]) for c in getattr(refined, section)]
        assert kept == [(c.text, [e.quote for e in c.evidence]) for c in getattr(draft, section)]
    assert (refined.name, refined.role, refined.bio) == (draft.name, draft.role, draft.bio)
    [bill] = fake.bills()
    whole = answer_tokens(improve({"passages": item.data["passages"]}))  # written anew
    assert bill.output_tokens * 2 < whole  # only the repaired claim is written out
    schema = fake.requests(MESSAGES)[0].body["output_config"]["format"]["schema"]
    assert KEEP in schema["description"] and schema["required"] == []  # changes only


def test_a_claim_whose_passages_were_all_withheld_is_named(run):
    draft = run.records[0].draft
    for _, claim in draft.claims():
        claim.text = "Sofia"
    draft.goals[0].evidence[0].verified = False
    draft.goals[0].evidence[0].quote = "Words nobody said in any interview at all."
    item = preview_for(run, threshold=0.0).items[0]
    goal = item.data["persona"]["goals"][0]
    assert goal["passages"] == [] and goal["problem"] in {"it has fewer than 3 words", UNCITED}
    assert item.withheld >= 1


@pytest.mark.parametrize("scenario", ["change_numbers", "cite_unknown", "invent_claim"])
def test_a_misbehaving_repair_gets_the_same_checks(run, fake, store, scenario):
    draft = run.records[0].draft
    for _, claim in draft.claims():
        claim.text = "Sofia"
    fake.push(scenario)
    events = send(run, preview_for(run, threshold=0.0), fake, store)
    said = " ".join(e.message for e in events)
    refined = store.get(run.id).records[0].refined
    assert refined is not None
    assert {e.quote for e in refined.all_evidence()} <= {p.text for p in PASSAGES}
    if scenario == "cite_unknown":
        assert "not given (P9999, P4242, Q1)" in said
    if scenario == "invent_claim":
        invented = [c for c in refined.pain_points if "Joaquim" in c.text]
        assert invented and not any(c.supported for c in invented)


def test_a_repair_from_one_passage_stays_unusable(run, fake, store):
    draft = run.records[0].draft
    only = draft.goals[0].evidence[0]
    for _, claim in draft.claims():
        claim.text = "Sofia"
        claim.evidence = [only.model_copy()]
    draft.quote = only.model_copy()
    preview = preview_for(run, threshold=0.0)
    assert len(preview.items[0].ids) == 1
    fake.push("repeat_claim")
    send(run, preview, fake, store)
    refined = store.get(run.id).records[0].refined
    assert refined is not None and refined.unusable, "the checks run on the refined version"


def test_of_two_claims_that_say_the_same_the_later_is_named(run):
    draft = run.records[0].draft
    for _, claim in draft.claims():
        claim.text = "Plans every single meal of the week on Sunday evening."
    item = preview_for(run, threshold=0.0).items[0]
    assert item.mode == "repair" and any("repeat" in p for p in item.unusable)
    problems = [c.get("problem") for c in sent_claims(item)]
    assert problems[0] is None and problems[1:] == ["it repeats an earlier claim"] * 2
