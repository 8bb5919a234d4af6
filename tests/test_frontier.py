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
    FrontierAuthError,
    FrontierError,
    FrontierRateLimited,
    InputError,
    UnusableAnswer,
)
from persona.core.schema import Persona, llm_json_schema
from persona.hybrid.cloud import (
    DEFAULT_MODELS,
    OUTPUT_FORMAT,
    FrontierClient,
    Refinement,
    TokenCount,
    estimate_claude_tokens,
    find_api_key,
    refine_messages,
)
from persona.hybrid.pricing import BilledTokens
from tests.fake_anthropic import (
    COUNT_TOKENS,
    INVENTED_QUOTE,
    MESSAGES,
    MODELS,
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
    "goals": [
        {
            "text": "Finish charting before handover.",
            "evidence": [{"quote": "I chart at 3am", "source": "p1.txt", "locator": "line 3"}],
        }
    ],
    "pain_points": [
        {
            "text": "Logins are slow.",
            "evidence": [{"quote": "login takes forever", "source": "p1.txt", "locator": "line 9"}],
        }
    ],
    "behaviours": [{"text": "Keeps notes on her phone.", "evidence": []}],
    "motivations": [],
    "quote": {"quote": "I chart at 3am", "source": "p1.txt", "locator": "line 3"},
    "participants": ["P1"],
}


def quotes(persona: Persona) -> set[str]:
    return {ev.quote for ev in persona.all_evidence()}


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


@pytest.mark.parametrize(
    "draft",
    [DRAFT, json.dumps(DRAFT), Persona.model_validate(DRAFT)],
    ids=["dict", "json", "persona"],
)
def test_refine_returns_the_improved_persona(
    client: FrontierClient, fake: FakeAnthropic, draft: Any
) -> None:
    result = client.refine(draft, system=SYSTEM, model=MODEL, max_tokens=2000)

    assert isinstance(result, Refinement)
    assert result.persona.bio.startswith(DRAFT["bio"]) and result.persona.bio != DRAFT["bio"]
    assert result.persona.goals[0].text == "Above all, finish charting before handover."
    assert [m.evidence[0].quote for m in result.persona.motivations] == ["I chart at 3am"]
    assert quotes(result.persona) == quotes(Persona.model_validate(DRAFT))
    assert result.model == "claude-haiku-4-5-20251001"
    assert result.attempts == 1
    assert result.usage.input_tokens == fake_token_count(fake.requests(MESSAGES)[0].body)
    assert result.usage.output_tokens > 0


