"""Claude paid once for what is shared: the prompt cache in the fake, the plan, the estimate,
the spend and what the CLI says before Send."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from typing import Any, cast

import anthropic
import pytest

from persona.cli.hybrid import confirm
from persona.core.documents import Document, Passage
from persona.core.records import FileRef, PersonaRecord, Run
from persona.core.schema import Persona
from persona.generation.evidence import verify_personas
from persona.history.store import Store
from persona.hybrid.caching import MINIMUM_CACHEABLE, minimum_cacheable, worth_sharing
from persona.hybrid.cloud import FrontierClient
from persona.hybrid.preview import Preview, prepare
from persona.hybrid.pricing import (
    CACHE_READ,
    CACHE_WRITE,
    INPUT_MARGIN,
    BilledTokens,
    Budget,
    Meter,
    PriceTable,
)
from persona.hybrid.refine import refine
from persona.hybrid.spend import frontier_spend
from tests.fake_anthropic import COUNT_TOKENS, MESSAGES, FakeAnthropic, fake_token_count
from tests.fakes import persona_dict

KEY = "sk-ant-cache-test"
CACHED_MODEL = "claude-sonnet-4-5"  # caches prefixes from 1,024 tokens
UNCACHED_MODEL = "claude-haiku-4-5"  # from 4,096: the study's prefix is below it
NAMES = ("Maria Gonzalez", "Tom Becker", "Priya Nair")
TOPICS = (
    "planning meals for the week",
    "comparing prices between shops",
    "ordering groceries late at night",
)


def passage_text(speaker: str, topic: str, n: int) -> str:
    first = speaker.split()[0]
    return (
        f"{first}: When it comes to {topic}, I usually start on Sunday evening after the "
        f"children are asleep, because that is the only quiet hour of the week. I write "
        f"everything down in a small notebook, then I check what is left in the fridge and "
        f"the cupboard, and only then do I open the app on my phone. Point {n} for me is that "
        f"the app remembers what I bought last time, otherwise I give up and go to the shop "
        f"in person, which costs me the whole Saturday morning and a lot of patience."
    )


PASSAGES = [
    Passage(f"{name.split()[0].lower()}.md", f"line {n}", passage_text(name, topic, n), "", name)
    for name in NAMES
    for n, topic in enumerate(TOPICS, start=1)
]


def documents() -> list[Document]:
    by_file: dict[str, list[Passage]] = {}
    for passage in PASSAGES:
        by_file.setdefault(passage.source, []).append(passage)
    return [
        Document(name, "text", hashlib.sha256(name.encode()).hexdigest(), 100, items)
        for name, items in by_file.items()
    ]


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "history.sqlite3")


@pytest.fixture
def run(store) -> Run:
    drafts = []
    for index, name in enumerate(NAMES):
        data = persona_dict(f"Persona {'ABC'[index]}", "Parent", PASSAGES[3 * index :])
        data["participants"] = [name]
        drafts.append(Persona.model_validate(data))
    run = Run(kind="hybrid", model="llama3.2:3b", frontier_model=CACHED_MODEL)
    run.files = [
        FileRef(name=d.name, sha256=d.sha256, size_bytes=d.size_bytes, kind=d.kind)
        for d in documents()
    ]
    run.records = [PersonaRecord(draft=p) for p in verify_personas(drafts, PASSAGES)]
    store.save(run)
    return run


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


def preview_for(run: Run, model: str, **kwargs) -> Preview:
    return prepare(run, documents(), model=model, threshold=101.0, cap_usd=5.0, **kwargs)


def send(run: Run, preview: Preview, fake: FakeAnthropic, store: Store) -> None:
    client = FrontierClient(KEY, base_url=fake.url, max_retries=0, timeout=10)
    for _ in refine(run, preview, client, store, consent=preview.consent):
        pass


# --- The fake honours cache_control as Anthropic does ---------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def words(n: int) -> str:
    """A text of exactly ``n`` tokens for the fake's tokenizer."""
    return " ".join(f"w{i}" for i in range(n))


def ask(client: anthropic.Anthropic, model: str, prefix: str, question: str, **cache) -> dict:
    reply = client.messages.create(
        model=model,
        max_tokens=100,
        system=[
            {
                "type": "text",
                "text": prefix,
                "cache_control": cast(Any, {"type": "ephemeral", **cache}),
            }
        ],
        messages=[{"role": "user", "content": question}],
    )
    return reply.usage.model_dump()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sdk(clock) -> Iterator[tuple[FakeAnthropic, anthropic.Anthropic]]:
    with FakeAnthropic(api_keys={KEY}, clock=clock) as server:
        yield server, anthropic.Anthropic(api_key=KEY, base_url=server.url, max_retries=0)


