"""Host resolution follows Ollama's own clients; settings read the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.core.errors import ConfigError
from persona.core.settings import Settings, Timeouts, default_data_dir, resolve_ollama_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "http://127.0.0.1:11434"),
        ("1.2.3.4", "http://1.2.3.4:11434"),
        (":56789", "http://127.0.0.1:56789"),
        ("1.2.3.4:56789", "http://1.2.3.4:56789"),
        ("example.com", "http://example.com:11434"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("https://example.com:56789", "https://example.com:56789"),
        ("example.com/path", "http://example.com:11434/path"),
        ("https://example.com:56789/path/", "https://example.com:56789/path"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[0001:002:003:0004::1]", "http://[0001:002:003:0004::1]:11434"),
        ("[::1]:56789", "http://[::1]:56789"),
        ("  localhost  ", "http://localhost:11434"),
    ],
)
def test_resolve_host(value, expected, monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_ollama_host(value) == expected


def test_argument_beats_environment(monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "10.0.0.5:1234")
    assert resolve_ollama_host("localhost:9") == "http://localhost:9"
    assert resolve_ollama_host() == "http://10.0.0.5:1234"


def test_default_without_environment(monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert resolve_ollama_host() == "http://127.0.0.1:11434"


def test_bad_port_is_explained():
    with pytest.raises(ConfigError, match="OLLAMA_HOST is set to 'localhost:notaport'") as info:
        resolve_ollama_host("localhost:notaport")
    assert "127.0.0.1:11434" in str(info.value)


@pytest.mark.parametrize("value", ["abc", "-3", "nan", "inf", "1e400"])
def test_bad_numbers_name_the_variable_and_what_is_accepted(monkeypatch, value):
    monkeypatch.setenv("PERSONA_MAX_FILE_MB", value)
    with pytest.raises(ConfigError) as info:
        Settings()
    message = str(info.value)
    assert message.startswith(f"PERSONA_MAX_FILE_MB is set to {value!r}")
    assert "positive number" in message and info.value.name == "PERSONA_MAX_FILE_MB"


def test_timeouts_from_environment(monkeypatch):
    monkeypatch.setenv("PERSONA_CONNECT_TIMEOUT", "1.5")
    monkeypatch.setenv("PERSONA_LOAD_TIMEOUT", "900")
    assert Timeouts.from_env() == Timeouts(connect=1.5, request=30.0, load=900.0)


def test_default_timeouts_never_cut_a_cold_load():
    timeouts = Timeouts.from_env()
    assert timeouts.load is None and timeouts.connect <= 5


def test_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("PERSONA_DATA_DIR", str(tmp_path / "d"))
    assert default_data_dir() == tmp_path / "d"
    assert Settings().data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("system", "env", "expected_tail"),
    [
        ("Darwin", {}, Path("Library/Application Support/Persona")),
        ("Linux", {}, Path(".local/share/persona")),
    ],
)
def test_data_dir_per_os(monkeypatch, system, env, expected_tail):
    monkeypatch.delenv("PERSONA_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr("platform.system", lambda: system)
    assert default_data_dir() == Path.home() / expected_tail


def test_max_file_size(monkeypatch):
    monkeypatch.setenv("PERSONA_MAX_FILE_MB", "2")
    assert Settings().max_file_bytes == 2 * 1024 * 1024
