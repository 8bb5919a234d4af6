"""The settings loader: options, then the environment, then settings.toml (never a key on
disk), then the defaults."""

from __future__ import annotations

import stat
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from persona.core.errors import ConfigError
from persona.core.setting_rules import Timeouts, normalize_base_url
from persona.core.settings import (
    ON_THIS_MACHINE,
    Settings,
    load_settings,
    read_saved,
    save_settings,
    settings_path,
    where_engine_runs,
)
from persona.engines.builtin import BuiltinEngine
from persona.engines.ollama.client import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.engines.openai_compat import OpenAIEngine
from persona.engines.registry import api_key_for, default_model, make_engine, parallel_requests


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings.engine == "ollama" and settings.ollama_host == "http://127.0.0.1:11434"
    assert settings.parallel is None and settings.model == "" and settings.base_url == ""
    assert settings.models_dir == tmp_path / "models"
    assert settings.timeouts == Timeouts() and settings.from_environment == {}


def test_saved_values_come_back_and_the_file_is_private(tmp_path: Path) -> None:
    gguf = tmp_path / 'we"ird\\name\x7f.gguf'
    saved = save_settings(
        {
            "engine": "openai",
            "base_url": "http://gpu-box:8000",
            "parallel": 6,
            "model": "qwen2.5-72b",
            "context_length": 32768,
            "gguf_files": [str(gguf)],
            "load_timeout": 0,
            "connect_timeout": 2.5,
        },
        tmp_path,
    )
    assert saved == load_settings(tmp_path)
    again = load_settings(tmp_path, env={})
    assert again.engine == "openai" and again.base_url == "http://gpu-box:8000/v1"
    assert again.parallel == 6 and again.context_length == 32768 and again.model == "qwen2.5-72b"
    assert again.gguf_files == (gguf,)
    assert again.timeouts == Timeouts(connect=2.5, request=30.0, load=None)
    path = settings_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text(encoding="utf-8"))["parallel"] == 6


def test_saving_merges_with_what_is_there(tmp_path: Path) -> None:
    save_settings({"engine": "builtin", "model": "a"}, tmp_path)
    save_settings({"model": "b"}, tmp_path)
    assert read_saved(tmp_path) == {"engine": "builtin", "model": "b"}


def test_keys_are_never_written(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="api_key"):
        save_settings({"api_key": "sk-secret"}, tmp_path)
    assert not settings_path(tmp_path).exists()
    save_settings({"engine": "openai", "base_url": "http://h:1/v1"}, tmp_path)
    assert "sk-" not in settings_path(tmp_path).read_text(encoding="utf-8")
    assert "api_key" not in Settings().to_saved()


def test_environment_beats_the_file(tmp_path: Path) -> None:
    save_settings({"engine": "builtin", "parallel": 2, "ollama_host": "box:1"}, tmp_path)
    env = {"PERSONA_ENGINE": "ollama", "PERSONA_PARALLEL": "8", "OLLAMA_HOST": ":9999"}
    settings = load_settings(tmp_path, env=env)
    assert settings.engine == "ollama" and settings.parallel == 8
    assert settings.ollama_host == "http://127.0.0.1:9999"
    assert settings.from_environment == {
        "engine": "PERSONA_ENGINE",
        "parallel": "PERSONA_PARALLEL",
        "ollama_host": "OLLAMA_HOST",
    }


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("PERSONA_ENGINE", "vllm", "one of ollama, openai, builtin"),
        ("PERSONA_PARALLEL", "17", "from 1 to 16"),
        ("PERSONA_PARALLEL", "two", "from 1 to 16"),
        ("OPENAI_BASE_URL", "gpu-box:8000", "http://127.0.0.1:8000/v1"),
        ("PERSONA_CONTEXT_LENGTH", "-5", "whole number of tokens"),
        ("PERSONA_LOAD_TIMEOUT", "soon", "positive number of seconds"),
        ("OLLAMA_HOST", "localhost:notaport", "127.0.0.1:11434"),
    ],
)
def test_bad_environment_values_name_the_variable(
    tmp_path: Path, variable: str, value: str, accepted: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={variable: value})
    assert info.value.name == variable
    assert str(info.value).startswith(f"{variable} is set to {value!r}")
    assert accepted in str(info.value)