@pytest.mark.parametrize(
    ("model", "minimum"),
    [
        ("claude-sonnet-4-5", 1024),
        ("claude-sonnet-4-6", 2048),
        ("claude-haiku-4-5", 4096),
        ("claude-opus-4-6", 4096),
    ],
)
@pytest.mark.parametrize("above", [True, False])
def test_the_fake_caches_a_marked_prefix_only_from_the_model_minimum(sdk, model, minimum, above):
    fake, client = sdk
    size = minimum if above else minimum - 1
    first = ask(client, model, words(size), "First question?")
    second = ask(client, model, words(size), "Another question, please?")
    if above:
        assert first["cache_creation_input_tokens"] == size
        assert first["cache_read_input_tokens"] == 0
        assert second["cache_read_input_tokens"] == size  # the second request reads the cache
        assert second["cache_creation_input_tokens"] == 0
        assert first["cache_creation"]["ephemeral_5m_input_tokens"] == size
    else:
        assert first["cache_creation_input_tokens"] == second["cache_read_input_tokens"] == 0
        assert second["input_tokens"] > size
    for usage, bill in zip((first, second), fake.bills(), strict=True):
        assert bill.input_tokens == usage["input_tokens"]
        everything = usage["input_tokens"] + size * above
        assert everything == usage["input_tokens"] + bill.cache_creation_input_tokens + (
            bill.cache_read_input_tokens
        )
    counted = client.messages.count_tokens(
        model=model,
        system=[{"type": "text", "text": words(size), "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "First question?"}],
    )
    billed = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    assert counted.input_tokens == sum(first[k] for k in billed)  # counting ignores the cache


def test_the_fake_bills_writes_and_reads_at_anthropics_rates(sdk):
    fake, client = sdk
    ask(client, "claude-sonnet-4-5", words(2000), "One?")
    ask(client, "claude-sonnet-4-5", words(2000), "Two?")
    write, read = (bill.usd() for bill in fake.bills())
    assert write["cache_writes"] == pytest.approx(2000 * 3.0 * 1.25 / 1e6)
    assert read["cache_reads"] == pytest.approx(2000 * 3.0 * 0.1 / 1e6)
    assert write["cache_reads"] == read["cache_writes"] == 0


def test_the_fake_cache_lives_five_minutes_from_its_last_use(sdk, clock):
    _, client = sdk
    assert ask(client, "claude-sonnet-4-5", words(1500), "a")["cache_creation_input_tokens"]
    clock.now += 299
    assert ask(client, "claude-sonnet-4-5", words(1500), "b")["cache_read_input_tokens"] == 1500
    clock.now += 299  # 598 s after the write, 299 after the read that refreshed it
    assert ask(client, "claude-sonnet-4-5", words(1500), "c")["cache_read_input_tokens"] == 1500
    clock.now += 301
    late = ask(client, "claude-sonnet-4-5", words(1500), "d")
    assert late["cache_read_input_tokens"] == 0 and late["cache_creation_input_tokens"] == 1500
    clock.now += 400
    hour = ask(client, "claude-sonnet-4-5", words(1500), "e", ttl="1h")
    assert hour["cache_creation"]["ephemeral_1h_input_tokens"] == 1500
    clock.now += 3000
    assert ask(client, "claude-sonnet-4-5", words(1500), "f")["cache_read_input_tokens"] == 1500


def test_the_fake_refuses_more_than_four_breakpoints(sdk):
    fake, client = sdk
    marked = {"cache_control": {"type": "ephemeral"}}
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4 blocks"):
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=10,
            system=[{"type": "text", "text": words(10), **marked} for _ in range(5)],
            messages=[{"role": "user", "content": "Hi"}],
        )
    assert fake.bills() == []


def test_a_changed_prefix_is_written_again(sdk):
    _, client = sdk
    ask(client, "claude-sonnet-4-5", words(1500), "a")
    changed = ask(client, "claude-sonnet-4-5", words(1500) + " more", "a")
    other_model = ask(client, "claude-opus-4-6", words(1500), "a")
    assert changed["cache_read_input_tokens"] == other_model["cache_read_input_tokens"] == 0
    assert changed["cache_creation_input_tokens"] == 1501


# --- The plan --------------------------------------------------------------------------


def test_minimums_are_anthropics_and_an_unknown_model_gets_the_largest():
    assert minimum_cacheable("claude-sonnet-4-5-20250929") == 1024
    assert minimum_cacheable("anthropic.claude-sonnet-4-6") == 2048
    assert minimum_cacheable("claude-opus-4-6") == minimum_cacheable("claude-haiku-4-5") == 4096
    assert minimum_cacheable("claude-future-9") == max(MINIMUM_CACHEABLE.values())


@pytest.mark.parametrize(
    ("model", "prefix", "rests", "separate", "expected"),
    [
        ("claude-sonnet-4-5", 2000, [200, 200, 200], [2200, 2200, 2200], True),
        ("claude-sonnet-4-5", 2000, [200], [2200], False),  # one request: a write is dearer
        ("claude-sonnet-4-6", 2000, [200, 200, 200], [2200, 2200, 2200], False),  # below 2,048
        ("claude-sonnet-4-5", 1100, [200, 200], [1300, 1300], False),  # too near the minimum
        ("claude-sonnet-4-5", 2000, [200, 200], [900, 900], False),  # sharing sends more
        ("claude-opus-4-6", 5000, [300] * 4, [5300] * 4, True),
    ],
)
def test_worth_sharing(model, prefix, rests, separate, expected):
    assert worth_sharing(model, prefix, rests, separate) is expected


# --- Refining with a shared, cached prefix ----------------------------------------------


def test_refining_marks_the_shared_prefix_and_later_requests_read_it(run, fake, store):
    preview = preview_for(run, CACHED_MODEL, plan="cached")
    assert preview.shared is not None and len(preview.selected) == 3
    send(run, preview, fake, store)

    bodies = [r.body for r in fake.requests(MESSAGES)]
    assert len(bodies) == 3
    for body in bodies:
        [block] = body["system"]
        assert block["cache_control"] == {"type": "ephemeral"}
        assert (
            block == bodies[0]["system"][0] and body["output_config"] == bodies[0]["output_config"]
        )
        for passage in PASSAGES:  # every passage sent once, in the prefix, none in a message
            assert passage.text.split(":", 1)[1][:40] in block["text"]
            assert passage.text.split(":", 1)[1][:40] not in body["messages"][0]["content"]
    first, *later = fake.bills()
    assert first.cache_creation_input_tokens > 1024 and first.cache_read_input_tokens == 0
    for bill in later:
        assert bill.cache_read_input_tokens == first.cache_creation_input_tokens
        assert bill.cache_creation_input_tokens == 0
    saved = store.get(run.id)
    assert all(r.refined is not None and not r.refine_error for r in saved.records)
    counts = [r.body for r in fake.requests(COUNT_TOKENS)]
    assert [c["system"] for c in counts] == [b["system"] for b in bodies]


def test_the_spend_is_what_the_fake_billed_at_anthropics_cache_rates(run, fake, store):
    send(run, preview_for(run, CACHED_MODEL, plan="cached"), fake, store)
    bills = fake.bills()
    spend = frontier_spend(store.get(run.id))
    assert spend is not None
    assert spend.cache_write_tokens == sum(b.cache_creation_input_tokens for b in bills) > 0
    assert spend.cache_read_tokens == sum(b.cache_read_input_tokens for b in bills) > 0
    assert spend.input_tokens == sum(b.input_tokens for b in bills)
    assert spend.cost_usd == pytest.approx(sum(sum(b.usd().values()) for b in bills), abs=2e-6)
    assert "read from the prompt cache" in spend.summary
    per = spend.per_persona[1].tokens
    assert per.cache_read_tokens == bills[1].cache_read_input_tokens


def test_the_estimate_counts_the_prefix_written_once_then_read(run):
    shared = preview_for(run, CACHED_MODEL, plan="cached")
    separate = preview_for(run, CACHED_MODEL, plan="separate")
    prefix = shared.prefix_tokens
    first, *later = shared.selected
    assert first.cost.cache_write_tokens == prefix and first.cost.cache_read_tokens == 0
    assert all(i.cost.cache_read_tokens == prefix and not i.cost.cache_write_tokens for i in later)
    price = PriceTable.load().price_for(CACHED_MODEL)
    assert first.cost.usd == pytest.approx(
        price.cost_usd(first.input_tokens - prefix, first.output_tokens)
        + prefix * CACHE_WRITE * price.input_per_mtok / 1e6
    )
    assert later[0].cost.usd == pytest.approx(
        price.cost_usd(later[0].input_tokens - prefix, later[0].output_tokens)
        + prefix * CACHE_READ * price.input_per_mtok / 1e6
    )
    assert shared.estimated_usd < separate.estimated_usd
    assert separate.shared is None and all(not i.cost.cache_read_tokens for i in separate.items)
    assert "shared prefix" in shared.cache_note and "1.25×" in shared.cache_note
    worst = sum(i.worst.cache_write_tokens for i in shared.selected)
    assert worst >= 3 * prefix  # a miss writes the prefix again: the ceiling allows for it


def test_a_prefix_under_the_models_minimum_is_not_counted_as_cached(run, fake, store):
    picked = preview_for(run, UNCACHED_MODEL)
    assert picked.plan != "cached"  # not worth it: the prefix is under 4,096 tokens
    assert "4,096" in preview_for(run, UNCACHED_MODEL, plan="separate").cache_note
    forced = preview_for(run, UNCACHED_MODEL, plan="cached")
    assert forced.prefix_tokens < minimum_cacheable(UNCACHED_MODEL)
    assert all(not i.cost.cache_read_tokens and not i.cost.cache_write_tokens for i in forced.items)
    send(run, forced, fake, store)
    assert all(
        not b.cache_read_input_tokens and not b.cache_creation_input_tokens for b in fake.bills()
    )
    spend = frontier_spend(store.get(run.id))
    assert spend is not None and spend.cache_read_tokens == spend.cache_write_tokens == 0
    assert spend.input_tokens == sum(fake_token_count(r.body) for r in fake.requests(MESSAGES))


def test_the_meter_charges_marked_tokens_as_cache_writes_and_settles_on_usage():
    price = PriceTable.load().price_for(CACHED_MODEL)
    budget = Budget(1.0)
    meter = Meter(budget, price)
    meter.open(1000, 100, cacheable=800)
    worst = price.cost_usd(math.ceil(200 * INPUT_MARGIN), 100, math.ceil(800 * INPUT_MARGIN))
    assert budget.spent == pytest.approx(worst)
    assert worst > price.cost_usd(math.ceil(1000 * INPUT_MARGIN), 100)
    meter.close(BilledTokens(200, 50, cache_write_tokens=0, cache_read_tokens=800))
    settled = (200 * 3.0 + 800 * 3.0 * 0.1 + 50 * 15.0) / 1e6
    assert budget.spent == pytest.approx(settled) and meter.usd == pytest.approx(settled)
    assert meter.affordable_output(1000, cacheable=800) < meter.affordable_output(1000)


def test_a_capped_shared_send_never_bills_above_the_cap(run, fake, store):
    preview = preview_for(run, CACHED_MODEL, plan="cached")
    cap = preview.estimated_usd * 1.05  # fits the estimate; each call is charged its worst
    capped = prepare(
        run, documents(), model=CACHED_MODEL, threshold=101.0, cap_usd=cap, plan="cached"
    )
    assert capped.shared is not None
    send(run, capped, fake, store)
    assert 0 < sum(sum(b.usd().values()) for b in fake.bills()) <= cap


# --- What the CLI says before Send --------------------------------------------------------


def test_the_cli_says_how_the_cache_is_used_and_when_hybrid_costs_more(run, capsys):
    confirm(preview_for(run, CACHED_MODEL, plan="cached"), assume_yes=True)
    said = capsys.readouterr().err
    assert "one shared prefix" in said and "cached by Anthropic" in said
    dear = preview_for(run, CACHED_MODEL, plan="cached")
    # A study a tenth of its size, cheaper to send whole than to refine even with the cache:
    dear.frontier_only = PriceTable.load().cost(CACHED_MODEL, 500, 300)
    assert dear.costs_more and dear.estimated_usd > dear.frontier_only.usd
    confirm(dear, assume_yes=True)
    said = capsys.readouterr().err
    assert "expected to cost more than sending all your data" in said
    confirm(preview_for(run, UNCACHED_MODEL, plan="separate"), assume_yes=True)
    said = capsys.readouterr().err
    assert "expected to cost more" not in said
    assert "its own passages" in said and "4,096 tokens" in said