def test_refine_asks_for_structured_output_in_the_persona_schema(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    client.refine(DRAFT, system=SYSTEM, model=MODEL, max_tokens=1234)

    body = fake.requests(MESSAGES)[0].body
    assert body["output_config"] == {"format": OUTPUT_FORMAT}
    assert body["output_config"]["format"] == {
        "type": "json_schema",
        "schema": anthropic.transform_schema(llm_json_schema(Persona)),
    }
    assert (body["system"], body["model"], body["max_tokens"]) == (SYSTEM, MODEL, 1234)
    assert "tools" not in body and "stream" not in body


def test_refine_never_sends_fields_persona_computes(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    verified = Persona.model_validate(DRAFT)
    verified.quote.verified = True
    verified.quote.matched_text = "PRIVATE raw transcript line"
    verified.quote.matched_locator = "line 3"

    client.refine(verified, system=SYSTEM, model=MODEL)

    raw = fake.requests(MESSAGES)[0].raw
    for leaked in ("PRIVATE raw transcript line", "matched_text", "verified", "matched_locator"):
        assert leaked not in raw
    sent = json.loads(raw)["messages"][0]["content"]
    assert "I chart at 3am" in sent and "Ana Ruiz" in sent


@pytest.mark.parametrize(
    ("draft", "problem"),
    [("{not json", "Invalid JSON"), (json.dumps({**DRAFT, "goals": []}), "goals")],
)
def test_an_invalid_draft_is_an_input_error_before_any_call(
    client: FrontierClient, fake: FakeAnthropic, draft: Any, problem: str
) -> None:
    with pytest.raises(InputError, match=problem):
        client.refine(draft, system=SYSTEM, model=MODEL)
    assert fake.count(None) == 0


@pytest.mark.parametrize("bad", ["malformed", "invalid"])
def test_an_invalid_answer_is_sent_back_once_with_the_errors(
    client: FrontierClient, fake: FakeAnthropic, bad: str
) -> None:
    fake.push(bad)

    result = client.refine(DRAFT, system=SYSTEM, model=MODEL)

    assert result.attempts == 2
    first, second = (r.body for r in fake.requests(MESSAGES))
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][0] == first["messages"][0]
    repair = second["messages"][2]["content"]
    assert "does not match the persona schema" in repair
    assert ("Invalid JSON" if bad == "malformed" else "goals: Field required") in repair
    assert result.usage.input_tokens == fake_token_count(first) + fake_token_count(second)


@pytest.mark.parametrize("bad", [("malformed", "malformed"), ("invalid", "malformed")])
def test_a_second_invalid_answer_raises_without_more_calls(
    client: FrontierClient, fake: FakeAnthropic, bad: tuple[str, str]
) -> None:
    fake.push(*bad)

    with pytest.raises(UnusableAnswer, match="did not match the persona schema after 2") as caught:
        client.refine(DRAFT, system=SYSTEM, model=MODEL)
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
        client.refine(DRAFT, system=SYSTEM, model=MODEL)
    assert fake.count() == 1
    body = fake.requests(MESSAGES)[0].body
    assert caught.value.input_tokens == fake_token_count(body)
    assert caught.value.output_tokens > 0


def test_an_invented_quote_comes_back_for_verification_to_catch(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    fake.push("invent_quote")

    result = client.refine(DRAFT, system=SYSTEM, model=MODEL)

    assert INVENTED_QUOTE in quotes(result.persona)
    assert INVENTED_QUOTE not in json.dumps(DRAFT)


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
def test_sdk_errors_map_to_our_tree_after_the_sdk_retries(
    client: FrontierClient,
    fake: FakeAnthropic,
    scenarios: list[Any],
    error: type[FrontierError],
    attempts: int,
    hint: str,
) -> None:
    fake.push(*scenarios)

    with pytest.raises(error, match=re.escape(hint)) as caught:
        client.refine(DRAFT, system=SYSTEM, model=MODEL)

    assert type(caught.value) is error
    assert not isinstance(caught.value, UnusableAnswer)
    assert fake.count() == attempts
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests()] == [
        str(n) for n in range(attempts)
    ]
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

    result = client.refine(DRAFT, system=SYSTEM, model=MODEL)

    assert result.attempts == 1
    assert fake.count() == len(transient) + 1


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_max_retries_bounds_the_attempts(fake: FakeAnthropic, max_retries: int) -> None:
    client = FrontierClient(KEY, base_url=fake.url, max_retries=max_retries)
    fake.push(*["overloaded"] * 5)

    with pytest.raises(FrontierRateLimited):
        client.refine(DRAFT, system=SYSTEM, model=MODEL)
    assert fake.count() == max_retries + 1


@pytest.mark.parametrize("max_retries", [0, 1])
def test_a_slow_answer_times_out(fake: FakeAnthropic, max_retries: int) -> None:
    client = FrontierClient(KEY, base_url=fake.url, timeout=0.3, max_retries=max_retries)
    fake.push(*[Slow(3.0)] * (max_retries + 1))

    started = time.monotonic()
    with pytest.raises(FrontierError, match=r"did not answer within 0\.3 s") as caught:
        client.refine(DRAFT, system=SYSTEM, model=MODEL)

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
        client.refine(DRAFT, system=SYSTEM, model=MODEL)

    assert url in str(caught.value) and "ANTHROPIC_BASE_URL" in str(caught.value)


def test_the_default_endpoint_blames_the_connection() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("network is down", request=request)

    transport = httpx2.Client(transport=httpx2.MockTransport(refuse))
    client = FrontierClient(KEY, max_retries=0, http_client=transport)

    with pytest.raises(FrontierError, match="check your internet connection") as caught:
        client.refine(DRAFT, system=SYSTEM, model=MODEL)
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

    result = FrontierClient(KEY).refine(DRAFT, system=SYSTEM, model=MODEL)

    assert result.persona.name == "Ana Ruiz" and fake.count() == 1


def test_the_key_travels_only_in_the_authorization_header(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    client.list_models()
    client.count_tokens(MODEL, SYSTEM, [{"role": "user", "content": "hi"}])
    client.refine(DRAFT, system=SYSTEM, model=MODEL)

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
            client.refine(DRAFT, system=SYSTEM, model=MODEL)

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

    def __init__(self, allow: int) -> None:
        self.allow = allow
        self.opened: list[tuple[int, int]] = []
        self.closed: list[BilledTokens | None] = []

    def open(self, input_tokens: int, max_tokens: int) -> int:
        self.opened.append((input_tokens, max_tokens))
        return min(self.allow, max_tokens)

    def close(self, usage: BilledTokens | None) -> None:
        self.closed.append(usage)


def test_a_metered_call_counts_its_exact_input_first_and_uses_the_allowed_length(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    meter = RecordingMeter(allow=3000)

    client.refine(DRAFT, system=SYSTEM, model=MODEL, meter=meter)

    count, message = fake.requests(COUNT_TOKENS)[0].body, fake.requests(MESSAGES)[0].body
    assert count["messages"] == message["messages"] == refine_messages(DRAFT)
    assert count["output_config"] == {"format": OUTPUT_FORMAT}
    assert meter.opened == [(fake_token_count(count), 4096)]
    assert message["max_tokens"] == 3000
    assert meter.closed == [BilledTokens(fake_token_count(message), meter.closed[0].output_tokens)]


def test_a_metered_call_without_a_count_charges_an_upper_bound() -> None:
    client = FrontierClient(KEY, base_url=closed_port_url(), max_retries=0)
    meter = RecordingMeter(allow=4096)

    with pytest.raises(FrontierError, match="Cannot reach Claude"):
        client.refine(DRAFT, system=SYSTEM, model=MODEL, meter=meter)

    prompt = refine_messages(DRAFT)[0]["content"]
    [(charged, _)] = meter.opened
    assert charged >= len((SYSTEM + prompt + json.dumps(OUTPUT_FORMAT)).encode())
    assert meter.closed == [None]  # the outcome is unknown: the charge stands


def test_a_refused_metered_call_is_settled_at_zero(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    fake.push("bad_request")
    meter = RecordingMeter(allow=4096)

    with pytest.raises(FrontierError, match="HTTP 400"):
        client.refine(DRAFT, system=SYSTEM, model=MODEL, meter=meter)
    assert meter.closed == [BilledTokens()]


def test_restore_runs_on_the_answer_before_validation(
    client: FrontierClient, fake: FakeAnthropic
) -> None:
    hidden = {**DRAFT, "name": "[PERSON_1] " * 12}  # longer than the name limit when sent

    result = client.refine(
        hidden,
        system=SYSTEM,
        model=MODEL,
        restore=lambda data: {**data, "name": "Ana Ruiz"},
    )
    assert result.persona.name == "Ana Ruiz"


@pytest.mark.parametrize(
    ("texts", "tokens"), [((), 0), (("",), 0), (("abcd",), 1), (("abcde",), 2), (("ab", "cd"), 1)]
)
def test_estimate_tokens_is_four_characters_per_token(texts: tuple[str, ...], tokens: int) -> None:
    assert estimate_claude_tokens(*texts) == tokens


# --- the fake itself ------------------------------------------------------------------


def test_the_fake_answers_a_forced_tool_call_with_tool_use(fake: FakeAnthropic) -> None:
    sdk = anthropic.Anthropic(api_key=KEY, base_url=fake.url, max_retries=0)
    tool = {"name": "persona", "input_schema": llm_json_schema(Persona)}

    reply = sdk.messages.create(
        model=MODEL,
        max_tokens=100,
        messages=refine_messages(DRAFT),
        tools=[tool],
        tool_choice={"type": "tool", "name": "persona"},
    )

    block = reply.content[0]
    assert (reply.stop_reason, block.type, block.name) == ("tool_use", "tool_use", "persona")
    assert Persona.model_validate(block.input).name == "Ana Ruiz"


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
        for folder in ("persona", "pages")
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
