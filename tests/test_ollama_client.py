"""The Ollama client against `responses` mocks shaped like Ollama's documented API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from persona.core.errors import (
    ModelNotFound,
    OllamaError,
    OllamaServerError,
    OllamaTimeout,
    OllamaUnreachable,
    PersonaError,
)
from persona.core.setting_rules import Timeouts
from persona.engines.ollama import OllamaClient, Options

HOST = "http://127.0.0.1:11434"


def ndjson(*lines: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def body_of(call: Any) -> dict[str, Any]:
    return json.loads(call.request.body)


def piece(text: str, done: bool = False) -> dict[str, Any]:
    return {"model": "m", "message": {"role": "assistant", "content": text}, "done": done}


USER = [{"role": "user", "content": "u"}]


@pytest.fixture
def client() -> Iterator[OllamaClient]:
    with OllamaClient(HOST) as c:
        yield c


@pytest.fixture
def mocked():
    with responses.RequestsMock() as rsps:
        yield rsps


TAGS = {
    "models": [
        {
            "name": "llama3.2:3b",
            "model": "llama3.2:3b",
            "modified_at": "2026-10-01T12:00:00.000000+02:00",
            "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
        }
    ]
}

SHOW = {
    "modelfile": "FROM ...",
    "parameters": 'stop "<|eot_id|>"',
    "template": "{{ .Prompt }}",
    "details": TAGS["models"][0]["details"],
    "model_info": {
        "general.architecture": "llama",
        "general.parameter_count": 3212749888,
        "llama.context_length": 131072,
        "llama.block_count": 28,
        "llama.attention.head_count": 24,
        "llama.attention.head_count_kv": 8,
        "llama.embedding_length": 3072,
    },
    "capabilities": ["completion", "tools"],
    "modified_at": "2026-10-01T12:00:00+02:00",
}


def test_version(client, mocked):
    mocked.get(f"{HOST}/api/version", json={"version": "0.12.6"})
    assert client.version() == "0.12.6"


def test_list_models_parses_details(client, mocked):
    mocked.get(f"{HOST}/api/tags", json=TAGS)
    [model] = client.list_models()
    assert model.name == "llama3.2:3b"
    assert model.size == 2019393189
    assert model.details.parameter_size == "3.2B"
    assert model.details.quantization_level == "Q4_K_M"
    assert model.modified_at is not None and model.modified_at.year == 2026


def test_list_models_empty(client, mocked):
    mocked.get(f"{HOST}/api/tags", json={"models": []})
    assert client.list_models() == []


def test_show_exposes_architecture_numbers(client, mocked):
    mocked.post(f"{HOST}/api/show", json=SHOW)
    info = client.show("llama3.2:3b")
    assert body_of(mocked.calls[0]) == {"model": "llama3.2:3b"}
    assert info.architecture == "llama"
    assert info.context_length == 131072
    assert info.parameter_count == 3212749888
    assert (info.block_count, info.head_count, info.head_count_kv) == (28, 24, 8)
    assert info.embedding_length == 3072
    assert info.quantization == "Q4_K_M"
    assert info.capabilities == ["completion", "tools"]


def test_show_without_model_info_has_no_numbers(client, mocked):
    mocked.post(f"{HOST}/api/show", json={"details": {}, "model_info": {}})
    info = client.show("x")
    assert info.context_length is None and info.parameter_count is None


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("POST", "/api/show", lambda c: c.show("ghost")),
        ("DELETE", "/api/delete", lambda c: c.delete("ghost")),
        ("POST", "/api/chat", lambda c: list(c.chat_stream("ghost", USER))),
    ],
)
def test_404_model_not_found(client, mocked, method, path, call):
    mocked.add(method, f"{HOST}{path}", status=404, json={"error": "model 'ghost' not found"})
    with pytest.raises(ModelNotFound) as info:
        call(client)
    assert info.value.model == "ghost"
    assert "persona pull ghost" in str(info.value)


def test_404_streaming_model_not_found(client, mocked):
    mocked.post(f"{HOST}/api/chat", status=404, json={"error": "model 'ghost' not found"})
    with pytest.raises(ModelNotFound):
        list(client.chat_stream("ghost", [{"role": "user", "content": "hi"}]))


def test_ps_gpu_split(client, mocked):
    mocked.get(
        f"{HOST}/api/ps",
        json={
            "models": [
                {
                    "name": "mistral:7b",
                    "model": "mistral:7b",
                    "size": 5137025024,
                    "digest": "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8",
                    "details": {"family": "llama", "parameter_size": "7.2B"},
                    "expires_at": "2026-11-24T14:38:31.83753-07:00",
                    "size_vram": 2568512512,
                    "context_length": 4096,
                }
            ]
        },
    )
    [loaded] = client.ps()
    assert loaded.gpu_fraction == pytest.approx(0.5, abs=0.001)
    assert loaded.context_length == 4096
    assert loaded.expires_at is not None


def test_ps_cpu_only_when_no_vram(client, mocked):
    mocked.get(f"{HOST}/api/ps", json={"models": [{"name": "a", "size": 100, "size_vram": 0}]})
    assert client.ps()[0].gpu_fraction == 0.0


def test_delete_sends_model(client, mocked):
    mocked.delete(f"{HOST}/api/delete", status=200)
    client.delete("llama3.2:3b")
    assert body_of(mocked.calls[0]) == {"model": "llama3.2:3b"}


def test_unload_uses_keep_alive_zero(client, mocked):
    mocked.post(
        f"{HOST}/api/generate",
        json={"model": "m", "response": "", "done": True, "done_reason": "unload"},
    )
    client.unload("m")
    assert body_of(mocked.calls[0]) == {"model": "m", "keep_alive": 0}


def test_chat_stream_sends_every_option_and_reads_the_stats(client, mocked):
    mocked.post(
        f"{HOST}/api/chat",
        body=ndjson(
            {"model": "m", "message": {"role": "assistant", "content": '{"a": '}, "done": False},
            {"model": "m", "message": {"role": "assistant", "content": "1}"}, "done": False},
            {
                "model": "m",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 12,
                "eval_count": 40,
                "eval_duration": 2_000_000_000,
            },
        ),
    )
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    chunks = list(
        client.chat_stream(
            "m",
            [{"role": "user", "content": "hello"}],
            format=schema,
            options=Options(num_ctx=8192, temperature=0.2, seed=7, num_predict=100),
            keep_alive="10m",
        )
    )
    assert "".join(c.message.content for c in chunks) == '{"a": 1}'
    assert chunks[-1].done and chunks[-1].done_reason == "stop"
    assert chunks[-1].tokens_per_second == pytest.approx(20.0)
    assert body_of(mocked.calls[0]) == {  # Ollama streams by default: no "stream" key
        "model": "m",
        "messages": [{"role": "user", "content": "hello"}],
        "format": schema,
        "options": {"num_ctx": 8192, "temperature": 0.2, "seed": 7, "num_predict": 100},
        "keep_alive": "10m",
    }


def test_chat_stream_with_messages_and_options(client, mocked):
    mocked.post(
        f"{HOST}/api/chat",
        body=ndjson(
            {"model": "m", "message": {"role": "assistant", "content": "Hi"}, "done": False},
            {"model": "m", "message": {"role": "assistant", "content": "!"}, "done": False},
            {
                "model": "m",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 9,
            },
        ),
    )
    chunks = list(
        client.chat_stream(
            "m",
            [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}],
            format="json",
            options={"num_ctx": 4096},
        )
    )
    assert "".join(c.message.content for c in chunks) == "Hi!"
    assert chunks[-1].prompt_eval_count == 9
    sent = body_of(mocked.calls[0])
    assert sent["messages"][1] == {"role": "user", "content": "u"}
    assert sent["format"] == "json" and sent["options"] == {"num_ctx": 4096}


def test_error_inside_200_stream(client, mocked):
    mocked.post(
        f"{HOST}/api/chat",
        body=ndjson(piece("a"), {"error": "an error was encountered while running the model"}),
    )
    received = []
    with pytest.raises(OllamaServerError) as info:
        for chunk in client.chat_stream("m", USER):
            received.append(chunk)
    assert len(received) == 1
    assert info.value.status is None
    assert "while running the model" in str(info.value)


def test_stream_cut_before_done(client, mocked):
    mocked.post(
        f"{HOST}/api/chat", body=ndjson({k: v for k, v in piece("a").items() if k != "done"})
    )
    with pytest.raises(OllamaError, match="ended before it was complete"):
        list(client.chat_stream("m", USER))


def test_stream_garbage_line(client, mocked):
    mocked.post(f"{HOST}/api/chat", body=json.dumps(piece("a")).encode() + b"\nnot json\n")
    with pytest.raises(OllamaServerError, match="unreadable line"):
        list(client.chat_stream("m", USER))


def test_stream_split_across_reads(client, mocked, monkeypatch):
    monkeypatch.setattr("persona.engines.ollama.client._READ_SIZE", 7)
    lines = [piece(str(i)) for i in range(30)]
    mocked.post(f"{HOST}/api/chat", body=ndjson(*lines, piece("", done=True)))
    chunks = list(client.chat_stream("m", USER))
    assert [c.message.content for c in chunks[:-1]] == [str(i) for i in range(30)]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            500,
            {"error": "model requires more system memory (7.5 GiB) than is available (5.2 GiB)"},
            "more system memory",
        ),
        (
            503,
            {"error": "server busy, please try again.  maximum pending requests exceeded"},
            "busy",
        ),
        (400, {"error": "invalid options: num_ctx"}, "invalid options"),
        (502, "Bad Gateway", "Bad Gateway"),
    ],
)
def test_http_errors_keep_status_and_text(client, mocked, status, body, expected):
    kwargs = {"json": body} if isinstance(body, dict) else {"body": body}
    mocked.post(f"{HOST}/api/chat", status=status, **kwargs)
    with pytest.raises(OllamaServerError) as info:
        list(client.chat_stream("m", USER))
    assert info.value.status == status
    assert expected in str(info.value)


def test_connection_refused_names_host_and_fix(mocked):
    mocked.get(f"{HOST}/api/version", body=requests.exceptions.ConnectionError("refused"))
    with OllamaClient(HOST) as c, pytest.raises(OllamaUnreachable) as info:
        c.version()
    message = str(info.value)
    assert HOST in message and "ollama serve" in message and "ollama.com/download" in message


def test_connect_timeout_is_unreachable(client, mocked):
    mocked.get(f"{HOST}/api/tags", body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(OllamaUnreachable):
        client.list_models()


def test_read_timeout(client, mocked):
    mocked.post(f"{HOST}/api/show", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(OllamaTimeout, match="did not answer within 30 s"):
        client.show("m")


def test_every_requests_error_is_mapped(client, mocked):
    mocked.get(f"{HOST}/api/tags", body=requests.exceptions.TooManyRedirects("loop"))
    with pytest.raises(PersonaError):
        client.list_models()


def test_timeouts_are_sent(mocked):
    seen = {}

    def callback(request):
        seen["timeout"] = request.req_kwargs["timeout"]
        return (200, {}, json.dumps({"version": "1"}))

    mocked.add_callback("GET", f"{HOST}/api/version", callback=callback)
    mocked.add_callback("POST", f"{HOST}/api/chat", callback=callback)
    with OllamaClient(HOST, timeouts=Timeouts(connect=2, request=10, load=None)) as c:
        c.version()
        assert seen["timeout"] == (2, 10)
        with pytest.raises(OllamaError):  # the body is not a stream; the timeout was sent
            list(c.chat_stream("m", USER))
        assert seen["timeout"] == (2, None)  # a cold load must not time out


def test_non_json_success_body(client, mocked):
    mocked.get(f"{HOST}/api/tags", body="<html>proxy</html>")
    with pytest.raises(OllamaServerError, match="unexpected answer"):
        client.list_models()


# --- pulls ------------------------------------------------------------------


def test_pull_streams_chunks_with_missing_fields(client, mocked):
    mocked.post(
        f"{HOST}/api/pull",
        body=ndjson(
            {"status": "pulling manifest"},
            {"status": "pulling dde5aa3fc5ff", "digest": "sha256:dde5aa3fc5ff"},
            {
                "status": "pulling dde5aa3fc5ff",
                "digest": "sha256:dde5aa3fc5ff",
                "total": 2019377376,
                "completed": 1048576,
            },
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ),
    )
    chunks = list(client.pull("llama3.2:3b"))
    assert [c.status for c in chunks][-1] == "success"
    assert chunks[1].total is None and chunks[2].completed == 1048576
    assert body_of(mocked.calls[0]) == {"model": "llama3.2:3b", "stream": True}


def test_pull_unknown_model_in_stream(client, mocked):
    mocked.post(
        f"{HOST}/api/pull",
        body=ndjson(
            {"status": "pulling manifest"},
            {"error": "pull model manifest: file does not exist"},
        ),
    )
    with pytest.raises(OllamaError, match=r"ollama\.com/library"):
        list(client.pull("no-such-model"))


def test_pull_error_mid_download(client, mocked):
    mocked.post(
        f"{HOST}/api/pull",
        body=ndjson(
            {"status": "pulling manifest"},
            {"status": "pulling aaa", "digest": "sha256:aaa", "total": 100, "completed": 50},
            {"error": "max retries exceeded: unexpected EOF"},
        ),
    )
    with pytest.raises(OllamaServerError, match="max retries exceeded"):
        list(client.pull("m"))


def test_pull_without_success_is_an_error(client, mocked):
    mocked.post(f"{HOST}/api/pull", body=ndjson({"status": "pulling manifest"}))
    with pytest.raises(OllamaError, match="stopped before it finished"):
        list(client.pull("m"))


def test_pull_cancel_closes_the_response(client, mocked):
    mocked.post(
        f"{HOST}/api/pull",
        body=ndjson(
            {"status": "pulling manifest"},
            {"status": "pulling aaa", "digest": "sha256:aaa", "total": 100, "completed": 1},
            {"status": "success"},
        ),
    )
    stream = client.pull("m")
    next(stream)
    stream.close()
    with pytest.raises(StopIteration):
        next(stream)


# --- against the protocol-faithful fake server (real sockets, chunked streams) --------------


def test_stream_over_a_real_socket(fake_ollama):
    from tests.fake_ollama import constant_brain

    fake_ollama.brain = constant_brain("x" * 500)
    with OllamaClient(fake_ollama.url) as c:
        chunks = list(c.chat_stream("llama3.2:3b", USER))
    assert "".join(ch.message.content for ch in chunks) == "x" * 500
    assert chunks[-1].done and chunks[-1].eval_count


def test_timeout_in_the_middle_of_a_stream():
    from tests.fake_ollama import FakeOllama, constant_brain

    timeouts = Timeouts(connect=2, request=5, load=0.3)
    with (
        FakeOllama(brain=constant_brain("abcdefgh"), chunk_chars=2, token_delay=1.0) as slow,
        OllamaClient(slow.url, timeouts=timeouts) as c,
        pytest.raises(OllamaTimeout, match="keep answering"),
    ):
        list(c.chat_stream("llama3.2:3b", USER))


def test_connection_cut_mid_stream_is_an_ollama_error(fake_ollama):
    fake_ollama.set_scenario("stream_cut")
    with OllamaClient(fake_ollama.url) as c, pytest.raises(OllamaError, match=r"broke|ended"):
        list(c.chat_stream("llama3.2:3b", [{"role": "user", "content": "hi"}]))
