"""The OpenAI-compatible engine against fakes shaped like vLLM, llama.cpp, LM Studio and OpenAI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx2
import openai
import pytest
import responses

from persona.core.errors import (
    EngineError,
    EngineServerError,
    EngineTimeout,
    EngineUnreachable,
    ModelNotFound,
    PromptTruncated,
)
from persona.core.setting_rules import Timeouts
from persona.engines.base import ChatOptions, Usage
from persona.engines.openai_compat import OLLAMA_WARNING, OpenAIEngine, public_url, server_root
from persona.generation.generate import Generation
from persona.generation.references import DRAFT_SCHEMA
from persona.generation.request import GenerationRequest
from tests.browser import closed_url
from tests.fake_openai import (
    BASE_URL,
    FakeOpenAI,
    Reply,
    Stream,
    chunk,
    fastapi_422,
    llama_cpp_python_500,
    openai_error,
    sse,
    streamed,
    vllm_error,
)
from tests.fakes import ANA, BEN, PASSAGES, personas_json

ROOT = "http://llm.test:8000"
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
MESSAGES = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Hi"}]


@pytest.fixture
def probes() -> Iterator[responses.RequestsMock]:
    """The server-specific routes read with ``requests``; anything not added is absent."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


def engine_for(fake: FakeOpenAI, **kwargs: object) -> OpenAIEngine:
    return OpenAIEngine(BASE_URL, "sk-test", client=fake.client(), **kwargs)  # type: ignore[arg-type]


def collect(engine: OpenAIEngine, **kwargs: object) -> tuple[str, Usage]:
    pieces = list(engine.chat("m", MESSAGES, **kwargs))  # type: ignore[arg-type]
    usage = pieces.pop()
    assert isinstance(usage, Usage)
    assert all(isinstance(p, str) for p in pieces)
    return "".join(str(p) for p in pieces), usage


# --- models and context lengths ---------------------------------------------------------------


