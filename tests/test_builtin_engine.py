"""The built-in engine: GGUF files found and described from their headers; chat with SmolLM2."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from persona.core.errors import EngineError, EngineNotInstalled, InputError, ModelNotFound
from persona.engines.base import ChatOptions, Usage
from persona.engines.builtin import BuiltinEngine, demo_model_name
from persona.engines.builtin_install import OLLAMA_DOWNLOAD, REQUIREMENTS
from persona.engines.gguf import read_gguf
from persona.engines.hardware import Hardware
from persona.engines.inventory import model_rows
from persona.engines.llamacpp import demo_model_path, json_gbnf
from persona.engines.status import check_engine

DEMO = demo_model_path()
MACHINE = Hardware(16 * 10**9, 8 * 10**9, "Test CPU", 4, 8)


def gguf_bytes(
    metadata: dict[str, tuple[int, object]], tensors: list[tuple[str, tuple[int, ...]]]
) -> bytes:
    """A minimal GGUF v3 header: typed key-values, then tensor infos (no tensor data)."""

    def text(value: str) -> bytes:
        data = value.encode()
        return struct.pack("<Q", len(data)) + data

    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, (kind, value) in metadata.items():
        out += text(key) + struct.pack("<I", kind)
        if kind == 8:
            out += text(str(value))
        elif kind == 9:  # an array of strings
            items = list(value)  # type: ignore[call-overload]
            out += struct.pack("<IQ", 8, len(items)) + b"".join(text(i) for i in items)
        else:
            out += struct.pack({4: "<I", 6: "<f", 10: "<Q"}[kind], value)
    for name, shape in tensors:
        out += text(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
        out += struct.pack("<IQ", 0, 0)
    return out


def write_model(folder: Path, name: str = "tiny-q8.gguf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(
        gguf_bytes(
            {
                "general.architecture": (8, "qwen2"),
                "general.name": (8, "Tiny"),
                "general.file_type": (4, 7),
                "qwen2.context_length": (4, 32768),
                "qwen2.block_count": (4, 24),
                "qwen2.attention.head_count": (4, 14),
                "qwen2.attention.head_count_kv": (4, 2),
                "qwen2.embedding_length": (4, 896),
                "tokenizer.ggml.tokens": (9, ["a", "b", "c"]),
                "general.quantization_version": (4, 2),
            },
            [("token_embd.weight", (896, 1000)), ("blk.0.attn_q.weight", (896, 896))],
        )
    )
    return path


def test_header_facts(tmp_path: Path) -> None:
    info = read_gguf(write_model(tmp_path))
    assert (info.architecture, info.name, info.quantization) == ("qwen2", "Tiny", "Q8_0")
    assert info.context_length == 32768 and info.parameters == 896 * 1000 + 896 * 896
    assert (info.block_count, info.head_count, info.head_count_kv) == (24, 14, 2)
    assert info.embedding_length == 896


def test_the_demo_models_header() -> None:
    info = read_gguf(DEMO)
    assert info.architecture == "llama" and info.quantization == "Q4_1"
    assert info.context_length == 8192 and 130e6 < info.parameters < 140e6


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04not a model", "not a GGUF model file"),
        (b"GGUF" + struct.pack("<I", 1), "too old"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1, 5), "cut or damaged"),
    ],
)
def test_what_is_not_a_gguf_is_explained(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "x.gguf"
    path.write_bytes(content)
    with pytest.raises(InputError, match=words):
        read_gguf(path)


def test_models_come_from_the_demo_the_folder_and_added_files(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    write_model(folder, "b-model.gguf")
    added = write_model(tmp_path / "elsewhere", "c-model.gguf")
    (folder / "broken.gguf").write_bytes(b"nope")
    engine = BuiltinEngine(folder, [added])
    assert list(engine.model_files()) == [demo_model_name(), "b-model", "broken", "c-model"]
    models, problems = engine.scan()
    assert [m.name for m in models] == [demo_model_name(), "b-model", "c-model"]
    assert models[0].details["demo"] is True and models[1].details["demo"] is False
    assert len(problems) == 1 and "broken.gguf is not a GGUF model file" in problems[0]
    assert problems[0] in engine.warnings()
    assert engine.describe("b-model").context_length == 32768


def test_rows_have_sizes_and_fit(tmp_path: Path) -> None:
    rows = model_rows(BuiltinEngine(tmp_path / "none"), MACHINE)
    (row,) = rows
    assert row.name == demo_model_name() and row.parameters == "134.5M"
    assert row.quantization == "Q4_1" and row.context_length == 8192
    assert row.estimate is not None and row.verdict == "fits"
    assert row.size == DEMO.stat().st_size


def test_an_unknown_model_says_where_to_put_it(tmp_path: Path) -> None:
    engine = BuiltinEngine(tmp_path / "models")
    with pytest.raises(ModelNotFound) as info:
        engine.describe("llama3.2:3b")
    message = str(info.value)
    assert "not available in built-in engine" in message
    assert str(tmp_path / "models") in message and "Hardware & models" in message


@pytest.mark.usefixtures("without_builtin")
def test_without_llama_cpp_the_engine_says_it_is_not_installed(tmp_path: Path) -> None:
    engine = BuiltinEngine(tmp_path / "models")
    write_model(tmp_path / "models", "b-model.gguf")
    assert list(engine.model_files()) == ["b-model"]  # no demo: its package is missing too
    assert demo_model_name() == DEMO.stem  # still known by name
    with pytest.raises(EngineNotInstalled) as raised:
        engine.list_models()
    message = str(raised.value)
    assert "not installed here" in message and "Settings page" in message
    assert all(f'"{r}"' in message for r in REQUIREMENTS) and OLLAMA_DOWNLOAD in message
    status = check_engine(engine)
    assert status.state == "not installed" and not status.ready
    assert status.verdict == message
    with pytest.raises(EngineNotInstalled):
        next(engine.chat("b-model", [{"role": "user", "content": "hi"}]))


@pytest.mark.realmodel
def test_chat_with_a_schema_streams_json_then_usage(tmp_path: Path) -> None:
    engine = BuiltinEngine(tmp_path)
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    pieces = list(
        engine.chat(
            demo_model_name(),
            [{"role": "user", "content": "Invent a person: name and age."}],
            schema=schema,
            options=ChatOptions(temperature=0, seed=1, max_tokens=60, num_ctx=2048),
        )
    )
    usage = pieces.pop()
    assert isinstance(usage, Usage) and usage.prompt_tokens and usage.output_tokens
    text = "".join(str(p) for p in pieces)
    reply = json.loads(text)
    assert isinstance(reply["name"], str) and isinstance(reply["age"], int)
    assert list(reply) == ["name", "age"]  # the schema's order, not sorted
    assert not re.search(r"\s", re.sub(r'"(?:[^"\\]|\\.)*"', "", text))  # compact JSON


def test_the_grammar_keeps_the_schemas_key_order_and_spends_nothing_on_layout() -> None:
    schema = {
        "type": "object",
        "properties": {"role": {"type": "string"}, "age": {"type": "string"}},
        "required": ["role", "age"],
    }
    rules = dict(line.split(" ::= ", 1) for line in json_gbnf(schema).splitlines())
    assert rules["root"].index("role-kv") < rules["root"].index("age-kv")
    assert rules["space"] == '""'
    assert "\\x00-\\x1F" in rules["char"]  # no raw control characters inside strings


@pytest.mark.realmodel
def test_a_prompt_longer_than_asked_gets_a_larger_context(tmp_path: Path) -> None:
    engine = BuiltinEngine(tmp_path)
    long = "The delivery was late again. " * 400  # ~2,800 tokens
    pieces = list(
        engine.chat(
            demo_model_name(),
            [{"role": "user", "content": long + "Summarise in five words."}],
            options=ChatOptions(temperature=0, seed=1, max_tokens=8, num_ctx=2048),
        )
    )
    usage = pieces[-1]
    assert isinstance(usage, Usage) and usage.prompt_tokens and usage.prompt_tokens > 2048
    (slot,) = engine._slots.values()
    assert slot.n_ctx > usage.prompt_tokens, "reloaded with room for the whole prompt"


@pytest.mark.realmodel
def test_closing_the_stream_stops_and_frees_the_model(tmp_path: Path) -> None:
    engine = BuiltinEngine(tmp_path)
    stream = engine.chat(
        demo_model_name(),
        [{"role": "user", "content": "Count from one to one hundred in words."}],
        options=ChatOptions(temperature=0, max_tokens=400, num_ctx=2048),
    )
    assert isinstance(next(stream), str)
    stream.close()
    (slot,) = engine._slots.values()
    assert not slot.lock.locked(), "a cancelled call releases the model for the next one"


def test_a_damaged_model_file_is_refused_on_load(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    write_model(folder, "hollow.gguf")  # a header without tensor data
    pytest.importorskip("llama_cpp")
    engine = BuiltinEngine(folder, include_demo=False)
    with pytest.raises(EngineError) as info:
        list(engine.chat("hollow", [{"role": "user", "content": "hi"}]))
    assert "could not load 'hollow'" in str(info.value)
