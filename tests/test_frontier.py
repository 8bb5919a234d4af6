"""The Claude adapter against the local fake Messages API (no network, no real key)."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest

from persona.core.errors import (
    BudgetExceeded,
    FrontierAuthError,
    FrontierError,
    FrontierRateLimited,
    UnusableAnswer,
)
from persona.core.schema import llm_json_schema
from persona.hybrid.answer import RefinedPersona
from persona.hybrid.changes import output_format
from persona.hybrid.cloud import DEFAULT_MODELS, FrontierClient, Refinement, TokenCount
from persona.hybrid.keys import find_api_key
from persona.hybrid.messages import estimate_claude_tokens
from persona.hybrid.payload import REQUESTS, request_messages
from persona.hybrid.pricing import BilledTokens
from tests.fake_anthropic import (
    COUNT_TOKENS,
    MESSAGES,
    MODELS,
    RETRY_NOW,
    Fail,
    FakeAnthropic,
    Slow,
    fake_token_count,
)

KEY = "sk-ant-api03-TESTKEY-never-shown-0123456789"
MODEL = "claude-haiku-4-5"
SYSTEM = "You refine UX personas."
DRAFT: dict[str, Any] = {
    "name": "Ana Ruiz",
    "age": "30-40",
    "role": "Night-shift nurse",
    "bio": "Ana has worked nights on a surgical ward for eight years.",
    "goals": [{"text": "Finish charting before handover.", "passages": ["P1"]}],
    "pain_points": [{"text": "Logins are slow.", "passages": ["P2"]}],
    "behaviours": [{"text": "Keeps notes on her phone.", "passages": []}],
    "motivations": [],
    "quote": {"passage": "P1"},
}
PASSAGES = [{"id": "P1", "text": "I chart at 3am"}, {"id": "P2", "text": "login takes forever"}]
PAYLOAD: dict[str, Any] = {"persona": DRAFT, "passages": PASSAGES}


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


@pytest.fixture
def client(fake: FakeAnthropic) -> FrontierClient:
    return FrontierClient(KEY, base_url=fake.url, timeout=5, max_retries=2)


def closed_port_url() -> str:
    with FakeAnthropic() as server:
        return server.url


# --- refine -----------------------------------------------------------------------


def test_refine_returns_the_improved_persona_by_reference(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    result = client.refine(PAYLOAD, model=MODEL, max_tokens=2000)

    assert isinstance(result, Refinement) and isinstance(result.answer, RefinedPersona)
    assert result.answer.bio.startswith(DRAFT["bio"]) and result.answer.bio != DRAFT["bio"]
    assert result.answer.goals[0].text == "Above all, finish charting before handover."
    assert [m.passages for m in result.answer.motivations] == [["P1"]]
    assert result.answer.quote.passage == "P1"
    assert result.model == "claude-haiku-4-5-20251001"
    assert result.attempts == 1
    assert result.usage.input_tokens == fake_token_count(fake.requests(MESSAGES)[0].body)
    assert result.usage.output_tokens > 0


@pytest.mark.parametrize("mode", ["refine", "repair"])
def test_the_request_limits_citations_to_the_passages_sent(
    client: FrontierClient, fake: FakeAnthropic, mode: Any
) -> None:
    client.refine(PAYLOAD, mode=mode, system=SYSTEM, model=MODEL, max_tokens=1234)

    body = fake.requests(MESSAGES)[0].body
    assert body["output_config"] == {"format": output_format(["P1", "P2"])}
    schema = json.dumps(body["output_config"]["format"])
    assert '"enum": ["P1", "P2"]' in schema
    assert '"participants":' not in schema and '"span":' not in schema
    assert '"evidence"' not in schema
    assert (body["system"], body["model"], body["max_tokens"]) == (SYSTEM, MODEL, 1234)
    assert body["messages"] == request_messages(PAYLOAD, mode)
    assert body["messages"][0]["content"].startswith(REQUESTS[mode])
    assert "tools" not in body and "stream" not in body


@pytest.mark.parametrize("bad", ["malformed", "invalid"])
def test_an_invalid_answer_is_sent_back_once_with_the_errors(
    client: FrontierClient, fake: FakeAnthropic, bad: str
) -> None:
    fake.push(bad)

    result = client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert result.attempts == 2
    first, second = (r.body for r in fake.requests(MESSAGES))
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][0] == first["messages"][0]
    repair = second["messages"][2]["content"]
    assert "does not match the persona schema" in repair
    assert ("Invalid JSON" if bad == "malformed" else "goals: List should have at least") in repair
    assert result.usage.input_tokens == fake_token_count(first) + fake_token_count(second)


@pytest.mark.parametrize("bad", [("malformed", "malformed"), ("invalid", "malformed")])
def test_a_second_invalid_answer_raises_without_more_calls(
    client: FrontierClient, fake: FakeAnthropic, bad: tuple[str, str]
) -> None:
    fake.push(*bad)

    with pytest.raises(UnusableAnswer, match="did not match the persona schema after 2") as caught:
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)
    assert fake.count() == 2
    billed = [fake_token_count(r.body) for r in fake.requests(MESSAGES)]
    assert caught.value.input_tokens == sum(billed)


@pytest.mark.parametrize(
    ("scenario", "message"),
    [("refusal", "declined"), ("truncated", "cut off at 4096 output tokens")],
)
def test_refusals_and_cut_off_answers_are_not_retried(
    client: FrontierClient, fake: FakeAnthropic, scenario: str, message: str
) -> None:
    fake.push(scenario)

    with pytest.raises(UnusableAnswer, match=message) as caught:
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)
    assert fake.count() == 1
    body = fake.requests(MESSAGES)[0].body
    assert caught.value.input_tokens == fake_token_count(body)
    assert caught.value.output_tokens > 0


def test_quotes_typed_in_an_answer_are_never_read(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    fake.push("change_numbers")

    result = client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    typed = result.answer.model_dump()
    assert "evidence" not in json.dumps(typed) and "participants" not in typed
    assert typed["quote"] == {"passage": "P1"}, "only the ID is kept, the typed words are not"


# --- errors, retries, timeouts -------------------------------------------------------


@pytest.mark.parametrize(
    ("scenarios", "error", "attempts", "hint"),
    [
        (["auth"], FrontierAuthError, 1, "console.anthropic.com"),
        (["permission"], FrontierAuthError, 1, "HTTP 403"),
        (["rate_limit"] * 3, FrontierRateLimited, 3, "rate limiting this API key"),
        (["overloaded"] * 3, FrontierRateLimited, 3, "overloaded"),
        (["server_error"] * 3, FrontierError, 3, "server error (HTTP 500"),
        (["not_found"], FrontierError, 1, f"does not know the model '{MODEL}'"),
        (["bad_request"], FrontierError, 1, "rejected the request (HTTP 400"),
        ([Fail(402, "billing_error", "Credit balance too low")], FrontierError, 1, "Add credits"),
        ([Fail(418, "teapot_error", "short and stout")], FrontierError, 1, "HTTP 418"),
    ],
)
def test_errors_map_to_our_tree_after_our_own_retries(
    client: FrontierClient,
    fake: FakeAnthropic,
    scenarios: list[Any],
    error: type[FrontierError],
    attempts: int,
    hint: str,
) -> None:
    fake.push(*scenarios)

    with pytest.raises(error, match=re.escape(hint)) as caught:
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert type(caught.value) is error
    assert not isinstance(caught.value, UnusableAnswer)
    assert fake.count() == attempts
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests(MESSAGES)] == [
        "0"
    ] * attempts, "each attempt is a call of ours (paid through the meter), not the SDK's"
    assert caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("transient", "max_retries"),
    [(["rate_limit", "rate_limit"], 2), (["overloaded"], 2), (["server_error"], 1), (["slow"], 1)],
)
def test_transient_failures_then_success(
    fake: FakeAnthropic, transient: list[str], max_retries: int
) -> None:
    client = FrontierClient(KEY, base_url=fake.url, timeout=0.5, max_retries=max_retries)
    fake.push(*transient)

    result = client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert result.attempts == 1
    assert fake.count() == len(transient) + 1


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_max_retries_bounds_the_attempts(fake: FakeAnthropic, max_retries: int) -> None:
    client = FrontierClient(KEY, base_url=fake.url, max_retries=max_retries)
    fake.push(*["overloaded"] * 5)

    with pytest.raises(FrontierRateLimited):
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)
    assert fake.count() == max_retries + 1


@pytest.mark.parametrize("max_retries", [0, 1])
def test_a_slow_answer_times_out(fake: FakeAnthropic, max_retries: int) -> None:
    client = FrontierClient(KEY, base_url=fake.url, timeout=0.3, max_retries=max_retries)
    fake.push(*[Slow(3.0)] * (max_retries + 1))

    started = time.monotonic()
    with pytest.raises(FrontierError, match=r"did not answer within 0\.3 s") as caught:
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert not isinstance(caught.value, FrontierRateLimited)
    assert fake.count() == max_retries + 1
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("via_env", [False, True])
def test_an_unreachable_gateway_names_its_address(
    monkeypatch: pytest.MonkeyPatch, via_env: bool
) -> None:
    url = closed_port_url()
    if via_env:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    client = FrontierClient(KEY, base_url=None if via_env else url, max_retries=0)

    with pytest.raises(FrontierError, match="Cannot reach Claude") as caught:
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert url in str(caught.value) and "ANTHROPIC_BASE_URL" in str(caught.value)


def test_the_default_endpoint_blames_the_connection() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("network is down", request=request)

    transport = httpx2.Client(transport=httpx2.MockTransport(refuse))
    client = FrontierClient(KEY, max_retries=0, http_client=transport)

    with pytest.raises(FrontierError, match="check your internet connection") as caught:
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)
    assert "https://api.anthropic.com" in str(caught.value)


def test_an_injected_http_client_carries_the_requests() -> None:
    seen: list[httpx2.Request] = []

    def reject(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        body = {"type": "error", "error": {"type": "authentication_error", "message": "no"}}
        return httpx2.Response(401, json=body)

    client = FrontierClient(
        KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(reject)), max_retries=0
    )

    with pytest.raises(FrontierAuthError):
        client.list_models()
    assert [r.url.path for r in seen] == [MODELS]


# --- the key ------------------------------------------------------------------------


def test_the_key_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    with FakeAnthropic() as fake:
        FrontierClient(KEY, base_url=fake.url).list_models()
        FrontierClient(base_url=fake.url).list_models()

        sent = [r.headers["authorization"] for r in fake.requests(None)]
    assert sent == [f"Bearer {KEY}", "Bearer sk-ant-from-env"]


@pytest.mark.parametrize("given", [None, "", "   "])
def test_a_missing_key_says_where_to_put_it(given: str | None) -> None:
    with pytest.raises(FrontierAuthError, match="ANTHROPIC_API_KEY") as caught:
        FrontierClient(given)
    assert "console.anthropic.com" in str(caught.value)


def test_the_base_url_comes_from_the_environment(
    fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)

    result = FrontierClient(KEY).refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert result.answer.name == "Ana Ruiz" and fake.count() == 1


def test_the_key_travels_only_in_the_authorization_header(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    client.list_models()
    client.count_tokens(MODEL, SYSTEM, [{"role": "user", "content": "hi"}])
    client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    assert fake.count(None) == 3
    for request in fake.requests(None):
        carriers = [name for name, value in request.headers.items() if KEY in value]
        assert carriers == ["authorization"]
        assert KEY not in request.raw and KEY not in json.dumps(request.query)


@pytest.mark.parametrize("key", [KEY, "gateway-token-SECRET-42"])
@pytest.mark.parametrize(
    "failure",
    [
        "auth",
        "rate_limit",
        "server_error",
        "echo the key",
        Fail(400, "invalid_request_error", "bad key sk-ant-api03-OTHER-secret"),
    ],
)
def test_the_key_never_appears_in_errors_reprs_or_logs(
    caplog: pytest.LogCaptureFixture, key: str, failure: Any
) -> None:
    if failure == "echo the key":
        failure = Fail(401, "authentication_error", f"invalid x-api-key: {key}")
    with FakeAnthropic() as fake:
        client = FrontierClient(key, base_url=fake.url, max_retries=0)
        fake.push(failure)

        with caplog.at_level(logging.DEBUG), pytest.raises(FrontierError) as caught:
            client.refine(PAYLOAD, system=SYSTEM, model=MODEL)

    for text in (str(caught.value), repr(caught.value), repr(client), caplog.text):
        assert key not in text
        assert "OTHER-secret" not in text
    assert "Sending HTTP Request" in caplog.text


# --- models and tokens ----------------------------------------------------------------


@pytest.mark.parametrize(("page_size", "pages"), [(20, 1), (2, 2), (1, 4)])
def test_list_models_is_live_and_follows_pages(page_size: int, pages: int) -> None:
    with FakeAnthropic(page_size=page_size) as fake:
        listed = FrontierClient(KEY, base_url=fake.url).list_models()

        assert listed.live and listed.reason == ""
        assert listed.models == [
            "claude-opus-4-6",
            "claude-sonnet-4-6",
            "claude-haiku-4-5-20251001",
        ]
        assert fake.count(MODELS) == pages


@pytest.mark.parametrize("failure", ["server_error", "overloaded", "not_found", "slow"])
def test_list_models_falls_back_to_the_defaults(fake: FakeAnthropic, failure: str) -> None:
    fake.push(failure, path=MODELS)
    client = FrontierClient(KEY, base_url=fake.url, timeout=0.3, max_retries=0)

    listed = client.list_models()

    assert (listed.models, listed.live) == (list(DEFAULT_MODELS), False)
    assert listed.reason


def test_list_models_falls_back_when_unreachable() -> None:
    listed = FrontierClient(KEY, base_url=closed_port_url(), max_retries=0).list_models()
    assert not listed.live and listed.models == list(DEFAULT_MODELS)
    assert "Cannot reach Claude" in listed.reason


@pytest.mark.parametrize("call", ["list_models", "count_tokens"])
def test_a_rejected_key_is_not_hidden_by_a_fallback(call: str) -> None:
    with FakeAnthropic(api_keys={"sk-ant-other"}) as fake:
        client = FrontierClient(KEY, base_url=fake.url)
        with pytest.raises(FrontierAuthError):
            if call == "list_models":
                client.list_models()
            else:
                client.count_tokens(MODEL, SYSTEM, [])


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "How long is this prompt?"}],
        [{"role": "user", "content": [{"type": "text", "text": "Block content here"}]}],
        [
            {"role": "user", "content": "First"},
            {"role": "assistant", "content": "Second answer"},
            {"role": "user", "content": "Third question, longer than the others"},
        ],
    ],
)
def test_count_tokens_live_is_exact(
    client: FrontierClient, fake: FakeAnthropic, messages: list[dict[str, Any]]
) -> None:
    counted = client.count_tokens(MODEL, SYSTEM, messages)

    body = fake.requests(COUNT_TOKENS)[0].body
    assert counted == TokenCount(fake_token_count(body), exact=True)
    assert body["messages"] == messages and body["system"] == SYSTEM


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([], 6),  # SYSTEM has 23 characters
        ([{"role": "user", "content": "x" * 9}], 8),
        ([{"role": "user", "content": [{"type": "text", "text": "abcd" * 10}]}], 16),
    ],
)
def test_count_tokens_estimates_when_unreachable(
    messages: list[dict[str, Any]], expected: int
) -> None:
    client = FrontierClient(KEY, base_url=closed_port_url(), max_retries=0)

    assert client.count_tokens(MODEL, SYSTEM, messages) == TokenCount(expected, exact=False)


class RecordingMeter:
    """A CallMeter that allows ``allow`` output tokens and records what it was told."""

    def __init__(self, allow: int, *, refuse: bool = False) -> None:
        self.allow = allow
        self.refuse = refuse
        self.required: list[tuple[int, int]] = []
        self.opened: list[tuple[int, int]] = []
        self.closed: list[BilledTokens | None] = []

    def require(self, input_tokens: int, max_tokens: int, cacheable: int = 0) -> int:
        self.required.append((input_tokens, max_tokens))
        if self.refuse:
            raise BudgetExceeded("over the cap")
        return min(self.allow, max_tokens)

    def open(self, input_tokens: int, max_tokens: int, cacheable: int = 0) -> int:
        self.opened.append((input_tokens, max_tokens))
        return min(self.allow, max_tokens)

    def close(self, usage: BilledTokens | None) -> None:
        self.closed.append(usage)


def test_a_metered_call_counts_its_exact_input_first_and_uses_the_allowed_length(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    meter = RecordingMeter(allow=3000)

    client.refine(PAYLOAD, system=SYSTEM, model=MODEL, meter=meter)

    count, message = fake.requests(COUNT_TOKENS)[0].body, fake.requests(MESSAGES)[0].body
    assert count["messages"] == message["messages"] == request_messages(PAYLOAD, "refine")
    assert count["output_config"] == {"format": output_format(["P1", "P2"])}
    assert meter.opened == [(fake_token_count(count), 4096)]
    assert message["max_tokens"] == 3000
    closed = meter.closed[0]
    assert closed is not None
    assert meter.closed == [BilledTokens(fake_token_count(message), closed.output_tokens)]
    assert client.requests_sent == 2


def test_nothing_is_sent_when_the_local_estimate_is_over_the_budget(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    meter = RecordingMeter(allow=4096, refuse=True)

    with pytest.raises(BudgetExceeded):
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL, meter=meter)

    assert fake.count(None) == 0, "not even a token count"
    assert client.requests_sent == 0 and meter.opened == []
    text = json.dumps(PAYLOAD, ensure_ascii=False, indent=1)
    [(estimated, _)] = meter.required
    assert estimated >= estimate_claude_tokens(SYSTEM, text)


@pytest.mark.parametrize("failure", ["rate_limit", "overloaded", "server_error"])
def test_every_retry_is_paid_through_the_meter_and_waits_as_asked(
    fake: FakeAnthropic, failure: str
) -> None:
    waited: list[float] = []
    client = FrontierClient(KEY, base_url=fake.url, max_retries=2, sleep=waited.append)
    fake.push(failure, failure)
    meter = RecordingMeter(allow=4096)

    client.refine(PAYLOAD, system=SYSTEM, model=MODEL, meter=meter)

    assert fake.count(MESSAGES) == 3 and fake.count(COUNT_TOKENS) == 1
    assert len(meter.opened) == 3, "each attempt is charged its worst case"
    assert meter.closed[:2] == [BilledTokens(), BilledTokens()]  # refused: nothing billed
    last = meter.closed[2]
    assert last is not None and last.input_tokens > 0
    assert waited == [float(RETRY_NOW[0][1])] * 2


def test_without_retry_after_the_wait_backs_off() -> None:
    waited: list[float] = []
    seen: list[int] = []

    def busy(request: httpx2.Request) -> httpx2.Response:
        seen.append(1)
        body = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
        return httpx2.Response(529, json=body)

    client = FrontierClient(
        KEY,
        http_client=httpx2.Client(transport=httpx2.MockTransport(busy)),
        max_retries=3,
        sleep=waited.append,
    )
    with pytest.raises(FrontierRateLimited, match="after 3 retries"):
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)
    assert waited == [0.5, 1.0, 2.0] and len(seen) == 4


def test_a_retry_after_longer_than_a_minute_fails_at_once(fake: FakeAnthropic) -> None:
    waited: list[float] = []
    client = FrontierClient(KEY, base_url=fake.url, max_retries=2, sleep=waited.append)
    fake.push(Fail(429, "rate_limit_error", "Slow down", (("retry-after", "3600"),)))

    with pytest.raises(FrontierRateLimited):
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL)
    assert fake.count(MESSAGES) == 1 and waited == []


def test_a_metered_call_without_a_count_charges_an_upper_bound() -> None:
    client = FrontierClient(KEY, base_url=closed_port_url(), max_retries=0)
    meter = RecordingMeter(allow=4096)

    with pytest.raises(FrontierError, match="Cannot reach Claude"):
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL, meter=meter)

    prompt = request_messages(PAYLOAD, "refine")[0]["content"]
    schema = json.dumps(output_format(["P1", "P2"]))
    [(charged, _)] = meter.opened
    assert charged >= len((SYSTEM + prompt + schema).encode())
    assert meter.closed == [None]  # the outcome is unknown: the charge stands


def test_a_refused_metered_call_is_settled_at_zero(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    fake.push("bad_request")
    meter = RecordingMeter(allow=4096)

    with pytest.raises(FrontierError, match="HTTP 400"):
        client.refine(PAYLOAD, system=SYSTEM, model=MODEL, meter=meter)
    assert meter.closed == [BilledTokens()]


def test_restore_runs_on_the_answer_before_validation(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    hidden = {**PAYLOAD, "persona": {**DRAFT, "name": "[PERSON_1] " * 12}}  # over the limit

    result = client.refine(
        hidden,
        system=SYSTEM,
        model=MODEL,
        restore=lambda data: {**data, "name": "Ana Ruiz"},
    )
    assert result.answer.name == "Ana Ruiz"


@pytest.mark.parametrize(
    ("texts", "tokens"), [((), 0), (("",), 0), (("abcd",), 1), (("abcde",), 2), (("ab", "cd"), 1)]
)
def test_estimate_tokens_is_four_characters_per_token(texts: tuple[str, ...], tokens: int) -> None:
    assert estimate_claude_tokens(*texts) == tokens


# --- the fake itself ------------------------------------------------------------------


def test_the_fake_answers_a_forced_tool_call_with_tool_use(fake: FakeAnthropic) -> None:
    sdk = anthropic.Anthropic(api_key=KEY, base_url=fake.url, max_retries=0)
    tool: dict[str, Any] = {"name": "persona", "input_schema": llm_json_schema(RefinedPersona)}

    request: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 100,
        "messages": request_messages(PAYLOAD, "refine"),
        "tools": [tool],
        "tool_choice": {"type": "tool", "name": "persona"},
    }
    reply = sdk.messages.create(**request)

    block = reply.content[0]
    assert (reply.stop_reason, block.type, block.name) == ("tool_use", "tool_use", "persona")
    assert RefinedPersona.model_validate(block.input).name == "Ana Ruiz"


def test_the_fake_runs_as_a_scriptable_subprocess() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_anthropic", "--port", "0", "--api-key", KEY],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline() if process.stdout else ""
        assert ready.startswith("READY http://127.0.0.1:")
        url = ready.split()[1]
        push = json.dumps({"scenarios": ["overloaded"], "path": MODELS}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{url}/_fake/push", data=push))
        client = FrontierClient(KEY, base_url=url, max_retries=0)

        assert not client.list_models().live
        assert client.list_models().live
        with urllib.request.urlopen(f"{url}/_fake/requests?path={MODELS}") as answer:
            assert len(json.load(answer)) == 2
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_only_the_hybrid_package_talks_to_a_cloud_api() -> None:
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"^\s*(?:import|from)\s+(?:anthropic|httpx2)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(root))
        for folder in ("persona",)
        for path in (root / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
        and not path.is_relative_to(root / "persona" / "hybrid")
    ]
    assert offenders == []


def test_the_api_key_comes_from_the_environment_then_secrets_then_the_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert find_api_key() is None
    assert find_api_key(secret="  ", typed="") is None, "blank is no key"
    assert find_api_key(typed=" sk-typed ") == "sk-typed"
    assert find_api_key(secret="sk-secret", typed="sk-typed") == "sk-secret"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    assert find_api_key(secret="sk-secret", typed="sk-typed") == "sk-env"
