"""Sampling options reach every engine's request in the shape its real API takes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from persona.engines.base import ChatOptions, Usage
from persona.engines.builtin import BuiltinEngine
from persona.engines.ollama.engine import OllamaEngine
from persona.engines.openai_compat import OpenAIEngine
from tests.fake_openai import BASE_URL, FakeOpenAI, streamed
from tests.test_builtin_engine import write_model

HOST = "http://127.0.0.1:11434"
MESSAGES = [{"role": "user", "content": "Write a persona."}]
OPTIONS = ChatOptions(temperature=0.2, seed=3, max_tokens=50, num_ctx=2048, frequency_penalty=0.4)


def text_of(pieces: list[Any]) -> str:
    assert isinstance(pieces[-1], Usage)
    return "".join(p for p in pieces if isinstance(p, str))


def test_ollama_gets_the_penalty_as_an_option() -> None:
    with responses.RequestsMock() as mocked:
        lines = [
            {"model": "m", "message": {"role": "assistant", "content": "{}"}, "done": False},
            {
                "model": "m",
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 9,
                "eval_count": 2,
                "eval_duration": 1_000_000,
            },
        ]
        mocked.post(
            f"{HOST}/api/chat", body=b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        )
        pieces = list(OllamaEngine(host=HOST).chat("m", MESSAGES, options=OPTIONS))
        sent = json.loads(mocked.calls[0].request.body)
    assert text_of(pieces) == "{}"
    assert sent["options"] == {
        "num_ctx": 2048,
        "temperature": 0.2,
        "seed": 3,
        "num_predict": 50,
        "frequency_penalty": 0.4,
    }


def test_an_openai_compatible_server_gets_frequency_penalty() -> None:
    fake = FakeOpenAI()
    fake.queue(streamed("{}"))
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        engine = OpenAIEngine(BASE_URL, "sk-test", client=fake.client())
        pieces = list(engine.chat("m", MESSAGES, options=OPTIONS))
    assert text_of(pieces) == "{}"
    (body,) = fake.chat_bodies()
    assert body["frequency_penalty"] == 0.4 and "repeat_penalty" not in body


def test_unset_the_engines_keep_their_own_default() -> None:
    fake = FakeOpenAI()
    fake.queue(streamed("{}"))
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        engine = OpenAIEngine(BASE_URL, "sk-test", client=fake.client())
        list(engine.chat("m", MESSAGES, options=ChatOptions(temperature=0.2)))
    (body,) = fake.chat_bodies()
    assert "frequency_penalty" not in body


class _Llama:
    """llama-cpp-python's ``Llama`` as the built-in engine uses it: streamed chat chunks."""

    def __init__(self) -> None:
        self.n_tokens = 0
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        self.n_tokens = 12
        yield {"choices": [{"delta": {"content": "{}"}, "finish_reason": None}]}
        self.n_tokens = 14
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


@pytest.mark.parametrize(("penalty", "sent"), [(0.4, 0.4), (None, "unset")])
def test_the_builtin_engine_passes_the_penalty_to_llama_cpp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, penalty: float | None, sent: object
) -> None:
    llama = _Llama()
    monkeypatch.setattr("persona.engines.builtin.load_llama", lambda *a, **k: llama)
    monkeypatch.setattr("persona.engines.builtin.llama_installed", lambda: True)
    write_model(tmp_path, "tiny.gguf")
    engine = BuiltinEngine(tmp_path, include_demo=False)
    options = ChatOptions(temperature=0.2, seed=3, max_tokens=50, frequency_penalty=penalty)
    pieces = list(engine.chat("tiny", MESSAGES, options=options))
    assert text_of(pieces) == "{}"
    (call,) = llama.calls
    assert call.get("frequency_penalty", "unset") == sent
    assert call["repeat_penalty"] == 1.1 and call["temperature"] == 0.2