def test_a_bad_saved_value_names_the_file_and_key(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text('parallel = 99\nengine = "ollama"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={})
    assert info.value.name == f"parallel in {settings_path(tmp_path)}"


def test_a_broken_file_says_how_to_recover(tmp_path: Path) -> None:
    settings_path(tmp_path).write_text("engine = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="fix the file or delete it"):
        load_settings(tmp_path, env={})


def test_a_bad_page_value_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Parallel requests is set to 40"):
        save_settings({"parallel": 40}, tmp_path)
    assert not settings_path(tmp_path).exists()


def test_unsaved_changes_can_be_tested(tmp_path: Path) -> None:
    save_settings({"engine": "ollama"}, tmp_path)
    preview = load_settings(tmp_path, env={}, changes={"engine": "builtin"})
    assert preview.engine == "builtin"
    assert load_settings(tmp_path, env={}).engine == "ollama"


def test_command_line_options_beat_the_environment_and_the_file(tmp_path: Path) -> None:
    save_settings({"engine": "builtin", "parallel": 2}, tmp_path)
    env = {"PERSONA_ENGINE": "ollama", "PERSONA_PARALLEL": "8"}
    options = {"engine": "openai", "base_url": "http://h:8000", "parallel": None}
    changed = load_settings(tmp_path, env=env, arguments=options)
    assert changed.engine == "openai" and changed.base_url == "http://h:8000/v1"
    assert changed.parallel == 8  # not given on the command line: the environment's
    with pytest.raises(ConfigError, match="--parallel is set to 20"):
        load_settings(tmp_path, env={}, arguments={"parallel": 20})
    with pytest.raises(ConfigError, match="--host is set to 'h:x'"):
        load_settings(tmp_path, env={}, arguments={"ollama_host": "h:x"})


def test_base_urls() -> None:
    assert normalize_base_url("http://h:8000/") == "http://h:8000/v1"
    assert normalize_base_url("https://gw.example/openai/v1/") == "https://gw.example/openai/v1"
    for bad in ("ftp://h/v1", "http://", "http://h:99999/v1", "http://h/v1?x=1"):
        with pytest.raises(ConfigError):
            normalize_base_url(bad)


# --- the registry -----------------------------------------------------------------------------


def test_make_engine_for_each_kind(tmp_path: Path) -> None:
    base = load_settings(tmp_path, env={})
    ollama = make_engine(base)
    assert isinstance(ollama, OllamaEngine) and ollama.client.host == base.ollama_host
    server = make_engine(replace(base, engine="openai", base_url="http://h:8000/v1"))
    assert isinstance(server, OpenAIEngine) and server.base_url == "http://h:8000/v1"
    builtin = make_engine(replace(base, engine="builtin"))
    assert isinstance(builtin, BuiltinEngine) and builtin.models_dir == tmp_path / "models"
    assert parallel_requests(base, ollama) == 1 and parallel_requests(base, server) == 4
    assert parallel_requests(replace(base, parallel=3), server) == 3
    with pytest.raises(ConfigError, match="Settings page"):
        make_engine(replace(base, engine="openai"))


def test_keys_come_from_the_session_or_the_environment(tmp_path: Path) -> None:
    server = replace(load_settings(tmp_path, env={}), engine="openai")
    assert api_key_for(server, None, env={"OPENAI_API_KEY": "sk-env"}) == "sk-env"
    assert api_key_for(server, "sk-session", env={"OPENAI_API_KEY": "sk-env"}) == "sk-session"
    ollama = load_settings(tmp_path, env={})
    assert api_key_for(ollama, None, env={"OLLAMA_API_KEY": "tok"}) == "tok"
    assert api_key_for(ollama, None, env={"OPENAI_API_KEY": "sk-env"}) is None


def test_default_model(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert default_model(settings, "ollama", ["a", "llama3.2:3b"], "llama3.2:3b") == "llama3.2:3b"
    assert default_model(settings, "ollama", ["a", "b"], "llama3.2:3b") == "a"
    assert default_model(replace(settings, model="b"), "ollama", ["a", "b"]) == "b"
    assert default_model(settings, "openai", []) is None


@pytest.mark.parametrize(
    ("engine", "address", "where"),
    [
        ("ollama", "127.0.0.1:11434", ON_THIS_MACHINE),
        ("ollama", "localhost", ON_THIS_MACHINE),
        ("ollama", "0.0.0.0:11434", ON_THIS_MACHINE),
        ("ollama", "http://[::1]:11434", ON_THIS_MACHINE),
        ("ollama", "127.3.4.5:8080", ON_THIS_MACHINE),
        ("ollama", "10.0.0.5:11434", "on 10.0.0.5:11434"),
        ("ollama", "10.0.0.5", "on 10.0.0.5:11434"),
        ("ollama", "https://ollama.example.org", "on ollama.example.org:443"),
        ("ollama", "http://[fd00::5]:11434", "on [fd00::5]:11434"),
        ("ollama", "http://ann:s3cret@gpu-box:11434/api?key=k", "on gpu-box:11434"),
        ("openai", "http://127.0.0.1:8000/v1", ON_THIS_MACHINE),
        ("openai", "http://app.localhost:8000/v1", ON_THIS_MACHINE),
        ("openai", "http://[::ffff:127.0.0.1]:8000/v1", ON_THIS_MACHINE),
        ("openai", "http://gpu-box:8000/v1", "on gpu-box:8000"),
        (
            "openai",
            "https://user:sk-secret@llm.example.com/keys/sk-abc/v1",
            "on llm.example.com:443",
        ),
        ("openai", "http://[2001:db8::7]:8000/v1", "on [2001:db8::7]:8000"),
        ("openai", "http://GPU-Box.lan:8000", "on gpu-box.lan:8000"),
    ],
)
def test_where_the_engine_runs(tmp_path: Path, engine: str, address: str, where: str) -> None:
    key = "ollama_host" if engine == "ollama" else "base_url"
    settings = load_settings(tmp_path, env={}, changes={"engine": engine, key: address})
    said = where_engine_runs(settings)
    assert said == where
    assert not any(secret in said for secret in ("s3cret", "sk-", "ann", "user", "key", "/"))


def test_the_builtin_engine_and_a_server_without_an_address(tmp_path: Path) -> None:
    builtin = load_settings(
        tmp_path, env={"OLLAMA_HOST": "10.0.0.5"}, changes={"engine": "builtin"}
    )
    assert where_engine_runs(builtin) == ON_THIS_MACHINE
    server = replace(load_settings(tmp_path, env={}), engine="openai")
    assert where_engine_runs(server) == "on the OpenAI-compatible server (no address set yet)"


def test_the_ollama_client_uses_the_settings_in_force(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One loader: a client made without arguments reads what the Settings page saved."""
    save_settings({"ollama_host": "gpu-box:8080", "connect_timeout": 1.5}, data_dir)
    monkeypatch.delenv("OLLAMA_HOST")
    client = OllamaClient()
    assert client.host == "http://gpu-box:8080" and client.timeouts.connect == 1.5
    assert OllamaClient("h:1").timeouts == Timeouts(connect=1.5)
    monkeypatch.setenv("PERSONA_CONNECT_TIMEOUT", "0")
    with pytest.raises(ConfigError, match="PERSONA_CONNECT_TIMEOUT is set to '0'"):
        OllamaClient()