def test_vllm_reports_max_model_len(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    engine = engine_for(fake)
    (model,) = engine.list_models()
    assert model.name == "m" and model.context_length == 8192
    assert model.details["context_source"] == "the server (max_model_len)"
    assert engine.describe("m").context_length == 8192
    assert engine.label == f"OpenAI-compatible server at {BASE_URL}"


def test_llamacpp_props_give_the_per_slot_context(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    fake.models = [
        {
            "id": "smol",
            "object": "model",
            "owned_by": "llamacpp",
            "meta": {"n_ctx_train": 8192, "n_params": 134515008, "size": 98362432},
        }
    ]
    probes.get(
        f"{ROOT}/props",
        json={"default_generation_settings": {"n_ctx": 4096, "params": {}}, "total_slots": 4},
    )
    (model,) = engine_for(fake).list_models()
    assert model.context_length == 4096, "the slot's context, not the trained one"
    assert model.parameters == 134515008 and model.size_bytes == 98362432
    assert model.details["slots"] == 4
    assert model.details["context_source"] == "the server (llama.cpp /props)"


def test_lmstudio_models_list_the_context(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    fake.models = [
        {"id": "qwen2.5-7b-instruct", "object": "model", "owned_by": "organization_owner"}
    ]
    probes.get(
        f"{ROOT}/api/v0/models",
        json={
            "object": "list",
            "data": [
                {
                    "id": "qwen2.5-7b-instruct",
                    "object": "model",
                    "type": "llm",
                    "state": "not-loaded",
                    "max_context_length": 32768,
                }
            ],
        },
    )
    (model,) = engine_for(fake).list_models()
    assert model.context_length == 32768
    assert model.details["context_source"] == "the server (LM Studio)"


def test_the_setting_when_the_server_does_not_say(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    fake.models = [{"id": "m", "object": "model", "owned_by": "me", "permissions": []}]
    assert engine_for(fake).list_models()[0].context_length is None
    (model,) = engine_for(fake, context_length=6000).list_models()
    assert model.context_length == 6000
    assert model.details["context_source"] == "the Context length setting"


def test_describe_an_unknown_model_names_what_the_server_has(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    with pytest.raises(ModelNotFound) as info:
        engine_for(fake).describe("gpt-9")
    message = str(info.value)
    assert "'gpt-9'" in message and "It serves: m" in message and "Settings page" in message


# --- chat ---------------------------------------------------------------------------------------


def test_chat_streams_pieces_then_usage(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    fake.queue(streamed('{"a": 12345678901234}', usage=(120, 30)))
    text, usage = collect(
        engine_for(fake),
        schema=SCHEMA,
        options=ChatOptions(temperature=0.2, seed=7, max_tokens=300, num_ctx=4096),
    )
    assert json.loads(text) == {"a": 12345678901234}
    assert (usage.prompt_tokens, usage.output_tokens, usage.stop_reason) == (120, 30, "stop")
    assert usage.seconds is not None and usage.seconds >= 0
    (body,) = fake.chat_bodies()
    assert body["model"] == "m" and body["messages"] == MESSAGES and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA},
    }
    assert (body["temperature"], body["seed"], body["max_tokens"]) == (0.2, 7, 300)
    assert "num_ctx" not in json.dumps(body), "the server sizes its own context"


@pytest.mark.parametrize("refusal", [fastapi_422, llama_cpp_python_500])
def test_falls_back_to_llamacpp_json_object_and_remembers(
    fake: FakeOpenAI, probes: responses.RequestsMock, refusal: Callable[[str, str], Reply]
) -> None:
    fake.queue(
        refusal("response_format.type", "Input should be 'text' or 'json_object'"),
        streamed('{"a": 1}'),
        streamed('{"a": 2}'),
    )
    engine = engine_for(fake)
    assert collect(engine, schema=SCHEMA)[0] == '{"a": 1}'
    assert collect(engine, schema=SCHEMA)[0] == '{"a": 2}'
    first, second, third = fake.chat_bodies()
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert third["response_format"] == {"type": "json_object", "schema": SCHEMA}


def test_a_server_without_stream_options(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    fake.queue(
        openai_error(400, "Unrecognized request argument supplied: stream_options"),
        streamed('{"a": 1}', usage=None),
    )
    text, usage = collect(engine_for(fake), schema=SCHEMA)
    assert text == '{"a": 1}' and usage.prompt_tokens is None and usage.stop_reason == "stop"
    assert "stream_options" not in fake.chat_bodies()[1]


def test_length_stop_is_reported(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    fake.queue(streamed('{"a": 1', finish_reason="length"))
    assert collect(engine_for(fake))[1].stop_reason == "length"


def test_an_answer_that_stops_early_is_an_error(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    def cut(_body: dict) -> httpx2.Response:
        return httpx2.Response(200, stream=sse([chunk('{"a":', role="assistant")], done=False))

    fake.queue(cut)
    with pytest.raises(EngineError, match="ended before it was complete"):
        collect(engine_for(fake))


def test_closing_the_iterator_closes_the_stream(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    fake.queue(streamed("x" * 500, piece=1))
    pieces = engine_for(fake).chat("m", MESSAGES)
    assert next(pieces) == "x"
    pieces.close()
    (stream,) = fake.streams
    assert isinstance(stream, Stream) and stream.closed
    assert stream.sent < len(stream.events)


def test_a_whole_generation_runs_on_the_engine(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    fake.queue(streamed(personas_json(ANA, BEN)))
    engine = engine_for(fake)
    generation = Generation(engine, PASSAGES, GenerationRequest(model="m", count=2, seed=3))
    events = list(generation.events())
    assert [p.name for p in generation.result.personas] == ["Ana Ruiz", "Ben Okoro"]
    assert events[-1].stage == "personas"
    assert generation.result.prompt_tokens == 120 and generation.result.answer_tokens == 30
    (body,) = fake.chat_bodies()
    sent = body["response_format"]["json_schema"]["schema"]
    assert set(sent["properties"]) == set(DRAFT_SCHEMA["properties"]), "the persona schema"
    prompt = body["messages"][1]["content"]
    assert all(f"{p.id} {p.text}" in prompt for p in PASSAGES), "the whole study reached it"
    assert generation.plan.context_limit == 8192


# --- errors -------------------------------------------------------------------------------------


def test_nothing_listening_is_unreachable() -> None:
    url = closed_url() + "/v1"
    engine = OpenAIEngine(url, timeouts=Timeouts(connect=1, request=2, load=5))
    with pytest.raises(EngineUnreachable) as info:
        engine.list_models()
    message = str(info.value)
    assert "is not running, or not reachable at " + url in message
    assert "Settings page" in message and "vllm serve" in message


@pytest.mark.parametrize(
    ("reply", "kind", "words"),
    [
        (
            openai_error(401, "Incorrect API key provided", "invalid_api_key"),
            EngineServerError,
            ["is running but reported an error (HTTP 401)", "OPENAI_API_KEY", "Settings page"],
        ),
        (
            vllm_error(404, "The model `ghost` does not exist."),
            ModelNotFound,
            ["'m'", "does not exist", "Hardware & models"],
        ),
        (
            vllm_error(
                400,
                "This model's maximum context length is 4096 tokens. However, you "
                "requested 5000 tokens.",
            ),
            PromptTruncated,
            ["4,096 tokens", "cannot take"],
        ),
        (
            openai_error(429, "Rate limit reached", "rate_limit_exceeded"),
            EngineServerError,
            ["HTTP 429", "Parallel requests"],
        ),
        (
            openai_error(500, "CUDA out of memory", "server_error"),
            EngineServerError,
            ["is running but reported an error (HTTP 500)", "CUDA out of memory"],
        ),
    ],
)
def test_server_errors_are_clear(
    fake: FakeOpenAI,
    probes: responses.RequestsMock,
    reply: object,
    kind: type[Exception],
    words: list[str],
) -> None:
    fake.queue(reply)  # type: ignore[arg-type]
    with pytest.raises(kind) as info:
        collect(engine_for(fake), schema=SCHEMA)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "not running" not in message, "a server that answers is not 'not running'"


def test_a_timeout_says_the_server_is_running(probes: responses.RequestsMock) -> None:
    def slow(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("timed out", request=request)

    client = openai.OpenAI(
        base_url=BASE_URL,
        api_key="k",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(slow)),
    )
    engine = OpenAIEngine(BASE_URL, client=client, timeouts=Timeouts(load=60))
    with pytest.raises(EngineTimeout) as info:
        list(engine.chat("m", MESSAGES))
    assert "is running but did not answer within 60 s" in str(info.value)


def test_an_error_event_inside_the_stream(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    def broken(_body: dict) -> httpx2.Response:
        events = [
            f"data: {json.dumps(chunk('{', role='assistant'))}\n\n".encode(),
            b'data: {"error": {"message": "model crashed", "type": "server_error"}}\n\n',
        ]
        return httpx2.Response(200, stream=Stream(events))

    fake.queue(broken)
    with pytest.raises(EngineServerError, match="model crashed"):
        collect(engine_for(fake))


# --- Ollama's /v1 --------------------------------------------------------------------------------


def test_ollama_port_is_warned_about(fake: FakeOpenAI) -> None:
    engine = OpenAIEngine("http://127.0.0.1:11434/v1", client=fake.client())
    assert engine.warnings() == [OLLAMA_WARNING]
    assert "native" in OLLAMA_WARNING and "Settings page" in OLLAMA_WARNING


def test_ollama_behind_another_port_is_recognised(
    fake: FakeOpenAI, probes: responses.RequestsMock
) -> None:
    probes.get(f"{ROOT}/api/version", json={"version": "0.12.3"})
    assert engine_for(fake).warnings() == [OLLAMA_WARNING]


def test_other_servers_get_no_warning(fake: FakeOpenAI, probes: responses.RequestsMock) -> None:
    assert engine_for(fake).warnings() == []


def test_urls() -> None:
    assert server_root("http://h:8000/v1") == "http://h:8000"
    assert server_root("https://gw.example/openai/v1") == "https://gw.example/openai"
    assert public_url("https://user:secret@gw.example:8443/v1") == "https://gw.example:8443/v1"
    assert (
        OpenAIEngine("http://h:8000", client=FakeOpenAI().client()).base_url == "http://h:8000/v1"
    )
